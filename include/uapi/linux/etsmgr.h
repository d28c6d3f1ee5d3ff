/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * etsmgr: named memory tables that survive the death of their owner.
 *
 * Userspace API of /dev/etsmgr. Each open() of the device is a session; a
 * table is owned by exactly one session at a time. When the owning session
 * goes away (exit, crash, last close) its tables become "held" by the
 * manager, data intact, until a process of the same uid reclaims them by
 * name with ETSMGR_IOC_ATTACH. A table is mapped with mmap(2) of a session
 * fd at the table's mmap_offset, MAP_SHARED only.
 *
 * Conventions: every structure has fixed-width fields, explicit padding and
 * reserved fields; padding and reserved fields must be zero on input
 * (EINVAL otherwise) and are zeroed on output. Every flags word is checked
 * against a mask of known bits (EINVAL for unknown bits). Unknown ioctl
 * numbers fail with ENOTTY. See Documentation/etsmgr.rst.
 */
#ifndef _UAPI_LINUX_ETSMGR_H
#define _UAPI_LINUX_ETSMGR_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Path of the device node. */
#define ETSMGR_DEVICE_PATH	"/dev/etsmgr"

/*
 * Table names are 1..63 bytes of [A-Za-z0-9._:-], NUL-terminated inside a
 * 64-byte array. An empty name or a bad character is EINVAL; no NUL within
 * ETSMGR_NAME_MAX bytes is ENAMETOOLONG.
 */
#define ETSMGR_NAME_MAX		64

/* Access modes, as ETS: who besides the owner may map the table. */
enum etsmgr_access {
	/* Only the owning session may map the table. */
	ETSMGR_ACCESS_PRIVATE = 0,
	/* Owner maps read-write; other allowed callers read-only. */
	ETSMGR_ACCESS_PROTECTED = 1,
	/* Owner and other allowed callers map read-write. */
	ETSMGR_ACCESS_PUBLIC = 2,
};

/* Table states reported by ETSMGR_IOC_INFO. */
enum etsmgr_state {
	/* A live session owns the table. */
	ETSMGR_STATE_OWNED = 1,
	/* The owner went away; the manager holds the table for reclaim. */
	ETSMGR_STATE_HELD = 2,
};

/* Why the previous owner of a table let go of it. */
enum etsmgr_exit_reason {
	/* No previous owner (the table was just created). */
	ETSMGR_EXIT_NONE = 0,
	/* The owner exited; exit_status holds its exit status (0..255). */
	ETSMGR_EXIT_EXITED = 1,
	/* The owner was killed; exit_status holds the signal number. */
	ETSMGR_EXIT_SIGNALED = 2,
	/* The session was closed while its process lived on. */
	ETSMGR_EXIT_CLOSED = 3,
};

/* ETSMGR_IOC_ATTACH flags. */
/* Create the table if no table of that name exists. */
#define ETSMGR_ATTACH_CREATE	(1U << 0)
/* With CREATE: fail with EEXIST if the name exists (held or owned). */
#define ETSMGR_ATTACH_EXCL	(1U << 1)
#define ETSMGR_ATTACH_VALID	(ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL)

/* ETSMGR_IOC_ATTACH results. */
enum etsmgr_attach_result {
	/* A new table was created; size and access are as asked. */
	ETSMGR_RESULT_CREATED = 1,
	/* A held table was reclaimed: same id and bytes, generation + 1. */
	ETSMGR_RESULT_RECLAIMED = 2,
	/* The calling session already owned the table; nothing changed. */
	ETSMGR_RESULT_ALREADY_OWNED = 3,
};

/**
 * struct etsmgr_attach - argument of ETSMGR_IOC_ATTACH
 * @flags: in: ETSMGR_ATTACH_* flags.
 * @access: in: enum etsmgr_access for a table to create (must be valid
 *	even on reclaim); out: the table's access mode.
 * @size: in: size in bytes of a table to create (rounded up to whole
 *	pages); ignored on reclaim. out: the table's size in bytes.
 * @name: in: the table's name (see ETSMGR_NAME_MAX).
 * @id: out: the table's id: never 0, never reused while the machine is up.
 * @generation: out: 1 on creation, incremented by every change of owner.
 * @mmap_offset: out: pass as mmap(2) offset on a session fd to map it.
 * @result: out: enum etsmgr_attach_result.
 * @exit_reason: out: enum etsmgr_exit_reason of the previous owner.
 * @exit_status: out: exit status or signal number, per @exit_reason.
 * @__pad: must be zero.
 * @__reserved: must be zero.
 *
 * Attaches the caller's session to the table @name in the caller's IPC
 * namespace. A held table is reclaimed; a missing one is created if
 * ETSMGR_ATTACH_CREATE is set. Errors: EINVAL (flags, access, size 0 or
 * too large to represent, bad name, non-zero padding), ENAMETOOLONG,
 * ENOENT (no such table and no CREATE), EEXIST (CREATE|EXCL and the name
 * exists), EBUSY (another live session owns it), EPERM (the table belongs
 * to another uid and the caller lacks CAP_SYS_ADMIN), EFBIG (size above
 * the max_table_size parameter), ENOSPC (max_tables or max_total_size
 * reached), ENOMEM, EFAULT.
 */
struct etsmgr_attach {
	__u32 flags;
	__u32 access;
	__u64 size;
	char name[ETSMGR_NAME_MAX];
	__u64 id;
	__u64 generation;
	__u64 mmap_offset;
	__u32 result;
	__u32 exit_reason;
	__s32 exit_status;
	__u32 __pad;
	__u64 __reserved[4];
};

/**
 * struct etsmgr_ref - names one table, by id or by name
 * @id: the table's id, or 0 to name it by @name.
 * @name: the table's name when @id is 0; must be empty when @id is set.
 * @flags: must be zero.
 * @__pad: must be zero.
 * @__reserved: must be zero.
 *
 * Argument of ETSMGR_IOC_DELETE. Naming neither or both is EINVAL.
 */
struct etsmgr_ref {
	__u64 id;
	char name[ETSMGR_NAME_MAX];
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[2];
};

/**
 * struct etsmgr_info - argument of ETSMGR_IOC_INFO
 * @ref: in: the table, as for ETSMGR_IOC_DELETE.
 * @id: out: the table's id.
 * @name: out: the table's name.
 * @size: out: size in bytes.
 * @generation: out: as in struct etsmgr_attach.
 * @mmap_offset: out: as in struct etsmgr_attach.
 * @create_time_ns: out: CLOCK_REALTIME of creation, in nanoseconds.
 * @transfer_time_ns: out: CLOCK_REALTIME of the last change of owner.
 * @state: out: enum etsmgr_state.
 * @access: out: enum etsmgr_access.
 * @uid: out: the table's uid, in the caller's user namespace.
 * @owner_pid: out: pid of the owning process in the caller's pid
 *	namespace; 0 when held or not visible.
 * @exit_reason: out: why the last owner let go (ETSMGR_EXIT_NONE if the
 *	creator still owns it).
 * @exit_status: out: exit status or signal number, per @exit_reason.
 * @owned_by_caller: out: 1 if the calling session owns the table, else 0.
 * @__pad: zeroed.
 * @__reserved: zeroed.
 *
 * Errors: EINVAL (bad reference), ENAMETOOLONG, ENOENT (no such table in
 * the caller's IPC namespace), EPERM (another uid's table and no
 * CAP_SYS_ADMIN), EFAULT.
 */
struct etsmgr_info {
	struct etsmgr_ref ref;
	__u64 id;
	char name[ETSMGR_NAME_MAX];
	__u64 size;
	__u64 generation;
	__u64 mmap_offset;
	__u64 create_time_ns;
	__u64 transfer_time_ns;
	__u32 state;
	__u32 access;
	__u32 uid;
	__s32 owner_pid;
	__u32 exit_reason;
	__s32 exit_status;
	__u32 owned_by_caller;
	__u32 __pad;
	__u64 __reserved[4];
};

/* The ioctl type letter of etsmgr (free in ioctl-number.rst). */
#define ETSMGR_IOC_MAGIC	0xE7

/*
 * ETSMGR_IOC_ATTACH - create or reclaim a table by name (struct
 * etsmgr_attach); the calling session becomes its owner.
 */
#define ETSMGR_IOC_ATTACH \
	_IOWR(ETSMGR_IOC_MAGIC, 0x01, struct etsmgr_attach)

/*
 * ETSMGR_IOC_DELETE - delete a table (struct etsmgr_ref). Allowed to the
 * owning session and to CAP_SYS_ADMIN. The name is free at once; the
 * memory is freed when the last mapping goes. Errors: EINVAL,
 * ENAMETOOLONG, ENOENT, EPERM (neither owner nor CAP_SYS_ADMIN), EFAULT.
 */
#define ETSMGR_IOC_DELETE \
	_IOW(ETSMGR_IOC_MAGIC, 0x02, struct etsmgr_ref)

/* ETSMGR_IOC_INFO - describe one table (struct etsmgr_info). */
#define ETSMGR_IOC_INFO \
	_IOWR(ETSMGR_IOC_MAGIC, 0x03, struct etsmgr_info)

/*
 * mmap(2) of a session fd maps a whole table or a prefix of it: offset is
 * the table's mmap_offset, length at most its size. MAP_SHARED only
 * (MAP_PRIVATE is EINVAL); length above the size is EINVAL; an offset that
 * names no table of the caller's IPC namespace is ENOENT. The owning
 * session maps read-write; other sessions of an allowed caller (same uid
 * or CAP_SYS_ADMIN) map a protected table read-only and a public table
 * read-write; anything else is EACCES, and so is mprotect(2) to a write
 * the mapping may not have. The mapping is a plain shmem mapping: it stays
 * valid after the session closes, the table changes owner or is deleted.
 */

#endif /* _UAPI_LINUX_ETSMGR_H */
