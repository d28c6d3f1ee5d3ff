// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: one supervised process at run time (see child.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "caps.h"
#include "child.h"
#include "etsmgr.h"
#include "listener.h"
#include "proc.h"

/* What a child that could not exec tells etssup through the pipe. */
struct start_failure {
	int err;
	char step[224];
};

void child_init(struct child *c, const struct child_spec *spec)
{
	memset(c, 0, sizeof(*c));
	c->spec = spec;
	c->pidfd = -1;
	c->listen_fd = -1;
}

/*
 * The environment of socket activation (sd_listen_fds(3)), of the heir
 * protocol (etsmgr.h) and of sd_notify(3); etssup's own values are never
 * passed on: the child notifies etssup's relay, never systemd, and
 * systemd's watchdog is etssup's. Between fork and exec of a
 * single-threaded etssup, setenv() is safe. -errno.
 */
static int child_environment(const struct child *c, int *report_fd)
{
	char num[24];
	int fd;

	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	unsetenv(ETSMGR_SUPERVISOR_ENV);
	unsetenv(ETSMGR_STANDBY_ENV);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (c->notify_socket && setenv("NOTIFY_SOCKET", c->notify_socket, 1) < 0)
		return -errno;
	if (c->listen_fd >= 0) {
		/* The failure pipe must not be where the socket goes. */
		if (*report_fd == LISTEN_FDS_START) {
			fd = fcntl(*report_fd, F_DUPFD_CLOEXEC,
				   LISTEN_FDS_START + 1);
			if (fd < 0)
				return -errno;
			*report_fd = fd;
		}
		if (c->listen_fd == LISTEN_FDS_START)
			fd = fcntl(LISTEN_FDS_START, F_SETFD, 0);
		else
			fd = dup2(c->listen_fd, LISTEN_FDS_START);
		if (fd < 0)
			return -errno;
		snprintf(num, sizeof(num), "%d", (int)getpid());
		if (setenv("LISTEN_FDS", "1", 1) < 0 ||
		    setenv("LISTEN_PID", num, 1) < 0 ||
		    setenv("LISTEN_FDNAMES", c->spec->id, 1) < 0)
			return -errno;
	}
	if (c->heir_pid > 0) {
		snprintf(num, sizeof(num), "%d", (int)c->heir_pid);
		if (setenv(ETSMGR_SUPERVISOR_ENV, num, 1) < 0)
			return -errno;
	}
	if (c->standby && setenv(ETSMGR_STANDBY_ENV, "1", 1) < 0)
		return -errno;
	return 0;
}

/*
 * Only stdio and the listening socket reach the program: every other
 * descriptor etssup has, or was given without close-on-exec by whoever
 * started it, is closed at exec (the failure pipe too, as it must be).
 */
static int close_inherited(const struct child *c)
{
	unsigned int first = c->listen_fd >= 0 ? LISTEN_FDS_START + 1 : 3;

	if (close_range(first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/*
 * Confine the process, in this order: the bounding set and securebits
 * while its ids are still etssup's (both need cap_setpcap), then groups,
 * gid and uid (they need cap_setgid and cap_setuid), then the capabilities
 * it keeps, then no_new_privs. 0, or -errno with the step in buf.
 */
static int confine(const struct child_spec *spec, char *buf, size_t len)
{
	const char *step;
	int ret;

	ret = caps_confine(spec->keep_caps, spec->nkeep_caps,
			   spec->no_new_privs,
			   identity_changes_uid(&spec->identity), &step);
	if (ret < 0) {
		snprintf(buf, len, "capabilities: %s", step);
		return ret;
	}
	ret = identity_apply(&spec->identity, &step);
	if (ret < 0) {
		snprintf(buf, len, "user and group: %s", step);
		return ret;
	}
	ret = caps_limit_to(spec->keep_caps, spec->nkeep_caps, &step);
	if (ret < 0) {
		snprintf(buf, len, "capabilities: %s", step);
		return ret;
	}
	if (spec->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ret = -errno;
		snprintf(buf, len, "no-new-privs: prctl(PR_SET_NO_NEW_PRIVS)");
		return ret;
	}
	return 0;
}

/* Between fork and exec: never returns. */
static void __attribute__((noreturn))
exec_child(const struct child *c, int report_fd)
{
	const struct child_spec *spec = c->spec;
	struct start_failure f;
	sigset_t none;
	int ret;

	/*
	 * etssup blocks the signals it reads through its signalfd and
	 * ignores SIGPIPE; the program starts with neither.
	 */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/*
	 * A process group of its own: a terminal's ^C then reaches etssup
	 * alone, which stops the children one by one in reverse order.
	 */
	setpgid(0, 0);

	memset(&f, 0, sizeof(f));
	ret = child_environment(c, &report_fd);
	if (ret < 0)
		snprintf(f.step, sizeof(f.step), "environment");
	if (ret == 0) {
		ret = close_inherited(c);
		if (ret < 0)
			snprintf(f.step, sizeof(f.step),
				 "close inherited descriptors (close_range)");
	}
	if (ret == 0)
		ret = confine(spec, f.step, sizeof(f.step));
	if (ret == 0) {
		execvp(spec->argv[0], spec->argv);
		ret = -errno;
		snprintf(f.step, sizeof(f.step), "exec %.100s", spec->argv[0]);
	}
	f.err = -ret;
	if (write(report_fd, &f, sizeof(f)) < 0)
		_exit(126);
	_exit(127);
}

/* Read until count bytes or end of file; returns the bytes read. */
static ssize_t read_full(int fd, void *buf, size_t count)
{
	size_t done = 0;

	while (done < count) {
		ssize_t n = read(fd, (char *)buf + done, count - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int child_start(struct child *c, char *why, size_t len)
{
	struct start_failure f;
	int pipefd[2], pidfd, err;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		exec_child(c, pipefd[1]);
	}
	close(pipefd[1]);

	/* Our own child cannot be reaped behind our back: no race here. */
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		err = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(pipefd[0]);
		snprintf(why, len, "pidfd_open: %s", strerror(err));
		return -1;
	}

	/* End of file: the pipe closed at a successful exec. */
	n = read_full(pipefd[0], &f, sizeof(f));
	close(pipefd[0]);
	if (n != 0) {
		waitpid(pid, NULL, 0);
		close(pidfd);
		if (n == (ssize_t)sizeof(f))
			snprintf(why, len, "%s: %s", f.step, strerror(f.err));
		else
			snprintf(why, len, "the child died before exec");
		return -1;
	}

	c->pid = pid;
	c->pidfd = pidfd;
	c->adopted = false;
	c->stopping = false;
	c->exit_pending = false;
	/* 0 is no process's start time: a later etssup would not adopt it. */
	if (proc_starttime(pid, &c->starttime) < 0)
		c->starttime = 0;
	return 0;
}

int child_adopt(struct child *c, pid_t pid, unsigned long long starttime,
		char *why, size_t len)
{
	unsigned long long now;
	struct pollfd p;
	int pidfd;

	/*
	 * Open the pidfd first, then compare start times: if they match,
	 * the pidfd names the recorded process and no later one.
	 */
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		snprintf(why, len, "pid %d is gone", (int)pid);
		return -1;
	}
	if (proc_starttime(pid, &now) < 0 || now != starttime) {
		snprintf(why, len,
			 "pid %d is another process now (start time %llu, recorded %llu)",
			 (int)pid, now, starttime);
		close(pidfd);
		return -1;
	}
	/* A pidfd is readable once its process has exited (a zombie). */
	p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	if (poll(&p, 1, 0) != 0) {
		snprintf(why, len, "pid %d has exited", (int)pid);
		close(pidfd);
		return -1;
	}
	c->pid = pid;
	c->pidfd = pidfd;
	c->starttime = starttime;
	c->adopted = true;
	c->stopping = false;
	c->exit_pending = false;
	return 0;
}

void child_signal(struct child *c, int sig)
{
	if (c->pidfd >= 0)
		pidfd_send_signal(c->pidfd, sig, NULL, 0);
}

void child_forget(struct child *c, const struct exit_info *e)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	c->last_pid = c->pid;
	c->pid = 0;
	c->adopted = false;
	c->exit = *e;
}

struct exit_info exit_from_siginfo(const siginfo_t *si)
{
	struct exit_info e = { .kind = EXIT_STATUS, .value = si->si_status };

	if (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED) {
		e.kind = EXIT_SIGNAL;
		e.core_dumped = si->si_code == CLD_DUMPED;
	}
	return e;
}

bool exit_is_normal(const struct exit_info *e)
{
	return e->kind == EXIT_STATUS && e->value == 0;
}
