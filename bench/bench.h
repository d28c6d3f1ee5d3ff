/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench/bench.h: what the benchmark programs of bench/ share: a
 * CLOCK_MONOTONIC clock, a growable array of samples, and the one output
 * format bench/report.py reads.
 *
 * Every program prints one line per figure on stdout:
 *
 *   ROW|GROUP|ROLE|LABEL|UNIT|N|MEDIAN|P99
 *
 * GROUP gathers the rows compared with each other; ROLE is "base" for the
 * row the others are divided by (the ratio column) and "peer" otherwise;
 * UNIT is "us", "ms", "ns", "ops/s" or "B"; P99 is "-" where it means
 * nothing (a single measurement). With BENCH_SAMPLES set in the
 * environment, rates are printed one run a line instead,
 *
 *   SAMPLE|GROUP|ROLE|LABEL|UNIT|VALUE
 *
 * for bench/report.py --merge to turn the runs of several invocations
 * (interleaved with their peers') into one ROW. Progress and notes go to
 * stderr.
 * A program that could not do its work (a failed call, a wrong value)
 * says why on stderr and exits 1: benchmarks assert nothing about time.
 */
#ifndef ETSMGR_BENCH_H
#define ETSMGR_BENCH_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((noreturn, format(printf, 1, 2)))
static inline void bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench: FAILED: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Samples in nanoseconds (or any double). */
struct bench_samples {
	double *v;
	size_t n, cap;
};

static inline void bench_add(struct bench_samples *s, double value)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		double *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			bench_die("out of memory for %zu samples", cap);
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = value;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The p-th percentile (0..100), nearest rank, of the sorted samples. */
static inline double bench_percentile(struct bench_samples *s, double p)
{
	size_t rank;

	if (!s->n)
		bench_die("no samples");
	qsort(s->v, s->n, sizeof(*s->v), bench_cmp_double);
	rank = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

static inline double bench_median(struct bench_samples *s)
{
	qsort(s->v, s->n, sizeof(*s->v), bench_cmp_double);
	if (s->n % 2)
		return s->v[s->n / 2];
	return (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
}

/*
 * Print a row of latency samples (nanoseconds), in @unit ("ns", "us" or
 * "ms"): the median and the 99th percentile (the slow tail).
 */
static inline void bench_row_latency(const char *group, const char *role,
				     const char *label, const char *unit,
				     struct bench_samples *s)
{
	double div = !strcmp(unit, "ms") ? 1e6 : !strcmp(unit, "us") ? 1e3 : 1;

	if (!s->n)
		bench_die("%s: no samples", label);
	printf("ROW|%s|%s|%s|%s|%zu|%.3f|%.3f\n", group, role, label, unit,
	       s->n, bench_median(s) / div, bench_percentile(s, 99) / div);
	fflush(stdout);
}

/*
 * Print a row of rates (ops/s), one per run: the median and, as "p99",
 * the rate of the slowest 1 % of runs (the 1st percentile of the rates,
 * the same tail as a latency's p99).
 */
static inline void bench_row_rate(const char *group, const char *role,
				  const char *label, struct bench_samples *s)
{
	size_t i;

	if (!s->n)
		bench_die("%s: no samples", label);
	if (getenv("BENCH_SAMPLES")) {
		/* The caller merges runs of several invocations. */
		for (i = 0; i < s->n; i++)
			printf("SAMPLE|%s|%s|%s|ops/s|%.0f\n", group, role,
			       label, s->v[i]);
		fflush(stdout);
		return;
	}
	printf("ROW|%s|%s|%s|ops/s|%zu|%.0f|%.0f\n", group, role, label,
	       s->n, bench_median(s), bench_percentile(s, 1));
	fflush(stdout);
}

static inline void bench_free(struct bench_samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

#endif /* ETSMGR_BENCH_H */
