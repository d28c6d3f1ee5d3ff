/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels etsmgr builds against (Debian 12's 6.1
 * and later ones up to 6.12), kept in this one place.
 */
#ifndef ETSMGR_COMPAT_H
#define ETSMGR_COMPAT_H

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/version.h>

/* Ids are xarray indices and mmap page offsets: they need 64 bits. */
#if BITS_PER_LONG != 64
#error "etsmgr needs a 64-bit kernel"
#endif

/* vm_flags became read-only with accessors in 6.3. */
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
static inline void etsmgr_vm_flags_clear(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#else
static inline void etsmgr_vm_flags_clear(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
	vm_flags_clear(vma, flags);
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

#endif /* ETSMGR_COMPAT_H */
