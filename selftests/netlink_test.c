// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: the generic netlink family "etsmgr" (second half of
 * include/uapi/linux/etsmgr.h). GET_TABLE (doit and dump, checked against
 * ETSMGR_IOC_INFO), GET_STATS, DELETE_TABLE, events (SUBSCRIBE),
 * visibility by uid and capability, and strict validation of malformed
 * requests (errno and extack message).
 *
 * Requests go through libnl-genl-3; every receive waits at most
 * NL_TIMEOUT_MS (a missing reply or event fails, never hangs). Extack
 * messages are read from NLMSG_ERROR with NETLINK_EXT_ACK enabled.
 */
#include "etsmgr_util.h"
#include "etsmgr_nl.h"

#include <poll.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK		270
#endif

#define NL_TIMEOUT_MS		10000	/* one reply datagram */
#define EV_TIMEOUT_MS		5000	/* the events a test waits for */
#define EV_QUIET_MS		300	/* then: no further event may come */

/* Bit of each table attribute, and all of them. */
#define A_BIT(a)		(1ULL << (a))
#define TABLE_ATTRS		(A_BIT(ETSMGR_A_TABLE_ID) |		\
				 A_BIT(ETSMGR_A_TABLE_NAME) |		\
				 A_BIT(ETSMGR_A_TABLE_SIZE) |		\
				 A_BIT(ETSMGR_A_TABLE_STATE) |		\
				 A_BIT(ETSMGR_A_TABLE_ACCESS) |		\
				 A_BIT(ETSMGR_A_TABLE_UID) |		\
				 A_BIT(ETSMGR_A_TABLE_OWNER_PID) |	\
				 A_BIT(ETSMGR_A_TABLE_GENERATION) |	\
				 A_BIT(ETSMGR_A_TABLE_CREATE_TIME) |	\
				 A_BIT(ETSMGR_A_TABLE_TRANSFER_TIME) |	\
				 A_BIT(ETSMGR_A_TABLE_EXIT_REASON) |	\
				 A_BIT(ETSMGR_A_TABLE_EXIT_STATUS))
#define EVENT_ATTRS		(TABLE_ATTRS | A_BIT(ETSMGR_A_EVENT) |	\
				 A_BIT(ETSMGR_A_EVENT_PID))
#define STATS_FIRST		ETSMGR_A_STATS_SESSIONS
#define STATS_LAST		ETSMGR_A_STATS_LOAD_TIME

/* ------------------------------------------------------------------ */
/* Replies                                                             */
/* ------------------------------------------------------------------ */

/* One table (GET_TABLE reply, dump message or event). */
struct nlt {
	__u64 have;		/* A_BIT() of each attribute present */
	int bad;		/* an attribute of the wrong length */
	__u8 cmd, version;	/* of the genlmsghdr */
	__u16 nlflags;		/* of the nlmsghdr */
	__u64 id, size, generation, create_time, transfer_time;
	__u32 state, access, uid, owner_pid, exit_reason, exit_status;
	__u32 event, event_pid;
	char name[ETSMGR_NAME_MAX];
};

/* GET_STATS reply. */
struct nls {
	__u64 have;
	int bad;
	__u64 v[ETSMGR_A_MAX + 1];
};

/* One request and its answer. */
struct nlx {
	/* in */
	int want_stats;		/* parse data messages as stats */
	void (*after_first_recv)(void *arg);
	void *hook_arg;
	/* out */
	int err;		/* 0, or the -errno of NLMSG_ERROR */
	int done;		/* ACK, NLMSG_DONE or NLMSG_ERROR seen */
	int timed_out;
	int lib_err;		/* a libnl error outside the protocol */
	char extack[256];	/* NLMSGERR_ATTR_MSG */
	int nmsg;		/* data messages */
	int nrecv;		/* datagrams read */
	int nintr;		/* messages flagged NLM_F_DUMP_INTR */
	int first_intr;		/* data messages before the first one, or -1 */
	struct nlt *t;		/* one per data message (tables) */
	int nt, cap;
	struct nls stats;
};

static void nlx_init(struct nlx *x)
{
	memset(x, 0, sizeof(*x));
	x->first_intr = -1;
}

static void nlx_free(struct nlx *x)
{
	free(x->t);
	x->t = NULL;
	x->nt = x->cap = 0;
}

/* A one-line description of what came back, for TH_LOG. */
static const char *nlx_why(const struct nlx *x)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
		 "err %d (%s), extack \"%s\", done %d, timeout %d, libnl %d (%s)",
		 x->err, strerror(-x->err), x->extack, x->done, x->timed_out,
		 x->lib_err, x->lib_err ? nl_geterror(x->lib_err) : "-");
	return buf;
}

static int attr_u64(struct nlattr *a, __u64 *v)
{
	if (nla_len(a) != 8)
		return -1;
	*v = nla_get_u64(a);
	return 0;
}

static int attr_u32(struct nlattr *a, __u32 *v)
{
	if (nla_len(a) != 4)
		return -1;
	*v = nla_get_u32(a);
	return 0;
}

static void nlt_parse(struct nlmsghdr *h, struct nlt *t)
{
	struct nlattr *tb[ETSMGR_A_MAX + 1];
	struct genlmsghdr *g = nlmsg_data(h);
	int a, len, bad = 0;

	memset(t, 0, sizeof(*t));
	t->cmd = g->cmd;
	t->version = g->version;
	t->nlflags = h->nlmsg_flags;
	if (genlmsg_parse(h, 0, tb, ETSMGR_A_MAX, NULL) < 0) {
		t->bad = 1;
		return;
	}
	for (a = 1; a <= ETSMGR_A_MAX; a++) {
		if (tb[a])
			t->have |= A_BIT(a);
	}
#define U64A(attr, f) \
	do { if (tb[attr]) bad |= attr_u64(tb[attr], &t->f); } while (0)
#define U32A(attr, f) \
	do { if (tb[attr]) bad |= attr_u32(tb[attr], &t->f); } while (0)
	U64A(ETSMGR_A_TABLE_ID, id);
	U64A(ETSMGR_A_TABLE_SIZE, size);
	U64A(ETSMGR_A_TABLE_GENERATION, generation);
	U64A(ETSMGR_A_TABLE_CREATE_TIME, create_time);
	U64A(ETSMGR_A_TABLE_TRANSFER_TIME, transfer_time);
	U32A(ETSMGR_A_TABLE_STATE, state);
	U32A(ETSMGR_A_TABLE_ACCESS, access);
	U32A(ETSMGR_A_TABLE_UID, uid);
	U32A(ETSMGR_A_TABLE_OWNER_PID, owner_pid);
	U32A(ETSMGR_A_TABLE_EXIT_REASON, exit_reason);
	U32A(ETSMGR_A_TABLE_EXIT_STATUS, exit_status);
	U32A(ETSMGR_A_EVENT, event);
	U32A(ETSMGR_A_EVENT_PID, event_pid);
#undef U64A
#undef U32A
	if (tb[ETSMGR_A_TABLE_NAME]) {
		/* 1..63 bytes and the NUL, nothing after it. */
		len = nla_len(tb[ETSMGR_A_TABLE_NAME]);
		if (len < 2 || len > ETSMGR_NAME_MAX ||
		    strnlen(nla_data(tb[ETSMGR_A_TABLE_NAME]), (size_t)len) !=
		    (size_t)len - 1)
			bad = 1;
		else
			memcpy(t->name, nla_data(tb[ETSMGR_A_TABLE_NAME]),
			       (size_t)len);
	}
	t->bad = bad;
}

static void nls_parse(struct nlmsghdr *h, struct nls *s)
{
	struct nlattr *tb[ETSMGR_A_MAX + 1];
	int a;

	memset(s, 0, sizeof(*s));
	if (genlmsg_parse(h, 0, tb, ETSMGR_A_MAX, NULL) < 0) {
		s->bad = 1;
		return;
	}
	for (a = 1; a <= ETSMGR_A_MAX; a++) {
		if (!tb[a])
			continue;
		s->have |= A_BIT(a);
		/* SESSIONS..LOAD_TIME are all u64. */
		if (a >= STATS_FIRST && a <= STATS_LAST &&
		    attr_u64(tb[a], &s->v[a]))
			s->bad = 1;
	}
}

static int nlx_add(struct nlx *x, const struct nlt *t)
{
	struct nlt *n;

	if (x->nt == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		n = realloc(x->t, (size_t)x->cap * sizeof(*n));
		if (!n)
			return -1;
		x->t = n;
	}
	x->t[x->nt++] = *t;
	return 0;
}

/* The first table of @x with that id, or NULL. */
static const struct nlt *nlx_find(const struct nlx *x, __u64 id)
{
	int i;

	for (i = 0; i < x->nt; i++) {
		if (x->t[i].id == id)
			return &x->t[i];
	}
	return NULL;
}

static int nlx_count(const struct nlx *x, __u64 id)
{
	int i, n = 0;

	for (i = 0; i < x->nt; i++) {
		if (x->t[i].id == id)
			n++;
	}
	return n;
}

/* Pointers to the messages of @x about @id, in order; their number. */
static int nlx_select(const struct nlx *x, __u64 id, const struct nlt **out,
		      int max)
{
	int i, n = 0;

	for (i = 0; i < x->nt; i++) {
		if (x->t[i].id != id)
			continue;
		if (n < max)
			out[n] = &x->t[i];
		n++;
	}
	return n;
}

static const char *event_name(__u32 e)
{
	switch (e) {
	case ETSMGR_EVENT_CREATED:
		return "CREATED";
	case ETSMGR_EVENT_OWNER_EXITED:
		return "OWNER_EXITED";
	case ETSMGR_EVENT_RECLAIMED:
		return "RECLAIMED";
	case ETSMGR_EVENT_DELETED:
		return "DELETED";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* libnl plumbing                                                      */
/* ------------------------------------------------------------------ */

static int cb_msg_in(struct nl_msg *msg, void *arg)
{
	struct nlx *x = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);

	if (h->nlmsg_type != NLMSG_ERROR &&
	    (h->nlmsg_flags & NLM_F_DUMP_INTR)) {
		if (!x->nintr++)
			x->first_intr = x->nmsg;
	}
	return NL_OK;
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct nlx *x = arg;
	struct nlt t;

	x->nmsg++;
	if (x->want_stats) {
		nls_parse(nlmsg_hdr(msg), &x->stats);
		return NL_OK;
	}
	nlt_parse(nlmsg_hdr(msg), &t);
	if (nlx_add(x, &t))
		x->lib_err = -NLE_NOMEM;
	return NL_OK;
}

static int cb_done(struct nl_msg *msg, void *arg)
{
	struct nlx *x = arg;

	(void)msg;
	x->done = 1;
	return NL_STOP;
}

/* NLM_F_DUMP_INTR is counted by cb_msg_in; process the message as usual. */
static int cb_intr(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/* NLMSGERR_ATTR_MSG of an NLMSG_ERROR (NETLINK_EXT_ACK is on). */
static void extack_get(struct nlmsgerr *e, char *out, size_t outlen)
{
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);
	char *tlv, *end;

	out[0] = '\0';
	if (h->nlmsg_type != NLMSG_ERROR || !(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* The request is echoed after the nlmsgerr unless capped. */
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	tlv = (char *)e + NLMSG_ALIGN(off);
	end = (char *)h + h->nlmsg_len;
	if (tlv >= end)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)tlv,
		      (int)(end - tlv), NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(out, outlen, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

static int cb_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlx *x = arg;

	(void)nla;
	x->err = e->error;
	x->done = 1;
	extack_get(e, x->extack, sizeof(x->extack));
	return NL_STOP;
}

/* The request being received (nl_cb_overwrite_recv passes no argument). */
static struct nlx *cur_x;

/* nl_recv with a timeout; counts datagrams and runs the first-recv hook. */
static int recv_hook(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	struct pollfd p = { .fd = nl_socket_get_fd(sk), .events = POLLIN };
	int n;

	if (poll(&p, 1, NL_TIMEOUT_MS) <= 0) {
		cur_x->timed_out = 1;
		return -NLE_AGAIN;
	}
	n = nl_recv(sk, nla, buf, creds);
	if (n > 0 && cur_x->nrecv++ == 0 && cur_x->after_first_recv)
		cur_x->after_first_recv(cur_x->hook_arg);
	return n;
}

static struct nl_cb *nlx_cb(struct nlx *x, int with_recv_hook)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_MSG_IN, NL_CB_CUSTOM, cb_msg_in, x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_done, x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_done, x);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, cb_intr, x);
	nl_cb_err(cb, NL_CB_CUSTOM, cb_err, x);
	if (with_recv_hook)
		nl_cb_overwrite_recv(cb, recv_hook);
	return cb;
}

/* A connected generic netlink socket with extended acks; NULL on error. */
static struct nl_sock *en_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1;

	if (!sk)
		return NULL;
	if (genl_connect(sk) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	return sk;
}

/* A request message of the family; NULL on allocation failure. */
static struct nl_msg *en_new(int fam, __u8 cmd, int flags, __u8 version)
{
	struct nl_msg *m = nlmsg_alloc();

	if (m && !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, flags, cmd,
			      version)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

/*
 * Send @msg (freed) and receive until its ACK, NLMSG_DONE or NLMSG_ERROR.
 * Returns 0, the -errno the kernel answered, -ETIMEDOUT, or -EPROTO for a
 * libnl failure (x->lib_err).
 */
static int en_run(struct nl_sock *sk, struct nl_msg *msg, struct nlx *x)
{
	struct nl_cb *cb;
	int r;

	if (!msg) {
		x->lib_err = -NLE_NOMEM;
		return -EPROTO;
	}
	cb = nlx_cb(x, 1);
	if (!cb) {
		nlmsg_free(msg);
		x->lib_err = -NLE_NOMEM;
		return -EPROTO;
	}
	r = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (r < 0) {
		x->lib_err = r;
		nl_cb_put(cb);
		return -EPROTO;
	}
	cur_x = x;
	while (!x->done && !x->timed_out) {
		r = nl_recvmsgs(sk, cb);
		if (r < 0 && !x->done && !x->timed_out) {
			x->lib_err = r;
			break;
		}
	}
	cur_x = NULL;
	nl_cb_put(cb);
	if (x->timed_out)
		return -ETIMEDOUT;
	if (!x->done || x->lib_err)
		return -EPROTO;
	return x->err;
}

/* GET_TABLE doit naming @id (if non-zero) and/or @name (if not NULL). */
static int en_get(struct nl_sock *sk, int fam, __u64 id, const char *name,
		  struct nlx *x)
{
	struct nl_msg *m = en_new(fam, ETSMGR_CMD_GET_TABLE, 0,
				  ETSMGR_GENL_VERSION);

	if (m && id && nla_put_u64(m, ETSMGR_A_TABLE_ID, id) < 0)
		goto fail;
	if (m && name && nla_put_string(m, ETSMGR_A_TABLE_NAME, name) < 0)
		goto fail;
	return en_run(sk, m, x);
fail:
	nlmsg_free(m);
	return en_run(sk, NULL, x);
}

static int en_dump(struct nl_sock *sk, int fam, struct nlx *x)
{
	return en_run(sk, en_new(fam, ETSMGR_CMD_GET_TABLE, NLM_F_DUMP,
				 ETSMGR_GENL_VERSION), x);
}

static int en_stats(struct nl_sock *sk, int fam, struct nlx *x)
{
	x->want_stats = 1;
	return en_run(sk, en_new(fam, ETSMGR_CMD_GET_STATS, 0,
				 ETSMGR_GENL_VERSION), x);
}

static int en_del(struct nl_sock *sk, int fam, __u64 id, const char *name,
		  struct nlx *x)
{
	struct nl_msg *m = en_new(fam, ETSMGR_CMD_DELETE_TABLE, 0,
				  ETSMGR_GENL_VERSION);

	if (m && id && nla_put_u64(m, ETSMGR_A_TABLE_ID, id) < 0)
		goto fail;
	if (m && name && nla_put_string(m, ETSMGR_A_TABLE_NAME, name) < 0)
		goto fail;
	return en_run(sk, m, x);
fail:
	nlmsg_free(m);
	return en_run(sk, NULL, x);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* A subscribed socket; NULL with *err = -errno on failure. */
static struct nl_sock *ev_open(int fam, int *err)
{
	struct nl_sock *sk = en_open();
	struct nlx x;

	*err = -ENOMEM;
	if (!sk)
		return NULL;
	nl_socket_set_buffer_size(sk, 1 << 20, 0);
	nlx_init(&x);
	*err = en_run(sk, en_new(fam, ETSMGR_CMD_SUBSCRIBE, 0,
				 ETSMGR_GENL_VERSION), &x);
	nlx_free(&x);
	if (*err) {
		nl_socket_free(sk);
		return NULL;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_set_nonblocking(sk);
	return sk;
}

/* Events carry sequence number 0: accept any. */
static int cb_any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/* Read the events that arrive within @ms into @x (tables with events). */
static void ev_pump(struct nl_sock *ev, struct nlx *x, int ms)
{
	struct pollfd p = { .fd = nl_socket_get_fd(ev), .events = POLLIN };
	__u64 end = ets_now_ns() + (__u64)ms * 1000000ULL, now;
	struct nl_cb *cb = nlx_cb(x, 0);
	int r;

	if (!cb) {
		x->lib_err = -NLE_NOMEM;
		return;
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, cb_any_seq, NULL);
	for (;;) {
		now = ets_now_ns();
		if (now >= end)
			break;
		if (poll(&p, 1, (int)((end - now) / 1000000ULL) + 1) <= 0)
			break;
		r = nl_recvmsgs(ev, cb);
		if (r < 0 && r != -NLE_AGAIN) {
			x->lib_err = r;
			break;
		}
	}
	nl_cb_put(cb);
}

/*
 * Read events until @n of them are about table @id (at most
 * EV_TIMEOUT_MS), then for EV_QUIET_MS more, so that an extra event shows.
 */
static void ev_wait(struct nl_sock *ev, struct nlx *x, __u64 id, int n)
{
	__u64 end = ets_now_ns() + EV_TIMEOUT_MS * 1000000ULL;

	while (nlx_count(x, id) < n && ets_now_ns() < end && !x->lib_err)
		ev_pump(ev, x, 100);
	ev_pump(ev, x, EV_QUIET_MS);
}

static void ev_log(struct __test_metadata *_metadata, const struct nlx *x)
{
	int i;

	for (i = 0; i < x->nt; i++) {
		TH_LOG("event %d: %s id %llu pid %u gen %llu state %u exit %u/%u",
		       i, event_name(x->t[i].event),
		       (unsigned long long)x->t[i].id, x->t[i].event_pid,
		       (unsigned long long)x->t[i].generation, x->t[i].state,
		       x->t[i].exit_reason, x->t[i].exit_status);
	}
}

/* ------------------------------------------------------------------ */
/* Probes: one netlink request in a child under other credentials      */
/* ------------------------------------------------------------------ */

enum nlp_op {
	NLP_DUMP = 0,
	NLP_GET_ID,
	NLP_GET_NAME,
	NLP_DELETE_ID,
	NLP_SUBSCRIBE,
};

#define NLP_MAX_TABLES	512

struct nlp {
	/* in */
	int creds;		/* enum ets_creds */
	int op;			/* enum nlp_op */
	int fam;
	__u64 id;
	char name[ETSMGR_NAME_MAX];
	/* out */
	int ret;		/* 0 or -errno */
	char extack[256];
	int nt;			/* tables received (may exceed the array) */
	struct nlt t[NLP_MAX_TABLES];
};

static int nlp_child(struct nlp *p)
{
	struct nl_sock *sk;
	struct nlx x;
	int i;

	if (ets_child_setup(p->creds, 0))
		return ETS_CHILD_SETUP_FAILED;
	sk = en_open();
	if (!sk)
		return ETS_CHILD_BAD;
	nlx_init(&x);
	switch (p->op) {
	case NLP_DUMP:
		p->ret = en_dump(sk, p->fam, &x);
		break;
	case NLP_GET_ID:
		p->ret = en_get(sk, p->fam, p->id, NULL, &x);
		break;
	case NLP_GET_NAME:
		p->ret = en_get(sk, p->fam, 0, p->name, &x);
		break;
	case NLP_DELETE_ID:
		p->ret = en_del(sk, p->fam, p->id, NULL, &x);
		break;
	case NLP_SUBSCRIBE:
		p->ret = en_run(sk, en_new(p->fam, ETSMGR_CMD_SUBSCRIBE, 0,
					   ETSMGR_GENL_VERSION), &x);
		break;
	default:
		return ETS_CHILD_BAD;
	}
	snprintf(p->extack, sizeof(p->extack), "%s", x.extack);
	p->nt = x.nt;
	for (i = 0; i < x.nt && i < NLP_MAX_TABLES; i++)
		p->t[i] = x.t[i];
	nlx_free(&x);
	nl_socket_free(sk);
	return 0;
}

/* Run the probe in a child; 0 or ETS_CHILD_*. The result is in p. */
static int nlp_run(struct nlp *p)
{
	struct nlp *shm = ets_shared_alloc(sizeof(*p));
	int st, ret;
	pid_t pid;

	if (!shm)
		return ETS_CHILD_BAD;
	*shm = *p;
	pid = ets_fork();
	if (pid < 0) {
		munmap(shm, sizeof(*shm));
		return ETS_CHILD_BAD;
	}
	if (pid == 0) {
		ets_close_fds_except(-1, -1);
		_exit(nlp_child(shm));
	}
	st = ets_wait(pid);
	ret = st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : ETS_CHILD_BAD;
	*p = *shm;
	munmap(shm, sizeof(*shm));
	return ret;
}

static void nlp_init(struct nlp *p, int creds, int op, int fam)
{
	memset(p, 0, sizeof(*p));
	p->creds = creds;
	p->op = op;
	p->fam = fam;
}

static const struct nlt *nlp_find(const struct nlp *p, __u64 id)
{
	int i;

	for (i = 0; i < p->nt && i < NLP_MAX_TABLES; i++) {
		if (p->t[i].id == id)
			return &p->t[i];
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

FIXTURE(netlink) {
	struct ets_ctx c;	/* names, parameters (etsmgr_util.h) */
	struct nl_sock *sk;
	int fam;		/* family id, or < 0 */
	/* Many tables of one session, deleted by the teardown if left. */
	int bulk_fd;
	__u64 *bulk;
	int nbulk;
	/* Debugfs counters at setup, checked again by the teardown. */
	int have_base;
	struct ets_counters base;
};

FIXTURE_SETUP(netlink)
{
	ets_ctx_setup(_metadata, &self->c);
	self->sk = NULL;
	self->fam = -1;
	self->bulk_fd = -1;
	self->bulk = NULL;
	self->nbulk = 0;
	self->have_base = ets_device_present() && ets_stats_available() &&
			  !ets_counters_read(&self->base);
	self->sk = en_open();
	if (!self->sk)
		return;
	self->fam = genl_ctrl_resolve(self->sk, ETSMGR_GENL_NAME);
}

FIXTURE_TEARDOWN(netlink)
{
	struct ets_counters now;
	int i, left = 0;

	if (self->bulk_fd >= 0) {
		for (i = 0; i < self->nbulk; i++)
			left += ets_delete_id(self->bulk_fd, self->bulk[i]) == 0;
		close(self->bulk_fd);
		if (left) {
			TH_LOG("teardown: deleted %d leftover tables", left);
			if (ETS_TEST_PASSING())
				ETS_TEST_FAIL();
		}
	}
	free(self->bulk);
	if (self->sk)
		nl_socket_free(self->sk);
	ets_ctx_teardown(_metadata, &self->c);
	/* Everything a passing test made is gone: counters at baseline. */
	if (self->have_base && ETS_TEST_PASSING() &&
	    !ets_counters_read(&now) &&
	    (now.tables != self->base.tables || now.held != self->base.held ||
	     now.bytes != self->base.bytes ||
	     now.sessions != self->base.sessions)) {
		TH_LOG("counters not back to baseline: tables %lld->%lld "
		       "held %lld->%lld bytes %lld->%lld sessions %lld->%lld",
		       self->base.tables, now.tables, self->base.held, now.held,
		       self->base.bytes, now.bytes, self->base.sessions,
		       now.sessions);
		ETS_TEST_FAIL();
	}
}

/* Skip unless root with CAP_SYS_ADMIN, the device and the family. */
#define NL_REQUIRE() do {						\
	ETS_REQUIRE_ROOT();						\
	if (self->fam < 0)						\
		SKIP(return, "generic netlink family %s not registered",\
		     ETSMGR_GENL_NAME);					\
} while (0)

/*
 * Create @n tables of one page, "<prefix>.b<i>", in one session kept by
 * the fixture (the teardown deletes what is left). 0 or -errno.
 */
static int bulk_create(FIXTURE_DATA(netlink) *self, int n)
{
	struct etsmgr_attach a;
	char name[ETSMGR_NAME_MAX];
	int i, ret;

	if (self->bulk_fd < 0) {
		self->bulk_fd = ets_open();
		if (self->bulk_fd < 0)
			return self->bulk_fd;
	}
	self->bulk = realloc(self->bulk,
			     (size_t)(self->nbulk + n) * sizeof(*self->bulk));
	if (!self->bulk)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s.b%d", self->c.prefix,
			 self->nbulk);
		ret = ets_create(self->bulk_fd, name, ETSMGR_ACCESS_PRIVATE,
				 4096, &a);
		if (ret)
			return ret;
		self->bulk[self->nbulk++] = a.id;
	}
	return 0;
}

/* Delete the bulk tables; 0 or the first error. */
static int bulk_delete(FIXTURE_DATA(netlink) *self)
{
	int ret = 0, r;

	while (self->nbulk > 0) {
		r = ets_delete_id(self->bulk_fd, self->bulk[self->nbulk - 1]);
		if (r && !ret)
			ret = r;
		self->nbulk--;
	}
	return ret;
}

/* Compare a netlink table with ETSMGR_IOC_INFO of the same table. */
static void expect_matches_info(struct __test_metadata *_metadata,
				const struct nlt *t,
				const struct etsmgr_info *i)
{
	EXPECT_EQ(TABLE_ATTRS, t->have & TABLE_ATTRS) {
		TH_LOG("attributes present: %#llx",
		       (unsigned long long)t->have);
	}
	EXPECT_EQ(0, t->bad);
	EXPECT_EQ(i->id, t->id);
	EXPECT_STREQ(i->name, t->name);
	EXPECT_EQ(i->size, t->size);
	EXPECT_EQ(i->state, t->state);
	EXPECT_EQ(i->access, t->access);
	EXPECT_EQ(i->uid, t->uid);
	EXPECT_EQ(U32(i->owner_pid), t->owner_pid);
	EXPECT_EQ(i->generation, t->generation);
	EXPECT_EQ(i->create_time_ns, t->create_time);
	EXPECT_EQ(i->transfer_time_ns, t->transfer_time);
	EXPECT_EQ(i->exit_reason, t->exit_reason);
	EXPECT_EQ(U32(i->exit_status), t->exit_status);
}

/* A malformed request is refused with a validation errno and a message. */
static void expect_rejected(struct __test_metadata *_metadata,
			    FIXTURE_DATA(netlink) *self, struct nl_msg *m,
			    const char *what)
{
	struct nlx x;
	int ret;

	nlx_init(&x);
	ret = en_run(self->sk, m, &x);
	EXPECT_TRUE(ret == -EINVAL || ret == -ERANGE || ret == -ENAMETOOLONG) {
		TH_LOG("%s: %s", what, nlx_why(&x));
	}
	EXPECT_NE('\0', x.extack[0]) {
		TH_LOG("%s: no extack message (%s)", what, nlx_why(&x));
	}
	EXPECT_EQ(0, x.nt) TH_LOG("%s: got a reply", what);
	TH_LOG("%s: %d \"%s\"", what, ret, x.extack);
	nlx_free(&x);
	/* The family still answers. */
	nlx_init(&x);
	EXPECT_EQ(0, en_stats(self->sk, self->fam, &x)) {
		TH_LOG("after %s: %s", what, nlx_why(&x));
	}
	nlx_free(&x);
}

/* ------------------------------------------------------------------ */
/* The family                                                          */
/* ------------------------------------------------------------------ */

TEST_F(netlink, family_resolves_version_1)
{
	struct nl_cache *cache = NULL;
	struct genl_family *f;

	NL_REQUIRE();
	ASSERT_LT(0, self->fam);
	ASSERT_EQ(0, genl_ctrl_alloc_cache(self->sk, &cache));
	f = genl_ctrl_search_by_name(cache, ETSMGR_GENL_NAME);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(ETSMGR_GENL_VERSION, genl_family_get_version(f));
	TH_LOG("family id %d, maxattr %u", self->fam,
	       genl_family_get_maxattr(f));
	genl_family_put(f);
	nl_cache_free(cache);
}

/* ------------------------------------------------------------------ */
/* GET_TABLE doit                                                      */
/* ------------------------------------------------------------------ */

TEST_F(netlink, get_by_id_returns_all_attributes_as_info)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info i;
	struct nlx x;
	int fd;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PROTECTED, 3 * 4096, &a));
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	nlx_init(&x);
	ASSERT_EQ(0, en_get(self->sk, self->fam, a.id, NULL, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	ASSERT_EQ(1, x.nt);
	EXPECT_EQ(ETSMGR_GENL_VERSION, x.t[0].version);
	expect_matches_info(_metadata, &x.t[0], &i);
	/* And the values themselves. */
	EXPECT_STREQ(n, x.t[0].name);
	EXPECT_EQ(U64(3 * 4096), x.t[0].size);
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), x.t[0].state);
	EXPECT_EQ(U32(ETSMGR_ACCESS_PROTECTED), x.t[0].access);
	EXPECT_EQ(U32(0), x.t[0].uid);
	EXPECT_EQ(U32(getpid()), x.t[0].owner_pid);
	EXPECT_EQ(U64(1), x.t[0].generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_NONE), x.t[0].exit_reason);
	nlx_free(&x);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(netlink, get_by_name_same_as_by_id)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct nlx x, y;

	NL_REQUIRE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PUBLIC, 4096, 0, &a));
	nlx_init(&x);
	nlx_init(&y);
	ASSERT_EQ(0, en_get(self->sk, self->fam, 0, n, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	ASSERT_EQ(0, en_get(self->sk, self->fam, a.id, NULL, &y)) {
		TH_LOG("%s", nlx_why(&y));
	}
	ASSERT_EQ(1, x.nt);
	ASSERT_EQ(1, y.nt);
	EXPECT_EQ(TABLE_ATTRS, x.t[0].have & TABLE_ATTRS);
	EXPECT_EQ(a.id, x.t[0].id);
	EXPECT_STREQ(y.t[0].name, x.t[0].name);
	EXPECT_EQ(y.t[0].size, x.t[0].size);
	EXPECT_EQ(y.t[0].generation, x.t[0].generation);
	EXPECT_EQ(y.t[0].create_time, x.t[0].create_time);
	/* Held after a close: no owner, reason CLOSED. */
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), x.t[0].state);
	EXPECT_EQ(U32(0), x.t[0].owner_pid);
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), x.t[0].exit_reason);
	nlx_free(&x);
	nlx_free(&y);
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(netlink, get_with_id_and_name_einval_extack)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct nlx x;
	int fd;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	/* Both naming the same table is still both. */
	nlx_init(&x);
	EXPECT_EQ(-EINVAL, en_get(self->sk, self->fam, a.id, n, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	EXPECT_NE('\0', x.extack[0]) TH_LOG("no extack message");
	EXPECT_EQ(0, x.nt);
	nlx_free(&x);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(netlink, get_without_id_or_name_einval_extack)
{
	struct nlx x;

	NL_REQUIRE();
	nlx_init(&x);
	EXPECT_EQ(-EINVAL, en_get(self->sk, self->fam, 0, NULL, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	EXPECT_NE('\0', x.extack[0]) TH_LOG("no extack message");
	nlx_free(&x);
}

TEST_F(netlink, get_bad_name_character_einval)
{
	static const char *const bad[] = { "bad/name", "bad name", "bad\tname",
					   "caf\xc3\xa9", "a*" };
	unsigned int k;
	struct nlx x;

	NL_REQUIRE();
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		nlx_init(&x);
		EXPECT_EQ(-EINVAL, en_get(self->sk, self->fam, 0, bad[k], &x)) {
			TH_LOG("name \"%s\": %s", bad[k], nlx_why(&x));
		}
		nlx_free(&x);
	}
}

TEST_F(netlink, get_missing_table_enoent)
{
	const char *n = ETS_NAME("gone");
	char longest[ETSMGR_NAME_MAX];
	struct etsmgr_attach a;
	struct nlx x;
	int fd;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
	/* By the id and the name of a deleted table. */
	nlx_init(&x);
	EXPECT_EQ(-ENOENT, en_get(self->sk, self->fam, a.id, NULL, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	nlx_free(&x);
	nlx_init(&x);
	EXPECT_EQ(-ENOENT, en_get(self->sk, self->fam, 0, n, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	nlx_free(&x);
	/* A valid name of 63 bytes is looked up, not rejected. */
	memset(longest, 'z', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	nlx_init(&x);
	EXPECT_EQ(-ENOENT, en_get(self->sk, self->fam, 0, longest, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	nlx_free(&x);
}

/* ------------------------------------------------------------------ */
/* GET_TABLE dump                                                      */
/* ------------------------------------------------------------------ */

TEST_F(netlink, dump_in_id_order_one_message_per_table)
{
	struct etsmgr_attach a[4];
	char suffix[8];
	struct nlx x;
	int fd, k, i;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (k = 0; k < 4; k++) {
		snprintf(suffix, sizeof(suffix), "t%d", k);
		ASSERT_EQ(0, ets_create(fd, ETS_NAME(suffix),
					ETSMGR_ACCESS_PRIVATE, 4096, &a[k]));
	}
	nlx_init(&x);
	ASSERT_EQ(0, en_dump(self->sk, self->fam, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	EXPECT_EQ(x.nmsg, x.nt);
	EXPECT_EQ(0, x.nintr);
	for (i = 0; i < x.nt; i++) {
		EXPECT_EQ(TABLE_ATTRS, x.t[i].have & TABLE_ATTRS) {
			TH_LOG("message %d: attributes %#llx", i,
			       (unsigned long long)x.t[i].have);
		}
		EXPECT_TRUE(x.t[i].nlflags & NLM_F_MULTI);
		if (i > 0) {
			EXPECT_LT(x.t[i - 1].id, x.t[i].id) {
				TH_LOG("message %d out of order", i);
			}
		}
	}
	for (k = 0; k < 4; k++) {
		EXPECT_EQ(1, nlx_count(&x, a[k].id)) TH_LOG("table %d", k);
	}
	nlx_free(&x);
	for (k = 0; k < 4; k++) {
		EXPECT_EQ(0, ets_delete_id(fd, a[k].id));
	}
	close(fd);
}

TEST_F(netlink, dump_matches_info_in_every_state)
{
	/* owned here, owned by a child, killed, exited 3, closed+reclaimed */
	const char *sfx[5] = { "mine", "child", "killed", "exit3", "reclaim" };
	struct ets_owner child, o;
	struct etsmgr_attach a[5];
	struct etsmgr_info info;
	const struct nlt *t;
	struct nlx x;
	int fd, k, st;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME(sfx[0]), ETSMGR_ACCESS_PROTECTED,
				2 * 4096, &a[0]));
	ASSERT_EQ(0, ets_owner_spawn(&child, ETS_NAME(sfx[1]),
				     ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_SELF));
	a[1] = child.shm->a;
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME(sfx[2]),
				     ETSMGR_ACCESS_PRIVATE, 4096, 0,
				     ETS_AS_SELF));
	a[2] = o.shm->a;
	st = ets_owner_kill(&o, SIGKILL);
	ASSERT_TRUE(WIFSIGNALED(st));
	ets_owner_free(&o);
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME(sfx[3]),
				     ETSMGR_ACCESS_PRIVATE, 5 * 4096, 0,
				     ETS_AS_SELF));
	a[3] = o.shm->a;
	st = ets_owner_exit(&o, 3);
	ASSERT_TRUE(WIFEXITED(st));
	ets_owner_free(&o);
	ASSERT_EQ(0, ets_make_held(ETS_NAME(sfx[4]), ETSMGR_ACCESS_PUBLIC,
				   4096, 0, &a[4]));
	ASSERT_EQ(0, ets_reclaim(fd, ETS_NAME(sfx[4]), &a[4]));
	ASSERT_EQ(U64(2), a[4].generation);

	nlx_init(&x);
	ASSERT_EQ(0, en_dump(self->sk, self->fam, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	for (k = 0; k < 5; k++) {
		t = nlx_find(&x, a[k].id);
		ASSERT_NE(NULL, t) TH_LOG("table %s not in the dump", sfx[k]);
		ASSERT_EQ(0, ets_info_id(fd, a[k].id, &info));
		expect_matches_info(_metadata, t, &info);
	}
	/* Spot checks of the states themselves. */
	t = nlx_find(&x, a[1].id);
	EXPECT_EQ(U32(child.pid), t->owner_pid);
	t = nlx_find(&x, a[2].id);
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), t->state);
	EXPECT_EQ(U32(ETSMGR_EXIT_SIGNALED), t->exit_reason);
	EXPECT_EQ(U32(SIGKILL), t->exit_status);
	t = nlx_find(&x, a[3].id);
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), t->exit_reason);
	EXPECT_EQ(U32(3), t->exit_status);
	t = nlx_find(&x, a[4].id);
	EXPECT_EQ(U64(2), t->generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), t->exit_reason);
	EXPECT_EQ(U32(getpid()), t->owner_pid);
	nlx_free(&x);

	EXPECT_EQ(0, ets_owner_cmd(&child, ETS_CMD_DELETE, 0));
	ets_owner_exit(&child, 0);
	ets_owner_free(&child);
	for (k = 0; k < 5; k++) {
		if (k != 1) {
			EXPECT_EQ(0, ets_delete_id(fd, a[k].id)) TH_LOG("%s", sfx[k]);
		}
	}
	close(fd);
}

TEST_F_TIMEOUT(netlink, dump_5000_tables_complete, 600)
{
	const int n = 5000;
	unsigned char *seen;
	struct nlx x;
	int i, j, found = 0, dup = 0;

	NL_REQUIRE();
	ASSERT_EQ(0, bulk_create(self, n));
	nlx_init(&x);
	ASSERT_EQ(0, en_dump(self->sk, self->fam, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	TH_LOG("%d messages in %d datagrams", x.nmsg, x.nrecv);
	EXPECT_LE(n, x.nmsg);
	EXPECT_EQ(x.nmsg, x.nt);
	EXPECT_LT(1, x.nrecv);
	EXPECT_EQ(0, x.nintr);
	/* The bulk ids are increasing, and so is the dump: merge them. */
	seen = calloc((size_t)n, 1);
	ASSERT_NE(NULL, seen);
	for (i = 0, j = 0; i < x.nt; i++) {
		if (i > 0 && x.t[i - 1].id >= x.t[i].id)
			dup++;
		while (j < n && self->bulk[j] < x.t[i].id)
			j++;
		if (j < n && self->bulk[j] == x.t[i].id) {
			if (seen[j]++)
				dup++;
			else
				found++;
		}
	}
	EXPECT_EQ(n, found);
	EXPECT_EQ(0, dup) TH_LOG("ids out of order or repeated");
	for (j = 0; j < n; j++) {
		if (!seen[j]) {
			TH_LOG("first missing: id %llu (#%d)",
			       (unsigned long long)self->bulk[j], j);
			break;
		}
	}
	free(seen);
	nlx_free(&x);
	EXPECT_EQ(0, bulk_delete(self));
}

/* The first-recv hook of the interrupted dump: create one table. */
struct intr_hook {
	int fd;
	const char *name;
	int ret;
	__u64 id;
};

static void intr_create(void *arg)
{
	struct intr_hook *h = arg;
	struct etsmgr_attach a;

	h->ret = ets_create(h->fd, h->name, ETSMGR_ACCESS_PRIVATE, 4096, &a);
	h->id = a.id;
}

TEST_F_TIMEOUT(netlink, dump_racing_with_create_flagged_dump_intr, 300)
{
	struct intr_hook h;
	struct nl_sock *dsk;
	struct nlx x;

	NL_REQUIRE();
	ASSERT_EQ(0, bulk_create(self, 600));
	h.fd = ets_open();
	ASSERT_LE(0, h.fd);
	h.name = ETS_NAME("intr");
	h.ret = -1;
	h.id = 0;
	/*
	 * A fresh socket reading 8 KiB at a time, so the kernel fills at
	 * most 8 KiB per dump round (600 tables take a dozen or more). The
	 * kernel prepares round 2 while we read round 1; the table is
	 * created after that read, so round 3 on sees the change.
	 */
	dsk = en_open();
	ASSERT_NE(NULL, dsk);
	nl_socket_disable_msg_peek(dsk);
	ASSERT_EQ(0, nl_socket_set_msg_buf_size(dsk, 8192));
	nlx_init(&x);
	x.after_first_recv = intr_create;
	x.hook_arg = &h;
	ASSERT_EQ(0, en_dump(dsk, self->fam, &x)) TH_LOG("%s", nlx_why(&x));
	ASSERT_EQ(0, h.ret) TH_LOG("create during the dump");
	TH_LOG("%d messages in %d datagrams, %d flagged, first after %d",
	       x.nmsg, x.nrecv, x.nintr, x.first_intr);
	EXPECT_LE(3, x.nrecv);
	EXPECT_LE(1, x.nintr);
	/* Not the first message: it was sent before the change. */
	EXPECT_LT(0, x.first_intr);
	nlx_free(&x);
	nl_socket_free(dsk);
	EXPECT_EQ(0, ets_delete_id(h.fd, h.id));
	close(h.fd);
	EXPECT_EQ(0, bulk_delete(self));
}

/* What the reader of a dump does between its request and its reading. */
enum dump_switch {
	DUMP_DROP_CREDS,	/* becomes uid 65534, no capabilities */
	DUMP_LEAVE_IPC_NS,	/* moves to a new IPC namespace */
};

struct dump_shm {
	__u64 ids[400];
	int n;
	int ret;		/* of the dump */
	int seen;		/* of ids[] in the dump */
	int tables;		/* tables in the dump */
};

/* Start a dump as root, then @how, then read the dump to its end. */
static int dump_then_switch(struct dump_shm *d, int how)
{
	struct ets_nl_reply r = { 0 };
	struct ets_nl nl;
	int i, k;

	ets_close_fds_except(-1, -1);
	if (ets_nl_open(&nl))
		return ETS_CHILD_SETUP_FAILED;
	/* The first round is filled here, in sendmsg(). */
	if (ets_nl_send(&nl, nl.family, ETSMGR_CMD_GET_TABLE, NLM_F_DUMP,
			NULL, 0))
		return ETS_CHILD_BAD;
	if (how == DUMP_DROP_CREDS && ets_become_nobody())
		return ETS_CHILD_SETUP_FAILED;
	if (how == DUMP_LEAVE_IPC_NS && unshare(CLONE_NEWIPC))
		return ETS_CHILD_SETUP_FAILED;
	/* The others in recvmsg(), now. */
	d->ret = ets_nl_recv(&nl, &r, 0);
	d->tables = r.nt;
	for (i = 0; i < r.nt; i++)
		for (k = 0; k < d->n; k++)
			if (r.t[i].id == d->ids[k])
				d->seen++;
	ets_nl_reply_free(&r);
	ets_nl_close(&nl);
	return 0;
}

/*
 * A dump runs in rounds: the first when it is asked for, the others when
 * the reader has read the previous ones, in the reader's context. Every
 * round must see what the requester saw when it asked (its credentials,
 * its IPC namespace), whatever the task that reads.
 */
TEST_F_TIMEOUT(netlink, dump_rounds_use_the_credentials_of_the_start, 300)
{
	static const char *const what[] = {
		"dropping root", "leaving the IPC namespace",
	};
	struct dump_shm *d = ets_shared_alloc(sizeof(*d));
	int how, k, st;
	pid_t pid;

	NL_REQUIRE();
	ASSERT_NE(NULL, d);
	/* Several rounds' worth of tables (a round is at most 32 KiB). */
	ASSERT_EQ(0, bulk_create(self, 300));
	for (how = DUMP_DROP_CREDS; how <= DUMP_LEAVE_IPC_NS; how++) {
		memset(d, 0, sizeof(*d));
		for (k = 0; k < self->nbulk; k++)
			d->ids[d->n++] = self->bulk[k];
		pid = ets_fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(dump_then_switch(d, how));
		st = ets_wait(pid);
		ASSERT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
		EXPECT_EQ(0, d->ret) TH_LOG("%s: %s", what[how],
					    strerror(-d->ret));
		EXPECT_EQ(d->n, d->seen) {
			TH_LOG("%s: the dump showed %d of the %d tables (%d in all)",
			       what[how], d->seen, d->n, d->tables);
		}
	}
	EXPECT_EQ(0, bulk_delete(self));
}

/* ------------------------------------------------------------------ */
/* GET_STATS                                                           */
/* ------------------------------------------------------------------ */

TEST_F(netlink, stats_all_attributes_present)
{
	struct nlx x;
	int a;

	NL_REQUIRE();
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	ASSERT_EQ(1, x.nmsg);
	EXPECT_EQ(0, x.stats.bad);
	for (a = STATS_FIRST; a <= STATS_LAST; a++) {
		EXPECT_TRUE(x.stats.have & A_BIT(a)) TH_LOG("attribute %d", a);
	}
}

TEST_F(netlink, stats_follow_create_close_reclaim_delete)
{
	struct etsmgr_attach a, b, r;
	__u64 pg = ets_page();
	struct nlx x0, x;
	__u64 *v0 = x0.stats.v, *v = x.stats.v;
	int fd;

	NL_REQUIRE();
	nlx_init(&x0);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x0));
	fd = ets_open();
	ASSERT_LE(0, fd);
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x));
	EXPECT_EQ(v0[ETSMGR_A_STATS_SESSIONS] + 1, v[ETSMGR_A_STATS_SESSIONS]);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("a"), ETSMGR_ACCESS_PRIVATE, 1,
				&a));
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("b"), ETSMGR_ACCESS_PUBLIC,
				2 * pg + 1, &b));
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x));
	EXPECT_EQ(v0[ETSMGR_A_STATS_TABLES] + 2, v[ETSMGR_A_STATS_TABLES]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_BYTES] + 4 * pg, v[ETSMGR_A_STATS_BYTES]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_HELD], v[ETSMGR_A_STATS_HELD]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_CREATED] + 2, v[ETSMGR_A_STATS_CREATED]);
	/* The owner session goes: both held. */
	close(fd);
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x));
	EXPECT_EQ(v0[ETSMGR_A_STATS_SESSIONS], v[ETSMGR_A_STATS_SESSIONS]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_HELD] + 2, v[ETSMGR_A_STATS_HELD]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_TABLES] + 2, v[ETSMGR_A_STATS_TABLES]);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, ETS_NAME("a"), &r));
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x));
	EXPECT_EQ(v0[ETSMGR_A_STATS_HELD] + 1, v[ETSMGR_A_STATS_HELD]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_RECLAIMED] + 1,
		  v[ETSMGR_A_STATS_RECLAIMED]);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x));
	EXPECT_EQ(v0[ETSMGR_A_STATS_TABLES], v[ETSMGR_A_STATS_TABLES]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_BYTES], v[ETSMGR_A_STATS_BYTES]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_HELD], v[ETSMGR_A_STATS_HELD]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_SESSIONS], v[ETSMGR_A_STATS_SESSIONS]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_DELETED] + 2, v[ETSMGR_A_STATS_DELETED]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_CREATED] + 2, v[ETSMGR_A_STATS_CREATED]);
	EXPECT_EQ(v0[ETSMGR_A_STATS_RECLAIMED] + 1,
		  v[ETSMGR_A_STATS_RECLAIMED]);
}

TEST_F(netlink, stats_match_debugfs_counters)
{
	struct ets_counters c;
	struct etsmgr_attach a;
	__u64 *v;
	struct nlx x;
	int fd;

	NL_REQUIRE();
	ETS_REQUIRE_STATS();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
				4096, &a));
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x));
	ASSERT_EQ(0, ets_counters_read(&c));
	v = x.stats.v;
	EXPECT_EQ(U64(c.sessions), v[ETSMGR_A_STATS_SESSIONS]);
	EXPECT_EQ(U64(c.tables), v[ETSMGR_A_STATS_TABLES]);
	EXPECT_EQ(U64(c.held), v[ETSMGR_A_STATS_HELD]);
	EXPECT_EQ(U64(c.bytes), v[ETSMGR_A_STATS_BYTES]);
	EXPECT_EQ(U64(c.created), v[ETSMGR_A_STATS_CREATED]);
	EXPECT_EQ(U64(c.reclaimed), v[ETSMGR_A_STATS_RECLAIMED]);
	EXPECT_EQ(U64(c.deleted), v[ETSMGR_A_STATS_DELETED]);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(netlink, stats_limits_match_module_parameters)
{
	static const int attr[3] = { ETSMGR_A_STATS_MAX_TABLES,
				     ETSMGR_A_STATS_MAX_TABLE_SIZE,
				     ETSMGR_A_STATS_MAX_TOTAL_SIZE };
	unsigned long long p;
	struct nlx x;
	int k;

	NL_REQUIRE();
	ETS_REQUIRE_PARAMS();
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x));
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(0, ets_param_get(ets_param_names[k], &p));
		EXPECT_EQ(U64(p), x.stats.v[attr[k]]) {
			TH_LOG("%s", ets_param_names[k]);
		}
	}
	/* A change of a parameter shows at once (the teardown restores). */
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(0, ets_ctx_set_param(&self->c, ets_param_names[k],
					       self->c.param[k] + 4096 * (k + 1)));
	}
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x));
	for (k = 0; k < 3; k++) {
		EXPECT_EQ(U64(self->c.param[k] + 4096 * (k + 1)),
			  x.stats.v[attr[k]]) {
			TH_LOG("%s after a change", ets_param_names[k]);
		}
	}
}

TEST_F(netlink, stats_events_count_one_per_event)
{
	struct nl_sock *ev;
	struct etsmgr_attach a;
	struct nlx x0, x1, x2, e;
	int fd, err;

	NL_REQUIRE();
	/* A listener, so events are certainly sent. */
	ev = ev_open(self->fam, &err);
	ASSERT_NE(NULL, ev) TH_LOG("subscribe: %s", strerror(-err));
	fd = ets_open();
	ASSERT_LE(0, fd);
	nlx_init(&x0);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x0));
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
				4096, &a));
	nlx_init(&x1);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x1));
	EXPECT_EQ(x0.stats.v[ETSMGR_A_STATS_EVENTS] + 1,
		  x1.stats.v[ETSMGR_A_STATS_EVENTS]);
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	nlx_init(&x2);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x2));
	EXPECT_EQ(x0.stats.v[ETSMGR_A_STATS_EVENTS] + 2,
		  x2.stats.v[ETSMGR_A_STATS_EVENTS]);
	/* ... and they are the two events the listener got. */
	nlx_init(&e);
	ev_wait(ev, &e, a.id, 2);
	EXPECT_EQ(2, nlx_count(&e, a.id)) ev_log(_metadata, &e);
	nlx_free(&e);
	nl_socket_free(ev);
	close(fd);
}

TEST_F(netlink, stats_load_time_within_last_hour)
{
	__u64 now, lt;
	struct nlx x;

	NL_REQUIRE();
	nlx_init(&x);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x));
	now = ets_now_ns();
	lt = x.stats.v[ETSMGR_A_STATS_LOAD_TIME];
	EXPECT_GE(now, lt);
	EXPECT_LE(now - 3600ULL * 1000000000ULL, lt) {
		TH_LOG("load time %llu, now %llu", (unsigned long long)lt,
		       (unsigned long long)now);
	}
}

/* ------------------------------------------------------------------ */
/* DELETE_TABLE                                                        */
/* ------------------------------------------------------------------ */

TEST_F(netlink, delete_as_root_of_other_session_table)
{
	const char *n = ETS_NAME("t");
	struct ets_owner o;
	struct nlx x;
	__u64 id;
	int fd;

	NL_REQUIRE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 3 * 4096,
				     41, ETS_AS_SELF));
	id = o.shm->a.id;
	nlx_init(&x);
	EXPECT_EQ(0, en_del(self->sk, self->fam, id, NULL, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	nlx_free(&x);
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, ets_info_id(fd, id, NULL));
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, NULL));
	close(fd);
	/* The owner lives on; its mapping of the private table is fenced. */
	EXPECT_EQ(-EFAULT, ets_owner_cmd(&o, ETS_CMD_PEEK, 0));
	EXPECT_EQ(-ENOENT, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	ets_owner_free(&o);
}

TEST_F(netlink, delete_held_table_by_name)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct nlx x;
	int fd;

	NL_REQUIRE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	nlx_init(&x);
	EXPECT_EQ(0, en_del(self->sk, self->fam, 0, n, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	nlx_free(&x);
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, ets_info_id(fd, a.id, NULL));
	/* The name is free at once. */
	EXPECT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(netlink, delete_as_nobody_eperm)
{
	struct etsmgr_attach a;
	struct nlp p;
	int fd;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC, 4096,
				&a));
	nlp_init(&p, ETS_AS_NOBODY, NLP_DELETE_ID, self->fam);
	p.id = a.id;
	ASSERT_EQ(0, nlp_run(&p));
	EXPECT_EQ(-EPERM, p.ret) TH_LOG("extack \"%s\"", p.extack);
	EXPECT_EQ(0, ets_info_id(fd, a.id, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(netlink, delete_without_sys_admin_eperm)
{
	struct etsmgr_attach a;
	struct nlp p;
	int fd;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC, 4096,
				&a));
	/* Same uid 0, CAP_NET_ADMIN kept: CAP_SYS_ADMIN is what counts. */
	nlp_init(&p, ETS_AS_NOADMIN, NLP_DELETE_ID, self->fam);
	p.id = a.id;
	ASSERT_EQ(0, nlp_run(&p));
	EXPECT_EQ(-EPERM, p.ret) TH_LOG("extack \"%s\"", p.extack);
	EXPECT_EQ(0, ets_info_id(fd, a.id, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(netlink, delete_missing_enoent)
{
	struct etsmgr_attach a;
	struct nlx x;
	int fd;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE, 4096,
				&a));
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
	nlx_init(&x);
	EXPECT_EQ(-ENOENT, en_del(self->sk, self->fam, a.id, NULL, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	nlx_free(&x);
	nlx_init(&x);
	EXPECT_EQ(-ENOENT, en_del(self->sk, self->fam, 0, ETS_NAME("t"), &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	nlx_free(&x);
}

TEST_F(netlink, delete_needs_exactly_one_reference_einval)
{
	struct etsmgr_attach a;
	struct nlx x;
	int fd;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE, 4096,
				&a));
	nlx_init(&x);
	EXPECT_EQ(-EINVAL, en_del(self->sk, self->fam, 0, NULL, &x)) {
		TH_LOG("neither: %s", nlx_why(&x));
	}
	nlx_free(&x);
	nlx_init(&x);
	EXPECT_EQ(-EINVAL, en_del(self->sk, self->fam, a.id, ETS_NAME("t"),
				  &x)) {
		TH_LOG("both: %s", nlx_why(&x));
	}
	nlx_free(&x);
	/* Nothing was deleted. */
	EXPECT_EQ(0, ets_info_id(fd, a.id, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Visibility                                                          */
/* ------------------------------------------------------------------ */

TEST_F(netlink, dump_as_nobody_shows_only_own_uid)
{
	struct etsmgr_attach mine;
	const struct nlt *t;
	struct ets_owner o;
	struct nlp p;
	int fd, i;

	NL_REQUIRE();
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME("nobody"),
				     ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_NOBODY));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("root"), ETSMGR_ACCESS_PUBLIC,
				4096, &mine));
	nlp_init(&p, ETS_AS_NOBODY, NLP_DUMP, self->fam);
	ASSERT_EQ(0, nlp_run(&p));
	ASSERT_EQ(0, p.ret) TH_LOG("extack \"%s\"", p.extack);
	t = nlp_find(&p, o.shm->a.id);
	ASSERT_NE(NULL, t) TH_LOG("own table not in the dump");
	EXPECT_EQ(U32(ETS_NOBODY), t->uid);
	EXPECT_EQ(U32(o.pid), t->owner_pid);
	EXPECT_EQ(NULL, nlp_find(&p, mine.id)) TH_LOG("root's table shown");
	for (i = 0; i < p.nt && i < NLP_MAX_TABLES; i++) {
		EXPECT_EQ(U32(ETS_NOBODY), p.t[i].uid) {
			TH_LOG("table %llu of uid %u shown",
			       (unsigned long long)p.t[i].id, p.t[i].uid);
		}
	}
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	ets_owner_free(&o);
	EXPECT_EQ(0, ets_delete_id(fd, mine.id));
	close(fd);
}

TEST_F(netlink, get_other_uid_table_as_nobody_enoent)
{
	const char *rn = ETS_NAME("root");
	struct etsmgr_attach mine;
	struct ets_owner o;
	struct nlp p;
	int fd;

	NL_REQUIRE();
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME("nobody"),
				     ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_NOBODY));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, rn, ETSMGR_ACCESS_PUBLIC, 4096, &mine));
	/* Root's table does not exist for uid 65534, by id or by name. */
	nlp_init(&p, ETS_AS_NOBODY, NLP_GET_ID, self->fam);
	p.id = mine.id;
	ASSERT_EQ(0, nlp_run(&p));
	EXPECT_EQ(-ENOENT, p.ret) TH_LOG("by id: extack \"%s\"", p.extack);
	EXPECT_EQ(0, p.nt);
	nlp_init(&p, ETS_AS_NOBODY, NLP_GET_NAME, self->fam);
	snprintf(p.name, sizeof(p.name), "%s", rn);
	ASSERT_EQ(0, nlp_run(&p));
	EXPECT_EQ(-ENOENT, p.ret) TH_LOG("by name: extack \"%s\"", p.extack);
	/* Its own one does. */
	nlp_init(&p, ETS_AS_NOBODY, NLP_GET_ID, self->fam);
	p.id = o.shm->a.id;
	ASSERT_EQ(0, nlp_run(&p));
	EXPECT_EQ(0, p.ret) TH_LOG("own: extack \"%s\"", p.extack);
	ASSERT_EQ(1, p.nt);
	EXPECT_EQ(U32(ETS_NOBODY), p.t[0].uid);
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	ets_owner_free(&o);
	EXPECT_EQ(0, ets_delete_id(fd, mine.id));
	close(fd);
}

TEST_F(netlink, dump_without_sys_admin_hides_other_uids)
{
	struct etsmgr_attach mine;
	struct ets_owner o;
	struct nlp p;
	int fd, i;

	NL_REQUIRE();
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME("nobody"),
				     ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_NOBODY));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("root"), ETSMGR_ACCESS_PUBLIC,
				4096, &mine));
	/* uid 0 without CAP_SYS_ADMIN: uid 0's tables only. */
	nlp_init(&p, ETS_AS_NOADMIN, NLP_DUMP, self->fam);
	ASSERT_EQ(0, nlp_run(&p));
	ASSERT_EQ(0, p.ret) TH_LOG("extack \"%s\"", p.extack);
	EXPECT_NE(NULL, nlp_find(&p, mine.id));
	EXPECT_EQ(NULL, nlp_find(&p, o.shm->a.id));
	for (i = 0; i < p.nt && i < NLP_MAX_TABLES; i++) {
		EXPECT_EQ(U32(0), p.t[i].uid);
	}
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	ets_owner_free(&o);
	EXPECT_EQ(0, ets_delete_id(fd, mine.id));
	close(fd);
}

TEST_F(netlink, dump_as_root_shows_all_uids)
{
	struct etsmgr_attach mine;
	const struct nlt *t;
	struct ets_owner o;
	struct nlx x;
	int fd;

	NL_REQUIRE();
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME("nobody"),
				     ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_NOBODY));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("root"), ETSMGR_ACCESS_PUBLIC,
				4096, &mine));
	nlx_init(&x);
	ASSERT_EQ(0, en_dump(self->sk, self->fam, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	t = nlx_find(&x, o.shm->a.id);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(U32(ETS_NOBODY), t->uid);
	t = nlx_find(&x, mine.id);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(U32(0), t->uid);
	nlx_free(&x);
	/* And GET_TABLE of the other uid's table works for root. */
	nlx_init(&x);
	EXPECT_EQ(0, en_get(self->sk, self->fam, o.shm->a.id, NULL, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
	nlx_free(&x);
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	ets_owner_free(&o);
	EXPECT_EQ(0, ets_delete_id(fd, mine.id));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

TEST_F(netlink, events_subscribe_as_nobody_eperm)
{
	struct nlp p;

	NL_REQUIRE();
	nlp_init(&p, ETS_AS_NOBODY, NLP_SUBSCRIBE, self->fam);
	ASSERT_EQ(0, nlp_run(&p));
	EXPECT_EQ(-EPERM, p.ret);
	EXPECT_NE('\0', p.extack[0]);
}

TEST_F(netlink, events_subscribe_without_sys_admin_eperm)
{
	struct nlp p;

	NL_REQUIRE();
	nlp_init(&p, ETS_AS_NOADMIN, NLP_SUBSCRIBE, self->fam);
	ASSERT_EQ(0, nlp_run(&p));
	EXPECT_EQ(-EPERM, p.ret);
	/* With CAP_SYS_ADMIN it works. */
	nlp_init(&p, ETS_AS_SELF, NLP_SUBSCRIBE, self->fam);
	ASSERT_EQ(0, nlp_run(&p));
	EXPECT_EQ(0, p.ret);
}

/* Subscribing twice on one socket gives each event once. */
TEST_F(netlink, events_subscribe_twice_one_copy)
{
	const struct nlt *e[8];
	struct etsmgr_attach a;
	struct nl_sock *ev;
	struct nlx x;
	int fd, err;

	NL_REQUIRE();
	ev = ev_open(self->fam, &err);
	ASSERT_NE(NULL, ev) TH_LOG("subscribe: %s", strerror(-err));
	nlx_init(&x);
	EXPECT_EQ(0, en_run(ev, en_new(self->fam, ETSMGR_CMD_SUBSCRIBE, 0,
				       ETSMGR_GENL_VERSION), &x));
	nlx_free(&x);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE, 4096,
				&a));
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
	nlx_init(&x);
	ev_wait(ev, &x, a.id, 2);
	EXPECT_EQ(2, nlx_select(&x, a.id, e, 8)) ev_log(_metadata, &x);
	nlx_free(&x);
	nl_socket_free(ev);
}

/* 64 subscribers per IPC namespace; a closed one makes room. */
TEST_F(netlink, events_subscribers_per_namespace_capped)
{
	struct nl_sock *ev[65];
	int k, n, err = 0;

	NL_REQUIRE();
	for (n = 0; n < 65; n++) {
		ev[n] = ev_open(self->fam, &err);
		if (!ev[n])
			break;
	}
	EXPECT_EQ(64, n);
	EXPECT_EQ(-ENOSPC, err);
	ASSERT_LT(0, n);
	nl_socket_free(ev[--n]);
	ev[n] = ev_open(self->fam, &err);
	EXPECT_NE(NULL, ev[n]) TH_LOG("after a close: %s", strerror(-err));
	if (ev[n])
		n++;
	for (k = 0; k < n; k++)
		nl_socket_free(ev[k]);
}

TEST_F(netlink, events_create_kill_reclaim_delete_exactly_four)
{
	const char *n = ETS_NAME("t");
	const struct nlt *e[8];
	struct etsmgr_attach a;
	struct nl_sock *ev;
	struct ets_owner o;
	struct nlx x;
	pid_t cpid;
	__u64 id;
	int fd, err, st, k;

	NL_REQUIRE();
	ev = ev_open(self->fam, &err);
	ASSERT_NE(NULL, ev) TH_LOG("subscribe: %s", strerror(-err));
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PROTECTED, 2 * 4096,
				     0, ETS_AS_SELF));
	id = o.shm->a.id;
	cpid = o.pid;
	st = ets_owner_kill(&o, SIGKILL);
	ASSERT_TRUE(WIFSIGNALED(st));
	ets_owner_free(&o);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	ASSERT_EQ(id, a.id);
	ASSERT_EQ(0, ets_delete_id(fd, id));
	close(fd);

	nlx_init(&x);
	ev_wait(ev, &x, id, 4);
	EXPECT_EQ(0, x.lib_err) TH_LOG("%s", nl_geterror(x.lib_err));
	ASSERT_EQ(4, nlx_select(&x, id, e, 8)) ev_log(_metadata, &x);
	for (k = 0; k < 4; k++) {
		EXPECT_EQ(ETSMGR_CMD_EVENT, e[k]->cmd);
		EXPECT_EQ(EVENT_ATTRS, e[k]->have & EVENT_ATTRS) {
			TH_LOG("event %d: attributes %#llx", k,
			       (unsigned long long)e[k]->have);
		}
		EXPECT_EQ(0, e[k]->bad);
		EXPECT_STREQ(n, e[k]->name);
		EXPECT_EQ(U32(0), e[k]->uid);
	}
	EXPECT_EQ(U32(ETSMGR_EVENT_CREATED), e[0]->event);
	EXPECT_EQ(U32(cpid), e[0]->event_pid);
	EXPECT_EQ(U64(1), e[0]->generation);
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), e[0]->state);
	EXPECT_EQ(U32(cpid), e[0]->owner_pid);
	EXPECT_EQ(U64(2 * 4096), e[0]->size);
	EXPECT_EQ(U32(ETSMGR_ACCESS_PROTECTED), e[0]->access);

	EXPECT_EQ(U32(ETSMGR_EVENT_OWNER_EXITED), e[1]->event);
	EXPECT_EQ(U32(cpid), e[1]->event_pid);
	EXPECT_EQ(U32(ETSMGR_EXIT_SIGNALED), e[1]->exit_reason);
	EXPECT_EQ(U32(SIGKILL), e[1]->exit_status);
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), e[1]->state);
	EXPECT_EQ(U32(0), e[1]->owner_pid);

	EXPECT_EQ(U32(ETSMGR_EVENT_RECLAIMED), e[2]->event);
	EXPECT_EQ(U32(getpid()), e[2]->event_pid);
	EXPECT_EQ(U64(2), e[2]->generation);
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), e[2]->state);
	EXPECT_EQ(U32(getpid()), e[2]->owner_pid);

	EXPECT_EQ(U32(ETSMGR_EVENT_DELETED), e[3]->event);
	EXPECT_EQ(U32(getpid()), e[3]->event_pid);
	nlx_free(&x);
	nl_socket_free(ev);
}

TEST_F(netlink, events_owner_exit_3_reported)
{
	const struct nlt *e[8];
	struct nl_sock *ev;
	struct ets_owner o;
	struct nlx x;
	pid_t cpid;
	__u64 id;
	int fd, err, st;

	NL_REQUIRE();
	ev = ev_open(self->fam, &err);
	ASSERT_NE(NULL, ev) TH_LOG("subscribe: %s", strerror(-err));
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
				     4096, 0, ETS_AS_SELF));
	id = o.shm->a.id;
	cpid = o.pid;
	st = ets_owner_exit(&o, 3);
	ASSERT_TRUE(WIFEXITED(st));
	ets_owner_free(&o);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_delete_id(fd, id));
	close(fd);

	nlx_init(&x);
	ev_wait(ev, &x, id, 3);
	ASSERT_EQ(3, nlx_select(&x, id, e, 8)) ev_log(_metadata, &x);
	EXPECT_EQ(U32(ETSMGR_EVENT_CREATED), e[0]->event);
	EXPECT_EQ(U32(ETSMGR_EVENT_OWNER_EXITED), e[1]->event);
	EXPECT_EQ(U32(cpid), e[1]->event_pid);
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), e[1]->exit_reason);
	EXPECT_EQ(U32(3), e[1]->exit_status);
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), e[1]->state);
	EXPECT_EQ(U32(ETSMGR_EVENT_DELETED), e[2]->event);
	EXPECT_EQ(U32(getpid()), e[2]->event_pid);
	nlx_free(&x);
	nl_socket_free(ev);
}

TEST_F(netlink, events_session_close_reported_closed)
{
	const struct nlt *e[8];
	struct nl_sock *ev;
	struct ets_owner o;
	struct nlx x;
	pid_t cpid;
	__u64 id;
	int fd, err;

	NL_REQUIRE();
	ev = ev_open(self->fam, &err);
	ASSERT_NE(NULL, ev) TH_LOG("subscribe: %s", strerror(-err));
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
				     4096, 0, ETS_AS_SELF));
	id = o.shm->a.id;
	cpid = o.pid;
	ASSERT_EQ(0, ets_owner_cmd(&o, ETS_CMD_CLOSE, 0));
	/* The owner's later exit is no change of owner: no event. */
	ets_owner_exit(&o, 0);
	ets_owner_free(&o);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_delete_id(fd, id));
	close(fd);

	nlx_init(&x);
	ev_wait(ev, &x, id, 3);
	ASSERT_EQ(3, nlx_select(&x, id, e, 8)) ev_log(_metadata, &x);
	EXPECT_EQ(U32(ETSMGR_EVENT_CREATED), e[0]->event);
	EXPECT_EQ(U32(ETSMGR_EVENT_OWNER_EXITED), e[1]->event);
	EXPECT_EQ(U32(cpid), e[1]->event_pid);
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), e[1]->exit_reason);
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), e[1]->state);
	EXPECT_EQ(U32(ETSMGR_EVENT_DELETED), e[2]->event);
	nlx_free(&x);
	nl_socket_free(ev);
}

TEST_F(netlink, events_failed_attach_sends_none)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	const struct nlt *e[8];
	struct nl_sock *ev;
	struct nlx x0, x1, x;
	int fd, fd2, err, i;

	NL_REQUIRE();
	ev = ev_open(self->fam, &err);
	ASSERT_NE(NULL, ev) TH_LOG("subscribe: %s", strerror(-err));
	fd = ets_open();
	ASSERT_LE(0, fd);
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	nlx_init(&x0);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x0));
	/* EEXIST, EBUSY (twice), ENOENT, EINVAL, and an ALREADY_OWNED. */
	EXPECT_EQ(-EEXIST, ets_create(fd2, n, ETSMGR_ACCESS_PRIVATE, 4096,
				      NULL));
	EXPECT_EQ(-EBUSY, ets_reclaim(fd2, n, NULL));
	EXPECT_EQ(-EBUSY, ets_attach(fd2, n, ETSMGR_ATTACH_CREATE,
				     ETSMGR_ACCESS_PRIVATE, 4096, NULL));
	EXPECT_EQ(-ENOENT, ets_reclaim(fd2, ETS_NAME("none"), NULL));
	EXPECT_EQ(-EINVAL, ets_attach(fd2, n, ETSMGR_ATTACH_EXCL,
				      ETSMGR_ACCESS_PRIVATE, 4096, NULL));
	EXPECT_EQ(0, ets_reclaim(fd, n, &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_ALREADY_OWNED), b.result);
	nlx_init(&x1);
	ASSERT_EQ(0, en_stats(self->sk, self->fam, &x1));
	EXPECT_EQ(x0.stats.v[ETSMGR_A_STATS_EVENTS],
		  x1.stats.v[ETSMGR_A_STATS_EVENTS]);
	ASSERT_EQ(0, ets_delete_id(fd, a.id));

	nlx_init(&x);
	ev_wait(ev, &x, a.id, 2);
	ASSERT_EQ(2, nlx_select(&x, a.id, e, 8)) ev_log(_metadata, &x);
	EXPECT_EQ(U32(ETSMGR_EVENT_CREATED), e[0]->event);
	EXPECT_EQ(U32(ETSMGR_EVENT_DELETED), e[1]->event);
	/* No event about anything else either. */
	for (i = 0; i < x.nt; i++) {
		EXPECT_EQ(a.id, x.t[i].id) ev_log(_metadata, &x);
	}
	nlx_free(&x);
	nl_socket_free(ev);
	close(fd2);
	close(fd);
}

TEST_F(netlink, events_netlink_delete_reports_deleter)
{
	const struct nlt *e[8];
	struct etsmgr_attach a;
	struct nl_sock *ev;
	struct nlx x, d;
	int err;

	NL_REQUIRE();
	ev = ev_open(self->fam, &err);
	ASSERT_NE(NULL, ev) TH_LOG("subscribe: %s", strerror(-err));
	ASSERT_EQ(0, ets_make_held(ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE, 4096,
				   0, &a));
	nlx_init(&d);
	ASSERT_EQ(0, en_del(self->sk, self->fam, a.id, NULL, &d)) {
		TH_LOG("%s", nlx_why(&d));
	}
	nlx_init(&x);
	ev_wait(ev, &x, a.id, 3);
	/* CREATED, OWNER_EXITED (closed), DELETED by this process. */
	ASSERT_EQ(3, nlx_select(&x, a.id, e, 8)) ev_log(_metadata, &x);
	EXPECT_EQ(U32(ETSMGR_EVENT_OWNER_EXITED), e[1]->event);
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), e[1]->exit_reason);
	EXPECT_EQ(U32(getpid()), e[1]->event_pid);
	EXPECT_EQ(U32(ETSMGR_EVENT_DELETED), e[2]->event);
	EXPECT_EQ(U32(getpid()), e[2]->event_pid);
	nlx_free(&x);
	nl_socket_free(ev);
}

/* ------------------------------------------------------------------ */
/* Malformed requests                                                  */
/* ------------------------------------------------------------------ */

TEST_F(netlink, malformed_unknown_attribute_rejected)
{
	struct nl_msg *m;
	__u32 v = 1;

	NL_REQUIRE();
	m = en_new(self->fam, ETSMGR_CMD_GET_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u64(m, ETSMGR_A_TABLE_ID, 1));
	ASSERT_EQ(0, nla_put(m, 200, sizeof(v), &v));
	expect_rejected(_metadata, self, m, "doit with attribute 200");
	m = en_new(self->fam, ETSMGR_CMD_GET_STATS, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put(m, 200, sizeof(v), &v));
	expect_rejected(_metadata, self, m, "stats with attribute 200");
	m = en_new(self->fam, ETSMGR_CMD_GET_TABLE, NLM_F_DUMP,
		   ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put(m, 200, sizeof(v), &v));
	expect_rejected(_metadata, self, m, "dump with attribute 200");
}

/*
 * Each command takes its own attributes only: another command's is
 * refused, not ignored (a DELETE_TABLE with DRAIN_DISCARD deletes nothing).
 */
TEST_F(netlink, malformed_attribute_of_another_command_rejected)
{
	struct etsmgr_attach a;
	struct nl_msg *m;
	int fd;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE, 4096,
				&a));
	m = en_new(self->fam, ETSMGR_CMD_GET_STATS, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u64(m, ETSMGR_A_TABLE_ID, a.id));
	expect_rejected(_metadata, self, m, "GET_STATS with a table id");
	m = en_new(self->fam, ETSMGR_CMD_GET_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u64(m, ETSMGR_A_TABLE_ID, a.id));
	ASSERT_EQ(0, nla_put_flag(m, ETSMGR_A_DRAIN_DISCARD));
	expect_rejected(_metadata, self, m, "GET_TABLE with DRAIN_DISCARD");
	m = en_new(self->fam, ETSMGR_CMD_GET_TABLE, NLM_F_DUMP,
		   ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_flag(m, ETSMGR_A_DRAIN_DISCARD));
	expect_rejected(_metadata, self, m, "dump with DRAIN_DISCARD");
	m = en_new(self->fam, ETSMGR_CMD_DELETE_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u64(m, ETSMGR_A_TABLE_ID, a.id));
	ASSERT_EQ(0, nla_put_flag(m, ETSMGR_A_DRAIN_DISCARD));
	expect_rejected(_metadata, self, m, "DELETE_TABLE with DRAIN_DISCARD");
	m = en_new(self->fam, ETSMGR_CMD_SUBSCRIBE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u64(m, ETSMGR_A_TABLE_ID, a.id));
	expect_rejected(_metadata, self, m, "SUBSCRIBE with a table id");
	/* Nothing was done to the table. */
	EXPECT_EQ(0, ets_info_id(fd, a.id, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(netlink, malformed_table_id_u32_rejected)
{
	struct etsmgr_attach a;
	struct nl_msg *m;
	int fd;

	NL_REQUIRE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE, 4096,
				&a));
	m = en_new(self->fam, ETSMGR_CMD_GET_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u32(m, ETSMGR_A_TABLE_ID, (__u32)a.id));
	expect_rejected(_metadata, self, m, "GET_TABLE id as u32");
	m = en_new(self->fam, ETSMGR_CMD_DELETE_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u32(m, ETSMGR_A_TABLE_ID, (__u32)a.id));
	expect_rejected(_metadata, self, m, "DELETE_TABLE id as u32");
	EXPECT_EQ(0, ets_info_id(fd, a.id, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(netlink, malformed_table_id_zero_rejected)
{
	struct nl_msg *m;

	NL_REQUIRE();
	m = en_new(self->fam, ETSMGR_CMD_GET_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u64(m, ETSMGR_A_TABLE_ID, 0));
	expect_rejected(_metadata, self, m, "GET_TABLE id 0");
	m = en_new(self->fam, ETSMGR_CMD_DELETE_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u64(m, ETSMGR_A_TABLE_ID, 0));
	expect_rejected(_metadata, self, m, "DELETE_TABLE id 0");
}

TEST_F(netlink, malformed_name_without_nul_rejected)
{
	struct nl_msg *m;

	NL_REQUIRE();
	m = en_new(self->fam, ETSMGR_CMD_GET_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put(m, ETSMGR_A_TABLE_NAME, 5, "abcde"));
	expect_rejected(_metadata, self, m, "name without NUL");
}

TEST_F(netlink, malformed_name_oversized_rejected)
{
	char name[100];
	struct nl_msg *m;

	NL_REQUIRE();
	/* 99 characters and the NUL. */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	m = en_new(self->fam, ETSMGR_CMD_GET_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put(m, ETSMGR_A_TABLE_NAME, sizeof(name), name));
	expect_rejected(_metadata, self, m, "100-byte name");
	/* One past the limit: 64 characters and the NUL. */
	name[ETSMGR_NAME_MAX] = '\0';
	m = en_new(self->fam, ETSMGR_CMD_DELETE_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_string(m, ETSMGR_A_TABLE_NAME, name));
	expect_rejected(_metadata, self, m, "64-character name");
}

TEST_F(netlink, malformed_empty_name_rejected)
{
	struct nl_msg *m;

	NL_REQUIRE();
	m = en_new(self->fam, ETSMGR_CMD_GET_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_string(m, ETSMGR_A_TABLE_NAME, ""));
	expect_rejected(_metadata, self, m, "GET_TABLE empty name");
	m = en_new(self->fam, ETSMGR_CMD_DELETE_TABLE, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_string(m, ETSMGR_A_TABLE_NAME, ""));
	expect_rejected(_metadata, self, m, "DELETE_TABLE empty name");
}

TEST_F(netlink, unknown_command_eopnotsupp)
{
	const __u8 cmds[] = { ETSMGR_CMD_UNSPEC, ETSMGR_CMD_EVENT,
			      ETSMGR_CMD_MAX + 1, 200, 255 };
	unsigned int k;
	struct nlx x;

	NL_REQUIRE();
	for (k = 0; k < ARRAY_SIZE(cmds); k++) {
		nlx_init(&x);
		/* The genetlink core answers for a command with no op. */
		EXPECT_EQ(-EOPNOTSUPP,
			  en_run(self->sk, en_new(self->fam, cmds[k], 0,
						  ETSMGR_GENL_VERSION), &x)) {
			TH_LOG("command %u: %s", cmds[k], nlx_why(&x));
		}
		EXPECT_EQ(0, x.nt);
		nlx_free(&x);
	}
	nlx_init(&x);
	EXPECT_EQ(0, en_stats(self->sk, self->fam, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
}

TEST_F(netlink, odd_genl_header_answered_without_crash)
{
	const __u8 versions[] = { 0, ETSMGR_GENL_VERSION + 1, 255 };
	struct genlmsghdr *g;
	struct nl_msg *m;
	unsigned int k;
	struct nlx x;
	int ret;

	NL_REQUIRE();
	/* Other versions: either answered or refused, but answered. */
	for (k = 0; k < ARRAY_SIZE(versions); k++) {
		nlx_init(&x);
		ret = en_run(self->sk, en_new(self->fam, ETSMGR_CMD_GET_STATS,
					      0, versions[k]), &x);
		EXPECT_NE(-ETIMEDOUT, ret) TH_LOG("version %u", versions[k]);
		EXPECT_NE(-EPROTO, ret) {
			TH_LOG("version %u: %s", versions[k], nlx_why(&x));
		}
		TH_LOG("version %u: %d", versions[k], ret);
		nlx_free(&x);
	}
	/* Reserved field set. */
	m = en_new(self->fam, ETSMGR_CMD_GET_STATS, 0, ETSMGR_GENL_VERSION);
	ASSERT_NE(NULL, m);
	g = nlmsg_data(nlmsg_hdr(m));
	g->reserved = 0x5a5a;
	nlx_init(&x);
	ret = en_run(self->sk, m, &x);
	EXPECT_NE(-ETIMEDOUT, ret);
	EXPECT_NE(-EPROTO, ret) TH_LOG("%s", nlx_why(&x));
	TH_LOG("reserved set: %d", ret);
	nlx_free(&x);
	/* No genetlink header at all: the core refuses it. */
	m = nlmsg_alloc();
	ASSERT_NE(NULL, m);
	ASSERT_NE(NULL, nlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, self->fam, 0,
				  0));
	nlx_init(&x);
	EXPECT_EQ(-EINVAL, en_run(self->sk, m, &x)) TH_LOG("%s", nlx_why(&x));
	nlx_free(&x);
	/* The family still works. */
	nlx_init(&x);
	EXPECT_EQ(0, en_stats(self->sk, self->fam, &x)) {
		TH_LOG("%s", nlx_why(&x));
	}
}

TEST_HARNESS_MAIN
