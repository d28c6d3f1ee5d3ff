// SPDX-License-Identifier: GPL-2.0
/*
 * Handing a table from one process to another, as ETS's heir and
 * give_away/3: SET_HEIR names the process whose session inherits the
 * table when its owner goes away, GIVE hands it over at once, and the
 * receiving session is told through poll (EPOLLIN) and RECEIVE.
 *
 * Processes are named by pidfd, so a reused pid can never be named, and
 * compared by struct pid. A process's session is its most recently opened
 * live one. A table only goes to a process in its own IPC namespace.
 *
 * A session keeps at most one notice per table: handing a table again to
 * a session that has not received it yet replaces the older notice, so
 * GIVE back and forth cannot grow kernel memory (charged to the caller's
 * memory cgroup), and only the receiving session is woken.
 *
 * Locking: under etsmgr_lock (see etsmgr.h), which also guards each
 * session's list of notices.
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

/**
 * struct etsmgr_notice - a table handed to a session, not yet received
 * @node: entry in the session's list of notices, oldest first.
 * @received: what ETSMGR_IOC_RECEIVE returns, but for from_pid.
 * @from: the previous owner's thread-group pid.
 */
struct etsmgr_notice {
	struct list_head node;
	struct etsmgr_received received;
	struct pid *from;
};

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

/*
 * The live session @pid opened last, other than @not; none once @pid
 * died, even if another process still holds the file.
 */
static struct etsmgr_session *
etsmgr_session_of(struct pid *pid, const struct etsmgr_session *not)
{
	struct etsmgr_session *session;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry(session, &etsmgr_sessions, node)
		if (session->pid == pid && session != not &&
		    etsmgr_owner_alive(session))
			return session;
	return NULL;
}

/* Is the process @pid in @table's IPC namespace? */
static bool etsmgr_process_in_ns(struct pid *pid,
				 const struct etsmgr_table *table)
{
	struct task_struct *task;
	bool in_ns = false;

	lockdep_assert_held(&etsmgr_lock);
	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task)
		return false;
	/* An exiting task has no nsproxy any more. */
	task_lock(task);
	if (task->nsproxy)
		in_ns = task->nsproxy->ipc_ns == table->ns->ipc_ns;
	task_unlock(task);
	put_task_struct(task);
	return in_ns;
}

/*
 * May the process @pid hold @table? -ESRCH when it is gone, -EXDEV when
 * it is in another IPC namespace.
 */
static int etsmgr_process_may_hold(struct pid *pid,
				   const struct etsmgr_table *table)
{
	struct task_struct *task;
	kuid_t euid;

	lockdep_assert_held(&etsmgr_lock);
	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_TGID);
	if (task)
		euid = __task_cred(task)->euid;
	rcu_read_unlock();
	if (!task)
		return -ESRCH;
	if (!etsmgr_process_in_ns(pid, table))
		return -EXDEV;
	if (!uid_eq(euid, table->uid) && !etsmgr_may_admin())
		return -EPERM;
	return 0;
}

/* @session's notice of the table @id not yet received, if any. */
static struct etsmgr_notice *etsmgr_notice_find(struct etsmgr_session *session,
						u64 id)
{
	struct etsmgr_notice *notice;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry(notice, &session->received, node)
		if (notice->received.id == id)
			return notice;
	return NULL;
}

/*
 * Make @to own the owned @table and queue it a notice, or bring its
 * pending notice of @table up to date. A new notice is allocated first,
 * so that a failure changes nothing.
 */
static int etsmgr_hand(struct etsmgr_table *table, struct etsmgr_session *to,
		       u32 how, u64 data, struct pid *from, u32 event)
{
	struct etsmgr_notice *notice;
	struct etsmgr_received *r;

	lockdep_assert_held(&etsmgr_lock);
	notice = etsmgr_notice_find(to, table->id);
	if (notice) {
		list_del(&notice->node);
		put_pid(notice->from);
		memset(&notice->received, 0, sizeof(notice->received));
	} else {
		notice = kzalloc(sizeof(*notice), GFP_KERNEL_ACCOUNT);
		if (!notice)
			return -ENOMEM;
	}
	/* @from may be the owner pid dropped below. */
	notice->from = get_pid(from);

	list_del(&table->owner_node);
	put_pid(table->owner_pid);
	table->owner = NULL;
	etsmgr_table_set_owner(table, to, to->pid, event);

	r = &notice->received;
	r->id = table->id;
	memcpy(r->name, table->name, sizeof(r->name));
	r->size = table->size;
	r->generation = table->generation;
	r->mmap_offset = etsmgr_mmap_offset(table);
	r->data = data;
	r->how = how;
	r->exit_reason = table->exit_reason;
	r->exit_status = table->exit_status;
	list_add_tail(&notice->node, &to->received);
	wake_up_all(&to->wq);
	return 0;
}

/**
 * etsmgr_heir_take() - give a table whose owner went away to its heir
 * @table: a table whose owner session is going away; reason set
 * @from: the old owner's pid
 *
 * Return: true if the heir's session owns it now, false if the manager
 * must hold it (no heir, the heir is gone or has no session, or the
 * manager is draining).
 */
bool etsmgr_heir_take(struct etsmgr_table *table, struct pid *from)
{
	struct etsmgr_session *heir;
	struct pid *pid = table->heir;

	lockdep_assert_held(&etsmgr_lock);
	/*
	 * A drain asks owners to let go and keep their mappings, to adopt
	 * the tables back after the reload: nothing changes owner meanwhile,
	 * so nothing fences those mappings.
	 */
	if (!pid || etsmgr_manager_state != ETSMGR_MANAGER_RUNNING)
		return false;
	table->heir = NULL;
	heir = etsmgr_session_of(pid, table->owner);
	/* The heir may have left the table's namespace since SET_HEIR. */
	if (heir && uid_eq(heir->uid, table->uid) &&
	    etsmgr_process_in_ns(pid, table) &&
	    !etsmgr_hand(table, heir, ETSMGR_RECEIVED_HEIR, table->heir_data,
			 from, ETSMGR_EVENT_INHERITED)) {
		etsmgr_counters.inherited++;
		put_pid(pid);
		return true;
	}
	put_pid(pid);
	return false;
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
		err = etsmgr_process_may_hold(pid, table);
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
	struct etsmgr_session *to;
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
	err = etsmgr_process_may_hold(pid, table);
	if (err)
		goto out;
	to = etsmgr_session_of(pid, NULL);
	if (!to) {
		err = -ENXIO;
		goto out;
	}
	if (etsmgr_manager_state != ETSMGR_MANAGER_RUNNING) {
		err = -ESHUTDOWN;
		goto out;
	}
	if (to != session) {
		err = etsmgr_hand(table, to, ETSMGR_RECEIVED_GIVEN, arg.data,
				  task_tgid(current), ETSMGR_EVENT_GIVEN);
		if (!err)
			etsmgr_counters.given++;
	}
out:
	mutex_unlock(&etsmgr_lock);
	put_pid(pid);
	return err;
}

int etsmgr_ioctl_receive(struct etsmgr_session *session,
			 struct etsmgr_received __user *uarg)
{
	struct etsmgr_notice *notice;
	struct etsmgr_received r;

	mutex_lock(&etsmgr_lock);
	notice = list_first_entry_or_null(&session->received,
					  struct etsmgr_notice, node);
	if (notice)
		list_del(&notice->node);
	mutex_unlock(&etsmgr_lock);
	if (!notice)
		return -EAGAIN;

	r = notice->received;
	r.from_pid = pid_vnr(notice->from);
	if (copy_to_user(uarg, &r, sizeof(r))) {
		/* Not lost: the next RECEIVE gets it. */
		mutex_lock(&etsmgr_lock);
		list_add(&notice->node, &session->received);
		mutex_unlock(&etsmgr_lock);
		return -EFAULT;
	}
	put_pid(notice->from);
	kfree(notice);
	return 0;
}

/* The session goes away: drop the notices it never received. */
void etsmgr_notices_free(struct etsmgr_session *session)
{
	struct etsmgr_notice *notice, *next;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry_safe(notice, next, &session->received, node) {
		put_pid(notice->from);
		kfree(notice);
	}
}
