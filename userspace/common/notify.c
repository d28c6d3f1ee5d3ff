// SPDX-License-Identifier: GPL-2.0
/*
 * Telling the service manager how a daemon is doing (see notify.h), over
 * libsystemd's sd_notify(3).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "monotonic.h"
#include "notify.h"

/* A STATUS= line longer than this is cut: systemd shows one line. */
#define STATUS_MAX 512

/*
 * "HEAD\nSTATUS=text". The manager's answer is not awaited and its
 * absence is no error: a daemon runs the same with or without one.
 */
static void send_with_status(const char *head, const char *fmt, va_list ap)
{
	char status[STATUS_MAX];

	vsnprintf(status, sizeof(status), fmt, ap);
	if (head)
		sd_notifyf(0, "%s\nSTATUS=%s", head, status);
	else
		sd_notifyf(0, "STATUS=%s", status);
}

void notify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_with_status("READY=1", fmt, ap);
	va_end(ap);
}

void notify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_with_status(NULL, fmt, ap);
	va_end(ap);
}

void notify_stopping(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_with_status("STOPPING=1", fmt, ap);
	va_end(ap);
}

void notify_watchdog_init(struct notify_watchdog *w)
{
	uint64_t usec = 0;

	w->interval_ns = 0;
	w->due_ns = 0;
	/* > 0: enabled for this process (WATCHDOG_PID unset or ours). */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	/* Half of it, and no overflow on a WatchdogSec= of centuries. */
	w->interval_ns = usec > UINT64_MAX / 1000u ? UINT64_MAX / 4 :
						    usec * 1000u / 2;
	if (w->interval_ns == 0)
		w->interval_ns = 1;
	w->due_ns = monotonic_ns() + w->interval_ns;
}

int notify_watchdog_timeout_ms(const struct notify_watchdog *w,
			       int timeout_ms)
{
	uint64_t now, left_ms;

	if (!w->interval_ns)
		return timeout_ms;
	now = monotonic_ns();
	left_ms = now >= w->due_ns ? 0 : (w->due_ns - now + 999999) / 1000000;
	if (timeout_ms >= 0 && (uint64_t)timeout_ms <= left_ms)
		return timeout_ms;
	return left_ms >= INT_MAX ? INT_MAX : (int)left_ms;
}

void notify_watchdog_kick(struct notify_watchdog *w)
{
	uint64_t now;

	if (!w->interval_ns)
		return;
	now = monotonic_ns();
	if (now < w->due_ns)
		return;
	sd_notify(0, "WATCHDOG=1");
	w->due_ns = now + w->interval_ns;
}
