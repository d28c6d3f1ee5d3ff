/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the restart delay of a child that fails soon after its start,
 * so that one failing at once is not restarted as fast as fork and exec
 * allow, while one that ran well is restarted at once: recovery time is
 * what a supervisor is for.
 *
 * The restart interval is the least time from a start of the child to
 * the next. A child that ran at least its interval is restarted at once,
 * and its interval goes back to the first one; a child that ran less is
 * restarted when its interval is over, and its next interval is longer.
 * The intervals grow as systemd's RestartSec=, RestartSteps= and
 * RestartMaxDelaySec= make them (service_restart_usec_next()): from
 * first_ms to max_ms in `steps` geometric steps,
 *
 *   interval(k) = first * (max / first) ^ (k / steps), max from k = steps,
 *
 * k being the number of delayed restarts in a row; constant (first_ms)
 * when steps, first_ms is 0 or first_ms >= max_ms. first_ms 0: no delay.
 */
#ifndef ETSSUP_BACKOFF_H
#define ETSSUP_BACKOFF_H

#include <stdint.h>

struct backoff {
	unsigned int first_ms;	/* restart-sec */
	unsigned int steps;	/* restart-steps */
	unsigned int max_ms;	/* restart-max-delay-sec */
};

/* The interval after k delayed restarts in a row, in ms. */
unsigned int backoff_interval_ms(const struct backoff *b, unsigned int k);

/*
 * A process that ran @ran_ms since its start is to be started again, after
 * *k delayed restarts in a row: the delay in ms (0: at once), and *k
 * updated (reset after a run of at least the interval, else one more,
 * up to steps).
 */
unsigned int backoff_delay_ms(const struct backoff *b, unsigned int *k,
			      uint64_t ran_ms);

#endif
