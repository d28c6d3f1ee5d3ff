// SPDX-License-Identifier: GPL-2.0
/*
 * The char device /dev/etsmgr, the front end of sessions: open and
 * release (ownership.c makes and ends the session), poll, the ioctl
 * dispatch, and the ioctls ATTACH, DELETE, RENAME and INFO. SET_HEIR,
 * GIVE and RECEIVE are in dev_handoff.c, ADOPT in dev_adopt.c, mmap in
 * dev_mmap.c.
 *
 * Locking: see etsmgr.h. Each ioctl copies its argument in and checks it
 * without the lock, does its work under etsmgr_lock, and copies the answer
 * out after unlocking. An ATTACH whose answer cannot be copied out is
 * undone, so a caller never owns a table it was not told about.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "etsmgr.h"

int etsmgr_open(struct inode *inode, struct file *file)
{
	struct etsmgr_session *session = etsmgr_session_new();

	if (IS_ERR(session))
		return PTR_ERR(session);
	file->private_data = session;
	return 0;
}

int etsmgr_release(struct inode *inode, struct file *file)
{
	etsmgr_session_close(file->private_data);
	return 0;
}

/*
 * A session hangs up when the manager stops (a drain started), and is
 * readable while a handed table waits for ETSMGR_IOC_RECEIVE.
 */
__poll_t etsmgr_poll(struct file *file, struct poll_table_struct *wait)
{
	struct etsmgr_session *session = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &etsmgr_manager_wq, wait);
	poll_wait(file, &session->wq, wait);
	if (READ_ONCE(etsmgr_manager_state) != ETSMGR_MANAGER_RUNNING)
		mask |= EPOLLPRI | EPOLLHUP;
	if (!list_empty_careful(&session->received))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static const struct ipc_namespace *etsmgr_current_ns(void)
{
	return current->nsproxy->ipc_ns;
}

/*
 * The answer of an ATTACH, and what undoing it needs: the table by id and
 * generation, never by pointer, since another thread of the session may
 * delete (and free) it as soon as etsmgr_lock is dropped.
 */
struct etsmgr_attach_done {
	u64 id;
	u64 generation;
	struct file *shmem;
	u32 result;
	u32 prev_reason;
	s32 prev_status;
	u64 prev_transfer_time_ns;
};

static void etsmgr_attach_fill(struct etsmgr_attach *arg,
			       const struct etsmgr_table *table, u32 result)
{
	arg->access = table->access;
	arg->size = table->size;
	arg->id = table->id;
	arg->generation = table->generation;
	arg->mmap_offset = etsmgr_mmap_offset(table);
	arg->result = result;
	arg->exit_reason = table->exit_reason;
	arg->exit_status = table->exit_status;
	arg->uid = from_kuid_munged(current_user_ns(), table->uid);
}

/*
 * The uid whose table an ATTACH or a reference names: the caller's euid,
 * or with @explicit the uid @uid of the caller's user namespace, which
 * must be the caller's own or need CAP_SYS_ADMIN over the namespace.
 */
static int etsmgr_named_uid(bool explicit, u32 uid, kuid_t *kuid)
{
	if (!explicit) {
		if (uid)
			return -EINVAL;
		*kuid = current_euid();
		return 0;
	}
	*kuid = make_kuid(current_user_ns(), uid);
	if (!uid_valid(*kuid))
		return -EINVAL;
	if (!uid_eq(*kuid, current_euid()) && !etsmgr_may_admin())
		return -EPERM;
	return 0;
}

static int etsmgr_attach_locked(struct etsmgr_session *session, kuid_t uid,
				struct etsmgr_attach *arg,
				struct etsmgr_attach_done *done,
				struct etsmgr_mapper **keeper)
{
	const struct ipc_namespace *ns = etsmgr_current_ns();
	struct etsmgr_table *table;

	lockdep_assert_held(&etsmgr_lock);
	if (etsmgr_manager_state != ETSMGR_MANAGER_RUNNING)
		return -ESHUTDOWN;
	table = etsmgr_table_find_name(ns, uid, arg->name);
	if (table) {
		if (arg->flags & ETSMGR_ATTACH_EXCL)
			return -EEXIST;
		if (table->owner && table->owner != session)
			return -EBUSY;
		if (table->owner) {
			done->result = ETSMGR_RESULT_ALREADY_OWNED;
		} else {
			done->prev_reason = table->exit_reason;
			done->prev_status = table->exit_status;
			done->prev_transfer_time_ns = table->transfer_time_ns;
			etsmgr_table_set_owner(table, session,
					       task_tgid(current),
					       ETSMGR_EVENT_RECLAIMED);
			/* Its mappings as an earlier owner stay its own. */
			etsmgr_fence_keep(table, *keeper);
			*keeper = NULL;
			done->shmem = get_file(table->shmem);
			etsmgr_counters.reclaimed++;
			done->result = ETSMGR_RESULT_RECLAIMED;
		}
	} else {
		if (!(arg->flags & ETSMGR_ATTACH_CREATE))
			return -ENOENT;
		table = etsmgr_table_create(ns, arg->name, arg->size,
					    arg->access);
		if (IS_ERR(table))
			return PTR_ERR(table);
		etsmgr_table_set_owner(table, session, task_tgid(current),
				       ETSMGR_EVENT_CREATED);
		done->result = ETSMGR_RESULT_CREATED;
	}
	done->id = table->id;
	done->generation = table->generation;
	etsmgr_attach_fill(arg, table, done->result);
	return 0;
}

/*
 * The caller could not be told: put things back as they were. A table
 * that was deleted or changed owner meanwhile (another generation) is
 * left alone. An undone reclaim keeps its generation: the token is never
 * lowered, so it is never reused.
 */
static void etsmgr_attach_undo(struct etsmgr_session *session,
			       const struct etsmgr_attach_done *done)
{
	const struct ipc_namespace *ns = etsmgr_current_ns();
	struct etsmgr_table *table;

	mutex_lock(&etsmgr_lock);
	table = etsmgr_table_find_id(ns, done->id);
	if (!table || table->generation != done->generation ||
	    table->owner != session)
		goto out;
	if (done->result == ETSMGR_RESULT_CREATED) {
		etsmgr_table_destroy(table);
		etsmgr_counters.created--;
		etsmgr_counters.deleted--;
	} else if (done->result == ETSMGR_RESULT_RECLAIMED) {
		etsmgr_table_release(table, done->prev_reason,
				     done->prev_status);
		table->transfer_time_ns = done->prev_transfer_time_ns;
		etsmgr_counters.reclaimed--;
	}
out:
	mutex_unlock(&etsmgr_lock);
}

static int etsmgr_ioctl_attach(struct etsmgr_session *session,
			       struct etsmgr_attach __user *uarg)
{
	struct etsmgr_attach_done done = {};
	struct etsmgr_mapper *keeper;
	struct etsmgr_attach arg;
	kuid_t uid;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~ETSMGR_ATTACH_VALID)
		return -EINVAL;
	if ((arg.flags & ETSMGR_ATTACH_EXCL) &&
	    !(arg.flags & ETSMGR_ATTACH_CREATE))
		return -EINVAL;
	if (arg.access > ETSMGR_ACCESS_PUBLIC)
		return -EINVAL;
	if ((arg.flags & ETSMGR_ATTACH_UID) &&
	    (arg.flags & ETSMGR_ATTACH_CREATE))
		return -EINVAL;
	if (memchr_inv(arg.__reserved, 0, sizeof(arg.__reserved)))
		return -EINVAL;
	err = etsmgr_check_name(arg.name);
	if (err)
		return err;
	err = etsmgr_named_uid(arg.flags & ETSMGR_ATTACH_UID, arg.uid, &uid);
	if (err)
		return err;

	keeper = etsmgr_mapper_alloc();
	if (!keeper)
		return -ENOMEM;
	mutex_lock(&etsmgr_lock);
	err = etsmgr_attach_locked(session, uid, &arg, &done, &keeper);
	mutex_unlock(&etsmgr_lock);
	etsmgr_mapper_free(keeper);
	if (err)
		return err;
	/* The earlier owners' mappings are fenced before it hears of it. */
	etsmgr_fence_run();
	if (done.shmem) {
		etsmgr_fence_raise(done.shmem, done.generation);
		fput(done.shmem);
	}

	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		/* Undoing a create deletes: fence what was mapped meanwhile. */
		etsmgr_attach_undo(session, &done);
		etsmgr_fence_run();
		return -EFAULT;
	}
	return 0;
}

/*
 * Check a table reference copied from userspace: by id xor by name, the
 * name the caller's euid's or, with ETSMGR_REF_UID, the named uid's (in
 * *@uid).
 */
static int etsmgr_check_ref(const struct etsmgr_ref *ref, kuid_t *uid)
{
	int err;

	if ((ref->flags & ~ETSMGR_REF_VALID) ||
	    memchr_inv(ref->__reserved, 0, sizeof(ref->__reserved)))
		return -EINVAL;
	if (ref->id)
		return ref->name[0] || ref->flags || ref->uid ? -EINVAL : 0;
	err = etsmgr_check_name(ref->name);
	if (err)
		return err;
	return etsmgr_named_uid(ref->flags & ETSMGR_REF_UID, ref->uid, uid);
}

/*
 * The table @ref names, if the caller may know of it: another uid's
 * table by id is as absent to a caller without CAP_SYS_ADMIN, as it is to
 * netlink's GET_TABLE, so that ids do not reveal what others have.
 */
static struct etsmgr_table *etsmgr_find_ref(const struct etsmgr_ref *ref,
					    kuid_t uid)
{
	const struct ipc_namespace *ns = etsmgr_current_ns();
	struct etsmgr_table *table;

	if (!ref->id)
		return etsmgr_table_find_name(ns, uid, ref->name);
	table = etsmgr_table_find_id(ns, ref->id);
	if (table && !etsmgr_may_use(table))
		return NULL;
	return table;
}

static int etsmgr_ioctl_delete(struct etsmgr_session *session,
			       const struct etsmgr_ref __user *uref)
{
	struct etsmgr_table *table;
	struct etsmgr_ref ref;
	kuid_t uid;
	int err;

	if (copy_from_user(&ref, uref, sizeof(ref)))
		return -EFAULT;
	err = etsmgr_check_ref(&ref, &uid);
	if (err)
		return err;

	mutex_lock(&etsmgr_lock);
	table = etsmgr_find_ref(&ref, uid);
	if (!table)
		err = -ENOENT;
	else if (table->owner != session && !etsmgr_may_admin())
		err = -EPERM;
	else
		etsmgr_table_destroy(table);
	mutex_unlock(&etsmgr_lock);
	/* Its mappings are fenced before the caller hears of the delete. */
	etsmgr_fence_run();
	return err;
}

static int etsmgr_ioctl_rename(struct etsmgr_session *session,
			       const struct etsmgr_rename __user *urename)
{
	struct etsmgr_rename arg;
	struct etsmgr_table *table;
	kuid_t uid;
	int err;

	if (copy_from_user(&arg, urename, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.__pad ||
	    memchr_inv(arg.__reserved, 0, sizeof(arg.__reserved)))
		return -EINVAL;
	err = etsmgr_check_ref(&arg.ref, &uid);
	if (!err)
		err = etsmgr_check_name(arg.new_name);
	if (!err)
		err = etsmgr_check_reason(arg.reason);
	if (err)
		return err;

	mutex_lock(&etsmgr_lock);
	table = etsmgr_find_ref(&arg.ref, uid);
	if (!table)
		err = -ENOENT;
	else if (table->owner != session && !etsmgr_may_admin())
		err = -EPERM;
	else
		err = etsmgr_table_rename(table, arg.new_name, arg.reason);
	mutex_unlock(&etsmgr_lock);
	return err;
}

static void etsmgr_info_fill(struct etsmgr_info *info,
			     const struct etsmgr_table *table,
			     const struct etsmgr_session *session)
{
	info->id = table->id;
	memcpy(info->name, table->name, sizeof(info->name));
	info->size = table->size;
	info->generation = table->generation;
	info->mmap_offset = etsmgr_mmap_offset(table);
	info->create_time_ns = table->create_time_ns;
	info->transfer_time_ns = table->transfer_time_ns;
	info->state = table->owner ? ETSMGR_STATE_OWNED : ETSMGR_STATE_HELD;
	info->access = table->access;
	info->uid = from_kuid_munged(current_user_ns(), table->uid);
	info->owner_pid = table->owner_pid ? pid_vnr(table->owner_pid) : 0;
	info->exit_reason = table->exit_reason;
	info->exit_status = table->exit_status;
	info->owned_by_caller = etsmgr_owns(table, session);
}

static int etsmgr_ioctl_info(struct etsmgr_session *session,
			     struct etsmgr_info __user *uinfo)
{
	struct etsmgr_table *table;
	struct etsmgr_info info;
	struct etsmgr_ref ref;
	kuid_t uid;
	int err;

	if (copy_from_user(&ref, &uinfo->ref, sizeof(ref)))
		return -EFAULT;
	err = etsmgr_check_ref(&ref, &uid);
	if (err)
		return err;

	memset(&info, 0, sizeof(info));
	info.ref = ref;
	mutex_lock(&etsmgr_lock);
	table = etsmgr_find_ref(&ref, uid);
	if (!table)
		err = -ENOENT;
	else
		etsmgr_info_fill(&info, table, session);
	mutex_unlock(&etsmgr_lock);
	if (err)
		return err;

	if (copy_to_user(uinfo, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

long etsmgr_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct etsmgr_session *session = file->private_data;
	void __user *uarg = (void __user *)arg;

	/*
	 * A session acts for the process that opened it; another process
	 * holding the file (a forked child, an SCM_RIGHTS receiver) may only
	 * look, and opens a session of its own to do more.
	 */
	if (cmd == ETSMGR_IOC_INFO)
		return etsmgr_ioctl_info(session, uarg);
	if (!etsmgr_session_mine(session))
		return -EBADFD;

	switch (cmd) {
	case ETSMGR_IOC_ATTACH:
		return etsmgr_ioctl_attach(session, uarg);
	case ETSMGR_IOC_DELETE:
		return etsmgr_ioctl_delete(session, uarg);
	case ETSMGR_IOC_ADOPT:
		return etsmgr_ioctl_adopt(session, uarg);
	case ETSMGR_IOC_SET_HEIR:
		return etsmgr_ioctl_set_heir(session, uarg);
	case ETSMGR_IOC_GIVE:
		return etsmgr_ioctl_give(session, uarg);
	case ETSMGR_IOC_RECEIVE:
		return etsmgr_ioctl_receive(session, uarg);
	case ETSMGR_IOC_RENAME:
		return etsmgr_ioctl_rename(session, uarg);
	default:
		return -ENOTTY;
	}
}
