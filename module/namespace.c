// SPDX-License-Identifier: GPL-2.0
/*
 * IPC namespaces of the registry. Tables are keyed by the IPC namespace of
 * their creator, compared by pointer. A module cannot take a reference on
 * an ipc_namespace (put_ipc_ns() is not exported), and a freed namespace's
 * memory is soon reused by a new one, which would then inherit the dead
 * namespace's tables. So while a namespace has tables, the registry pins
 * it with an open nsfs file of it (/proc/thread-self/ns/ipc of the
 * creator), which keeps the namespace, and so its address, alive.
 *
 * Locking: under etsmgr_lock (see etsmgr.h).
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
#include <linux/slab.h>

#include "etsmgr.h"

static LIST_HEAD(etsmgr_namespaces);

/* Open the calling thread's own IPC namespace file, and make sure it is. */
static struct file *etsmgr_ns_pin(const struct ipc_namespace *ns)
{
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

/**
 * etsmgr_ns_get() - the registry's record of the caller's IPC namespace
 * @ns: current->nsproxy->ipc_ns
 *
 * Counts one more table in @ns; pins @ns when it gets its first table.
 *
 * Return: the record, or an ERR_PTR() if @ns cannot be pinned.
 */
struct etsmgr_ns *etsmgr_ns_get(const struct ipc_namespace *ns)
{
	struct etsmgr_ns *ens;
	struct file *pin;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry(ens, &etsmgr_namespaces, node) {
		if (ens->ipc_ns == ns) {
			ens->tables++;
			return ens;
		}
	}

	ens = kzalloc(sizeof(*ens), GFP_KERNEL);
	if (!ens)
		return ERR_PTR(-ENOMEM);
	pin = etsmgr_ns_pin(ns);
	if (IS_ERR(pin)) {
		kfree(ens);
		return ERR_CAST(pin);
	}
	ens->ipc_ns = ns;
	ens->pin = pin;
	ens->tables = 1;
	list_add(&ens->node, &etsmgr_namespaces);
	return ens;
}

/* One table fewer in @ens: unpin the namespace after its last table. */
void etsmgr_ns_put(struct etsmgr_ns *ens)
{
	lockdep_assert_held(&etsmgr_lock);
	if (--ens->tables)
		return;
	list_del(&ens->node);
	fput(ens->pin);
	kfree(ens);
}
