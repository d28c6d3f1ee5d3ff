/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etsmgrctl output: the text and JSON renderings of tables, counters,
 * events and records. Kept apart from the commands so that the unit tests
 * can check every format byte for byte without the module.
 *
 * JSON is built with json-c: the *_json() functions return a new object
 * (release it with json_object_put()), or NULL when memory ran out, and
 * print_json() prints one. Escaping and nulls are json-c's, so the
 * output is valid JSON whatever the kernel sent: an enum value this
 * version has no name for is null (the text shows its number), and a
 * byte of a name outside ASCII (never one from a module that checks
 * names) is the character U+0080..U+00FF of the same value.
 */
#ifndef ETSMGRCTL_OUTPUT_H
#define ETSMGRCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json.h>

#include "etsmgr.h"

/*
 * @doc as JSON and a newline: compact (one line) or, with @pretty,
 * indented over several lines. 0, or -ENOMEM, or -EIO when @out failed.
 */
int print_json(FILE *out, struct json_object *doc, bool pretty);

/*
 * A table, as in `etsmgrctl -j info`: name, id, owner_pid, state, size,
 * generation, access, uid, create_time_ns, transfer_time_ns, exit_reason,
 * exit_status, mapped (a boolean) and heir_pid (0: the manager).
 */
struct json_object *table_json(const struct etsmgr_table *table);

/* The module's counters and limits, as in `etsmgrctl -j stats`. */
struct json_object *stats_json(const struct etsmgr_stats *stats);

/*
 * An event, as in `etsmgrctl -j monitor`: event and pid, then the
 * members of table_json() for an event about a table.
 */
struct json_object *event_json(const struct etsmgr_table_event *event);

/* `etsmgrctl -j drain`: {"drained":true,"tables":N,"discarded":M}. */
struct json_object *drain_json(uint64_t tables, uint64_t discarded);

/*
 * A record of a table's record set: {"key":K,"value":V,"term":T}, T the
 * text of etsmgr_record_text() ({count,3}). K and V are a JSON string
 * when every byte is printable ASCII (0x20 to 0x7e), else {"hex":H}, H
 * the bytes in lower-case hexadecimal; an 8-byte value is a counter by
 * etsmgr_record_text()'s rule whatever its bytes, so V is then
 * {"int":N,"hex":H}, N the native int64_t it reads as.
 */
struct json_object *record_json(const void *key, size_t key_len,
				const void *value, size_t value_len);

/*
 * `etsmgrctl -j dump`: {"id":ID,"name":NAME,"records":[...]}, every
 * record of @set as record_json() makes it, built whole before anything
 * is printed. Sets *@doc and returns 0, or returns the error of the
 * walk (etsmgr_set_foreach(): -EUCLEAN, -EAGAIN...) or -ENOMEM.
 */
struct etsmgr_set;
int dump_json(const struct etsmgr_set *set, uint64_t id, const char *name,
	      struct json_object **doc);

/* `etsmgrctl info`: one line, newline included. */
void print_table_text(FILE *out, const struct etsmgr_table *table);

/* `etsmgrctl stats`: one `key value` line per counter. */
void print_stats_text(FILE *out, const struct etsmgr_stats *stats);

/* `etsmgrctl monitor`: one line per event, newline included. */
void print_event_text(FILE *out, const struct etsmgr_table_event *event);

/*
 * CLOCK_REALTIME nanoseconds as UTC ISO 8601 to the second,
 * "2025-01-31T23:59:59Z". Returns 0, or -EOVERFLOW if it does not fit.
 */
int format_utc_time(uint64_t ns, char *buf, size_t size);

#endif /* ETSMGRCTL_OUTPUT_H */
