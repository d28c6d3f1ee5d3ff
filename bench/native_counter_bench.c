// SPDX-License-Identifier: GPL-2.0
/*
 * bench/native_counter_bench: counter increments per second on the host,
 * no kernel module (the native section of `make bench`, run by
 * bench/bench-native.sh). The memory is a memfd mapped MAP_SHARED, as an
 * etsmgr table's shmem file is; the record set on it is libetsmgr's
 * (userspace/lib/etsmgr_records.h).
 *
 * usage: native_counter_bench MODE PATTERN RUNS SECONDS
 *
 *   MODE     keyed   etsmgr_set_update_counter() by key, every increment
 *            handle  etsmgr_counter_add() through a counter handle
 *                    (etsmgr_set_counter_ref(), one per thread)
 *            atomic  the floor: a plain __atomic_fetch_add on a word of
 *                    the same kind of memory
 *   PATTERN  1          one thread, on CPU 0
 *            2one       two threads (CPUs 0 and 1) on one counter
 *            2distinct  two threads on a counter each (for atomic: two
 *                       words on separate cache lines)
 *
 * Each of RUNS runs counts for SECONDS (after one warm-up run of a fifth
 * of that); its rate is the increments of all threads over the run's
 * time. After every run each counter must have grown by exactly the
 * increments made on it, else exit 1. The ROW (or, with BENCH_SAMPLES,
 * SAMPLE) lines of bench/bench.h go to stdout, group native-PATTERN,
 * role "floor" for MODE atomic.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "etsmgr_records.h"

#include "bench.h"

enum mode { KEYED, HANDLE, ATOMIC };

static enum mode mode;
static struct etsmgr_set *set;
static uint64_t *words;		/* ATOMIC: the words, 64 bytes apart */
static atomic_int stop;
static atomic_int failed;
static const char *const keys[2] = { "count0", "count1" };

struct worker {
	pthread_t thread;
	int cpu;
	int counter;		/* which key or word */
	uint64_t ops;
} __attribute__((aligned(64)));

static void pin(int cpu)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	if (pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus))
		bench_die("cannot pin a thread to CPU %d", cpu);
}

static void fail_with(const char *what, int rc)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(-rc));
	atomic_store(&failed, 1);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	const char *key = keys[w->counter];
	size_t key_len = strlen(key);
	struct etsmgr_counter_ref ref;
	uint64_t *word = &words[8 * w->counter];
	uint64_t ops = 0;
	int i, rc;

	pin(w->cpu);
	switch (mode) {
	case KEYED:
		while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
			for (i = 0; i < 64; i++) {
				rc = etsmgr_set_update_counter(set, key, key_len,
							       1, NULL, NULL);
				if (rc) {
					fail_with("etsmgr_set_update_counter", rc);
					goto out;
				}
				ops++;
			}
		}
		break;
	case HANDLE:
		rc = etsmgr_set_counter_ref(set, key, key_len, &ref);
		if (rc) {
			fail_with("etsmgr_set_counter_ref", rc);
			goto out;
		}
		while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
			for (i = 0; i < 64; i++) {
				rc = etsmgr_counter_add(&ref, 1, NULL);
				if (rc) {
					fail_with("etsmgr_counter_add", rc);
					goto out;
				}
				ops++;
			}
		}
		break;
	case ATOMIC:
		while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
			for (i = 0; i < 64; i++)
				__atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
			ops += 64;
		}
		break;
	}
out:
	w->ops = ops;
	return NULL;
}

static int64_t counter_value(int counter)
{
	int64_t v;
	size_t len;
	int rc;

	if (mode == ATOMIC)
		return (int64_t)__atomic_load_n(&words[8 * counter], __ATOMIC_SEQ_CST);
	rc = etsmgr_set_lookup(set, keys[counter], strlen(keys[counter]), &v,
			       sizeof(v), &len);
	if (rc || len != sizeof(v))
		bench_die("lookup of %s: %s", keys[counter],
			  rc ? strerror(-rc) : "not 8 bytes");
	return v;
}

static void usage(void)
{
	bench_die("usage: native_counter_bench keyed|handle|atomic 1|2one|2distinct RUNS SECONDS");
}

int main(int argc, char **argv)
{
	static const char *const mode_labels[] = {
		[KEYED] = "libetsmgr etsmgr_set_update_counter (by key)",
		[HANDLE] = "libetsmgr etsmgr_counter_add (counter handle)",
		[ATOMIC] = "floor: plain __atomic_fetch_add (lock add)",
	};
	struct bench_samples rates = { 0 };
	struct worker *w;
	int threads, counters, runs, fd, rc, t, r, c;
	const char *pattern, *what;
	double seconds;
	size_t size;
	char label[192], group[32];
	void *p;

	if (argc != 5)
		usage();
	if (!strcmp(argv[1], "keyed"))
		mode = KEYED;
	else if (!strcmp(argv[1], "handle"))
		mode = HANDLE;
	else if (!strcmp(argv[1], "atomic"))
		mode = ATOMIC;
	else
		usage();
	pattern = argv[2];
	if (!strcmp(pattern, "1")) {
		threads = 1, counters = 1;
		what = mode == ATOMIC ? "1 thread" : "1 thread, one key";
	} else if (!strcmp(pattern, "2one")) {
		threads = 2, counters = 1;
		what = mode == ATOMIC ? "2 threads on one word" :
		       mode == HANDLE ? "2 threads on one key (a handle each)" :
		       "2 threads on one key";
	} else if (!strcmp(pattern, "2distinct")) {
		threads = 2, counters = 2;
		what = mode == ATOMIC ?
		       "2 threads on distinct words (separate cache lines)" :
		       "2 threads on distinct keys";
	} else {
		usage();
	}
	runs = atoi(argv[3]);
	seconds = atof(argv[4]);
	if (runs < 1 || seconds <= 0)
		usage();
	if (threads > sysconf(_SC_NPROCESSORS_ONLN))
		bench_die("%d threads, but only %ld CPUs online", threads,
			  sysconf(_SC_NPROCESSORS_ONLN));

	/* A memfd mapped MAP_SHARED, as an etsmgr table is a shmem file. */
	size = (etsmgr_set_region_size(16, 64, 64) + 4095) & ~(size_t)4095;
	fd = memfd_create("native_counter_bench", MFD_CLOEXEC);
	if (fd < 0)
		bench_die("memfd_create: %s", strerror(errno));
	if (ftruncate(fd, (off_t)size))
		bench_die("ftruncate: %s", strerror(errno));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		bench_die("mmap: %s", strerror(errno));
	if (mode == ATOMIC) {
		words = p;	/* page aligned: words 0 and 8 on two lines */
	} else {
		rc = etsmgr_set_format(p, size, 16, 64, 64, 0);
		if (!rc)
			rc = etsmgr_set_open(p, size, 0, &set);
		for (c = 0; !rc && c < counters; c++) {
			int64_t zero = 0;

			rc = etsmgr_set_update_counter(set, keys[c],
						       strlen(keys[c]), 0,
						       &zero, NULL);
		}
		if (rc)
			bench_die("record set on a memfd: %s", strerror(-rc));
	}

	w = aligned_alloc(64, threads * sizeof(*w));
	if (!w)
		bench_die("out of memory");
	memset(w, 0, threads * sizeof(*w));
	for (r = 0; r < runs + 1; r++) {	/* run 0 warms up */
		double s = r ? seconds : seconds / 5;
		int64_t before[2], after;
		uint64_t t0, t1, total = 0, made[2] = { 0, 0 };
		struct timespec pause = {
			.tv_sec = (time_t)s,
			.tv_nsec = (long)((s - (double)(time_t)s) * 1e9),
		};

		for (c = 0; c < counters; c++)
			before[c] = counter_value(c);
		atomic_store(&stop, 0);
		t0 = bench_now_ns();
		for (t = 0; t < threads; t++) {
			w[t].cpu = t;
			w[t].counter = counters > 1 ? t : 0;
			w[t].ops = 0;
			if (pthread_create(&w[t].thread, NULL, work, &w[t]))
				bench_die("pthread_create");
		}
		nanosleep(&pause, NULL);
		atomic_store(&stop, 1);
		for (t = 0; t < threads; t++) {
			pthread_join(w[t].thread, NULL);
			total += w[t].ops;
			made[w[t].counter] += w[t].ops;
		}
		t1 = bench_now_ns();
		if (atomic_load(&failed))
			bench_die("%s: a call failed", mode_labels[mode]);
		for (c = 0; c < counters; c++) {
			after = counter_value(c);
			if ((uint64_t)(after - before[c]) != made[c])
				bench_die("counter %d went from %lld to %lld, but %llu increments were made on it",
					  c, (long long)before[c], (long long)after,
					  (unsigned long long)made[c]);
		}
		if (r > 0)
			bench_add(&rates, (double)total * 1e9 / (double)(t1 - t0));
	}
	snprintf(label, sizeof(label), "%s, %s", mode_labels[mode], what);
	snprintf(group, sizeof(group), "native-%s", pattern);
	bench_row_rate(group, mode == ATOMIC ? "floor" : "peer", label, &rates);
	etsmgr_set_close(set);
	munmap(p, size);
	close(fd);
	free(w);
	return 0;
}
