// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: every allocation failure is clean. Each operation is
 * run with /proc/thread-self/fail-nth set to 1, 2, 3... so that its n-th
 * fault-injection point fails, until it succeeds. Every injected failure
 * must return a plain errno and change nothing: the module's counters are
 * as before, no table appeared or went. Needs a kernel with
 * CONFIG_FAULT_INJECTION and failslab (the debug kernel of make
 * check-debug); skips elsewhere.
 */
#include "etsmgr_util.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_POINTS	2000

ETS_FIXTURE(failnth)

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

/* Let injected failures hit sleeping allocations too, quietly. */
static int enable_injection(void)
{
	if (access(FAIL_NTH, W_OK))
		return -1;
	write_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	write_knob("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_knob("/sys/kernel/debug/failslab/verbose", "0");
	write_knob("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	return 0;
}

static int set_fail_nth(unsigned int n)
{
	char buf[16];
	int fd, len, ret = 0;

	fd = open(FAIL_NTH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%u", n);
	if (write(fd, buf, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* Whether an injected failure was left unused (the op had < n points). */
static int fail_nth_left(void)
{
	char buf[16] = "";
	int fd = open(FAIL_NTH, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len > 0)
		buf[len] = '\0';
	set_fail_nth(0);
	return atoi(buf) != 0;
}

/*
 * Run @op (0 or -errno) with its n-th fault point failing, for n = 1, 2,
 * ... until it succeeds. A failure must be a clean errno and leave the
 * counters as they were. Returns the number of injection points seen, or
 * -1 (and fails the test).
 */
static int sweep(struct __test_metadata *_metadata, const char *what,
		 int (*op)(void *), void *arg)
{
	struct ets_counters before, after;
	unsigned int n;
	int ret;

	for (n = 1; n <= MAX_POINTS; n++) {
		if (ets_counters_read(&before))
			return -1;
		if (set_fail_nth(n))
			return -1;
		ret = op(arg);
		fail_nth_left();
		if (!ret)
			return (int)n - 1;
		if (ret != -ENOMEM && ret != -EFAULT && ret != -ENOSPC &&
		    ret != -EINTR && ret != -EAGAIN) {
			TH_LOG("%s: point %u: unexpected %s", what, n,
			       strerror(-ret));
			_metadata->passed = 0;
			return -1;
		}
		if (ets_counters_read(&after))
			return -1;
		if (before.tables != after.tables ||
		    before.held != after.held ||
		    before.bytes != after.bytes ||
		    before.sessions != after.sessions) {
			TH_LOG("%s: point %u (%s) left partial state: tables %lld->%lld held %lld->%lld bytes %lld->%lld sessions %lld->%lld",
			       what, n, strerror(-ret), before.tables,
			       after.tables, before.held, after.held,
			       before.bytes, after.bytes, before.sessions,
			       after.sessions);
			_metadata->passed = 0;
			return -1;
		}
	}
	TH_LOG("%s: still failing after %u points", what, MAX_POINTS);
	_metadata->passed = 0;
	return -1;
}

#define REQUIRE_FAIL_NTH() do {						\
	ETS_REQUIRE_ROOT();						\
	ETS_REQUIRE_STATS();						\
	if (enable_injection())						\
		SKIP(return, "no " FAIL_NTH " (CONFIG_FAULT_INJECTION)");	\
} while (0)

struct op_arg {
	int fd;
	const char *name;
	struct etsmgr_attach a;
	__u64 id;
};

static int op_open(void *p)
{
	struct op_arg *o = p;

	o->fd = ets_open();
	return o->fd < 0 ? o->fd : 0;
}

static int op_create(void *p)
{
	struct op_arg *o = p;

	return ets_create(o->fd, o->name, ETSMGR_ACCESS_PROTECTED, 65536,
			  &o->a);
}

static int op_reclaim(void *p)
{
	struct op_arg *o = p;

	return ets_reclaim(o->fd, o->name, &o->a);
}

static int op_delete(void *p)
{
	struct op_arg *o = p;

	return ets_delete_id(o->fd, o->id);
}

static int op_info(void *p)
{
	struct op_arg *o = p;
	struct etsmgr_info info;

	return ets_info_id(o->fd, o->id, &info);
}

static int op_map(void *p)
{
	struct op_arg *o = p;
	void *m;
	int err;

	m = ets_map(o->fd, o->a.mmap_offset, 65536, PROT_READ | PROT_WRITE,
		    &err);
	if (!m)
		return err;
	munmap(m, 65536);
	return 0;
}

TEST_F(failnth, open_session)
{
	struct op_arg o = { 0 };
	int points;

	REQUIRE_FAIL_NTH();
	points = sweep(_metadata, "open", op_open, &o);
	ASSERT_LE(0, points);
	TH_LOG("open: %d injection points", points);
	close(o.fd);
}

TEST_F(failnth, create_table)
{
	struct op_arg o = { .name = ETS_NAME("t") };
	int points;

	REQUIRE_FAIL_NTH();
	o.fd = ets_open();
	ASSERT_LE(0, o.fd);
	points = sweep(_metadata, "create", op_create, &o);
	ASSERT_LE(0, points);
	TH_LOG("create: %d injection points", points);
	EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), o.a.result);
	EXPECT_EQ(0, ets_delete_id(o.fd, o.a.id));
	close(o.fd);
}

TEST_F(failnth, reclaim_held_table)
{
	struct op_arg o = { .name = ETS_NAME("t") };
	struct etsmgr_attach a;
	int points;

	REQUIRE_FAIL_NTH();
	ASSERT_EQ(0, ets_make_held(o.name, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	o.fd = ets_open();
	ASSERT_LE(0, o.fd);
	points = sweep(_metadata, "reclaim", op_reclaim, &o);
	ASSERT_LE(0, points);
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), o.a.result);
	EXPECT_EQ(a.id, o.a.id);
	EXPECT_EQ(0, ets_delete_id(o.fd, o.a.id));
	close(o.fd);
}

TEST_F(failnth, delete_info_and_map)
{
	struct op_arg o = { .name = ETS_NAME("t") };

	REQUIRE_FAIL_NTH();
	o.fd = ets_open();
	ASSERT_LE(0, o.fd);
	ASSERT_EQ(0, op_create(&o));
	o.id = o.a.id;
	EXPECT_LE(0, sweep(_metadata, "info", op_info, &o));
	EXPECT_LE(0, sweep(_metadata, "mmap", op_map, &o));
	EXPECT_LE(0, sweep(_metadata, "delete", op_delete, &o));
	close(o.fd);
}

/* The owner's session closes under injection: its table is held. */
TEST_F(failnth, close_owner_session)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info info;
	unsigned int k;
	int fd, keep;

	REQUIRE_FAIL_NTH();
	keep = ets_open();
	ASSERT_LE(0, keep);
	for (k = 1; k <= 20; k++) {
		fd = ets_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
					ETSMGR_ACCESS_PRIVATE, 4096, &a));
		set_fail_nth(k);
		close(fd);
		fail_nth_left();
		ASSERT_EQ(0, ets_info_id(keep, a.id, &info));
		EXPECT_EQ(U32(ETSMGR_STATE_HELD), info.state);
	}
	close(keep);
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_HARNESS_MAIN
