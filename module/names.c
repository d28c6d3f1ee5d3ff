// SPDX-License-Identifier: GPL-2.0
/*
 * Table names: what a name and a rename reason may be, and what a renamed
 * table keeps of its names across a reload of the module.
 *
 * A table's shmem file is named "etsmgr:<id>:<name>" at creation, and a
 * later etsmgr.ko reads the name back from it for ADOPT (dev_adopt.c). A
 * dentry of the kernel's shmem mount cannot be renamed, so a rename is
 * recorded beside it, in the inode's "trusted.etsmgr.renamed" extended
 * attribute: the latest name, the name at creation and the reason. The
 * trusted namespace needs CAP_SYS_ADMIN in the initial user namespace, and
 * no user can reach the file by a path, so the record is the module's own;
 * it is checked on load all the same, like every name.
 *
 * Locking: the record is written under etsmgr_lock, so renames are
 * serialized, and read by ADOPT without it; the inode's attribute list has
 * a lock of its own. The inode lock is not taken: under etsmgr_lock it
 * would order a shmem inode's i_rwsem after etsmgr_lock, while a write(2)
 * to any tmpfs file faulting on its buffer orders i_rwsem before
 * mmap_lock, which ->mmap orders before etsmgr_lock (a cycle to lockdep,
 * which tells inodes apart only by file system type). Nothing else
 * changes this inode: no user has its file.
 */

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xattr.h>

#include "compat.h"
#include "etsmgr.h"

#define ETSMGR_RENAMED_XATTR	XATTR_TRUSTED_PREFIX "etsmgr.renamed"

static bool etsmgr_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
	       c == '-';
}

/**
 * etsmgr_check_name() - validate a table name copied from userspace
 * @name: ETSMGR_NAME_MAX bytes
 *
 * Return: 0, -ENAMETOOLONG without a NUL, -EINVAL if empty or a byte is
 * outside [A-Za-z0-9._:-].
 */
int etsmgr_check_name(const char *name)
{
	size_t len = strnlen(name, ETSMGR_NAME_MAX);
	size_t i;

	if (len == ETSMGR_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!etsmgr_name_char_ok(name[i]))
			return -EINVAL;
	return 0;
}

/* The attribute's value: fixed-size, NUL-terminated strings. */
struct etsmgr_renamed_record {
	char name[ETSMGR_NAME_MAX];
	char orig_name[ETSMGR_NAME_MAX];
	char reason[ETSMGR_REASON_MAX];
};

/**
 * etsmgr_check_reason() - validate a rename reason copied from userspace
 * @reason: ETSMGR_REASON_MAX bytes
 *
 * Return: 0, or -EINVAL without a NUL or with a byte outside 0x20..0x7e
 * (no control characters for whoever prints it).
 */
int etsmgr_check_reason(const char *reason)
{
	size_t len = strnlen(reason, ETSMGR_REASON_MAX);
	size_t i;

	if (len == ETSMGR_REASON_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (reason[i] < 0x20 || reason[i] > 0x7e)
			return -EINVAL;
	return 0;
}

/**
 * etsmgr_renamed_store() - record a rename on the table's shmem inode
 * @shmem: the table's shmem file
 * @name: the new name
 * @renamed: the names and reason the table keeps
 *
 * Return: 0, or the -errno of setting the attribute (-ENOMEM).
 */
int etsmgr_renamed_store(struct file *shmem, const char *name,
			 const struct etsmgr_renamed *renamed)
{
	struct inode *inode = file_inode(shmem);
	struct etsmgr_renamed_record rec;

	lockdep_assert_held(&etsmgr_lock);
	memset(&rec, 0, sizeof(rec));
	strscpy(rec.name, name, sizeof(rec.name));
	strscpy(rec.orig_name, renamed->orig_name, sizeof(rec.orig_name));
	strscpy(rec.reason, renamed->reason, sizeof(rec.reason));
	return etsmgr_vfs_setxattr(shmem->f_path.dentry, inode,
				   ETSMGR_RENAMED_XATTR, &rec, sizeof(rec));
}

/**
 * etsmgr_renamed_load() - read back a rename an earlier module recorded
 * @shmem: a table's shmem file
 * @name: in: the name at creation, from the file's name; out: the latest
 *	name, if the table was renamed
 *
 * Return: NULL if the table was never renamed, what it keeps of its names
 * (kmalloc'ed, for the adopted table) if it was, ERR_PTR(-EINVAL) for a
 * record that is not one, -ENOMEM.
 */
struct etsmgr_renamed *etsmgr_renamed_load(struct file *shmem, char *name)
{
	struct inode *inode = file_inode(shmem);
	struct etsmgr_renamed_record rec;
	struct etsmgr_renamed *renamed;
	ssize_t len;

	len = __vfs_getxattr(shmem->f_path.dentry, inode, ETSMGR_RENAMED_XATTR,
			     &rec, sizeof(rec));
	if (len == -ENODATA || len == -EOPNOTSUPP)
		return NULL;
	if (len != sizeof(rec) || etsmgr_check_name(rec.name) ||
	    etsmgr_check_name(rec.orig_name) ||
	    strcmp(rec.orig_name, name) || etsmgr_check_reason(rec.reason))
		return ERR_PTR(-EINVAL);

	renamed = kzalloc(sizeof(*renamed), GFP_KERNEL_ACCOUNT);
	if (!renamed)
		return ERR_PTR(-ENOMEM);
	strscpy(renamed->orig_name, rec.orig_name, sizeof(renamed->orig_name));
	/* The name before is not kept: the creation name stands in. */
	strscpy(renamed->old_name, rec.orig_name, sizeof(renamed->old_name));
	strscpy(renamed->reason, rec.reason, sizeof(renamed->reason));
	strscpy(name, rec.name, ETSMGR_NAME_MAX);
	return renamed;
}
