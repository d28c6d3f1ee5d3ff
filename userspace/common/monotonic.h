/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CLOCK_MONOTONIC read once, in the unit a caller counts in: timeouts
 * and poll(2) deadlines in milliseconds, restart and watchdog times in
 * nanoseconds. Neither jumps when the wall clock is set.
 */
#ifndef ETSMGR_MONOTONIC_H
#define ETSMGR_MONOTONIC_H

#include <stdint.h>

/* Milliseconds since an arbitrary point (the boot, on Linux). */
int64_t monotonic_ms(void);

/* Nanoseconds since the same point. */
uint64_t monotonic_ns(void);

#endif
