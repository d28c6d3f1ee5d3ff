// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: every allocation failure is clean. Each operation
 * (every ioctl, mmap, open, close and every generic netlink command) is
 * run with /proc/thread-self/fail-nth set to 1, 2, 3... so that its n-th
 * fault-injection check fails, until it runs through without reaching
 * the n-th check. Every injected failure must return a plain errno and
 * change nothing: the module's counters are as before, no table appeared
 * or went, the table has the owner it had. An operation that succeeds
 * although a check failed (the failure was absorbed: a kmemleak object,
 * an event nobody gets) must have done all of its work. After each run
 * the fixture is torn down and the counters must be back at the baseline:
 * no leaked table or session.
 *
 * fail-nth counts every failslab and fail_page_alloc check the thread
 * makes, so an operation's points include the allocations of kmemleak,
 * the syscall and the socket layer, not only the module's own. Each
 * sweep logs how many points the operation has and how many of them
 * failed it or were absorbed. A netlink command whose ACK could not be
 * allocated was done all the same, and the socket reports ENOBUFS: then
 * the command's outcome must be whole.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION and failslab (the debug
 * kernel of make check-debug); skips elsewhere.
 */
#include "etsmgr_util.h"
#include "etsmgr_nl.h"

#include <sys/syscall.h>

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_POINTS	3000
#define DUMP_TABLES	40	/* enough for a dump of several parts */

FIXTURE(failnth) {
	struct ets_ctx c;
	int nth_fd;
};

/* A knob that cannot be set only weakens the sweep: best effort. */
static void write_knob(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return;
	len = write(fd, value, strlen(value));
	(void)len;
	close(fd);
}

FIXTURE_SETUP(failnth)
{
	ets_ctx_setup(_metadata, &self->c);
	self->nth_fd = -1;
	if (!ets_device_present() || geteuid() || !ets_stats_available())
		return;
	/*
	 * Sleeping allocations must be candidates too (ignore-gfp-wait is Y
	 * by default), order-0 pages as well, and quietly: every failure
	 * would print a stack trace.
	 */
	write_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	write_knob("/sys/kernel/debug/failslab/verbose", "0");
	write_knob("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_knob("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	write_knob("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	write_knob("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	/* Opened once: opening it would itself pass through checks. */
	self->nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
}

FIXTURE_TEARDOWN(failnth)
{
	if (self->nth_fd >= 0)
		close(self->nth_fd);
	ets_ctx_teardown(_metadata, &self->c);
}

static int set_fail_nth(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

static unsigned int get_fail_nth(int fd)
{
	char buf[16] = "";
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);

	return len > 0 ? (unsigned int)strtoul(buf, NULL, 10) : 0;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int handoff(int fd, unsigned long cmd, __u64 id, int pidfd)
{
	struct etsmgr_handoff h = { .id = id, .pidfd = pidfd, .data = 7 };

	return ets_ioctl(fd, cmd, &h);
}

/* The state one run of an operation works on. */
struct fx {
	const char *name;
	int a, b, keep, pidfd;		/* sessions and a pidfd, or -1 */
	struct etsmgr_attach at;
	struct etsmgr_received rcv;
	void *map;
	__u64 extra[DUMP_TABLES];
	int nextra;
	struct ets_nl nl;
	struct ets_nl_reply reply;
	int out;			/* what run() left for the checks */
};

/*
 * One operation: setup() and teardown() run without injection, run()
 * with it. failed() checks the state after an injected failure, done()
 * after a success; both return NULL or what is wrong.
 */
struct op {
	const char *what;
	int min_points;		/* it allocates: a sweep that sees fewer fails */
	int (*setup)(struct fx *f);
	int (*run)(struct fx *f);
	const char *(*failed)(struct fx *f);
	const char *(*done)(struct fx *f);
	void (*teardown)(struct fx *f);
};

static int fx_create(struct fx *f)
{
	f->a = ets_open();
	if (f->a < 0)
		return f->a;
	return ets_create(f->a, f->name, ETSMGR_ACCESS_PROTECTED, 65536,
			  &f->at);
}

static int fx_keep(struct fx *f)
{
	f->keep = ets_open();
	return f->keep < 0 ? f->keep : 0;
}

/* Close everything; the tables of f->name and f->extra go as well. */
static void fx_teardown(struct fx *f)
{
	int fd = ets_open(), k;

	if (fd >= 0) {
		if (f->at.id)
			ets_delete_id(fd, f->at.id);
		for (k = 0; k < f->nextra; k++)
			ets_delete_id(fd, f->extra[k]);
		close(fd);
	}
	if (f->map)
		munmap(f->map, 65536);
	if (f->a >= 0)
		close(f->a);
	if (f->b >= 0)
		close(f->b);
	if (f->keep >= 0)
		close(f->keep);
	if (f->pidfd >= 0)
		close(f->pidfd);
	ets_nl_close(&f->nl);
	ets_nl_reply_free(&f->reply);
}

/* The table's state seen from f->keep (or any session): 0 if gone. */
static __u32 fx_state(struct fx *f, __u64 id, int *owned_by, int fd)
{
	struct etsmgr_info info;
	int tmp = -1;
	__u32 state;

	if (fd < 0)
		fd = tmp = ets_open();
	if (ets_info_id(fd, id, &info))
		state = 0;
	else
		state = info.state;
	if (owned_by)
		*owned_by = info.owned_by_caller;
	if (tmp >= 0)
		close(tmp);
	(void)f;
	return state;
}

/* --- open, attach, info, mmap, delete, close ------------------------ */

static int setup_none(struct fx *f)
{
	(void)f;
	return 0;
}

static int run_open(struct fx *f)
{
	f->a = ets_open();
	return f->a < 0 ? f->a : 0;
}

static int setup_session(struct fx *f)
{
	f->a = ets_open();
	return f->a < 0 ? f->a : 0;
}

static int run_create(struct fx *f)
{
	return ets_create(f->a, f->name, ETSMGR_ACCESS_PROTECTED, 65536,
			  &f->at);
}

static const char *failed_create(struct fx *f)
{
	struct etsmgr_info info;

	return ets_info_name(f->a, f->name, &info) == -ENOENT ? NULL :
	       "the name exists after a failed create";
}

static const char *done_create(struct fx *f)
{
	int mine;

	if (f->at.result != ETSMGR_RESULT_CREATED)
		return "result is not CREATED";
	if (fx_state(f, f->at.id, &mine, f->a) != ETSMGR_STATE_OWNED || !mine)
		return "the creator does not own the table";
	return NULL;
}

static int setup_held(struct fx *f)
{
	int ret = ets_make_held(f->name, ETSMGR_ACCESS_PRIVATE, 65536, 3,
				&f->at);

	if (ret)
		return ret;
	return setup_session(f);
}

static int run_reclaim(struct fx *f)
{
	struct etsmgr_attach a;
	int ret = ets_reclaim(f->a, f->name, &a);

	if (!ret && a.id != f->at.id)
		return -EUCLEAN;
	return ret;
}

static const char *failed_reclaim(struct fx *f)
{
	return fx_state(f, f->at.id, NULL, f->a) == ETSMGR_STATE_HELD ? NULL :
	       "the table is no longer held after a failed reclaim";
}

static const char *done_reclaim(struct fx *f)
{
	int mine;

	if (fx_state(f, f->at.id, &mine, f->a) != ETSMGR_STATE_OWNED || !mine)
		return "the reclaimer does not own the table";
	return NULL;
}

static int run_info(struct fx *f)
{
	struct etsmgr_info info;
	int ret = ets_info_id(f->a, f->at.id, &info);

	if (!ret && (info.id != f->at.id || strcmp(info.name, f->name)))
		return -EUCLEAN;
	return ret;
}

static int run_mmap(struct fx *f)
{
	int err;

	f->map = ets_map(f->a, f->at.mmap_offset, 65536,
			 PROT_READ | PROT_WRITE, &err);
	if (!f->map)
		return err;
	/* The first write faults a shmem page in: more allocations. */
	((volatile char *)f->map)[0] = 1;
	((volatile char *)f->map)[65535] = 2;
	return 0;
}

static int run_delete(struct fx *f)
{
	return ets_delete_id(f->a, f->at.id);
}

static const char *failed_delete(struct fx *f)
{
	return fx_state(f, f->at.id, NULL, f->a) == ETSMGR_STATE_OWNED ? NULL :
	       "the table changed after a failed delete";
}

static const char *done_delete(struct fx *f)
{
	return fx_state(f, f->at.id, NULL, f->a) == 0 ? NULL :
	       "the table is still there after its delete";
}

static int setup_owner_and_keep(struct fx *f)
{
	int ret = fx_create(f);

	return ret ? ret : fx_keep(f);
}

static int run_close(struct fx *f)
{
	int ret = close(f->a) ? -errno : 0;

	f->a = -1;
	return ret;
}

static const char *done_close(struct fx *f)
{
	return fx_state(f, f->at.id, NULL, f->keep) == ETSMGR_STATE_HELD ?
	       NULL : "the table is not held after its owner's close";
}

/* An heir: session b of this process gets the table on a's close. */
static int setup_heir(struct fx *f)
{
	int ret = fx_create(f);

	if (ret)
		return ret;
	f->b = ets_open();
	if (f->b < 0)
		return f->b;
	f->pidfd = pidfd_open(getpid());
	if (f->pidfd < 0)
		return -errno;
	return handoff(f->a, ETSMGR_IOC_SET_HEIR, f->at.id, f->pidfd);
}

/* Inherited with a notice, or held without one if the notice failed. */
static const char *done_close_heir(struct fx *f)
{
	struct etsmgr_received r;
	int mine, got;
	__u32 state = fx_state(f, f->at.id, &mine, f->b);

	got = ets_ioctl(f->b, ETSMGR_IOC_RECEIVE, &r) == 0;
	if (state == ETSMGR_STATE_OWNED && mine && got && r.id == f->at.id &&
	    r.how == ETSMGR_RECEIVED_HEIR)
		return NULL;
	if (state == ETSMGR_STATE_HELD && !got)
		return NULL;
	return "neither inherited with a notice nor held without one";
}

/* --- adopt, set_heir, give, receive --------------------------------- */

/*
 * A table the caller maps as its owner but that is no longer registered:
 * a drain let go of it (and was called off), as before a reload. A
 * deleted table could not be adopted: its mapping holds no grant.
 */
static int setup_adopt(struct fx *f)
{
	int ret = fx_create(f), err;

	if (ret)
		return ret;
	f->map = ets_map(f->a, f->at.mmap_offset, 65536,
			 PROT_READ | PROT_WRITE, &err);
	if (!f->map)
		return err;
	ets_fill(f->map, 65536, 5);
	close(f->a);
	f->a = -1;
	ret = ets_nl_open(&f->nl);
	if (!ret)
		ret = ets_nl_cmd(&f->nl, ETSMGR_CMD_DRAIN_START);
	if (!ret)
		ret = ets_nl_cmd(&f->nl, ETSMGR_CMD_DRAIN_FINISH);
	ets_nl_cmd(&f->nl, ETSMGR_CMD_DRAIN_ABORT);
	if (ret)
		return ret;
	f->a = ets_open();
	return f->a < 0 ? f->a : 0;
}

static int run_adopt(struct fx *f)
{
	struct etsmgr_adopt ad = {
		.addr = (__u64)(unsigned long)f->map,
		.access = ETSMGR_ACCESS_PROTECTED,
		.generation = f->at.generation,
	};
	int ret = ets_ioctl(f->a, ETSMGR_IOC_ADOPT, &ad);

	if (!ret && (ad.id != f->at.id || strcmp(ad.name, f->name)))
		return -EUCLEAN;
	return ret;
}

static const char *failed_adopt(struct fx *f)
{
	return fx_state(f, f->at.id, NULL, f->a) == 0 ? NULL :
	       "the table is registered after a failed adopt";
}

static const char *done_adopt(struct fx *f)
{
	int mine;

	if (fx_state(f, f->at.id, &mine, f->a) != ETSMGR_STATE_OWNED || !mine)
		return "the adopter does not own the table";
	if (ets_check(f->map, 65536, 5) >= 0)
		return "the adopted table's bytes changed";
	return NULL;
}

static int setup_set_heir(struct fx *f)
{
	int ret = fx_create(f);

	if (ret)
		return ret;
	f->pidfd = pidfd_open(getpid());
	return f->pidfd < 0 ? -errno : 0;
}

static int run_set_heir(struct fx *f)
{
	return handoff(f->a, ETSMGR_IOC_SET_HEIR, f->at.id, f->pidfd);
}

static int setup_give(struct fx *f)
{
	int ret = setup_set_heir(f);

	if (ret)
		return ret;
	/* The newest session of this process receives. */
	f->b = ets_open();
	return f->b < 0 ? f->b : 0;
}

static int run_give(struct fx *f)
{
	return handoff(f->a, ETSMGR_IOC_GIVE, f->at.id, f->pidfd);
}

static const char *failed_give(struct fx *f)
{
	struct etsmgr_received r;
	int mine;

	if (fx_state(f, f->at.id, &mine, f->a) != ETSMGR_STATE_OWNED || !mine)
		return "the giver lost the table in a failed give";
	if (ets_ioctl(f->b, ETSMGR_IOC_RECEIVE, &r) != -EAGAIN)
		return "a notice came with a failed give";
	return NULL;
}

static const char *done_give(struct fx *f)
{
	struct etsmgr_received r;
	int mine;

	if (fx_state(f, f->at.id, &mine, f->b) != ETSMGR_STATE_OWNED || !mine)
		return "the receiver does not own the given table";
	if (ets_ioctl(f->b, ETSMGR_IOC_RECEIVE, &r) || r.id != f->at.id)
		return "no notice for the given table";
	return NULL;
}

static int setup_receive(struct fx *f)
{
	int ret = setup_give(f);

	return ret ? ret : run_give(f);
}

static int run_receive(struct fx *f)
{
	return ets_ioctl(f->b, ETSMGR_IOC_RECEIVE, &f->rcv);
}

static const char *failed_receive(struct fx *f)
{
	return ets_ioctl(f->b, ETSMGR_IOC_RECEIVE, &f->rcv) ?
	       "the notice was lost by a failed receive" : NULL;
}

static const char *done_receive(struct fx *f)
{
	return f->rcv.id == f->at.id && f->rcv.how == ETSMGR_RECEIVED_GIVEN ?
	       NULL : "the notice is not the given table's";
}

/* --- generic netlink ------------------------------------------------ */

static int setup_nl(struct fx *f)
{
	return ets_nl_open(&f->nl);
}

static int setup_nl_table(struct fx *f)
{
	int ret = fx_create(f);

	return ret ? ret : setup_nl(f);
}

static int run_nl_get_id(struct fx *f)
{
	struct ets_nl_req q = { .cmd = ETSMGR_CMD_GET_TABLE, .id = f->at.id };

	ets_nl_reply_free(&f->reply);
	return ets_nl_run(&f->nl, &q, &f->reply);
}

static int run_nl_get_name(struct fx *f)
{
	struct ets_nl_req q = { .cmd = ETSMGR_CMD_GET_TABLE, .name = f->name };

	ets_nl_reply_free(&f->reply);
	return ets_nl_run(&f->nl, &q, &f->reply);
}

static const char *done_nl_get(struct fx *f)
{
	if (f->reply.nt != 1 || f->reply.t[0].id != f->at.id ||
	    strcmp(f->reply.t[0].name, f->name) ||
	    f->reply.t[0].state != ETSMGR_STATE_OWNED)
		return "GET_TABLE's reply is not the table";
	return NULL;
}

static int setup_nl_many(struct fx *f)
{
	struct etsmgr_attach a;
	char n[ETSMGR_NAME_MAX];
	int ret = setup_nl_table(f), k;

	for (k = 0; !ret && k < DUMP_TABLES; k++) {
		snprintf(n, sizeof(n), "%.40s.%d", f->name, k);
		ret = ets_create(f->a, n, ETSMGR_ACCESS_PRIVATE, 4096, &a);
		if (!ret)
			f->extra[f->nextra++] = a.id;
	}
	return ret;
}

static int run_nl_dump(struct fx *f)
{
	ets_nl_reply_free(&f->reply);
	return ets_nl_dump(&f->nl, &f->reply);
}

static const char *done_nl_dump(struct fx *f)
{
	int k, i, found = 0;

	for (k = 0; k < f->nextra; k++)
		for (i = 0; i < f->reply.nt; i++)
			found += f->reply.t[i].id == f->extra[k];
	return found == f->nextra ? NULL : "the dump misses tables";
}

static int run_nl_stats(struct fx *f)
{
	ets_nl_reply_free(&f->reply);
	return ets_nl_stats(&f->nl, &f->reply);
}

static const char *done_nl_stats(struct fx *f)
{
	long long tables = ets_stat("tables");

	if (f->reply.nstats != 1 ||
	    (long long)f->reply.stats[ETSMGR_A_STATS_TABLES] != tables)
		return "GET_STATS disagrees with debugfs";
	return NULL;
}

static int run_nl_delete(struct fx *f)
{
	struct ets_nl_req q = { .cmd = ETSMGR_CMD_DELETE_TABLE,
				.id = f->at.id };

	return ets_nl_run(&f->nl, &q, NULL);
}

static __u64 nl_state(struct fx *f)
{
	struct ets_nl_reply r;
	__u64 state = ~0ULL;

	if (!ets_nl_stats(&f->nl, &r) && r.nstats == 1)
		state = r.stats[ETSMGR_A_STATS_STATE];
	ets_nl_reply_free(&r);
	return state;
}

static int run_nl_drain_start(struct fx *f)
{
	return ets_nl_cmd(&f->nl, ETSMGR_CMD_DRAIN_START);
}

static const char *failed_running(struct fx *f)
{
	return nl_state(f) == ETSMGR_MANAGER_RUNNING ? NULL :
	       "the manager is not running after a failed command";
}

static const char *done_draining(struct fx *f)
{
	return nl_state(f) == ETSMGR_MANAGER_DRAINING ? NULL :
	       "the manager is not draining after DRAIN_START";
}

static int setup_nl_draining(struct fx *f)
{
	int ret = setup_nl(f);

	return ret ? ret : ets_nl_cmd(&f->nl, ETSMGR_CMD_DRAIN_START);
}

static int run_nl_drain_finish(struct fx *f)
{
	struct ets_nl_req q = { .cmd = ETSMGR_CMD_DRAIN_FINISH };

	return ets_nl_run(&f->nl, &q, NULL);
}

static const char *failed_draining(struct fx *f)
{
	return nl_state(f) == ETSMGR_MANAGER_DRAINING ? NULL :
	       "the manager is not draining after a failed command";
}

static const char *done_drained(struct fx *f)
{
	return nl_state(f) == ETSMGR_MANAGER_DRAINED ? NULL :
	       "the manager is not drained after DRAIN_FINISH";
}

static int run_nl_drain_abort(struct fx *f)
{
	return ets_nl_cmd(&f->nl, ETSMGR_CMD_DRAIN_ABORT);
}

static const char *done_running(struct fx *f)
{
	return failed_running(f);
}

static void teardown_nl_drain(struct fx *f)
{
	ets_nl_cmd(&f->nl, ETSMGR_CMD_DRAIN_ABORT);
	fx_teardown(f);
}

/* --- the sweep ------------------------------------------------------ */

static int errno_ok(int ret)
{
	/*
	 * ENOMEM from the module or the allocators, ENOSPC from shmem's
	 * inode allocation, ENOBUFS from the socket layer, EAGAIN for a
	 * netlink reply the kernel could not allocate (the receive timed
	 * out), EFAULT for a user page that could not be faulted in.
	 */
	return ret == -ENOMEM || ret == -ENOSPC || ret == -ENOBUFS ||
	       ret == -EAGAIN || ret == -EFAULT || ret == -EINTR;
}

static int same(const struct ets_counters *x, const struct ets_counters *y)
{
	return x->sessions == y->sessions && x->tables == y->tables &&
	       x->held == y->held && x->bytes == y->bytes;
}

#define CFMT "sessions %lld tables %lld held %lld bytes %lld"
#define CARGS(c) (c).sessions, (c).tables, (c).held, (c).bytes

/*
 * Sweep @op: run n = 1, 2, ... with the n-th check failing. Returns the
 * number of checks the operation makes, or -1 (the test failed).
 */
static int sweep(struct __test_metadata *_metadata, int nth_fd,
		 const char *name, const struct op *op)
{
	struct ets_counters base, mid, now;
	unsigned int n, failed = 0, absorbed = 0, lost = 0;
	const char *why;
	int ret, hit;
	struct fx f;

	if (ets_counters_read(&base))
		return -1;
	for (n = 1; n <= MAX_POINTS; n++) {
		memset(&f, 0, sizeof(f));
		f.name = name;
		f.a = f.b = f.keep = f.pidfd = f.nl.fd = -1;
		ret = op->setup(&f);
		if (ret) {
			TH_LOG("%s: setup failed: %s", op->what,
			       strerror(-ret));
			fx_teardown(&f);
			return -1;
		}
		if (ets_counters_read(&mid))
			return -1;

		set_fail_nth(nth_fd, n);
		ret = op->run(&f);
		hit = get_fail_nth(nth_fd) == 0;
		set_fail_nth(nth_fd, 0);

		why = NULL;
		if (ret && !hit) {
			why = "failed with no injected failure";
		} else if (ret && !errno_ok(ret)) {
			why = "unexpected errno";
		} else if (ret == -ENOBUFS && op->done && !op->done(&f)) {
			/*
			 * The command was done but its netlink ACK could not
			 * be allocated: the socket reports ENOBUFS. The
			 * outcome stands either way; it must be whole.
			 */
			lost++;
		} else if (ret) {
			failed++;
			if (ets_counters_read(&now))
				return -1;
			if (!same(&mid, &now)) {
				TH_LOG("%s: point %u: before " CFMT " after " CFMT,
				       op->what, n, CARGS(mid), CARGS(now));
				why = "partial state left";
			} else if (op->failed) {
				why = op->failed(&f);
			}
		} else {
			absorbed += hit;
			if (op->done)
				why = op->done(&f);
		}
		op->teardown(&f);
		if (why) {
			TH_LOG("%s: point %u: %s (%s)", op->what, n, why,
			       ret ? strerror(-ret) : "success");
			ETS_TEST_FAIL();
			return -1;
		}
		if (ets_counters_read(&now))
			return -1;
		if (!same(&base, &now)) {
			TH_LOG("%s: point %u (%s): leaked: before " CFMT
			       " after teardown " CFMT, op->what, n,
			       ret ? strerror(-ret) : "success",
			       CARGS(base), CARGS(now));
			ETS_TEST_FAIL();
			return -1;
		}
		if (!ret && !hit) {
			TH_LOG("%s: %u injection points: %u failed it cleanly, %u absorbed, %u lost the reply of a done command",
			       op->what, n - 1, failed, absorbed, lost);
			if ((int)(n - 1) < op->min_points) {
				TH_LOG("%s: expected at least %d points",
				       op->what, op->min_points);
				ETS_TEST_FAIL();
				return -1;
			}
			return (int)n - 1;
		}
	}
	TH_LOG("%s: still failing after %u points", op->what, MAX_POINTS);
	ETS_TEST_FAIL();
	return -1;
}

#define SWEEP(test, ...)						\
TEST_F_TIMEOUT(failnth, test, 900)					\
{									\
	const struct op op = { .what = #test, __VA_ARGS__ };		\
									\
	ETS_REQUIRE_ROOT();						\
	ETS_REQUIRE_STATS();						\
	if (self->nth_fd < 0)						\
		SKIP(return, "no " FAIL_NTH " (CONFIG_FAULT_INJECTION)"); \
	EXPECT_LE(0, sweep(_metadata, self->nth_fd, ETS_NAME("t"), &op)); \
}

#define ON_TABLE	.setup = fx_create, .teardown = fx_teardown

SWEEP(open_session, .min_points = 1, .setup = setup_none, .run = run_open,
      .teardown = fx_teardown)
SWEEP(attach_create, .min_points = 5, .setup = setup_session,
      .run = run_create, .failed = failed_create, .done = done_create,
      .teardown = fx_teardown)
SWEEP(attach_reclaim, .setup = setup_held, .run = run_reclaim,
      .failed = failed_reclaim, .done = done_reclaim, .teardown = fx_teardown)
SWEEP(info, ON_TABLE, .run = run_info)
SWEEP(mmap_and_write, .min_points = 1, ON_TABLE, .run = run_mmap)
SWEEP(delete, ON_TABLE, .run = run_delete, .failed = failed_delete,
      .done = done_delete)
SWEEP(close_owner, .setup = setup_owner_and_keep, .run = run_close,
      .done = done_close, .teardown = fx_teardown)
SWEEP(close_owner_with_heir, .setup = setup_heir, .run = run_close,
      .done = done_close_heir, .teardown = fx_teardown)
SWEEP(adopt, .min_points = 1, .setup = setup_adopt, .run = run_adopt,
      .failed = failed_adopt, .done = done_adopt, .teardown = fx_teardown)
SWEEP(set_heir, .setup = setup_set_heir, .run = run_set_heir,
      .teardown = fx_teardown)
SWEEP(give, .min_points = 1, .setup = setup_give, .run = run_give,
      .failed = failed_give, .done = done_give, .teardown = fx_teardown)
SWEEP(receive, .setup = setup_receive, .run = run_receive,
      .failed = failed_receive, .done = done_receive,
      .teardown = fx_teardown)
SWEEP(nl_get_table_by_id, .min_points = 2, .setup = setup_nl_table,
      .run = run_nl_get_id, .done = done_nl_get, .teardown = fx_teardown)
SWEEP(nl_get_table_by_name, .min_points = 2, .setup = setup_nl_table,
      .run = run_nl_get_name, .done = done_nl_get, .teardown = fx_teardown)
SWEEP(nl_dump_tables, .min_points = 3, .setup = setup_nl_many,
      .run = run_nl_dump, .done = done_nl_dump, .teardown = fx_teardown)
SWEEP(nl_get_stats, .min_points = 2, .setup = setup_nl, .run = run_nl_stats,
      .done = done_nl_stats, .teardown = fx_teardown)
SWEEP(nl_delete_table, .min_points = 1, .setup = setup_nl_table,
      .run = run_nl_delete, .failed = failed_delete, .done = done_delete,
      .teardown = fx_teardown)
SWEEP(nl_drain_start, .min_points = 1, .setup = setup_nl,
      .run = run_nl_drain_start, .failed = failed_running,
      .done = done_draining, .teardown = teardown_nl_drain)
SWEEP(nl_drain_finish, .min_points = 1, .setup = setup_nl_draining,
      .run = run_nl_drain_finish, .failed = failed_draining,
      .done = done_drained, .teardown = teardown_nl_drain)
SWEEP(nl_drain_abort, .min_points = 1, .setup = setup_nl_draining,
      .run = run_nl_drain_abort, .failed = failed_draining,
      .done = done_running, .teardown = teardown_nl_drain)

TEST_HARNESS_MAIN
