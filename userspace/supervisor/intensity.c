// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: restart intensity (see intensity.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "intensity.h"

int intensity_init(struct intensity *in, unsigned int max,
		   unsigned int period_s)
{
	in->max = max;
	in->period_ns = (uint64_t)period_s * 1000000000u;
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
	size_t slots = (size_t)in->max + 1;

	/* Forget the restarts that left the period, oldest first. */
	while (in->count > 0 &&
	       now_ns - in->times[in->head] >= in->period_ns) {
		in->head = (in->head + 1) % slots;
		in->count--;
	}
	if (in->count == slots) {	/* full: the oldest falls out */
		in->head = (in->head + 1) % slots;
		in->count--;
	}
	in->times[(in->head + in->count) % slots] = now_ns;
	in->count++;
	return in->count <= in->max;
}
