// SPDX-License-Identifier: GPL-2.0
/*
 * libetsmgr administration: the generic netlink family "etsmgr"
 * (include/uapi/linux/etsmgr.h) through libnl-genl-3.
 *
 * A handle has two sockets. Requests go on the first, one at a time:
 * send, then read until the kernel's ack, error or end of dump, with the
 * replies parsed against a policy by genlmsg_parse(). Events arrive on a
 * second socket that only exists after etsmgr_nl_subscribe_events() (it
 * sends ETSMGR_CMD_SUBSCRIBE on it), so that a notification can never be
 * taken for a reply nor upset the sequence numbers of requests.
 *
 * Errors: libnl folds errno values into its own NLE_* codes, losing some
 * (EFAULT and EINVAL both become NLE_INVAL). The kernel's answer to a
 * request is therefore taken from the NLMSG_ERROR message itself, in an
 * error callback, and only failures inside libnl go through
 * nl_error_to_errno().
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "internal.h"

/* A dump that keeps racing with table changes is given up after this. */
#define DUMP_TRIES	5

struct etsmgr_nl {
	struct nl_sock *requests;
	struct nl_sock *events;		/* NULL until subscribed */
	int family;
	/* Events parsed from a datagram and not yet returned to the caller. */
	struct etsmgr_table_event *queue;
	size_t queue_head;
	size_t queue_len;
	size_t queue_capacity;
	int queue_error;		/* -ENOMEM if an event was dropped */
	/* Extended ack text of the last failed request, "" if none. */
	char error_message[256];
};

/* Replies and events: every attribute this library reads. */
static const struct nla_policy attr_policy[ETSMGR_A_MAX + 1] = {
	[ETSMGR_A_TABLE_ID] = { .type = NLA_U64 },
	[ETSMGR_A_TABLE_NAME] = { .type = NLA_STRING,
				  .maxlen = ETSMGR_NAME_MAX },
	[ETSMGR_A_TABLE_SIZE] = { .type = NLA_U64 },
	[ETSMGR_A_TABLE_STATE] = { .type = NLA_U32 },
	[ETSMGR_A_TABLE_ACCESS] = { .type = NLA_U32 },
	[ETSMGR_A_TABLE_UID] = { .type = NLA_U32 },
	[ETSMGR_A_TABLE_OWNER_PID] = { .type = NLA_U32 },
	[ETSMGR_A_TABLE_GENERATION] = { .type = NLA_U64 },
	[ETSMGR_A_TABLE_CREATE_TIME] = { .type = NLA_U64 },
	[ETSMGR_A_TABLE_TRANSFER_TIME] = { .type = NLA_U64 },
	[ETSMGR_A_TABLE_EXIT_REASON] = { .type = NLA_U32 },
	[ETSMGR_A_TABLE_EXIT_STATUS] = { .type = NLA_U32 },
	[ETSMGR_A_TABLE_ORIG_NAME] = { .type = NLA_STRING,
				       .maxlen = ETSMGR_NAME_MAX },
	[ETSMGR_A_TABLE_OLD_NAME] = { .type = NLA_STRING,
				      .maxlen = ETSMGR_NAME_MAX },
	[ETSMGR_A_TABLE_RENAME_REASON] = { .type = NLA_STRING,
					   .maxlen = ETSMGR_REASON_MAX },
	[ETSMGR_A_EVENT] = { .type = NLA_U32 },
	[ETSMGR_A_EVENT_PID] = { .type = NLA_U32 },
	[ETSMGR_A_STATS_SESSIONS] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_TABLES] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_HELD] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_BYTES] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_CREATED] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_RECLAIMED] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_DELETED] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_EVENTS] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_MAX_TABLES] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_MAX_TABLE_SIZE] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_MAX_TOTAL_SIZE] = { .type = NLA_U64 },
	[ETSMGR_A_TABLE_MAPPED] = { .type = NLA_U32 },
	[ETSMGR_A_STATS_STATE] = { .type = NLA_U32 },
	[ETSMGR_A_STATS_ADOPTED] = { .type = NLA_U64 },
	[ETSMGR_A_STATS_NS_REAPED] = { .type = NLA_U64 },
	[ETSMGR_A_TABLE_HEIR_PID] = { .type = NLA_U32 },
	[ETSMGR_A_STATS_LOAD_TIME] = { .type = NLA_U64 },
};

int nl_error_to_errno(int nl_error)
{
	switch (nl_error < 0 ? -nl_error : nl_error) {
	case NLE_SUCCESS:		return 0;
	case NLE_INTR:			return -EINTR;
	case NLE_BAD_SOCK:		return -EBADF;
	case NLE_AGAIN:			return -EAGAIN;
	case NLE_NOMEM:			return -ENOMEM;
	case NLE_EXIST:			return -EEXIST;
	case NLE_INVAL:			return -EINVAL;
	case NLE_RANGE:			return -ERANGE;
	case NLE_MSGSIZE:		return -EMSGSIZE;
	case NLE_OPNOTSUPP:		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:		return -ENOENT;
	case NLE_NOADDR:		return -EADDRNOTAVAIL;
	case NLE_BUSY:			return -EBUSY;
	case NLE_PROTO_MISMATCH:	return -EPROTONOSUPPORT;
	case NLE_NOACCESS:		return -EACCES;
	case NLE_PERM:			return -EPERM;
	case NLE_NODEV:			return -ENODEV;
	case NLE_DUMP_INTR:		return -EAGAIN;
	case NLE_MSG_OVERFLOW:		return -ENOBUFS;
	/* The kernel sent something libnl could not make sense of. */
	case NLE_NOATTR:
	case NLE_MISSING_ATTR:
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_PARSE_ERR:
	case NLE_ATTRSIZE:
		return -EPROTO;
	default:
		return -EIO;
	}
}

/* Ask for extended acks, capped: errors then carry the kernel's text
 * right after struct nlmsgerr instead of after a copy of our request.
 * Both are optional; a kernel without them just gives bare errnos.
 */
static void enable_extended_ack(struct nl_sock *sk)
{
	int fd = nl_socket_get_fd(sk);
	int on = 1;

	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));
}

int etsmgr_nl_open(struct etsmgr_nl **handle)
{
	struct etsmgr_nl *h;
	int ret;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->requests = nl_socket_alloc();
	if (!h->requests) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = genl_connect(h->requests);
	if (ret < 0) {
		ret = nl_error_to_errno(ret);
		goto fail;
	}
	enable_extended_ack(h->requests);
	/* The controller answers ENOENT (NLE_OBJ_NOTFOUND) for no family. */
	h->family = genl_ctrl_resolve(h->requests, ETSMGR_GENL_NAME);
	if (h->family < 0) {
		ret = nl_error_to_errno(h->family);
		goto fail;
	}
	*handle = h;
	return 0;
fail:
	etsmgr_nl_close(h);
	return ret;
}

void etsmgr_nl_close(struct etsmgr_nl *handle)
{
	if (!handle)
		return;
	nl_socket_free(handle->events);
	nl_socket_free(handle->requests);
	free(handle->queue);
	free(handle);
}

const char *etsmgr_nl_error_message(const struct etsmgr_nl *handle)
{
	return handle->error_message[0] ? handle->error_message : NULL;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* Names the table of a request: by name if @name is set, else by id. */
struct table_ref {
	uint64_t id;
	const char *name;
	bool has_uid;		/* name is @uid's, not the caller's euid's */
	uint32_t uid;
	int flag;		/* a flag attribute to add, when not 0 */
	const char *new_name;	/* RENAME_TABLE: ETSMGR_A_TABLE_NEW_NAME */
	const char *reason;	/* RENAME_TABLE: _RENAME_REASON, if not NULL */
};

/* Called with the attributes of each reply message; 0 or -errno. */
typedef int (*reply_fn)(struct nlattr **attrs, void *arg);

/* The state of one request while its answer is read. */
struct request {
	struct etsmgr_nl *handle;
	reply_fn on_reply;
	void *arg;
	int status;		/* first failure: the kernel's, or parsing */
	bool done;		/* ack, error or end of dump seen */
	bool interrupted;	/* a dump message had NLM_F_DUMP_INTR */
	unsigned int replies;
};

static void request_fail(struct request *req, int error)
{
	if (!req->status)
		req->status = error;
}

/* Keep the kernel's NLMSGERR_ATTR_MSG, if the error carries one. */
static void save_extended_ack(struct etsmgr_nl *h, const struct nlmsgerr *err)
{
	static const struct nla_policy policy[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING },
	};
	/* libnl hands us nlmsg_data() of the NLMSG_ERROR message. */
	const struct nlmsghdr *hdr =
		(const void *)((const char *)err - NLMSG_HDRLEN);
	struct nlattr *tlvs[NLMSGERR_ATTR_MAX + 1];
	size_t offset = NLMSG_ALIGN(sizeof(*err));
	size_t payload = hdr->nlmsg_len - NLMSG_HDRLEN;

	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Uncapped, a copy of our request sits before the TLVs. */
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		offset += NLMSG_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
	if (offset >= payload)
		return;
	if (nla_parse(tlvs, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)err + offset),
		      (int)(payload - offset), policy) < 0)
		return;
	if (tlvs[NLMSGERR_ATTR_MSG])
		nla_strlcpy(h->error_message, tlvs[NLMSGERR_ATTR_MSG],
			    sizeof(h->error_message));
}

static int on_error(struct sockaddr_nl *from, struct nlmsgerr *err,
		    void *arg)
{
	struct request *req = arg;

	(void)from;
	request_fail(req, err->error);
	save_extended_ack(req->handle, err);
	req->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

/* NLMSG_DONE ends a dump; a dump that failed midway says so in it. */
static int on_dump_done(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct request *req = arg;
	int error;

	if (nlmsg_datalen(hdr) >= (int)sizeof(error)) {
		memcpy(&error, nlmsg_data(hdr), sizeof(error));
		if (error < 0)
			request_fail(req, error);
	}
	req->done = true;
	return NL_STOP;
}

static int on_dump_interrupted(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->interrupted = true;
	return NL_OK;	/* read on to NLMSG_DONE, then the caller retries */
}

static int on_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *attrs[ETSMGR_A_MAX + 1];
	struct request *req = arg;
	int ret;

	req->replies++;
	ret = genlmsg_parse(nlmsg_hdr(msg), 0, attrs, ETSMGR_A_MAX,
			    attr_policy);
	if (ret < 0)
		request_fail(req, -EPROTO);
	else if (req->on_reply)
		request_fail(req, req->on_reply(attrs, req->arg));
	return NL_OK;
}

static int put_table_ref(struct nl_msg *msg, const struct table_ref *ref)
{
	int ret;

	if (ref->name) {
		if (strnlen(ref->name, ETSMGR_NAME_MAX) == ETSMGR_NAME_MAX)
			return -ENAMETOOLONG;
		ret = nla_put_string(msg, ETSMGR_A_TABLE_NAME, ref->name);
		if (!ret && ref->has_uid)
			ret = nla_put_u32(msg, ETSMGR_A_TABLE_UID, ref->uid);
	} else {
		ret = nla_put_u64(msg, ETSMGR_A_TABLE_ID, ref->id);
	}
	if (!ret && ref->new_name) {
		if (strnlen(ref->new_name, ETSMGR_NAME_MAX) == ETSMGR_NAME_MAX)
			return -ENAMETOOLONG;
		ret = nla_put_string(msg, ETSMGR_A_TABLE_NEW_NAME,
				     ref->new_name);
	}
	if (!ret && ref->reason) {
		if (strnlen(ref->reason, ETSMGR_REASON_MAX) ==
		    ETSMGR_REASON_MAX)
			return -EINVAL;
		ret = nla_put_string(msg, ETSMGR_A_TABLE_RENAME_REASON,
				     ref->reason);
	}
	return ret < 0 ? nl_error_to_errno(ret) : 0;
}

static int send_request(struct etsmgr_nl *h, uint8_t cmd, int flags,
			const struct table_ref *ref)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret = 0;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, flags,
			 cmd, ETSMGR_GENL_VERSION))
		ret = -ENOMEM;
	if (!ret && ref && ref->flag)
		ret = nla_put_flag(msg, ref->flag) < 0 ? -ENOMEM : 0;
	else if (!ret && ref)
		ret = put_table_ref(msg, ref);
	if (!ret) {
		ret = nl_send_auto(h->requests, msg);
		ret = ret < 0 ? nl_error_to_errno(ret) : 0;
	}
	nlmsg_free(msg);
	return ret;
}

/*
 * Send @cmd (with @ref's attribute if @ref is set) and read the whole
 * answer, handing each reply to @fn. Returns 0 or -errno; *@interrupted
 * (if not NULL) tells whether a dump raced with a change.
 */
static int transact(struct etsmgr_nl *h, uint8_t cmd, int flags,
		    const struct table_ref *ref, reply_fn fn, void *arg,
		    unsigned int *replies, bool *interrupted)
{
	struct request req = { .handle = h, .on_reply = fn, .arg = arg };
	struct nl_cb *cb;
	int ret;

	h->error_message[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_reply, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_dump_done, &req);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_dump_interrupted,
		  &req);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &req);

	ret = send_request(h, cmd, flags, ref);
	/* A reply and its ack may come in separate reads: read to the end. */
	while (!ret && !req.done) {
		ret = nl_recvmsgs(h->requests, cb);
		if (ret == -NLE_DUMP_INTR) {
			req.interrupted = true;
			ret = 0;
		}
		/* After on_error, libnl returns its own lossy code. */
		ret = req.done ? 0 : nl_error_to_errno(ret);
	}
	nl_cb_put(cb);
	if (!ret)
		ret = req.status;
	if (replies)
		*replies = req.replies;
	if (interrupted)
		*interrupted = req.interrupted;
	return ret;
}

static uint64_t attr_u64(struct nlattr **attrs, int type)
{
	return attrs[type] ? nla_get_u64(attrs[type]) : 0;
}

static uint32_t attr_u32(struct nlattr **attrs, int type)
{
	return attrs[type] ? nla_get_u32(attrs[type]) : 0;
}

/* A table's attributes; id and name are the ones a reply cannot lack. */
static int parse_table(struct nlattr **attrs, struct etsmgr_table *table)
{
	if (!attrs[ETSMGR_A_TABLE_ID] || !attrs[ETSMGR_A_TABLE_NAME])
		return -EPROTO;
	memset(table, 0, sizeof(*table));
	table->id = attr_u64(attrs, ETSMGR_A_TABLE_ID);
	nla_strlcpy(table->name, attrs[ETSMGR_A_TABLE_NAME],
		    sizeof(table->name));
	table->size = attr_u64(attrs, ETSMGR_A_TABLE_SIZE);
	table->generation = attr_u64(attrs, ETSMGR_A_TABLE_GENERATION);
	table->create_time_ns = attr_u64(attrs, ETSMGR_A_TABLE_CREATE_TIME);
	table->transfer_time_ns =
		attr_u64(attrs, ETSMGR_A_TABLE_TRANSFER_TIME);
	table->state = attr_u32(attrs, ETSMGR_A_TABLE_STATE);
	table->access = attr_u32(attrs, ETSMGR_A_TABLE_ACCESS);
	table->uid = attr_u32(attrs, ETSMGR_A_TABLE_UID);
	table->owner_pid = attr_u32(attrs, ETSMGR_A_TABLE_OWNER_PID);
	table->exit_reason = attr_u32(attrs, ETSMGR_A_TABLE_EXIT_REASON);
	table->exit_status =
		(int32_t)attr_u32(attrs, ETSMGR_A_TABLE_EXIT_STATUS);
	table->mapped = attr_u32(attrs, ETSMGR_A_TABLE_MAPPED);
	table->heir_pid = attr_u32(attrs, ETSMGR_A_TABLE_HEIR_PID);
	if (attrs[ETSMGR_A_TABLE_ORIG_NAME])
		nla_strlcpy(table->orig_name, attrs[ETSMGR_A_TABLE_ORIG_NAME],
			    sizeof(table->orig_name));
	if (attrs[ETSMGR_A_TABLE_RENAME_REASON])
		nla_strlcpy(table->rename_reason,
			    attrs[ETSMGR_A_TABLE_RENAME_REASON],
			    sizeof(table->rename_reason));
	return 0;
}

static int parse_table_reply(struct nlattr **attrs, void *arg)
{
	return parse_table(attrs, arg);
}

static int get_table(struct etsmgr_nl *h, const struct table_ref *ref,
		     struct etsmgr_table *table)
{
	unsigned int replies;
	int ret;

	ret = transact(h, ETSMGR_CMD_GET_TABLE, 0, ref, parse_table_reply,
		       table, &replies, NULL);
	if (!ret && replies != 1)
		ret = -EPROTO;
	return ret;
}

int etsmgr_nl_get_table_by_id(struct etsmgr_nl *handle, uint64_t id,
			      struct etsmgr_table *table)
{
	struct table_ref ref = { .id = id };

	return get_table(handle, &ref, table);
}

int etsmgr_nl_get_table_by_name(struct etsmgr_nl *handle, const char *name,
				struct etsmgr_table *table)
{
	struct table_ref ref = { .name = name };

	return get_table(handle, &ref, table);
}

/* The tables of one dump, kept until the dump proves consistent. */
struct table_list {
	struct etsmgr_table *tables;
	size_t count;
	size_t capacity;
};

static int collect_table(struct nlattr **attrs, void *arg)
{
	struct table_list *list = arg;

	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? 2 * list->capacity : 16;
		struct etsmgr_table *tables;

		tables = reallocarray(list->tables, capacity,
				      sizeof(*tables));
		if (!tables)
			return -ENOMEM;
		list->tables = tables;
		list->capacity = capacity;
	}
	return parse_table(attrs, &list->tables[list->count++]);
}

int etsmgr_nl_dump_tables(struct etsmgr_nl *handle, etsmgr_table_fn fn,
			  void *arg)
{
	struct table_list list = { 0 };
	bool interrupted = true;
	int ret = 0;

	for (int try = 0; try < DUMP_TRIES && interrupted; try++) {
		list.count = 0;
		ret = transact(handle, ETSMGR_CMD_GET_TABLE, NLM_F_DUMP, NULL,
			       collect_table, &list, NULL, &interrupted);
		if (ret)
			break;
	}
	if (!ret && interrupted)
		ret = -EAGAIN;
	for (size_t i = 0; !ret && i < list.count; i++)
		ret = fn(&list.tables[i], arg);
	free(list.tables);
	return ret;
}

static int parse_stats(struct nlattr **attrs, void *arg)
{
	struct etsmgr_stats *stats = arg;

	stats->sessions = attr_u64(attrs, ETSMGR_A_STATS_SESSIONS);
	stats->tables = attr_u64(attrs, ETSMGR_A_STATS_TABLES);
	stats->held = attr_u64(attrs, ETSMGR_A_STATS_HELD);
	stats->bytes = attr_u64(attrs, ETSMGR_A_STATS_BYTES);
	stats->created = attr_u64(attrs, ETSMGR_A_STATS_CREATED);
	stats->reclaimed = attr_u64(attrs, ETSMGR_A_STATS_RECLAIMED);
	stats->deleted = attr_u64(attrs, ETSMGR_A_STATS_DELETED);
	stats->events = attr_u64(attrs, ETSMGR_A_STATS_EVENTS);
	stats->max_tables = attr_u64(attrs, ETSMGR_A_STATS_MAX_TABLES);
	stats->max_table_size = attr_u64(attrs, ETSMGR_A_STATS_MAX_TABLE_SIZE);
	stats->max_total_size = attr_u64(attrs, ETSMGR_A_STATS_MAX_TOTAL_SIZE);
	stats->load_time_ns = attr_u64(attrs, ETSMGR_A_STATS_LOAD_TIME);
	stats->state = attr_u32(attrs, ETSMGR_A_STATS_STATE);
	stats->adopted = attr_u64(attrs, ETSMGR_A_STATS_ADOPTED);
	stats->ns_reaped = attr_u64(attrs, ETSMGR_A_STATS_NS_REAPED);
	return 0;
}

int etsmgr_nl_get_stats(struct etsmgr_nl *handle, struct etsmgr_stats *stats)
{
	unsigned int replies;
	int ret;

	memset(stats, 0, sizeof(*stats));
	ret = transact(handle, ETSMGR_CMD_GET_STATS, 0, NULL, parse_stats,
		       stats, &replies, NULL);
	if (!ret && replies != 1)
		ret = -EPROTO;
	return ret;
}

int etsmgr_nl_drain_start(struct etsmgr_nl *handle)
{
	return transact(handle, ETSMGR_CMD_DRAIN_START, 0, NULL, NULL, NULL,
			NULL, NULL);
}

int etsmgr_nl_drain_finish(struct etsmgr_nl *handle, bool discard)
{
	struct table_ref flag = { .flag = ETSMGR_A_DRAIN_DISCARD };

	return transact(handle, ETSMGR_CMD_DRAIN_FINISH, 0,
			discard ? &flag : NULL, NULL, NULL, NULL, NULL);
}

int etsmgr_nl_drain_abort(struct etsmgr_nl *handle)
{
	return transact(handle, ETSMGR_CMD_DRAIN_ABORT, 0, NULL, NULL, NULL,
			NULL, NULL);
}

int etsmgr_nl_delete_by_id(struct etsmgr_nl *handle, uint64_t id)
{
	struct table_ref ref = { .id = id };

	return transact(handle, ETSMGR_CMD_DELETE_TABLE, 0, &ref, NULL, NULL,
			NULL, NULL);
}

int etsmgr_nl_delete_by_name(struct etsmgr_nl *handle, const char *name)
{
	struct table_ref ref = { .name = name };

	return transact(handle, ETSMGR_CMD_DELETE_TABLE, 0, &ref, NULL, NULL,
			NULL, NULL);
}

int etsmgr_nl_delete_by_uid_name(struct etsmgr_nl *handle, uint32_t uid,
				 const char *name)
{
	struct table_ref ref = { .name = name, .has_uid = true, .uid = uid };

	return transact(handle, ETSMGR_CMD_DELETE_TABLE, 0, &ref, NULL, NULL,
			NULL, NULL);
}

int etsmgr_nl_rename_by_id(struct etsmgr_nl *handle, uint64_t id,
			   const char *new_name, const char *reason)
{
	struct table_ref ref = {
		.id = id, .new_name = new_name, .reason = reason,
	};

	return transact(handle, ETSMGR_CMD_RENAME_TABLE, 0, &ref, NULL, NULL,
			NULL, NULL);
}

int etsmgr_nl_rename_by_name(struct etsmgr_nl *handle, const char *name,
			     const char *new_name, const char *reason)
{
	struct table_ref ref = {
		.name = name, .new_name = new_name, .reason = reason,
	};

	return transact(handle, ETSMGR_CMD_RENAME_TABLE, 0, &ref, NULL, NULL,
			NULL, NULL);
}

int etsmgr_nl_rename_by_uid_name(struct etsmgr_nl *handle, uint32_t uid,
				 const char *name, const char *new_name,
				 const char *reason)
{
	struct table_ref ref = {
		.name = name, .has_uid = true, .uid = uid,
		.new_name = new_name, .reason = reason,
	};

	return transact(handle, ETSMGR_CMD_RENAME_TABLE, 0, &ref, NULL, NULL,
			NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

static int queue_push(struct etsmgr_nl *h,
		      const struct etsmgr_table_event *event)
{
	if (h->queue_len == h->queue_capacity) {
		size_t capacity = h->queue_capacity ?
				  2 * h->queue_capacity : 8;
		struct etsmgr_table_event *queue;

		queue = reallocarray(h->queue, capacity, sizeof(*queue));
		if (!queue)
			return -ENOMEM;
		h->queue = queue;
		h->queue_capacity = capacity;
	}
	h->queue[h->queue_len++] = *event;
	return 0;
}

static bool queue_pop(struct etsmgr_nl *h, struct etsmgr_table_event *event)
{
	if (h->queue_head == h->queue_len)
		return false;
	*event = h->queue[h->queue_head++];
	if (h->queue_head == h->queue_len)
		h->queue_head = h->queue_len = 0;
	return true;
}

/*
 * One event message. Messages that are not events, or that lack
 * what an event must have, are skipped rather than failing the reader:
 * a newer module may send more than this library knows. An event about
 * no table in particular (the manager's own) comes with no table
 * attributes and leaves event->table zeroed.
 */
static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *attrs[ETSMGR_A_MAX + 1];
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct etsmgr_nl *h = arg;
	struct etsmgr_table_event event;

	if (genlmsg_parse(hdr, 0, attrs, ETSMGR_A_MAX, attr_policy) < 0)
		return NL_SKIP;
	if (genlmsg_hdr(hdr)->cmd != ETSMGR_CMD_EVENT || !attrs[ETSMGR_A_EVENT])
		return NL_SKIP;
	memset(&event.table, 0, sizeof(event.table));
	if (attrs[ETSMGR_A_TABLE_ID] && parse_table(attrs, &event.table))
		return NL_SKIP;
	event.event = attr_u32(attrs, ETSMGR_A_EVENT);
	event.pid = attr_u32(attrs, ETSMGR_A_EVENT_PID);
	event.old_name[0] = '\0';
	if (attrs[ETSMGR_A_TABLE_OLD_NAME])
		nla_strlcpy(event.old_name, attrs[ETSMGR_A_TABLE_OLD_NAME],
			    sizeof(event.old_name));
	if (queue_push(h, &event))
		h->queue_error = -ENOMEM;
	return NL_OK;
}

/*
 * Ask for the events of the caller's IPC namespace on @sk, which gets them
 * from then on; 0 or a libnl error (-NLE_PERM without CAP_SYS_ADMIN).
 */
static int send_subscribe(struct nl_sock *sk, int family)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return -NLE_NOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
			 ETSMGR_CMD_SUBSCRIBE, ETSMGR_GENL_VERSION)) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	/* Events that beat the ack go through on_event() to the queue. */
	return nl_send_sync(sk, msg);
}

int etsmgr_nl_subscribe_events(struct etsmgr_nl *handle)
{
	struct nl_sock *sk;
	int ret;

	if (handle->events)
		return 0;
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	/* Notifications carry sequence number 0: nothing to match. */
	nl_socket_disable_seq_check(sk);
	ret = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_event,
				  handle);
	if (!ret)
		ret = nl_connect(sk, NETLINK_GENERIC);
	/* The kernel refuses (EPERM) callers it does not trust. */
	if (!ret)
		ret = send_subscribe(sk, handle->family);
	if (!ret)
		ret = nl_socket_set_nonblocking(sk);
	if (ret < 0) {
		nl_socket_free(sk);
		return nl_error_to_errno(ret);
	}
	handle->events = sk;
	return 0;
}

int etsmgr_nl_event_fd(const struct etsmgr_nl *handle)
{
	return handle->events ? nl_socket_get_fd(handle->events) : -EINVAL;
}

static int64_t monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int etsmgr_nl_read_event(struct etsmgr_nl *handle,
			 struct etsmgr_table_event *event, int timeout_ms)
{
	int64_t deadline = monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct pollfd pfd = { .events = POLLIN };
	int ret;

	if (!handle->events)
		return -EINVAL;
	pfd.fd = nl_socket_get_fd(handle->events);
	for (;;) {
		if (handle->queue_error) {
			ret = handle->queue_error;
			handle->queue_error = 0;
			return ret;
		}
		if (queue_pop(handle, event))
			return 1;
		if (timeout_ms < 0) {
			ret = poll(&pfd, 1, -1);
		} else {
			int64_t left = deadline - monotonic_ms();

			ret = poll(&pfd, 1, left > 0 ? (int)left : 0);
		}
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return 0;
		/*
		 * libnl turns ENOBUFS (events lost: the socket overflowed)
		 * into NLE_NOMEM, as it does ENOMEM; errno still tells them
		 * apart (free() keeps errno since glibc 2.33).
		 */
		errno = 0;
		ret = nl_recvmsgs_default(handle->events);
		if (ret == -NLE_NOMEM && errno == ENOBUFS)
			return -ENOBUFS;
		if (ret < 0 && ret != -NLE_AGAIN)
			return nl_error_to_errno(ret);
	}
}
