// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of crashloop.c: which deaths count toward a crash
 * loop, when a row of them is one, and the names quarantined tables get.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "crashloop.h"
#include "unit.h"

#define MS(ms) ((uint64_t)(ms) * 1000000u)

static const struct crash_loop_spec three_in_10s = {
	.policy = CRASH_LOOP_QUARANTINE,
	.deaths = 3,
	.window_ms = 10000,
};

/* A crash 1 s after a takeover at @t ms. */
static bool crash_after_takeover(struct crash_loop *cl, uint64_t t)
{
	return crash_loop_exit(cl, &three_in_10s, true, MS(t), false,
			       MS(t + 1000));
}

static void test_three_quick_crashes_after_takeovers_are_a_loop(void)
{
	struct crash_loop cl = { 0 };

	CHECK(!crash_after_takeover(&cl, 0));
	CHECK(!crash_after_takeover(&cl, 2000));
	CHECK(crash_after_takeover(&cl, 4000));
	/* The row starts over: the next loop needs three more. */
	CHECK(!crash_after_takeover(&cl, 6000));
	CHECK(!crash_after_takeover(&cl, 8000));
	CHECK(crash_after_takeover(&cl, 10000));
}

static void test_the_window_is_from_the_takeover_exclusive(void)
{
	struct crash_loop cl = { 0 };

	CHECK(!crash_loop_exit(&cl, &three_in_10s, true, MS(0), false,
			       MS(9999)));
	CHECK(!crash_loop_exit(&cl, &three_in_10s, true, MS(0), false,
			       MS(9999)));
	/* 10 s after the takeover is not "within 10 s": the row ends. */
	CHECK(!crash_loop_exit(&cl, &three_in_10s, true, MS(0), false,
			       MS(10000)));
	CHECK_INT(cl.row, 0);
}

static void test_what_ends_a_row(void)
{
	struct crash_loop cl = { 0 };

	/* A run on fresh tables: its state was not the cause. */
	CHECK(!crash_after_takeover(&cl, 0));
	CHECK(!crash_after_takeover(&cl, 2000));
	CHECK(!crash_loop_exit(&cl, &three_in_10s, false, 0, false, MS(3000)));
	CHECK_INT(cl.row, 0);
	/* A clean exit. */
	CHECK(!crash_after_takeover(&cl, 4000));
	CHECK(!crash_after_takeover(&cl, 6000));
	CHECK(!crash_loop_exit(&cl, &three_in_10s, true, MS(8000), true,
			       MS(8100)));
	CHECK_INT(cl.row, 0);
	/* A long run after its takeover. */
	CHECK(!crash_after_takeover(&cl, 10000));
	CHECK(!crash_after_takeover(&cl, 12000));
	CHECK(!crash_loop_exit(&cl, &three_in_10s, true, MS(14000), false,
			       MS(60000)));
	CHECK_INT(cl.row, 0);
	/* A clock that went back is no proof of a quick death. */
	CHECK(!crash_loop_exit(&cl, &three_in_10s, true, MS(5000), false,
			       MS(4000)));
	CHECK_INT(cl.row, 0);
}

static void test_one_death_can_be_a_loop(void)
{
	struct crash_loop_spec one = three_in_10s;
	struct crash_loop cl = { 0 };

	one.deaths = 1;
	CHECK(crash_loop_exit(&cl, &one, true, MS(0), false, MS(1)));
	CHECK(crash_loop_exit(&cl, &one, true, MS(0), false, MS(1)));
}

static void test_policy_names(void)
{
	enum crash_loop_policy p = CRASH_LOOP_KEEP;

	CHECK_INT(crash_loop_policy_parse("quarantine", &p), 0);
	CHECK_INT(p, CRASH_LOOP_QUARANTINE);
	CHECK_INT(crash_loop_policy_parse("discard", &p), 0);
	CHECK_INT(p, CRASH_LOOP_DISCARD);
	CHECK_INT(crash_loop_policy_parse("keep", &p), 0);
	CHECK_INT(p, CRASH_LOOP_KEEP);
	CHECK_INT(crash_loop_policy_parse("Keep", &p), -EINVAL);
	CHECK_INT(crash_loop_policy_parse("", &p), -EINVAL);
	CHECK_STR(crash_loop_policy_name(CRASH_LOOP_QUARANTINE), "quarantine");
}

static void test_quarantine_names_fit(void)
{
	char out[64], longest[64];

	crash_loop_quarantine_name(out, "etscounter", 1712345678);
	CHECK_STR(out, "etscounter.quarantined.1712345678");
	memset(longest, 'a', 63);
	longest[63] = '\0';
	crash_loop_quarantine_name(out, longest, UINT64_MAX);
	CHECK_INT(strlen(out), 63);
	CHECK_STR(out + 63 - strlen(".quarantined.18446744073709551615"),
		  ".quarantined.18446744073709551615");
}

int main(void)
{
	UNIT_TEST(test_three_quick_crashes_after_takeovers_are_a_loop);
	UNIT_TEST(test_the_window_is_from_the_takeover_exclusive);
	UNIT_TEST(test_what_ends_a_row);
	UNIT_TEST(test_one_death_can_be_a_loop);
	UNIT_TEST(test_policy_names);
	UNIT_TEST(test_quarantine_names_fit);
	return unit_done();
}
