// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "etsmgr": get one table or dump them all,
 * module stats, admin delete, and the "events" multicast group that tells
 * of every change of a table's owner. See include/uapi/linux/etsmgr.h.
 *
 * Visibility: a caller sees the tables of its own IPC namespace, and of
 * those only its own euid's unless it has CAP_SYS_ADMIN over the
 * namespace. Joining "events" needs CAP_SYS_ADMIN (checked by genetlink).
 *
 * Locking: handlers take etsmgr_lock around registry access; they copy
 * nothing from or to user memory (netlink skbs are kernel memory).
 * etsmgr_event() runs under etsmgr_lock, so events leave in the order of
 * the changes they report.
 */

#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "etsmgr.h"

enum etsmgr_genl_mcgrp {
	ETSMGR_MCGRP_EVENTS,
};

static const struct genl_multicast_group etsmgr_genl_mcgrps[] = {
	[ETSMGR_MCGRP_EVENTS] = {
		.name = ETSMGR_GENL_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_SYS_ADMIN,
	},
};

static const struct nla_policy etsmgr_genl_policy[ETSMGR_A_MAX + 1] = {
	[ETSMGR_A_TABLE_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[ETSMGR_A_TABLE_NAME] = { .type = NLA_NUL_STRING,
				  .len = ETSMGR_NAME_MAX - 1 },
	[ETSMGR_A_DRAIN_DISCARD] = { .type = NLA_FLAG },
};

static struct genl_family etsmgr_genl_family;

/* Set once the family is registered; events before that go nowhere. */
static bool etsmgr_genl_ready;
static u64 etsmgr_load_time_ns;

static const struct ipc_namespace *etsmgr_genl_ns(void)
{
	return current->nsproxy->ipc_ns;
}

/* CAP_SYS_ADMIN of both the socket's opener and the caller. */
static bool etsmgr_genl_admin(const struct sk_buff *skb)
{
	return netlink_ns_capable(skb, etsmgr_genl_ns()->user_ns,
				  CAP_SYS_ADMIN);
}

static bool etsmgr_genl_visible(const struct etsmgr_table *table, bool admin)
{
	return admin || uid_eq(current_euid(), table->uid);
}

static int etsmgr_put_u64(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_u64_64bit(skb, type, value, ETSMGR_A_PAD);
}

/*
 * The table's attributes. Pids are in the reader's pid namespace for
 * replies and global (@global_pids) for events, which go to readers in
 * any namespace.
 */
static int etsmgr_genl_put_table(struct sk_buff *skb,
				 const struct etsmgr_table *table,
				 bool global_pids)
{
	struct pid *owner = table->owner_pid;
	struct pid *heir = table->heir;
	u32 owner_pid = 0, heir_pid = 0;
	u32 state = table->owner ? ETSMGR_STATE_OWNED : ETSMGR_STATE_HELD;

	if (owner)
		owner_pid = global_pids ? pid_nr(owner) : pid_vnr(owner);
	if (heir)
		heir_pid = global_pids ? pid_nr(heir) : pid_vnr(heir);
	if (etsmgr_put_u64(skb, ETSMGR_A_TABLE_ID, table->id) ||
	    nla_put_string(skb, ETSMGR_A_TABLE_NAME, table->name) ||
	    etsmgr_put_u64(skb, ETSMGR_A_TABLE_SIZE, table->size) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_STATE, state) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_ACCESS, table->access) ||
	    nla_put_u32(skb, ETSMGR_A_TABLE_UID,
			from_kuid_munged(current_user_ns(), table->uid)) ||
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
	struct etsmgr_table *table;
	const char *name;

	lockdep_assert_held(&etsmgr_lock);
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
		table = etsmgr_table_find_name(etsmgr_genl_ns(), name);
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
	bool admin = etsmgr_genl_admin(skb);
	struct etsmgr_table *table;
	int err;

	mutex_lock(&etsmgr_lock);
	table = etsmgr_genl_find(info);
	if (!IS_ERR(table) && !etsmgr_genl_visible(table, admin)) {
		/* Another uid's table does not exist for this caller. */
		NL_SET_ERR_MSG_MOD(info->extack, "no such table");
		table = ERR_PTR(-ENOENT);
	}
	if (IS_ERR(table))
		err = PTR_ERR(table);
	else
		err = etsmgr_genl_put_table(reply, table, false);
	mutex_unlock(&etsmgr_lock);
	return err;
}

static int etsmgr_genl_get_table(struct sk_buff *skb, struct genl_info *info)
{
	return etsmgr_genl_reply(skb, info, ETSMGR_CMD_GET_TABLE,
				 etsmgr_genl_fill_table);
}

/* cb->args[0]: the id to resume from. */
static int etsmgr_genl_dump_tables(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	const struct ipc_namespace *ns = etsmgr_genl_ns();
	bool admin = etsmgr_genl_admin(cb->skb);
	unsigned long id = cb->args[0];
	struct etsmgr_table *table;
	void *hdr;

	mutex_lock(&etsmgr_lock);
	/* A change of the registry between two parts marks the dump. */
	cb->seq = etsmgr_registry_seq;
	while ((table = etsmgr_table_next(ns, &id))) {
		if (!etsmgr_genl_visible(table, admin)) {
			id++;
			continue;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &etsmgr_genl_family,
				  NLM_F_MULTI, ETSMGR_CMD_GET_TABLE);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (etsmgr_genl_put_table(skb, table, false)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		id++;
	}
	mutex_unlock(&etsmgr_lock);

	cb->args[0] = id;
	return skb->len;
}

static int etsmgr_genl_put_stats(struct sk_buff *skb,
				 struct sk_buff *request,
				 struct genl_info *info)
{
	struct etsmgr_counters c;
	u32 state;

	mutex_lock(&etsmgr_lock);
	c = etsmgr_counters;
	state = etsmgr_manager_state;
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

	if (!etsmgr_genl_admin(skb)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "deleting a table needs CAP_SYS_ADMIN");
		return -EPERM;
	}

	mutex_lock(&etsmgr_lock);
	table = etsmgr_genl_find(info);
	if (IS_ERR(table))
		err = PTR_ERR(table);
	else
		etsmgr_table_destroy(table);
	mutex_unlock(&etsmgr_lock);
	return err;
}

static bool etsmgr_genl_require_admin(struct sk_buff *skb,
				      struct genl_info *info)
{
	if (etsmgr_genl_admin(skb))
		return true;
	NL_SET_ERR_MSG_MOD(info->extack, "this command needs CAP_SYS_ADMIN");
	return false;
}

static int etsmgr_genl_drain_start(struct sk_buff *skb,
				   struct genl_info *info)
{
	if (!etsmgr_genl_require_admin(skb, info))
		return -EPERM;
	etsmgr_drain_start();
	return 0;
}

static int etsmgr_genl_drain_finish(struct sk_buff *skb,
				    struct genl_info *info)
{
	bool discard = nla_get_flag(info->attrs[ETSMGR_A_DRAIN_DISCARD]);

	if (!etsmgr_genl_require_admin(skb, info))
		return -EPERM;
	return etsmgr_drain_finish(discard, info->extack);
}

static int etsmgr_genl_drain_abort(struct sk_buff *skb,
				   struct genl_info *info)
{
	if (!etsmgr_genl_require_admin(skb, info))
		return -EPERM;
	etsmgr_drain_abort();
	return 0;
}

static const struct genl_small_ops etsmgr_genl_ops[] = {
	{
		.cmd = ETSMGR_CMD_GET_TABLE,
		.doit = etsmgr_genl_get_table,
		.dumpit = etsmgr_genl_dump_tables,
	},
	{
		.cmd = ETSMGR_CMD_GET_STATS,
		.doit = etsmgr_genl_get_stats,
	},
	{
		.cmd = ETSMGR_CMD_DELETE_TABLE,
		.doit = etsmgr_genl_delete_table,
	},
	{
		.cmd = ETSMGR_CMD_DRAIN_START,
		.doit = etsmgr_genl_drain_start,
	},
	{
		.cmd = ETSMGR_CMD_DRAIN_FINISH,
		.doit = etsmgr_genl_drain_finish,
	},
	{
		.cmd = ETSMGR_CMD_DRAIN_ABORT,
		.doit = etsmgr_genl_drain_abort,
	},
};

static struct genl_family etsmgr_genl_family __ro_after_init = {
	.name = ETSMGR_GENL_NAME,
	.version = ETSMGR_GENL_VERSION,
	.maxattr = ETSMGR_A_MAX,
	.policy = etsmgr_genl_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = etsmgr_genl_ops,
	.n_small_ops = ARRAY_SIZE(etsmgr_genl_ops),
	/* Strict validation and zeroed reserved fields for every command. */
	.resv_start_op = ETSMGR_CMD_GET_TABLE,
	.mcgrps = etsmgr_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(etsmgr_genl_mcgrps),
};

/**
 * etsmgr_event() - tell the "events" group what happened to a table
 * @event: enum etsmgr_event
 * @table: the table, in its state after the event; NULL for the manager
 * @pid: the process the event is about (see enum etsmgr_event)
 *
 * Runs in the process that caused the event, which may be exiting (its
 * nsproxy gone): only credentials and pids are used here.
 */
void etsmgr_event(u32 event, const struct etsmgr_table *table,
		  struct pid *pid)
{
	struct sk_buff *skb;
	void *hdr;

	lockdep_assert_held(&etsmgr_lock);
	etsmgr_counters.events++;
	if (!etsmgr_genl_ready)
		return;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &etsmgr_genl_family, 0,
			  ETSMGR_CMD_EVENT);
	if (!hdr)
		goto err_free;
	if (nla_put_u32(skb, ETSMGR_A_EVENT, event) ||
	    nla_put_u32(skb, ETSMGR_A_EVENT_PID, pid_nr(pid)) ||
	    (table && etsmgr_genl_put_table(skb, table, true)))
		goto err_free;
	genlmsg_end(skb, hdr);
	genlmsg_multicast_allns(&etsmgr_genl_family, skb, 0,
				ETSMGR_MCGRP_EVENTS);
	return;

err_free:
	nlmsg_free(skb);
}

int __init etsmgr_genl_init(void)
{
	int err;

	etsmgr_load_time_ns = ktime_get_real_ns();
	err = genl_register_family(&etsmgr_genl_family);
	if (err)
		return err;
	mutex_lock(&etsmgr_lock);
	etsmgr_genl_ready = true;
	mutex_unlock(&etsmgr_lock);
	return 0;
}

void etsmgr_genl_exit(void)
{
	mutex_lock(&etsmgr_lock);
	etsmgr_genl_ready = false;
	mutex_unlock(&etsmgr_lock);
	genl_unregister_family(&etsmgr_genl_family);
}
