// SPDX-License-Identifier: GPL-2.0
/*
 * Fencing: after a table changes owner or is deleted, a mapping made
 * before the change no longer writes it (nor, for a private table, reads
 * it), so a process that closed its session, gave the table away or
 * outlived its ownership cannot scribble on the new owner's data.
 *
 * A table's mapping stays a plain shmem mapping (no etsmgr code behind its
 * faults, so it outlives the module: the drain needs that). What etsmgr
 * adds is a grant: an owner's mapping carries, in vm_private_data (which
 * shmem does not use), the generation it was made at and the table's
 * access mode, and every process that mapped a table as its owner is on
 * the table's list of mappers. When the owner changes, the list is handed
 * to the fence: in each of those processes, under its mmap_lock held for
 * write, every mapping of the table whose grant is older than the new
 * generation loses VM_WRITE and VM_MAYWRITE (and for a private table
 * VM_READ, VM_EXEC and their VM_MAY* bits) and its page table entries,
 * so its next access faults (SIGSEGV) and mprotect(2) cannot give the
 * rights back. A public table is shared by design: its mappings keep
 * their rights and only lose the grant.
 *
 * The grant is also what ETSMGR_IOC_ADOPT asks for after a reload: only a
 * mapping that still holds one proves that its process was the table's
 * last owner, and it says the generation and access the table had; a
 * deleted table's mappings hold none, so a deleted table is never revived.
 *
 * Owner mappings of private and protected tables are VM_DONTCOPY: a forked
 * child does not inherit the owner's write access (a child's mapping that
 * its parent asked for with MADV_DOFORK is a grant the parent passed on
 * deliberately, and is not fenced).
 *
 * Locking: the list of mappers is under etsmgr_lock, which nests inside
 * mmap_lock, so the fence itself runs after etsmgr_lock is dropped:
 * etsmgr_fence_queue() moves the entries to a list of pending work under
 * etsmgr_lock, marked with the task that queued them, and
 * etsmgr_fence_run(), called by that task with no lock held before it
 * returns to its caller (the ioctl, the session's release, the owner's
 * death work, a netlink command, the namespace reaper), does its own
 * entries. So no fence waits for another's, and one user's slow process
 * cannot hold up another user's change of owner. The order of two fences
 * of one table does not matter: a grant is only ever taken away below a
 * generation, or raised.
 *
 * The grant's encoding is read back by a later etsmgr.ko after an
 * upgrade (ADOPT): it does not change between versions.
 */

#include <linux/file.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "etsmgr.h"

/**
 * struct etsmgr_mapper - a process that mapped a table as its owner
 * @node: entry in the table's list of mappers, or in the pending list.
 * @mm: its address space, with an mmgrab() reference.
 * @shmem: once queued: the table's shmem file, with a reference.
 * @generation: once queued: grants below it are taken away.
 * @access: once queued: the table's enum etsmgr_access.
 * @runner: once queued: the task that runs the fence (compared only).
 */
struct etsmgr_mapper {
	struct list_head node;
	struct mm_struct *mm;
	struct file *shmem;
	u64 generation;
	u32 access;
	const struct task_struct *runner;
};

/* Queued fences, under etsmgr_lock. */
static LIST_HEAD(etsmgr_fence_pending);

/* A grant: valid bit, access mode in bits 1-2, generation above. */
#define ETSMGR_GRANT_VALID	1UL
#define ETSMGR_GRANT_ACCESS(g)	(((g) >> 1) & 3)
#define ETSMGR_GRANT_GEN(g)	((u64)(g) >> 3)

static unsigned long etsmgr_grant(u64 generation, u32 access)
{
	return (unsigned long)generation << 3 | access << 1 |
	       ETSMGR_GRANT_VALID;
}

static bool etsmgr_vma_granted(const struct vm_area_struct *vma,
			       const struct file *shmem)
{
	return vma->vm_file == shmem &&
	       ((unsigned long)vma->vm_private_data & ETSMGR_GRANT_VALID);
}

/**
 * etsmgr_mapper_alloc() - an entry for etsmgr_grant_mapping(), allocated
 *	before etsmgr_lock is taken
 */
struct etsmgr_mapper *etsmgr_mapper_alloc(void)
{
	return kzalloc(sizeof(struct etsmgr_mapper), GFP_KERNEL_ACCOUNT);
}

void etsmgr_mapper_free(struct etsmgr_mapper *mapper)
{
	kfree(mapper);
}

/*
 * Put current's address space on @table's list of mappers, using @mapper
 * unless it is there already. Return: whether @mapper was used.
 */
static bool etsmgr_mapper_add(struct etsmgr_table *table,
			      struct etsmgr_mapper *mapper)
{
	struct etsmgr_mapper *m;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry(m, &table->mappers, node)
		if (m->mm == current->mm)
			return false;
	mapper->mm = current->mm;
	mmgrab(mapper->mm);
	list_add_tail(&mapper->node, &table->mappers);
	return true;
}

/**
 * etsmgr_grant_mapping() - @vma, being mapped by @table's owner, gets the
 *	owner's grant
 * @table: the table
 * @vma: the new mapping, in current's address space
 * @mapper: from etsmgr_mapper_alloc(); consumed (used or freed)
 */
void etsmgr_grant_mapping(struct etsmgr_table *table,
			  struct vm_area_struct *vma,
			  struct etsmgr_mapper *mapper)
{
	lockdep_assert_held(&etsmgr_lock);
	if (!etsmgr_mapper_add(table, mapper))
		etsmgr_mapper_free(mapper);
	vma->vm_private_data =
		(void *)etsmgr_grant(table->generation, table->access);
	if (table->access != ETSMGR_ACCESS_PUBLIC)
		etsmgr_vm_flags_set(vma, VM_DONTCOPY);
}

/**
 * etsmgr_fence_keep() - current, the new owner, keeps its grants: they
 *	are raised to the table's generation by etsmgr_fence_raise()
 * @table: a table whose mappers were just queued (etsmgr_fence_queue())
 * @mapper: from etsmgr_mapper_alloc(); consumed
 */
void etsmgr_fence_keep(struct etsmgr_table *table,
		       struct etsmgr_mapper *mapper)
{
	struct etsmgr_mapper *m;

	lockdep_assert_held(&etsmgr_lock);
	/* Not fenced: current's entry goes back to the table's list. */
	list_for_each_entry(m, &etsmgr_fence_pending, node) {
		if (m->mm == current->mm && m->shmem == table->shmem) {
			fput(m->shmem);
			m->shmem = NULL;
			list_move_tail(&m->node, &table->mappers);
			break;
		}
	}
	if (!etsmgr_mapper_add(table, mapper))
		etsmgr_mapper_free(mapper);
}

/**
 * etsmgr_fence_queue() - @table changed owner or is being deleted: queue
 *	the fence of every mapping older than @generation
 * @table: the table
 * @generation: its new generation, or U64_MAX when it is deleted
 */
void etsmgr_fence_queue(struct etsmgr_table *table, u64 generation)
{
	struct etsmgr_mapper *m;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry(m, &table->mappers, node) {
		m->shmem = get_file(table->shmem);
		m->generation = generation;
		m->access = table->access;
		m->runner = current;
	}
	list_splice_tail_init(&table->mappers, &etsmgr_fence_pending);
}

/* @table leaves the registry without a change of owner (a drain). */
void etsmgr_mappers_drop(struct etsmgr_table *table)
{
	struct etsmgr_mapper *m, *next;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry_safe(m, next, &table->mappers, node) {
		mmdrop(m->mm);
		kfree(m);
	}
	INIT_LIST_HEAD(&table->mappers);
}

/* Take @vma's grant away, and for a private or protected table its rights. */
static void etsmgr_fence_vma(struct vm_area_struct *vma, u32 access)
{
	vm_flags_t clear = VM_WRITE | VM_MAYWRITE;

	vma->vm_private_data = NULL;
	if (access == ETSMGR_ACCESS_PUBLIC)
		return;
	if (access == ETSMGR_ACCESS_PRIVATE)
		clear |= VM_READ | VM_MAYREAD | VM_EXEC | VM_MAYEXEC;
	etsmgr_vm_flags_clear(vma, clear);
	/* A shmem mapping's protection is its flags' (no cache attributes). */
	WRITE_ONCE(vma->vm_page_prot, vm_get_page_prot(vma->vm_flags));
	/* What is mapped was mapped with the old rights: fault it again. */
	etsmgr_zap_vma(vma);
}

/* Fence the mappings of @m->shmem in @m->mm whose grant is older. */
static void etsmgr_fence_mm(const struct etsmgr_mapper *m)
{
	struct mm_struct *mm = m->mm;
	struct vm_area_struct *vma;

	/* An address space that is gone has no mapping left to fence. */
	if (!mmget_not_zero(mm))
		return;
	mmap_write_lock(mm);
	for (vma = find_vma(mm, 0); vma; vma = find_vma(mm, vma->vm_end))
		if (etsmgr_vma_granted(vma, m->shmem) &&
		    ETSMGR_GRANT_GEN((unsigned long)vma->vm_private_data) <
		    m->generation)
			etsmgr_fence_vma(vma, m->access);
	mmap_write_unlock(mm);
	mmput(mm);
}

/**
 * etsmgr_fence_run() - do the fences current queued; called with no lock
 *	held by every path that may have queued one, before it returns
 */
void etsmgr_fence_run(void)
{
	struct etsmgr_mapper *m, *next;
	LIST_HEAD(work);

	mutex_lock(&etsmgr_lock);
	list_for_each_entry_safe(m, next, &etsmgr_fence_pending, node)
		if (m->runner == current)
			list_move_tail(&m->node, &work);
	mutex_unlock(&etsmgr_lock);

	list_for_each_entry_safe(m, next, &work, node) {
		etsmgr_fence_mm(m);
		fput(m->shmem);
		mmdrop(m->mm);
		kfree(m);
	}
}

/* Module exit: nothing may be left to fence (every path ran its own). */
void etsmgr_fence_exit(void)
{
	WARN_ON(!list_empty(&etsmgr_fence_pending));
}

/**
 * etsmgr_fence_raise() - current's grants of @shmem become @generation's
 * @shmem: the table's shmem file
 * @generation: the generation current just became the owner at
 *
 * For the owner that attached or adopted the table again: its mappings
 * made as an earlier owner stay its own, and a later ADOPT must not
 * reuse a generation. A grant is never lowered.
 */
void etsmgr_fence_raise(struct file *shmem, u64 generation)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long grant;

	mmap_write_lock(mm);
	for (vma = find_vma(mm, 0); vma; vma = find_vma(mm, vma->vm_end)) {
		if (!etsmgr_vma_granted(vma, shmem))
			continue;
		grant = (unsigned long)vma->vm_private_data;
		if (ETSMGR_GRANT_GEN(grant) < generation)
			vma->vm_private_data = (void *)etsmgr_grant(generation,
					ETSMGR_GRANT_ACCESS(grant));
	}
	mmap_write_unlock(mm);
}

/**
 * etsmgr_grant_of() - the grant of current's mapping at @addr
 * @addr: an address in current's address space
 * @shmem: out: the mapping's file, with a reference
 * @generation: out: the generation of the grant
 * @access: out: the table's access mode
 *
 * Return: 0, -EFAULT when nothing is mapped at @addr, -EINVAL when it is
 * not a file mapping, -EPERM when the mapping holds no owner's grant (the
 * file is checked by the caller).
 */
int etsmgr_grant_of(unsigned long addr, struct file **shmem, u64 *generation,
		    u32 *access)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long grant;
	int err = -EFAULT;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr) {
		grant = (unsigned long)vma->vm_private_data;
		if (!vma->vm_file) {
			err = -EINVAL;
		} else {
			*shmem = get_file(vma->vm_file);
			*generation = ETSMGR_GRANT_GEN(grant);
			*access = ETSMGR_GRANT_ACCESS(grant);
			err = grant & ETSMGR_GRANT_VALID ? 0 : -EPERM;
		}
	}
	mmap_read_unlock(mm);
	return err;
}
