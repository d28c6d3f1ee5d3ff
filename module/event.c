// SPDX-License-Identifier: GPL-2.0
/*
 * Events, the bottom layer: what happened to a table or a namespace goes
 * to every registered consumer, so that the layers that report a change
 * never call up into the ones that show it. The netlink front end
 * (genl.c) is one consumer; the registry is another, of the death of a
 * namespace (whose tables it deletes).
 *
 * Locking: consumers are registered and called under etsmgr_lock, so
 * events reach them in the order of the changes they report.
 */

#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>

#include "etsmgr.h"

static LIST_HEAD(etsmgr_consumers);

/* Add @consumer, after those already registered: it is called last. */
void etsmgr_event_register(struct etsmgr_event_consumer *consumer)
{
	mutex_lock(&etsmgr_lock);
	list_add_tail(&consumer->node, &etsmgr_consumers);
	mutex_unlock(&etsmgr_lock);
}

void etsmgr_event_unregister(struct etsmgr_event_consumer *consumer)
{
	mutex_lock(&etsmgr_lock);
	list_del(&consumer->node);
	mutex_unlock(&etsmgr_lock);
}

/**
 * etsmgr_event() - something happened to a table, or to the manager
 * @event: enum etsmgr_event
 * @table: the table, or NULL for ETSMGR_EVENT_MANAGER_STOPPING
 * @pid: the process the event is about (see enum etsmgr_event), or NULL
 */
void etsmgr_event(u32 event, const struct etsmgr_table *table,
		  struct pid *pid)
{
	struct etsmgr_event_consumer *c;

	lockdep_assert_held(&etsmgr_lock);
	etsmgr_counters.events++;
	list_for_each_entry(c, &etsmgr_consumers, node)
		if (c->table_event)
			c->table_event(event, table, pid);
}

/**
 * etsmgr_event_ns_reaped() - @table of a dead namespace is being deleted
 * @table: the table; the host's administrator is to be told
 */
void etsmgr_event_ns_reaped(const struct etsmgr_table *table)
{
	struct etsmgr_event_consumer *c;

	lockdep_assert_held(&etsmgr_lock);
	etsmgr_counters.events++;
	list_for_each_entry(c, &etsmgr_consumers, node)
		if (c->ns_reaped)
			c->ns_reaped(table);
}

/**
 * etsmgr_event_ns_dead() - no process can enter @ens's namespace again
 * @ens: its record; the caller holds a reference on it
 *
 * Consumers let go of what they keep of it (its tables, its
 * subscribers), in the order they registered.
 */
void etsmgr_event_ns_dead(struct etsmgr_ns *ens)
{
	struct etsmgr_event_consumer *c;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry(c, &etsmgr_consumers, node)
		if (c->ns_dead)
			c->ns_dead(ens);
}

/**
 * etsmgr_event_sweep() - the reaper's periodic round: consumers drop what
 *	went away by itself (a subscriber's closed socket)
 */
void etsmgr_event_sweep(void)
{
	struct etsmgr_event_consumer *c, *next;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry_safe(c, next, &etsmgr_consumers, node)
		if (c->sweep)
			c->sweep();
}
