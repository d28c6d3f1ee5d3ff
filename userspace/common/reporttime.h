/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The time in a report's header, as Erlang's error logger prints it:
 * "=KIND REPORT==== 24-Nov-2026::03:46:49.951640 ===", local time,
 * months in English whatever the locale.
 */
#ifndef ETSMGR_REPORTTIME_H
#define ETSMGR_REPORTTIME_H

#include <stddef.h>

/* Room for the header line of any KIND of up to 16 characters. */
#define REPORT_HEADER_MAX 64

/*
 * "=@kind REPORT==== DD-Mon-YYYY::HH:MM:SS.uuuuuu ===\n" of now into
 * @buf (@len bytes); its length.
 */
int report_header(char *buf, size_t len, const char *kind);

#endif
