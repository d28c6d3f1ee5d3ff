/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: one supervised process at run time. Starting it (fork; close
 * what it must not inherit, drop capabilities, change user and group, set
 * no_new_privs; exec, told of a failure through a close-on-exec pipe),
 * re-adopting one a previous etssup left running, signalling it through
 * its pidfd, and what its exit means.
 */
#ifndef ETSSUP_CHILD_H
#define ETSSUP_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec.h"

/* How a child ended, as far as etssup can know. */
struct exit_info {
	enum {
		EXIT_STATUS,	/* value: exit status */
		EXIT_SIGNAL,	/* value: signal number */
		EXIT_UNKNOWN,	/* a re-adopted child: not ours to wait for */
	} kind;
	int value;
	bool core_dumped;
};

struct child {
	const struct child_spec *spec;
	pid_t pid;			/* 0 when not running */
	pid_t last_pid;			/* the process that ran last */
	int pidfd;			/* -1 when not running */
	unsigned long long starttime;	/* /proc/PID/stat field 22 */
	bool adopted;			/* started by an earlier etssup */
	bool stopping;			/* etssup asked it to stop */
	bool exit_pending;		/* exited; the restart decision is due */
	bool removed;			/* temporary and gone: never started again */
	struct exit_info exit;		/* the last exit */
	uint32_t generation;		/* tells its events from a predecessor's */
	/* Set by the supervisor, passed to every process it starts: */
	bool standby;			/* the idle second instance */
	bool given_tables;		/* etssup gave it a predecessor's tables */
	uint64_t start_due_ns;		/* a (re)start due then, or 0 */
	uint64_t started_ns;		/* its last start, or 0: long ago */
	unsigned int backoff_step;	/* delayed restarts in a row */
	int listen_fd;			/* descriptor 3 with LISTEN_FDS=1, or -1 */
	pid_t heir_pid;			/* ETSSUP_HEIR_PID, or 0 */
	const char *notify_socket;	/* its NOTIFY_SOCKET (etssup's relay), or NULL */
	/* What the process told etssup over it (notify_relay.h): */
	bool ready;			/* READY=1 came */
	char status[128];		/* its last STATUS=, or "" */
};

void child_init(struct child *c, const struct child_spec *spec);

static inline bool child_running(const struct child *c)
{
	return c->pid > 0;
}

/*
 * Fork and exec the child, confined as its spec says; returns once
 * exec has succeeded. 0, or -1 with the reason in why ("exec: No such
 * file or directory").
 */
int child_start(struct child *c, char *why, size_t len);

/*
 * Take over a process an earlier etssup started: pid must be alive and
 * have the recorded start time, so that a reused pid is never adopted.
 * 0, or -1 with the reason in why.
 */
int child_adopt(struct child *c, pid_t pid, unsigned long long starttime,
		char *why, size_t len);

/* Signal it through its pidfd (no pid-reuse race); errors ignored. */
void child_signal(struct child *c, int sig);

/* It has exited: forget the process, keep what its exit was. */
void child_forget(struct child *c, const struct exit_info *e);

/* The exit waitid() reported. */
struct exit_info exit_from_siginfo(const siginfo_t *si);

/* Exit status 0: OTP's "normal". An unknown exit is not normal. */
bool exit_is_normal(const struct exit_info *e);

#endif
