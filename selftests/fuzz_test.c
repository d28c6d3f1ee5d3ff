// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: a randomized driver. Worker processes run random
 * sequences of open / attach (create, reclaim, random and invalid flags,
 * access modes and sizes) / mmap / munmap / write / delete / info /
 * set_heir / give / receive / adopt / close / fork a child that dies /
 * kill -9 of a sibling / rename / netlink get, dump, stats, delete and
 * drain, plus
 * ioctls with bad numbers and pointers, on a small pool of names, so they
 * collide. Killed workers are started again. Meanwhile and at the end the
 * parent checks invariants:
 *
 *   - a consistent netlink snapshot (GET_STATS, dump, GET_STATS with no
 *     event in between): the dump has as many tables as the stats, as
 *     many held ones, the bytes add up, names are unique, an owned table
 *     has an owner pid and a held one none;
 *   - one owner per generation: no two processes were handed the same
 *     (id, generation) by CREATE, reclaim or RECEIVE;
 *   - ids are never reused: no id was created twice, an id always has the
 *     same name unless it was renamed;
 *   - an invalid flag, access mode or ioctl never succeeds;
 *   - once every worker is dead every table is held and there are as
 *     many sessions as before; once every table is deleted the counters
 *     are back at the baseline.
 *
 * The second test does the same with fewer kinds of operation (attach,
 * kill, reclaim, delete, give) while stress-ng eats memory; the third
 * (on a kernel with failslab) while the workers' slab allocations fail
 * at random.
 *
 * Environment: ETSMGR_FUZZ_SEED (default: from the clock; printed),
 * ETSMGR_FUZZ_SECONDS per test (default 25, 120 on a kernel with
 * fault injection, the debug kernel), ETSMGR_FUZZ_WORKERS (default 6).
 */
#include "etsmgr_util.h"
#include "etsmgr_nl.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MAX_WORKERS	16
#define NAMES		12
#define LOG_MAX		(1 << 16)
#define FDS		3
#define MAPS		8
#define KNOWN		16
#define OWNED		16
#define VIOLATION_LEN	512

enum { K_CREATED = 1, K_RECLAIMED, K_RECEIVED, K_ADOPTED, K_SEEN, K_RENAMED };

struct claim {
	__u64 id, generation;
	__s32 pid;
	__u32 kind;
	char name[ETSMGR_NAME_MAX];
};

enum {
	OP_OPEN, OP_CLOSE, OP_ATTACH, OP_DELETE, OP_INFO, OP_MMAP, OP_MUNMAP,
	OP_TOUCH, OP_SET_HEIR, OP_GIVE, OP_RECEIVE, OP_ADOPT, OP_FORK,
	OP_KILL, OP_NL_GET, OP_NL_DUMP, OP_NL_STATS, OP_NL_DELETE, OP_DRAIN,
	OP_BAD_IOCTL, OP_CHECK_OWNED, OP_RENAME, OP_MAX
};

static const char *const op_names[OP_MAX] = {
	"open", "close", "attach", "delete", "info", "mmap", "munmap",
	"touch", "set_heir", "give", "receive", "adopt", "fork", "kill",
	"nl_get", "nl_dump", "nl_stats", "nl_delete", "drain", "bad_ioctl",
	"check_own", "rename",
};

/* Relative weights of the operations, per test. */
static const int weights_all[OP_MAX] = {
	[OP_OPEN] = 6, [OP_CLOSE] = 3, [OP_ATTACH] = 14, [OP_DELETE] = 4,
	[OP_INFO] = 5, [OP_MMAP] = 6, [OP_MUNMAP] = 3, [OP_TOUCH] = 5,
	[OP_SET_HEIR] = 4, [OP_GIVE] = 4, [OP_RECEIVE] = 4, [OP_ADOPT] = 2,
	[OP_FORK] = 2, [OP_KILL] = 1, [OP_NL_GET] = 3, [OP_NL_DUMP] = 2,
	[OP_NL_STATS] = 2, [OP_NL_DELETE] = 1, [OP_DRAIN] = 1,
	[OP_BAD_IOCTL] = 3, [OP_CHECK_OWNED] = 4, [OP_RENAME] = 3,
};

static const int weights_pressure[OP_MAX] = {
	[OP_OPEN] = 6, [OP_CLOSE] = 3, [OP_ATTACH] = 16, [OP_DELETE] = 4,
	[OP_MMAP] = 4, [OP_MUNMAP] = 2, [OP_TOUCH] = 6, [OP_GIVE] = 5,
	[OP_RECEIVE] = 5, [OP_SET_HEIR] = 2, [OP_FORK] = 3, [OP_KILL] = 2,
	[OP_CHECK_OWNED] = 4,
};

struct shared {
	char prefix[24];
	int nworkers;
	int make_it_fail;	/* workers' allocations fail at random */
	int weights[OP_MAX];
	volatile pid_t pid[MAX_WORKERS];
	unsigned long ops[OP_MAX], ok[OP_MAX];
	unsigned long nlog, violations;
	__u64 adoptions;
	char violation[VIOLATION_LEN];
	struct claim log[LOG_MAX];
};

static struct shared *sh;

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&sh->violations, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->violation, sizeof(sh->violation), fmt, ap);
	va_end(ap);
}

static void record(__u32 kind, __u64 id, __u64 gen, const char *name)
{
	unsigned long k = __atomic_fetch_add(&sh->nlog, 1, __ATOMIC_SEQ_CST);
	struct claim *c;

	if (k >= LOG_MAX)
		return;
	c = &sh->log[k];
	c->id = id;
	c->generation = gen;
	c->pid = getpid();
	snprintf(c->name, sizeof(c->name), "%s", name);
	__atomic_store_n(&c->kind, kind, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* A worker                                                            */
/* ------------------------------------------------------------------ */

struct map {
	void *p;
	size_t len;
	int prot;
};

struct worker {
	__u64 rng;
	int index;
	int fd[FDS];
	struct map map[MAPS];
	__u64 known[KNOWN];
	/* Tables a session of this worker was handed: slot and id. */
	struct {
		int slot;
		__u64 id;
	} owned[OWNED];
	struct ets_nl nl;
};

static __u64 rnd(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ULL;
}

static unsigned int below(struct worker *w, unsigned int n)
{
	return n ? (unsigned int)(rnd(w) % n) : 0;
}

static void pool_name(struct worker *w, char *n, size_t len)
{
	snprintf(n, len, "%s.%u", sh->prefix, below(w, NAMES));
}

static int any_fd(struct worker *w)
{
	int k, start = below(w, FDS);

	for (k = 0; k < FDS; k++)
		if (w->fd[(start + k) % FDS] >= 0)
			return w->fd[(start + k) % FDS];
	return -1;
}

static __u64 known_id(struct worker *w)
{
	__u64 id = w->known[below(w, KNOWN)];

	/* Now and then an id that names nothing. */
	if (!id || !below(w, 20))
		id = rnd(w) % 100000 + 1;
	return id;
}

static void learn(struct worker *w, __u64 id)
{
	w->known[below(w, KNOWN)] = id;
}

static int slot_of(struct worker *w, int fd)
{
	int k;

	for (k = 0; k < FDS; k++)
		if (w->fd[k] == fd)
			return k;
	return -1;
}

static void own_drop(struct worker *w, __u64 id, int slot)
{
	int k;

	for (k = 0; k < OWNED; k++)
		if (w->owned[k].id && (w->owned[k].id == id ||
				       w->owned[k].slot == slot))
			w->owned[k].id = 0;
}

/* The session of @fd owns @id now. */
static void own_add(struct worker *w, int fd, __u64 id)
{
	int slot = slot_of(w, fd), k, free = -1;

	if (slot < 0)
		return;
	own_drop(w, id, -1);
	for (k = 0; k < OWNED && free < 0; k++)
		if (!w->owned[k].id)
			free = k;
	if (free < 0)
		free = below(w, OWNED);
	w->owned[free].slot = slot;
	w->owned[free].id = id;
}

/*
 * A live session loses a table only by giving it away or by its delete:
 * no one else's attach, reclaim, give or death may take it. Tables that
 * were deleted and adopted again have a generation of 2^32 or more.
 */
static int check_owned(struct worker *w)
{
	int k = below(w, OWNED), ret;
	struct etsmgr_info info;
	__u64 id = w->owned[k].id;

	if (!id)
		return -ENOENT;
	ret = ets_info_id(w->fd[w->owned[k].slot], id, &info);
	if (ret) {
		if (ret == -ENOENT)
			w->owned[k].id = 0;	/* deleted */
		return ret;
	}
	if (!info.owned_by_caller && info.generation < (1ULL << 32))
		violation("pid %d lost table %llu %s it neither gave away nor deleted: state %u, owner pid %d, generation %llu",
			  getpid(), (unsigned long long)id, info.name,
			  info.state, info.owner_pid,
			  (unsigned long long)info.generation);
	return 0;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* A pidfd of a random worker (maybe this one), or -1. */
static int sibling_pidfd(struct worker *w)
{
	pid_t pid = sh->pid[below(w, sh->nworkers)];

	return pid > 0 ? pidfd_open(pid) : -1;
}

static void claim_attach(const struct etsmgr_attach *a)
{
	if (a->result == ETSMGR_RESULT_CREATED)
		record(K_CREATED, a->id, a->generation, a->name);
	else if (a->result == ETSMGR_RESULT_RECLAIMED)
		record(K_RECLAIMED, a->id, a->generation, a->name);
}

static int do_attach(struct worker *w, int fd)
{
	static const __u64 sizes[] = { 0, 1, 4096, 8192, 65536, 200000,
				       1ULL << 40, ~0ULL };
	struct etsmgr_attach a;
	char n[ETSMGR_NAME_MAX];
	__u32 flags, access;
	int ret, valid;

	pool_name(w, n, sizeof(n));
	switch (below(w, 8)) {
	case 0:
		flags = 0;
		break;
	case 1:
	case 2:
		flags = ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL;
		break;
	case 3:
		flags = (__u32)rnd(w);
		break;
	case 4:
		/* Another uid's table by name: root's or nobody's. */
		flags = ETSMGR_ATTACH_UID;
		break;
	default:
		flags = ETSMGR_ATTACH_CREATE;
	}
	access = below(w, 10) ? below(w, 3) : below(w, 8);
	ets_attach_init(&a, n, flags, access,
			sizes[below(w, sizeof(sizes) / sizeof(sizes[0]))]);
	if (flags & ETSMGR_ATTACH_UID)
		a.uid = below(w, 2) ? 0 : ETS_NOBODY;
	if (!below(w, 30))
		a.__reserved[below(w, 4)] = rnd(w);
	valid = !(flags & ~ETSMGR_ATTACH_VALID) && access <= 2 &&
		!((flags & ETSMGR_ATTACH_UID) &&
		  (flags & ETSMGR_ATTACH_CREATE)) &&
		!a.__reserved[0] && !a.__reserved[1] && !a.__reserved[2] &&
		!a.__reserved[3];
	ret = ets_ioctl(fd, ETSMGR_IOC_ATTACH, &a);
	if (!ret && !valid)
		violation("ATTACH succeeded with flags %#x access %u", flags,
			  access);
	if (!ret) {
		if (strcmp(a.name, n))
			snprintf(a.name, sizeof(a.name), "%s", n);
		claim_attach(&a);
		learn(w, a.id);
		own_add(w, fd, a.id);
	}
	return ret;
}

static int do_mmap(struct worker *w, int fd)
{
	struct etsmgr_info info;
	int k = below(w, MAPS), prot, flags, ret;
	size_t len;
	void *p;

	if (w->map[k].p)
		return -EBUSY;
	ret = ets_info_id(fd, known_id(w), &info);
	if (ret)
		return ret;
	prot = below(w, 3) ? PROT_READ | PROT_WRITE : PROT_READ;
	flags = below(w, 10) ? MAP_SHARED : MAP_PRIVATE;
	len = info.size;
	if (!below(w, 5))
		len = below(w, 3) * 4096 + 4096;
	p = mmap(NULL, len, prot, flags, fd, (off_t)info.mmap_offset);
	if (p == MAP_FAILED)
		return -errno;
	if (flags == MAP_PRIVATE)
		violation("a MAP_PRIVATE mapping of table %llu succeeded",
			  (unsigned long long)info.id);
	if (len > info.size)
		violation("a mapping of %zu bytes of a %llu-byte table",
			  len, (unsigned long long)info.size);
	w->map[k].p = p;
	w->map[k].len = len;
	w->map[k].prot = prot;
	return 0;
}

/*
 * Read or write a byte of a mapping: -EFAULT when the access faults, as
 * it does once the table changed owner or was deleted (fencing).
 */
static int do_touch(struct worker *w)
{
	struct map *m = &w->map[below(w, MAPS)];
	unsigned char *c, v = (unsigned char)rnd(w);
	size_t off;

	if (!m->p)
		return -ENOENT;
	c = m->p;
	off = below(w, (unsigned int)m->len);
	if (m->prot & PROT_WRITE)
		return ets_try_write(c + off, v);
	return ets_try_read(c + off, &v);
}

static int do_handoff(struct worker *w, int fd, unsigned long cmd)
{
	struct etsmgr_handoff h = { .id = known_id(w), .data = rnd(w) };
	int ret;

	h.pidfd = cmd == ETSMGR_IOC_SET_HEIR && !below(w, 4) ? -1 :
		  sibling_pidfd(w);
	if (!below(w, 30))
		h.flags = 1;
	ret = ets_ioctl(fd, cmd, &h);
	if (!ret && h.flags)
		violation("handoff succeeded with flags 1");
	if (!ret && cmd == ETSMGR_IOC_GIVE)
		own_drop(w, h.id, -1);	/* maybe back by RECEIVE */
	if (h.pidfd >= 0)
		close(h.pidfd);
	return ret;
}

static int do_receive(struct worker *w)
{
	struct etsmgr_received r;
	struct etsmgr_info info;
	int k, ret = -EAGAIN;

	for (k = 0; k < FDS; k++) {
		if (w->fd[k] < 0)
			continue;
		while (!ets_ioctl(w->fd[k], ETSMGR_IOC_RECEIVE, &r)) {
			record(K_RECEIVED, r.id, r.generation, r.name);
			learn(w, r.id);
			/*
			 * A notice is history: the session may have given
			 * the table on (a GIVE of a known id) before reading
			 * it. Only this worker can move a table its session
			 * owns, so what INFO says now stays true.
			 */
			if (!ets_info_id(w->fd[k], r.id, &info) &&
			    info.owned_by_caller)
				own_add(w, w->fd[k], r.id);
			ret = 0;
		}
	}
	return ret;
}

static int do_adopt(struct worker *w, int fd)
{
	struct map *m = &w->map[below(w, MAPS)];
	struct etsmgr_adopt ad = { 0 };
	int ret;

	ad.addr = m->p ? (__u64)(unsigned long)m->p : rnd(w);
	ad.access = below(w, 4);
	/*
	 * An adopted table's generation goes on from the one given: give
	 * each adoption a range of its own, so that (id, generation) still
	 * names one owner.
	 */
	ad.generation = __atomic_add_fetch(&sh->adoptions, 1,
					   __ATOMIC_SEQ_CST) << 32;
	ret = ets_ioctl(fd, ETSMGR_IOC_ADOPT, &ad);
	if (!ret) {
		if (ad.access > 2)
			violation("ADOPT succeeded with access %u", ad.access);
		record(K_ADOPTED, ad.id, ad.generation, ad.name);
		learn(w, ad.id);
		own_add(w, fd, ad.id);
	}
	return ret;
}

/* A child that attaches and then dies one way or another. */
static int do_fork(struct worker *w)
{
	struct etsmgr_attach a;
	char n[ETSMGR_NAME_MAX];
	unsigned int how = below(w, 4);
	pid_t pid;
	int fd, st;

	pool_name(w, n, sizeof(n));
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = ets_open();
		if (fd >= 0 && !ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
					   ETSMGR_ACCESS_PUBLIC, 4096, &a))
			claim_attach(&a);
		if (how == 0)
			raise(SIGKILL);
		if (how == 1 && fd >= 0)
			close(fd);
		_exit(how);
	}
	return waitpid(pid, &st, 0) < 0 ? -errno : 0;
}

static int do_kill(struct worker *w)
{
	pid_t pid = sh->pid[below(w, sh->nworkers)];

	if (pid <= 0 || pid == getpid())
		return -ESRCH;
	return kill(pid, SIGKILL) ? -errno : 0;
}

static int do_nl(struct worker *w, int op)
{
	struct ets_nl_req q = { 0 };
	struct ets_nl_reply r = { 0 };
	char n[ETSMGR_NAME_MAX];
	int ret, k;

	if (w->nl.fd < 0 && ets_nl_open(&w->nl))
		return -ENOENT;
	switch (op) {
	case OP_NL_GET:
		q.cmd = ETSMGR_CMD_GET_TABLE;
		if (below(w, 2)) {
			q.id = known_id(w);
		} else {
			pool_name(w, n, sizeof(n));
			q.name = n;
		}
		break;
	case OP_NL_DUMP:
		q.cmd = ETSMGR_CMD_GET_TABLE;
		q.dump = 1;
		break;
	case OP_NL_STATS:
		q.cmd = ETSMGR_CMD_GET_STATS;
		break;
	case OP_NL_DELETE:
		q.cmd = ETSMGR_CMD_DELETE_TABLE;
		q.id = known_id(w);
		break;
	default:
		/* A drain that is aborted at once. */
		ret = ets_nl_cmd(&w->nl, ETSMGR_CMD_DRAIN_START);
		if (!ret && below(w, 2)) {
			q.cmd = ETSMGR_CMD_DRAIN_FINISH;
			ets_nl_run(&w->nl, &q, NULL);
		}
		usleep(below(w, 2000));
		ets_nl_cmd(&w->nl, ETSMGR_CMD_DRAIN_ABORT);
		return ret;
	}
	ret = ets_nl_run(&w->nl, &q, &r);
	for (k = 0; k < r.nt; k++) {
		record(K_SEEN, r.t[k].id, r.t[k].generation, r.t[k].name);
		learn(w, r.t[k].id);
	}
	ets_nl_reply_free(&r);
	if (ret == -EAGAIN || ret == -ENOBUFS || ret == -EBADMSG) {
		/* A lost reply leaves the socket out of step: start over. */
		ets_nl_close(&w->nl);
	}
	return ret;
}

static int do_bad_ioctl(struct worker *w, int fd)
{
	static const unsigned long cmds[] = {
		ETSMGR_IOC_ATTACH, ETSMGR_IOC_DELETE, ETSMGR_IOC_INFO,
		ETSMGR_IOC_ADOPT, ETSMGR_IOC_SET_HEIR, ETSMGR_IOC_GIVE,
		ETSMGR_IOC_RECEIVE, ETSMGR_IOC_RENAME,
	};
	unsigned long cmd;
	void *arg;
	int ret;

	switch (below(w, 3)) {
	case 0:		/* a known command, a bad pointer */
		cmd = cmds[below(w, ARRAY_SIZE(cmds))];
		arg = below(w, 2) ? NULL : (void *)(unsigned long)rnd(w);
		ret = ets_ioctl(fd, cmd, arg);
		if (!ret)
			violation("ioctl %#lx with a bad pointer succeeded",
				  cmd);
		return ret;
	case 1:		/* an unknown number of the etsmgr type */
		cmd = _IOC(below(w, 4), ETSMGR_IOC_MAGIC, 9 + below(w, 200),
			   below(w, 512));
		break;
	default:	/* anything */
		cmd = (unsigned long)(__u32)rnd(w);
	}
	{
		char buf[512] = { 0 };

		ret = ets_ioctl(fd, cmd, buf);
	}
	return ret;
}

/*
 * Rename a known table, or one of the pool (by name or id), to a name of
 * the pool. The attempt is logged first, by id: a worker killed right
 * after the rename must not leave an id whose names seem to differ.
 */
static int do_rename(struct worker *w, int fd)
{
	struct etsmgr_rename r;
	struct etsmgr_info info;
	char n[ETSMGR_NAME_MAX];

	memset(&r, 0, sizeof(r));
	if (below(w, 2)) {
		r.ref.id = known_id(w);
	} else {
		pool_name(w, n, sizeof(n));
		if (ets_info_name(fd, n, &info))
			return -ENOENT;
		r.ref.id = info.id;
	}
	pool_name(w, r.new_name, sizeof(r.new_name));
	if (below(w, 2))
		snprintf(r.reason, sizeof(r.reason), "fuzz %u", below(w, 100));
	record(K_RENAMED, r.ref.id, 0, r.new_name);
	return ets_ioctl(fd, ETSMGR_IOC_RENAME, &r);
}

static int pick_op(struct worker *w)
{
	int total = 0, k, r;

	for (k = 0; k < OP_MAX; k++)
		total += sh->weights[k];
	r = (int)below(w, total);
	for (k = 0; k < OP_MAX; k++) {
		r -= sh->weights[k];
		if (r < 0)
			return k;
	}
	return OP_INFO;
}

static int run_op(struct worker *w, int op)
{
	struct etsmgr_info info;
	char n[ETSMGR_NAME_MAX];
	int fd = any_fd(w), k;

	switch (op) {
	case OP_OPEN:
		k = below(w, FDS);
		if (w->fd[k] >= 0)
			return -EBUSY;
		w->fd[k] = ets_open();
		return w->fd[k] < 0 ? w->fd[k] : 0;
	case OP_CLOSE:
		k = below(w, FDS);
		if (w->fd[k] < 0)
			return -EBADF;
		close(w->fd[k]);
		w->fd[k] = -1;
		own_drop(w, 0, k);
		return 0;
	case OP_MUNMAP:
		k = below(w, MAPS);
		if (!w->map[k].p)
			return -ENOENT;
		munmap(w->map[k].p, w->map[k].len);
		w->map[k].p = NULL;
		return 0;
	case OP_TOUCH:
		return do_touch(w);
	case OP_FORK:
		return do_fork(w);
	case OP_KILL:
		return do_kill(w);
	case OP_RECEIVE:
		return do_receive(w);
	case OP_CHECK_OWNED:
		return check_owned(w);
	case OP_NL_GET:
	case OP_NL_DUMP:
	case OP_NL_STATS:
	case OP_NL_DELETE:
	case OP_DRAIN:
		return do_nl(w, op);
	}
	if (fd < 0)
		return -EBADF;
	switch (op) {
	case OP_ATTACH:
		return do_attach(w, fd);
	case OP_DELETE:
		if (below(w, 2))
			return ets_delete_id(fd, known_id(w));
		pool_name(w, n, sizeof(n));
		return ets_delete_name(fd, n);
	case OP_INFO:
		if (ets_info_id(fd, known_id(w), &info))
			return -ENOENT;
		record(K_SEEN, info.id, info.generation, info.name);
		return 0;
	case OP_MMAP:
		return do_mmap(w, fd);
	case OP_SET_HEIR:
		return do_handoff(w, fd, ETSMGR_IOC_SET_HEIR);
	case OP_GIVE:
		return do_handoff(w, fd, ETSMGR_IOC_GIVE);
	case OP_ADOPT:
		return do_adopt(w, fd);
	case OP_BAD_IOCTL:
		return do_bad_ioctl(w, fd);
	case OP_RENAME:
		return do_rename(w, fd);
	}
	return -EINVAL;
}

static void worker_main(int index, __u64 seed)
{
	struct worker w;
	int k, op;

	memset(&w, 0, sizeof(w));
	w.index = index;
	w.rng = seed | 1;
	w.nl.fd = -1;
	for (k = 0; k < FDS; k++)
		w.fd[k] = -1;
	if (sh->make_it_fail) {
		int fd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "1", 1) != 1)
			_exit(ETS_CHILD_SETUP_FAILED);
		close(fd);
	}
	/* A third of the workers are not root. */
	if (index % 3 == 2 && ets_become_nobody())
		_exit(ETS_CHILD_SETUP_FAILED);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		op = pick_op(&w);
		__atomic_fetch_add(&sh->ops[op], 1, __ATOMIC_RELAXED);
		if (!run_op(&w, op))
			__atomic_fetch_add(&sh->ok[op], 1, __ATOMIC_RELAXED);
	}
}

static pid_t spawn(int index, __u64 seed)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		worker_main(index, seed);
		_exit(0);
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

/* ------------------------------------------------------------------ */
/* Invariants                                                          */
/* ------------------------------------------------------------------ */

/*
 * A snapshot of the registry that no change raced with: stats, dump,
 * stats with the same event count. 1 if checked, 0 if it raced, -1 on a
 * violation (logged).
 */
static int check_snapshot(struct __test_metadata *_metadata,
			  struct ets_nl *nl)
{
	struct ets_nl_reply s1, s2, d;
	__u64 held = 0, bytes = 0;
	int ret = 0, k, i;

	if (ets_nl_stats(nl, &s1))
		return 0;
	if (ets_nl_dump(nl, &d)) {
		ets_nl_reply_free(&s1);
		ets_nl_reply_free(&d);
		return 0;
	}
	if (ets_nl_stats(nl, &s2))
		goto out;
	if (d.intr || s1.stats[ETSMGR_A_STATS_EVENTS] !=
		      s2.stats[ETSMGR_A_STATS_EVENTS] ||
	    memcmp(&s1.stats[ETSMGR_A_STATS_TABLES],
		   &s2.stats[ETSMGR_A_STATS_TABLES], 3 * sizeof(__u64)))
		goto out;	/* raced with a change */
	ret = 1;
	for (k = 0; k < d.nt; k++) {
		const struct ets_nl_table *t = &d.t[k];

		held += t->state == ETSMGR_STATE_HELD;
		bytes += t->size;
		if ((t->state == ETSMGR_STATE_OWNED) != (t->owner_pid != 0)) {
			TH_LOG("table %llu %s: state %u owner pid %u",
			       (unsigned long long)t->id, t->name, t->state,
			       t->owner_pid);
			ret = -1;
		}
		for (i = 0; i < k; i++) {
			/* Names are per uid: (uid, name) is unique. */
			if (d.t[i].id == t->id ||
			    (d.t[i].uid == t->uid &&
			     !strcmp(d.t[i].name, t->name))) {
				TH_LOG("table %llu %s twice in the dump",
				       (unsigned long long)t->id, t->name);
				ret = -1;
			}
		}
	}
	if ((__u64)d.nt != s1.stats[ETSMGR_A_STATS_TABLES] ||
	    held != s1.stats[ETSMGR_A_STATS_HELD] ||
	    bytes != s1.stats[ETSMGR_A_STATS_BYTES]) {
		TH_LOG("dump: %d tables %llu held %llu bytes; stats: %llu tables %llu held %llu bytes",
		       d.nt, (unsigned long long)held,
		       (unsigned long long)bytes,
		       (unsigned long long)s1.stats[ETSMGR_A_STATS_TABLES],
		       (unsigned long long)s1.stats[ETSMGR_A_STATS_HELD],
		       (unsigned long long)s1.stats[ETSMGR_A_STATS_BYTES]);
		ret = -1;
	}
out:
	ets_nl_reply_free(&s1);
	ets_nl_reply_free(&s2);
	ets_nl_reply_free(&d);
	return ret;
}

static int cmp_claim(const void *x, const void *y)
{
	const struct claim *a = x, *b = y;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (a->generation != b->generation)
		return a->generation < b->generation ? -1 : 1;
	return a->kind - b->kind;
}

/* Ids, names and owners of the whole run: 0 or the number of problems. */
static int check_claims(struct __test_metadata *_metadata)
{
	unsigned long n = sh->nlog < LOG_MAX ? sh->nlog : LOG_MAX, k;
	struct claim *c = malloc(n * sizeof(*c) + 1);
	int bad = 0, renamed = 0;

	if (!c)
		return 1;
	memcpy(c, sh->log, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_claim);
	for (k = 1; k < n && bad < 10; k++) {
		const struct claim *p = &c[k - 1], *q = &c[k];
		unsigned long j;

		/* At the first claims of an id: was it ever renamed? */
		if (k == 1 || p->id != q->id) {
			renamed = 0;
			for (j = p->id == q->id ? k - 1 : k;
			     j < n && c[j].id == q->id; j++)
				renamed |= c[j].kind == K_RENAMED;
		}
		if (!p->kind || !q->kind || p->id != q->id)
			continue;
		if (!renamed && strcmp(p->name, q->name)) {
			TH_LOG("id %llu named %s and %s",
			       (unsigned long long)q->id, p->name, q->name);
			bad++;
		}
		if (p->kind == K_CREATED && q->kind == K_CREATED) {
			TH_LOG("id %llu created twice (pids %d, %d)",
			       (unsigned long long)q->id, p->pid, q->pid);
			bad++;
		}
		if (p->generation == q->generation && p->pid != q->pid &&
		    p->kind <= K_RECEIVED && q->kind <= K_RECEIVED) {
			TH_LOG("id %llu generation %llu owned by pids %d and %d",
			       (unsigned long long)q->id,
			       (unsigned long long)q->generation, p->pid,
			       q->pid);
			bad++;
		}
	}
	free(c);
	return bad;
}

/* Tables of this run, from a dump; the caller frees *out. */
static int our_tables(struct ets_nl *nl, struct ets_nl_reply *d)
{
	size_t len = strlen(sh->prefix);
	int k, n = 0, ret = ets_nl_dump(nl, d);

	if (ret)
		return ret;
	for (k = 0; k < d->nt; k++)
		if (!strncmp(d->t[k].name, sh->prefix, len) &&
		    d->t[k].name[len] == '.')
			d->t[n++] = d->t[k];
	d->nt = n;
	return 0;
}

/* A /proc/meminfo line in MiB, or -1. */
static long long meminfo_mib(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	long long kb = -1;
	char line[256];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			kb = atoll(line + strlen(key));
	fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

static long fuzz_seconds(void)
{
	const char *s = getenv("ETSMGR_FUZZ_SECONDS");

	if (s && *s)
		return strtol(s, NULL, 10);
	/* A kernel with fault injection is the debug kernel: longer. */
	return access("/proc/thread-self/fail-nth", F_OK) ? 25 : 120;
}

static __u64 fuzz_seed(void)
{
	const char *s = getenv("ETSMGR_FUZZ_SEED");
	struct timespec ts;

	if (s && *s)
		return strtoull(s, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000003ULL ^ (__u64)ts.tv_nsec ^ getpid();
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fuzz(struct __test_metadata *_metadata, const char *test,
		 const int *weights, int make_it_fail)
{
	struct ets_counters base, end;
	struct ets_nl_reply d = { 0 };
	unsigned long total = 0, respawned = 0;
	int snapshots = 0, raced = 0, k, st, fd, held;
	long long avail, min_avail = LLONG_MAX;
	const char *w_env = getenv("ETSMGR_FUZZ_WORKERS");
	long seconds = fuzz_seconds();
	__u64 seed = fuzz_seed();
	double deadline, next_check;
	struct ets_nl nl;
	pid_t pid;

	ASSERT_EQ(0, ets_counters_read(&base));
	ASSERT_EQ(0, ets_nl_open(&nl));
	sh = ets_shared_alloc(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	snprintf(sh->prefix, sizeof(sh->prefix), "fz%d", (int)getpid());
	sh->nworkers = w_env ? atoi(w_env) : 6;
	if (sh->nworkers < 2 || sh->nworkers > MAX_WORKERS)
		sh->nworkers = 6;
	memcpy(sh->weights, weights, sizeof(sh->weights));
	sh->make_it_fail = make_it_fail;
	TH_LOG("%s: seed %#llx, %d workers, %ld s (ETSMGR_FUZZ_SEED, ETSMGR_FUZZ_WORKERS, ETSMGR_FUZZ_SECONDS)",
	       test, (unsigned long long)seed, sh->nworkers, seconds);
	/* Memory pressure may call the OOM killer: not on us. */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "-1000", 5) < 0)
			TH_LOG("oom_score_adj not set");
		close(fd);
	}

	for (k = 0; k < sh->nworkers; k++)
		sh->pid[k] = spawn(k, seed ^ ((__u64)k << 40));
	deadline = now_s() + seconds;
	next_check = now_s() + 0.5;
	while (now_s() < deadline && !sh->violations) {
		pid = waitpid(-1, &st, WNOHANG);
		if (pid > 0) {
			for (k = 0; k < sh->nworkers; k++) {
				if (sh->pid[k] != pid)
					continue;
				/* (Its setup may fail with make_it_fail.) */
				if (WIFEXITED(st) && !make_it_fail)
					TH_LOG("worker %d exited with %d", k,
					       WEXITSTATUS(st));
				respawned++;
				sh->pid[k] = spawn(k, seed ^ ((__u64)k << 40) ^
						   (respawned << 8));
			}
			continue;
		}
		usleep(20000);
		if (now_s() < next_check)
			continue;
		next_check = now_s() + 0.5;
		avail = meminfo_mib("MemAvailable:");
		if (avail >= 0 && avail < min_avail)
			min_avail = avail;
		k = check_snapshot(_metadata, &nl);
		if (k < 0) {
			ETS_TEST_FAIL();
			break;
		}
		snapshots += k;
		raced += !k;
	}

	/* Every worker (and its children) dies; the registry settles. */
	for (k = 0; k < sh->nworkers; k++) {
		pid = sh->pid[k];
		sh->pid[k] = 0;
		if (pid > 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	/* A worker killed inside a drain leaves the manager draining. */
	ets_nl_cmd(&nl, ETSMGR_CMD_DRAIN_ABORT);
	usleep(200000);

	for (k = 0; k < OP_MAX; k++) {
		if (!sh->ops[k])
			continue;
		total += sh->ops[k];
		TH_LOG("  %-10s %8lu calls %8lu ok", op_names[k], sh->ops[k],
		       sh->ok[k]);
	}
	TH_LOG("%lu operations, %lu workers restarted, %lu claims logged, %d consistent snapshots checked (%d raced), MemAvailable down to %lld MiB",
	       total, respawned, sh->nlog, snapshots, raced, min_avail);
	if (sh->violations) {
		TH_LOG("%lu violations, the first: %s", sh->violations,
		       sh->violation);
		ETS_TEST_FAIL();
	}
	EXPECT_LT(0UL, total);
	EXPECT_EQ(0, check_claims(_metadata));

	/* With every worker dead, nothing is owned, every table is held. */
	for (k = 0; k < 20 && check_snapshot(_metadata, &nl) == 0; k++)
		usleep(100000);
	EXPECT_EQ(1, check_snapshot(_metadata, &nl));
	ASSERT_EQ(0, our_tables(&nl, &d));
	for (k = 0, held = 0; k < d.nt; k++)
		held += d.t[k].state == ETSMGR_STATE_HELD;
	EXPECT_EQ(d.nt, held);
	ASSERT_EQ(0, ets_counters_read(&end));
	EXPECT_EQ(base.sessions, end.sessions);
	for (k = 0; k < d.nt; k++) {
		struct ets_nl_req q = { .cmd = ETSMGR_CMD_DELETE_TABLE,
					.id = d.t[k].id };

		EXPECT_EQ(0, ets_nl_run(&nl, &q, NULL));
	}
	TH_LOG("%d tables left at the end, all held: deleted", d.nt);
	ets_nl_reply_free(&d);

	/* Back to the baseline. */
	ASSERT_EQ(0, ets_counters_read(&end));
	EXPECT_EQ(base.sessions, end.sessions);
	EXPECT_EQ(base.tables, end.tables);
	EXPECT_EQ(base.held, end.held);
	EXPECT_EQ(base.bytes, end.bytes);
	EXPECT_EQ(1, check_snapshot(_metadata, &nl));
	ets_nl_close(&nl);
	munmap(sh, sizeof(*sh));
}

ETS_FIXTURE(fuzz)

TEST_F_TIMEOUT(fuzz, random_ops_keep_invariants, 3600)
{
	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	fuzz(_metadata, "random_ops_keep_invariants", weights_all, 0);
}

#define FAILSLAB	"/sys/kernel/debug/failslab/"

static int knob(const char *name, const char *value)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), FAILSLAB "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return ret ? 0 : -1;
}

/*
 * The workers' slab allocations fail at random (failslab, 1 in 50, only
 * for tasks with make-it-fail): every failure must leave the module as
 * consistent as a success would.
 */
TEST_F_TIMEOUT(fuzz, random_ops_with_failing_allocations, 3600)
{
	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	if (access(FAILSLAB "probability", W_OK) ||
	    access("/proc/self/make-it-fail", W_OK))
		SKIP(return, "no failslab (CONFIG_FAILSLAB, the debug kernel)");
	ASSERT_EQ(0, knob("task-filter", "Y"));
	ASSERT_EQ(0, knob("ignore-gfp-wait", "N"));
	ASSERT_EQ(0, knob("verbose", "0"));
	ASSERT_EQ(0, knob("interval", "1"));
	ASSERT_EQ(0, knob("times", "-1"));
	ASSERT_EQ(0, knob("space", "0"));
	ASSERT_EQ(0, knob("probability", "2"));
	fuzz(_metadata, "random_ops_with_failing_allocations", weights_all, 1);
	EXPECT_EQ(0, knob("probability", "0"));
	EXPECT_EQ(0, knob("task-filter", "N"));
}

/* A program on $PATH, or NULL. */
static int on_path(const char *prog)
{
	char buf[PATH_MAX];
	const char *p = getenv("PATH"), *colon;

	for (; p && *p; p = colon ? colon + 1 : NULL) {
		colon = strchr(p, ':');
		snprintf(buf, sizeof(buf), "%.*s/%s",
			 colon ? (int)(colon - p) : (int)strlen(p), p, prog);
		if (!access(buf, X_OK))
			return 1;
		if (!colon)
			break;
	}
	return 0;
}

TEST_F_TIMEOUT(fuzz, attach_kill_reclaim_give_under_memory_pressure, 3600)
{
	char secs[32], bytes[32];
	long long avail;
	pid_t stress;
	int st;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	if (!on_path("stress-ng"))
		SKIP(return, "no stress-ng (scripts/deps stress-ng)");
	snprintf(secs, sizeof(secs), "%lds", fuzz_seconds() + 30);
	/*
	 * Two workers that fill 60 % of what is available between them
	 * (--vm-bytes is their total) and keep it (--vm-hang 0): more gets
	 * them OOM-killed as they populate.
	 */
	avail = meminfo_mib("MemAvailable:");
	ASSERT_LT(0, avail);
	snprintf(bytes, sizeof(bytes), "%lldm", avail * 60 / 100);
	stress = fork();
	ASSERT_LE(0, stress);
	if (stress == 0) {
		setpgid(0, 0);
		ets_close_fds_except(-1, -1);
		execlp("stress-ng", "stress-ng", "--vm", "2", "--vm-bytes",
		       bytes, "--vm-hang", "0", "--vm-populate", "--timeout", secs,
		       "--quiet", (char *)NULL);
		_exit(127);
	}
	sleep(3);
	ASSERT_EQ(0, waitpid(stress, &st, WNOHANG));	/* it runs */
	TH_LOG("stress-ng --vm 2 --vm-bytes %s --vm-hang 0 --vm-populate, of %lld MiB available",
	       bytes, avail);
	fuzz(_metadata, "attach_kill_reclaim_give_under_memory_pressure",
	     weights_pressure, 0);
	kill(-stress, SIGKILL);
	kill(stress, SIGKILL);
	waitpid(stress, &st, 0);
}

TEST_HARNESS_MAIN
