// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of backoff.c: systemd's progression of restart
 * intervals (RestartSec=, RestartSteps=, RestartMaxDelaySec=), and when a
 * restart waits, how long, and when the backoff starts over.
 */
#include <stdint.h>

#include "backoff.h"
#include "unit.h"

/* etssup's defaults: 0.1 s to 1 s in 5 steps. */
static const struct backoff defaults = { 100, 5, 1000 };

static void test_progression(void)
{
	/* 100 * 10^(k/5), truncated: 158.48, 251.18, 398.10, 630.95. */
	static const unsigned int want[] = { 100, 158, 251, 398, 630, 1000,
					     1000 };
	/* One step: the first, then the cap. */
	static const struct backoff one = { 100, 1, 2000 };

	for (unsigned int k = 0; k < 7; k++)
		CHECK_INT(backoff_interval_ms(&defaults, k), want[k]);
	CHECK_INT(backoff_interval_ms(&one, 0), 100);
	CHECK_INT(backoff_interval_ms(&one, 1), 2000);
	CHECK_INT(backoff_interval_ms(&one, 9), 2000);
}

/* As systemd: no steps, a first interval of 0, or first >= max: constant. */
static void test_constant(void)
{
	struct backoff nosteps = { 300, 0, 5000 }, zero = { 0, 5, 5000 },
		       flat = { 700, 5, 700 };

	for (unsigned int k = 0; k < 4; k++) {
		CHECK_INT(backoff_interval_ms(&nosteps, k), 300);
		CHECK_INT(backoff_interval_ms(&zero, k), 0);
		CHECK_INT(backoff_interval_ms(&flat, k), 700);
	}
}

/* Failing at once: wait the rest of the interval, each one longer. */
static void test_quick_failures(void)
{
	static const unsigned int want[] = { 97, 155, 248, 395, 627, 997, 997 };
	unsigned int k = 0, total = 0, starts = 1;

	for (unsigned int i = 0; i < 7; i++) {
		CHECK_INT(backoff_delay_ms(&defaults, &k, 3), want[i]);
		CHECK_INT(k, i < 5 ? i + 1 : 5);
	}
	/* Starts of a child that lives 3 ms, in its first 3 s: 7. */
	k = 0;
	while (total < 3000) {
		total += 3 + backoff_delay_ms(&defaults, &k, 3);
		starts += total < 3000;
	}
	CHECK_INT(starts, 7);
}

/* A run at least as long as the interval: at once, and k back to 0. */
static void test_healthy_run(void)
{
	unsigned int k = 4;

	CHECK_INT(backoff_delay_ms(&defaults, &k, 629), 1);
	CHECK_INT(k, 5);
	CHECK_INT(backoff_delay_ms(&defaults, &k, 1000), 0);
	CHECK_INT(k, 0);
	/* Then a quick failure waits the first interval again. */
	CHECK_INT(backoff_delay_ms(&defaults, &k, 0), 100);
	CHECK_INT(k, 1);
	/* Re-adopted children ran for an unknown time: long. */
	CHECK_INT(backoff_delay_ms(&defaults, &k, UINT64_MAX), 0);
	CHECK_INT(k, 0);
}

/* restart-sec 0: never any delay. */
static void test_disabled(void)
{
	struct backoff off = { 0, 5, 1000 };
	unsigned int k = 0;

	for (unsigned int i = 0; i < 10; i++)
		CHECK_INT(backoff_delay_ms(&off, &k, 0), 0);
	CHECK_INT(k, 0);
}

int main(void)
{
	/* Whole lines, even if a sanitizer ends the run. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	UNIT_TEST(test_progression);
	UNIT_TEST(test_constant);
	UNIT_TEST(test_quick_failures);
	UNIT_TEST(test_healthy_run);
	UNIT_TEST(test_disabled);
	return unit_done();
}
