// SPDX-License-Identifier: GPL-2.0
/*
 * IPC namespaces of the registry. Tables are keyed by the IPC namespace of
 * their creator, compared by pointer. A freed namespace's memory is soon
 * reused by a new one, which would then inherit the dead namespace's
 * tables, so while a namespace has tables, its record holds a reference
 * on it, which keeps the namespace, and so its address, alive. The
 * reference is taken from the caller's own nsproxy (the namespace the
 * caller is in, which it cannot leave while in a syscall), never by
 * opening a path: a path such as /proc/thread-self/ns/ipc resolves in the
 * caller's root and mounts, which any user can make into a FIFO that
 * blocks the open for ever (with genetlink's lock held, for SUBSCRIBE).
 *
 * Event subscribers (genl.c) hold the namespace they subscribed from in
 * the same way, so that a subscriber is never told of the tables of a
 * later namespace that reuses a dead one's memory.
 *
 * A namespace that nothing but its record refers to any more is dead: no
 * process can ever reach its tables again. A reaper, run every second
 * while any namespace has a record, says so (etsmgr_event_ns_dead()): the
 * registry deletes its tables, the netlink front end drops its
 * subscribers, and so the reference goes. Each round also sweeps what
 * went away by itself (subscriptions whose socket was closed).
 *
 * Locking: under etsmgr_lock (see etsmgr.h); the reaper takes it.
 */

#include <linux/ipc_namespace.h>
#include <linux/list.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "etsmgr.h"

static LIST_HEAD(etsmgr_namespaces);

static void etsmgr_ns_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(etsmgr_ns_reaper, etsmgr_ns_reap);
#define ETSMGR_NS_REAP_INTERVAL	HZ

/*
 * put_ipc_ns() is not exported to modules on 6.1; the namespace's own
 * operations, with which nsfs drops the reference of its inodes, do the
 * same on every kernel. Without CONFIG_IPC_NS there is only the initial
 * namespace, never freed, and get_ipc_ns() takes nothing.
 */
void etsmgr_put_ipc_ns(struct ipc_namespace *ns)
{
	if (IS_ENABLED(CONFIG_IPC_NS))
		ns->ns.ops->put(&ns->ns);
}

/* The record of @ns if it has one (tables or subscribers), else NULL. */
struct etsmgr_ns *etsmgr_ns_find(const struct ipc_namespace *ns)
{
	struct etsmgr_ns *ens;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry(ens, &etsmgr_namespaces, node)
		if (ens->ipc_ns == ns)
			return ens;
	return NULL;
}

/* Is @ns the initial IPC namespace, the host administrator's? */
bool etsmgr_ipc_ns_is_init(const struct ipc_namespace *ns)
{
	/* init_ipc_ns is not exported; init_task's nsproxy never changes. */
	return ns == READ_ONCE(init_task.nsproxy)->ipc_ns;
}

/**
 * etsmgr_ns_get() - the registry's record of the caller's IPC namespace
 * @ns: current->nsproxy->ipc_ns
 *
 * Takes a reference on the record (one per table and per subscriber),
 * creating it, with a reference on @ns, for the first one.
 *
 * Return: the record, or ERR_PTR(-ENOMEM).
 */
struct etsmgr_ns *etsmgr_ns_get(const struct ipc_namespace *ns)
{
	struct ipc_namespace *ipc_ns = current->nsproxy->ipc_ns;
	struct etsmgr_ns *ens;

	lockdep_assert_held(&etsmgr_lock);
	/* Only the caller's own namespace is known to be alive. */
	if (WARN_ON_ONCE(ns != ipc_ns))
		return ERR_PTR(-EINVAL);
	ens = etsmgr_ns_find(ns);
	if (ens) {
		ens->refs++;
		return ens;
	}

	ens = kzalloc(sizeof(*ens), GFP_KERNEL);
	if (!ens)
		return ERR_PTR(-ENOMEM);
	ens->ipc_ns = get_ipc_ns(ipc_ns);
	ens->refs = 1;
	INIT_LIST_HEAD(&ens->subscribers);
	list_add(&ens->node, &etsmgr_namespaces);
	schedule_delayed_work(&etsmgr_ns_reaper, ETSMGR_NS_REAP_INTERVAL);
	return ens;
}

/*
 * Dead: no task's nsproxy refers to the namespace any more, and no nsfs
 * inode does either (a bind mount or an open namespace file would let a
 * process setns() back into it): the only reference left is the record's.
 * Nothing can revive a namespace in that state: a new reference is only
 * ever taken from one of those.
 * The initial namespace never dies (and from 6.19 on its count stays 1,
 * see compat.h).
 */
static bool etsmgr_ns_dead(const struct etsmgr_ns *ens)
{
	return !etsmgr_ipc_ns_is_init(ens->ipc_ns) &&
	       etsmgr_ipc_ns_refs(ens->ipc_ns) == 1;
}

/*
 * Reaping a namespace sends events, and a send that finds its subscriber's
 * socket gone drops that subscriber: any record, the next one in
 * etsmgr_namespaces included (the initial namespace's, say, whose last
 * subscriber left), may be freed meanwhile. So no cursor into that list
 * is kept across a reap: the dead records are first collected, each with
 * a reference that keeps it until its own turn, on a list of their own.
 */
static void etsmgr_ns_reap(struct work_struct *work)
{
	struct etsmgr_ns *ens, *next;
	LIST_HEAD(dead);

	mutex_lock(&etsmgr_lock);
	/* Closed subscribers go first: that may free records too. */
	etsmgr_event_sweep();
	list_for_each_entry(ens, &etsmgr_namespaces, node) {
		if (!etsmgr_ns_dead(ens))
			continue;
		ens->refs++;
		list_add_tail(&ens->reap_node, &dead);
	}
	list_for_each_entry_safe(ens, next, &dead, reap_node) {
		list_del(&ens->reap_node);
		/* Its tables are deleted, its subscribers dropped. */
		etsmgr_event_ns_dead(ens);
		/* Frees @ens; @next is still held by its own reference. */
		etsmgr_ns_put(ens);
	}
	if (!list_empty(&etsmgr_namespaces))
		schedule_delayed_work(&etsmgr_ns_reaper,
				      ETSMGR_NS_REAP_INTERVAL);
	mutex_unlock(&etsmgr_lock);
	etsmgr_fence_run();
}

/* At module exit, with no table left. */
void etsmgr_ns_exit(void)
{
	cancel_delayed_work_sync(&etsmgr_ns_reaper);
	WARN_ON(!list_empty(&etsmgr_namespaces));
}

/* Drop a reference; the last one (no table, no subscriber) frees @ens. */
void etsmgr_ns_put(struct etsmgr_ns *ens)
{
	lockdep_assert_held(&etsmgr_lock);
	if (--ens->refs)
		return;
	WARN_ON(ens->tables || ens->bytes || ens->nr_subscribers);
	list_del(&ens->node);
	etsmgr_put_ipc_ns(ens->ipc_ns);
	kfree(ens);
}
