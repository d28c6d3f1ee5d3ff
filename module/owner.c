// SPDX-License-Identifier: GPL-2.0
/*
 * The owner is a process: how a session learns that the process that
 * opened it died, whoever else still holds the file.
 *
 * A table is owned by a process (the thread group that opened the session
 * it was attached through), as in ETS, not by the open file description:
 * a forked worker or an SCM_RIGHTS receiver that holds the same file must
 * not keep a dead daemon's table, nor have its own exit reported as the
 * owner's.
 *
 * No polling: each session puts an entry on its process's struct pid
 * wait queue (wait_pidfd, the one pidfd poll sleeps on), which the kernel
 * wakes when the thread group has exited (exit_notify() or, for a leader
 * that outlived its threads, release_task(), both under tasklist_lock)
 * and again when the pid is released. The wake function runs in that
 * atomic context: it records the exit status as wait(2) would report it
 * and queues a work item, which takes etsmgr_lock and lets the session's
 * tables go to their heirs or the manager, with that status.
 *
 * When the dying owner itself holds the last reference to the file,
 * ->release runs first, in the owner (exit_files() precedes exit_notify()),
 * and takes the status from current; a close while the owner lives is
 * ETSMGR_EXIT_CLOSED.
 *
 * Locking: the wake function runs under the wait queue's lock; the session
 * fields it writes (exit_reason, exit_status, then exited, released with
 * smp_store_release()) are read after smp_load_acquire() of exited.
 */

#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "etsmgr.h"

/* Death work runs here, so that module exit can wait for all of it. */
static struct workqueue_struct *etsmgr_owner_wq;

/* The wait(2) status of a thread group's exit into a reason and a status. */
static void etsmgr_wait_status(int code, u32 *reason, s32 *status)
{
	if (code & 0x7f) {
		*reason = ETSMGR_EXIT_SIGNALED;
		*status = code & 0x7f;
	} else {
		*reason = ETSMGR_EXIT_EXITED;
		*status = (code >> 8) & 0xff;
	}
}

/* What wait(2) reports for @task, a thread-group leader that exited. */
static int etsmgr_group_exit_code(struct task_struct *task)
{
	struct signal_struct *sig = task->signal;

	if (sig->flags & SIGNAL_GROUP_EXIT)
		return sig->group_exit_code;
	return task->exit_code;
}

/*
 * The whole thread group of @pid has exited (as pidfd poll decides it):
 * its leader is a zombie without threads, or already released.
 */
static bool etsmgr_group_exited(struct pid *pid, int *code)
{
	struct task_struct *task;
	bool exited;

	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_PID);
	exited = !task ||
		 (READ_ONCE(task->exit_state) && thread_group_empty(task));
	*code = task && exited ? etsmgr_group_exit_code(task) : 0;
	rcu_read_unlock();
	return exited;
}

static int etsmgr_owner_wake(struct wait_queue_entry *wait, unsigned int mode,
			     int sync, void *key)
{
	struct etsmgr_session *session =
		container_of(wait, struct etsmgr_session, exit_wait);
	int code;

	if (!etsmgr_group_exited(session->pid, &code))
		return 0;
	etsmgr_wait_status(code, &session->exit_reason, &session->exit_status);
	/* Pairs with the acquires below: the status is set before exited. */
	smp_store_release(&session->exited, true);
	/* Once only: the pid's release wakes the queue again. */
	list_del_init(&wait->entry);
	etsmgr_session_get(session);
	queue_work(etsmgr_owner_wq, &session->exit_work);
	return 0;
}

static void etsmgr_owner_exit_work(struct work_struct *work)
{
	struct etsmgr_session *session =
		container_of(work, struct etsmgr_session, exit_work);

	mutex_lock(&etsmgr_lock);
	etsmgr_session_orphan(session, session->exit_reason,
			      session->exit_status);
	mutex_unlock(&etsmgr_lock);
	etsmgr_fence_run();
	etsmgr_session_put(session);
}

/**
 * etsmgr_owner_watch() - start watching for the death of @session's process
 * @session: a session whose @pid is set, not yet visible to anyone
 */
void etsmgr_owner_watch(struct etsmgr_session *session)
{
	INIT_WORK(&session->exit_work, etsmgr_owner_exit_work);
	init_waitqueue_func_entry(&session->exit_wait, etsmgr_owner_wake);
	add_wait_queue(&session->pid->wait_pidfd, &session->exit_wait);
}

/**
 * etsmgr_owner_unwatch() - stop watching: the session is being released
 * @session: the session
 *
 * After it returns the wake function neither runs nor will run; a work
 * item it queued holds its own reference on the session.
 */
void etsmgr_owner_unwatch(struct etsmgr_session *session)
{
	remove_wait_queue(&session->pid->wait_pidfd, &session->exit_wait);
}

/**
 * etsmgr_owner_exit_reason() - why @session's tables are let go at release
 * @session: the session whose last reference goes away
 * @reason: out, enum etsmgr_exit_reason
 * @status: out, exit status or signal number
 *
 * The owner's death as recorded by the wake function; or, when the owner
 * itself is exiting (the last of its threads) and holds the last
 * reference, its status from current; else a close: the owner lives, or
 * the last reference was another process's.
 */
void etsmgr_owner_exit_reason(const struct etsmgr_session *session,
			      u32 *reason, s32 *status)
{
	/* Pairs with the release in the wake function. */
	if (smp_load_acquire(&session->exited)) {
		*reason = session->exit_reason;
		*status = session->exit_status;
	} else if ((current->flags & PF_EXITING) &&
		   task_tgid(current) == session->pid &&
		   !atomic_read(&current->signal->live)) {
		etsmgr_wait_status(etsmgr_group_exit_code(current), reason,
				   status);
	} else {
		*reason = ETSMGR_EXIT_CLOSED;
		*status = 0;
	}
}

/* Is @session's process still alive, as far as etsmgr has seen? */
bool etsmgr_owner_alive(const struct etsmgr_session *session)
{
	/* Pairs with the release in the wake function. */
	return !smp_load_acquire(&session->exited);
}

int etsmgr_owner_init(void)
{
	etsmgr_owner_wq = alloc_workqueue("etsmgr_owner", WQ_UNBOUND, 0);
	return etsmgr_owner_wq ? 0 : -ENOMEM;
}

/* Module exit: every session is gone; wait for their last death works. */
void etsmgr_owner_exit(void)
{
	destroy_workqueue(etsmgr_owner_wq);
}
