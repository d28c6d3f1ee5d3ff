// SPDX-License-Identifier: GPL-2.0
/*
 * bench/counter_bench: counter increments per second through libetsmgr's
 * etsmgr_set_update_counter() on one record of a record set in an etsmgr
 * table (the ets:update_counter/3 of etscounterd), by THREADS threads of
 * one process, thread i pinned to CPU i: 1 thread on CPU 0 ("one core"),
 * or 2 threads on CPUs 0 and 1 ("two cores"), all on the same counter
 * (so two threads contend for the set's writer lock, as two Erlang
 * processes updating one ETS key do).
 *
 * usage: counter_bench THREADS RUNS SECONDS
 *
 * Each run counts for SECONDS; its rate is the increments of all threads
 * divided by the run's time. After every run the counter must equal the
 * increments made, else exit 1.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "etsmgr.h"

#include "bench.h"

#define TABLE "bench.counter"
#define KEY "count"

static struct etsmgr_set *set;
static atomic_int stop;
static atomic_int failed;

struct worker {
	pthread_t thread;
	int cpu;
	uint64_t ops;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	cpu_set_t cpus;
	uint64_t ops = 0;

	CPU_ZERO(&cpus);
	CPU_SET(w->cpu, &cpus);
	if (pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus))
		bench_die("cannot pin a thread to CPU %d", w->cpu);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int i;

		for (i = 0; i < 64; i++) {
			int rc = etsmgr_set_update_counter(set, KEY, strlen(KEY),
							   1, NULL, NULL);
			if (rc) {
				fprintf(stderr, "bench: update_counter: %s\n",
					strerror(-rc));
				atomic_store(&failed, 1);
				w->ops = ops;
				return NULL;
			}
		}
		ops += 64;
	}
	w->ops = ops;
	return NULL;
}

static int64_t counter_value(void)
{
	int64_t v;
	size_t len;
	int rc = etsmgr_set_lookup(set, KEY, strlen(KEY), &v, sizeof(v), &len);

	if (rc || len != sizeof(v))
		bench_die("lookup of the counter: %s", strerror(-rc));
	return v;
}

int main(int argc, char **argv)
{
	struct bench_samples rates = { 0 };
	struct etsmgr_attach a;
	struct worker *w;
	int threads, runs, fd, rc, t, r;
	double seconds;
	uint64_t size;
	int64_t zero = 0;
	char label[96];
	void *p;

	if (argc != 4)
		bench_die("usage: counter_bench THREADS RUNS SECONDS");
	threads = atoi(argv[1]);
	runs = atoi(argv[2]);
	seconds = atof(argv[3]);
	if (threads < 1 || threads > CPU_SETSIZE || runs < 1 || seconds <= 0)
		bench_die("usage: counter_bench THREADS RUNS SECONDS");
	if (threads > sysconf(_SC_NPROCESSORS_ONLN))
		bench_die("%d threads, but only %ld CPUs online", threads,
			  sysconf(_SC_NPROCESSORS_ONLN));

	size = (etsmgr_set_region_size(16, 64, 64) + 4095) & ~4095ull;
	fd = etsmgr_session_open();
	if (fd < 0)
		bench_die("open %s: %s", ETSMGR_DEVICE_PATH, strerror(-fd));
	etsmgr_session_delete_by_name(fd, TABLE);	/* a leftover */
	rc = etsmgr_session_attach(fd, TABLE, size, ETSMGR_ACCESS_PROTECTED,
				   ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL, &a);
	if (rc)
		bench_die("create %s: %s", TABLE, strerror(-rc));
	rc = etsmgr_session_map(fd, a.mmap_offset, size, PROT_READ | PROT_WRITE, &p);
	if (rc)
		bench_die("map %s: %s", TABLE, strerror(-rc));
	rc = etsmgr_set_format(p, size, 16, 64, 64, 0);
	if (!rc)
		rc = etsmgr_set_open(p, size, 0, &set);
	if (!rc)
		rc = etsmgr_set_update_counter(set, KEY, strlen(KEY), 0, &zero, NULL);
	if (rc)
		bench_die("record set in %s: %s", TABLE, strerror(-rc));

	w = calloc(threads, sizeof(*w));
	if (!w)
		bench_die("out of memory");
	for (r = 0; r < runs + 1; r++) {	/* run 0 warms up */
		int64_t before = counter_value(), after;
		uint64_t t0, t1, total = 0;
		struct timespec pause = {
			.tv_sec = (time_t)seconds,
			.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
		};

		atomic_store(&stop, 0);
		t0 = bench_now_ns();
		for (t = 0; t < threads; t++) {
			w[t].cpu = t;
			if (pthread_create(&w[t].thread, NULL, work, &w[t]))
				bench_die("pthread_create");
		}
		nanosleep(&pause, NULL);
		atomic_store(&stop, 1);
		for (t = 0; t < threads; t++) {
			pthread_join(w[t].thread, NULL);
			total += w[t].ops;
		}
		t1 = bench_now_ns();
		if (atomic_load(&failed))
			bench_die("an update_counter failed");
		after = counter_value();
		if ((uint64_t)(after - before) != total)
			bench_die("the counter went from %lld to %lld, but %llu increments were made",
				  (long long)before, (long long)after,
				  (unsigned long long)total);
		if (r > 0)
			bench_add(&rates, (double)total * 1e9 / (double)(t1 - t0));
	}
	snprintf(label, sizeof(label),
		 "libetsmgr etsmgr_set_update_counter, %d thread%s on %d core%s",
		 threads, threads > 1 ? "s" : "", threads, threads > 1 ? "s" : "");
	bench_row_rate(threads > 1 ? "counter-2core" : "counter-1core", "base",
		       label, &rates);
	etsmgr_set_close(set);
	munmap(p, size);
	etsmgr_session_delete_by_id(fd, a.id);
	close(fd);
	return 0;
}
