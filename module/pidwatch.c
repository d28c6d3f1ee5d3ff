// SPDX-License-Identifier: GPL-2.0
/*
 * Watching a process for its death, with the exit status wait(2) would
 * report: how a session learns that the process that opened it died,
 * whoever else still holds the file (ownership.c). A bottom-layer
 * mechanism: it calls nothing of etsmgr's but the callback it is given.
 *
 * No polling: the watch puts an entry on the process's struct pid wait
 * queue (wait_pidfd, the one pidfd poll sleeps on), which the kernel
 * wakes when the thread group has exited (exit_notify() or, for a leader
 * that outlived its threads, release_task(), both under tasklist_lock)
 * and again when the pid is released. The wake function runs in that
 * atomic context: it records the exit status as wait(2) would report it
 * and queues a work item, which calls the watcher's callback in process
 * context.
 *
 * When the dying process itself holds the last reference to a session's
 * file, ->release runs first, in it (exit_files() precedes exit_notify()),
 * and etsmgr_pidwatch_exit_reason() takes the status from current; a
 * close while the process lives is ETSMGR_EXIT_CLOSED.
 *
 * Locking: the wake function runs under the wait queue's lock; the watch
 * fields it writes (reason, status, then exited, released with
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
static struct workqueue_struct *etsmgr_pidwatch_wq;

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

static int etsmgr_pidwatch_wake(struct wait_queue_entry *wait,
				unsigned int mode, int sync, void *key)
{
	struct etsmgr_pidwatch *watch =
		container_of(wait, struct etsmgr_pidwatch, wait);
	int code;

	if (!etsmgr_group_exited(watch->pid, &code))
		return 0;
	etsmgr_wait_status(code, &watch->reason, &watch->status);
	/* Pairs with the acquires below: the status is set before exited. */
	smp_store_release(&watch->exited, true);
	/* Once only: the pid's release wakes the queue again. */
	list_del_init(&wait->entry);
	queue_work(etsmgr_pidwatch_wq, &watch->work);
	return 0;
}

static void etsmgr_pidwatch_work(struct work_struct *work)
{
	struct etsmgr_pidwatch *watch =
		container_of(work, struct etsmgr_pidwatch, work);

	watch->died(watch);
}

/**
 * etsmgr_pidwatch_start() - call @died once the thread group of @pid died
 * @watch: the watch, embedded in the watcher's object
 * @pid: a thread-group pid, alive, which outlives the watch
 * @died: called in process context, at most once, before
 *	etsmgr_pidwatch_stop() returns
 */
void etsmgr_pidwatch_start(struct etsmgr_pidwatch *watch, struct pid *pid,
			   void (*died)(struct etsmgr_pidwatch *watch))
{
	watch->pid = pid;
	watch->died = died;
	watch->exited = false;
	INIT_WORK(&watch->work, etsmgr_pidwatch_work);
	init_waitqueue_func_entry(&watch->wait, etsmgr_pidwatch_wake);
	add_wait_queue(&pid->wait_pidfd, &watch->wait);
}

/**
 * etsmgr_pidwatch_stop() - stop watching
 * @watch: the watch
 *
 * After it returns the callback neither runs nor will run, so the
 * watcher may be freed. Not from the callback itself.
 */
void etsmgr_pidwatch_stop(struct etsmgr_pidwatch *watch)
{
	remove_wait_queue(&watch->pid->wait_pidfd, &watch->wait);
	flush_work(&watch->work);
}

/**
 * etsmgr_pidwatch_exit_reason() - why the watched process let go
 * @watch: the watch
 * @reason: out, enum etsmgr_exit_reason
 * @status: out, exit status or signal number
 *
 * The death as the wake function recorded it; or, when the process
 * itself is exiting (the last of its threads), its status from current
 * (a session's release that runs in the dying owner); else a close: the
 * process lives, or the caller is another process.
 */
void etsmgr_pidwatch_exit_reason(const struct etsmgr_pidwatch *watch,
				 u32 *reason, s32 *status)
{
	/* Pairs with the release in the wake function. */
	if (smp_load_acquire(&watch->exited)) {
		*reason = watch->reason;
		*status = watch->status;
	} else if ((current->flags & PF_EXITING) &&
		   task_tgid(current) == watch->pid &&
		   !atomic_read(&current->signal->live)) {
		etsmgr_wait_status(etsmgr_group_exit_code(current), reason,
				   status);
	} else {
		*reason = ETSMGR_EXIT_CLOSED;
		*status = 0;
	}
}

/* Is the watched process still alive, as far as the watch has seen? */
bool etsmgr_pidwatch_alive(const struct etsmgr_pidwatch *watch)
{
	/* Pairs with the release in the wake function. */
	return !smp_load_acquire(&watch->exited);
}

int etsmgr_pidwatch_init(void)
{
	etsmgr_pidwatch_wq = alloc_workqueue("etsmgr_pidwatch", WQ_UNBOUND, 0);
	return etsmgr_pidwatch_wq ? 0 : -ENOMEM;
}

/* Module exit: every watch is stopped; wait for their last works. */
void etsmgr_pidwatch_exit(void)
{
	destroy_workqueue(etsmgr_pidwatch_wq);
}
