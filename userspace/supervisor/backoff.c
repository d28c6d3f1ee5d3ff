// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the restart delay (see backoff.h).
 */
#include <math.h>

#include "backoff.h"

unsigned int backoff_interval_ms(const struct backoff *b, unsigned int k)
{
	double ratio;

	if (k == 0 || b->steps == 0 || b->first_ms == 0 ||
	    b->first_ms >= b->max_ms)
		return b->first_ms;
	if (k >= b->steps)
		return b->max_ms;
	/* Truncated, as systemd does; never above max_ms. */
	ratio = (double)b->max_ms / b->first_ms;
	return (unsigned int)(b->first_ms * pow(ratio, (double)k / b->steps));
}

unsigned int backoff_delay_ms(const struct backoff *b, unsigned int *k,
			      uint64_t ran_ms)
{
	unsigned int interval = backoff_interval_ms(b, *k);

	if (ran_ms >= interval) {	/* a healthy run: at once, start over */
		*k = 0;
		return 0;
	}
	if (*k < b->steps)
		(*k)++;
	return interval - (unsigned int)ran_ms;
}
