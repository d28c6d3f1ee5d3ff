/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: which etsmgr tables each child's run holds, and whether it took
 * them over from a predecessor, learnt from the module's events (netlink
 * subscription, CAP_SYS_ADMIN over the IPC namespace) for the crash-loop
 * policies (crashloop.h). The kernel sends a table's CREATED, RECLAIMED,
 * ADOPTED, GIVEN or INHERITED event from within the call that changes its
 * owner, so once a child is seen dead, every event of its run is already
 * queued on the socket: read them all (table_watch_read) before asking.
 */
#ifndef ETSSUP_TABLEWATCH_H
#define ETSSUP_TABLEWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <etsmgr.h>

/* At most this many tables are followed, over all children. */
#define TABLE_WATCH_MAX 1024

struct watched_table {
	pid_t pid;			/* the run that holds (or held) it */
	uint64_t id;
	char name[ETSMGR_NAME_MAX];
	bool took_over;			/* from a predecessor, not created */
	uint64_t took_over_ns;		/* CLOCK_MONOTONIC, when it was seen */
};

/* Is @pid one of the caller's children? Only their tables are followed. */
typedef bool (*table_watch_filter)(void *arg, pid_t pid);

struct table_watch {
	struct etsmgr_nl *nl;		/* also for rename and delete */
	table_watch_filter is_child;
	void *arg;
	struct watched_table tables[TABLE_WATCH_MAX];
	size_t count;
	bool lost;			/* events were lost and the tables
					   could not be listed again */
};

/*
 * Connect and subscribe: 0, -ENOENT (no module), -EPERM (no
 * CAP_SYS_ADMIN), or another -errno.
 */
int table_watch_open(struct table_watch *tw, table_watch_filter is_child,
		     void *arg);
void table_watch_close(struct table_watch *tw);

/* A descriptor that polls readable when events wait. */
int table_watch_fd(const struct table_watch *tw);

/*
 * Take in every event waiting, without blocking: 0, or -ENOBUFS when some
 * were lost (the socket overflowed: what the children own is listed
 * again, none of it as taken over), or another -errno.
 */
int table_watch_read(struct table_watch *tw, uint64_t now_ns);

/*
 * The tables @pid's run holds or held, up to @max of them in @out; the
 * number there are. *@complete is false when some may be missing (events
 * lost, or more than TABLE_WATCH_MAX tables).
 */
size_t table_watch_of(const struct table_watch *tw, pid_t pid,
		      struct watched_table *out, size_t max, bool *complete);

/*
 * Did @pid's run take over any of its tables? True with the earliest
 * such takeover in *@when_ns; *@held gets how many tables the run holds.
 */
bool table_watch_took_over(const struct table_watch *tw, pid_t pid,
			   uint64_t *when_ns, size_t *held);

/* Forget @pid's tables (its death was handled). */
void table_watch_forget(struct table_watch *tw, pid_t pid);

#endif
