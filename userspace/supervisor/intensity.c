// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: restart intensity (see intensity.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "intensity.h"

#define NSEC_PER_SEC 1000000000u

int intensity_init(struct intensity *in, unsigned int max,
		   unsigned int period_s)
{
	in->times = NULL;
	if (period_s == 0)
		return -EINVAL;
	in->max = max;
	in->period_s = period_s;
	in->head = 0;
	in->count = 0;
	in->times = calloc((size_t)max + 1, sizeof(*in->times));
	return in->times ? 0 : -ENOMEM;
}

void intensity_free(struct intensity *in)
{
	free(in->times);
	in->times = NULL;
}

bool intensity_add(struct intensity *in, uint64_t now_ns)
{
	/* erlang:monotonic_time(second): whole seconds, truncated. */
	uint64_t now = now_ns / NSEC_PER_SEC;
	size_t slots = (size_t)in->max + 1;

	/*
	 * Forget, oldest first, the restarts that are not inPeriod: OTP
	 * keeps one while Now =< Then + Period, the edge included.
	 */
	while (in->count > 0 && now - in->times[in->head] > in->period_s) {
		in->head = (in->head + 1) % slots;
		in->count--;
	}
	/*
	 * Full (max + 1 kept): the last call escalated already. The oldest
	 * falls out, so that the answer stays "escalate" (count max + 1).
	 */
	if (in->count == slots) {
		in->head = (in->head + 1) % slots;
		in->count--;
	}
	in->times[(in->head + in->count) % slots] = now;
	in->count++;
	return in->count <= in->max;
}
