/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Telling the service manager how a daemon is doing, for etscounterd and
 * etssup alike: sd_notify(3)'s READY=1, STATUS=, STOPPING=1 and the
 * watchdog's WATCHDOG=1, sent with libsystemd (libsystemd-dev), the
 * reference implementation of the protocol. Not under systemd (no
 * NOTIFY_SOCKET, or not Type=notify), every call does nothing.
 *
 * The watchdog (WatchdogSec=, seen as WATCHDOG_USEC and WATCHDOG_PID) is
 * kicked from the caller's event loop, at half the interval
 * (sd_watchdog_enabled(3)), so that a loop that hangs stops the kicks and
 * systemd notices.
 */
#ifndef ETSMGR_NOTIFY_H
#define ETSMGR_NOTIFY_H

#include <stdint.h>

/* READY=1 with a STATUS= line. */
void notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A STATUS= line alone. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* STOPPING=1 with a STATUS= line. */
void notify_stopping(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

struct notify_watchdog {
	uint64_t interval_ns;	/* between two kicks; 0: no watchdog */
	uint64_t due_ns;	/* the next kick, CLOCK_MONOTONIC */
};

/*
 * Read WATCHDOG_USEC (and WATCHDOG_PID: the watchdog is ours only when it
 * names this process, or is unset) and schedule the first kick half the
 * interval from now.
 */
void notify_watchdog_init(struct notify_watchdog *w);

/*
 * A poll timeout (ms, -1: none) shortened to the next kick, if that is
 * sooner (rounded up: waking early would only wait again).
 */
int notify_watchdog_timeout_ms(const struct notify_watchdog *w,
			       int timeout_ms);

/* Send WATCHDOG=1 if it is due, and schedule the next one. */
void notify_watchdog_kick(struct notify_watchdog *w);

#endif
