/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libetsmgr: the public C API of the etsmgr userspace library.
 *
 * Three concerns, one source file each:
 *   - sessions (session.c): /dev/etsmgr ioctl wrappers, to create,
 *     reclaim, map, describe and delete tables as their owner;
 *   - administration (netlink.c): the generic netlink family "etsmgr",
 *     through libnl-genl-3, to list tables, read the module's counters,
 *     delete any table and follow table events;
 *   - names (names.c): text names of the uAPI enums and small parsers
 *     that tools share;
 *   - records (records.c, etsmgr_records.h): an ETS-like crash-consistent
 *     set of records inside a table's memory.
 *
 * Every function that can fail returns 0 (or a documented non-negative
 * value) on success and a negative errno on failure. The library never
 * prints and never exits. The types and constants of the kernel's uAPI,
 * <linux/etsmgr.h>, are part of this API.
 *
 * Link with `pkg-config --libs libetsmgr`.
 */
#ifndef ETSMGR_H
#define ETSMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/etsmgr.h>

#include "etsmgr_records.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Sessions: the ioctl side (session.c)                                */
/* ------------------------------------------------------------------ */

/*
 * Open a new session (an open file description of /dev/etsmgr, with
 * O_CLOEXEC). Returns the descriptor, or -errno (-ENOENT: no device,
 * the module is not loaded). Closing the descriptor (close(2)) ends the
 * session: its tables become held, or pass to their heir; so does the
 * death of the calling process, even if a forked child still holds the
 * descriptor. The session is the calling process's: from any other
 * process every call on it but the info ones fails with -EBADFD (a child
 * opens its own).
 */
int etsmgr_session_open(void);

/*
 * ETSMGR_IOC_ATTACH: create or reclaim the table @name on @session.
 * @flags are ETSMGR_ATTACH_* (0 reclaims only); @size and @access
 * (enum etsmgr_access) apply to a table that gets created. On success
 * *@result holds everything the kernel reported (id, size, access,
 * generation, mmap_offset, result, exit_reason, exit_status, uid).
 * Names are per uid: the table is the caller's euid's. A reply naming
 * another uid (a module that predates per-user names) is refused with
 * -EPERM, *@result filled so that the caller can see whose it was: the
 * session owns that table until it deletes it or closes.
 * Errors: those of ETSMGR_IOC_ATTACH, and -ENAMETOOLONG for a name of 64
 * bytes or more; -EINVAL for ETSMGR_ATTACH_UID (see
 * etsmgr_session_attach_uid()).
 */
int etsmgr_session_attach(int session, const char *name, uint64_t size,
			  uint32_t access, uint32_t flags,
			  struct etsmgr_attach *result);

/*
 * The administrator's explicit take-over (ETSMGR_ATTACH_UID): reclaim
 * the held table that @uid (in the caller's user namespace) calls @name.
 * Needs CAP_SYS_ADMIN over the IPC namespace unless @uid is the caller's
 * euid (-EPERM). *@result as for etsmgr_session_attach(); result->uid is
 * @uid.
 */
int etsmgr_session_attach_uid(int session, const char *name, uint32_t uid,
			      struct etsmgr_attach *result);

/*
 * Map @length bytes of the table at @mmap_offset (from
 * struct etsmgr_attach or struct etsmgr_info) with @prot (PROT_READ,
 * PROT_READ | PROT_WRITE), MAP_SHARED. On success *@address is the
 * mapping; undo it with munmap(2). The mapping outlives the session.
 */
int etsmgr_session_map(int session, uint64_t mmap_offset, size_t length,
		       int prot, void **address);

/* ETSMGR_IOC_DELETE of the table @id, or of the table @name. */
int etsmgr_session_delete_by_id(int session, uint64_t id);
int etsmgr_session_delete_by_name(int session, const char *name);

/*
 * ETSMGR_IOC_RENAME of the table @id, or of the table @name, to
 * @new_name, with @reason (NULL or "" for none; printable ASCII, at most
 * 63 bytes). The owning session or CAP_SYS_ADMIN: -EPERM otherwise;
 * -EEXIST when the name is taken, -EINVAL for a bad name or reason.
 */
int etsmgr_session_rename_by_id(int session, uint64_t id,
				const char *new_name, const char *reason);
int etsmgr_session_rename_by_name(int session, const char *name,
				  const char *new_name, const char *reason);

/* ETSMGR_IOC_INFO of the table @id, or of the table @name, into *@info. */
int etsmgr_session_info_by_id(int session, uint64_t id,
			      struct etsmgr_info *info);
int etsmgr_session_info_by_name(int session, const char *name,
				struct etsmgr_info *info);

/*
 * ETSMGR_IOC_ADOPT: after the manager was drained and loaded again,
 * register the table mapped at @address (any address inside a mapping
 * the caller made as the table's owner) on @session: same name and id,
 * the mapping's generation + 1 (@generation is passed on but the kernel
 * ignores it). @access must be the table's own access mode (-EINVAL).
 * -EPERM: the mapping is no owner's any more (fenced, or the table was
 * deleted). *@result is the kernel's answer.
 */
int etsmgr_session_adopt(int session, const void *address, uint32_t access,
			 uint64_t generation, struct etsmgr_adopt *result);

/*
 * ETSMGR_IOC_SET_HEIR (@pidfd -1: the manager) and ETSMGR_IOC_GIVE of the
 * table @id, owned by @session, to the process @pidfd with @data.
 */
int etsmgr_session_set_heir(int session, uint64_t id, int pidfd,
			    uint64_t data);
int etsmgr_session_give(int session, uint64_t id, int pidfd, uint64_t data);

/*
 * ETSMGR_IOC_RECEIVE: the oldest notice of a table handed to @session
 * (-EAGAIN when none; poll(2) reports POLLIN while one waits).
 */
int etsmgr_session_receive(int session, struct etsmgr_received *notice);

/*
 * Wait up to @timeout_ms (-1: forever) for a table to be handed to
 * @session (a give-away, or an inheritance as heir) and take its notice.
 * 0, -ETIMEDOUT, -ESHUTDOWN (the manager began to drain), or -errno.
 */
int etsmgr_session_wait_received(int session, int timeout_ms,
				 struct etsmgr_received *notice);

/*
 * A supervisor that wants to be its children's heir (etssup(8) with
 * heir or standby) puts its pid in this variable of their environment.
 */
#define ETSMGR_SUPERVISOR_ENV "ETSSUP_HEIR_PID"

/*
 * ... and "1" in this one of a standby instance it starts beside the
 * active one: the standby owns nothing and waits for the supervisor to
 * hand it the tables of the active instance when that one dies.
 */
#define ETSMGR_STANDBY_ENV "ETSSUP_STANDBY"

/*
 * A pidfd of the supervisor named by ETSMGR_SUPERVISOR_ENV, for
 * etsmgr_session_set_heir(): checked to be the calling process's parent,
 * so that a supervisor that died (and whose pid may be reused) is never
 * named. -ENOENT when the variable is not set, -ESRCH when it does not
 * name the parent, or -errno. Close it after use.
 */
int etsmgr_supervisor_pidfd(void);

/*
 * 1 when the manager is stopping (a drain started: the session polls
 * POLLPRI | POLLHUP), 0 when it serves, -errno. A client then closes
 * the session, keeps its mappings, and adopts them once
 * etsmgr_session_open_wait() gets a new session.
 */
int etsmgr_session_manager_stopping(int session);

/*
 * Open a session, waiting up to @timeout_ms (-1: forever) for the device
 * to appear and the manager to serve (no device, or ESHUTDOWN while it
 * drains). Waits on inotify events of /dev, not with sleeps. Returns the
 * descriptor, -ETIMEDOUT, or another -errno.
 */
int etsmgr_session_open_wait(int timeout_ms);

/* ------------------------------------------------------------------ */
/* Administration: the generic netlink side (netlink.c)                */
/* ------------------------------------------------------------------ */

/*
 * One table as the netlink family describes it. Integer fields hold the
 * uAPI's values: @state is enum etsmgr_state, @access enum etsmgr_access,
 * @exit_reason enum etsmgr_exit_reason. @owner_pid is 0 while the table
 * is held; @uid is in the reader's user namespace; times are
 * CLOCK_REALTIME nanoseconds.
 */
struct etsmgr_table {
	uint64_t id;
	char name[ETSMGR_NAME_MAX];
	uint64_t size;
	uint64_t generation;
	uint64_t create_time_ns;
	uint64_t transfer_time_ns;
	uint32_t state;
	uint32_t access;
	uint32_t uid;
	uint32_t owner_pid;
	uint32_t exit_reason;
	int32_t exit_status;
	uint32_t mapped;	/* a process maps its memory */
	uint32_t heir_pid;	/* 0: the manager is the heir */
	/* Of a renamed table: its name at creation; "" if never renamed. */
	char orig_name[ETSMGR_NAME_MAX];
	/* The reason of its last rename; "" if none was given. */
	char rename_reason[ETSMGR_REASON_MAX];
};

/* The module's counters and limits (ETSMGR_CMD_GET_STATS). */
struct etsmgr_stats {
	uint64_t sessions;
	uint64_t tables;
	uint64_t held;
	uint64_t bytes;
	uint64_t created;
	uint64_t reclaimed;
	uint64_t deleted;
	uint64_t events;
	uint64_t max_tables;
	uint64_t max_table_size;
	uint64_t max_total_size;
	uint64_t load_time_ns;
	uint32_t state;		/* enum etsmgr_manager_state */
	uint64_t adopted;
	uint64_t ns_reaped;
};

/*
 * One notification of the "events" group. @event is enum etsmgr_event;
 * @pid the global pid of the process it is about (creator, old owner,
 * new owner or deleter); @table the table as it is after the event, with
 * global pids; all zero (id 0) for an event about no table.
 */
struct etsmgr_table_event {
	uint32_t event;
	uint32_t pid;
	struct etsmgr_table table;
	/* ETSMGR_EVENT_RENAMED: the name before; else "". */
	char old_name[ETSMGR_NAME_MAX];
};

/* A connection to the "etsmgr" family; not safe to share across threads. */
struct etsmgr_nl;

/*
 * Connect to generic netlink and resolve the "etsmgr" family.
 * Returns 0 and sets *@handle, or -errno. -ENOENT means exactly that the
 * family does not exist, that is, the module is not loaded (nothing else
 * in this function fails with ENOENT).
 */
int etsmgr_nl_open(struct etsmgr_nl **handle);

/* Close @handle (NULL is fine): sockets, subscription, queued events. */
void etsmgr_nl_close(struct etsmgr_nl *handle);

/*
 * The kernel's extended ack message of the last request that failed on
 * @handle (e.g. which attribute was wrong), or NULL when it sent none.
 * Valid until the next request on @handle.
 */
const char *etsmgr_nl_error_message(const struct etsmgr_nl *handle);

/* Describe one visible table, by id or by name (-ENOENT: none such). */
int etsmgr_nl_get_table_by_id(struct etsmgr_nl *handle, uint64_t id,
			      struct etsmgr_table *table);
int etsmgr_nl_get_table_by_name(struct etsmgr_nl *handle, const char *name,
				struct etsmgr_table *table);

/*
 * Called once per table by etsmgr_nl_dump_tables(), in id order. Return
 * 0 to go on; any other value stops the walk and is returned by
 * etsmgr_nl_dump_tables().
 */
typedef int (*etsmgr_table_fn)(const struct etsmgr_table *table,
			       void *arg);

/*
 * Every table the caller may see (all of its IPC namespace with
 * CAP_SYS_ADMIN, else those of its effective uid). The list is a
 * consistent snapshot: a dump that raced with a change (NLM_F_DUMP_INTR)
 * is retried, and -EAGAIN is returned if every try raced; @fn only ever
 * sees a complete, consistent list.
 */
int etsmgr_nl_dump_tables(struct etsmgr_nl *handle, etsmgr_table_fn fn,
			  void *arg);

/* The module's counters and limits. */
int etsmgr_nl_get_stats(struct etsmgr_nl *handle, struct etsmgr_stats *stats);

/*
 * Delete a table whoever owns it (ETSMGR_CMD_DELETE_TABLE). Needs
 * CAP_SYS_ADMIN: -EPERM without it; -ENOENT for no such table.
 */
int etsmgr_nl_delete_by_id(struct etsmgr_nl *handle, uint64_t id);
int etsmgr_nl_delete_by_name(struct etsmgr_nl *handle, const char *name);
/* The table @uid (in the caller's user namespace) calls @name. */
int etsmgr_nl_delete_by_uid_name(struct etsmgr_nl *handle, uint32_t uid,
				 const char *name);

/*
 * Rename a table whoever owns it (ETSMGR_CMD_RENAME_TABLE), to @new_name
 * with @reason (NULL for none). Needs CAP_SYS_ADMIN: -EPERM without it;
 * -ENOENT for no such table, -EEXIST when the name is taken, -EINVAL for
 * a bad name or reason (the kernel's words in etsmgr_nl_error_message()).
 */
int etsmgr_nl_rename_by_id(struct etsmgr_nl *handle, uint64_t id,
			   const char *new_name, const char *reason);
int etsmgr_nl_rename_by_name(struct etsmgr_nl *handle, const char *name,
			     const char *new_name, const char *reason);
/* The table @uid (in the caller's user namespace) calls @name. */
int etsmgr_nl_rename_by_uid_name(struct etsmgr_nl *handle, uint32_t uid,
				 const char *name, const char *new_name,
				 const char *reason);

/*
 * Drain the manager for an unload (CAP_SYS_ADMIN, -EPERM without):
 * start refuses new sessions and tells the existing ones to let go;
 * finish, once no session is open, lets go of every table (-EBUSY while
 * sessions are open, or while a held table no process maps would be lost
 * unless @discard deletes those; -EINVAL without a start); abort serves
 * again. See Documentation/etsmgr.rst.
 */
int etsmgr_nl_drain_start(struct etsmgr_nl *handle);
int etsmgr_nl_drain_finish(struct etsmgr_nl *handle, bool discard);
int etsmgr_nl_drain_abort(struct etsmgr_nl *handle);

/*
 * Subscribe to the events of the caller's IPC namespace (on a socket of
 * its own, so replies and events never mix), uids and pids as the caller
 * sees them. Needs CAP_SYS_ADMIN over that namespace: -EPERM without it.
 */
int etsmgr_nl_subscribe_events(struct etsmgr_nl *handle);

/*
 * A descriptor that polls readable when an event may be waiting, for a
 * caller's own poll loop (then call etsmgr_nl_read_event() with timeout
 * 0). -EINVAL before etsmgr_nl_subscribe_events().
 */
int etsmgr_nl_event_fd(const struct etsmgr_nl *handle);

/*
 * Wait up to @timeout_ms milliseconds (-1: forever, 0: do not wait) for
 * the next event. Returns 1 with *@event filled in, 0 on timeout, or
 * -errno: -EINTR when a signal interrupted the wait, -ENOBUFS when the
 * socket overflowed and events were lost (reading again goes on with
 * the next ones).
 */
int etsmgr_nl_read_event(struct etsmgr_nl *handle,
			 struct etsmgr_table_event *event, int timeout_ms);

/* ------------------------------------------------------------------ */
/* Names and parsers (names.c)                                         */
/* ------------------------------------------------------------------ */

/*
 * Lower-case names of uAPI enum values, as etsmgrctl prints them, or
 * NULL for a value this library does not know:
 *   state:        "owned", "held"
 *   access:       "private", "protected", "public"
 *   exit reason:  "none", "exited", "signaled", "closed"
 *   event:        "created", "owner_exited", "reclaimed", "deleted",
 *                 "adopted", "manager_stopping"
 *   attach result: "created", "reclaimed", "already_owned"
 */
const char *etsmgr_state_name(uint32_t state);
/* enum etsmgr_manager_state: "running", "draining", "drained". */
const char *etsmgr_manager_state_name(uint32_t state);
const char *etsmgr_access_name(uint32_t access);
const char *etsmgr_exit_reason_name(uint32_t exit_reason);
const char *etsmgr_event_name(uint32_t event);
const char *etsmgr_attach_result_name(uint32_t result);

/* The inverse of etsmgr_access_name(): 0, or -EINVAL for another word. */
int etsmgr_access_from_name(const char *name, uint32_t *access);

/*
 * Check a table name against the kernel's rule: 1..63 bytes of
 * [A-Za-z0-9._:-]. 0, -EINVAL (empty, bad byte) or -ENAMETOOLONG.
 */
int etsmgr_name_check(const char *name);

/*
 * Parse a whole string as an unsigned decimal number (no sign, no
 * blanks, no suffix). 0, -EINVAL (not a number) or -ERANGE (too big).
 */
int etsmgr_parse_u64(const char *text, uint64_t *value);

#ifdef __cplusplus
}
#endif

#endif /* ETSMGR_H */
