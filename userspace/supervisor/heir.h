/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the etsmgr tables it holds as its children's heir (the child
 * keys heir and standby; the etsgive pattern of Erlang's etsmgr).
 *
 * A child started with ETSSUP_HEIR_PID in its environment names etssup
 * the heir of its tables (ETSMGR_IOC_SET_HEIR). When it dies, etsmgr.ko
 * hands them to etssup's session, and etssup gives them (ETSMGR_IOC_GIVE)
 * to the child's successor: its standby instance at once, or the
 * restarted instance as soon as that one has opened its own session.
 * Only etssup's side is here: one session, the notices it receives, the
 * tables it holds and the give-aways; which child is whose is the
 * supervisor's business (succession.c).
 */
#ifndef ETSSUP_HEIR_H
#define ETSSUP_HEIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/etsmgr.h>

/* A table etssup owns until it gives it to a child. */
struct held_table {
	uint64_t id;
	char name[ETSMGR_NAME_MAX];
	pid_t from;		/* the owner that died */
	size_t child;		/* the child spec's index, or HELD_NOBODY */
};

#define HELD_NOBODY SIZE_MAX

struct heir {
	int session;		/* etssup's session of /dev/etsmgr, or -1 */
	struct held_table *held;
	size_t n, cap;
};

void heir_init(struct heir *h);

/* Open the session: 0 or -errno (etsmgr.ko not loaded: -ENOENT). */
int heir_open(struct heir *h);

/*
 * Take the next notice of a table handed to etssup: 0, -EAGAIN when none
 * is pending, or -errno.
 */
int heir_receive(struct heir *h, struct etsmgr_received *r);

/*
 * What the table holds, read through a read-only mapping: the number of
 * records of its libetsmgr record set, -ENODATA when it holds none, or
 * the error that makes it unreadable (-EUCLEAN: corrupt).
 */
long long heir_check_records(struct heir *h, const struct etsmgr_received *r);

/* Remember a table received from @from for the child spec @child. */
int heir_hold(struct heir *h, const struct etsmgr_received *r,
	      size_t child);

/* ETSMGR_IOC_GIVE of the held table @i to @pidfd; forgotten on success. */
int heir_give(struct heir *h, size_t i, int pidfd);

/* Forget the held table @i (it is gone, or not etssup's any more). */
void heir_forget(struct heir *h, size_t i);

/*
 * Close the session: the tables still held are then held by etsmgr.ko
 * itself, as if their owner had closed its session, and can be reclaimed
 * by name as usual.
 */
void heir_close(struct heir *h);

#endif
