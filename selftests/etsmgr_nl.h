/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal generic netlink client of the "etsmgr" family on a raw
 * socket, for the fault-injection and fuzz selftests: no libnl, so every
 * syscall and every error is under the test's control. Each request gets
 * its own sequence number; stale messages of an earlier request that
 * failed half-way are skipped. A receive waits at most ETS_NL_TIMEOUT_MS:
 * a reply that never comes is -EAGAIN, never a hang.
 *
 * Include after etsmgr_util.h.
 */
#ifndef ETSMGR_NL_H
#define ETSMGR_NL_H

#include <poll.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#define ETS_NL_TIMEOUT_MS	5000
#define ETS_NL_BUF		65536

struct ets_nl {
	int fd;
	__u16 family;
	__u32 seq;
};

/* One table of a GET_TABLE reply or dump. */
struct ets_nl_table {
	__u64 id, size, generation;
	__u32 state, access, uid, owner_pid, heir_pid, mapped;
	__u32 event;		/* ETSMGR_A_EVENT, in an event */
	char name[ETSMGR_NAME_MAX];
	char orig_name[ETSMGR_NAME_MAX];	/* "" when absent */
	char old_name[ETSMGR_NAME_MAX];		/* "" when absent */
	char reason[ETSMGR_REASON_MAX];		/* "" when absent */
};

/* What a request brought back. */
struct ets_nl_reply {
	struct ets_nl_table *t;	/* data messages parsed as tables */
	int nt, cap;
	__u64 stats[ETSMGR_A_MAX + 1];	/* a GET_STATS reply */
	int nstats;		/* stats messages seen */
	int intr;		/* a dump message flagged NLM_F_DUMP_INTR */
};

struct ets_nl_req {
	__u8 cmd;
	int dump;
	__u64 id;		/* ETSMGR_A_TABLE_ID if not 0 */
	const char *name;	/* ETSMGR_A_TABLE_NAME if not NULL */
	const char *new_name;	/* ETSMGR_A_TABLE_NEW_NAME if not NULL */
	const char *reason;	/* ETSMGR_A_TABLE_RENAME_REASON if not NULL */
	int discard;		/* ETSMGR_A_DRAIN_DISCARD */
};

static inline void ets_nl_reply_free(struct ets_nl_reply *r)
{
	free(r->t);
	memset(r, 0, sizeof(*r));
}

static inline int ets_nl_put_attr(char *buf, size_t *off, __u16 type,
				  const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(buf + *off);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(buf + *off + NLA_HDRLEN, data, len);
	*off += NLA_ALIGN(a->nla_len);
	return 0;
}

/* Send one request; 0 or -errno. */
static inline int ets_nl_send(struct ets_nl *nl, __u16 family, __u8 cmd,
			      __u16 flags, const void *attrs, size_t alen)
{
	char buf[512];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = NLMSG_DATA(h);
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	h->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + alen;
	h->nlmsg_type = family;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = ++nl->seq;
	g->cmd = cmd;
	g->version = cmd == CTRL_CMD_GETFAMILY ? 1 : ETSMGR_GENL_VERSION;
	memcpy((char *)g + GENL_HDRLEN, attrs, alen);
	n = sendto(nl->fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&to,
		   sizeof(to));
	if (n < 0)
		return -errno;
	return n == (ssize_t)h->nlmsg_len ? 0 : -EIO;
}

static inline void ets_nl_parse_table(struct nlattr *a, int len,
				      struct ets_nl_table *t)
{
	memset(t, 0, sizeof(*t));
	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		void *d = (char *)a + NLA_HDRLEN;
		__u64 v64 = 0;
		__u32 v32 = 0;

		if (a->nla_len == NLA_HDRLEN + 8)
			memcpy(&v64, d, 8);
		if (a->nla_len == NLA_HDRLEN + 4)
			memcpy(&v32, d, 4);
		switch (a->nla_type & NLA_TYPE_MASK) {
		case ETSMGR_A_TABLE_ID:
			t->id = v64;
			break;
		case ETSMGR_A_TABLE_SIZE:
			t->size = v64;
			break;
		case ETSMGR_A_TABLE_GENERATION:
			t->generation = v64;
			break;
		case ETSMGR_A_TABLE_STATE:
			t->state = v32;
			break;
		case ETSMGR_A_TABLE_ACCESS:
			t->access = v32;
			break;
		case ETSMGR_A_TABLE_UID:
			t->uid = v32;
			break;
		case ETSMGR_A_TABLE_OWNER_PID:
			t->owner_pid = v32;
			break;
		case ETSMGR_A_TABLE_HEIR_PID:
			t->heir_pid = v32;
			break;
		case ETSMGR_A_TABLE_MAPPED:
			t->mapped = v32;
			break;
		case ETSMGR_A_TABLE_NAME:
			snprintf(t->name, sizeof(t->name), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN), (char *)d);
			break;
		case ETSMGR_A_TABLE_ORIG_NAME:
			snprintf(t->orig_name, sizeof(t->orig_name), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN), (char *)d);
			break;
		case ETSMGR_A_TABLE_OLD_NAME:
			snprintf(t->old_name, sizeof(t->old_name), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN), (char *)d);
			break;
		case ETSMGR_A_TABLE_RENAME_REASON:
			snprintf(t->reason, sizeof(t->reason), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN), (char *)d);
			break;
		case ETSMGR_A_EVENT:
			t->event = v32;
			break;
		}
	}
}

static inline void ets_nl_parse_stats(struct nlattr *a, int len, __u64 *s)
{
	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		__u16 type = a->nla_type & NLA_TYPE_MASK;
		__u32 v32;

		if (type > ETSMGR_A_MAX)
			continue;
		if (a->nla_len == NLA_HDRLEN + 8) {
			memcpy(&s[type], (char *)a + NLA_HDRLEN, 8);
		} else if (a->nla_len == NLA_HDRLEN + 4) {
			memcpy(&v32, (char *)a + NLA_HDRLEN, 4);
			s[type] = v32;
		}
	}
}

/*
 * Read the answer to request nl->seq until its ACK, NLMSG_DONE or
 * NLMSG_ERROR: 0, the request's -errno, or the socket's -errno (-EAGAIN
 * after ETS_NL_TIMEOUT_MS without a message).
 */
static inline int ets_nl_recv(struct ets_nl *nl, struct ets_nl_reply *r,
			      int want_family)
{
	static __thread char buf[ETS_NL_BUF];
	struct nlmsghdr *h;
	ssize_t n;
	int len, ret;

	for (;;) {
		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			struct genlmsghdr *g = NLMSG_DATA(h);
			struct nlattr *a;
			int alen;

			if (h->nlmsg_seq != nl->seq)
				continue;	/* left over from a failed request */
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				memcpy(&ret, NLMSG_DATA(h), sizeof(ret));
				return ret;
			}
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				r->intr = 1;
			a = (struct nlattr *)((char *)g + GENL_HDRLEN);
			alen = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			if (want_family) {
				for (; alen >= NLA_HDRLEN &&
				       a->nla_len >= NLA_HDRLEN;
				     alen -= NLA_ALIGN(a->nla_len),
				     a = (struct nlattr *)((char *)a +
						NLA_ALIGN(a->nla_len)))
					if (a->nla_type == CTRL_ATTR_FAMILY_ID)
						memcpy(&nl->family,
						       (char *)a + NLA_HDRLEN,
						       2);
				continue;
			}
			if (g->cmd == ETSMGR_CMD_GET_STATS) {
				ets_nl_parse_stats(a, alen, r->stats);
				r->nstats++;
				continue;
			}
			if (r->nt == r->cap) {
				int cap = r->cap ? 2 * r->cap : 64;
				void *p = realloc(r->t, cap * sizeof(*r->t));

				if (!p)
					return -ENOMEM;
				r->t = p;
				r->cap = cap;
			}
			ets_nl_parse_table(a, alen, &r->t[r->nt++]);
		}
	}
}

/*
 * Open a socket bound to port id @portid (0: one the kernel picks) and
 * resolve the family: 0 or -errno.
 */
static inline int ets_nl_open_port(struct ets_nl *nl, __u32 portid)
{
	struct timeval tv = {
		.tv_sec = ETS_NL_TIMEOUT_MS / 1000,
		.tv_usec = (ETS_NL_TIMEOUT_MS % 1000) * 1000,
	};
	struct sockaddr_nl me = { .nl_family = AF_NETLINK, .nl_pid = portid };
	struct ets_nl_reply r = { 0 };
	char attrs[64];
	size_t off = 0;
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(nl->fd, (struct sockaddr *)&me, sizeof(me))) {
		ret = -errno;
		goto err;
	}
	/* A lost reply must not leave NLM_F_ACK waiting forever. */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	ets_nl_put_attr(attrs, &off, CTRL_ATTR_FAMILY_NAME, ETSMGR_GENL_NAME,
			sizeof(ETSMGR_GENL_NAME));
	ret = ets_nl_send(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK,
			  attrs, off);
	if (!ret)
		ret = ets_nl_recv(nl, &r, 1);
	if (!ret && !nl->family)
		ret = -ENOENT;
	if (!ret)
		return 0;
err:
	close(nl->fd);
	nl->fd = -1;
	return ret;
}

/* Open a socket and resolve the family: 0 or -errno. */
static inline int ets_nl_open(struct ets_nl *nl)
{
	return ets_nl_open_port(nl, 0);
}

static inline void ets_nl_close(struct ets_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* Run one request: 0 or -errno; @r (may be NULL) gets what came back. */
static inline int ets_nl_run(struct ets_nl *nl, const struct ets_nl_req *q,
			     struct ets_nl_reply *r)
{
	struct ets_nl_reply scratch = { 0 };
	char attrs[320];
	size_t off = 0;
	int ret;

	if (q->id)
		ets_nl_put_attr(attrs, &off, ETSMGR_A_TABLE_ID, &q->id, 8);
	if (q->name)
		ets_nl_put_attr(attrs, &off, ETSMGR_A_TABLE_NAME, q->name,
				strlen(q->name) + 1);
	if (q->new_name)
		ets_nl_put_attr(attrs, &off, ETSMGR_A_TABLE_NEW_NAME,
				q->new_name, strlen(q->new_name) + 1);
	if (q->reason)
		ets_nl_put_attr(attrs, &off, ETSMGR_A_TABLE_RENAME_REASON,
				q->reason, strlen(q->reason) + 1);
	if (q->discard)
		ets_nl_put_attr(attrs, &off, ETSMGR_A_DRAIN_DISCARD, NULL, 0);
	ret = ets_nl_send(nl, nl->family, q->cmd,
			  q->dump ? NLM_F_DUMP : NLM_F_ACK, attrs, off);
	if (!ret)
		ret = ets_nl_recv(nl, r ? r : &scratch, 0);
	ets_nl_reply_free(&scratch);
	return ret;
}

static inline int ets_nl_cmd(struct ets_nl *nl, __u8 cmd)
{
	struct ets_nl_req q = { .cmd = cmd };

	return ets_nl_run(nl, &q, NULL);
}

static inline int ets_nl_dump(struct ets_nl *nl, struct ets_nl_reply *r)
{
	struct ets_nl_req q = { .cmd = ETSMGR_CMD_GET_TABLE, .dump = 1 };

	memset(r, 0, sizeof(*r));
	return ets_nl_run(nl, &q, r);
}

static inline int ets_nl_stats(struct ets_nl *nl, struct ets_nl_reply *r)
{
	struct ets_nl_req q = { .cmd = ETSMGR_CMD_GET_STATS };

	memset(r, 0, sizeof(*r));
	return ets_nl_run(nl, &q, r);
}

/* The socket gets the events of the caller's IPC namespace: 0 or -errno. */
static inline int ets_nl_subscribe(struct ets_nl *nl)
{
	return ets_nl_cmd(nl, ETSMGR_CMD_SUBSCRIBE);
}

/*
 * Wait at most @ms for the next message on @fd that is an event; its
 * attributes in *@t (ETSMGR_A_EVENT in t->event). 0; -EAGAIN when none
 * came; -ENOBUFS when messages to the socket were lost (the socket
 * overran); or -errno.
 */
static inline int ets_nl_event_table(int fd, int ms, struct ets_nl_table *t)
{
	static __thread char buf[ETS_NL_BUF];
	__u64 end = ets_now_ns() + (__u64)ms * 1000000ULL, now;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *h;
	ssize_t n;
	int len;

	for (;;) {
		now = ets_now_ns();
		if (now >= end)
			return -EAGAIN;
		if (poll(&p, 1, (int)((end - now) / 1000000ULL) + 1) < 0 &&
		    errno != EINTR)
			return -errno;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			struct genlmsghdr *g = NLMSG_DATA(h);
			struct nlattr *a;
			int alen;

			if (h->nlmsg_type < NLMSG_MIN_TYPE ||
			    h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) ||
			    g->cmd != ETSMGR_CMD_EVENT)
				continue;
			a = (struct nlattr *)((char *)g + GENL_HDRLEN);
			alen = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			ets_nl_parse_table(a, alen, t);
			return 0;
		}
	}
}

/* As ets_nl_event_table(), keeping only ETSMGR_A_EVENT, in *@event. */
static inline int ets_nl_event_fd(int fd, int ms, __u32 *event)
{
	struct ets_nl_table t;
	int ret = ets_nl_event_table(fd, ms, &t);

	if (!ret)
		*event = t.event;
	return ret;
}

static inline int ets_nl_event(struct ets_nl *nl, int ms, __u32 *event)
{
	return ets_nl_event_fd(nl->fd, ms, event);
}

#endif /* ETSMGR_NL_H */
