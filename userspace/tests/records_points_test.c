// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic crash points of the libetsmgr record layer (CRASH_AT(n)).
 * Built against the test-hooks copy of records.c (-DETSMGR_SET_TEST_HOOKS,
 * records_hooks.h), never the library's.
 *
 * For each writing operation and for n = 1, 2, ... the parent formats a
 * set in a memfd with baseline records and forks; the child installs a
 * hook that counts the writer's stores (ETSMGR_SET_POINT_STORE) and
 * SIGKILLs itself at the n-th, then runs the operation (and exits 0 when
 * it returned). The parent then checks, through a read-only mapping before
 * any repair and again after etsmgr_set_recover(), that every baseline
 * record is intact, that the operation is wholly visible or not at all
 * (exactly the new state when the child completed), that no value is
 * torn, that the count is exact after recovery, and that a further write
 * works. The loop ends at the first n where the child completes: then
 * every store of the operation has been a crash point.
 *
 * The layout's lock word (offset 128: struct set_lock in records.c,
 * layout version 2) is read to know whether the child died holding the
 * lock: recovery must then report 1, otherwise 0.
 */
#include <errno.h>
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
#include "records_hooks.h"
#include "kselftest_harness.h"

#define PAGE		4096
#define CAPACITY	8
#define KEY_MAX		16
#define VALUE_MAX	40
#define MAX_POINTS	10000u	/* no operation has this many stores */
#define LOCK_WORD_OFFSET 128	/* records.c: header.lock.word */

/* ------------------------------------------------------------------ */
/* Keys, values, the expected state                                    */
/* ------------------------------------------------------------------ */

enum key_id {
	BLOB0, BLOB1, BLOB2, BLOB3,	/* baseline binaries */
	CTR0, CTR1,			/* baseline counters */
	NEW_BLOB, NEW_CTR,		/* created by an operation */
	FURTHER,			/* the write after recovery */
	NKEYS
};

static const char *const key_name[NKEYS] = {
	"blob-0", "blob-1", "blob-2", "blob-3", "ctr-0", "ctr-1",
	"new-blob", "new-ctr", "further",
};

#define BASELINE_RECORDS 6

struct rec {
	bool present;
	size_t len;
	unsigned char value[VALUE_MAX];
};

struct state {
	struct rec r[NKEYS];
	uint32_t count;
};

/*
 * Version @version of binary @k: 9..VALUE_MAX bytes (never 8: not a
 * counter), every byte derived from (k, version, index), so that a torn
 * or mixed value never passes for a whole one.
 */
static void set_blob(struct state *s, int k, uint32_t version)
{
	struct rec *r = &s->r[k];
	uint64_t seed = mix64((uint64_t)k << 32 | version);

	if (!r->present)
		s->count++;
	r->present = true;
	r->len = 9 + (size_t)(seed % (VALUE_MAX - 9 + 1));
	for (size_t i = 0; i < r->len; i++)
		r->value[i] = (unsigned char)mix64(seed + i);
}

static void set_counter(struct state *s, int k, int64_t value)
{
	struct rec *r = &s->r[k];

	if (!r->present)
		s->count++;
	r->present = true;
	r->len = sizeof(value);
	memcpy(r->value, &value, sizeof(value));
}

static int64_t counter_of(const struct state *s, int k)
{
	int64_t n;

	memcpy(&n, s->r[k].value, sizeof(n));
	return n;
}

static void remove_key(struct state *s, int k)
{
	if (s->r[k].present)
		s->count--;
	s->r[k].present = false;
}

static void baseline(struct state *s)
{
	memset(s, 0, sizeof(*s));
	for (int k = BLOB0; k <= BLOB3; k++)
		set_blob(s, k, 0);
	set_counter(s, CTR0, 100);
	set_counter(s, CTR1, 200);
}

static int insert_rec(struct etsmgr_set *set, const struct state *s, int k)
{
	return etsmgr_set_insert(set, key_name[k], strlen(key_name[k]),
				 s->r[k].value, s->r[k].len);
}

struct walked {
	const struct state *s;
	bool seen[NKEYS];
	uint32_t records;
	char why[128];
};

static int walk_check(const void *key, size_t key_len, const void *value,
		      size_t value_len, void *arg)
{
	struct walked *w = arg;

	for (int k = 0; k < NKEYS; k++) {
		const struct rec *r = &w->s->r[k];

		if (strlen(key_name[k]) != key_len ||
		    memcmp(key_name[k], key, key_len))
			continue;
		if (w->seen[k]) {
			snprintf(w->why, sizeof(w->why), "%s passed twice",
				 key_name[k]);
			return 1;
		}
		w->seen[k] = true;
		w->records++;
		if (!r->present) {
			snprintf(w->why, sizeof(w->why), "%s should be absent",
				 key_name[k]);
			return 1;
		}
		if (r->len != value_len || memcmp(r->value, value, value_len)) {
			snprintf(w->why, sizeof(w->why),
				 "%s: %zu bytes, not the %zu expected",
				 key_name[k], value_len, r->len);
			return 1;
		}
		return 0;
	}
	snprintf(w->why, sizeof(w->why), "unknown key of %zu bytes", key_len);
	return 1;
}

/*
 * Does @set hold exactly @s, by lookups and by a walk? 0 if so; else 1
 * with the reason in @why.
 */
static int check_state(const struct etsmgr_set *set, const struct state *s,
		       char *why, size_t why_size)
{
	struct walked w = { .s = s };
	unsigned char buf[VALUE_MAX];
	size_t len;
	int ret;

	for (int k = 0; k < NKEYS; k++) {
		const struct rec *r = &s->r[k];

		ret = etsmgr_set_lookup(set, key_name[k], strlen(key_name[k]),
					buf, sizeof(buf), &len);
		if (!r->present && ret == -ENOENT)
			continue;
		if (ret) {
			snprintf(why, why_size, "lookup %s: %d", key_name[k],
				 ret);
			return 1;
		}
		if (!r->present) {
			snprintf(why, why_size, "lookup %s: present",
				 key_name[k]);
			return 1;
		}
		if (len != r->len || memcmp(buf, r->value, len)) {
			snprintf(why, why_size,
				 "lookup %s: %zu bytes, not the %zu expected%s",
				 key_name[k], len, r->len,
				 len == r->len ? " (torn or old)" : "");
			return 1;
		}
	}
	ret = etsmgr_set_foreach(set, walk_check, &w);
	if (ret) {
		snprintf(why, why_size, "foreach %d: %s", ret, w.why);
		return 1;
	}
	if (w.records != s->count) {
		snprintf(why, why_size, "foreach: %u records, not %u",
			 w.records, s->count);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* A region with the baseline, and its two mappings                   */
/* ------------------------------------------------------------------ */

struct region {
	int fd;
	size_t size;
	unsigned char *mem;	/* read-write */
	void *ro_mem;		/* PROT_READ */
	struct etsmgr_set *rw;
	struct etsmgr_set *ro;
};

static int region_make(struct region *g, const struct state *base)
{
	memset(g, 0, sizeof(*g));
	g->size = (etsmgr_set_region_size(CAPACITY, KEY_MAX, VALUE_MAX) +
		   PAGE - 1) / PAGE * PAGE;
	g->fd = memfd_create("records_points_test", MFD_CLOEXEC);
	if (g->fd < 0 || ftruncate(g->fd, (off_t)g->size))
		return -1;
	g->mem = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->fd, 0);
	g->ro_mem = mmap(NULL, g->size, PROT_READ, MAP_SHARED, g->fd, 0);
	if (g->mem == MAP_FAILED || g->ro_mem == MAP_FAILED)
		return -1;
	if (etsmgr_set_format(g->mem, g->size, CAPACITY, KEY_MAX, VALUE_MAX,
			      0) ||
	    etsmgr_set_open(g->mem, g->size, 0, &g->rw) ||
	    etsmgr_set_open(g->ro_mem, g->size, ETSMGR_SET_RDONLY, &g->ro))
		return -1;
	for (int k = 0; k < NKEYS; k++) {
		if (base->r[k].present && insert_rec(g->rw, base, k))
			return -1;
	}
	return 0;
}

static void region_free(struct region *g)
{
	etsmgr_set_close(g->ro);
	etsmgr_set_close(g->rw);
	if (g->ro_mem && g->ro_mem != MAP_FAILED)
		munmap(g->ro_mem, g->size);
	if (g->mem && g->mem != MAP_FAILED)
		munmap(g->mem, g->size);
	if (g->fd > 0)
		close(g->fd);
}

static uint32_t lock_word(const struct region *g)
{
	return __atomic_load_n((uint32_t *)(g->mem + LOCK_WORD_OFFSET),
			       __ATOMIC_ACQUIRE);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ */
/* The operations, and the child that crashes in one                   */
/* ------------------------------------------------------------------ */

enum op {
	OP_INSERT_NEW,		/* insert of a new key */
	OP_INSERT_REPLACE,	/* insert over an existing key */
	OP_REPLACE_COUNTER,	/* insert over an existing counter */
	OP_DELETE,
	OP_DELETE_COUNTER,
	OP_COUNTER_CREATE,	/* update_counter creating its key */
	OP_COUNTER_EXISTING,	/* update_counter on a key: lock-free */
	OP_COUNTER_ADD,		/* etsmgr_counter_add() through a handle */
	OP_RECOVER,		/* etsmgr_set_recover() of a dirty set */
};

#define COUNTER_INITIAL	10
#define COUNTER_INC	5
#define COUNTER_REPLACED 999

/* What the child reports, in shared memory. */
struct report {
	int ret;
	int64_t result;
	uint32_t stores;	/* seen by the hook */
};

static struct report *report;
static uint32_t crash_at;	/* 0: never */
static uint32_t stores_seen;

static void crash_hook(enum etsmgr_set_point point)
{
	if (point != ETSMGR_SET_POINT_STORE)
		return;
	report->stores = ++stores_seen;
	if (stores_seen == crash_at)
		kill(getpid(), SIGKILL);
}

/* @s with @op applied (the state after the operation completed). */
static void apply(struct state *s, enum op op)
{
	switch (op) {
	case OP_INSERT_NEW:
		set_blob(s, NEW_BLOB, 0);
		break;
	case OP_INSERT_REPLACE:
		set_blob(s, BLOB1, 1);
		break;
	case OP_REPLACE_COUNTER:
		set_counter(s, CTR1, COUNTER_REPLACED);
		break;
	case OP_DELETE:
		remove_key(s, BLOB2);
		break;
	case OP_DELETE_COUNTER:
		remove_key(s, CTR1);
		break;
	case OP_COUNTER_CREATE:
		set_counter(s, NEW_CTR, COUNTER_INITIAL + COUNTER_INC);
		break;
	case OP_COUNTER_EXISTING:
		set_counter(s, CTR1, counter_of(s, CTR1) + COUNTER_INC);
		break;
	case OP_COUNTER_ADD:
		set_counter(s, CTR0, counter_of(s, CTR0) + COUNTER_INC);
		break;
	case OP_RECOVER:
		break;
	}
}

static int do_op(struct etsmgr_set *set, enum op op,
		 struct etsmgr_counter_ref *ref, int64_t *result)
{
	struct state next;
	const int64_t initial = COUNTER_INITIAL;

	baseline(&next);
	apply(&next, op);
	switch (op) {
	case OP_INSERT_NEW:
		return insert_rec(set, &next, NEW_BLOB);
	case OP_INSERT_REPLACE:
		return insert_rec(set, &next, BLOB1);
	case OP_REPLACE_COUNTER:
		return insert_rec(set, &next, CTR1);
	case OP_DELETE:
		return etsmgr_set_delete(set, key_name[BLOB2],
					 strlen(key_name[BLOB2]));
	case OP_DELETE_COUNTER:
		return etsmgr_set_delete(set, key_name[CTR1],
					 strlen(key_name[CTR1]));
	case OP_COUNTER_CREATE:
		return etsmgr_set_update_counter(set, key_name[NEW_CTR],
						 strlen(key_name[NEW_CTR]),
						 COUNTER_INC, &initial,
						 result);
	case OP_COUNTER_EXISTING:
		/* No initial: it must find the key, not create it. */
		return etsmgr_set_update_counter(set, key_name[CTR1],
						 strlen(key_name[CTR1]),
						 COUNTER_INC, NULL, result);
	case OP_COUNTER_ADD:
		return etsmgr_counter_add(ref, COUNTER_INC, result);
	case OP_RECOVER:
		return etsmgr_set_recover(set);
	}
	return -ENOSYS;
}

/*
 * Fork a child that runs @op on @g and SIGKILLs itself at its @n-th store
 * (never when @n is 0). Its status into *@status; true when it completed
 * (exited 0, its return value in report->ret).
 */
static bool run_child(struct region *g, enum op op,
		      struct etsmgr_counter_ref *ref, uint32_t n, int *status)
{
	pid_t pid;

	memset(report, 0, sizeof(*report));
	report->ret = -12345;
	pid = fork();
	if (pid < 0) {
		*status = -1;
		return false;
	}
	if (pid == 0) {
		int64_t result = 0;
		int ret;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		crash_at = n;
		stores_seen = 0;
		etsmgr_set_test_hook = crash_hook;
		ret = do_op(g->rw, op, ref, &result);
		etsmgr_set_test_hook = NULL;
		report->ret = ret;
		report->result = result;
		_exit(0);
	}
	if (waitpid(pid, status, 0) != pid)
		*status = -1;
	return WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

static bool killed(int status)
{
	return status != -1 && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGKILL;
}

/* ------------------------------------------------------------------ */
/* CRASH_AT(n) for every n, per operation                              */
/* ------------------------------------------------------------------ */

FIXTURE(points) {
	struct state base;
};

FIXTURE_VARIANT(points) {
	enum op op;
	bool lock_free;		/* must never take the writers' lock */
};

FIXTURE_VARIANT_ADD(points, insert_new) {
	.op = OP_INSERT_NEW,
};

FIXTURE_VARIANT_ADD(points, insert_replace) {
	.op = OP_INSERT_REPLACE,
};

FIXTURE_VARIANT_ADD(points, insert_replace_counter) {
	.op = OP_REPLACE_COUNTER,
};

FIXTURE_VARIANT_ADD(points, delete) {
	.op = OP_DELETE,
};

FIXTURE_VARIANT_ADD(points, delete_counter) {
	.op = OP_DELETE_COUNTER,
};

FIXTURE_VARIANT_ADD(points, update_counter_create) {
	.op = OP_COUNTER_CREATE,
};

FIXTURE_VARIANT_ADD(points, update_counter_existing) {
	.op = OP_COUNTER_EXISTING,
	.lock_free = true,
};

FIXTURE_VARIANT_ADD(points, counter_add) {
	.op = OP_COUNTER_ADD,
	.lock_free = true,
};

FIXTURE_VARIANT_ADD(points, recover_dirty) {
	.op = OP_RECOVER,
};

FIXTURE_SETUP(points)
{
	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, report);
	baseline(&self->base);
}

FIXTURE_TEARDOWN(points)
{
	munmap(report, sizeof(*report));
}

/*
 * One round: a fresh set holding @before (made dirty first by a replace
 * of counter ctr-1 killed at its @spoil_at-th store, when @spoil_at is not
 * 0: a counter, so that a record left frozen would show: adds to it fail),
 * then @op killed at its @n-th store. Checks everything; returns true
 * when the operation completed, and *@failed when a check failed.
 */
static bool crash_round(struct __test_metadata *_metadata,
			const FIXTURE_VARIANT(points) *variant,
			const struct state *base, uint32_t spoil_at,
			uint32_t n, bool *spoiler_completed, bool *failed)
{
	struct state before = *base, after, visible, further;
	struct etsmgr_counter_ref ref, old_ref;
	bool completed, new_visible, touches_ctr1;
	int status, ret, expect_recover;
	uint32_t word;
	uint64_t count;
	int64_t result;
	char why[192];
	struct region g;
	int exit_code = _metadata->exit_code;

	*failed = true;
	if (region_make(&g, base)) {
		region_free(&g);
		ASSERT_TRUE(false) TH_LOG("cannot make the set: %m");
	}
	if (spoil_at) {
		/* A replace killed at a store: old or new value, dirty. */
		*spoiler_completed = run_child(&g, OP_REPLACE_COUNTER, NULL,
					       spoil_at, &status);
		ASSERT_TRUE(*spoiler_completed || killed(status))
			TH_LOG("spoiler at %u: status %#x", spoil_at, status);
		after = before;
		apply(&after, OP_REPLACE_COUNTER);
		if (check_state(g.ro, &after, why, sizeof(why)) == 0) {
			before = after;
		} else {
			ASSERT_EQ(0, check_state(g.ro, &before, why,
						 sizeof(why)))
				TH_LOG("spoiler at %u: %s", spoil_at, why);
		}
	}
	if (variant->op == OP_COUNTER_ADD) {
		ASSERT_EQ(0, etsmgr_set_counter_ref(g.rw, key_name[CTR0],
						    strlen(key_name[CTR0]),
						    &ref));
	}
	/* A handle on the counter the operation replaces or deletes. */
	touches_ctr1 = variant->op == OP_REPLACE_COUNTER ||
		       variant->op == OP_DELETE_COUNTER;
	if (touches_ctr1) {
		ASSERT_EQ(0, etsmgr_set_counter_ref(g.rw, key_name[CTR1],
						    strlen(key_name[CTR1]),
						    &old_ref));
	}
	word = lock_word(&g);
	expect_recover = word ? 1 : 0;

	completed = run_child(&g, variant->op, &ref, n, &status);
	ASSERT_TRUE(completed || killed(status))
		TH_LOG("n=%u: child status %#x", n, status);
	after = before;
	apply(&after, variant->op);
	if (completed) {
		int expect = variant->op == OP_RECOVER ? expect_recover : 0;

		EXPECT_EQ(expect, report->ret) TH_LOG("n=%u", n);
		if (variant->op == OP_COUNTER_CREATE)
			EXPECT_EQ(COUNTER_INITIAL + COUNTER_INC,
				  report->result);
		if (variant->op == OP_COUNTER_EXISTING)
			EXPECT_EQ(counter_of(&after, CTR1), report->result);
		if (variant->op == OP_COUNTER_ADD)
			EXPECT_EQ(counter_of(&after, CTR0), report->result);
	}

	/* Before any repair, through the read-only mapping. */
	new_visible = check_state(g.ro, &after, why, sizeof(why)) == 0;
	if (completed) {
		EXPECT_TRUE(new_visible)
			TH_LOG("n=%u: completed, not visible: %s", n, why);
	} else if (!new_visible) {
		EXPECT_EQ(0, check_state(g.ro, &before, why, sizeof(why)))
			TH_LOG("n=%u (spoiler %u), before recovery: neither "
			       "state: %s", n, spoil_at, why);
	}
	visible = new_visible ? after : before;
	count = etsmgr_set_count(g.ro);
	EXPECT_TRUE(count + 1 >= visible.count && count <= visible.count + 1)
		TH_LOG("n=%u: count %llu, %u records", n,
		       (unsigned long long)count, visible.count);

	/* Did it die holding the lock? Then recovery has work. */
	word = lock_word(&g);
	if (variant->lock_free) {
		EXPECT_EQ(0, word) TH_LOG("n=%u: a lock-free op locked", n);
	}
	if (completed) {
		EXPECT_EQ(0, word) TH_LOG("n=%u: completed, lock held", n);
	}
	ret = etsmgr_set_recover(g.rw);
	EXPECT_EQ(word ? 1 : 0, ret)
		TH_LOG("n=%u: recover, lock word %#x", n, word);
	EXPECT_EQ(0, check_state(g.rw, &visible, why, sizeof(why)))
		TH_LOG("n=%u (spoiler %u), after recovery: %s", n, spoil_at,
		       why);
	EXPECT_EQ(visible.count, etsmgr_set_count(g.rw)) TH_LOG("n=%u", n);
	EXPECT_EQ(0, etsmgr_set_recover(g.rw)) TH_LOG("n=%u", n);

	/*
	 * The handle from before: stale once the replace or delete is
	 * visible; otherwise it may count on the record it names, and
	 * nowhere else.
	 */
	if (touches_ctr1) {
		ret = etsmgr_counter_add(&old_ref, 1, &result);
		if (new_visible) {
			EXPECT_EQ(-ESTALE, ret) TH_LOG("n=%u", n);
		} else {
			EXPECT_TRUE(ret == 0 || ret == -ESTALE)
				TH_LOG("n=%u: %d", n, ret);
		}
		if (ret == 0)
			set_counter(&visible, CTR1,
				    counter_of(&visible, CTR1) + 1);
		EXPECT_EQ(0, check_state(g.ro, &visible, why, sizeof(why)))
			TH_LOG("n=%u, after an add by the old handle: %s", n,
			       why);
	}

	/*
	 * A further write works: a new key, and an add to every counter (none
	 * may be left frozen: the lock-free add would fail, or go to the lock
	 * and find it corrupt).
	 */
	further = visible;
	set_blob(&further, FURTHER, 7);
	EXPECT_EQ(0, insert_rec(g.rw, &further, FURTHER)) TH_LOG("n=%u", n);
	for (int k = CTR0; k <= NEW_CTR; k++) {
		if (k == NEW_BLOB || !further.r[k].present)
			continue;
		result = 0;
		EXPECT_EQ(0, etsmgr_set_update_counter(g.rw, key_name[k],
						       strlen(key_name[k]), 1,
						       NULL, &result))
			TH_LOG("n=%u (spoiler %u): add to %s", n, spoil_at,
			       key_name[k]);
		set_counter(&further, k, counter_of(&visible, k) + 1);
		EXPECT_EQ(counter_of(&further, k), result);
	}
	EXPECT_EQ(0, check_state(g.ro, &further, why, sizeof(why)))
		TH_LOG("n=%u, after a further write: %s", n, why);
	EXPECT_EQ(further.count, etsmgr_set_count(g.ro));

	region_free(&g);
	*failed = _metadata->exit_code != exit_code;
	return completed;
}

/* Crash @op at each of its stores in turn; the number of points. */
static uint32_t crash_every_point(struct __test_metadata *_metadata,
				  const FIXTURE_VARIANT(points) *variant,
				  const struct state *base, uint32_t spoil_at,
				  bool *spoiler_completed)
{
	bool failed = false, spoiled;

	for (uint32_t n = 1; n <= MAX_POINTS; n++) {
		bool done = crash_round(_metadata, variant, base, spoil_at, n,
					&spoiled, &failed);

		if (spoiler_completed && n == 1)
			*spoiler_completed = spoiled;
		if (failed)
			return 0;
		if (done) {
			/* At least one store, each a crash point. */
			EXPECT_LT(1, n) TH_LOG("no store point at all");
			return n - 1;
		}
	}
	ASSERT_TRUE(false) TH_LOG("more than %u store points", MAX_POINTS);
	return 0;
}

TEST_F_TIMEOUT(points, crash_at_every_store_is_all_or_nothing, 600)
{
	double t0 = now_ms();
	uint32_t points, rounds = 0;

	if (variant->op != OP_RECOVER) {
		points = crash_every_point(_metadata, variant, &self->base, 0,
					   NULL);
		TH_LOG("%u store points, each crashed at and checked "
		       "(%.0f ms)", points, now_ms() - t0);
		return;
	}
	/*
	 * The dirty set: a replace killed at its k-th store, for every k;
	 * then the recovery killed at each of its stores.
	 */
	for (uint32_t k = 1; k <= MAX_POINTS; k++) {
		bool spoiler_completed = false;

		points = crash_every_point(_metadata, variant, &self->base, k,
					   &spoiler_completed);
		if (!points)
			return;
		rounds += points + 1;
		if (spoiler_completed) {
			TH_LOG("recovery crashed at each store after a counter's "
			       "replace killed at each of its %u stores: %u rounds "
			       "(%.0f ms)", k - 1, rounds, now_ms() - t0);
			EXPECT_LT(1, k);
			return;
		}
	}
	ASSERT_TRUE(false) TH_LOG("the replace has more than %u stores",
				  MAX_POINTS);
}

/* ------------------------------------------------------------------ */
/* A writer killed holding the lock is taken over at once               */
/* ------------------------------------------------------------------ */

FIXTURE(holder) {
	struct state base;
	struct state visible;	/* base, or base with the replace */
	struct region g;
	uint32_t lock_word;
	pid_t pid;		/* the killed writer, still unreaped */
};

FIXTURE_VARIANT(holder) {
	bool reap;		/* else the holder stays a zombie */
};

FIXTURE_VARIANT_ADD(holder, reaped) {
	.reap = true,
};

FIXTURE_VARIANT_ADD(holder, zombie) {
	.reap = false,
};

/*
 * A set whose writer was SIGKILLed in the middle of an insert (replacing
 * blob-1, at half its stores), holding the lock; reaped or left a zombie.
 */
FIXTURE_SETUP(holder)
{
	uint32_t total;
	siginfo_t info;
	char why[192];
	int status;

	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, report);
	baseline(&self->base);
	/* How many stores a whole insert makes. */
	ASSERT_EQ(0, region_make(&self->g, &self->base));
	ASSERT_TRUE(run_child(&self->g, OP_INSERT_REPLACE, NULL, 0, &status));
	ASSERT_EQ(0, report->ret);
	total = report->stores;
	ASSERT_LT(4, total);
	region_free(&self->g);

	ASSERT_EQ(0, region_make(&self->g, &self->base));
	memset(report, 0, sizeof(*report));
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		int64_t result;

		crash_at = total / 2;
		stores_seen = 0;
		etsmgr_set_test_hook = crash_hook;
		do_op(self->g.rw, OP_INSERT_REPLACE, NULL, &result);
		_exit(0);
	}
	/* Wait for its death; reap it only if asked. */
	ASSERT_EQ(0, waitid(P_PID, (id_t)self->pid, &info,
			    WEXITED | (variant->reap ? 0 : WNOWAIT)));
	ASSERT_EQ(CLD_KILLED, info.si_code);
	if (variant->reap)
		self->pid = 0;
	self->lock_word = lock_word(&self->g);
	/* It died holding the lock (the precondition of these tests). */
	ASSERT_NE(0, self->lock_word);
	self->visible = self->base;
	apply(&self->visible, OP_INSERT_REPLACE);
	if (check_state(self->g.ro, &self->visible, why, sizeof(why)))
		self->visible = self->base;
	ASSERT_EQ(0, check_state(self->g.ro, &self->visible, why,
				 sizeof(why))) TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(holder)
{
	if (self->pid > 0)
		waitpid(self->pid, NULL, 0);
	region_free(&self->g);
	munmap(report, sizeof(*report));
}

/* Well under ETSMGR_SET_LOCK_TIMEOUT_MS: no waiting for a timeout. */
#define TAKEOVER_MS	1000.0

TEST_F(holder, recover_takes_the_lock_over_at_once_and_returns_1)
{
	struct etsmgr_set_info info;
	double t0, ms;
	char why[192];
	int ret;

	t0 = now_ms();
	ret = etsmgr_set_recover(self->g.rw);
	ms = now_ms() - t0;
	EXPECT_EQ(1, ret);
	EXPECT_LT(ms, TAKEOVER_MS);
	TH_LOG("recovered in %.3f ms (lock word was %#x)", ms,
	       self->lock_word);
	EXPECT_EQ(0, lock_word(&self->g));
	ASSERT_EQ(0, etsmgr_set_info(self->g.rw, &info));
	EXPECT_EQ(1, info.recoveries);
	EXPECT_EQ(0, check_state(self->g.rw, &self->visible, why,
				 sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(BASELINE_RECORDS, etsmgr_set_count(self->g.rw));
	EXPECT_EQ(0, etsmgr_set_recover(self->g.rw));
}

TEST_F(holder, next_insert_takes_the_lock_over_at_once)
{
	struct etsmgr_set_info info;
	struct state after = self->visible;
	double t0, ms;
	char why[192];
	int ret;

	set_blob(&after, FURTHER, 1);
	t0 = now_ms();
	ret = insert_rec(self->g.rw, &after, FURTHER);
	ms = now_ms() - t0;
	EXPECT_EQ(0, ret);
	EXPECT_LT(ms, TAKEOVER_MS);
	TH_LOG("insert took the lock over in %.3f ms", ms);
	ASSERT_EQ(0, etsmgr_set_info(self->g.rw, &info));
	EXPECT_EQ(1, info.recoveries);
	EXPECT_EQ(0, check_state(self->g.ro, &after, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(after.count, etsmgr_set_count(self->g.rw));
	/* The insert repaired the set: nothing is left to recover. */
	EXPECT_EQ(0, etsmgr_set_recover(self->g.rw));
}

/*
 * Lock-free adds going on while writers die in mid-operation (each
 * killed at a store picked at random) and their leftovers are repaired
 * (by etsmgr_set_recover() or by the next writer): no add that returned
 * 0 is lost, none is counted twice, and no handle goes stale (only the
 * blobs are written; the counters are never replaced).
 */
#define ADDERS 2

struct adds {
	int stop;
	int ready;
	uint64_t by_key[ADDERS];	/* update_counter on ctr-<i> */
	uint64_t by_handle[ADDERS];	/* counter_add on ctr-0 + ctr-1 */
	int bad_ret[ADDERS];
};

static void adder_main(struct region *g, struct adds *a, int id)
{
	struct etsmgr_counter_ref ref;
	const char *own = key_name[CTR0 + id], *common = key_name[NEW_CTR];
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (etsmgr_set_counter_ref(g->rw, common, strlen(common), &ref))
		_exit(2);
	__atomic_add_fetch(&a->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		ret = etsmgr_set_update_counter(g->rw, own, strlen(own), 1,
						NULL, NULL);
		if (ret)
			a->bad_ret[id] = ret;
		else
			a->by_key[id]++;
		ret = etsmgr_counter_add(&ref, 1, NULL);
		if (ret)
			a->bad_ret[id] = ret;
		else
			a->by_handle[id]++;
	}
	_exit(0);
}

TEST(lock_free_adds_survive_killed_writers_and_recoveries)
{
	static const enum op ops[] = {
		OP_INSERT_NEW, OP_INSERT_REPLACE, OP_DELETE,
	};
	uint64_t rounds = 0, killed_rounds = 0;
	const int64_t zero = 0;
	struct etsmgr_set_info info;
	struct state base;
	struct region g;
	struct adds *a;
	pid_t adders[ADDERS];
	double deadline = now_ms() + 1500;
	int64_t n;

	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, report);
	ASSERT_NE(MAP_FAILED, a);
	baseline(&base);
	ASSERT_EQ(0, region_make(&g, &base));
	ASSERT_EQ(0, etsmgr_set_update_counter(g.rw, key_name[NEW_CTR],
					       strlen(key_name[NEW_CTR]), 0,
					       &zero, NULL));
	for (int i = 0; i < ADDERS; i++) {
		adders[i] = fork();
		ASSERT_LE(0, adders[i]);
		if (adders[i] == 0)
			adder_main(&g, a, i);
	}
	while (__atomic_load_n(&a->ready, __ATOMIC_ACQUIRE) < ADDERS)
		usleep(100);

	srandom(7);
	while (now_ms() < deadline) {
		enum op op = ops[random() % 3];
		int status;

		rounds++;
		/* Most writes die at a store; some complete. */
		if (!run_child(&g, op, NULL, 1 + (uint32_t)(random() % 30),
			       &status)) {
			ASSERT_TRUE(killed(status));
			killed_rounds++;
		}
		/* Repaired by recover(), or by the next writer. */
		if (random() % 2) {
			ASSERT_LE(0, etsmgr_set_recover(g.rw));
		}
	}
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < ADDERS; i++) {
		int status;

		ASSERT_EQ(adders[i], waitpid(adders[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		EXPECT_EQ(0, a->bad_ret[i]) TH_LOG("adder %d", i);
	}
	ASSERT_LE(0, etsmgr_set_recover(g.rw));
	ASSERT_EQ(0, etsmgr_set_info(g.rw, &info));
	TH_LOG("%llu writes (%llu killed), %llu recoveries; adds: %llu + %llu "
	       "by key, %llu + %llu by handle",
	       (unsigned long long)rounds, (unsigned long long)killed_rounds,
	       (unsigned long long)info.recoveries,
	       (unsigned long long)a->by_key[0],
	       (unsigned long long)a->by_key[1],
	       (unsigned long long)a->by_handle[0],
	       (unsigned long long)a->by_handle[1]);
	EXPECT_LT(0, killed_rounds);
	EXPECT_LT(0, info.recoveries);
	for (int i = 0; i < ADDERS; i++) {
		ASSERT_EQ(0, etsmgr_set_lookup(g.rw, key_name[CTR0 + i],
					       strlen(key_name[CTR0 + i]), &n,
					       sizeof(n), NULL));
		EXPECT_EQ(counter_of(&base, CTR0 + i) + (int64_t)a->by_key[i],
			  n) TH_LOG("%s", key_name[CTR0 + i]);
	}
	ASSERT_EQ(0, etsmgr_set_lookup(g.rw, key_name[NEW_CTR],
				       strlen(key_name[NEW_CTR]), &n, sizeof(n),
				       NULL));
	EXPECT_EQ((int64_t)(a->by_handle[0] + a->by_handle[1]), n);
	region_free(&g);
	munmap(a, sizeof(*a));
	munmap(report, sizeof(*report));
}

/*
 * The same with a holder made by _Fork(), which runs no pthread_atfork()
 * handlers (a child of fork(2) by a raw clone is alike): it must still
 * record its own tid in the lock word, so that its death is noticed at
 * once, not judged by the (live) parent's tid until the lock times out.
 */
TEST(holder_made_by__Fork_is_taken_over_at_once)
{
	struct state base;
	struct region g;
	double t0, ms;
	siginfo_t info;
	uint32_t word;
	pid_t pid;
	int ret;

	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, report);
	baseline(&base);
	ASSERT_EQ(0, region_make(&g, &base));
	/* This process has taken the lock before (it wrote the baseline). */
	pid = _Fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int64_t result;

		crash_at = 5;	/* holding the lock */
		stores_seen = 0;
		etsmgr_set_test_hook = crash_hook;
		do_op(g.rw, OP_INSERT_NEW, NULL, &result);
		_exit(0);
	}
	ASSERT_EQ(0, waitid(P_PID, (id_t)pid, &info, WEXITED));
	ASSERT_EQ(CLD_KILLED, info.si_code);
	word = lock_word(&g);
	ASSERT_NE(0, word);
	EXPECT_EQ((uint32_t)pid, word & 0x3fffffffu)
		TH_LOG("lock word %#x: the child is %d, this process %d",
		       word, pid, getpid());
	t0 = now_ms();
	ret = etsmgr_set_recover(g.rw);
	ms = now_ms() - t0;
	EXPECT_EQ(1, ret);
	EXPECT_LT(ms, TAKEOVER_MS) TH_LOG("recover: %d after %.0f ms", ret, ms);
	region_free(&g);
	munmap(report, sizeof(*report));
}

TEST_HARNESS_MAIN
