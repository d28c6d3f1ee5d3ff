/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels etsmgr builds against, kept in this one
 * place.
 *
 * Built and tested (make check, make check-debug) on Debian 12's two
 * kernel lines, 6.1 and 6.12 (also 6.12's PREEMPT_RT flavour); compiled
 * with W=1 -Werror against both (scripts/lint, scripts/compile-6.12).
 * Later kernels: the changes of what etsmgr uses that are known are
 * handled below (vfs_mmap() 6.17, ->mmap_prepare of shmem 6.19, ns_common
 * reference count 6.18 and 6.19), none of them tested on such a kernel.
 * A later change of a signature etsmgr calls (shmem_file_setup() taking a
 * vma_flags_t was proposed in 2026) stops the build with a type error.
 */
#ifndef ETSMGR_COMPAT_H
#define ETSMGR_COMPAT_H

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/refcount.h>
#include <linux/string.h>
#include <linux/version.h>
#include <linux/xattr.h>

/* Ids are xarray indices and mmap page offsets: they need 64 bits. */
#if BITS_PER_LONG != 64
#error "etsmgr needs a 64-bit kernel"
#endif

/* Generic netlink's resv_start_op and more: nothing older is tried. */
#if KERNEL_VERSION(6, 1, 0) > LINUX_VERSION_CODE
#error "etsmgr needs Linux 6.1 or later (built and tested on 6.1 and 6.12)"
#endif

/* vm_flags became read-only with accessors in 6.3. */
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
static inline void etsmgr_vm_flags_clear(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}

static inline void etsmgr_vm_flags_set(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#else
static inline void etsmgr_vm_flags_clear(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
	vm_flags_clear(vma, flags);
}

static inline void etsmgr_vm_flags_set(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}
#endif

/*
 * Drop the page table entries of a whole VMA (mmap_lock held for write):
 * zap_page_range() until 6.2, zap_page_range_single() exported from 6.3.
 */
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
static inline void etsmgr_zap_vma(struct vm_area_struct *vma)
{
	zap_page_range(vma, vma->vm_start, vma->vm_end - vma->vm_start);
}
#else
static inline void etsmgr_zap_vma(struct vm_area_struct *vma)
{
	zap_page_range_single(vma, vma->vm_start,
			      vma->vm_end - vma->vm_start, NULL);
}
#endif

/*
 * The struct pid of a pidfd (pidfd_pid() is not exported): an anon inode
 * file named "[pidfd]" holding it in private_data before 6.9, a pidfs
 * file holding it in its inode after.
 */
#if KERNEL_VERSION(6, 9, 0) > LINUX_VERSION_CODE
static inline struct pid *etsmgr_pidfd_pid(const struct file *file)
{
	if (file_inode(file)->i_sb->s_magic != ANON_INODE_FS_MAGIC ||
	    strcmp(file->f_path.dentry->d_name.name, "[pidfd]"))
		return ERR_PTR(-EBADF);
	return file->private_data;
}
#else
static inline struct pid *etsmgr_pidfd_pid(const struct file *file)
{
	if (file_inode(file)->i_sb->s_magic != PID_FS_MAGIC)
		return ERR_PTR(-EBADF);
	return file_inode(file)->i_private;
}
#endif

/*
 * The operation a genetlink family's pre_doit() is given: the command's
 * struct genl_ops before 6.2, its struct genl_split_ops (the doit half)
 * since. Both have the fields pre_doit() reads (cmd, internal_flags).
 */
#if KERNEL_VERSION(6, 2, 0) > LINUX_VERSION_CODE
#define etsmgr_genl_pre_op genl_ops
#else
#define etsmgr_genl_pre_op genl_split_ops
#endif

/*
 * Map @file into @vma from a ->mmap handler that replaced vma->vm_file
 * with it: call_mmap(), renamed vfs_mmap() in 6.17. Since 6.16 a file may
 * have ->mmap_prepare instead of ->mmap; shmem has it since 6.19, when a
 * table's shmem file has no ->mmap at all. Both helpers run a
 * ->mmap_prepare through the kernel's compat_vma_mmap*() layer on the VMA
 * being set up: its descriptor starts from the VMA's file and flags, so
 * vm_file stays @file and a VM_MAYWRITE cleared for a read-only mapping
 * stays cleared. Before 6.16 call_mmap() is ->mmap itself.
 */
#if KERNEL_VERSION(6, 17, 0) > LINUX_VERSION_CODE
static inline int etsmgr_vfs_mmap(struct file *file,
				  struct vm_area_struct *vma)
{
	return call_mmap(file, vma);
}
#else
static inline int etsmgr_vfs_mmap(struct file *file,
				  struct vm_area_struct *vma)
{
	return vfs_mmap(file, vma);
}
#endif

/*
 * The reference count of an IPC namespace: ns_common.count, renamed
 * __ns_ref in 6.18 and read with ns_ref_read() (cast: the _Generic of
 * to_ns_common() did not take const namespaces at first). Since 6.19 the
 * initial namespaces are not counted at all (theirs stays 1), so a count
 * of 1 means "only the caller's reference is left" for other namespaces
 * only: callers rule the initial one out first.
 */
#if KERNEL_VERSION(6, 18, 0) > LINUX_VERSION_CODE
static inline unsigned int etsmgr_ipc_ns_refs(const struct ipc_namespace *ns)
{
	return refcount_read(&ns->ns.count);
}
#else
static inline unsigned int etsmgr_ipc_ns_refs(const struct ipc_namespace *ns)
{
	return ns_ref_read((struct ipc_namespace *)ns);
}
#endif

/*
 * Set an extended attribute with no permission check (see names.c for the
 * locking): __vfs_setxattr() took the mount's user namespace before 6.3
 * and its idmap since. The kernel's shmem mount is never idmapped.
 */
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
static inline int etsmgr_vfs_setxattr(struct dentry *dentry,
				      struct inode *inode, const char *name,
				      const void *value, size_t size)
{
	return __vfs_setxattr(&init_user_ns, dentry, inode, name, value,
			      size, 0);
}
#else
static inline int etsmgr_vfs_setxattr(struct dentry *dentry,
				      struct inode *inode, const char *name,
				      const void *value, size_t size)
{
	return __vfs_setxattr(&nop_mnt_idmap, dentry, inode, name, value,
			      size, 0);
}
#endif

#endif /* ETSMGR_COMPAT_H */
