// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the tables of each child's run, from the module's events (see
 * tablewatch.h).
 */
#include <errno.h>
#include <string.h>

#include "tablewatch.h"

int table_watch_open(struct table_watch *tw, table_watch_filter is_child,
		     void *arg)
{
	int ret;

	memset(tw, 0, sizeof(*tw));
	tw->is_child = is_child;
	tw->arg = arg;
	ret = etsmgr_nl_open(&tw->nl);
	if (ret)
		return ret;
	ret = etsmgr_nl_subscribe_events(tw->nl);
	if (ret) {
		etsmgr_nl_close(tw->nl);
		tw->nl = NULL;
	}
	return ret;
}

void table_watch_close(struct table_watch *tw)
{
	if (tw->nl)
		etsmgr_nl_close(tw->nl);
	tw->nl = NULL;
}

int table_watch_fd(const struct table_watch *tw)
{
	return etsmgr_nl_event_fd(tw->nl);
}

static struct watched_table *find(struct table_watch *tw, uint64_t id)
{
	for (size_t i = 0; i < tw->count; i++)
		if (tw->tables[i].id == id)
			return &tw->tables[i];
	return NULL;
}

static void drop(struct table_watch *tw, struct watched_table *t)
{
	*t = tw->tables[--tw->count];
}

/* A child's run owns the table now: created, or taken over. */
static void owned(struct table_watch *tw, const struct etsmgr_table_event *e,
		  bool took_over, uint64_t now_ns)
{
	struct watched_table *t = find(tw, e->table.id);

	if (!tw->is_child(tw->arg, (pid_t)e->pid)) {
		/* Another process has it now: no child's any more. */
		if (t)
			drop(tw, t);
		return;
	}
	if (!t) {
		if (tw->count == TABLE_WATCH_MAX) {
			tw->lost = true;
			return;
		}
		t = &tw->tables[tw->count++];
	}
	t->pid = (pid_t)e->pid;
	t->id = e->table.id;
	memcpy(t->name, e->table.name, sizeof(t->name));
	t->took_over = took_over;
	t->took_over_ns = took_over ? now_ns : 0;
}

static void take_in(struct table_watch *tw, const struct etsmgr_table_event *e,
		    uint64_t now_ns)
{
	struct watched_table *t;

	switch (e->event) {
	case ETSMGR_EVENT_CREATED:
		owned(tw, e, false, now_ns);
		break;
	case ETSMGR_EVENT_RECLAIMED:
	case ETSMGR_EVENT_ADOPTED:
	case ETSMGR_EVENT_GIVEN:
	case ETSMGR_EVENT_INHERITED:
		owned(tw, e, true, now_ns);
		break;
	case ETSMGR_EVENT_RENAMED:
		t = find(tw, e->table.id);
		if (t)
			memcpy(t->name, e->table.name, sizeof(t->name));
		break;
	case ETSMGR_EVENT_DELETED:
	case ETSMGR_EVENT_NS_REAPED:
		t = find(tw, e->table.id);
		if (t)
			drop(tw, t);
		break;
	default:
		/* OWNER_EXITED: still the dead run's last tables. */
		break;
	}
}

static int relearn_one(const struct etsmgr_table *table, void *arg)
{
	struct table_watch *tw = arg;
	struct watched_table *t;

	if (!table->owner_pid || !tw->is_child(tw->arg, (pid_t)table->owner_pid))
		return 0;
	if (tw->count == TABLE_WATCH_MAX)
		return -ENOSPC;
	t = &tw->tables[tw->count++];
	memset(t, 0, sizeof(*t));
	t->pid = (pid_t)table->owner_pid;
	t->id = table->id;
	memcpy(t->name, table->name, sizeof(t->name));
	return 0;
}

/*
 * After lost events: what the children own now, from a dump. Whether a
 * run took its tables over is not in a dump: none did, as far as the
 * crash-loop rules go, so a lost event never makes a loop. The tables of
 * runs that died unseen are lost with the events.
 */
static int relearn(struct table_watch *tw)
{
	int ret;

	tw->count = 0;
	ret = etsmgr_nl_dump_tables(tw->nl, relearn_one, tw);
	tw->lost = ret != 0;
	return ret;
}

int table_watch_read(struct table_watch *tw, uint64_t now_ns)
{
	struct etsmgr_table_event e;
	int ret;

	while ((ret = etsmgr_nl_read_event(tw->nl, &e, 0)) == 1)
		take_in(tw, &e, now_ns);
	if (ret == -ENOBUFS) {
		tw->lost = true;
		relearn(tw);
		return -ENOBUFS;
	}
	return ret;
}

size_t table_watch_of(const struct table_watch *tw, pid_t pid,
		      struct watched_table *out, size_t max, bool *complete)
{
	size_t n = 0;

	for (size_t i = 0; i < tw->count; i++) {
		if (tw->tables[i].pid != pid)
			continue;
		if (n < max)
			out[n] = tw->tables[i];
		n++;
	}
	*complete = !tw->lost && n <= max;
	return n;
}

bool table_watch_took_over(const struct table_watch *tw, pid_t pid,
			   uint64_t *when_ns, size_t *held)
{
	bool took_over = false;

	*when_ns = UINT64_MAX;
	*held = 0;
	for (size_t i = 0; i < tw->count; i++) {
		const struct watched_table *t = &tw->tables[i];

		if (t->pid != pid)
			continue;
		(*held)++;
		if (t->took_over) {
			took_over = true;
			if (t->took_over_ns < *when_ns)
				*when_ns = t->took_over_ns;
		}
	}
	return took_over;
}

void table_watch_forget(struct table_watch *tw, pid_t pid)
{
	for (size_t i = 0; i < tw->count;) {
		if (tw->tables[i].pid == pid)
			drop(tw, &tw->tables[i]);
		else
			i++;
	}
}
