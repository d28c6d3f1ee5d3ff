/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etsmgr internals shared by the module's files: the table and session
 * objects, the registry that holds tables, and the counters.
 *
 * Locking: one mutex, etsmgr_lock, protects the registry (name hash, id
 * xarray and namespace records), every field of a table except the
 * constant ones (id, name, ns, shmem, size, uid, create_time_ns), every
 * session's list of owned tables, and the counters. It is a mutex because
 * creating a table sleeps (shmem_file_setup). It nests inside mmap_lock
 * (->mmap takes it),
 * so no code may fault on user memory or take mmap_lock while holding it:
 * ioctls copy their argument in before locking and out after unlocking.
 */
#ifndef ETSMGR_INTERNAL_H
#define ETSMGR_INTERNAL_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/etsmgr.h>

struct file;
struct ipc_namespace;
struct pid;
struct poll_table_struct;

/*
 * Ids double as mmap page offsets (etsmgr_mmap_offset()), so they must fit
 * in an loff_t once shifted by PAGE_SHIFT: 2^51 us is some 71 years.
 */
#define ETSMGR_ID_MAX		((u64)LLONG_MAX >> PAGE_SHIFT)

/**
 * struct etsmgr_session - one open file description of /dev/etsmgr
 * @ref: one for the file, one while a death work item is queued.
 * @tables: the tables this session owns (etsmgr_table.owner_node), all
 *	owned by the process @pid.
 * @node: entry in etsmgr_sessions, newest first.
 * @pid: thread-group pid of the process that opened it: the only process
 *	that may act through it (etsmgr_session_mine()).
 * @uid: euid of the process that opened it.
 * @received: notices of tables handed to it (handoff.c), oldest first;
 *	at most one per table, so never more than max_tables.
 * @wq: woken when a notice is queued to this session.
 * @exit_wait: entry on @pid's wait_pidfd queue (owner.c).
 * @exit_work: lets the tables go once @pid died (owner.c).
 * @exited: @pid's thread group has exited (owner.c).
 * @exit_reason: its enum etsmgr_exit_reason, once @exited.
 * @exit_status: its exit status or signal, once @exited.
 */
struct etsmgr_session {
	struct kref ref;
	struct list_head tables;
	struct list_head node;
	struct pid *pid;
	kuid_t uid;
	struct list_head received;
	wait_queue_head_t wq;
	struct wait_queue_entry exit_wait;
	struct work_struct exit_work;
	bool exited;
	u32 exit_reason;
	s32 exit_status;
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
 * @subscribers: event subscribers of @ipc_ns (netlink.c), which an event
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
};

/*
 * The manager's state (enum etsmgr_manager_state): while draining or
 * drained for an unload it refuses new sessions, attaches and adoptions,
 * and sessions poll as hung up. Written under etsmgr_lock with
 * WRITE_ONCE(); read under it, or with READ_ONCE() without (poll).
 */
extern u32 etsmgr_manager_state;

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
/* Every open session, newest first (etsmgr_session.node). */
extern struct list_head etsmgr_sessions;
/* Bumped by every change of the registry; marks racing netlink dumps. */
extern unsigned int etsmgr_registry_seq;

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

/* namespace.c */
void etsmgr_put_ipc_ns(struct ipc_namespace *ns);
struct etsmgr_ns *etsmgr_ns_find(const struct ipc_namespace *ns);
bool etsmgr_ipc_ns_is_init(const struct ipc_namespace *ns);
struct etsmgr_ns *etsmgr_ns_get(const struct ipc_namespace *ns);
void etsmgr_ns_put(struct etsmgr_ns *ens);
void etsmgr_ns_exit(void);

/* registry.c */
int etsmgr_check_name(const char *name);
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
					u64 generation);
void etsmgr_table_destroy(struct etsmgr_table *table);
void etsmgr_table_unregister(struct etsmgr_table *table);
bool etsmgr_table_mapped(const struct etsmgr_table *table);
int etsmgr_registry_release(bool discard);
void etsmgr_registry_reap_ns(struct etsmgr_ns *ens);
void etsmgr_table_set_owner(struct etsmgr_table *table,
			    struct etsmgr_session *session, struct pid *pid,
			    u32 event);
void etsmgr_table_release(struct etsmgr_table *table, u32 reason,
			  s32 status);
bool etsmgr_may_admin(void);
bool etsmgr_may_admin_uid(kuid_t uid);
bool etsmgr_may_use(const struct etsmgr_table *table);
bool etsmgr_may_map(const struct etsmgr_table *table);
void etsmgr_registry_exit(void);

/* drain.c */
struct netlink_ext_ack;
void etsmgr_drain_start(void);
int etsmgr_drain_finish(bool discard, struct netlink_ext_ack *extack);
void etsmgr_drain_abort(void);

/* adopt.c */
int etsmgr_ioctl_adopt(struct etsmgr_session *session,
		       struct etsmgr_adopt __user *uarg);

/* handoff.c */
bool etsmgr_heir_take(struct etsmgr_table *table, struct pid *from);
int etsmgr_ioctl_set_heir(struct etsmgr_session *session,
			  const struct etsmgr_handoff __user *uarg);
int etsmgr_ioctl_give(struct etsmgr_session *session,
		      const struct etsmgr_handoff __user *uarg);
int etsmgr_ioctl_receive(struct etsmgr_session *session,
			 struct etsmgr_received __user *uarg);
void etsmgr_notices_free(struct etsmgr_session *session);

/* owner.c */
void etsmgr_owner_watch(struct etsmgr_session *session);
void etsmgr_owner_unwatch(struct etsmgr_session *session);
void etsmgr_owner_exit_reason(const struct etsmgr_session *session,
			      u32 *reason, s32 *status);
bool etsmgr_owner_alive(const struct etsmgr_session *session);
int etsmgr_owner_init(void);
void etsmgr_owner_exit(void);

/* session.c */
void etsmgr_session_get(struct etsmgr_session *session);
void etsmgr_session_put(struct etsmgr_session *session);
void etsmgr_session_orphan(struct etsmgr_session *session, u32 reason,
			   s32 status);
bool etsmgr_session_mine(const struct etsmgr_session *session);
bool etsmgr_owns(const struct etsmgr_table *table,
		 const struct etsmgr_session *session);
__poll_t etsmgr_poll(struct file *file, struct poll_table_struct *wait);
void etsmgr_sessions_wake(void);
int etsmgr_open(struct inode *inode, struct file *file);
int etsmgr_release(struct inode *inode, struct file *file);
long etsmgr_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* netlink.c */
void etsmgr_event(u32 event, const struct etsmgr_table *table,
		  struct pid *pid);
void etsmgr_event_ns_reaped(const struct etsmgr_table *table);
void etsmgr_genl_reap_ns(struct etsmgr_ns *ens);
void etsmgr_genl_prune(void);
int etsmgr_genl_init(void);
void etsmgr_genl_exit(void);

/* mmap.c */
int etsmgr_mmap(struct file *file, struct vm_area_struct *vma);

static inline u64 etsmgr_mmap_offset(const struct etsmgr_table *table)
{
	return table->id << PAGE_SHIFT;
}

#endif /* ETSMGR_INTERNAL_H */
