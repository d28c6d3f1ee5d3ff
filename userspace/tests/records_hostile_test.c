// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile writer of the region, and forged writers' locks: what
 * etsmgr_records.h promises about them, host side, no module, no hooks.
 *
 * daemon_survives_a_hostile_writer: a child writes random bytes at random
 * offsets of a live set (the header's lock and counters, the buckets, the
 * slots; now and then the geometry too) while another child, the
 * "daemon", keeps counting (update_counter, counter handles), inserting,
 * deleting, looking up, walking, recovering and opening. The daemon maps
 * the set between PROT_NONE guard pages and must not crash (it exits, not
 * by a signal), not hang (an alarm() watchdog around every call; each
 * call returns within the lock's timeout + 2 s), get only 0 or the errors
 * documented for each function, and keep its canaries (memory of its own,
 * and the bytes of the mapping after the set) intact. When its set is
 * corrupt beyond repair (-EUCLEAN from etsmgr_set_recover()) the daemon
 * formats it again, as an owner would. A summary of the results is
 * printed. RECORDS_HOSTILE_SECONDS (default 2) is how long it runs;
 * RECORDS_HOSTILE_SEED makes the hostile bytes reproducible.
 *
 * The lock tests forge the writers' lock in the header. The layout
 * (records.c, struct set_lock, layout version 2): at 128 the futex word
 * (holder's tid | 0x80000000 when there are waiters), then holder_tid,
 * holder_tgid, dirty (u32 each), holder_pidns and holder_start (u64).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "etsmgr_records.h"
#include "kselftest_harness.h"

#define PAGE		4096
#define CAPACITY	64
#define KEY_MAX		24
#define VALUE_MAX	48
#define NCOUNTERS	4
#define NBLOBS		80	/* more than the capacity: -ENOSPC too */

/* Header offsets (records.c, layout version 2). */
#define OFF_NSLOTS		24
#define OFF_NBUCKETS		28
#define OFF_SLOT_SIZE		40
#define OFF_BUCKETS		48
#define OFF_SLOTS		56
#define OFF_MUTABLE		88	/* count, retirements, free list... */
#define OFF_LOCK_WORD		128
#define OFF_HOLDER_TID		132
#define OFF_HOLDER_TGID		136
#define OFF_LOCK_DIRTY		140
#define OFF_HOLDER_PIDNS	144
#define OFF_HOLDER_START	152
#define OFF_LOCK_END		192

#define TIMEOUT_MS	ETSMGR_SET_LOCK_TIMEOUT_MS
/* Bounds: the lock's timeout and 2 s more; the watchdog a second more. */
#define CALL_MAX_MS	(TIMEOUT_MS + 2000.0)
#define WATCHDOG_S	((TIMEOUT_MS + 999) / 1000 + 3)
/* Well under the timeout: a lock taken over without waiting for it. */
#define TAKEOVER_MS	1000.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x;

	rng_state += 0x9e3779b97f4a7c15ull;
	x = rng_state;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static size_t pages_for(uint64_t bytes)
{
	return (bytes + PAGE - 1) / PAGE * PAGE;
}

static uint32_t load32(const unsigned char *mem, size_t off)
{
	return __atomic_load_n((const uint32_t *)(mem + off), __ATOMIC_RELAXED);
}

static uint64_t load64(const unsigned char *mem, size_t off)
{
	return __atomic_load_n((const uint64_t *)(mem + off), __ATOMIC_RELAXED);
}

static void store32(unsigned char *mem, size_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(mem + off), v, __ATOMIC_RELEASE);
}

static void store64(unsigned char *mem, size_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)(mem + off), v, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* The hostile writer                                                  */
/* ------------------------------------------------------------------ */

struct geometry {
	size_t region;		/* bytes of set: the writer stays below */
	uint32_t nslots;
	uint32_t nbuckets;
	uint32_t slot_size;
	uint64_t buckets;
	uint64_t slots;
};

/* @n random bytes at @off (an aligned store when @n is 4 or 8). */
static void scribble(unsigned char *mem, size_t off, size_t n)
{
	uint64_t v = rnd();

	if (n == 8 && !(off & 7))
		store64(mem, off, v);
	else if (n == 4 && !(off & 3))
		store32(mem, off, (uint32_t)v);
	else
		for (size_t i = 0; i < n; i++)
			__atomic_store_n(mem + off + i, (unsigned char)(v >> 8 * i),
					 __ATOMIC_RELAXED);
}

/* A value a hostile writer may like for a 64-bit field. */
static uint64_t plausible(const struct geometry *g, uint64_t old)
{
	switch (rnd() % 6) {
	case 0:
		return 0;
	case 1:
		return old + 1;
	case 2:
		return old - 1;
	case 3:		/* a link: slot index + 1, a small incarnation */
		return (rnd() % (g->nslots + 2)) << 39 | (rnd() % 8);
	case 4:
		return old ^ 1ull << (rnd() % 64);
	default:
		return rnd();
	}
}

/* One hostile store somewhere in the set. */
static void hostile_store(unsigned char *mem, const struct geometry *g)
{
	uint64_t r = rnd() % 1000, off;

	if (r < 10) {
		/* The lock word: released, or someone's (mostly dead) tid. */
		store32(mem, OFF_LOCK_WORD, rnd() % 3 ? 0 : (uint32_t)rnd());
	} else if (r < 40) {
		size_t n = 1 + rnd() % 8;

		off = OFF_HOLDER_TID + rnd() % (OFF_LOCK_END - OFF_HOLDER_TID);
		scribble(mem, off, n > OFF_LOCK_END - off ?
				   OFF_LOCK_END - off : n);
	} else if (r < 120) {
		/* count, retirements, free_head, free_tail, recoveries */
		off = OFF_MUTABLE + 8 + 8 * (rnd() % 5);
		store64(mem, off, plausible(g, load64(mem, off)));
	} else if (r < 122) {
		/* The geometry: an open handle never reads it again. */
		scribble(mem, 8 + rnd() % (OFF_MUTABLE - 8), 1);
	} else if (r < 400) {
		off = g->buckets + 8 * (rnd() % g->nbuckets);
		store64(mem, off, plausible(g, load64(mem, off)));
	} else if (r < 700) {
		/* A slot's header field: word, counter, next, hash, lengths */
		off = g->slots + (uint64_t)g->slot_size * (rnd() % g->nslots);
		if (rnd() % 4 == 0) {
			store64(mem, off, load64(mem, off) | 1ull << 63);
		} else {
			off += 8 * (rnd() % 6);
			store64(mem, off, plausible(g, load64(mem, off)));
		}
	} else {
		off = g->slots + rnd() % (g->region - g->slots - 8);
		scribble(mem, off, 1 + rnd() % 8);
	}
}

/* Scribble over the set at @fd until killed. */
static void hostile_main(int fd, size_t map_size, const struct geometry *g,
			 uint64_t seed)
{
	unsigned char *mem = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mem == MAP_FAILED)
		_exit(2);
	rng_state = seed;
	for (;;) {
		unsigned int burst = 1 + rnd() % 16;

		for (unsigned int i = 0; i < burst; i++)
			hostile_store(mem, g);
		usleep((useconds_t)(rnd() % 400));
	}
}

/* ------------------------------------------------------------------ */
/* The daemon                                                          */
/* ------------------------------------------------------------------ */

enum dop {
	D_UPDATE_COUNTER, D_UPDATE_EXISTING, D_COUNTER_REF, D_COUNTER_ADD,
	D_INSERT, D_DELETE, D_LOOKUP, D_FOREACH, D_COUNT, D_RECOVER, D_OPEN,
	D_FORMAT, NDOPS
};

static const char *const dop_name[NDOPS] = {
	"update_counter", "update_counter(no initial)", "counter_ref",
	"counter_add", "insert", "delete", "lookup", "foreach", "count/info",
	"recover", "open", "format(FORCE)",
};

/*
 * The results etsmgr_records.h documents for each call, given valid
 * arguments on a writable handle (no -EROFS; -EINVAL and -E2BIG only
 * where the contents, not the arguments, can cause them). 1: recover's
 * "a writer had died".
 */
static const int allowed[NDOPS][10] = {
	[D_UPDATE_COUNTER] = { 0, -EINVAL, -ENOSPC, -EUCLEAN, -EAGAIN,
			       -ETIMEDOUT, 1 },
	[D_UPDATE_EXISTING] = { 0, -ENOENT, -EINVAL, -ENOSPC, -EUCLEAN,
				-EAGAIN, -ETIMEDOUT, 1 },
	[D_COUNTER_REF] = { 0, -ENOENT, -EINVAL, -EUCLEAN, -EAGAIN, 1 },
	[D_COUNTER_ADD] = { 0, -ESTALE, 1 },
	[D_INSERT] = { 0, -ENOSPC, -EUCLEAN, -ETIMEDOUT, 1 },
	[D_DELETE] = { 0, -ENOENT, -EUCLEAN, -ETIMEDOUT, 1 },
	[D_LOOKUP] = { 0, -ENOENT, -ENOBUFS, -EUCLEAN, -EAGAIN, 1 },
	[D_FOREACH] = { 0, -ENOMEM, -EUCLEAN, -EAGAIN, 1 },
	[D_COUNT] = { 0, 1 },
	[D_RECOVER] = { 0, 1, -EUCLEAN, -ETIMEDOUT },
	[D_OPEN] = { 0, -ENODATA, -EPROTO, -EUCLEAN, -ERANGE, -ENOMEM, 1 },
	[D_FORMAT] = { 0, 1 },
};

/* -ret for errors, 0 for 0, NRESULTS - 1 for anything positive. */
#define NRESULTS	160

struct summary {
	uint64_t calls[NDOPS];
	uint64_t results[NDOPS][NRESULTS];
	double max_ms[NDOPS];
	uint64_t undocumented;
	uint64_t records_passed;	/* by foreach */
	uint64_t counted;		/* successful adds */
	int current;			/* the call in progress */
	bool canaries_ok;
	bool done;
	char why[256];			/* the first thing that went wrong */
};

static struct summary *sum;

static bool is_allowed(enum dop op, int ret)
{
	if (op == D_FOREACH && ret > 0)
		return false;		/* the callback never stops it */
	for (int i = 0; i < 10; i++) {
		if (allowed[op][i] == ret && (ret || i == 0))
			return true;
		if (!allowed[op][i] && i)
			break;
	}
	return false;
}

static void note_why(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void note_why(const char *fmt, ...)
{
	va_list ap;

	sum->undocumented++;
	if (sum->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(sum->why, sizeof(sum->why), fmt, ap);
	va_end(ap);
}

static double call_start;

static void begin(enum dop op)
{
	sum->current = op;
	alarm(WATCHDOG_S);
	call_start = now_ms();
}

static int end(enum dop op, int ret)
{
	double ms = now_ms() - call_start;

	alarm(0);
	sum->calls[op]++;
	sum->results[op][ret > 0 ? NRESULTS - 1 :
			 -ret < NRESULTS - 1 ? -ret : NRESULTS - 1]++;
	if (ms > sum->max_ms[op])
		sum->max_ms[op] = ms;
	if (!is_allowed(op, ret))
		note_why("%s returned %d", dop_name[op], ret);
	return ret;
}

static int check_walked(const void *key, size_t key_len, const void *value,
			size_t value_len, void *arg)
{
	const unsigned char *k = key, *v = value;
	unsigned int sink = 0;

	(void)arg;
	if (key_len > KEY_MAX || value_len > VALUE_MAX) {
		note_why("foreach passed %zu + %zu bytes", key_len, value_len);
		return 0;
	}
	/* Every byte is readable (ASan checks the copies' bounds). */
	for (size_t i = 0; i < key_len; i++)
		sink += k[i];
	for (size_t i = 0; i < value_len; i++)
		sink += v[i];
	__asm__ __volatile__("" : : "r"(sink));
	sum->records_passed++;
	return 0;
}

static size_t key_of(char *buf, bool counter, unsigned int i)
{
	return (size_t)snprintf(buf, KEY_MAX + 1, counter ? "ctr-%u" :
				"blob-%u-xxxxxxxx", i);
}

#define CANARY_BYTES	(64 * 1024)
static unsigned char canary_bss[CANARY_BYTES];

static void fill_canary(unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static bool canary_intact(const unsigned char *p, size_t n,
			  unsigned char seed)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != (unsigned char)(seed + i * 7))
			return false;
	}
	return true;
}

/* The bytes of the mapping after the set: nobody writes them. */
static bool tail_zero(const unsigned char *mem, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		if (mem[i])
			return false;
	}
	return true;
}

static void daemon_main(unsigned char *mem, size_t map_size, double seconds)
{
	struct etsmgr_counter_ref refs[NCOUNTERS];
	bool ref_ok[NCOUNTERS] = { false };
	unsigned char *canary_heap = malloc(CANARY_BYTES);
	unsigned char *buf = malloc(VALUE_MAX), value[VALUE_MAX];
	struct etsmgr_set *set = NULL, *other;
	struct etsmgr_set_info info;
	double deadline = now_ms() + seconds * 1e3;
	const int64_t zero = 0;
	char key[KEY_MAX + 1];
	int64_t result;
	size_t len;
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGALRM, SIG_DFL);
	if (!canary_heap || !buf)
		_exit(3);
	fill_canary(canary_heap, CANARY_BYTES, 0x5a);
	fill_canary(canary_bss, CANARY_BYTES, 0xa5);
	rng_state ^= 0x1234567;

	while (now_ms() < deadline) {
		unsigned int i = (unsigned int)(rnd() % NCOUNTERS);
		uint64_t r = rnd() % 100;

		if (!set) {
			/* Format again (the set was beyond repair). */
			begin(D_FORMAT);
			end(D_FORMAT, etsmgr_set_format(mem, map_size, CAPACITY,
							KEY_MAX, VALUE_MAX,
							ETSMGR_SET_FORCE));
			begin(D_OPEN);
			end(D_OPEN, etsmgr_set_open(mem, map_size, 0, &set));
			memset(ref_ok, 0, sizeof(ref_ok));
			continue;
		}
		if (r < 25) {
			begin(D_UPDATE_COUNTER);
			ret = end(D_UPDATE_COUNTER,
				  etsmgr_set_update_counter(set, key,
							    key_of(key, true, i),
							    1, &zero, &result));
			sum->counted += !ret;
		} else if (r < 30) {
			begin(D_UPDATE_EXISTING);
			ret = end(D_UPDATE_EXISTING,
				  etsmgr_set_update_counter(set, key,
							    key_of(key, true, i),
							    1, NULL, &result));
			sum->counted += !ret;
		} else if (r < 55) {
			if (!ref_ok[i]) {
				begin(D_COUNTER_REF);
				ret = end(D_COUNTER_REF,
					  etsmgr_set_counter_ref(set, key,
								 key_of(key, true, i),
								 &refs[i]));
				ref_ok[i] = !ret;
				if (ret)
					continue;
			}
			begin(D_COUNTER_ADD);
			ret = end(D_COUNTER_ADD,
				  etsmgr_counter_add(&refs[i], 1, &result));
			sum->counted += !ret;
			if (ret)
				ref_ok[i] = false;	/* take a new one */
		} else if (r < 70) {
			unsigned int b = (unsigned int)(rnd() % NBLOBS);

			memset(value, (int)b, sizeof(value));
			begin(D_INSERT);
			end(D_INSERT, etsmgr_set_insert(set, key,
							key_of(key, false, b),
							value,
							1 + rnd() % VALUE_MAX));
		} else if (r < 78) {
			unsigned int b = (unsigned int)(rnd() % NBLOBS);

			begin(D_DELETE);
			end(D_DELETE, etsmgr_set_delete(set, key,
							key_of(key, false, b)));
		} else if (r < 90) {
			bool counter = rnd() % 2;
			size_t size = rnd() % (VALUE_MAX + 1);
			/* The buffer ends where the allocation does. */
			unsigned char *dst = buf + VALUE_MAX - size;

			len = (size_t)-1;
			begin(D_LOOKUP);
			ret = end(D_LOOKUP,
				  etsmgr_set_lookup(set, key,
						    key_of(key, counter,
							   (unsigned int)(rnd() % NBLOBS)),
						    size ? dst : NULL, size,
						    &len));
			if ((ret == 0 || ret == -ENOBUFS) && len > VALUE_MAX)
				note_why("lookup: a value of %zu bytes", len);
			if (ret == 0 && size && len > size)
				note_why("lookup: 0 for %zu bytes into %zu",
					 len, size);
		} else if (r < 95) {
			begin(D_FOREACH);
			end(D_FOREACH, etsmgr_set_foreach(set, check_walked,
							  NULL));
		} else if (r < 97) {
			begin(D_COUNT);
			(void)etsmgr_set_count(set);
			end(D_COUNT, etsmgr_set_info(set, &info));
		} else if (r < 99) {
			begin(D_RECOVER);
			ret = end(D_RECOVER, etsmgr_set_recover(set));
			if (ret == -EUCLEAN) {
				/* Beyond repair: the owner formats again. */
				etsmgr_set_close(set);
				set = NULL;
			}
		} else {
			begin(D_OPEN);
			ret = end(D_OPEN, etsmgr_set_open(mem, map_size,
							  ETSMGR_SET_RDONLY,
							  &other));
			if (!ret)
				etsmgr_set_close(other);
		}
	}
	etsmgr_set_close(set);
	sum->canaries_ok = canary_intact(canary_heap, CANARY_BYTES, 0x5a) &&
			   canary_intact(canary_bss, CANARY_BYTES, 0xa5);
	free(canary_heap);
	free(buf);
	sum->done = true;
	_exit(0);
}

static double test_seconds(void)
{
	const char *env = getenv("RECORDS_HOSTILE_SECONDS");
	double s = env ? atof(env) : 2.0;

	if (s <= 0)
		s = 2.0;
	return s > 200 ? 200 : s;	/* within the test's timeout */
}

static uint64_t test_seed(void)
{
	const char *env = getenv("RECORDS_HOSTILE_SEED");

	if (env)
		return strtoull(env, NULL, 0);
	return (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
}

/* ------------------------------------------------------------------ */
/* A set mapped between guard pages                                    */
/* ------------------------------------------------------------------ */

FIXTURE(guarded) {
	int fd;
	size_t map_size;	/* the set's pages and one more */
	size_t region;		/* the set's bytes */
	unsigned char *reserve;	/* guard page, mapping, guard page */
	unsigned char *mem;
	struct etsmgr_set *set;
};

FIXTURE_SETUP(guarded)
{
	self->region = etsmgr_set_region_size(CAPACITY, KEY_MAX, VALUE_MAX);
	self->map_size = pages_for(self->region) + PAGE;
	self->fd = memfd_create("records_hostile_test", MFD_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ftruncate(self->fd, (off_t)self->map_size));
	self->reserve = mmap(NULL, self->map_size + 2 * PAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->reserve);
	self->mem = mmap(self->reserve + PAGE, self->map_size,
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 self->fd, 0);
	ASSERT_EQ(self->reserve + PAGE, self->mem);
	/* CAPACITY exactly, whatever the size of the mapping. */
	ASSERT_EQ(0, etsmgr_set_format(self->mem, self->map_size, CAPACITY,
				       KEY_MAX, VALUE_MAX, 0));
	ASSERT_EQ(0, etsmgr_set_open(self->mem, self->map_size, 0,
				     &self->set));
}

FIXTURE_TEARDOWN(guarded)
{
	etsmgr_set_close(self->set);
	munmap(self->reserve, self->map_size + 2 * PAGE);
	close(self->fd);
}

static void print_summary(struct __test_metadata *_metadata,
			  const struct summary *s)
{
	for (int op = 0; op < NDOPS; op++) {
		char line[512];
		size_t n = 0;

		if (!s->calls[op])
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      "%-27s %7llu calls, max %6.1f ms:",
				      dop_name[op],
				      (unsigned long long)s->calls[op],
				      s->max_ms[op]);
		for (int r = 0; r < NRESULTS && n < sizeof(line); r++) {
			const char *name;

			if (!s->results[op][r])
				continue;
			name = r == 0 ? "0" : r == NRESULTS - 1 ? ">0" :
			       strerrorname_np(r);
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      " %s %llu", name ? name : "?",
					      (unsigned long long)s->results[op][r]);
		}
		TH_LOG("%s", line);
	}
}

TEST_F_TIMEOUT(guarded, daemon_survives_a_hostile_writer, 300)
{
	double seconds = test_seconds();
	uint64_t seed = test_seed();
	struct geometry g;
	pid_t hostile, daemon;
	int status;

	TH_LOG("seed %#llx (RECORDS_HOSTILE_SEED), %.1f s "
	       "(RECORDS_HOSTILE_SECONDS)", (unsigned long long)seed, seconds);
	sum = mmap(NULL, sizeof(*sum), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sum);
	g.region = self->region;
	g.nslots = load32(self->mem, OFF_NSLOTS);
	g.nbuckets = load32(self->mem, OFF_NBUCKETS);
	g.slot_size = load32(self->mem, OFF_SLOT_SIZE);
	g.buckets = load64(self->mem, OFF_BUCKETS);
	g.slots = load64(self->mem, OFF_SLOTS);
	/* The layout is what this test believes it is. */
	ASSERT_LE(CAPACITY, g.nslots);
	ASSERT_LE(CAPACITY, g.nbuckets);
	ASSERT_EQ(256, g.buckets);
	ASSERT_LT(g.slots, g.region);
	ASSERT_EQ(g.region, g.slots + (uint64_t)g.nslots * g.slot_size);

	for (unsigned int i = 0; i < NCOUNTERS; i++) {
		char key[KEY_MAX + 1];
		int64_t zero = 0;

		ASSERT_EQ(0, etsmgr_set_update_counter(self->set, key,
						       key_of(key, true, i), 0,
						       &zero, NULL));
	}

	rng_state = seed;
	daemon = fork();
	ASSERT_LE(0, daemon);
	if (daemon == 0)
		daemon_main(self->mem, self->map_size, seconds);
	hostile = fork();
	ASSERT_LE(0, hostile);
	if (hostile == 0)
		hostile_main(self->fd, self->map_size, &g, seed);

	ASSERT_EQ(daemon, waitpid(daemon, &status, 0));
	kill(hostile, SIGKILL);
	waitpid(hostile, NULL, 0);

	print_summary(_metadata, sum);
	TH_LOG("%llu adds counted, %llu records walked",
	       (unsigned long long)sum->counted,
	       (unsigned long long)sum->records_passed);
	/* Neither crashed nor hung (the watchdog is SIGALRM). */
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("daemon: %s %d in %s", WIFSIGNALED(status) ?
		       "killed by signal" : "exit status",
		       WIFSIGNALED(status) ? WTERMSIG(status) :
		       WEXITSTATUS(status), dop_name[sum->current]);
	}
	EXPECT_TRUE(sum->done);
	EXPECT_EQ(0, sum->undocumented) TH_LOG("first: %s", sum->why);
	for (int op = 0; op < NDOPS; op++) {
		EXPECT_GE(CALL_MAX_MS, sum->max_ms[op])
			TH_LOG("%s took %.0f ms", dop_name[op], sum->max_ms[op]);
	}
	EXPECT_TRUE(sum->canaries_ok);
	EXPECT_TRUE(tail_zero(self->mem, self->region, self->map_size));
	EXPECT_LT(0, sum->counted);

	/* Formatted again, the region is a set like any other. */
	etsmgr_set_close(self->set);
	self->set = NULL;
	ASSERT_EQ(0, etsmgr_set_format(self->mem, self->map_size, CAPACITY,
				       KEY_MAX, VALUE_MAX, ETSMGR_SET_FORCE));
	ASSERT_EQ(0, etsmgr_set_open(self->mem, self->map_size, 0,
				     &self->set));
	EXPECT_EQ(0, etsmgr_set_insert(self->set, "k", 1, "v", 1));
	EXPECT_EQ(0, etsmgr_set_lookup(self->set, "k", 1, NULL, 0, NULL));
	EXPECT_EQ(1, etsmgr_set_count(self->set));
	EXPECT_EQ(0, etsmgr_set_recover(self->set));
	munmap(sum, sizeof(*sum));
}

/* ------------------------------------------------------------------ */
/* Forged locks                                                        */
/* ------------------------------------------------------------------ */

/* A set with a counter "c" = 5; the lock word and holder forged at will. */
FIXTURE(lock) {
	int fd;
	size_t size;
	unsigned char *mem;
	struct etsmgr_set *set;
	pid_t other;		/* a process of the test's, to reap */
};

FIXTURE_SETUP(lock)
{
	int64_t five = 5;

	self->size = pages_for(etsmgr_set_region_size(16, 16, 16));
	self->fd = memfd_create("records_hostile_test", MFD_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ftruncate(self->fd, (off_t)self->size));
	self->mem = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	ASSERT_EQ(0, etsmgr_set_format(self->mem, self->size, 16, 16, 16, 0));
	ASSERT_EQ(0, etsmgr_set_open(self->mem, self->size, 0, &self->set));
	ASSERT_EQ(0, etsmgr_set_insert(self->set, "c", 1, &five, sizeof(five)));
	ASSERT_EQ(0, load32(self->mem, OFF_LOCK_WORD));
}

FIXTURE_TEARDOWN(lock)
{
	if (self->other > 0) {
		kill(self->other, SIGKILL);
		waitpid(self->other, NULL, 0);
	}
	etsmgr_set_close(self->set);
	munmap(self->mem, self->size);
	close(self->fd);
}

struct timed {
	int ret;
	double ms;
};

/* Insert "new" in a child process; its result and how long it took. */
static struct timed insert_elsewhere(struct etsmgr_set *set)
{
	struct timed *shared, t = { .ret = -12345, .ms = -1 };
	pid_t pid;

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return t;
	*shared = t;
	pid = fork();
	if (pid == 0) {
		double t0 = now_ms();

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		shared->ret = etsmgr_set_insert(set, "new", 3, "v", 1);
		shared->ms = now_ms() - t0;
		_exit(0);
	}
	if (pid > 0 && waitpid(pid, NULL, 0) == pid)
		t = *shared;
	munmap(shared, sizeof(*shared));
	return t;
}

static struct timed insert_here(struct etsmgr_set *set)
{
	struct timed t;
	double t0 = now_ms();

	t.ret = etsmgr_set_insert(set, "new", 3, "v", 1);
	t.ms = now_ms() - t0;
	return t;
}

static uint64_t recoveries(const struct etsmgr_set *set)
{
	struct etsmgr_set_info info;

	return etsmgr_set_info(set, &info) ? UINT64_MAX : info.recoveries;
}

/* Field 22 of /proc/@pid/stat: its start time, in clock ticks. */
static uint64_t start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* A child that sleeps until killed: a live process that is no writer. */
static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

TEST_F_TIMEOUT(lock, forged_word_of_a_live_process_times_out, 30)
{
	struct timed t;

	/* This process is alive and no writer; the writer is a child. */
	store32(self->mem, OFF_LOCK_WORD, (uint32_t)getpid());
	t = insert_elsewhere(self->set);
	EXPECT_EQ(-ETIMEDOUT, t.ret);
	EXPECT_LE(TIMEOUT_MS - 50.0, t.ms);
	EXPECT_GE(TIMEOUT_MS + 2000.0, t.ms);
	TH_LOG("-ETIMEDOUT after %.0f ms (ETSMGR_SET_LOCK_TIMEOUT_MS %u)",
	       t.ms, TIMEOUT_MS);
	/* Nothing was written. */
	EXPECT_EQ(-ENOENT, etsmgr_set_lookup(self->set, "new", 3, NULL, 0,
					     NULL));
	/* Once the word is cleared, writers write again. */
	store32(self->mem, OFF_LOCK_WORD, 0);
	t = insert_here(self->set);
	EXPECT_EQ(0, t.ret);
	EXPECT_GT(TAKEOVER_MS, t.ms);
}

TEST_F_TIMEOUT(lock, live_holder_with_its_exact_identity_times_out, 30)
{
	struct stat st;
	struct timed t;
	pid_t pid;

	/* A live process, recorded as the holder with its start time. */
	pid = self->other = sleeper();
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, stat("/proc/self/ns/pid", &st));
	ASSERT_NE(0, start_time(pid));
	store32(self->mem, OFF_HOLDER_TID, (uint32_t)pid);
	store32(self->mem, OFF_HOLDER_TGID, (uint32_t)pid);
	store64(self->mem, OFF_HOLDER_PIDNS, (uint64_t)st.st_ino);
	store64(self->mem, OFF_HOLDER_START, start_time(pid));
	store32(self->mem, OFF_LOCK_WORD, (uint32_t)pid);
	t = insert_here(self->set);
	EXPECT_EQ(-ETIMEDOUT, t.ret);
	EXPECT_LE(TIMEOUT_MS - 50.0, t.ms);
	EXPECT_GE(TIMEOUT_MS + 2000.0, t.ms);
}

TEST_F_TIMEOUT(lock, counters_on_existing_keys_count_while_the_lock_is_forged,
	       30)
{
	struct etsmgr_counter_ref ref;
	double t0 = now_ms();
	int64_t n = 0;

	store32(self->mem, OFF_LOCK_WORD, (uint32_t)getppid());
	ASSERT_EQ(0, etsmgr_set_counter_ref(self->set, "c", 1, &ref));
	EXPECT_EQ(0, etsmgr_set_update_counter(self->set, "c", 1, 1, NULL,
					       &n));
	EXPECT_EQ(6, n);
	EXPECT_EQ(0, etsmgr_counter_add(&ref, 10, &n));
	EXPECT_EQ(16, n);
	EXPECT_EQ(0, etsmgr_set_lookup(self->set, "c", 1, &n, sizeof(n),
				       NULL));
	EXPECT_EQ(16, n);
	EXPECT_GT(TAKEOVER_MS, now_ms() - t0);
	/* The lock was never touched. */
	EXPECT_EQ((uint32_t)getppid(), load32(self->mem, OFF_LOCK_WORD));
}

static void *note_tid(void *arg)
{
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	return NULL;
}

TEST_F_TIMEOUT(lock, word_of_a_dead_thread_is_taken_over_at_once, 30)
{
	pthread_t thread;
	pid_t tid = 0;
	struct timed t;

	ASSERT_EQ(0, pthread_create(&thread, NULL, note_tid, &tid));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_LT(0, tid);
	ASSERT_NE(getpid(), tid);
	store32(self->mem, OFF_LOCK_WORD, (uint32_t)tid);
	t = insert_here(self->set);
	EXPECT_EQ(0, t.ret);
	EXPECT_GT(TAKEOVER_MS, t.ms);
	TH_LOG("taken over in %.3f ms", t.ms);
	EXPECT_EQ(1, recoveries(self->set));
	EXPECT_EQ(0, etsmgr_set_lookup(self->set, "new", 3, NULL, 0, NULL));
	EXPECT_EQ(0, load32(self->mem, OFF_LOCK_WORD));
	EXPECT_EQ(0, etsmgr_set_recover(self->set));
}

TEST_F_TIMEOUT(lock, word_of_a_zombie_is_taken_over_at_once, 30)
{
	siginfo_t info;
	struct timed t;
	pid_t pid;

	pid = self->other = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	/* Dead, not reaped: a zombie. */
	ASSERT_EQ(0, waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT));
	store32(self->mem, OFF_LOCK_WORD, (uint32_t)pid | 0x80000000u);
	t = insert_here(self->set);
	EXPECT_EQ(0, t.ret);
	EXPECT_GT(TAKEOVER_MS, t.ms);
	TH_LOG("taken over in %.3f ms", t.ms);
	EXPECT_EQ(1, recoveries(self->set));
	EXPECT_EQ(0, load32(self->mem, OFF_LOCK_WORD));
}

TEST_F_TIMEOUT(lock, word_of_a_reused_tid_is_taken_over_at_once, 30)
{
	struct stat st;
	struct timed t;
	uint64_t start;
	pid_t pid;

	/*
	 * The holder recorded has the tid of a live process, but started
	 * before it: the holder died and its tid went to someone else.
	 */
	pid = self->other = sleeper();
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, stat("/proc/self/ns/pid", &st));
	start = start_time(pid);
	ASSERT_LT(1, start);
	store32(self->mem, OFF_HOLDER_TID, (uint32_t)pid);
	store32(self->mem, OFF_HOLDER_TGID, (uint32_t)pid);
	store64(self->mem, OFF_HOLDER_PIDNS, (uint64_t)st.st_ino);
	store64(self->mem, OFF_HOLDER_START, start - 1);
	store32(self->mem, OFF_LOCK_WORD, (uint32_t)pid);
	t = insert_here(self->set);
	EXPECT_EQ(0, t.ret);
	EXPECT_GT(TAKEOVER_MS, t.ms);
	TH_LOG("taken over in %.3f ms", t.ms);
	EXPECT_EQ(1, recoveries(self->set));
}

TEST_HARNESS_MAIN
