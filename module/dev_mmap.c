// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of a session fd: the page offset names a table by id, and the
 * mapping becomes a plain shared mapping of the table's shmem file, so it
 * outlives the session, the table's owner, the table and the module.
 *
 * Permission: the owner maps read-write, through the session it owns the
 * table by; another session of a process of the table's uid maps a
 * protected table read-only (VM_MAYWRITE cleared, so mprotect cannot add
 * write) and a public one read-write; private tables map for the owner
 * only. The owner's mapping carries its grant and is fenced when the
 * owner changes (fence.c).
 *
 * Locking: ->mmap runs under mmap_lock held for write; etsmgr_lock nests
 * inside it (see etsmgr.h).
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>

#include "compat.h"
#include "etsmgr.h"

static int etsmgr_mmap_check(const struct etsmgr_table *table,
			     const struct etsmgr_session *session,
			     struct vm_area_struct *vma)
{
	lockdep_assert_held(&etsmgr_lock);
	if (vma->vm_end - vma->vm_start > table->size)
		return -EINVAL;
	if (etsmgr_owns(table, session))
		return 0;
	if (table->access == ETSMGR_ACCESS_PRIVATE || !etsmgr_may_map(table))
		return -EACCES;
	if (table->access == ETSMGR_ACCESS_PROTECTED) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		etsmgr_vm_flags_clear(vma, VM_MAYWRITE);
	}
	return 0;
}

int etsmgr_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct etsmgr_session *session = file->private_data;
	struct etsmgr_mapper *mapper;
	struct etsmgr_table *table;
	struct file *shmem = NULL;
	int err;

	/* A private copy of a table would fork its data: refuse it. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	mapper = etsmgr_mapper_alloc();
	if (!mapper)
		return -ENOMEM;

	mutex_lock(&etsmgr_lock);
	table = etsmgr_table_find_id(current->nsproxy->ipc_ns, vma->vm_pgoff);
	if (!table) {
		err = -ENOENT;
	} else {
		err = etsmgr_mmap_check(table, session, vma);
		if (!err)
			shmem = get_file(table->shmem);
		if (!err && etsmgr_owns(table, session)) {
			etsmgr_grant_mapping(table, vma, mapper);
			mapper = NULL;
		}
	}
	mutex_unlock(&etsmgr_lock);
	etsmgr_mapper_free(mapper);
	if (err)
		return err;

	/* From here on the mapping is the shmem file's, from its first page. */
	vma->vm_pgoff = 0;
	vma_set_file(vma, shmem);
	fput(shmem);
	return etsmgr_vfs_mmap(vma->vm_file, vma);
}
