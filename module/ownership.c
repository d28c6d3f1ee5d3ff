// SPDX-License-Identifier: GPL-2.0
/*
 * Ownership, the layer above the registry: sessions as the handles of
 * owner processes, and the owner state machine. A table is owned by a
 * process through one of its sessions (set_owner), goes to its heir or
 * to the manager when the owner lets go (release: a close, or the death
 * of the process, seen by pidwatch.c), and is handed to another process
 * by GIVE, which queues a notice for its session (at most one per table,
 * so GIVE back and forth cannot grow kernel memory; charged to the
 * caller's memory cgroup; only the receiving session is woken).
 *
 * Processes are compared by struct pid. A process's session is its most
 * recently opened live one; a session acts for the process that opened
 * it only. A table only goes to a process in its own IPC namespace.
 *
 * The char device front end (dev*.c) calls into this file; this file
 * calls the registry, fence.c, pidwatch.c and event.c below it.
 *
 * Locking: under etsmgr_lock (see etsmgr.h), which also guards the list
 * of sessions, each session's tables and notices.
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "etsmgr.h"

/* Every open session, newest first (etsmgr_session.node). */
static LIST_HEAD(etsmgr_sessions);

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

/* The session goes away: drop the notices it never received. */
static void etsmgr_notices_free(struct etsmgr_session *session)
{
	struct etsmgr_notice *notice, *next;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry_safe(notice, next, &session->received, node) {
		put_pid(notice->from);
		kfree(notice);
	}
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
		    etsmgr_pidwatch_alive(&session->watch))
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
int etsmgr_may_hold(struct pid *pid, const struct etsmgr_table *table)
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

/* ------------------------------------------------------------------ */
/* The owner state machine                                             */
/* ------------------------------------------------------------------ */

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
static bool etsmgr_heir_take(struct etsmgr_table *table, struct pid *from)
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

/**
 * etsmgr_table_set_owner() - make @session the owner of a table
 * @table: a table without an owner: new, held, or adopted
 * @session: the new owner
 * @pid: the new owner's thread-group pid
 * @event: ETSMGR_EVENT_CREATED, _RECLAIMED (of a held table), _ADOPTED,
 *	_GIVEN or _INHERITED
 *
 * But for a creation, the earlier owners' mappings are fenced: the caller
 * runs etsmgr_fence_run() once it dropped etsmgr_lock.
 */
void etsmgr_table_set_owner(struct etsmgr_table *table,
			    struct etsmgr_session *session, struct pid *pid,
			    u32 event)
{
	lockdep_assert_held(&etsmgr_lock);
	if (event == ETSMGR_EVENT_RECLAIMED)
		etsmgr_counters.held--;
	table->owner = session;
	table->owner_pid = get_pid(pid);
	list_add_tail(&table->owner_node, &session->tables);
	table->generation++;
	/* The mappings of earlier owners stop writing it (fence.c). */
	if (event != ETSMGR_EVENT_CREATED)
		etsmgr_fence_queue(table, table->generation);
	table->transfer_time_ns = ktime_get_real_ns();
	etsmgr_registry_seq++;
	etsmgr_event(event, table, table->owner_pid);
}

/**
 * etsmgr_table_release() - the owner lets go: the heir's session or the
 *	manager gets the table
 * @table: an owned table
 * @reason: enum etsmgr_exit_reason
 * @status: exit status or signal number
 */
void etsmgr_table_release(struct etsmgr_table *table, u32 reason, s32 status)
{
	struct pid *old_owner = table->owner_pid;

	lockdep_assert_held(&etsmgr_lock);
	table->exit_reason = reason;
	table->exit_status = status;
	if (etsmgr_heir_take(table, old_owner))
		return;
	list_del_init(&table->owner_node);
	table->owner = NULL;
	table->owner_pid = NULL;
	table->transfer_time_ns = ktime_get_real_ns();
	etsmgr_counters.held++;
	etsmgr_registry_seq++;
	etsmgr_event(ETSMGR_EVENT_OWNER_EXITED, table, old_owner);
	put_pid(old_owner);
}

/**
 * etsmgr_give() - GIVE: hand @table, owned by @from, to the process @pid
 * @table: the table, which the caller owns through @from
 * @from: the caller's session
 * @pid: the receiving process
 * @data: the value it is told with the table
 *
 * Return: 0 (also when @pid is the caller itself: nothing changes),
 * -ESRCH, -EXDEV, -EPERM (as etsmgr_may_hold()), -ENXIO (@pid has no
 * session), -ESHUTDOWN (the manager drains), -ENOMEM.
 */
int etsmgr_give(struct etsmgr_table *table, struct etsmgr_session *from,
		struct pid *pid, u64 data)
{
	struct etsmgr_session *to;
	int err;

	lockdep_assert_held(&etsmgr_lock);
	err = etsmgr_may_hold(pid, table);
	if (err)
		return err;
	to = etsmgr_session_of(pid, NULL);
	if (!to)
		return -ENXIO;
	if (etsmgr_manager_state != ETSMGR_MANAGER_RUNNING)
		return -ESHUTDOWN;
	if (to == from)
		return 0;
	err = etsmgr_hand(table, to, ETSMGR_RECEIVED_GIVEN, data,
			  task_tgid(current), ETSMGR_EVENT_GIVEN);
	if (!err)
		etsmgr_counters.given++;
	return err;
}

/* ------------------------------------------------------------------ */
/* Notices                                                             */
/* ------------------------------------------------------------------ */

/**
 * etsmgr_notice_take() - the oldest notice of @session, off its list
 * @session: the session
 * @r: out: what ETSMGR_IOC_RECEIVE returns
 *
 * Return: the notice, to be given to etsmgr_notice_done() once @r was
 * copied out or to etsmgr_notice_return() if it could not be; or NULL
 * when there is none.
 */
struct etsmgr_notice *etsmgr_notice_take(struct etsmgr_session *session,
					 struct etsmgr_received *r)
{
	struct etsmgr_notice *notice;

	mutex_lock(&etsmgr_lock);
	notice = list_first_entry_or_null(&session->received,
					  struct etsmgr_notice, node);
	if (notice)
		list_del(&notice->node);
	mutex_unlock(&etsmgr_lock);
	if (!notice)
		return NULL;
	*r = notice->received;
	r->from_pid = pid_vnr(notice->from);
	return notice;
}

/* The notice could not be copied out: the next RECEIVE gets it. */
void etsmgr_notice_return(struct etsmgr_session *session,
			  struct etsmgr_notice *notice)
{
	mutex_lock(&etsmgr_lock);
	list_add(&notice->node, &session->received);
	mutex_unlock(&etsmgr_lock);
}

void etsmgr_notice_done(struct etsmgr_notice *notice)
{
	put_pid(notice->from);
	kfree(notice);
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */
/* ------------------------------------------------------------------ */

/*
 * Is the caller the process that opened @session? Only it may act
 * through it: a forked child or an SCM_RIGHTS receiver holds the same
 * file but is another process.
 */
bool etsmgr_session_mine(const struct etsmgr_session *session)
{
	return task_tgid(current) == session->pid;
}

/* Does the caller own @table, through @session? */
bool etsmgr_owns(const struct etsmgr_table *table,
		 const struct etsmgr_session *session)
{
	return table->owner == session && etsmgr_session_mine(session);
}

/**
 * etsmgr_session_orphan() - @session's process died, or the session is
 *	being released: its tables go to their heirs or the manager
 * @session: the session
 * @reason: enum etsmgr_exit_reason
 * @status: exit status or signal number
 */
static void etsmgr_session_orphan(struct etsmgr_session *session,
				  u32 reason, s32 status)
{
	struct etsmgr_table *table, *next;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry_safe(table, next, &session->tables, owner_node)
		etsmgr_table_release(table, reason, status);
}

/* pidwatch.c: the session's process died; its tables pass on now. */
static void etsmgr_session_died(struct etsmgr_pidwatch *watch)
{
	struct etsmgr_session *session =
		container_of(watch, struct etsmgr_session, watch);
	s32 status;
	u32 reason;

	etsmgr_pidwatch_exit_reason(watch, &reason, &status);
	mutex_lock(&etsmgr_lock);
	etsmgr_session_orphan(session, reason, status);
	mutex_unlock(&etsmgr_lock);
	etsmgr_fence_run();
}

/**
 * etsmgr_session_new() - a session of the calling process
 *
 * Return: the session, or ERR_PTR(-ENOMEM), or ERR_PTR(-ESHUTDOWN) while
 * the manager drains.
 */
struct etsmgr_session *etsmgr_session_new(void)
{
	struct etsmgr_session *session;
	int err = 0;

	session = kzalloc(sizeof(*session), GFP_KERNEL_ACCOUNT);
	if (!session)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&session->tables);
	INIT_LIST_HEAD(&session->received);
	init_waitqueue_head(&session->wq);
	session->uid = current_euid();
	session->pid = get_pid(task_tgid(current));
	etsmgr_pidwatch_start(&session->watch, session->pid,
			      etsmgr_session_died);

	mutex_lock(&etsmgr_lock);
	if (etsmgr_manager_state == ETSMGR_MANAGER_RUNNING) {
		list_add(&session->node, &etsmgr_sessions);
		etsmgr_counters.sessions++;
	} else {
		err = -ESHUTDOWN;
	}
	mutex_unlock(&etsmgr_lock);
	if (err) {
		etsmgr_pidwatch_stop(&session->watch);
		put_pid(session->pid);
		kfree(session);
		return ERR_PTR(err);
	}
	return session;
}

/**
 * etsmgr_session_close() - the last reference to @session's file went
 * @session: the session; freed
 *
 * Its tables go to their heirs or the manager, with the owner's exit
 * status if it died, else as closed (pidwatch.c says which).
 */
void etsmgr_session_close(struct etsmgr_session *session)
{
	s32 status;
	u32 reason;

	etsmgr_pidwatch_stop(&session->watch);
	etsmgr_pidwatch_exit_reason(&session->watch, &reason, &status);

	mutex_lock(&etsmgr_lock);
	/* Gone first, so that it cannot be its own tables' heir. */
	list_del(&session->node);
	etsmgr_session_orphan(session, reason, status);
	etsmgr_counters.sessions--;
	etsmgr_notices_free(session);
	mutex_unlock(&etsmgr_lock);
	etsmgr_fence_run();
	put_pid(session->pid);
	kfree(session);
}

