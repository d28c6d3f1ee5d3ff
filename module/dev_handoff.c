// SPDX-License-Identifier: GPL-2.0
/*
 * The handoff ioctls of the char device, as ETS's heir and give_away/3:
 * SET_HEIR names the process whose session inherits the table when its
 * owner goes away, GIVE hands it over at once, and the receiving session
 * is told through poll (EPOLLIN) and RECEIVE. The state machine and the
 * notices are ownership.c's; here are the copies from and to userspace.
 *
 * Processes are named by pidfd, so a reused pid can never be named.
 *
 * Locking: each ioctl copies its argument in before taking etsmgr_lock
 * and the answer out after dropping it (see etsmgr.h).
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "etsmgr.h"

/* The struct pid a pidfd names, with a reference. */
static struct pid *etsmgr_pidfd_get(int pidfd)
{
	struct file *file = fget(pidfd);
	struct pid *pid;

	if (!file)
		return ERR_PTR(-EBADF);
	pid = etsmgr_pidfd_pid(file);
	if (!IS_ERR(pid))
		get_pid(pid);
	fput(file);
	return pid;
}

/* Copy in and check an etsmgr_handoff. */
static int etsmgr_handoff_get(struct etsmgr_handoff *arg,
			      const struct etsmgr_handoff __user *uarg)
{
	if (copy_from_user(arg, uarg, sizeof(*arg)))
		return -EFAULT;
	if (arg->flags ||
	    memchr_inv(arg->__reserved, 0, sizeof(arg->__reserved)))
		return -EINVAL;
	return 0;
}

/* The table @id, if the calling @session owns it. */
static struct etsmgr_table *etsmgr_owned(struct etsmgr_session *session,
					 u64 id)
{
	struct etsmgr_table *table;

	lockdep_assert_held(&etsmgr_lock);
	table = etsmgr_table_find_id(current->nsproxy->ipc_ns, id);
	if (!table)
		return ERR_PTR(-ENOENT);
	if (table->owner != session)
		return ERR_PTR(-EPERM);
	return table;
}

int etsmgr_ioctl_set_heir(struct etsmgr_session *session,
			  const struct etsmgr_handoff __user *uarg)
{
	struct etsmgr_table *table;
	struct etsmgr_handoff arg;
	struct pid *pid = NULL;
	int err;

	err = etsmgr_handoff_get(&arg, uarg);
	if (err)
		return err;
	if (arg.pidfd != -1) {
		pid = etsmgr_pidfd_get(arg.pidfd);
		if (IS_ERR(pid))
			return PTR_ERR(pid);
	}

	mutex_lock(&etsmgr_lock);
	table = etsmgr_owned(session, arg.id);
	if (IS_ERR(table)) {
		err = PTR_ERR(table);
		goto out;
	}
	if (pid) {
		err = etsmgr_may_hold(pid, table);
		if (err)
			goto out;
	}
	swap(table->heir, pid);
	table->heir_data = arg.data;
	etsmgr_registry_seq++;
out:
	mutex_unlock(&etsmgr_lock);
	put_pid(pid);
	return err;
}

int etsmgr_ioctl_give(struct etsmgr_session *session,
		      const struct etsmgr_handoff __user *uarg)
{
	struct etsmgr_table *table;
	struct etsmgr_handoff arg;
	struct pid *pid;
	int err;

	err = etsmgr_handoff_get(&arg, uarg);
	if (err)
		return err;
	if (arg.pidfd == -1)
		return -EINVAL;
	pid = etsmgr_pidfd_get(arg.pidfd);
	if (IS_ERR(pid))
		return PTR_ERR(pid);

	mutex_lock(&etsmgr_lock);
	table = etsmgr_owned(session, arg.id);
	if (IS_ERR(table)) {
		err = PTR_ERR(table);
		goto out;
	}
	err = etsmgr_give(table, session, pid, arg.data);
out:
	mutex_unlock(&etsmgr_lock);
	put_pid(pid);
	/* The giver's mappings are fenced before it returns. */
	etsmgr_fence_run();
	return err;
}

int etsmgr_ioctl_receive(struct etsmgr_session *session,
			 struct etsmgr_received __user *uarg)
{
	struct etsmgr_notice *notice;
	struct etsmgr_received r;

	notice = etsmgr_notice_take(session, &r);
	if (!notice)
		return -EAGAIN;
	if (copy_to_user(uarg, &r, sizeof(r))) {
		/* Not lost: the next RECEIVE gets it. */
		etsmgr_notice_return(session, notice);
		return -EFAULT;
	}
	etsmgr_notice_done(notice);
	return 0;
}

