/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: restart intensity, exactly as OTP's supervisor counts it: more
 * than `intensity` restarts within `period` seconds means restarting does
 * not help, and the supervisor gives up (escalation).
 *
 * OTP (supervisor.erl, add_restart/3) keeps a restart while
 * inPeriod(Then, Now, Period), that is Now =< Then + Period, with times
 * in whole seconds of erlang:monotonic_time(second); here whole seconds
 * of CLOCK_MONOTONIC. So with intensity 1 and period 5, restarts at 0 s
 * and at 5 s escalate, at 0 s and 6 s do not, and restarts at 0.9 s and
 * 5.1 s are seconds 0 and 5: they escalate too.
 */
#ifndef ETSSUP_INTENSITY_H
#define ETSSUP_INTENSITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct intensity {
	unsigned int max;
	uint64_t period_s;
	uint64_t *times;	/* ring of the last max + 1 restarts (s) */
	size_t head, count;
};

/*
 * 0, -ENOMEM, or -EINVAL for a period of 0, which OTP refuses too
 * (invalid_period).
 */
int intensity_init(struct intensity *in, unsigned int max,
		   unsigned int period_s);
void intensity_free(struct intensity *in);

/*
 * Count a restart at now_ns (CLOCK_MONOTONIC, of which only the whole
 * seconds count). False when that makes more than max restarts within
 * the period: escalate instead of restarting.
 */
bool intensity_add(struct intensity *in, uint64_t now_ns);

#endif
