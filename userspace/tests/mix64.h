/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mix64(): the splitmix64 finalizer, which the record layer's tests use to
 * derive keys, values and random numbers from a seed, so that a run is
 * reproducible and a torn value never passes for a whole one. The library
 * has its own copy for hashing (records.c): a test should not lean on the
 * code it tests.
 */
#ifndef ETSMGR_TESTS_MIX64_H
#define ETSMGR_TESTS_MIX64_H

#include <stdint.h>

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

#endif
