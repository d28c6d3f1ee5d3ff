// SPDX-License-Identifier: GPL-2.0
/*
 * bench/scale_bench: how etsmgr's costs grow.
 *
 *   scale_bench sizes [ITERATIONS]
 *       Reclaim time (ATTACH + mmap, on an open session) of held tables
 *       of 4 KiB, 64 KiB, 1 MiB, 16 MiB, 256 MiB and 1 GiB, every page
 *       written first (so each really holds that much memory; 1.3 GiB in
 *       all), reclaimed in rounds of one each. Must be flat: nothing is
 *       copied or walked. The first and the last word are then read back
 *       (untimed: page faults are not the attach).
 *
 *   scale_bench tables COUNT...
 *       For each COUNT (e.g. 10 100 1000 10000): create COUNT tables of
 *       4 KiB (each ATTACH timed), dump them all over generic netlink
 *       (libetsmgr's etsmgr_nl_dump_tables, repeated; time per table),
 *       delete them (each DELETE timed). Also the memory the kernel
 *       spends per table (never-touched tables, so no data pages):
 *       MemAvailable and Slab of /proc/meminfo, before and after the
 *       creation, divided by COUNT (for 1000 tables and more).
 *
 * Exits 1 when a call fails or a table reads back wrong. Needs
 * /dev/etsmgr, and CAP_NET_ADMIN-free netlink (root sees every table).
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "etsmgr.h"

#include "bench.h"

#define MAGIC_FIRST 0x6669727374000001ull
#define MAGIC_LAST 0x6c61737400000002ull

static int session_open(void)
{
	int fd = etsmgr_session_open();

	if (fd < 0)
		bench_die("open %s: %s", ETSMGR_DEVICE_PATH, strerror(-fd));
	return fd;
}

static const char *size_label(uint64_t size, char *buf, size_t len)
{
	if (size >= (1ull << 30))
		snprintf(buf, len, "%llu GiB", (unsigned long long)(size >> 30));
	else if (size >= (1ull << 20))
		snprintf(buf, len, "%llu MiB", (unsigned long long)(size >> 20));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)(size >> 10));
	return buf;
}

/* --------------------------------------------------------------- sizes */

#define NSIZES 6
static const uint64_t sizes[NSIZES] = {
	4ull << 10, 64ull << 10, 1ull << 20, 16ull << 20, 256ull << 20,
	1ull << 30,
};

static void size_name(int i, char *name, size_t len)
{
	snprintf(name, len, "bench.size.%d", i);
}

/*
 * All six tables are created and filled first, then reclaimed in rounds,
 * one of each size per round in a rotating order, so that noise hits
 * every size alike.
 */
static void bench_sizes(int iterations)
{
	struct bench_samples s[NSIZES] = { 0 };
	char name[ETSMGR_NAME_MAX], label[128], sz[32];
	struct etsmgr_attach a;
	uint64_t t0, t1;
	int fd, rc, i, r;
	void *p;

	for (i = 0; i < NSIZES; i++) {
		uint64_t size = sizes[i];

		fprintf(stderr, "bench:   filling a table of %s\n",
			size_label(size, sz, sizeof(sz)));
		size_name(i, name, sizeof(name));
		fd = session_open();
		etsmgr_session_delete_by_name(fd, name);	/* a leftover */
		rc = etsmgr_session_attach(fd, name, size, ETSMGR_ACCESS_PROTECTED,
					   ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL, &a);
		if (rc)
			bench_die("create a table of %llu bytes: %s",
				  (unsigned long long)size, strerror(-rc));
		rc = etsmgr_session_map(fd, a.mmap_offset, size,
					PROT_READ | PROT_WRITE, &p);
		if (rc)
			bench_die("map %llu bytes: %s", (unsigned long long)size,
				  strerror(-rc));
		memset(p, 0xa5, size);	/* every page present */
		((volatile uint64_t *)p)[0] = MAGIC_FIRST;
		((volatile uint64_t *)p)[size / 8 - 1] = MAGIC_LAST;
		munmap(p, size);
		close(fd);	/* held */
	}

	for (r = 0; r < iterations + 5; r++) {
		/* A rotating order: no size always follows the 1 GiB munmap. */
		for (int k = 0; k < NSIZES; k++) {
			uint64_t size;
			volatile uint64_t *q;

			i = (r + k) % NSIZES;
			size = sizes[i];

			size_name(i, name, sizeof(name));
			fd = session_open();
			t0 = bench_now_ns();
			rc = etsmgr_session_attach(fd, name, 0,
						   ETSMGR_ACCESS_PROTECTED, 0, &a);
			if (rc)
				bench_die("reclaim %s: %s", name, strerror(-rc));
			rc = etsmgr_session_map(fd, a.mmap_offset, size,
						PROT_READ | PROT_WRITE, &p);
			if (rc)
				bench_die("map %s: %s", name, strerror(-rc));
			t1 = bench_now_ns();
			/* Checked untimed: page faults are not the attach's cost. */
			q = p;
			if (q[0] != MAGIC_FIRST || q[size / 8 - 1] != MAGIC_LAST)
				bench_die("table of %llu bytes read back wrong",
					  (unsigned long long)size);
			if (a.result != ETSMGR_RESULT_RECLAIMED || a.size != size)
				bench_die("reclaim: result %u size %llu", a.result,
					  (unsigned long long)a.size);
			if (r >= 5)
				bench_add(&s[i], (double)(t1 - t0));
			munmap(p, size);
			close(fd);
		}
	}

	fd = session_open();
	for (i = 0; i < NSIZES; i++) {
		size_name(i, name, sizeof(name));
		rc = etsmgr_session_attach(fd, name, 0, ETSMGR_ACCESS_PROTECTED, 0, &a);
		if (rc || (rc = etsmgr_session_delete_by_id(fd, a.id)))
			bench_die("delete %s: %s", name, strerror(-rc));
		snprintf(label, sizeof(label), "reclaim a held table of %s (ATTACH + mmap)",
			 size_label(sizes[i], sz, sizeof(sz)));
		bench_row_latency("attach-vs-size", i == 0 ? "base" : "peer",
				  label, "us", &s[i]);
		bench_free(&s[i]);
	}
	close(fd);
}

/* -------------------------------------------------------------- tables */

struct meminfo {
	long long available_kb, slab_kb;
};

static struct meminfo read_meminfo(void)
{
	struct meminfo m = { -1, -1 };
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		bench_die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MemAvailable: %lld kB", &m.available_kb);
		sscanf(line, "Slab: %lld kB", &m.slab_kb);
	}
	fclose(f);
	if (m.available_kb < 0 || m.slab_kb < 0)
		bench_die("/proc/meminfo: no MemAvailable or Slab");
	return m;
}

struct dump_count {
	long n;
};

static int count_bench_tables(const struct etsmgr_table *t, void *arg)
{
	struct dump_count *c = arg;

	if (!strncmp(t->name, "bench.t.", 8))
		c->n++;
	return 0;
}

static void settle(void)
{
	/* Let RCU-freed objects of the previous step go. */
	sync();
	usleep(200000);
}

static void bench_tables(long count, int first)
{
	struct bench_samples create = { 0 }, dump = { 0 }, del = { 0 };
	struct etsmgr_nl *nl;
	struct meminfo before, after;
	uint64_t *ids, t0, t1;
	char label[96], name[ETSMGR_NAME_MAX];
	int fd, rc, reps;
	long i;

	ids = calloc(count, sizeof(*ids));
	if (!ids)
		bench_die("out of memory");
	rc = etsmgr_nl_open(&nl);
	if (rc)
		bench_die("netlink: %s", strerror(-rc));
	fd = session_open();
	settle();
	before = read_meminfo();
	for (i = 0; i < count; i++) {
		struct etsmgr_attach a;

		snprintf(name, sizeof(name), "bench.t.%ld", i);
		t0 = bench_now_ns();
		rc = etsmgr_session_attach(fd, name, 4096, ETSMGR_ACCESS_PROTECTED,
					   ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL, &a);
		t1 = bench_now_ns();
		if (rc)
			bench_die("create table %ld of %ld: %s", i + 1, count,
				  strerror(-rc));
		ids[i] = a.id;
		bench_add(&create, (double)(t1 - t0));
	}
	settle();
	after = read_meminfo();

	reps = count >= 10000 ? 5 : count >= 1000 ? 10 : 30;
	for (i = 0; i < reps; i++) {
		struct dump_count c = { 0 };

		t0 = bench_now_ns();
		rc = etsmgr_nl_dump_tables(nl, count_bench_tables, &c);
		t1 = bench_now_ns();
		if (rc)
			bench_die("dump: %s", strerror(-rc));
		if (c.n != count)
			bench_die("dump listed %ld bench tables, want %ld", c.n, count);
		bench_add(&dump, (double)(t1 - t0) / (double)count);
	}

	for (i = 0; i < count; i++) {
		t0 = bench_now_ns();
		rc = etsmgr_session_delete_by_id(fd, ids[i]);
		t1 = bench_now_ns();
		if (rc)
			bench_die("delete table %ld of %ld: %s", i + 1, count,
				  strerror(-rc));
		bench_add(&del, (double)(t1 - t0));
	}
	close(fd);
	etsmgr_nl_close(nl);
	free(ids);

	snprintf(label, sizeof(label), "create (ATTACH CREATE), per table, %ld tables", count);
	bench_row_latency("create-per-table", first ? "base" : "peer", label, "us", &create);
	snprintf(label, sizeof(label), "dump (netlink), per table, %ld tables", count);
	bench_row_latency("dump-per-table", first ? "base" : "peer", label, "us", &dump);
	snprintf(label, sizeof(label), "delete (DELETE), per table, %ld tables", count);
	bench_row_latency("delete-per-table", first ? "base" : "peer", label, "us", &del);
	if (count >= 1000) {
		printf("ROW|memory-per-table|%s|slab memory per table (Slab growth), %ld tables|B|1|%.0f|-\n",
		       count >= 10000 ? "peer" : "base", count,
		       (double)(after.slab_kb - before.slab_kb) * 1024 / count);
		printf("ROW|memory-per-table|peer|MemAvailable drop per table (it counts reclaimable slab, dentries and inodes, only in part), %ld tables|B|1|%.0f|-\n",
		       count, (double)(before.available_kb - after.available_kb) * 1024 / count);
		fflush(stdout);
	}
	bench_free(&create);
	bench_free(&dump);
	bench_free(&del);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "sizes")) {
		int iterations = argc > 2 ? atoi(argv[2]) : 300;

		if (iterations < 1)
			bench_die("bad iteration count");
		bench_sizes(iterations);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "tables")) {
		int n;

		for (n = 2; n < argc; n++) {
			long count = atol(argv[n]);

			if (count < 1)
				bench_die("bad table count %s", argv[n]);
			fprintf(stderr, "bench:   %ld tables\n", count);
			bench_tables(count, n == 2);
		}
		return 0;
	}
	bench_die("usage: scale_bench sizes [ITERATIONS] | scale_bench tables COUNT...");
}
