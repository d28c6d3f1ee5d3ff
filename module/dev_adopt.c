// SPDX-License-Identifier: GPL-2.0
/*
 * ETSMGR_IOC_ADOPT: after the module was unloaded and loaded again, a
 * process that still maps a table registers it again. The mapping's file
 * is the table's own shmem file, created by an earlier etsmgr.ko with the
 * name "etsmgr:<id>:<name>" on the kernel's internal shmem mount, which no
 * user can name files on (a memfd is "memfd:...", a user's tmpfs is a user
 * mount), so the name, id, size and uid read back from it are the table's;
 * a renamed table's latest name is recorded beside it (names.c).
 *
 * Locking: the mapping is looked up under mmap_lock, which is dropped
 * before etsmgr_lock is taken (see etsmgr.h).
 */

#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/kstrtox.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "etsmgr.h"

/* Read the id and name back from a table's shmem file, if it is one. */
static int etsmgr_adopt_parse(struct file *file, u64 *id, char *name)
{
	struct inode *inode = file_inode(file);
	struct name_snapshot snap;
	char digits[21];
	const char *p, *colon;
	int err = -EINVAL;

	if (inode->i_sb->s_magic != TMPFS_MAGIC ||
	    !(inode->i_sb->s_flags & SB_KERNMOUNT) || !S_ISREG(inode->i_mode))
		return -EINVAL;

	take_dentry_name_snapshot(&snap, file->f_path.dentry);
	p = snap.name.name;
	if (strncmp(p, "etsmgr:", 7))
		goto out;
	p += 7;
	colon = strchr(p, ':');
	if (!colon || colon == p || colon - p >= sizeof(digits))
		goto out;
	memcpy(digits, p, colon - p);
	digits[colon - p] = '\0';
	if (kstrtou64(digits, 10, id) || !*id || *id > ETSMGR_ID_MAX)
		goto out;
	if (strscpy(name, colon + 1, ETSMGR_NAME_MAX) < 0 ||
	    etsmgr_check_name(name))
		goto out;
	err = 0;
out:
	release_dentry_name_snapshot(&snap);
	return err;
}

/* The caller could not be told: unregister the table it adopted. */
static void etsmgr_adopt_undo(struct etsmgr_session *session, u64 id)
{
	struct etsmgr_table *table;

	mutex_lock(&etsmgr_lock);
	table = etsmgr_table_find_id(current->nsproxy->ipc_ns, id);
	/* Unregistered, not deleted: the caller's grant lets it try again. */
	if (table && table->owner == session) {
		etsmgr_table_unregister(table);
		etsmgr_counters.adopted--;
	}
	mutex_unlock(&etsmgr_lock);
}

int etsmgr_ioctl_adopt(struct etsmgr_session *session,
		       struct etsmgr_adopt __user *uarg)
{
	const struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	char name[ETSMGR_NAME_MAX];
	struct etsmgr_renamed *renamed;
	struct etsmgr_mapper *keeper;
	struct etsmgr_table *table;
	struct etsmgr_adopt arg;
	struct file *shmem;
	u64 id, generation;
	u32 access;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.access > ETSMGR_ACCESS_PUBLIC ||
	    memchr_inv(arg.__reserved, 0, sizeof(arg.__reserved)))
		return -EINVAL;

	err = etsmgr_grant_of(arg.addr, &shmem, &generation, &access);
	if (err == -EFAULT || err == -EINVAL)
		return err;
	if (etsmgr_adopt_parse(shmem, &id, name)) {
		err = -EINVAL;
		goto out_put;
	}
	/* An etsmgr table, but this mapping is no owner's any more. */
	if (err)
		goto out_put;
	/* The table gets back its own access mode, not one of the caller's. */
	if (arg.access != access) {
		err = -EINVAL;
		goto out_put;
	}
	/* A renamed table comes back under its latest name. */
	renamed = etsmgr_renamed_load(shmem, name);
	if (IS_ERR(renamed)) {
		err = PTR_ERR(renamed);
		goto out_put;
	}
	keeper = etsmgr_mapper_alloc();
	if (!keeper) {
		err = -ENOMEM;
		goto out_renamed;
	}

	mutex_lock(&etsmgr_lock);
	if (etsmgr_manager_state != ETSMGR_MANAGER_RUNNING) {
		err = -ESHUTDOWN;
	} else if (!uid_eq(current_euid(), file_inode(shmem)->i_uid) &&
		   !etsmgr_may_admin_uid(file_inode(shmem)->i_uid)) {
		err = -EPERM;
	} else {
		table = etsmgr_table_adopt(ns, get_file(shmem), id, name,
					   access, generation, renamed);
		if (IS_ERR(table)) {
			err = PTR_ERR(table);
			fput(shmem);
		} else {
			renamed = NULL;
			etsmgr_table_set_owner(table, session,
					       task_tgid(current),
					       ETSMGR_EVENT_ADOPTED);
			etsmgr_fence_keep(table, keeper);
			keeper = NULL;
			arg.generation = table->generation;
			arg.id = table->id;
			memcpy(arg.name, table->name, sizeof(arg.name));
			arg.size = table->size;
			arg.mmap_offset = etsmgr_mmap_offset(table);
		}
	}
	mutex_unlock(&etsmgr_lock);
	etsmgr_mapper_free(keeper);
	if (err)
		goto out_renamed;
	/* The caller's mappings are the new generation's owner's. */
	etsmgr_fence_raise(shmem, arg.generation);
	fput(shmem);

	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		etsmgr_adopt_undo(session, id);
		return -EFAULT;
	}
	return 0;

out_renamed:
	kfree(renamed);
out_put:
	fput(shmem);
	return err;
}
