// SPDX-License-Identifier: GPL-2.0
/*
 * IPC namespaces of the registry. Tables are keyed by the IPC namespace of
 * their creator, compared by pointer. A module cannot take a reference on
 * an ipc_namespace (put_ipc_ns() is not exported), and a freed namespace's
 * memory is soon reused by a new one, which would then inherit the dead
 * namespace's tables. So while a namespace has tables, the registry pins
 * it with an open nsfs file of it (/proc/thread-self/ns/ipc of the
 * creator), which keeps the namespace, and so its address, alive. That
 * file is opened before etsmgr_lock is taken: its path walk takes the
 * task's exec_update_lock, which exec holds around mmap_lock, and
 * etsmgr_lock nests inside mmap_lock (->mmap).
 *
 * Event subscribers (netlink.c) pin the namespace they subscribed from in
 * the same way, so that a subscriber is never told of the tables of a
 * later namespace that reuses a dead one's memory.
 *
 * A pinned namespace that nothing else refers to any more is dead: no
 * process can ever reach its tables again. A reaper, run every second
 * while any namespace is pinned, deletes their tables, drops their
 * subscribers and so unpins it.
 *
 * Locking: under etsmgr_lock (see etsmgr.h); the reaper takes it.
 */

#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/magic.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
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

/**
 * etsmgr_ns_pin_open() - open the caller's IPC namespace file
 *
 * Called without etsmgr_lock, before an operation that may add the first
 * table of the caller's namespace; etsmgr_ns_get() takes it if needed.
 *
 * Return: the file, or an ERR_PTR() (no /proc, or not the namespace).
 */
struct file *etsmgr_ns_pin_open(void)
{
	const struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct file *pin;

	pin = filp_open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC, 0);
	if (IS_ERR(pin)) {
		pr_warn_ratelimited("etsmgr: cannot open /proc/thread-self/ns/ipc (%ld): is /proc mounted?\n",
				    PTR_ERR(pin));
		return pin;
	}
	if (file_inode(pin)->i_sb->s_magic != NSFS_MAGIC ||
	    get_proc_ns(file_inode(pin)) != &ns->ns) {
		fput(pin);
		return ERR_PTR(-ENXIO);
	}
	return pin;
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
 * @pin: from etsmgr_ns_pin_open(), or an ERR_PTR() of its failure; taken
 *	(set to NULL) when @ns gets its record
 *
 * Takes a reference on the record (one per table and per subscriber),
 * creating it for the first one.
 *
 * Return: the record, or an ERR_PTR() if @ns cannot be pinned.
 */
struct etsmgr_ns *etsmgr_ns_get(const struct ipc_namespace *ns,
				struct file **pin)
{
	struct etsmgr_ns *ens;

	lockdep_assert_held(&etsmgr_lock);
	ens = etsmgr_ns_find(ns);
	if (ens) {
		ens->refs++;
		return ens;
	}

	if (IS_ERR_OR_NULL(*pin))
		return *pin ? ERR_CAST(*pin) : ERR_PTR(-EINVAL);
	ens = kzalloc(sizeof(*ens), GFP_KERNEL);
	if (!ens)
		return ERR_PTR(-ENOMEM);
	ens->ipc_ns = ns;
	ens->pin = *pin;
	*pin = NULL;
	ens->refs = 1;
	INIT_LIST_HEAD(&ens->subscribers);
	list_add(&ens->node, &etsmgr_namespaces);
	schedule_delayed_work(&etsmgr_ns_reaper, ETSMGR_NS_REAP_INTERVAL);
	return ens;
}

/*
 * Dead: no task's nsproxy refers to the namespace any more (its count is
 * down to the one the nsfs inode holds), and nothing but our pin holds its
 * nsfs dentry (a bind mount or an open ns file would let a process setns()
 * back into it). Nothing can revive a namespace in that state. The initial
 * namespace never dies (and from 6.19 on its count stays 1, see compat.h).
 */
static bool etsmgr_ns_dead(const struct etsmgr_ns *ens)
{
	return !etsmgr_ipc_ns_is_init(ens->ipc_ns) &&
	       etsmgr_ipc_ns_refs(ens->ipc_ns) == 1 &&
	       d_count(ens->pin->f_path.dentry) == 1;
}

static void etsmgr_ns_reap(struct work_struct *work)
{
	struct etsmgr_ns *ens, *next;

	mutex_lock(&etsmgr_lock);
	list_for_each_entry_safe(ens, next, &etsmgr_namespaces, node) {
		if (!etsmgr_ns_dead(ens))
			continue;
		/* Keep @ens until both are done with it. */
		ens->refs++;
		etsmgr_registry_reap_ns(ens);
		etsmgr_genl_reap_ns(ens);
		etsmgr_ns_put(ens);
	}
	if (!list_empty(&etsmgr_namespaces))
		schedule_delayed_work(&etsmgr_ns_reaper,
				      ETSMGR_NS_REAP_INTERVAL);
	mutex_unlock(&etsmgr_lock);
}

/* At module exit, with no table left. */
void etsmgr_ns_exit(void)
{
	cancel_delayed_work_sync(&etsmgr_ns_reaper);
	WARN_ON(!list_empty(&etsmgr_namespaces));
}

/* Drop a reference: unpin the namespace after its last table and subscriber. */
void etsmgr_ns_put(struct etsmgr_ns *ens)
{
	lockdep_assert_held(&etsmgr_lock);
	if (--ens->refs)
		return;
	WARN_ON(ens->tables || ens->bytes || ens->nr_subscribers);
	list_del(&ens->node);
	fput(ens->pin);
	kfree(ens);
}
