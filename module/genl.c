// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "etsmgr": get one table or dump them all,
 * module stats, admin delete and rename, drain, and events that tell of
 * every change of a table's owner or name. See include/uapi/linux/etsmgr.h.
 *
 * Visibility: a caller sees the tables of its own IPC namespace, and of
 * those only its own euid's unless it has CAP_SYS_ADMIN over the
 * namespace. Uids and pids are shown as the reader sees them.
 *
 * Events go to subscribers, not to a multicast group: a group reaches
 * every member in every network namespace alike, and Debian's 6.1 has no
 * filtered broadcast nor a bind hook to tell who joined, while an event
 * must reach only the subscribers in the table's IPC namespace, with the
 * uids and pids translated for each. ETSMGR_CMD_SUBSCRIBE (CAP_SYS_ADMIN
 * over the caller's IPC namespace) records the sending socket, the
 * caller's IPC namespace (held, namespace.c) and its user and pid
 * namespaces; each event is built for each subscriber of the table's
 * namespace and unicast to it without blocking (a full socket gets
 * ENOBUFS, as with multicast).
 *
 * A subscription is its socket's, not its port id's. Unicast finds a
 * socket by (network namespace, port id), and a closing socket gives up
 * its port id (netlink_release() unhashes it) before NETLINK_URELEASE is
 * notified, so a subscription kept by port id and ended by that notifier
 * would, in between, send to whichever new socket binds the port id. So
 * the subscription holds a reference on its socket's file: the socket
 * cannot be released, nor its port id reused, while it lasts. When that
 * reference is the last one (the subscriber closed the socket), the
 * subscription ends: at the next event for it, at the next SUBSCRIBE, or
 * at the reaper's next round (its sweep, within a second), and
 * only then is the socket released. A subscription also ends when its
 * namespace dies or the module goes.
 *
 * Locking: handlers take etsmgr_lock around registry access; they copy
 * nothing from or to user memory (netlink skbs are kernel memory).
 * etsmgr_event() runs under etsmgr_lock, so events leave in the order of
 * the changes they report. The subscriber lists are under etsmgr_lock too.
 */

#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "compat.h"
#include "etsmgr.h"

/**
 * struct etsmgr_view - the namespaces a reader sees uids and pids through
 * @user_ns: uids are mapped into it (the overflow uid when unmapped).
 * @pid_ns: pids are its numbers (0 when not visible in it).
 */
struct etsmgr_view {
	struct user_namespace *user_ns;
	struct pid_namespace *pid_ns;
};

/**
 * struct etsmgr_subscriber - a socket that gets the events of a namespace
 * @node: entry in etsmgr_subscribers.
 * @ns_node: entry in @ns's list of subscribers.
 * @ns: the IPC namespace it subscribed from, whose tables it hears of.
 * @file: its socket's file (a reference): the socket cannot be released,
 *	nor its port id go to another socket, while subscribed.
 * @net: the network namespace of its socket (a reference).
 * @portid: its socket's port id in @net, which a bound netlink socket
 *	never changes.
 * @view: the subscribing process's user and pid namespaces (references).
 */
struct etsmgr_subscriber {
	struct list_head node;
	struct list_head ns_node;
	struct etsmgr_ns *ns;
	struct file *file;
	struct net *net;
	u32 portid;
	struct etsmgr_view view;
};

/* Every subscriber, under etsmgr_lock. */
static LIST_HEAD(etsmgr_subscribers);

/*
 * Subscribers of one IPC namespace at most, so that root in a container
 * cannot make every event of its namespace cost without bound.
 */
#define ETSMGR_SUBSCRIBERS_PER_NS	64

/*
 * Each command's own attributes: with strict validation, any other one is
 * refused (EINVAL, "Unsupported attribute"). A command without a policy
 * takes none (genetlink's reject-all policy, from resv_start_op on). 6.1
 * has no split do/dump operations, so the GET_TABLE dump shares the doit's
 * policy and ignores the table it may name.
 */
static const struct nla_policy etsmgr_genl_table_policy[ETSMGR_A_MAX + 1] = {
	[ETSMGR_A_TABLE_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[ETSMGR_A_TABLE_NAME] = { .type = NLA_NUL_STRING,
				  .len = ETSMGR_NAME_MAX - 1 },
	[ETSMGR_A_TABLE_UID] = { .type = NLA_U32 },
};

static const struct nla_policy etsmgr_genl_rename_policy[ETSMGR_A_MAX + 1] = {
	[ETSMGR_A_TABLE_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[ETSMGR_A_TABLE_NAME] = { .type = NLA_NUL_STRING,
				  .len = ETSMGR_NAME_MAX - 1 },
	[ETSMGR_A_TABLE_UID] = { .type = NLA_U32 },
	[ETSMGR_A_TABLE_NEW_NAME] = { .type = NLA_NUL_STRING,
				      .len = ETSMGR_NAME_MAX - 1 },
	[ETSMGR_A_TABLE_RENAME_REASON] = { .type = NLA_NUL_STRING,
					   .len = ETSMGR_REASON_MAX - 1 },
};

static const struct nla_policy
etsmgr_genl_drain_finish_policy[ETSMGR_A_MAX + 1] = {
	[ETSMGR_A_DRAIN_DISCARD] = { .type = NLA_FLAG },
};

/*
 * genl_ops.internal_flags: the right a command needs, checked by
 * etsmgr_genl_pre_doit(). Not GENL_ADMIN_PERM nor GENL_UNS_ADMIN_PERM:
 * those are CAP_NET_ADMIN, in the initial user namespace or in the one of
 * the socket's network namespace, while the tables belong to the user
 * namespace that owns the caller's IPC namespace, and the drain to the
 * host, and it is CAP_SYS_ADMIN that rules them.
 */
#define ETSMGR_GENL_NS_ADMIN	BIT(0)	/* over the caller's IPC namespace */
#define ETSMGR_GENL_HOST_ADMIN	BIT(1)	/* in the initial user namespace */

static struct genl_family etsmgr_genl_family;

/* Set while the family is registered: subscriptions are taken. */
static bool etsmgr_genl_ready;
static u64 etsmgr_load_time_ns;

static const struct ipc_namespace *etsmgr_genl_ns(void)
{
	return current->nsproxy->ipc_ns;
}

/*
 * CAP_SYS_ADMIN over the caller's IPC namespace, of both the socket's
 * opener and the caller.
 */
static bool etsmgr_genl_admin(const struct sk_buff *skb)
{
	return netlink_ns_capable(skb, etsmgr_genl_ns()->user_ns,
				  CAP_SYS_ADMIN);
}

/* May a reader of effective uid @euid, admin or not, see @table? */
static bool etsmgr_genl_visible(const struct etsmgr_table *table,
				kuid_t euid, bool admin)
{
	lockdep_assert_held(&etsmgr_lock);
	return admin || uid_eq(euid, table->uid);
}

static int etsmgr_put_u64(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_u64_64bit(skb, type, value, ETSMGR_A_PAD);
}

/* The calling process's view, for a reply. */
static struct etsmgr_view etsmgr_current_view(void)
{
	return (struct etsmgr_view){
		.user_ns = current_user_ns(),
		.pid_ns = task_active_pid_ns(current),
	};
}

/* The table's attributes, uids and pids as @view sees them. */
static int etsmgr_genl_put_table(struct sk_buff *skb,
				 const struct etsmgr_table *table,
				 const struct etsmgr_view *view)
{
	u32 owner_pid, heir_pid, state;

	lockdep_assert_held(&etsmgr_lock);
	owner_pid = pid_nr_ns(table->owner_pid, view->pid_ns);
	heir_pid = pid_nr_ns(table->heir, view->pid_ns);
	state = table->owner ? ETSMGR_STATE_OWNED : ETSMGR_STATE_HELD;
	if (etsmgr_put_u64(skb, ETSMGR_A_TABLE_ID, table->id) ||
	    nla_put_string(skb, ETSMGR_A_TABLE_NAME, table->name) ||
	    etsmgr_put_u64(skb, ETSMGR_A_TABLE_SIZE, table->size) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_STATE, state) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_ACCESS, table->access) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_UID,
			from_kuid_munged(view->user_ns, table->uid)) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_OWNER_PID, owner_pid) ||
	    etsmgr_put_u64(skb, ETSMGR_A_TABLE_GENERATION,
			   table->generation) ||
	    etsmgr_put_u64(skb, ETSMGR_A_TABLE_CREATE_TIME,
			   table->create_time_ns) ||
	    etsmgr_put_u64(skb, ETSMGR_A_TABLE_TRANSFER_TIME,
			   table->transfer_time_ns) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_EXIT_REASON, table->exit_reason) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_EXIT_STATUS, table->exit_status) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_MAPPED,
			etsmgr_table_mapped(table)) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_HEIR_PID, heir_pid))
		return -EMSGSIZE;
	if (table->renamed &&
	    (nla_put_string(skb, ETSMGR_A_TABLE_ORIG_NAME,
			    table->renamed->orig_name) ||
	     (table->renamed->reason[0] &&
	      nla_put_string(skb, ETSMGR_A_TABLE_RENAME_REASON,
			     table->renamed->reason))))
		return -EMSGSIZE;
	return 0;
}

/*
 * The table a request names by ETSMGR_A_TABLE_ID xor ETSMGR_A_TABLE_NAME,
 * or an ERR_PTR() with the reason in extack.
 */
static struct etsmgr_table *etsmgr_genl_find(struct genl_info *info)
{
	struct nlattr *id_attr = info->attrs[ETSMGR_A_TABLE_ID];
	struct nlattr *name_attr = info->attrs[ETSMGR_A_TABLE_NAME];
	struct nlattr *uid_attr = info->attrs[ETSMGR_A_TABLE_UID];
	struct etsmgr_table *table;
	kuid_t uid = current_euid();
	const char *name;

	lockdep_assert_held(&etsmgr_lock);
	if (uid_attr) {
		/* Names are per uid: this one names another uid's table. */
		if (id_attr) {
			NL_SET_ERR_MSG_ATTR(info->extack, uid_attr,
					    "ETSMGR_A_TABLE_UID goes with a name, not an id");
			return ERR_PTR(-EINVAL);
		}
		uid = make_kuid(current_user_ns(), nla_get_u32(uid_attr));
		if (!uid_valid(uid)) {
			NL_SET_ERR_MSG_ATTR(info->extack, uid_attr,
					    "uid not mapped in the caller's user namespace");
			return ERR_PTR(-EINVAL);
		}
	}
	if (!id_attr == !name_attr) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "name the table by ETSMGR_A_TABLE_ID or ETSMGR_A_TABLE_NAME, not both");
		return ERR_PTR(-EINVAL);
	}
	if (id_attr) {
		table = etsmgr_table_find_id(etsmgr_genl_ns(),
					     nla_get_u64(id_attr));
	} else {
		name = nla_data(name_attr);
		if (etsmgr_check_name(name)) {
			NL_SET_ERR_MSG_ATTR(info->extack, name_attr,
					    "table names are 1-63 bytes of [A-Za-z0-9._:-]");
			return ERR_PTR(-EINVAL);
		}
		table = etsmgr_table_find_name(etsmgr_genl_ns(), uid, name);
	}
	if (!table) {
		NL_SET_ERR_MSG_MOD(info->extack, "no such table");
		return ERR_PTR(-ENOENT);
	}
	return table;
}

/*
 * Answer the request @skb, @info with one @cmd message whose attributes
 * @fill puts (0 or -errno, the reason in extack).
 */
static int etsmgr_genl_reply(struct sk_buff *skb, struct genl_info *info,
			     u8 cmd,
			     int (*fill)(struct sk_buff *reply,
					 struct sk_buff *skb,
					 struct genl_info *info))
{
	struct sk_buff *reply;
	void *hdr;
	int err;

	reply = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &etsmgr_genl_family, 0, cmd);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	err = fill(reply, skb, info);
	if (err)
		goto err_free;
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_free:
	nlmsg_free(reply);
	return err;
}

static int etsmgr_genl_fill_table(struct sk_buff *reply, struct sk_buff *skb,
				  struct genl_info *info)
{
	struct etsmgr_view view = etsmgr_current_view();
	bool admin = etsmgr_genl_admin(skb);
	struct etsmgr_table *table;
	int err;

	mutex_lock(&etsmgr_lock);
	table = etsmgr_genl_find(info);
	if (!IS_ERR(table) &&
	    !etsmgr_genl_visible(table, current_euid(), admin)) {
		/* Another uid's table does not exist for this caller. */
		NL_SET_ERR_MSG_MOD(info->extack, "no such table");
		table = ERR_PTR(-ENOENT);
	}
	if (IS_ERR(table))
		err = PTR_ERR(table);
	else
		err = etsmgr_genl_put_table(reply, table, &view);
	mutex_unlock(&etsmgr_lock);
	return err;
}

static int etsmgr_genl_get_table(struct sk_buff *skb, struct genl_info *info)
{
	return etsmgr_genl_reply(skb, info, ETSMGR_CMD_GET_TABLE,
				 etsmgr_genl_fill_table);
}

/**
 * struct etsmgr_dump - a table dump, in its netlink_callback's ctx
 * @id: the id the next round resumes from.
 * @ipc_ns: the requester's IPC namespace (a reference).
 * @view: the requester's user and pid namespaces (references).
 * @euid: the requester's effective uid.
 * @admin: whether the requester had CAP_SYS_ADMIN over @ipc_ns.
 *
 * A dump runs in rounds: the first when requested, the next ones when the
 * reader has read the previous ones, in the reading task, which may be
 * another process (the socket was passed on) or the same one with other
 * credentials or another IPC namespace. Every round must show what the
 * requester could see, so the requester's view is taken at .start.
 */
struct etsmgr_dump {
	unsigned long id;
	struct ipc_namespace *ipc_ns;
	struct etsmgr_view view;
	kuid_t euid;
	bool admin;
};

static struct etsmgr_dump *etsmgr_dump_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct etsmgr_dump) >
		     sizeof_field(struct netlink_callback, ctx));
	return (struct etsmgr_dump *)cb->ctx;
}

/* In the requester's context, before the first round. */
static int etsmgr_genl_dump_start(struct netlink_callback *cb)
{
	struct etsmgr_dump *d = etsmgr_dump_ctx(cb);

	d->id = 0;
	d->admin = etsmgr_genl_admin(cb->skb);
	d->euid = current_euid();
	d->ipc_ns = get_ipc_ns(current->nsproxy->ipc_ns);
	d->view.user_ns = get_user_ns(current_user_ns());
	d->view.pid_ns = get_pid_ns(task_active_pid_ns(current));
	return 0;
}

/* After the last round, or when the socket goes with the dump unfinished. */
static int etsmgr_genl_dump_done(struct netlink_callback *cb)
{
	struct etsmgr_dump *d = etsmgr_dump_ctx(cb);

	etsmgr_put_ipc_ns(d->ipc_ns);
	put_user_ns(d->view.user_ns);
	put_pid_ns(d->view.pid_ns);
	return 0;
}

static int etsmgr_genl_dump_tables(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct etsmgr_dump *d = etsmgr_dump_ctx(cb);
	unsigned long id = d->id;
	struct etsmgr_table *table;
	void *hdr;

	mutex_lock(&etsmgr_lock);
	/* A change of the registry between two parts marks the dump. */
	cb->seq = etsmgr_registry_seq;
	while ((table = etsmgr_table_next(d->ipc_ns, &id))) {
		if (!etsmgr_genl_visible(table, d->euid, d->admin)) {
			id++;
			continue;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &etsmgr_genl_family,
				  NLM_F_MULTI, ETSMGR_CMD_GET_TABLE);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (etsmgr_genl_put_table(skb, table, &d->view)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		id++;
	}
	mutex_unlock(&etsmgr_lock);

	d->id = id;
	return skb->len;
}

static int etsmgr_genl_put_stats(struct sk_buff *skb,
				 struct sk_buff *request,
				 struct genl_info *info)
{
	const struct etsmgr_ns *ens;
	struct etsmgr_counters c;
	u64 ns_tables, ns_bytes;
	u32 state;

	mutex_lock(&etsmgr_lock);
	c = etsmgr_counters;
	state = etsmgr_manager_state;
	ens = etsmgr_ns_find(etsmgr_genl_ns());
	ns_tables = ens ? ens->tables : 0;
	ns_bytes = ens ? ens->bytes : 0;
	mutex_unlock(&etsmgr_lock);

	if (etsmgr_put_u64(skb, ETSMGR_A_STATS_SESSIONS, c.sessions) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_TABLES, c.tables) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_HELD, c.held) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_BYTES, c.bytes) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_CREATED, c.created) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_RECLAIMED, c.reclaimed) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_DELETED, c.deleted) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_ADOPTED, c.adopted) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_NS_REAPED, c.ns_reaped) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_EVENTS, c.events) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_MAX_TABLES,
			   READ_ONCE(etsmgr_max_tables)) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_MAX_TABLE_SIZE,
			   READ_ONCE(etsmgr_max_table_size)) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_MAX_TOTAL_SIZE,
			   READ_ONCE(etsmgr_max_total_size)) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_LOAD_TIME,
			   etsmgr_load_time_ns) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_NS_TABLES, ns_tables) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_NS_BYTES, ns_bytes) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_MAX_TABLES_PER_NS,
			   READ_ONCE(etsmgr_max_tables_per_ns)) ||
	    etsmgr_put_u64(skb, ETSMGR_A_STATS_MAX_TOTAL_SIZE_PER_NS,
			   READ_ONCE(etsmgr_max_total_size_per_ns)) ||
	    nla_put_u32(skb, ETSMGR_A_STATS_STATE, state))
		return -EMSGSIZE;
	return 0;
}

static int etsmgr_genl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	return etsmgr_genl_reply(skb, info, ETSMGR_CMD_GET_STATS,
				 etsmgr_genl_put_stats);
}

static int etsmgr_genl_delete_table(struct sk_buff *skb,
				    struct genl_info *info)
{
	struct etsmgr_table *table;
	int err = 0;

	mutex_lock(&etsmgr_lock);
	table = etsmgr_genl_find(info);
	if (IS_ERR(table))
		err = PTR_ERR(table);
	else
		etsmgr_table_destroy(table);
	mutex_unlock(&etsmgr_lock);
	etsmgr_fence_run();
	return err;
}

static int etsmgr_genl_rename_table(struct sk_buff *skb,
				    struct genl_info *info)
{
	struct nlattr *name_attr = info->attrs[ETSMGR_A_TABLE_NEW_NAME];
	struct nlattr *reason_attr = info->attrs[ETSMGR_A_TABLE_RENAME_REASON];
	const char *reason = reason_attr ? nla_data(reason_attr) : "";
	struct etsmgr_table *table;
	int err;

	if (!name_attr) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "the new name goes in ETSMGR_A_TABLE_NEW_NAME");
		return -EINVAL;
	}
	if (etsmgr_check_name(nla_data(name_attr))) {
		NL_SET_ERR_MSG_ATTR(info->extack, name_attr,
				    "table names are 1-63 bytes of [A-Za-z0-9._:-]");
		return -EINVAL;
	}
	if (etsmgr_check_reason(reason)) {
		NL_SET_ERR_MSG_ATTR(info->extack, reason_attr,
				    "a reason is printable ASCII");
		return -EINVAL;
	}

	mutex_lock(&etsmgr_lock);
	table = etsmgr_genl_find(info);
	if (IS_ERR(table))
		err = PTR_ERR(table);
	else
		err = etsmgr_table_rename(table, nla_data(name_attr), reason);
	mutex_unlock(&etsmgr_lock);
	if (err == -EEXIST)
		NL_SET_ERR_MSG_ATTR(info->extack, name_attr,
				    "the table's uid has a table of that name");
	return err;
}

/* Check the right the command needs (genl_ops.internal_flags). */
static int etsmgr_genl_pre_doit(const struct etsmgr_genl_pre_op *ops,
				struct sk_buff *skb, struct genl_info *info)
{
	if ((ops->internal_flags & ETSMGR_GENL_NS_ADMIN) &&
	    !etsmgr_genl_admin(skb)) {
		if (ops->cmd == ETSMGR_CMD_DELETE_TABLE)
			NL_SET_ERR_MSG_MOD(info->extack,
					   "deleting a table needs CAP_SYS_ADMIN");
		else if (ops->cmd == ETSMGR_CMD_RENAME_TABLE)
			NL_SET_ERR_MSG_MOD(info->extack,
					   "renaming a table needs CAP_SYS_ADMIN");
		else
			NL_SET_ERR_MSG_MOD(info->extack,
					   "this command needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	/*
	 * A drain stops the manager for every namespace: it is for the
	 * host's administrator, not for root in a container.
	 */
	if ((ops->internal_flags & ETSMGR_GENL_HOST_ADMIN) &&
	    !netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "draining needs CAP_SYS_ADMIN in the initial user namespace");
		return -EPERM;
	}
	return 0;
}

static int etsmgr_genl_drain_start(struct sk_buff *skb,
				   struct genl_info *info)
{
	etsmgr_drain_start();
	return 0;
}

static int etsmgr_genl_drain_finish(struct sk_buff *skb,
				    struct genl_info *info)
{
	bool discard = nla_get_flag(info->attrs[ETSMGR_A_DRAIN_DISCARD]);
	int err;

	err = etsmgr_drain_finish(discard, info->extack);
	/* Discarded tables are deleted: fence what still maps them. */
	etsmgr_fence_run();
	return err;
}

static int etsmgr_genl_drain_abort(struct sk_buff *skb,
				   struct genl_info *info)
{
	etsmgr_drain_abort();
	return 0;
}

/*
 * End a subscription. The socket's release, if this was its last
 * reference, runs later (fput() defers it to task work or a work item),
 * never under etsmgr_lock.
 */
static void etsmgr_subscriber_free(struct etsmgr_subscriber *sub)
{
	lockdep_assert_held(&etsmgr_lock);
	list_del(&sub->node);
	list_del(&sub->ns_node);
	sub->ns->nr_subscribers--;
	etsmgr_ns_put(sub->ns);
	fput(sub->file);
	put_net(sub->net);
	put_user_ns(sub->view.user_ns);
	put_pid_ns(sub->view.pid_ns);
	kfree(sub);
}

/* Has the subscriber closed its socket? Only our reference is left. */
static bool etsmgr_subscriber_closed(const struct etsmgr_subscriber *sub)
{
	lockdep_assert_held(&etsmgr_lock);
	return file_count(sub->file) == 1;
}

/**
 * etsmgr_genl_sweep() - end the subscriptions whose socket was closed
 *
 * Run by the reaper every second, so that a closed socket is released
 * (and its port id free again) within a second even if no event comes.
 */
static void etsmgr_genl_sweep(void)
{
	struct etsmgr_subscriber *sub, *next;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry_safe(sub, next, &etsmgr_subscribers, node)
		if (etsmgr_subscriber_closed(sub))
			etsmgr_subscriber_free(sub);
}

static bool etsmgr_subscribed(const struct file *file)
{
	const struct etsmgr_subscriber *sub;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry(sub, &etsmgr_subscribers, node)
		if (sub->file == file)
			return true;
	return false;
}

/*
 * The file of the socket that sent the request @skb: a user socket, in
 * sendmsg(), so alive and open.
 */
static struct file *etsmgr_genl_sender_file(const struct sk_buff *skb)
{
	const struct sock *sk = NETLINK_CB(skb).sk;

	if (!sk || !sk->sk_socket)
		return NULL;
	return sk->sk_socket->file;
}

/*
 * The sending socket gets the events of the caller's IPC namespace, as
 * the caller sees them, until it is closed. Again on the same socket: no
 * change.
 */
static int etsmgr_genl_subscribe(struct sk_buff *skb, struct genl_info *info)
{
	const struct ipc_namespace *ns = etsmgr_genl_ns();
	struct net *net = genl_info_net(info);
	struct file *file = etsmgr_genl_sender_file(skb);
	struct etsmgr_subscriber *sub;
	const struct etsmgr_ns *ens;
	int err = 0;

	if (!info->snd_portid || !file)
		return -EINVAL;
	sub = kzalloc(sizeof(*sub), GFP_KERNEL);
	if (!sub)
		return -ENOMEM;

	mutex_lock(&etsmgr_lock);
	if (!etsmgr_genl_ready) {
		err = -ESHUTDOWN;
		goto unlock;
	}
	if (etsmgr_subscribed(file))
		goto unlock;
	/* Closed sockets make room. */
	etsmgr_genl_sweep();
	ens = etsmgr_ns_find(ns);
	if (ens && ens->nr_subscribers >= ETSMGR_SUBSCRIBERS_PER_NS) {
		err = -ENOSPC;
		NL_SET_ERR_MSG_MOD(info->extack,
				   "too many subscribers in this IPC namespace");
		goto unlock;
	}
	sub->ns = etsmgr_ns_get(ns);
	if (IS_ERR(sub->ns)) {
		err = PTR_ERR(sub->ns);
		goto unlock;
	}
	sub->file = get_file(file);
	sub->net = get_net(net);
	sub->portid = info->snd_portid;
	sub->view.user_ns = get_user_ns(current_user_ns());
	sub->view.pid_ns = get_pid_ns(task_active_pid_ns(current));
	list_add_tail(&sub->node, &etsmgr_subscribers);
	list_add_tail(&sub->ns_node, &sub->ns->subscribers);
	sub->ns->nr_subscribers++;
	sub = NULL;
unlock:
	mutex_unlock(&etsmgr_lock);
	kfree(sub);
	return err;
}

/* The namespace @ens died: its subscribers can never hear of a table. */
static void etsmgr_genl_ns_dead(struct etsmgr_ns *ens)
{
	struct etsmgr_subscriber *sub, *next;

	lockdep_assert_held(&etsmgr_lock);
	list_for_each_entry_safe(sub, next, &ens->subscribers, ns_node)
		etsmgr_subscriber_free(sub);
}

static const struct genl_ops etsmgr_genl_ops[] = {
	{
		.cmd = ETSMGR_CMD_GET_TABLE,
		.doit = etsmgr_genl_get_table,
		.start = etsmgr_genl_dump_start,
		.dumpit = etsmgr_genl_dump_tables,
		.done = etsmgr_genl_dump_done,
		.policy = etsmgr_genl_table_policy,
		.maxattr = ETSMGR_A_MAX,
	},
	{
		.cmd = ETSMGR_CMD_GET_STATS,
		.doit = etsmgr_genl_get_stats,
	},
	{
		.cmd = ETSMGR_CMD_DELETE_TABLE,
		.doit = etsmgr_genl_delete_table,
		.policy = etsmgr_genl_table_policy,
		.maxattr = ETSMGR_A_MAX,
		.internal_flags = ETSMGR_GENL_NS_ADMIN,
	},
	{
		.cmd = ETSMGR_CMD_DRAIN_START,
		.doit = etsmgr_genl_drain_start,
		.internal_flags = ETSMGR_GENL_HOST_ADMIN,
	},
	{
		.cmd = ETSMGR_CMD_DRAIN_FINISH,
		.doit = etsmgr_genl_drain_finish,
		.policy = etsmgr_genl_drain_finish_policy,
		.maxattr = ETSMGR_A_MAX,
		.internal_flags = ETSMGR_GENL_HOST_ADMIN,
	},
	{
		.cmd = ETSMGR_CMD_DRAIN_ABORT,
		.doit = etsmgr_genl_drain_abort,
		.internal_flags = ETSMGR_GENL_HOST_ADMIN,
	},
	{
		.cmd = ETSMGR_CMD_SUBSCRIBE,
		.doit = etsmgr_genl_subscribe,
		.internal_flags = ETSMGR_GENL_NS_ADMIN,
	},
	{
		.cmd = ETSMGR_CMD_RENAME_TABLE,
		.doit = etsmgr_genl_rename_table,
		.policy = etsmgr_genl_rename_policy,
		.maxattr = ETSMGR_A_MAX,
		.internal_flags = ETSMGR_GENL_NS_ADMIN,
	},
};

static struct genl_family etsmgr_genl_family __ro_after_init = {
	.name = ETSMGR_GENL_NAME,
	.version = ETSMGR_GENL_VERSION,
	.maxattr = ETSMGR_A_MAX,
	.netnsok = true,
	/*
	 * etsmgr_lock guards all the state; without genl_mutex, a command
	 * that waits (a DELETE fences other processes' mappings under their
	 * mmap_lock) never holds up another family.
	 */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.pre_doit = etsmgr_genl_pre_doit,
	.ops = etsmgr_genl_ops,
	.n_ops = ARRAY_SIZE(etsmgr_genl_ops),
	/* Strict validation and zeroed reserved fields for every command. */
	.resv_start_op = ETSMGR_CMD_GET_TABLE,
};

/* Room for an event: its own attributes and the table's. */
static size_t etsmgr_event_size(void)
{
	return 3 * nla_total_size(sizeof(u32)) +	/* event, pid, ns */
	       5 * nla_total_size_64bit(sizeof(u64)) +
	       8 * nla_total_size(sizeof(u32)) +
	       3 * nla_total_size(ETSMGR_NAME_MAX) +	/* name, orig, old */
	       nla_total_size(ETSMGR_REASON_MAX);
}

/*
 * Build @event for @sub, as it sees uids and pids, and unicast it without
 * blocking. A full socket loses it (and reads ENOBUFS); a closed one ends
 * the subscription instead.
 */
static void etsmgr_event_send(struct etsmgr_subscriber *sub, u32 event,
			      const struct etsmgr_table *table,
			      struct pid *pid)
{
	struct sk_buff *skb;
	void *hdr;

	lockdep_assert_held(&etsmgr_lock);
	if (etsmgr_subscriber_closed(sub)) {
		etsmgr_subscriber_free(sub);
		return;
	}
	skb = genlmsg_new(etsmgr_event_size(), GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &etsmgr_genl_family, 0,
			  ETSMGR_CMD_EVENT);
	if (!hdr)
		goto err_put;
	if (nla_put_u32(skb, ETSMGR_A_EVENT, event) ||
	    nla_put_u32(skb, ETSMGR_A_EVENT_PID,
			pid_nr_ns(pid, sub->view.pid_ns)) ||
	    (table && etsmgr_genl_put_table(skb, table, &sub->view)) ||
	    (event == ETSMGR_EVENT_NS_REAPED &&
	     nla_put_u32(skb, ETSMGR_A_EVENT_IPC_NS,
			 table->ns->ipc_ns->ns.inum)) ||
	    (event == ETSMGR_EVENT_RENAMED &&
	     nla_put_string(skb, ETSMGR_A_TABLE_OLD_NAME,
			    table->renamed->old_name)))
		goto err_put;
	genlmsg_end(skb, hdr);
	/* The socket is ours to hold: it is there, at sub->portid. */
	genlmsg_unicast(sub->net, skb, sub->portid);
	return;

err_put:
	/* etsmgr_event_size() is too small. */
	WARN_ON_ONCE(1);
	nlmsg_free(skb);
}

/* A table changed, or the manager (@table NULL): tell the subscribers. */
static void etsmgr_genl_table_event(u32 event, const struct etsmgr_table *table,
				    struct pid *pid)
{
	struct etsmgr_subscriber *sub, *next;

	lockdep_assert_held(&etsmgr_lock);
	if (!table) {
		list_for_each_entry_safe(sub, next, &etsmgr_subscribers, node)
			etsmgr_event_send(sub, event, NULL, pid);
		return;
	}
	list_for_each_entry_safe(sub, next, &table->ns->subscribers, ns_node)
		etsmgr_event_send(sub, event, table, pid);
}

/*
 * A table of a dead namespace goes: tell the initial IPC namespace's
 * subscribers, the administrator's.
 */
static void etsmgr_genl_ns_reaped(const struct etsmgr_table *table)
{
	struct etsmgr_subscriber *sub, *next;
	struct etsmgr_ns *init;

	lockdep_assert_held(&etsmgr_lock);
	init = etsmgr_ns_find(READ_ONCE(init_task.nsproxy)->ipc_ns);
	if (!init)
		return;
	/* A send that ends the last subscription must not free the list. */
	init->refs++;
	list_for_each_entry_safe(sub, next, &init->subscribers, ns_node)
		etsmgr_event_send(sub, ETSMGR_EVENT_NS_REAPED, table, NULL);
	etsmgr_ns_put(init);
}

/* The netlink front end is one consumer of events (event.c). */
static struct etsmgr_event_consumer etsmgr_genl_consumer = {
	.table_event = etsmgr_genl_table_event,
	.ns_reaped = etsmgr_genl_ns_reaped,
	.ns_dead = etsmgr_genl_ns_dead,
	.sweep = etsmgr_genl_sweep,
};

int __init etsmgr_genl_init(void)
{
	int err;

	etsmgr_load_time_ns = ktime_get_real_ns();
	err = genl_register_family(&etsmgr_genl_family);
	if (err)
		return err;
	etsmgr_event_register(&etsmgr_genl_consumer);
	mutex_lock(&etsmgr_lock);
	etsmgr_genl_ready = true;
	mutex_unlock(&etsmgr_lock);
	return 0;
}

void etsmgr_genl_exit(void)
{
	struct etsmgr_subscriber *sub, *next;

	mutex_lock(&etsmgr_lock);
	etsmgr_genl_ready = false;
	list_for_each_entry_safe(sub, next, &etsmgr_subscribers, node)
		etsmgr_subscriber_free(sub);
	mutex_unlock(&etsmgr_lock);
	etsmgr_event_unregister(&etsmgr_genl_consumer);
	genl_unregister_family(&etsmgr_genl_family);
}
