// SPDX-License-Identifier: GPL-2.0
/*
 * The time in a report's header (see reporttime.h).
 */
#include <stdio.h>
#include <time.h>

#include "reporttime.h"

int report_header(char *buf, size_t len, const char *kind)
{
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = snprintf(buf, len,
		     "=%s REPORT==== %02d-%s-%04d::%02d:%02d:%02d.%06ld ===\n",
		     kind, tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
	return n < 0 ? 0 : n >= (int)len ? (int)len - 1 : n;
}
