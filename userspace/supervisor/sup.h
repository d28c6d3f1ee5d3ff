/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup, inside the supervisor: the state one running supervisor keeps
 * (struct sup) and what its parts call of one another. Private to
 * userspace/supervisor/; supervisor.h is the entry point the command line
 * uses.
 *
 *   events.c      the epoll pump, the exits it records, the state file
 *   lifecycle.c   starting and stopping one child, all of them in order
 *   strategy.c    what an exit leads to: restart, backoff, promotion of a
 *                 standby, crash loops, escalation
 *   succession.c  the tables etssup holds as heir, given to successors
 *   handover.c    the listening socket, held across child and etssup restarts
 *   readopt.c     re-adopting what a previous etssup left running
 *   setup.c       signals, epoll, pidfile, heir session, table watch
 *   supervisor.c  the main loop
 */
#ifndef ETSSUP_SUP_H
#define ETSSUP_SUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bootid.h"
#include "child.h"
#include "crashloop.h"
#include "heir.h"
#include "intensity.h"
#include "listener.h"
#include "service_notify.h"
#include "spec.h"
#include "tablewatch.h"

/*
 * The epoll tags of the signalfd, the etsmgr session, the table watch and
 * the children's notification socket; a child's is its index and
 * generation.
 */
#define TAG_SIGNALS UINT64_MAX
#define TAG_ETSMGR (UINT64_MAX - 1)
#define TAG_TABLES (UINT64_MAX - 2)
#define TAG_NOTIFY (UINT64_MAX - 3)

enum outcome {
	CARRY_ON,
	ESCALATE,
};

struct sup {
	const struct sup_spec *spec;
	/*
	 * [0, n): the children in start order; [n, 2n): their standby
	 * instances, used only for a child with standby.
	 */
	struct child *children;
	size_t n;
	struct state_entry *entries;	/* room to save every process */
	uint64_t *command_hashes;	/* per child spec (commandhash.h) */
	char boot_id[BOOT_ID_LEN + 1];	/* "" when unknown: nothing is saved
					   that a successor would trust */
	struct listener *listeners;	/* per child, for listen */
	struct heir heir;
	unsigned int give_retry_ms;	/* 0: no give-away waits */
	uint64_t heir_reopen_ns;	/* drained: open a session then, or 0 */
	struct intensity restarts;
	struct table_watch *tables;	/* for on-crash-loop, else NULL */
	struct crash_loop *crash_loops;	/* per child spec */
	struct service_notify service;	/* systemd's view, the children's word */
	int epfd, sigfd, pidfile_fd;
	int stop_signal;		/* SIGTERM or SIGINT came: shut down */
	char pidfile[PATH_MAX];
	char statefile[PATH_MAX];
};

/* The child's standby instance, or NULL when it has none. */
static inline struct child *standby_of(struct sup *s, const struct child *c)
{
	size_t i = (size_t)(c - s->children);

	if (i >= s->n || !c->spec->standby)
		return NULL;
	return &s->children[i + s->n];
}

/* The index of a process's child spec (a standby's is its child's). */
static inline size_t spec_index(const struct sup *s, const struct child *c)
{
	return (size_t)(c - s->children) % s->n;
}

/* events.c */
void sup_save_state(struct sup *s);
void sup_watch(struct sup *s, struct child *c);
void sup_pump(struct sup *s, int timeout_ms);

/* lifecycle.c */
int sup_start_child(struct sup *s, struct child *c);
void sup_stop_child(struct sup *s, struct child *c);
void sup_start_standby(struct sup *s, const struct child *c);
void sup_stop_all(struct sup *s);
struct child *sup_start_all(struct sup *s);

/* strategy.c */
enum outcome sup_handle_exit(struct sup *s, struct child *c);
enum outcome sup_start_due(struct sup *s, int *timeout_ms);
void sup_give_up(struct sup *s);

/* succession.c */
void sup_receive_tables(struct sup *s);
bool sup_holds_from(const struct sup *s, size_t i, pid_t pid);
bool sup_deliver(struct sup *s);
void sup_heir_let_go(struct sup *s);
int sup_heir_reopen(struct sup *s);

/* handover.c */
void sup_hold_listener(struct sup *s, struct child *c);
void sup_reclaim_listener(struct sup *s, struct child *c);

/* readopt.c */
int sup_start_initial(struct sup *s);

/* setup.c */
int sup_setup(struct sup *s, const struct sup_spec *spec);
void sup_teardown(struct sup *s);

#endif
