/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etsmgrctl output: the text and JSON renderings of tables, counters and
 * events. Kept apart from the commands so that the unit tests can check
 * every format byte for byte without the module.
 */
#ifndef ETSMGRCTL_OUTPUT_H
#define ETSMGRCTL_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "etsmgr.h"

/*
 * @text as a JSON string, quotes included. Bytes that JSON does not take
 * raw (controls, '"', '\\') are escaped, and so is every byte above 0x7f
 * (as \u00XX): table names are ASCII, so such a byte is garbage, and
 * escaping it keeps the output valid JSON whatever it is.
 */
void print_json_string(FILE *out, const char *text);

/*
 * A record of a table's record set, as JSON: {"key":K,"value":V,
 * "term":"{count,3}"}, K and V a string when printable ASCII, V an
 * integer when it is a counter (8 bytes), else an array of byte values.
 */
void print_record_json(FILE *out, const void *key, size_t key_len,
		       const void *value, size_t value_len);

/*
 * `etsmgrctl -j dump`: {"id":ID,"name":NAME,"records":[...]} and a
 * newline, the records of @set as print_record_json() prints them.
 * Returns 0 or the error of etsmgr_set_foreach().
 */
struct etsmgr_set;
int print_dump_json(FILE *out, const struct etsmgr_set *set, uint64_t id,
		    const char *name);

/* `etsmgrctl info`: one line, newline included. */
void print_table_text(FILE *out, const struct etsmgr_table *table);
/* `etsmgrctl -j info`: one object, no newline. */
void print_table_json(FILE *out, const struct etsmgr_table *table);

/* `etsmgrctl stats`: one `key value` line per counter. */
void print_stats_text(FILE *out, const struct etsmgr_stats *stats);
/* `etsmgrctl -j stats`: one object and a newline. */
void print_stats_json(FILE *out, const struct etsmgr_stats *stats);

/* `etsmgrctl monitor`: one line per event, newline included. */
void print_event_text(FILE *out, const struct etsmgr_table_event *event);
void print_event_json(FILE *out, const struct etsmgr_table_event *event);

/*
 * CLOCK_REALTIME nanoseconds as UTC ISO 8601 to the second,
 * "2025-01-31T23:59:59Z". Returns 0, or -EOVERFLOW if it does not fit.
 */
int format_utc_time(uint64_t ns, char *buf, size_t size);

#endif /* ETSMGRCTL_OUTPUT_H */
