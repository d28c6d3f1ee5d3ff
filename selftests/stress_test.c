// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: races between sessions, and many create / kill -9 /
 * reclaim / delete cycles.
 */
#include "etsmgr_util.h"

ETS_FIXTURE(stress)

#define RACERS	10

struct racer_out {
	int ret;
	__u32 result;
	__u64 id;
	__u64 generation;
};

struct race {
	pid_t pid[RACERS];
	struct racer_out *out;
	int start[2], report[2], release[2];
};

/*
 * A racer opens its session, waits for the start pipe to reach EOF (all
 * racers are released at once), attaches, reports, and keeps its session
 * (so a winner stays the live owner) until the release pipe reaches EOF.
 */
static void racer(struct race *r, int k, const char *name, __u32 flags)
{
	struct etsmgr_attach a;
	char c;
	int fd;

	close(r->start[1]);
	close(r->report[0]);
	close(r->release[1]);
	fd = ets_open();
	while (read(r->start[0], &c, 1) > 0)
		;
	if (fd < 0) {
		r->out[k].ret = fd;
	} else {
		r->out[k].ret = ets_attach(fd, name, flags,
					   ETSMGR_ACCESS_PUBLIC, 4096, &a);
		r->out[k].result = a.result;
		r->out[k].id = a.id;
		r->out[k].generation = a.generation;
	}
	if (ets_write_full(r->report[1], "r", 1))
		_exit(ETS_CHILD_BAD);
	while (read(r->release[0], &c, 1) > 0)
		;
	_exit(0);
}

/* Run RACERS racers on @name with @flags; 0 when all reported. */
static int run_race(struct race *r, const char *name, __u32 flags)
{
	char c;
	int k, ret = 0;

	memset(r, 0, sizeof(*r));
	r->out = ets_shared_alloc(sizeof(*r->out) * RACERS);
	if (!r->out || pipe(r->start) || pipe(r->report) || pipe(r->release))
		return -1;
	for (k = 0; k < RACERS; k++) {
		r->pid[k] = ets_fork();
		if (r->pid[k] == 0)
			racer(r, k, name, flags);
		if (r->pid[k] < 0)
			ret = -1;
	}
	close(r->start[0]);
	close(r->report[1]);
	close(r->release[0]);
	/* Give them time to open their sessions, then let them go. */
	usleep(100000);
	close(r->start[1]);
	for (k = 0; k < RACERS && !ret; k++)
		if (ets_read_full(r->report[0], &c, 1))
			ret = -1;
	/* Everyone has attached (or failed) while the winner lives. */
	close(r->release[1]);
	for (k = 0; k < RACERS; k++)
		if (r->pid[k] > 0 && ets_wait(r->pid[k]) < 0)
			ret = -1;
	close(r->report[0]);
	return ret;
}

TEST_F(stress, race_create_excl_exactly_one_wins)
{
	const char *n = ETS_NAME("t");
	int k, wins = 0, eexist = 0, winner = -1;
	struct etsmgr_attach a;
	struct race r;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, run_race(&r, n, ETSMGR_ATTACH_CREATE |
			      ETSMGR_ATTACH_EXCL));
	for (k = 0; k < RACERS; k++) {
		if (r.out[k].ret == 0) {
			wins++;
			winner = k;
			EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), r.out[k].result);
		} else if (r.out[k].ret == -EEXIST) {
			eexist++;
		} else {
			TH_LOG("racer %d: %s", k, strerror(-r.out[k].ret));
		}
	}
	EXPECT_EQ(1, wins);
	EXPECT_EQ(RACERS - 1, eexist);
	/* The winner exited: its table is held; take it back and drop it. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), a.result);
	EXPECT_EQ(U64(2), a.generation);
	if (winner >= 0) {
		EXPECT_EQ(r.out[winner].id, a.id);
	}
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(stress, race_create_exactly_one_owner)
{
	const char *n = ETS_NAME("t");
	int k, wins = 0, ebusy = 0;
	struct etsmgr_attach a;
	struct race r;
	int fd;

	ETS_REQUIRE_DEVICE();
	/* CREATE alone: one creates; the others see a live owner. */
	ASSERT_EQ(0, run_race(&r, n, ETSMGR_ATTACH_CREATE));
	for (k = 0; k < RACERS; k++) {
		if (r.out[k].ret == 0) {
			wins++;
			EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), r.out[k].result);
		} else if (r.out[k].ret == -EBUSY) {
			ebusy++;
		} else {
			TH_LOG("racer %d: %s", k, strerror(-r.out[k].ret));
		}
	}
	EXPECT_EQ(1, wins);
	EXPECT_EQ(RACERS - 1, ebusy);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U64(2), a.generation);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(stress, race_reclaim_exactly_one_wins)
{
	const char *n = ETS_NAME("t");
	int k, wins = 0, ebusy = 0;
	struct etsmgr_attach a, b;
	struct race r;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PUBLIC, 4096, 0, &a));
	ASSERT_EQ(0, run_race(&r, n, 0));
	for (k = 0; k < RACERS; k++) {
		if (r.out[k].ret == 0) {
			wins++;
			EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED),
				  r.out[k].result);
			EXPECT_EQ(a.id, r.out[k].id);
			EXPECT_EQ(U64(2), r.out[k].generation);
		} else if (r.out[k].ret == -EBUSY) {
			ebusy++;
		} else {
			TH_LOG("racer %d: %s", k, strerror(-r.out[k].ret));
		}
	}
	EXPECT_EQ(1, wins);
	EXPECT_EQ(RACERS - 1, ebusy);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	EXPECT_EQ(U64(3), b.generation);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

#define CYCLES	1000

TEST_F_TIMEOUT(stress, cycles_1000_create_kill_reclaim_delete, 900)
{
	const char *n = ETS_NAME("c");
	size_t size = 2 * ets_page();
	struct ets_counters base, end;
	struct etsmgr_attach a;
	struct ets_owner o;
	unsigned int seed;
	int fd, i, st, err, have_stats;
	__u64 id, last = 0;
	void *p;

	ETS_REQUIRE_DEVICE();
	have_stats = ets_stats_available() && !ets_counters_read(&base);
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < CYCLES; i++) {
		seed = (unsigned int)i % 250 + 1;
		ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE,
					     size, seed, ETS_AS_SELF)) {
			TH_LOG("cycle %d: create failed", i);
		}
		id = o.shm->a.id;
		ASSERT_LT(last, id) TH_LOG("cycle %d: id not increasing", i);
		last = id;
		st = ets_owner_kill(&o, SIGKILL);
		ets_owner_free(&o);
		ASSERT_TRUE(WIFSIGNALED(st));
		ASSERT_EQ(0, ets_reclaim(fd, n, &a)) {
			TH_LOG("cycle %d: reclaim failed", i);
		}
		ASSERT_EQ(U32(ETSMGR_RESULT_RECLAIMED), a.result);
		ASSERT_EQ(id, a.id);
		ASSERT_EQ(U64(2), a.generation);
		ASSERT_EQ(U32(ETSMGR_EXIT_SIGNALED), a.exit_reason);
		ASSERT_EQ(SIGKILL, a.exit_status);
		p = ets_map(fd, a.mmap_offset, size, PROT_READ, &err);
		ASSERT_NE(NULL, p) {
			TH_LOG("cycle %d: mmap: %s", i, strerror(-err));
		}
		ASSERT_EQ(-1, ets_check(p, size, seed)) {
			TH_LOG("cycle %d: data lost", i);
		}
		munmap(p, size);
		ASSERT_EQ(0, ets_delete_id(fd, id)) {
			TH_LOG("cycle %d: delete failed", i);
		}
		if ((i + 1) % 250 == 0) {
			TH_LOG("%d cycles done", i + 1);
		}
	}
	close(fd);
	if (!have_stats) {
		TH_LOG("no %s: counters not checked", ETS_STATS_PATH);
		return;
	}
	ASSERT_EQ(0, ets_counters_read(&end));
	EXPECT_EQ(base.sessions, end.sessions);
	EXPECT_EQ(base.tables, end.tables);
	EXPECT_EQ(base.held, end.held);
	EXPECT_EQ(base.bytes, end.bytes);
	EXPECT_EQ(base.created + CYCLES, end.created);
	EXPECT_EQ(base.reclaimed + CYCLES, end.reclaimed);
	EXPECT_EQ(base.deleted + CYCLES, end.deleted);
}

TEST_HARNESS_MAIN
