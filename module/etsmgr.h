/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etsmgr internals shared by the module's files: the table and session
 * objects, the registry that holds tables, and the counters.
 *
 * Layers: every call points downward, from the front ends to the
 * mechanisms; nothing below calls up (events go up through consumers that
 * the upper layers register with event.c).
 *
 *   front ends   dev.c, dev_mmap.c, dev_adopt.c, dev_handoff.c (the char
 *                device /dev/etsmgr), genl.c (generic netlink; an event
 *                consumer)
 *   ownership    ownership.c (sessions, owner state machine, heirs, give,
 *                notices), manager.c (the manager's state and drain)
 *   registry     names.c (what a name may be, the names a renamed table
 *                keeps across a reload), registry.c (tables: names, ids,
 *                limits, permissions; reaps a dead namespace's tables, an
 *                event consumer)
 *   namespaces   namespace.c (records of IPC namespaces, their reaper)
 *   mechanisms   event.c (events to consumers), fence.c (owner mappings
 *                and their fencing), pidwatch.c (process death)
 *
 * main.c wires them up: module parameters, debugfs, registration.
 *
 * Locking: one mutex, etsmgr_lock, protects the registry (name hash, id
 * xarray and namespace records), every field of a table except the
 * constant ones (id, ns, shmem, size, uid, create_time_ns), every
 * session's list of owned tables, and the counters. It is a mutex because
 * creating a table sleeps (shmem_file_setup). It nests inside mmap_lock
 * (->mmap takes it),
 * so no code may fault on user memory or take mmap_lock while holding it:
 * ioctls copy their argument in before locking and out after unlocking.
 */
#ifndef ETSMGR_INTERNAL_H
#define ETSMGR_INTERNAL_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/etsmgr.h>

struct file;
struct inode;
struct ipc_namespace;
struct pid;
struct poll_table_struct;

/*
 * Ids double as mmap page offsets (etsmgr_mmap_offset()), so they must fit
 * in an loff_t once shifted by PAGE_SHIFT: 2^51 us is some 71 years.
 */
#define ETSMGR_ID_MAX		((u64)LLONG_MAX >> PAGE_SHIFT)

/**
 * struct etsmgr_pidwatch - a watch for the death of a process (pidwatch.c)
 * @pid: the thread-group pid watched (the watcher's reference).
 * @wait: entry on @pid's wait_pidfd queue.
 * @work: calls @died in process context.
 * @died: the watcher's callback.
 * @exited: the thread group has exited.
 * @reason: its enum etsmgr_exit_reason, once @exited.
 * @status: its exit status or signal, once @exited.
 */
struct etsmgr_pidwatch {
	struct pid *pid;
	struct wait_queue_entry wait;
	struct work_struct work;
	void (*died)(struct etsmgr_pidwatch *watch);
	bool exited;
	u32 reason;
	s32 status;
};

/**
 * struct etsmgr_session - one open file description of /dev/etsmgr
 *	(ownership.c)
 * @tables: the tables this session owns (etsmgr_table.owner_node), all
 *	owned by the process @pid.
 * @node: entry in etsmgr_sessions, newest first.
 * @pid: thread-group pid of the process that opened it: the only process
 *	that may act through it (etsmgr_session_mine()).
 * @uid: euid of the process that opened it.
 * @received: notices of tables handed to it, oldest first; at most one
 *	per table, so never more than max_tables.
 * @wq: woken when a notice is queued to this session.
 * @watch: lets the tables go when @pid dies.
 */
struct etsmgr_session {
	struct list_head tables;
	struct list_head node;
	struct pid *pid;
	kuid_t uid;
	struct list_head received;
	wait_queue_head_t wq;
	struct etsmgr_pidwatch watch;
};

/**
 * struct etsmgr_ns - an IPC namespace that has tables or event subscribers
 *	(namespace.c)
 * @ipc_ns: the namespace, with a reference, so that it outlives its tables
 *	and subscribers; compared, and read for its user namespace and inode
 *	number, which are constant.
 * @refs: one per table in the registry and per subscriber.
 * @tables: tables in the registry that live in @ipc_ns.
 * @bytes: the sum of their sizes.
 * @subscribers: event subscribers of @ipc_ns (genl.c), which an event
 *	about one of its tables goes to.
 * @nr_subscribers: how many.
 * @node: entry in the list of namespaces with records.
 * @reap_node: entry in the reaper's list of dead namespaces (namespace.c).
 */
struct etsmgr_ns {
	struct ipc_namespace *ipc_ns;
	unsigned int refs;
	unsigned int tables;
	u64 bytes;
	struct list_head subscribers;
	unsigned int nr_subscribers;
	struct list_head node;
	struct list_head reap_node;
};

/**
 * struct etsmgr_table - a named shmem region in the registry
 * @id: unique id, never reused while the machine is up.
 * @name: NUL-terminated name, unique within its namespace.
 * @ns: the IPC namespace the table lives in.
 * @shmem: the backing shmem file; mappings hold their own references.
 * @size: size in bytes, a multiple of PAGE_SIZE.
 * @uid: euid of the creator.
 * @access: enum etsmgr_access.
 * @create_time_ns: CLOCK_REALTIME at creation.
 * @owner: the owning session, or NULL while held by the manager.
 * @owner_pid: thread-group pid of the process that attached, or NULL.
 * @owner_node: entry in @owner's list of tables.
 * @name_node: entry in the registry's name hash.
 * @generation: 1 at creation, + 1 per change of owner.
 * @exit_reason: enum etsmgr_exit_reason of the last owner that let go.
 * @exit_status: exit status or signal number, per @exit_reason.
 * @transfer_time_ns: CLOCK_REALTIME of the last change of owner.
 * @heir: thread-group pid of the heir (a reference), NULL for the manager.
 * @heir_data: the value handed to the heir with the table.
 * @mappers: processes that mapped it as its owner since the last fence
 *	(fence.c).
 * @renamed: its names and reason once renamed (names.c), else NULL.
 */
struct etsmgr_table {
	u64 id;
	char name[ETSMGR_NAME_MAX];
	struct etsmgr_ns *ns;
	struct file *shmem;
	u64 size;
	kuid_t uid;
	u32 access;
	u64 create_time_ns;

	struct etsmgr_session *owner;
	struct pid *owner_pid;
	struct list_head owner_node;
	struct hlist_node name_node;
	u64 generation;
	u32 exit_reason;
	s32 exit_status;
	u64 transfer_time_ns;
	struct pid *heir;
	u64 heir_data;
	struct list_head mappers;
	struct etsmgr_renamed *renamed;
};

/**
 * struct etsmgr_renamed - what a renamed table keeps of its names
 * @orig_name: its name at creation.
 * @old_name: its name before the last rename.
 * @reason: why it was last renamed, or empty.
 */
struct etsmgr_renamed {
	char orig_name[ETSMGR_NAME_MAX];
	char old_name[ETSMGR_NAME_MAX];
	char reason[ETSMGR_REASON_MAX];
};

/*
 * The manager's state (enum etsmgr_manager_state, manager.c): while
 * draining or drained for an unload it refuses new sessions, attaches and
 * adoptions, and sessions poll as hung up (etsmgr_manager_wq). Written
 * under etsmgr_lock with WRITE_ONCE(); read under it, or with READ_ONCE()
 * without (poll).
 */
extern u32 etsmgr_manager_state;
extern wait_queue_head_t etsmgr_manager_wq;

/* Module-wide counters, under etsmgr_lock; shown in debugfs. */
struct etsmgr_counters {
	u64 sessions;
	u64 tables;
	u64 held;
	u64 bytes;
	u64 created;
	u64 reclaimed;
	u64 deleted;
	u64 adopted;
	u64 ns_reaped;
	u64 given;
	u64 inherited;
	u64 events;
};

/* Limits, module parameters (main.c); read with READ_ONCE(). */
extern unsigned int etsmgr_max_tables;
extern unsigned long long etsmgr_max_table_size;
extern unsigned long long etsmgr_max_total_size;
extern unsigned int etsmgr_max_tables_per_ns;
extern unsigned long long etsmgr_max_total_size_per_ns;
extern unsigned int etsmgr_max_tables_per_user;
extern unsigned long long etsmgr_max_total_size_per_user;

extern struct mutex etsmgr_lock;
extern struct etsmgr_counters etsmgr_counters;
/* Bumped by every change of the registry; marks racing netlink dumps. */
extern unsigned int etsmgr_registry_seq;

/* ================================================== mechanisms ==== */

/* event.c */
/**
 * struct etsmgr_event_consumer - who is told of events (event.c)
 * @table_event: a table changed (enum etsmgr_event), or the manager.
 * @ns_reaped: a table of a dead namespace is being deleted.
 * @ns_dead: a namespace died: let go of what is kept of it.
 * @sweep: the reaper's periodic round.
 * @node: entry in the list of consumers.
 *
 * Every callback is optional and runs under etsmgr_lock.
 */
struct etsmgr_event_consumer {
	void (*table_event)(u32 event, const struct etsmgr_table *table,
			    struct pid *pid);
	void (*ns_reaped)(const struct etsmgr_table *table);
	void (*ns_dead)(struct etsmgr_ns *ens);
	void (*sweep)(void);
	struct list_head node;
};

void etsmgr_event_register(struct etsmgr_event_consumer *consumer);
void etsmgr_event_unregister(struct etsmgr_event_consumer *consumer);
void etsmgr_event(u32 event, const struct etsmgr_table *table,
		  struct pid *pid);
void etsmgr_event_ns_reaped(const struct etsmgr_table *table);
void etsmgr_event_ns_dead(struct etsmgr_ns *ens);
void etsmgr_event_sweep(void);

/* fence.c */
struct etsmgr_mapper;
struct vm_area_struct;
struct etsmgr_mapper *etsmgr_mapper_alloc(void);
void etsmgr_mapper_free(struct etsmgr_mapper *mapper);
void etsmgr_grant_mapping(struct etsmgr_table *table,
			  struct vm_area_struct *vma,
			  struct etsmgr_mapper *mapper);
void etsmgr_fence_keep(struct etsmgr_table *table,
		       struct etsmgr_mapper *mapper);
void etsmgr_fence_queue(struct etsmgr_table *table, u64 generation);
void etsmgr_mappers_drop(struct etsmgr_table *table);
void etsmgr_fence_run(void);
void etsmgr_fence_exit(void);
void etsmgr_fence_raise(struct file *shmem, u64 generation);
int etsmgr_grant_of(unsigned long addr, struct file **shmem, u64 *generation,
		    u32 *access);

/* pidwatch.c */
void etsmgr_pidwatch_start(struct etsmgr_pidwatch *watch, struct pid *pid,
			   void (*died)(struct etsmgr_pidwatch *watch));
void etsmgr_pidwatch_stop(struct etsmgr_pidwatch *watch);
void etsmgr_pidwatch_exit_reason(const struct etsmgr_pidwatch *watch,
				 u32 *reason, s32 *status);
bool etsmgr_pidwatch_alive(const struct etsmgr_pidwatch *watch);
int etsmgr_pidwatch_init(void);
void etsmgr_pidwatch_exit(void);

/* ================================================== namespaces ==== */

/* namespace.c */
void etsmgr_put_ipc_ns(struct ipc_namespace *ns);
struct etsmgr_ns *etsmgr_ns_find(const struct ipc_namespace *ns);
bool etsmgr_ipc_ns_is_init(const struct ipc_namespace *ns);
struct etsmgr_ns *etsmgr_ns_get(const struct ipc_namespace *ns);
void etsmgr_ns_put(struct etsmgr_ns *ens);
void etsmgr_ns_exit(void);

/* ==================================================== registry ==== */

/* names.c */
int etsmgr_check_name(const char *name);
int etsmgr_check_reason(const char *reason);
int etsmgr_renamed_store(struct file *shmem, const char *name,
			 const struct etsmgr_renamed *renamed);
struct etsmgr_renamed *etsmgr_renamed_load(struct file *shmem, char *name);

/* registry.c */
struct etsmgr_table *etsmgr_table_find_name(const struct ipc_namespace *ns,
					    kuid_t uid, const char *name);
struct etsmgr_table *etsmgr_table_find_id(const struct ipc_namespace *ns,
					  u64 id);
struct etsmgr_table *etsmgr_table_next(const struct ipc_namespace *ns,
				       unsigned long *id);
struct etsmgr_table *etsmgr_table_create(const struct ipc_namespace *ns,
					 const char *name, u64 size,
					 u32 access);
struct etsmgr_table *etsmgr_table_adopt(const struct ipc_namespace *ns,
					struct file *shmem, u64 id,
					const char *name, u32 access,
					u64 generation,
					struct etsmgr_renamed *renamed);
int etsmgr_table_rename(struct etsmgr_table *table, const char *name,
			const char *reason);
void etsmgr_table_destroy(struct etsmgr_table *table);
void etsmgr_table_unregister(struct etsmgr_table *table);
bool etsmgr_table_mapped(const struct etsmgr_table *table);
int etsmgr_registry_release(bool discard);
bool etsmgr_may_admin(void);
bool etsmgr_may_admin_uid(kuid_t uid);
bool etsmgr_may_use(const struct etsmgr_table *table);
bool etsmgr_may_map(const struct etsmgr_table *table);
void etsmgr_registry_init(void);
void etsmgr_registry_exit(void);

/* =================================================== ownership ==== */

/* ownership.c */
struct etsmgr_notice;
struct etsmgr_session *etsmgr_session_new(void);
void etsmgr_session_close(struct etsmgr_session *session);
bool etsmgr_session_mine(const struct etsmgr_session *session);
bool etsmgr_owns(const struct etsmgr_table *table,
		 const struct etsmgr_session *session);
void etsmgr_table_set_owner(struct etsmgr_table *table,
			    struct etsmgr_session *session, struct pid *pid,
			    u32 event);
void etsmgr_table_release(struct etsmgr_table *table, u32 reason,
			  s32 status);
int etsmgr_may_hold(struct pid *pid, const struct etsmgr_table *table);
int etsmgr_give(struct etsmgr_table *table, struct etsmgr_session *from,
		struct pid *pid, u64 data);
struct etsmgr_notice *etsmgr_notice_take(struct etsmgr_session *session,
					 struct etsmgr_received *r);
void etsmgr_notice_return(struct etsmgr_session *session,
			  struct etsmgr_notice *notice);
void etsmgr_notice_done(struct etsmgr_notice *notice);

/* manager.c */
struct netlink_ext_ack;
void etsmgr_drain_start(void);
int etsmgr_drain_finish(bool discard, struct netlink_ext_ack *extack);
void etsmgr_drain_abort(void);

/* ================================================== front ends ==== */

/* dev.c */
__poll_t etsmgr_poll(struct file *file, struct poll_table_struct *wait);
int etsmgr_open(struct inode *inode, struct file *file);
int etsmgr_release(struct inode *inode, struct file *file);
long etsmgr_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* dev_mmap.c */
int etsmgr_mmap(struct file *file, struct vm_area_struct *vma);

/* dev_adopt.c */
int etsmgr_ioctl_adopt(struct etsmgr_session *session,
		       struct etsmgr_adopt __user *uarg);

/* dev_handoff.c */
int etsmgr_ioctl_set_heir(struct etsmgr_session *session,
			  const struct etsmgr_handoff __user *uarg);
int etsmgr_ioctl_give(struct etsmgr_session *session,
		      const struct etsmgr_handoff __user *uarg);
int etsmgr_ioctl_receive(struct etsmgr_session *session,
			 struct etsmgr_received __user *uarg);

/* genl.c */
int etsmgr_genl_init(void);
void etsmgr_genl_exit(void);

static inline u64 etsmgr_mmap_offset(const struct etsmgr_table *table)
{
	return table->id << PAGE_SHIFT;
}

#endif /* ETSMGR_INTERNAL_H */
