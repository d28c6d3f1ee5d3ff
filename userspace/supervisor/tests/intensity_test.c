// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of intensity.c against OTP's supervisor.erl:
 * add_restart/3 keeps a restart while inPeriod(Then, Now, Period), that
 * is Now =< Then + Period, in whole seconds of erlang:monotonic_time(1);
 * the supervisor escalates when more than MaxR restarts are kept. Period
 * must be > 0 (validPeriod/1 throws invalid_period otherwise).
 */
#include <errno.h>
#include <stdint.h>

#include "intensity.h"
#include "unit.h"

#define S(sec) ((uint64_t)(sec) * 1000000000u)
#define MS(ms) ((uint64_t)(ms) * 1000000u)

/* Restarts at each time (ns); the results, 1 allowed, 0 escalate. */
static void run(unsigned int max, unsigned int period, const uint64_t *t,
		size_t n, const int *want)
{
	struct intensity in;

	CHECK_INT(intensity_init(&in, max, period), 0);
	for (size_t i = 0; i < n; i++) {
		int got = intensity_add(&in, t[i]);

		if (got != want[i]) {
			printf("# intensity %u period %u: restart %zu at %llu ns: %s, want %s\n",
			       max, period, i, (unsigned long long)t[i],
			       got ? "allowed" : "escalates",
			       want[i] ? "allowed" : "escalates");
			CHECK_INT(got, want[i]);
		}
	}
	intensity_free(&in);
}

#define RUN(max, period, times, want)					\
	do {								\
		_Static_assert(sizeof(times) / sizeof((times)[0]) ==	\
			       sizeof(want) / sizeof((want)[0]),	\
			       "one result per restart");		\
		run(max, period, times, sizeof(times) / sizeof((times)[0]), \
		    want);						\
	} while (0)

/* The case: 5 - 0 =< 5, so both are in the period. */
static void test_edge_is_inclusive(void)
{
	static const uint64_t at_5[] = { S(0), S(5) };
	static const uint64_t at_6[] = { S(0), S(6) };
	/* Not only from 0: any Then. */
	static const uint64_t late[] = { S(1000), S(1005) };
	static const uint64_t later[] = { S(1000), S(1006) };
	static const int esc[] = { 1, 0 }, ok[] = { 1, 1 };

	RUN(1, 5, at_5, esc);
	RUN(1, 5, at_6, ok);
	RUN(1, 5, late, esc);
	RUN(1, 5, later, ok);
}

/* Whole seconds: the fractions do not count, either way. */
static void test_whole_seconds(void)
{
	/* 0.0 s and 5.999999999 s are seconds 0 and 5: in the period. */
	static const uint64_t a[] = { S(0), S(6) - 1 };
	/* 1.0 s and 6.9 s: seconds 1 and 6, 5.9 s apart: in the period. */
	static const uint64_t b[] = { S(1), S(6) + MS(900) };
	/* 0.999 s and 6.0 s: seconds 0 and 6, 5.001 s apart: out. */
	static const uint64_t c[] = { MS(999), S(6) };
	/* 1.9 s and 7.0 s: seconds 1 and 7, only 5.1 s apart: out. */
	static const uint64_t d[] = { S(1) + MS(900), S(7) };
	static const int esc[] = { 1, 0 }, ok[] = { 1, 1 };

	RUN(1, 5, a, esc);
	RUN(1, 5, b, esc);
	RUN(1, 5, c, ok);
	RUN(1, 5, d, ok);
}

/* Sub-second restarts in one second count as that second, all of them. */
static void test_same_second(void)
{
	static const uint64_t t[] = { S(3) + MS(1), S(3) + MS(500),
				      S(3) + MS(999) };
	/* Period 1: second 3 and second 4 are in it, second 5 not. */
	static const uint64_t u[] = { S(3) + MS(999), S(4) + MS(999) };
	static const uint64_t v[] = { S(3) + MS(999), S(5) };
	static const int two[] = { 1, 1, 0 };
	static const int esc[] = { 1, 0 }, ok[] = { 1, 1 };

	RUN(2, 1, t, two);
	RUN(1, 1, u, esc);
	RUN(1, 1, v, ok);
}

/* MaxR = 0: length([Now]) = 1 > 0, the first restart escalates. */
static void test_intensity_zero(void)
{
	static const uint64_t t[] = { S(100) };
	static const uint64_t zero[] = { 0 };
	static const int esc[] = { 0 };

	RUN(0, 5, t, esc);
	RUN(0, 1, zero, esc);
}

/* A long run that never exceeds, then one too many; restarts forgotten. */
static void test_many_restarts(void)
{
	/* Every 5.5 s with intensity 2, period 10: at most 2 in any period. */
	static const uint64_t t[] = {
		S(0), S(5) + MS(500), S(11), S(16) + MS(500), S(22),
		S(27) + MS(500), S(33), S(38) + MS(500), S(44),
		/* seconds 38 and 44 are kept: one more at 48 is one too many */
		S(48),
	};
	static const int want[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	/* Intensity 3, period 5: 0, 1, 2 kept; at 7 only 2 stays (7 =< 2 + 5). */
	static const uint64_t u[] = { S(0), S(1), S(2), S(7), S(7), S(7) };
	static const int uwant[] = { 1, 1, 1, 1, 1, 0 };
	/* Intensity 100 in one second: the 101st escalates. */
	uint64_t w[101];
	int wwant[101];

	RUN(2, 10, t, want);
	RUN(3, 5, u, uwant);
	for (size_t i = 0; i < 101; i++) {
		w[i] = S(50) + i * MS(9);
		wwant[i] = i < 100;
	}
	run(100, 1, w, 101, wwant);
}

/* OTP refuses a period of 0 (invalid_period): so does intensity_init(). */
static void test_period_zero(void)
{
	for (unsigned int max = 0; max < 2; max++) {
		struct intensity in;
		int ret = intensity_init(&in, max, 0);

		CHECK_INT(ret, -EINVAL);
		if (ret == 0)
			intensity_free(&in);
	}
}

int main(void)
{
	/* Whole lines, even if a sanitizer ends the run. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	UNIT_TEST(test_edge_is_inclusive);
	UNIT_TEST(test_whole_seconds);
	UNIT_TEST(test_same_second);
	UNIT_TEST(test_intensity_zero);
	UNIT_TEST(test_many_restarts);
	UNIT_TEST(test_period_zero);
	return unit_done();
}
