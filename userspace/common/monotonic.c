// SPDX-License-Identifier: GPL-2.0
/* CLOCK_MONOTONIC in milliseconds and nanoseconds: see monotonic.h. */
#include <time.h>

#include "monotonic.h"

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t monotonic_ms(void)
{
	return (int64_t)(monotonic_ns() / 1000000u);
}
