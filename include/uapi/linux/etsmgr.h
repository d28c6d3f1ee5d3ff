/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * etsmgr: named memory tables that survive the death of their owner.
 *
 * Userspace API of /dev/etsmgr. Each open() of the device is a session of
 * the process that opened it; a table is owned by exactly one process at a
 * time, through one of its sessions. When the owner dies (any exit, any
 * signal: reported with its own status, whoever else still holds the fd)
 * or closes that session, its tables go to their heir or become "held" by
 * the manager, data intact, until a process of the same uid reclaims them
 * by name with ETSMGR_IOC_ATTACH. A table is mapped with mmap(2) of a
 * session fd at the table's mmap_offset, MAP_SHARED only.
 *
 * A session acts for the process that opened it only: another process that
 * holds the same file (a forked child, an SCM_RIGHTS receiver) gets EBADFD
 * from every ioctl but ETSMGR_IOC_INFO, and maps with a non-owner's rights;
 * it opens a session of its own to do more.
 *
 * For 64-bit processes: a 32-bit process gets ENOTTY from every ioctl (ids
 * double as mmap page offsets, beyond what a 32-bit mmap can pass).
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
	/* Only the owner may map the table. */
	ETSMGR_ACCESS_PRIVATE = 0,
	/* Owner maps read-write; other allowed callers read-only. */
	ETSMGR_ACCESS_PROTECTED = 1,
	/* Owner and other allowed callers map read-write. */
	ETSMGR_ACCESS_PUBLIC = 2,
};

/* Table states reported by ETSMGR_IOC_INFO. */
enum etsmgr_state {
	/* A live process owns the table. */
	ETSMGR_STATE_OWNED = 1,
	/* The owner went away; the manager holds the table for reclaim. */
	ETSMGR_STATE_HELD = 2,
};

/* Why the previous owner of a table let go of it. */
enum etsmgr_exit_reason {
	/* No previous owner (the table was just created). */
	ETSMGR_EXIT_NONE = 0,
	/*
	 * The owner process exited; exit_status holds its exit status
	 * (0..255), as wait(2) reports it for the whole thread group.
	 */
	ETSMGR_EXIT_EXITED = 1,
	/* The owner process was killed; exit_status holds the signal. */
	ETSMGR_EXIT_SIGNALED = 2,
	/* The session was closed while its process lived on. */
	ETSMGR_EXIT_CLOSED = 3,
};

/* ETSMGR_IOC_ATTACH flags. */
/* Create the table if no table of that name exists. */
#define ETSMGR_ATTACH_CREATE	(1U << 0)
/* With CREATE: fail with EEXIST if the name exists (held or owned). */
#define ETSMGR_ATTACH_EXCL	(1U << 1)
/*
 * Reclaim the table that the uid in etsmgr_attach.uid calls @name, not
 * the caller's own: the administrator's explicit take-over of another
 * uid's table (CAP_SYS_ADMIN over the IPC namespace). Not with CREATE.
 */
#define ETSMGR_ATTACH_UID	(1U << 2)
#define ETSMGR_ATTACH_VALID	(ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL | \
				 ETSMGR_ATTACH_UID)

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
 * @uid: in: with ETSMGR_ATTACH_UID, the uid (in the caller's user
 *	namespace) whose table @name to reclaim; else must be zero. out: the
 *	table's uid in the caller's user namespace, so that a caller can
 *	tell whose bytes it was given.
 * @__reserved: must be zero.
 *
 * Attaches the caller's session to the table @name of the caller's euid
 * (names are per uid: another uid's table of the same name is another
 * table, never matched) in the caller's IPC namespace. A held table is
 * reclaimed; a missing one is created if ETSMGR_ATTACH_CREATE is set.
 * Errors: EINVAL (flags, access, size 0 or too large to represent, bad
 * name, @uid without ETSMGR_ATTACH_UID, ETSMGR_ATTACH_UID with CREATE or
 * a uid not mapped in the caller's user namespace), ENAMETOOLONG, ENOENT
 * (no such table and no CREATE), EEXIST (CREATE|EXCL and the name
 * exists), EBUSY (another live process, or another session of the
 * caller, owns it), EBADFD (the session is another process's: every
 * ioctl but INFO), EPERM (ETSMGR_ATTACH_UID
 * names another uid and the caller lacks CAP_SYS_ADMIN), EFBIG (size above
 * the max_table_size parameter), ENOSPC (max_tables or max_total_size
 * reached, or the caller's uid's max_tables_per_user or
 * max_total_size_per_user over all namespaces without CAP_SYS_RESOURCE,
 * or for a namespace other than the initial one max_tables_per_ns or
 * max_total_size_per_ns), ENOMEM, EFAULT.
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
	__u32 uid;
	__u64 __reserved[4];
};

/**
 * struct etsmgr_ref - names one table, by id or by name
 * @id: the table's id, or 0 to name it by @name.
 * @name: the table's name when @id is 0; must be empty when @id is set.
 *	A name is the caller's euid's, unless ETSMGR_REF_UID is set.
 * @flags: ETSMGR_REF_* flags.
 * @uid: with ETSMGR_REF_UID, the uid (in the caller's user namespace)
 *	whose table @name is meant; else must be zero.
 * @__reserved: must be zero.
 *
 * Argument of ETSMGR_IOC_DELETE. Naming neither or both is EINVAL; so is
 * ETSMGR_REF_UID with an id, or with a uid not mapped in the caller's
 * user namespace. Naming another uid needs CAP_SYS_ADMIN over the IPC
 * namespace (EPERM). Another uid's table named by id is ENOENT to a
 * caller without CAP_SYS_ADMIN, as if it did not exist.
 */
struct etsmgr_ref {
	__u64 id;
	char name[ETSMGR_NAME_MAX];
	__u32 flags;
	__u32 uid;
	__u64 __reserved[2];
};

/* struct etsmgr_ref flags: @name is the table of the uid in @uid. */
#define ETSMGR_REF_UID		(1U << 0)
#define ETSMGR_REF_VALID	ETSMGR_REF_UID

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
 * Errors: EINVAL (bad reference), ENAMETOOLONG, ENOENT (no such table of
 * the caller's uid, or named by id but another uid's and the caller lacks
 * CAP_SYS_ADMIN, in the caller's IPC namespace), EPERM (ETSMGR_REF_UID
 * names another uid and the caller lacks CAP_SYS_ADMIN), EFAULT.
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

/*
 * Why a table was renamed: 0..63 printable ASCII bytes (0x20..0x7e),
 * NUL-terminated inside a 64-byte array; empty for no reason given.
 */
#define ETSMGR_REASON_MAX	64

/**
 * struct etsmgr_rename - argument of ETSMGR_IOC_RENAME
 * @ref: the table, as for ETSMGR_IOC_DELETE.
 * @new_name: its new name, a valid table name of the table's uid.
 * @reason: why, for whoever looks later (see ETSMGR_REASON_MAX).
 * @flags: must be zero.
 * @__pad: must be zero.
 * @__reserved: must be zero.
 *
 * The table keeps its id, owner, heir, generation, data and mappings; its
 * old name is free at once, so the next ATTACH of it creates a new table.
 * Meant to set a table aside (a supervisor's quarantine of a state that
 * crashes its daemon) without losing it. The name at creation and the
 * reason stay with the table, shown by netlink (ETSMGR_A_TABLE_ORIG_NAME,
 * ETSMGR_A_TABLE_RENAME_REASON), and are kept across a reload: ADOPT
 * registers the table under its latest name.
 */
struct etsmgr_rename {
	struct etsmgr_ref ref;
	char new_name[ETSMGR_NAME_MAX];
	char reason[ETSMGR_REASON_MAX];
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[2];
};

/**
 * struct etsmgr_adopt - argument of ETSMGR_IOC_ADOPT
 * @addr: in: an address inside the caller's mapping of the table.
 * @flags: in: must be zero.
 * @access: in: enum etsmgr_access the table gets again.
 * @generation: in: ignored (any value); out: the table's generation: that
 *	of the caller's mapping + 1, so never one issued before.
 * @id: out: the table's id, as before the reload.
 * @name: out: the table's name, as before the reload.
 * @size: out: size in bytes.
 * @mmap_offset: out: as in struct etsmgr_attach.
 * @__reserved: must be zero.
 *
 * After the module was unloaded (see ETSMGR_CMD_DRAIN_START) and loaded
 * again, the process that owned a table and still maps it (a mapping it
 * made as the owner, not fenced since) registers it again under its old
 * name and id, and its session owns it. @access must be the table's own.
 * A deleted table is never registered again. Errors: EINVAL (flags,
 * access not the table's, reserved, or the mapping at @addr is not an
 * etsmgr table: a memfd, a tmpfs file, anonymous memory), EFAULT (nothing
 * mapped at @addr, bad pointer), EPERM (the mapping holds no owner's
 * grant: made by a non-owner, fenced by a change of owner, or the table
 * was deleted; or another uid's table and no CAP_SYS_ADMIN), EEXIST (its
 * name or id is in use), ESHUTDOWN (the manager is draining), ENOSPC,
 * EFBIG, ENOMEM.
 */
struct etsmgr_adopt {
	__u64 addr;
	__u32 flags;
	__u32 access;
	__u64 generation;
	__u64 id;
	char name[ETSMGR_NAME_MAX];
	__u64 size;
	__u64 mmap_offset;
	__u64 __reserved[4];
};

/**
 * struct etsmgr_handoff - argument of ETSMGR_IOC_SET_HEIR and ETSMGR_IOC_GIVE
 * @id: in: the table, which the calling session must own.
 * @pidfd: in: the process (a pidfd, so a reused pid cannot be named);
 *	for SET_HEIR, -1 makes the manager the heir again.
 * @flags: in: must be zero.
 * @data: in: a value handed to the receiver with the table, as ETS's
 *	{heir, Pid, Data} and give_away/3.
 * @__reserved: must be zero.
 *
 * The receiving session is the most recently opened live session of the
 * process; it is told through poll(2) (EPOLLIN) and ETSMGR_IOC_RECEIVE.
 * The process must be allowed for the table (same uid, or the caller has
 * CAP_SYS_ADMIN) and in the table's IPC namespace (an heir that left it
 * by the time the owner goes does not inherit). Errors: EINVAL (flags,
 * reserved, pidfd -1 for GIVE), EBADF (not a pidfd), ENOENT (no such
 * table), EPERM (the caller's session does not own the table, or the
 * process is another uid's), EXDEV (the process is in another IPC
 * namespace), ESRCH (the process is gone), ENXIO (GIVE: the process has
 * no session), ESHUTDOWN.
 */
struct etsmgr_handoff {
	__u64 id;
	__s32 pidfd;
	__u32 flags;
	__u64 data;
	__u64 __reserved[2];
};

/* How a session received a table (struct etsmgr_received). */
enum etsmgr_received_how {
	/* Its owner died and this session's process was the heir. */
	ETSMGR_RECEIVED_HEIR = 1,
	/* Its owner gave it away (ETSMGR_IOC_GIVE). */
	ETSMGR_RECEIVED_GIVEN = 2,
};

/**
 * struct etsmgr_received - argument of ETSMGR_IOC_RECEIVE
 * @id: out: the table the calling session now owns.
 * @name: out: its name.
 * @size: out: its size.
 * @generation: out: its generation after the transfer.
 * @mmap_offset: out: as in struct etsmgr_attach.
 * @data: out: the value the giver or the dead owner's SET_HEIR attached.
 * @how: out: enum etsmgr_received_how.
 * @from_pid: out: the previous owner's pid, in the caller's pid namespace.
 * @exit_reason: out: for ETSMGR_RECEIVED_HEIR, why the owner went away.
 * @exit_status: out: its exit status or signal number.
 * @__reserved: zeroed.
 *
 * Takes the oldest notice of a table handed to the calling session.
 * Errors: EAGAIN (none pending), EFAULT.
 */
struct etsmgr_received {
	__u64 id;
	char name[ETSMGR_NAME_MAX];
	__u64 size;
	__u64 generation;
	__u64 mmap_offset;
	__u64 data;
	__u32 how;
	__s32 from_pid;
	__u32 exit_reason;
	__s32 exit_status;
	__u64 __reserved[2];
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
 * owner, through the session it owns the table by, and to CAP_SYS_ADMIN.
 * The name is free at once; the memory is freed when the last mapping
 * goes, and the mappings of a private or protected table are fenced
 * (see mmap below). Errors: EINVAL,
 * ENAMETOOLONG, ENOENT (as for ETSMGR_IOC_INFO), EPERM (neither owner nor
 * CAP_SYS_ADMIN), EFAULT.
 */
#define ETSMGR_IOC_DELETE \
	_IOW(ETSMGR_IOC_MAGIC, 0x02, struct etsmgr_ref)

/* ETSMGR_IOC_INFO - describe one table (struct etsmgr_info). */
#define ETSMGR_IOC_INFO \
	_IOWR(ETSMGR_IOC_MAGIC, 0x03, struct etsmgr_info)

/* ETSMGR_IOC_ADOPT - register a mapped table again (struct etsmgr_adopt). */
#define ETSMGR_IOC_ADOPT \
	_IOWR(ETSMGR_IOC_MAGIC, 0x04, struct etsmgr_adopt)

/*
 * ETSMGR_IOC_SET_HEIR - name the process whose session gets the table when
 * its owner goes away (struct etsmgr_handoff); if that process is gone or
 * has no session then, the manager holds the table as usual.
 */
#define ETSMGR_IOC_SET_HEIR \
	_IOW(ETSMGR_IOC_MAGIC, 0x05, struct etsmgr_handoff)

/*
 * ETSMGR_IOC_GIVE - hand an owned table to another process's session now
 * (struct etsmgr_handoff); the giver keeps no owner rights.
 */
#define ETSMGR_IOC_GIVE \
	_IOW(ETSMGR_IOC_MAGIC, 0x06, struct etsmgr_handoff)

/* ETSMGR_IOC_RECEIVE - take a notice of a handed table (etsmgr_received). */
#define ETSMGR_IOC_RECEIVE \
	_IOR(ETSMGR_IOC_MAGIC, 0x07, struct etsmgr_received)

/*
 * ETSMGR_IOC_RENAME - give a table another name (struct etsmgr_rename).
 * Allowed to the owner, through the session it owns the table by, and to
 * CAP_SYS_ADMIN, as ETSMGR_IOC_DELETE. Sends ETSMGR_EVENT_RENAMED. Errors:
 * EINVAL (bad reference, bad new name or reason, non-zero flags, padding
 * or reserved fields), ENAMETOOLONG (no NUL in a name), ENOENT (as for
 * ETSMGR_IOC_INFO), EPERM (neither owner nor CAP_SYS_ADMIN), EEXIST (the
 * table's uid has a table of that name already, this one included),
 * ENOMEM, EFAULT.
 */
#define ETSMGR_IOC_RENAME \
	_IOW(ETSMGR_IOC_MAGIC, 0x08, struct etsmgr_rename)

/*
 * The manager stops: poll(2) on a session fd reports EPOLLPRI | EPOLLHUP
 * once a drain started. The client then closes its session, keeping its
 * mappings, waits for /dev/etsmgr to come back, and adopts its tables.
 * While draining, open(2) of the device, ATTACH and ADOPT fail with
 * ESHUTDOWN.
 */
enum etsmgr_manager_state {
	ETSMGR_MANAGER_RUNNING = 0,
	ETSMGR_MANAGER_DRAINING = 1,
	ETSMGR_MANAGER_DRAINED = 2,
};

/*
 * mmap(2) of a session fd maps a whole table or a prefix of it: offset is
 * the table's mmap_offset, length at most its size. MAP_SHARED only
 * (MAP_PRIVATE is EINVAL); length above the size is EINVAL; an offset that
 * names no table of the caller's IPC namespace is ENOENT. The owning
 * session maps read-write; other sessions of an allowed caller (same uid
 * or CAP_SYS_ADMIN) map a protected table read-only and a public table
 * read-write; anything else is EACCES, and so is mprotect(2) to a write
 * the mapping may not have. The mapping is a plain shmem mapping: it stays
 * valid after the session closes, after the module is unloaded, and for
 * a public table after the table changes owner or is deleted.
 *
 * Fencing: the generation is the table's fencing token. After a change of
 * owner (reclaim, give, inherit, adopt) or a delete, every mapping of a
 * private or protected table made by an earlier owner loses its write
 * access (and, for a private table, its read access): its next such
 * access raises SIGSEGV and changes nothing, and mprotect(2) cannot give
 * the rights back (EACCES). The new owner's own earlier mappings stay its
 * own; other processes' read-only mappings of a protected table stay
 * readable. The owner's mappings of a private or protected table are not
 * inherited by fork(2) (as with MADV_DONTFORK). Public tables are shared
 * by design: their mappings are never fenced.
 */

/*
 * Generic netlink family "etsmgr": introspection, admin and events.
 *
 * Every message is a genlmsghdr (version ETSMGR_GENL_VERSION) followed by
 * flat attributes. Requests are validated strictly: unknown attributes,
 * wrong types and oversized strings are rejected with an extack message.
 * The calling process's IPC namespace decides which tables exist; a
 * caller without CAP_SYS_ADMIN (in the user namespace owning that IPC
 * namespace) sees only the tables of its own effective uid. Uids are shown
 * in the reader's user namespace, pids in its pid namespace.
 */
#define ETSMGR_GENL_NAME		"etsmgr"
#define ETSMGR_GENL_VERSION		1

/**
 * enum etsmgr_genl_cmd - commands of the etsmgr family
 * @ETSMGR_CMD_UNSPEC: unused.
 * @ETSMGR_CMD_GET_TABLE: request: ETSMGR_A_TABLE_ID or ETSMGR_A_TABLE_NAME
 *	names one table (a name is the caller's euid's table, or with
 *	ETSMGR_A_TABLE_UID that uid's; a uid with an id is EINVAL); the
 *	reply describes it (table attributes). With
 *	NLM_F_DUMP and no attributes: every visible table, in id order, one
 *	message each; a dump that raced with a change is flagged
 *	NLM_F_DUMP_INTR. Errors: EINVAL (neither or both named, bad name),
 *	ENOENT (no such visible table).
 * @ETSMGR_CMD_GET_STATS: request: no attributes; reply: ETSMGR_A_STATS_*.
 * @ETSMGR_CMD_DELETE_TABLE: request: ETSMGR_A_TABLE_ID or _NAME (and
 *	ETSMGR_A_TABLE_UID, as for ETSMGR_CMD_GET_TABLE). Deletes
 *	the table whoever owns it, as ETSMGR_IOC_DELETE would. Errors: EPERM
 *	without CAP_SYS_ADMIN, EINVAL, ENOENT.
 * @ETSMGR_CMD_EVENT: notification to a subscribed socket (see
 *	ETSMGR_CMD_SUBSCRIBE): ETSMGR_A_EVENT, ETSMGR_A_EVENT_PID and the
 *	table attributes after the event.
 * @ETSMGR_CMD_DRAIN_START: CAP_SYS_ADMIN. Prepare an unload: refuse new
 *	sessions, attaches and adoptions (ESHUTDOWN), send
 *	ETSMGR_EVENT_MANAGER_STOPPING and wake every session's poll.
 * @ETSMGR_CMD_DRAIN_FINISH: CAP_SYS_ADMIN; once every session is closed,
 *	let go of every table so that rmmod succeeds. Tables that a process
 *	maps live on in its mapping (and are adopted after the reload); held
 *	tables that nothing maps (ETSMGR_A_TABLE_MAPPED 0) make it fail with
 *	EBUSY, unless ETSMGR_A_DRAIN_DISCARD deletes them. Errors: EINVAL
 *	(no drain started), EBUSY (sessions still open, or unmapped held
 *	tables).
 * @ETSMGR_CMD_DRAIN_ABORT: CAP_SYS_ADMIN; serve again as before the drain.
 *	The three drain commands act on every namespace: they need
 *	CAP_SYS_ADMIN in the initial user namespace.
 * @ETSMGR_CMD_SUBSCRIBE: request: no attributes; CAP_SYS_ADMIN (in the
 *	user namespace owning the caller's IPC namespace). From then on, the
 *	sending socket gets an ETSMGR_CMD_EVENT message for each event about
 *	a table of the caller's IPC namespace, and the manager's own events,
 *	with uids and pids as the caller sees them, until the socket is
 *	closed. The initial IPC namespace's subscribers also get
 *	ETSMGR_EVENT_NS_REAPED. Again on the same socket: no change. Errors:
 *	EPERM, ENOSPC (64 subscribers in the namespace already), ENOMEM.
 * @ETSMGR_CMD_RENAME_TABLE: request: the table as for
 *	ETSMGR_CMD_DELETE_TABLE, ETSMGR_A_TABLE_NEW_NAME and optionally
 *	ETSMGR_A_TABLE_RENAME_REASON. Renames the table whoever owns it, as
 *	ETSMGR_IOC_RENAME would. Errors: EPERM without CAP_SYS_ADMIN,
 *	EINVAL, ENOENT, EEXIST, ENOMEM.
 */
enum etsmgr_genl_cmd {
	ETSMGR_CMD_UNSPEC,
	ETSMGR_CMD_GET_TABLE,
	ETSMGR_CMD_GET_STATS,
	ETSMGR_CMD_DELETE_TABLE,
	ETSMGR_CMD_EVENT,
	ETSMGR_CMD_DRAIN_START,
	ETSMGR_CMD_DRAIN_FINISH,
	ETSMGR_CMD_DRAIN_ABORT,
	ETSMGR_CMD_SUBSCRIBE,
	ETSMGR_CMD_RENAME_TABLE,

	__ETSMGR_CMD_MAX,
	ETSMGR_CMD_MAX = __ETSMGR_CMD_MAX - 1,
};

/**
 * enum etsmgr_event - ETSMGR_A_EVENT: what happened to a table
 * @ETSMGR_EVENT_CREATED: created; ETSMGR_A_EVENT_PID is the creator.
 * @ETSMGR_EVENT_OWNER_EXITED: the owner let go and the manager holds it;
 *	ETSMGR_A_EVENT_PID is the old owner, ETSMGR_A_TABLE_EXIT_* say why.
 * @ETSMGR_EVENT_RECLAIMED: a held table has a new owner, ETSMGR_A_EVENT_PID.
 * @ETSMGR_EVENT_DELETED: deleted; ETSMGR_A_EVENT_PID is the deleter.
 * @ETSMGR_EVENT_ADOPTED: registered again after a reload by the process
 *	that maps it, ETSMGR_A_EVENT_PID, its new owner.
 * @ETSMGR_EVENT_MANAGER_STOPPING: a drain started (no table attributes;
 *	ETSMGR_A_EVENT_PID is the administrator).
 * @ETSMGR_EVENT_GIVEN: the owner gave the table to ETSMGR_A_EVENT_PID.
 * @ETSMGR_EVENT_INHERITED: the owner went away (ETSMGR_A_TABLE_EXIT_* say
 *	why) and its heir, ETSMGR_A_EVENT_PID, owns the table now.
 * @ETSMGR_EVENT_NS_REAPED: to the initial IPC namespace's subscribers only:
 *	the table's IPC namespace died (no process can enter it again) and
 *	the table was deleted; ETSMGR_A_EVENT_IPC_NS names the namespace,
 *	ETSMGR_A_EVENT_PID is 0.
 * @ETSMGR_EVENT_RENAMED: ETSMGR_A_EVENT_PID renamed the table from
 *	ETSMGR_A_TABLE_OLD_NAME to ETSMGR_A_TABLE_NAME (no change of owner).
 *
 * Every change of a table's owner sends exactly one event to the
 * subscribers of the table's IPC namespace.
 */
enum etsmgr_event {
	ETSMGR_EVENT_CREATED = 1,
	ETSMGR_EVENT_OWNER_EXITED = 2,
	ETSMGR_EVENT_RECLAIMED = 3,
	ETSMGR_EVENT_DELETED = 4,
	ETSMGR_EVENT_ADOPTED = 5,
	ETSMGR_EVENT_MANAGER_STOPPING = 6,
	ETSMGR_EVENT_GIVEN = 7,
	ETSMGR_EVENT_INHERITED = 8,
	ETSMGR_EVENT_NS_REAPED = 9,
	ETSMGR_EVENT_RENAMED = 10,
};

/**
 * enum etsmgr_genl_attr - attributes of the etsmgr family
 * @ETSMGR_A_UNSPEC: unused.
 * @ETSMGR_A_PAD: padding for 64-bit attributes.
 * @ETSMGR_A_TABLE_ID: u64, the table's id (non-zero).
 * @ETSMGR_A_TABLE_NAME: NUL-terminated string, at most 63 bytes + NUL.
 * @ETSMGR_A_TABLE_SIZE: u64, bytes.
 * @ETSMGR_A_TABLE_STATE: u32, enum etsmgr_state.
 * @ETSMGR_A_TABLE_ACCESS: u32, enum etsmgr_access.
 * @ETSMGR_A_TABLE_UID: u32, the table's uid in the reader's user namespace
 *	(the subscriber's, for events); the overflow uid when unmapped. In
 *	a GET_TABLE or DELETE_TABLE request by name: whose table the name is.
 * @ETSMGR_A_TABLE_OWNER_PID: u32, the owner's pid in the reader's pid
 *	namespace (the subscriber's, for events); 0 when held or not
 *	visible.
 * @ETSMGR_A_TABLE_GENERATION: u64, 1 at creation, + 1 per owner change.
 * @ETSMGR_A_TABLE_CREATE_TIME: u64, CLOCK_REALTIME ns of creation.
 * @ETSMGR_A_TABLE_TRANSFER_TIME: u64, CLOCK_REALTIME ns of the last change
 *	of owner.
 * @ETSMGR_A_TABLE_EXIT_REASON: u32, enum etsmgr_exit_reason of the last
 *	owner that let go.
 * @ETSMGR_A_TABLE_EXIT_STATUS: u32, its exit status or signal number.
 * @ETSMGR_A_EVENT: u32, enum etsmgr_event.
 * @ETSMGR_A_EVENT_PID: u32, pid of the process the event is about, in the
 *	subscriber's pid namespace; 0 when not visible there.
 * @ETSMGR_A_STATS_SESSIONS: u64, open sessions.
 * @ETSMGR_A_STATS_TABLES: u64, tables in the registry.
 * @ETSMGR_A_STATS_HELD: u64, tables held by the manager.
 * @ETSMGR_A_STATS_BYTES: u64, sum of the sizes of the tables.
 * @ETSMGR_A_STATS_CREATED: u64, tables created since load.
 * @ETSMGR_A_STATS_RECLAIMED: u64, reclaims since load.
 * @ETSMGR_A_STATS_DELETED: u64, tables deleted since load.
 * @ETSMGR_A_STATS_EVENTS: u64, events sent since load.
 * @ETSMGR_A_STATS_MAX_TABLES: u64, the max_tables parameter.
 * @ETSMGR_A_STATS_MAX_TABLE_SIZE: u64, the max_table_size parameter.
 * @ETSMGR_A_STATS_MAX_TOTAL_SIZE: u64, the max_total_size parameter.
 * @ETSMGR_A_STATS_LOAD_TIME: u64, CLOCK_REALTIME ns of the module load.
 * @ETSMGR_A_TABLE_MAPPED: u32, 1 if a process maps the table's memory.
 * @ETSMGR_A_STATS_STATE: u32, enum etsmgr_manager_state.
 * @ETSMGR_A_STATS_ADOPTED: u64, tables adopted since load.
 * @ETSMGR_A_DRAIN_DISCARD: flag, in ETSMGR_CMD_DRAIN_FINISH: delete held
 *	tables that no process maps.
 * @ETSMGR_A_STATS_NS_REAPED: u64, tables deleted because their IPC
 *	namespace died (no process could ever reach them again).
 * @ETSMGR_A_TABLE_HEIR_PID: u32, the heir's pid in the reader's pid
 *	namespace; 0 when the manager is the heir.
 * @ETSMGR_A_EVENT_IPC_NS: u32, in ETSMGR_EVENT_NS_REAPED: the inode number
 *	of the dead IPC namespace (as in /proc/PID/ns/ipc -> ipc:[N]).
 * @ETSMGR_A_STATS_NS_TABLES: u64, tables of the caller's IPC namespace
 *	(the other STATS counters are module-wide).
 * @ETSMGR_A_STATS_NS_BYTES: u64, sum of their sizes.
 * @ETSMGR_A_STATS_MAX_TABLES_PER_NS: u64, the max_tables_per_ns parameter.
 * @ETSMGR_A_STATS_MAX_TOTAL_SIZE_PER_NS: u64, the max_total_size_per_ns
 *	parameter.
 * @ETSMGR_A_TABLE_NEW_NAME: string as ETSMGR_A_TABLE_NAME, in
 *	ETSMGR_CMD_RENAME_TABLE: the new name.
 * @ETSMGR_A_TABLE_ORIG_NAME: string, the table's name at creation; only
 *	in the attributes of a table that was renamed.
 * @ETSMGR_A_TABLE_RENAME_REASON: string (see ETSMGR_REASON_MAX), in
 *	ETSMGR_CMD_RENAME_TABLE: why; in the attributes of a renamed table:
 *	the reason of its last rename, when one was given.
 * @ETSMGR_A_TABLE_OLD_NAME: string, in ETSMGR_EVENT_RENAMED: the name the
 *	table had before.
 */
enum etsmgr_genl_attr {
	ETSMGR_A_UNSPEC,
	ETSMGR_A_PAD,
	ETSMGR_A_TABLE_ID,
	ETSMGR_A_TABLE_NAME,
	ETSMGR_A_TABLE_SIZE,
	ETSMGR_A_TABLE_STATE,
	ETSMGR_A_TABLE_ACCESS,
	ETSMGR_A_TABLE_UID,
	ETSMGR_A_TABLE_OWNER_PID,
	ETSMGR_A_TABLE_GENERATION,
	ETSMGR_A_TABLE_CREATE_TIME,
	ETSMGR_A_TABLE_TRANSFER_TIME,
	ETSMGR_A_TABLE_EXIT_REASON,
	ETSMGR_A_TABLE_EXIT_STATUS,
	ETSMGR_A_EVENT,
	ETSMGR_A_EVENT_PID,
	ETSMGR_A_STATS_SESSIONS,
	ETSMGR_A_STATS_TABLES,
	ETSMGR_A_STATS_HELD,
	ETSMGR_A_STATS_BYTES,
	ETSMGR_A_STATS_CREATED,
	ETSMGR_A_STATS_RECLAIMED,
	ETSMGR_A_STATS_DELETED,
	ETSMGR_A_STATS_EVENTS,
	ETSMGR_A_STATS_MAX_TABLES,
	ETSMGR_A_STATS_MAX_TABLE_SIZE,
	ETSMGR_A_STATS_MAX_TOTAL_SIZE,
	ETSMGR_A_STATS_LOAD_TIME,
	ETSMGR_A_TABLE_MAPPED,
	ETSMGR_A_STATS_STATE,
	ETSMGR_A_STATS_ADOPTED,
	ETSMGR_A_DRAIN_DISCARD,
	ETSMGR_A_STATS_NS_REAPED,
	ETSMGR_A_TABLE_HEIR_PID,
	ETSMGR_A_EVENT_IPC_NS,
	ETSMGR_A_STATS_NS_TABLES,
	ETSMGR_A_STATS_NS_BYTES,
	ETSMGR_A_STATS_MAX_TABLES_PER_NS,
	ETSMGR_A_STATS_MAX_TOTAL_SIZE_PER_NS,
	ETSMGR_A_TABLE_NEW_NAME,
	ETSMGR_A_TABLE_ORIG_NAME,
	ETSMGR_A_TABLE_RENAME_REASON,
	ETSMGR_A_TABLE_OLD_NAME,

	__ETSMGR_A_MAX,
	ETSMGR_A_MAX = __ETSMGR_A_MAX - 1,
};

#endif /* _UAPI_LINUX_ETSMGR_H */
