// SPDX-License-Identifier: GPL-2.0
/*
 * ETSMGR_IOC_ADOPT: after the module was unloaded and loaded again, a
 * process that still maps a table registers it again. The mapping's file
 * is the table's own shmem file, created by an earlier etsmgr.ko with the
 * name "etsmgr:<id>:<name>" on the kernel's internal shmem mount, which no
 * user can name files on (a memfd is "memfd:...", a user's tmpfs is a user
 * mount), so the name, id, size and uid read back from it are the table's.
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
#include <linux/string.h>
#include <linux/uaccess.h>

#include "etsmgr.h"

/* The file mapped at @addr in the caller, with a reference. */
static struct file *etsmgr_adopt_file(unsigned long addr)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct file *file = ERR_PTR(-EFAULT);

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr)
		file = vma->vm_file ? get_file(vma->vm_file) : ERR_PTR(-EINVAL);
	mmap_read_unlock(mm);
	return file;
}

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
	if (table && table->owner == session) {
		etsmgr_table_destroy(table);
		etsmgr_counters.adopted--;
		etsmgr_counters.deleted--;
	}
	mutex_unlock(&etsmgr_lock);
}

int etsmgr_ioctl_adopt(struct etsmgr_session *session,
		       struct etsmgr_adopt __user *uarg)
{
	const struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	char name[ETSMGR_NAME_MAX];
	struct etsmgr_table *table;
	struct etsmgr_adopt arg;
	struct file *shmem;
	u64 id;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.access > ETSMGR_ACCESS_PUBLIC ||
	    memchr_inv(arg.__reserved, 0, sizeof(arg.__reserved)))
		return -EINVAL;

	shmem = etsmgr_adopt_file(arg.addr);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);
	err = etsmgr_adopt_parse(shmem, &id, name);
	if (err)
		goto out_put;

	mutex_lock(&etsmgr_lock);
	if (etsmgr_manager_state != ETSMGR_MANAGER_RUNNING) {
		err = -ESHUTDOWN;
	} else if (!uid_eq(current_euid(), file_inode(shmem)->i_uid) &&
		   !etsmgr_may_admin_uid(file_inode(shmem)->i_uid)) {
		err = -EPERM;
	} else {
		table = etsmgr_table_adopt(ns, shmem, id, name, arg.access,
					   arg.generation);
		if (IS_ERR(table)) {
			err = PTR_ERR(table);
		} else {
			shmem = NULL;	/* the table's now */
			etsmgr_table_set_owner(table, session,
					       task_tgid(current),
					       ETSMGR_EVENT_ADOPTED);
			arg.generation = table->generation;
			arg.id = table->id;
			memcpy(arg.name, table->name, sizeof(arg.name));
			arg.size = table->size;
			arg.mmap_offset = etsmgr_mmap_offset(table);
		}
	}
	mutex_unlock(&etsmgr_lock);
	if (err)
		goto out_put;

	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		etsmgr_adopt_undo(session, id);
		return -EFAULT;
	}
	return 0;

out_put:
	if (shmem)
		fput(shmem);
	return err;
}
