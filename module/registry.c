// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of tables: creation and destruction of table objects, their
 * lookup by (IPC namespace, name) and by id, id allocation, ownership
 * changes, limits and counters.
 *
 * Locking: everything here runs under etsmgr_lock (see etsmgr.h); each
 * function that needs it says so with lockdep_assert_held().
 *
 * Ids come from CLOCK_BOOTTIME in microseconds, bumped past the last id
 * handed out: creation is serialized by etsmgr_lock and takes far longer
 * than a microsecond, so ids never run ahead of the clock, and a module
 * loaded again later starts above every id its predecessor issued.
 */

#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringhash.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#include "etsmgr.h"

/* Guards the registry, tables, session lists and counters (etsmgr.h). */
DEFINE_MUTEX(etsmgr_lock);
struct etsmgr_counters etsmgr_counters;
unsigned int etsmgr_registry_seq = 1;

#define ETSMGR_NAME_HASH_BITS	10
static DEFINE_HASHTABLE(etsmgr_names, ETSMGR_NAME_HASH_BITS);

/*
 * What each uid has in the registry, over every namespace: new user and
 * IPC namespaces do not give a user more than max_tables_per_user and
 * max_total_size_per_user. A record lives while its uid has tables.
 */
struct etsmgr_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int tables;
	u64 bytes;
};

#define ETSMGR_USER_HASH_BITS	6
static DEFINE_HASHTABLE(etsmgr_users, ETSMGR_USER_HASH_BITS);
static DEFINE_XARRAY(etsmgr_ids);
static u64 etsmgr_last_id;

/* "etsmgr:" + 20 digits + ":" + name + NUL */
#define ETSMGR_SHMEM_NAME_MAX	(8 + 20 + 1 + ETSMGR_NAME_MAX)

/* Names are scoped per (IPC namespace, uid): the hash covers all three. */
static u32 etsmgr_name_hash(const struct ipc_namespace *ns, kuid_t uid,
			    const char *name)
{
	return full_name_hash(ns, name, strlen(name)) ^
	       hash_32(__kuid_val(uid), 32);
}

/**
 * etsmgr_table_find_name() - the table @uid calls @name in @ns
 * @ns: an IPC namespace
 * @uid: the table's uid: a name never matches another uid's table
 * @name: a name checked by etsmgr_check_name()
 */
struct etsmgr_table *etsmgr_table_find_name(const struct ipc_namespace *ns,
					    kuid_t uid, const char *name)
{
	struct etsmgr_table *table;

	lockdep_assert_held(&etsmgr_lock);
	hash_for_each_possible(etsmgr_names, table, name_node,
			       etsmgr_name_hash(ns, uid, name))
		if (table->ns->ipc_ns == ns && uid_eq(table->uid, uid) &&
		    !strcmp(table->name, name))
			return table;
	return NULL;
}

struct etsmgr_table *etsmgr_table_find_id(const struct ipc_namespace *ns,
					  u64 id)
{
	struct etsmgr_table *table;

	lockdep_assert_held(&etsmgr_lock);
	if (!id || id > ETSMGR_ID_MAX)
		return NULL;
	table = xa_load(&etsmgr_ids, id);
	if (table && table->ns->ipc_ns != ns)
		return NULL;
	return table;
}

/**
 * etsmgr_table_next() - the table of @ns with the lowest id >= *@id
 * @ns: IPC namespace
 * @id: in: where to start; out: the id of the table returned
 *
 * Return: the table, or NULL when there is none.
 */
struct etsmgr_table *etsmgr_table_next(const struct ipc_namespace *ns,
				       unsigned long *id)
{
	struct etsmgr_table *table;

	lockdep_assert_held(&etsmgr_lock);
	xa_for_each_start(&etsmgr_ids, *id, table, *id)
		if (table->ns->ipc_ns == ns)
			return table;
	return NULL;
}

static u64 etsmgr_next_id(void)
{
	u64 now = div_u64(ktime_get_boottime_ns(), NSEC_PER_USEC);

	lockdep_assert_held(&etsmgr_lock);
	etsmgr_last_id = max(etsmgr_last_id + 1, now);
	return etsmgr_last_id;
}

static struct etsmgr_user *etsmgr_user_find(kuid_t uid)
{
	struct etsmgr_user *user;

	lockdep_assert_held(&etsmgr_lock);
	hash_for_each_possible(etsmgr_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

/*
 * The per-user limits, which bind every uid but that of a caller with
 * CAP_SYS_RESOURCE in the initial user namespace (as rlimits do): a
 * user, or a container's root, cannot take what they leave for others by
 * making namespaces.
 */
static int etsmgr_check_user_limits(kuid_t uid, u64 size)
{
	u64 max_bytes = READ_ONCE(etsmgr_max_total_size_per_user);
	const struct etsmgr_user *user;
	unsigned int tables;
	u64 bytes;

	lockdep_assert_held(&etsmgr_lock);
	if (capable(CAP_SYS_RESOURCE))
		return 0;
	/* A uid without a record has no table yet. */
	user = etsmgr_user_find(uid);
	tables = user ? user->tables : 0;
	bytes = user ? user->bytes : 0;
	if (tables >= READ_ONCE(etsmgr_max_tables_per_user))
		return -ENOSPC;
	if (bytes > max_bytes || size > max_bytes - bytes)
		return -ENOSPC;
	return 0;
}

/* Count @table for its uid; the record is allocated on its first table. */
static int etsmgr_user_add(const struct etsmgr_table *table)
{
	struct etsmgr_user *user = etsmgr_user_find(table->uid);

	lockdep_assert_held(&etsmgr_lock);
	if (!user) {
		user = kzalloc(sizeof(*user), GFP_KERNEL_ACCOUNT);
		if (!user)
			return -ENOMEM;
		user->uid = table->uid;
		hash_add(etsmgr_users, &user->node, __kuid_val(user->uid));
	}
	user->tables++;
	user->bytes += table->size;
	return 0;
}

static void etsmgr_user_remove(const struct etsmgr_table *table)
{
	struct etsmgr_user *user = etsmgr_user_find(table->uid);

	lockdep_assert_held(&etsmgr_lock);
	if (WARN_ON(!user))
		return;
	user->tables--;
	user->bytes -= table->size;
	if (!user->tables) {
		hash_del(&user->node);
		kfree(user);
	}
}

/*
 * The module-wide limits, the per-user ones for @uid, and for a namespace
 * other than the initial one (a container's) the per-namespace ones, so
 * that no container can take what the module-wide limits leave for the
 * others.
 */
static int etsmgr_check_limits(const struct ipc_namespace *ns, kuid_t uid,
			       u64 size)
{
	u64 max_total = READ_ONCE(etsmgr_max_total_size);
	u64 max_ns_total = READ_ONCE(etsmgr_max_total_size_per_ns);
	const struct etsmgr_ns *ens;
	unsigned int tables;
	u64 bytes;

	lockdep_assert_held(&etsmgr_lock);
	if (size > READ_ONCE(etsmgr_max_table_size))
		return -EFBIG;
	if (etsmgr_counters.tables >= READ_ONCE(etsmgr_max_tables))
		return -ENOSPC;
	if (etsmgr_counters.bytes > max_total ||
	    size > max_total - etsmgr_counters.bytes)
		return -ENOSPC;
	if (etsmgr_check_user_limits(uid, size))
		return -ENOSPC;

	if (etsmgr_ipc_ns_is_init(ns))
		return 0;
	/* A namespace without a record has no table yet. */
	ens = etsmgr_ns_find(ns);
	tables = ens ? ens->tables : 0;
	bytes = ens ? ens->bytes : 0;
	if (tables >= READ_ONCE(etsmgr_max_tables_per_ns))
		return -ENOSPC;
	if (bytes > max_ns_total || size > max_ns_total - bytes)
		return -ENOSPC;
	return 0;
}

/*
 * Add @table, whose fields and shmem file are set, to the registry of
 * namespace @ns. A table in the registry pins the module: rmmod must not
 * lose it.
 */
static int etsmgr_table_insert(struct etsmgr_table *table,
			       const struct ipc_namespace *ns)
{
	int err;

	lockdep_assert_held(&etsmgr_lock);
	table->ns = etsmgr_ns_get(ns);
	if (IS_ERR(table->ns))
		return PTR_ERR(table->ns);
	err = etsmgr_user_add(table);
	if (err)
		goto err_user_add;
	err = xa_insert(&etsmgr_ids, table->id, table, GFP_KERNEL);
	if (err)
		goto err_xa_insert;
	table->ns->tables++;
	table->ns->bytes += table->size;
	hash_add(etsmgr_names, &table->name_node,
		 etsmgr_name_hash(ns, table->uid, table->name));

	if (!etsmgr_counters.tables)
		__module_get(THIS_MODULE);
	etsmgr_counters.tables++;
	etsmgr_counters.bytes += table->size;
	etsmgr_registry_seq++;
	return 0;

err_xa_insert:
	etsmgr_user_remove(table);
err_user_add:
	etsmgr_ns_put(table->ns);
	return err;
}

/**
 * etsmgr_table_unregister() - undo etsmgr_table_insert() and free @table,
 *	without a delete: its mappings keep their grants, for a later ADOPT
 * @table: the table; its shmem file reference goes too
 */
void etsmgr_table_unregister(struct etsmgr_table *table)
{
	lockdep_assert_held(&etsmgr_lock);
	hash_del(&table->name_node);
	xa_erase(&etsmgr_ids, table->id);
	if (table->owner) {
		list_del(&table->owner_node);
		put_pid(table->owner_pid);
	} else {
		etsmgr_counters.held--;
	}
	put_pid(table->heir);
	etsmgr_mappers_drop(table);
	etsmgr_counters.tables--;
	etsmgr_counters.bytes -= table->size;
	etsmgr_registry_seq++;
	table->ns->tables--;
	table->ns->bytes -= table->size;
	etsmgr_ns_put(table->ns);
	etsmgr_user_remove(table);
	fput(table->shmem);
	kfree(table->renamed);
	kfree(table);
	if (!etsmgr_counters.tables)
		module_put(THIS_MODULE);
}

/**
 * etsmgr_table_create() - create a table and add it to the registry
 * @ns: the creator's IPC namespace
 * @name: a name checked by etsmgr_check_name(), not in use in @ns by the
 *	caller's euid, which becomes the table's uid
 * @size: requested size in bytes, rounded up to whole pages
 * @access: a valid enum etsmgr_access
 *
 * The table has no owner yet: the caller gives it one with
 * etsmgr_table_set_owner() before dropping etsmgr_lock.
 *
 * Return: the table, or ERR_PTR(-EINVAL) for a size of 0 or one that
 * cannot be represented, -EFBIG, -ENOSPC, -ENOMEM.
 */
struct etsmgr_table *etsmgr_table_create(const struct ipc_namespace *ns,
					 const char *name, u64 size,
					 u32 access)
{
	char shmem_name[ETSMGR_SHMEM_NAME_MAX];
	struct etsmgr_table *table;
	struct file *shmem;
	int err;

	lockdep_assert_held(&etsmgr_lock);
	if (!size || size > MAX_LFS_FILESIZE - PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	size = PAGE_ALIGN(size);
	err = etsmgr_check_limits(ns, current_euid(), size);
	if (err)
		return ERR_PTR(err);

	table = kzalloc(sizeof(*table), GFP_KERNEL_ACCOUNT);
	if (!table)
		return ERR_PTR(-ENOMEM);
	table->id = etsmgr_next_id();
	if (table->id > ETSMGR_ID_MAX) {
		err = -EOVERFLOW;
		goto err_id;
	}
	strscpy(table->name, name, sizeof(table->name));
	table->size = size;
	table->access = access;
	table->create_time_ns = ktime_get_real_ns();
	INIT_LIST_HEAD(&table->owner_node);
	INIT_LIST_HEAD(&table->mappers);

	/* The dentry name lets a later module find the table again. */
	snprintf(shmem_name, sizeof(shmem_name), "etsmgr:%llu:%s",
		 table->id, name);
	shmem = shmem_file_setup(shmem_name, size, VM_NORESERVE);
	if (IS_ERR(shmem)) {
		err = PTR_ERR(shmem);
		goto err_id;
	}
	table->shmem = shmem;
	/*
	 * The euid, which every check compares with, not the fsuid that
	 * shmem gave the inode; the inode carries it for ADOPT after a
	 * reload.
	 */
	table->uid = current_euid();
	file_inode(shmem)->i_uid = table->uid;

	err = etsmgr_table_insert(table, ns);
	if (err)
		goto err_insert;
	etsmgr_counters.created++;
	return table;

err_insert:
	fput(shmem);
err_id:
	kfree(table);
	return ERR_PTR(err);
}

/**
 * etsmgr_table_adopt() - register again a table a process still maps
 * @ns: the adopter's IPC namespace
 * @shmem: the table's shmem file (etsmgr_adopt_parse() vouched for it);
 *	the reference passes to the table on success
 * @id: its id, from the file's name
 * @name: its name, from the file's name, checked by etsmgr_check_name()
 * @access: the access mode the adopter asks for
 * @generation: the generation the adopter last knew
 * @renamed: what it kept of its names if it was renamed
 *	(etsmgr_renamed_load()), or NULL; passes to the table on success
 *
 * The table has no owner yet: the caller gives it one with
 * etsmgr_table_set_owner() before dropping etsmgr_lock.
 *
 * Return: the table, or ERR_PTR(-EEXIST) when its name or id is taken,
 * -ENOSPC, -EFBIG, -ENOMEM.
 */
struct etsmgr_table *etsmgr_table_adopt(const struct ipc_namespace *ns,
					struct file *shmem, u64 id,
					const char *name, u32 access,
					u64 generation,
					struct etsmgr_renamed *renamed)
{
	u64 size = i_size_read(file_inode(shmem));
	struct etsmgr_table *table;
	int err;

	lockdep_assert_held(&etsmgr_lock);
	if (etsmgr_table_find_name(ns, file_inode(shmem)->i_uid, name) ||
	    xa_load(&etsmgr_ids, id))
		return ERR_PTR(-EEXIST);
	err = etsmgr_check_limits(ns, file_inode(shmem)->i_uid, size);
	if (err)
		return ERR_PTR(err);

	table = kzalloc(sizeof(*table), GFP_KERNEL_ACCOUNT);
	if (!table)
		return ERR_PTR(-ENOMEM);
	table->id = id;
	strscpy(table->name, name, sizeof(table->name));
	table->size = size;
	table->uid = file_inode(shmem)->i_uid;
	table->access = access;
	table->create_time_ns = ktime_get_real_ns();
	table->generation = generation;
	INIT_LIST_HEAD(&table->owner_node);
	INIT_LIST_HEAD(&table->mappers);
	table->shmem = shmem;

	err = etsmgr_table_insert(table, ns);
	if (err) {
		kfree(table);
		return ERR_PTR(err);
	}
	table->renamed = renamed;
	/* Ids handed out from now on stay above the adopted one. */
	etsmgr_last_id = max(etsmgr_last_id, id);
	etsmgr_counters.adopted++;
	return table;
}

/**
 * etsmgr_table_rename() - give @table the name @name of its uid
 * @table: the table
 * @name: a name checked by etsmgr_check_name()
 * @reason: a reason checked by etsmgr_check_reason(), may be empty
 *
 * The rename is recorded on the table's shmem inode first, so that a
 * later module adopts the table under its new name (names.c); nothing
 * has changed when that fails.
 *
 * Return: 0, -EEXIST when the table's uid has a table called @name (this
 * one included), -ENOMEM.
 */
int etsmgr_table_rename(struct etsmgr_table *table, const char *name,
			const char *reason)
{
	struct etsmgr_renamed *renamed = table->renamed;
	struct etsmgr_renamed *fresh = NULL;
	char old_name[ETSMGR_NAME_MAX];
	char old_reason[ETSMGR_REASON_MAX];
	int err;

	lockdep_assert_held(&etsmgr_lock);
	if (etsmgr_table_find_name(table->ns->ipc_ns, table->uid, name))
		return -EEXIST;
	if (!renamed) {
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
		if (!fresh)
			return -ENOMEM;
		strscpy(fresh->orig_name, table->name,
			sizeof(fresh->orig_name));
		renamed = fresh;
	}
	strscpy(old_name, renamed->old_name, sizeof(old_name));
	strscpy(old_reason, renamed->reason, sizeof(old_reason));
	strscpy(renamed->old_name, table->name, sizeof(renamed->old_name));
	strscpy(renamed->reason, reason, sizeof(renamed->reason));
	err = etsmgr_renamed_store(table->shmem, name, renamed);
	if (err) {
		strscpy(renamed->old_name, old_name, sizeof(renamed->old_name));
		strscpy(renamed->reason, old_reason, sizeof(renamed->reason));
		kfree(fresh);
		return err;
	}

	table->renamed = renamed;
	hash_del(&table->name_node);
	strscpy(table->name, name, sizeof(table->name));
	hash_add(etsmgr_names, &table->name_node,
		 etsmgr_name_hash(table->ns->ipc_ns, table->uid, table->name));
	etsmgr_registry_seq++;
	etsmgr_event(ETSMGR_EVENT_RENAMED, table, task_tgid(current));
	return 0;
}

/**
 * etsmgr_table_destroy() - delete a table: remove it from the registry
 * @table: the table
 *
 * The name and id are gone at once; the shmem file, and so the memory,
 * lives on until the last mapping of it goes, but no owner's mapping
 * writes it any more (the caller runs etsmgr_fence_run()).
 */
void etsmgr_table_destroy(struct etsmgr_table *table)
{
	lockdep_assert_held(&etsmgr_lock);
	etsmgr_fence_queue(table, U64_MAX);
	etsmgr_event(ETSMGR_EVENT_DELETED, table, task_tgid(current));
	etsmgr_counters.deleted++;
	etsmgr_table_unregister(table);
}

/*
 * The namespace @ens died (event.c): delete its tables, which nobody can
 * reach again. The namespace's own subscribers, if any are left, get
 * DELETED; the initial namespace's get NS_REAPED, so that the
 * administrator knows what went. The caller holds a reference on @ens.
 */
static void etsmgr_registry_ns_dead(struct etsmgr_ns *ens)
{
	struct etsmgr_table *table;
	unsigned long id;

	lockdep_assert_held(&etsmgr_lock);
	xa_for_each(&etsmgr_ids, id, table) {
		if (table->ns != ens)
			continue;
		etsmgr_fence_queue(table, U64_MAX);
		etsmgr_event(ETSMGR_EVENT_DELETED, table, NULL);
		etsmgr_event_ns_reaped(table);
		etsmgr_counters.ns_reaped++;
		etsmgr_counters.deleted++;
		etsmgr_table_unregister(table);
	}
}

/* Is the table's memory mapped by a process (not only held by us)? */
bool etsmgr_table_mapped(const struct etsmgr_table *table)
{
	return file_count(table->shmem) > 1;
}

/**
 * etsmgr_registry_release() - let go of every table for a module unload
 * @discard: delete held tables that no process maps instead of failing
 *
 * Called once every session is closed, so each table is held. Tables that
 * a process maps stay safe in its mapping and are adopted after the
 * reload; the others would be lost, so they fail the call unless
 * @discard.
 *
 * Return: 0 with the registry empty, or -EBUSY with nothing changed.
 */
int etsmgr_registry_release(bool discard)
{
	struct etsmgr_table *table;
	unsigned long id;

	lockdep_assert_held(&etsmgr_lock);
	xa_for_each(&etsmgr_ids, id, table)
		if (!etsmgr_table_mapped(table) && !discard)
			return -EBUSY;
	xa_for_each(&etsmgr_ids, id, table) {
		if (etsmgr_table_mapped(table))
			etsmgr_table_unregister(table);
		else
			etsmgr_table_destroy(table);
	}
	return 0;
}

/* CAP_SYS_ADMIN over the caller's IPC namespace, where its tables live. */
bool etsmgr_may_admin(void)
{
	return ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_SYS_ADMIN);
}

/*
 * CAP_SYS_ADMIN over the caller's IPC namespace, for memory of @uid that
 * is in no namespace yet (ADOPT): @uid must be mapped in the namespace's
 * user namespace, so that root in a container cannot claim the host's.
 */
bool etsmgr_may_admin_uid(kuid_t uid)
{
	struct user_namespace *user_ns = current->nsproxy->ipc_ns->user_ns;

	return kuid_has_mapping(user_ns, uid) &&
	       ns_capable(user_ns, CAP_SYS_ADMIN);
}

/* May the caller inspect @table: its own uid's, or as an administrator? */
bool etsmgr_may_use(const struct etsmgr_table *table)
{
	return uid_eq(current_euid(), table->uid) || etsmgr_may_admin();
}

/*
 * May the caller map @table without owning it (per its access mode)? Only
 * processes of the table's own uid: an administrator inspects and deletes
 * other uids' tables, and takes one only by an explicit ATTACH.
 */
bool etsmgr_may_map(const struct etsmgr_table *table)
{
	return uid_eq(current_euid(), table->uid);
}

static struct etsmgr_event_consumer etsmgr_registry_consumer = {
	.ns_dead = etsmgr_registry_ns_dead,
};

/* Module init: be told of dead namespaces, before any front end is. */
void etsmgr_registry_init(void)
{
	etsmgr_event_register(&etsmgr_registry_consumer);
}

/* Called at module exit, when no table can be left (they pin the module). */
void etsmgr_registry_exit(void)
{
	etsmgr_event_unregister(&etsmgr_registry_consumer);
	WARN_ON(!xa_empty(&etsmgr_ids));
	xa_destroy(&etsmgr_ids);
}
