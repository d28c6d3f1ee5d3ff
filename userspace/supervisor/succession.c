// SPDX-License-Identifier: GPL-2.0
/*
 * etssup as heir: a child with heir names etssup the heir of its etsmgr
 * tables; etssup takes them at its death (heir.c), holds them and gives
 * them to its successor, the restarted instance or the standby. While
 * etsmgr drains (a reload), etssup lets go of its session and opens a
 * new one when etsmgr serves again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "monotonic.h"
#include "report.h"
#include "sup.h"

/* While the manager is away (drained), a new session is tried this often. */
#define HEIR_REOPEN_MS 200

/* Whose was the dead owner @pid: a child spec's index, or HELD_NOBODY. */
static size_t owner_spec(struct sup *s, pid_t pid)
{
	for (size_t i = 0; pid > 0 && i < 2 * s->n; i++) {
		const struct child *c = &s->children[i];

		if (c->pid == pid || c->last_pid == pid)
			return spec_index(s, c);
	}
	return HELD_NOBODY;
}

/*
 * "records: 3", as read through a read-only mapping of the table: a look
 * at what the dead child left, before its successor gets it.
 */
static void records_text(struct heir *h, const struct etsmgr_received *r,
			 char *buf, size_t len)
{
	long long n = heir_check_records(h, r);

	if (n >= 0)
		snprintf(buf, len, "records: %lld", n);
	else if (n == -ENODATA)
		snprintf(buf, len, "records: none (no libetsmgr record set)");
	else
		snprintf(buf, len, "records: unreadable (%s)",
			 strerror((int)-n));
}

/* Take every table handed to etssup (a child died) and hold it. */
void sup_receive_tables(struct sup *s)
{
	struct etsmgr_received r;
	char records[96];
	size_t i;
	int ret;

	while ((ret = heir_receive(&s->heir, &r)) == 0) {
		i = owner_spec(s, r.from_pid);
		records_text(&s->heir, &r, records, sizeof(records));
		report_table(s->spec->name, "inherited", r.id, r.name, "from",
			     r.from_pid, i == HELD_NOBODY ? NULL :
			     &s->spec->children[i], records);
		if (i == HELD_NOBODY)
			report_message("table %llu (%s) came from pid %d, no child of ours: etssup keeps it until it exits, then etsmgr holds it",
				       (unsigned long long)r.id, r.name,
				       (int)r.from_pid);
		if (heir_hold(&s->heir, &r, i) < 0)
			report_message("out of memory: table %llu (%s) stays etssup's until it exits",
				       (unsigned long long)r.id, r.name);
	}
	if (ret != -EAGAIN)
		report_message("cannot receive a table from etsmgr: %s",
			       strerror(-ret));
}

/* Does etssup hold a table the process @pid of child @i left? */
bool sup_holds_from(const struct sup *s, size_t i, pid_t pid)
{
	for (size_t k = 0; k < s->heir.n; k++)
		if (s->heir.held[k].child == i && s->heir.held[k].from == pid)
			return true;
	return false;
}

/*
 * Who gets child @i's table that @from left: a live instance other than
 * @from (the restarted or promoted one), else the standby, which takes
 * over as soon as it has it. NULL: nobody yet (the restart will come).
 */
static struct child *successor(struct sup *s, size_t i, pid_t from)
{
	struct child *a = &s->children[i], *b = standby_of(s, a);

	if (child_running(a) && a->pid != from)
		return a;
	/* Its restart waits (backoff): the tables wait for it, not the standby. */
	if (!child_running(a) && a->start_due_ns)
		return NULL;
	if (b && child_running(b))
		return b;
	return NULL;
}

/*
 * Give each held table to its child's successor. Returns true when one
 * waits for its successor to open a session (ENXIO): try again soon.
 */
bool sup_deliver(struct sup *s)
{
	bool waiting = false;
	size_t i = 0;

	while (i < s->heir.n) {
		struct held_table t = s->heir.held[i];
		struct child *to;
		int ret;

		to = t.child == HELD_NOBODY ? NULL :
		     successor(s, t.child, t.from);
		if (!to) {
			i++;
			continue;
		}
		ret = heir_give(&s->heir, i, to->pidfd);
		if (ret == 0) {
			to->given_tables = true;
			report_table(s->spec->name, "gave", t.id, t.name, "to",
				     to->pid, to->spec, NULL);
			continue;
		}
		if (ret == -ENXIO)	/* no session yet: it is starting */
			waiting = true;
		if (ret == -ENXIO || ret == -ESRCH) {	/* died: exit pending */
			i++;
			continue;
		}
		if (ret == -ENOENT) {
			report_message("table %llu (%s) was deleted while etssup held it",
				       (unsigned long long)t.id, t.name);
			heir_forget(&s->heir, i);
			continue;
		}
		report_message("cannot give table %llu (%s) to child %s (pid %d): %s; etssup keeps it until it exits, then etsmgr holds it",
			       (unsigned long long)t.id, t.name, to->spec->id,
			       (int)to->pid, strerror(-ret));
		s->heir.held[i++].child = HELD_NOBODY;
	}
	return waiting;
}

/*
 * The manager is stopping (a drain, for a reload): like every client,
 * let go of the session so that it can unload; the tables still held go
 * to the manager, to be reclaimed by name. A new session is tried every
 * HEIR_REOPEN_MS until the manager serves again.
 */
void sup_heir_let_go(struct sup *s)
{
	report_message("etsmgr is stopping: etssup lets go of its session (%zu table(s) it held stay with etsmgr) and opens a new one when etsmgr serves again",
		       s->heir.n);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->heir.session, NULL);
	heir_close(&s->heir);
	s->heir_reopen_ns = monotonic_ns() + HEIR_REOPEN_MS * 1000000ull;
}

/* Try the new session when due; returns ms until the next try, or -1. */
int sup_heir_reopen(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_ETSMGR };
	uint64_t now = monotonic_ns();

	if (!s->heir_reopen_ns)
		return -1;
	if (now < s->heir_reopen_ns)
		return (int)((s->heir_reopen_ns - now + 999999) / 1000000);
	if (heir_open(&s->heir) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->heir.session, &ev) < 0) {
		heir_close(&s->heir);
		s->heir_reopen_ns = now + HEIR_REOPEN_MS * 1000000ull;
		return HEIR_REOPEN_MS;
	}
	s->heir_reopen_ns = 0;
	report_message("etsmgr serves again: etssup is its children's heir again");
	return -1;
}
