// SPDX-License-Identifier: GPL-2.0
/*
 * Crash consistency of the libetsmgr record layer, host side, no module.
 *
 * kill_rounds: round after round, a child does random inserts, replaces,
 * deletes and counter updates on a set in a shared memfd mapping, logging
 * each operation in shared memory before it starts and again once it
 * returned; the parent SIGKILLs it after a random delay. The parent then
 * checks, through a read-only mapping before any repair and again after
 * etsmgr_set_recover(), that the set holds exactly the effect of the
 * logged operations, plus or minus the whole of the one in flight, that
 * every record is whole, and that the count is right.
 *
 * readers_during_crashes: two writers run and get killed at random (and
 * respawned) while two readers, through read-only mappings, walk and
 * look up the set without pause and check that every record they see is
 * whole, that no walk passes a key twice and that counters never go
 * backwards.
 *
 * RECORDS_CRASH_SECONDS (default 2) is how long each test runs;
 * RECORDS_CRASH_SEED makes a run reproducible (the seed is printed).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "etsmgr_records.h"
#include "mix64.h"
#include "kselftest_harness.h"

#define CAPACITY	40
#define KEY_MAX		24
#define VALUE_MAX	200
#define NBLOBS		48	/* more keys than capacity: ENOSPC happens */
#define NCOUNTERS	4
#define NKEYS		(NBLOBS + NCOUNTERS)
#define LOG_MAX		(1 << 16)
#define BLOB_HEADER	16	/* key index, length, version */

/* ------------------------------------------------------------------ */
/* Keys, values, randomness                                           */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state += 0x9e3779b97f4a7c15ull;
	return mix64(rng_state);
}

static bool is_counter(int k)
{
	return k >= NBLOBS;
}

/* Key @k: "blob-<k>-" and 0..12 x's, or "counter-<n>". */
static size_t key_of(int k, char buf[KEY_MAX])
{
	char tmp[64];
	int len;

	if (is_counter(k))
		len = snprintf(tmp, sizeof(tmp), "counter-%d", k - NBLOBS);
	else
		len = snprintf(tmp, sizeof(tmp), "blob-%d-%.*s", k, k % 13,
			       "xxxxxxxxxxxxx");
	memcpy(buf, tmp, (size_t)len);
	return (size_t)len;
}

/* The key index of a key's bytes, or -1. */
static int key_index(const void *key, size_t len)
{
	char buf[KEY_MAX];

	for (int k = 0; k < NKEYS; k++) {
		if (key_of(k, buf) == len && !memcmp(buf, key, len))
			return k;
	}
	return -1;
}

/* The value of blob @k at @version: length and bytes derive from both. */
static size_t blob_value(int k, uint64_t version, unsigned char *buf)
{
	uint64_t seed = mix64(version * 131 + (uint64_t)k);
	uint32_t len = BLOB_HEADER +
		       (uint32_t)(seed % (VALUE_MAX - BLOB_HEADER + 1));
	uint32_t key = (uint32_t)k;

	memcpy(buf, &key, 4);
	memcpy(buf + 4, &len, 4);
	memcpy(buf + 8, &version, 8);
	for (uint32_t i = BLOB_HEADER; i < len; i++)
		buf[i] = (unsigned char)mix64(seed + i);
	return len;
}

/* Is @value a whole value of blob @k? Its version into *@version. */
static bool blob_intact(int k, const void *value, size_t len,
			uint64_t *version)
{
	unsigned char expect[VALUE_MAX];

	if (len < BLOB_HEADER || len > VALUE_MAX)
		return false;
	memcpy(version, (const unsigned char *)value + 8, 8);
	return blob_value(k, *version, expect) == len &&
	       !memcmp(expect, value, len);
}

static void *map_memfd(int fd, size_t size, int prot)
{
	void *mem = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	return mem == MAP_FAILED ? NULL : mem;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double test_seconds(void)
{
	const char *env = getenv("RECORDS_CRASH_SECONDS");
	double seconds = env ? atof(env) : 2.0;

	return seconds > 0 ? seconds : 2.0;
}

static uint64_t test_seed(void)
{
	const char *env = getenv("RECORDS_CRASH_SEED");

	if (env)
		return strtoull(env, NULL, 0);
	return (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
}

/* A new memfd holding a freshly formatted set; its size in *@size. */
static int make_set(size_t *size)
{
	int fd = memfd_create("records_crash_test", MFD_CLOEXEC);
	void *mem;
	int ret;

	*size = (etsmgr_set_region_size(CAPACITY, KEY_MAX, VALUE_MAX) + 4095) /
		4096 * 4096;
	if (fd < 0 || ftruncate(fd, (off_t)*size) < 0)
		return -1;
	mem = map_memfd(fd, *size, PROT_READ | PROT_WRITE);
	if (!mem)
		return -1;
	ret = etsmgr_set_format(mem, *size, CAPACITY, KEY_MAX, VALUE_MAX, 0);
	munmap(mem, *size);
	return ret ? -1 : fd;
}

/* ------------------------------------------------------------------ */
/* Operations, their log and the model                                 */
/* ------------------------------------------------------------------ */

enum { OP_INSERT, OP_DELETE, OP_COUNTER };

struct op {
	uint32_t type;
	uint32_t key;
	uint64_t version;	/* OP_INSERT: of the new value */
	int64_t increment;	/* OP_COUNTER */
	int32_t ret;		/* set once done */
	uint32_t __pad;
};

/* In shared memory: ops[i] is written, then started = i + 1, then the
 * operation runs, then ops[i].ret is written and done = i + 1. */
struct oplog {
	uint64_t started;
	uint64_t done;
	struct op ops[LOG_MAX];
};

static int do_op(struct etsmgr_set *set, const struct op *op)
{
	unsigned char value[VALUE_MAX];
	char key[KEY_MAX];
	size_t key_len = key_of((int)op->key, key);
	const int64_t zero = 0;
	size_t len;

	switch (op->type) {
	case OP_INSERT:
		len = blob_value((int)op->key, op->version, value);
		return etsmgr_set_insert(set, key, key_len, value, len);
	case OP_DELETE:
		return etsmgr_set_delete(set, key, key_len);
	default:
		return etsmgr_set_update_counter(set, key, key_len,
						 op->increment, &zero, NULL);
	}
}

/* What the set should hold. */
struct model {
	bool present[NKEYS];
	uint64_t version[NKEYS];	/* blobs */
	int64_t counter[NKEYS];		/* counters */
	uint32_t count;
};

/* Apply @op to @m; return the result the set should have given. */
static int apply(struct model *m, const struct op *op)
{
	int k = (int)op->key;

	switch (op->type) {
	case OP_INSERT:
		if (!m->present[k]) {
			if (m->count == CAPACITY)
				return -ENOSPC;
			m->present[k] = true;
			m->count++;
		}
		m->version[k] = op->version;
		return 0;
	case OP_DELETE:
		if (!m->present[k])
			return -ENOENT;
		m->present[k] = false;
		m->count--;
		return 0;
	default:
		if (!m->present[k]) {
			if (m->count == CAPACITY)
				return -ENOSPC;
			m->present[k] = true;
			m->count++;
			m->counter[k] = 0;
		}
		m->counter[k] += op->increment;
		return 0;
	}
}

/* A random operation, version @version. */
static struct op random_op(uint64_t version)
{
	struct op op = { .version = version };
	uint64_t r = rnd() % 100;

	if (r < 55) {
		op.type = OP_INSERT;
		op.key = (uint32_t)(rnd() % NBLOBS);
	} else if (r < 80) {
		op.type = OP_DELETE;
		op.key = (uint32_t)(rnd() % 10 ? rnd() % NBLOBS :
				    NBLOBS + rnd() % NCOUNTERS);
	} else {
		op.type = OP_COUNTER;
		op.key = (uint32_t)(NBLOBS + rnd() % NCOUNTERS);
		op.increment = (int64_t)(1 + rnd() % 1000);
	}
	return op;
}

struct checked {
	const struct model *m;
	bool seen[NKEYS];
	uint32_t records;
	char why[160];
};

/* Is record (@k, @value) what @m says? Reason into c->why if not. */
static bool record_matches(struct checked *c, int k, const void *value,
			   size_t len)
{
	uint64_t version;
	int64_t n;

	if (!c->m->present[k]) {
		snprintf(c->why, sizeof(c->why), "key %d should be absent", k);
		return false;
	}
	if (is_counter(k)) {
		if (len != 8) {
			snprintf(c->why, sizeof(c->why),
				 "counter %d: %zu bytes", k, len);
			return false;
		}
		memcpy(&n, value, 8);
		if (n != c->m->counter[k]) {
			snprintf(c->why, sizeof(c->why),
				 "counter %d: %lld, expected %lld", k,
				 (long long)n, (long long)c->m->counter[k]);
			return false;
		}
		return true;
	}
	if (!blob_intact(k, value, len, &version)) {
		snprintf(c->why, sizeof(c->why), "blob %d: torn value", k);
		return false;
	}
	if (version != c->m->version[k]) {
		snprintf(c->why, sizeof(c->why),
			 "blob %d: version %#llx, expected %#llx", k,
			 (unsigned long long)version,
			 (unsigned long long)c->m->version[k]);
		return false;
	}
	return true;
}

static int check_record(const void *key, size_t key_len, const void *value,
			size_t value_len, void *arg)
{
	struct checked *c = arg;
	int k = key_index(key, key_len);

	if (k < 0) {
		snprintf(c->why, sizeof(c->why), "unknown key of %zu bytes",
			 key_len);
		return 1;
	}
	if (c->seen[k]) {
		snprintf(c->why, sizeof(c->why), "key %d passed twice", k);
		return 1;
	}
	c->seen[k] = true;
	c->records++;
	return record_matches(c, k, value, value_len) ? 0 : 1;
}

/*
 * Does @set hold exactly @m, by lookups and by a walk? 0 if so, else 1
 * with the reason in @why.
 */
static int check_state(const struct etsmgr_set *set, const struct model *m,
		       char *why, size_t why_size)
{
	struct checked c = { .m = m };
	unsigned char value[VALUE_MAX];
	char key[KEY_MAX];
	size_t len;
	int ret;

	for (int k = 0; k < NKEYS; k++) {
		ret = etsmgr_set_lookup(set, key, key_of(k, key), value,
					sizeof(value), &len);
		if (ret == -ENOENT && !m->present[k])
			continue;
		if (ret) {
			snprintf(why, why_size, "lookup of key %d: %d", k, ret);
			return 1;
		}
		if (!record_matches(&c, k, value, len)) {
			snprintf(why, why_size, "lookup: %s", c.why);
			return 1;
		}
	}
	ret = etsmgr_set_foreach(set, check_record, &c);
	if (ret) {
		snprintf(why, why_size, "foreach %d: %s", ret, c.why);
		return 1;
	}
	if (c.records != m->count) {
		snprintf(why, why_size, "foreach: %u records, expected %u",
			 c.records, m->count);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* kill_rounds                                                         */
/* ------------------------------------------------------------------ */

FIXTURE(crash) {
	int unused;
};

FIXTURE_SETUP(crash)
{
}

FIXTURE_TEARDOWN(crash)
{
}

/* The child of one round: log and run random operations until killed. */
static void writer_round(int fd, size_t size, struct oplog *log,
			 uint64_t round)
{
	struct etsmgr_set *set;
	void *mem = map_memfd(fd, size, PROT_READ | PROT_WRITE);

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* if a check fails */
	if (!mem || etsmgr_set_open(mem, size, 0, &set))
		_exit(2);
	rng_state = mix64(rng_state ^ round);
	for (uint64_t n = 0; n < LOG_MAX; n++) {
		log->ops[n] = random_op(round << 24 | n);
		__atomic_store_n(&log->started, n + 1, __ATOMIC_RELEASE);
		log->ops[n].ret = do_op(set, &log->ops[n]);
		__atomic_store_n(&log->done, n + 1, __ATOMIC_RELEASE);
	}
	_exit(0);
}

TEST_F_TIMEOUT(crash, kill_rounds, 3600)
{
	double start = now(), deadline = start + test_seconds();
	/*
	 * A kill lands inside the writers' lock in about one round of a
	 * hundred, and some runs of the base time see none: go on until one
	 * did, for up to five times as long, so that the check of it at the
	 * end fails only when recovery is never due.
	 */
	double last_chance = start + 5 * test_seconds();
	uint64_t seed = test_seed(), rounds = 0, ops = 0, in_flight = 0;
	uint64_t in_flight_visible = 0, recovered = 0;
	struct etsmgr_set *rw, *ro;
	struct model m = { 0 };
	struct oplog *log;
	void *mem, *rmem;
	char why[256];
	size_t size;
	int fd;

	rng_state = seed;
	TH_LOG("seed %#llx (RECORDS_CRASH_SEED)", (unsigned long long)seed);
	fd = make_set(&size);
	ASSERT_LE(0, fd);
	mem = map_memfd(fd, size, PROT_READ | PROT_WRITE);
	rmem = map_memfd(fd, size, PROT_READ);
	log = mmap(NULL, sizeof(*log), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(NULL, mem);
	ASSERT_NE(NULL, rmem);
	ASSERT_NE(MAP_FAILED, log);
	ASSERT_EQ(0, etsmgr_set_open(mem, size, 0, &rw));
	ASSERT_EQ(0, etsmgr_set_open(rmem, size, ETSMGR_SET_RDONLY, &ro));

	while (now() < deadline || (!recovered && now() < last_chance)) {
		struct model after;
		uint64_t started, done, delay;
		bool visible;
		int ret, status;
		pid_t pid;

		rounds++;
		log->started = 0;
		log->done = 0;
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			writer_round(fd, size, log, rounds);
		/* Once it runs: mostly short delays, some long ones. */
		while (!__atomic_load_n(&log->started, __ATOMIC_ACQUIRE) &&
		       waitpid(pid, &status, WNOHANG) == 0)
			sched_yield();
		delay = rnd() % 4 ? rnd() % 300 : rnd() % 3000;
		usleep((useconds_t)delay);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) || WEXITSTATUS(status) == 0) {
			TH_LOG("round %llu: writer status %#x",
			       (unsigned long long)rounds, status);
		}

		/* The log: every done operation, then the one in flight. */
		done = __atomic_load_n(&log->done, __ATOMIC_ACQUIRE);
		started = __atomic_load_n(&log->started, __ATOMIC_ACQUIRE);
		for (uint64_t i = 0; i < done; i++) {
			int expect = apply(&m, &log->ops[i]);

			ASSERT_EQ(expect, log->ops[i].ret) {
				TH_LOG("round %llu op %llu (type %u key %u)",
				       (unsigned long long)rounds,
				       (unsigned long long)i,
				       log->ops[i].type, log->ops[i].key);
			}
		}
		ops += done;
		after = m;
		if (started > done) {
			in_flight++;
			apply(&after, &log->ops[done]);
		}

		/* Before any repair, through a read-only mapping. */
		visible = false;
		if (check_state(ro, &m, why, sizeof(why))) {
			ASSERT_EQ(0, check_state(ro, &after, why, sizeof(why))) {
				TH_LOG("round %llu, before recovery: %s",
				       (unsigned long long)rounds, why);
			}
			visible = true;
		}
		/* Repair, then the same state, and an exact count. */
		ret = etsmgr_set_recover(rw);
		ASSERT_LE(0, ret);
		recovered += (uint64_t)ret;
		ASSERT_EQ(0, check_state(rw, visible ? &after : &m, why,
					 sizeof(why))) {
			TH_LOG("round %llu, after recovery: %s",
			       (unsigned long long)rounds, why);
		}
		if (visible) {
			in_flight_visible++;
			m = after;
		}
		ASSERT_EQ(m.count, etsmgr_set_count(rw));
	}
	TH_LOG("%llu rounds, %llu operations checked, %llu in flight when "
	       "killed (%llu of them visible), %llu recoveries of a writer "
	       "killed holding the lock",
	       (unsigned long long)rounds, (unsigned long long)ops,
	       (unsigned long long)in_flight,
	       (unsigned long long)in_flight_visible,
	       (unsigned long long)recovered);
	if (rounds >= 100) {
		EXPECT_LT(0, recovered);
	}
	etsmgr_set_close(ro);
	etsmgr_set_close(rw);
	munmap(log, sizeof(*log));
	munmap(rmem, size);
	munmap(mem, size);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* readers_during_crashes                                              */
/* ------------------------------------------------------------------ */

#define NREADERS 2
#define NWRITERS 2

struct control {
	int stop;
	uint64_t walks[NREADERS];
	uint64_t records[NREADERS];
	uint64_t lookups[NREADERS];
	int64_t counters[NREADERS][NKEYS];	/* last seen, per reader */
	char error[NREADERS][256];
};

struct reader {
	struct control *ctl;
	int id;
	bool seen[NKEYS];
	char error[200];
};

/* Is (@key, @value) whole, and is a counter not below what we saw? */
static bool reader_record_ok(struct reader *r, int k, const void *value,
			     size_t len)
{
	int64_t *last = &r->ctl->counters[r->id][k];
	uint64_t version;
	int64_t n;

	if (!is_counter(k)) {
		if (blob_intact(k, value, len, &version))
			return true;
		snprintf(r->error, sizeof(r->error), "blob %d torn", k);
		return false;
	}
	if (len != 8) {
		snprintf(r->error, sizeof(r->error), "counter %d: %zu bytes", k,
			 len);
		return false;
	}
	memcpy(&n, value, 8);
	if (n < *last) {
		snprintf(r->error, sizeof(r->error),
			 "counter %d went back from %lld to %lld", k,
			 (long long)*last, (long long)n);
		return false;
	}
	*last = n;
	return true;
}

static int reader_check(const void *key, size_t key_len, const void *value,
			size_t value_len, void *arg)
{
	struct reader *r = arg;
	int k = key_index(key, key_len);

	if (k < 0) {
		snprintf(r->error, sizeof(r->error), "unknown key");
		return 1;
	}
	if (r->seen[k]) {
		snprintf(r->error, sizeof(r->error), "key %d passed twice", k);
		return 1;
	}
	r->seen[k] = true;
	r->ctl->records[r->id]++;
	return reader_record_ok(r, k, value, value_len) ? 0 : 1;
}

static void reader_fail(struct reader *r, const char *what, int ret)
{
	snprintf(r->ctl->error[r->id], sizeof(r->ctl->error[r->id]),
		 "%s %d: %s", what, ret, r->error);
	_exit(1);
}

/* A reader child: walk and look up, through a read-only mapping. */
static void reader_main(int fd, size_t size, struct control *ctl, int id)
{
	struct reader r = { .ctl = ctl, .id = id };
	unsigned char value[VALUE_MAX];
	struct etsmgr_set *set;
	char key[KEY_MAX];
	void *mem = map_memfd(fd, size, PROT_READ);
	size_t len;
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* if a check fails */
	if (!mem || etsmgr_set_open(mem, size, ETSMGR_SET_RDONLY, &set))
		_exit(2);
	while (!__atomic_load_n(&ctl->stop, __ATOMIC_ACQUIRE)) {
		memset(r.seen, 0, sizeof(r.seen));
		ret = etsmgr_set_foreach(set, reader_check, &r);
		if (ret)
			reader_fail(&r, "foreach", ret);
		ctl->walks[id]++;
		for (int i = 0; i < 16; i++) {
			int k = (int)(rnd() % NKEYS);

			ret = etsmgr_set_lookup(set, key, key_of(k, key), value,
						sizeof(value), &len);
			if (ret == -ENOENT)
				continue;
			if (ret)
				reader_fail(&r, "lookup", ret);
			if (!reader_record_ok(&r, k, value, len))
				reader_fail(&r, "lookup", 0);
			ctl->lookups[id]++;
		}
	}
	_exit(0);
}

/* A writer child: random operations on its own blobs and all counters. */
static void writer_main(int fd, size_t size, int id, uint64_t incarnation)
{
	struct etsmgr_set *set;
	void *mem = map_memfd(fd, size, PROT_READ | PROT_WRITE);

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* if a check fails */
	if (!mem || etsmgr_set_open(mem, size, 0, &set))
		_exit(2);
	rng_state = mix64(rng_state ^ incarnation);
	for (uint64_t n = 0;; n++) {
		struct op op = random_op(incarnation << 24 | n);

		if (op.type == OP_DELETE && is_counter((int)op.key))
			continue;	/* counters only go up here */
		if (!is_counter((int)op.key))
			op.key = (op.key & ~1u) | (uint32_t)id;
		if (op.type == OP_COUNTER)
			op.increment = (int64_t)(1 + rnd() % 10);
		do_op(set, &op);
	}
}

TEST_F_TIMEOUT(crash, readers_during_crashes, 3600)
{
	double deadline = now() + test_seconds();
	uint64_t seed = test_seed(), kills = 0, incarnation = 0;
	pid_t readers[NREADERS], writers[NWRITERS];
	struct etsmgr_set *set;
	struct control *ctl;
	struct model all = { 0 };
	char why[256];
	size_t size;
	void *mem;
	int fd;

	rng_state = seed;
	TH_LOG("seed %#llx (RECORDS_CRASH_SEED)", (unsigned long long)seed);
	fd = make_set(&size);
	ASSERT_LE(0, fd);
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ctl);
	memset(ctl, 0, sizeof(*ctl));
	for (int i = 0; i < NREADERS; i++) {
		for (int k = 0; k < NKEYS; k++)
			ctl->counters[i][k] = INT64_MIN;
		readers[i] = fork();
		ASSERT_LE(0, readers[i]);
		if (readers[i] == 0) {
			rng_state = mix64(seed + (uint64_t)i);
			reader_main(fd, size, ctl, i);
		}
	}
	for (int i = 0; i < NWRITERS; i++)
		writers[i] = 0;

	while (now() < deadline) {
		int victim = (int)(rnd() % NWRITERS);

		for (int i = 0; i < NWRITERS; i++) {
			if (writers[i])
				continue;
			incarnation++;
			writers[i] = fork();
			ASSERT_LE(0, writers[i]);
			if (writers[i] == 0)
				writer_main(fd, size, i, incarnation);
		}
		usleep((useconds_t)(rnd() % 3000));
		kill(writers[victim], SIGKILL);
		ASSERT_EQ(writers[victim], waitpid(writers[victim], NULL, 0));
		writers[victim] = 0;
		kills++;
	}
	for (int i = 0; i < NWRITERS; i++) {
		if (writers[i]) {
			kill(writers[i], SIGKILL);
			waitpid(writers[i], NULL, 0);
		}
	}
	__atomic_store_n(&ctl->stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NREADERS; i++) {
		int status;

		ASSERT_EQ(readers[i], waitpid(readers[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("reader %d: status %#x: %s", i, status,
			       ctl->error[i]);
		}
		TH_LOG("reader %d: %llu walks, %llu records, %llu lookups", i,
		       (unsigned long long)ctl->walks[i],
		       (unsigned long long)ctl->records[i],
		       (unsigned long long)ctl->lookups[i]);
		EXPECT_LT(0, ctl->walks[i]);
	}
	TH_LOG("%llu writers killed", (unsigned long long)kills);

	/* Repair, then everything is whole and counters kept their gains. */
	mem = map_memfd(fd, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, etsmgr_set_open(mem, size, 0, &set));
	ASSERT_LE(0, etsmgr_set_recover(set));
	for (int k = 0; k < NKEYS; k++) {
		unsigned char value[VALUE_MAX];
		char key[KEY_MAX];
		uint64_t version;
		size_t len;
		int ret = etsmgr_set_lookup(set, key, key_of(k, key), value,
					    sizeof(value), &len);

		if (ret == -ENOENT)
			continue;
		ASSERT_EQ(0, ret);
		all.present[k] = true;
		all.count++;
		if (is_counter(k)) {
			ASSERT_EQ(8, len);
			memcpy(&all.counter[k], value, 8);
			for (int i = 0; i < NREADERS; i++) {
				ASSERT_LE(ctl->counters[i][k], all.counter[k]);
			}
		} else {
			ASSERT_TRUE(blob_intact(k, value, len, &version));
			all.version[k] = version;
		}
	}
	EXPECT_EQ(0, check_state(set, &all, why, sizeof(why))) {
		TH_LOG("%s", why);
	}
	EXPECT_EQ(all.count, etsmgr_set_count(set));
	etsmgr_set_close(set);
	munmap(mem, size);
	munmap(ctl, sizeof(*ctl));
	close(fd);
}

TEST_HARNESS_MAIN
