/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: restart intensity, as OTP's supervisor counts it: more than
 * `intensity` restarts within `period` seconds means restarting does not
 * help, and the supervisor gives up (escalation).
 */
#ifndef ETSSUP_INTENSITY_H
#define ETSSUP_INTENSITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct intensity {
	unsigned int max;
	uint64_t period_ns;
	uint64_t *times;	/* ring of the last max + 1 restarts (ns) */
	size_t head, count;
};

int intensity_init(struct intensity *in, unsigned int max,
		   unsigned int period_s);
void intensity_free(struct intensity *in);

/*
 * Count a restart at now_ns (CLOCK_MONOTONIC). False when that makes more
 * than max restarts within the period: escalate instead of restarting.
 */
bool intensity_add(struct intensity *in, uint64_t now_ns);

#endif
