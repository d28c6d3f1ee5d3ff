// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgrctl output: text (iproute2-like `key value` pairs) and JSON
 * (one object per table, counter set or event) renderings.
 *
 * A value the library has no name for (an enum from a newer module) is
 * printed as its number, in text and in JSON, rather than dropped or
 * guessed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etsmgr_records.h"
#include "output.h"

void print_json_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p > 0x7e)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

/* Bytes: a JSON string when printable ASCII, else an array of numbers. */
static void print_bytes_json(FILE *out, const unsigned char *p, size_t len)
{
	bool printable = true;

	for (size_t i = 0; i < len; i++)
		printable &= p[i] >= 0x20 && p[i] <= 0x7e;
	if (printable) {
		fputc('"', out);
		for (size_t i = 0; i < len; i++) {
			if (p[i] == '"' || p[i] == '\\')
				fputc('\\', out);
			fputc(p[i], out);
		}
		fputc('"', out);
		return;
	}
	fputc('[', out);
	for (size_t i = 0; i < len; i++)
		fprintf(out, i ? ",%u" : "%u", p[i]);
	fputc(']', out);
}

void print_record_json(FILE *out, const void *key, size_t key_len,
		       const void *value, size_t value_len)
{
	size_t len = etsmgr_record_text(NULL, 0, key, key_len, value,
					value_len);
	char *term = malloc(len + 1);
	int64_t counter;

	fputs("{\"key\":", out);
	print_bytes_json(out, key, key_len);
	fputs(",\"value\":", out);
	if (value_len == sizeof(counter)) {
		memcpy(&counter, value, sizeof(counter));
		fprintf(out, "%" PRId64, counter);
	} else {
		print_bytes_json(out, value, value_len);
	}
	if (term) {
		etsmgr_record_text(term, len + 1, key, key_len, value,
				   value_len);
		fputs(",\"term\":", out);
		print_json_string(out, term);
		free(term);
	}
	fputc('}', out);
}

/* The walk of `dump -j`: one array element per record. */
struct dump_walk {
	FILE *out;
	unsigned int count;
};

static int print_dump_record(const void *key, size_t key_len,
			     const void *value, size_t value_len, void *arg)
{
	struct dump_walk *walk = arg;

	fputs(walk->count ? "," : "", walk->out);
	print_record_json(walk->out, key, key_len, value, value_len);
	walk->count++;
	return 0;
}

int print_dump_json(FILE *out, const struct etsmgr_set *set, uint64_t id,
		    const char *name)
{
	struct dump_walk walk = { .out = out };
	int ret;

	fprintf(out, "{\"id\":%" PRIu64 ",\"name\":", id);
	print_json_string(out, name);
	fputs(",\"records\":[", out);
	ret = etsmgr_set_foreach(set, print_dump_record, &walk);
	fputs("]}\n", out);
	return ret;
}

/* An enum value by name, or by number when @name is NULL. */
static void print_enum_text(FILE *out, const char *name, uint32_t value)
{
	if (name)
		fputs(name, out);
	else
		fprintf(out, "%" PRIu32, value);
}

static void print_enum_json(FILE *out, const char *name, uint32_t value)
{
	if (name)
		print_json_string(out, name);
	else
		fprintf(out, "%" PRIu32, value);
}

/*
 * How the last owner let go, as text: "status 3", "signal 9", "closed";
 * nothing when there was no such owner.
 */
static void print_exit_text(FILE *out, const struct etsmgr_table *table)
{
	switch (table->exit_reason) {
	case ETSMGR_EXIT_NONE:
		break;
	case ETSMGR_EXIT_EXITED:
		fprintf(out, "status %" PRId32, table->exit_status);
		break;
	case ETSMGR_EXIT_SIGNALED:
		fprintf(out, "signal %" PRId32, table->exit_status);
		break;
	case ETSMGR_EXIT_CLOSED:
		fputs("closed", out);
		break;
	default:
		fprintf(out, "%" PRIu32 " %" PRId32, table->exit_reason,
			table->exit_status);
	}
}

void print_table_text(FILE *out, const struct etsmgr_table *table)
{
	fprintf(out, "%s id %" PRIu64 " owner %" PRIu32 " state ", table->name,
		table->id, table->owner_pid);
	print_enum_text(out, etsmgr_state_name(table->state), table->state);
	fprintf(out, " size %" PRIu64 " generation %" PRIu64 " access ",
		table->size, table->generation);
	print_enum_text(out, etsmgr_access_name(table->access), table->access);
	fprintf(out, " uid %" PRIu32, table->uid);
	if (table->exit_reason != ETSMGR_EXIT_NONE) {
		fputs(" exit ", out);
		print_exit_text(out, table);
	}
	fputc('\n', out);
}

/* The members of a table's JSON object, without braces. */
static void print_table_json_members(FILE *out,
				     const struct etsmgr_table *table)
{
	fputs("\"name\":", out);
	print_json_string(out, table->name);
	fprintf(out, ",\"id\":%" PRIu64 ",\"owner_pid\":%" PRIu32 ",\"state\":",
		table->id, table->owner_pid);
	print_enum_json(out, etsmgr_state_name(table->state), table->state);
	fprintf(out, ",\"size\":%" PRIu64 ",\"generation\":%" PRIu64
		",\"access\":", table->size, table->generation);
	print_enum_json(out, etsmgr_access_name(table->access), table->access);
	fprintf(out, ",\"uid\":%" PRIu32 ",\"create_time_ns\":%" PRIu64
		",\"transfer_time_ns\":%" PRIu64 ",\"exit_reason\":",
		table->uid, table->create_time_ns, table->transfer_time_ns);
	print_enum_json(out, etsmgr_exit_reason_name(table->exit_reason),
			table->exit_reason);
	fprintf(out, ",\"exit_status\":%" PRId32, table->exit_status);
}

void print_table_json(FILE *out, const struct etsmgr_table *table)
{
	fputc('{', out);
	print_table_json_members(out, table);
	fputc('}', out);
}

int format_utc_time(uint64_t ns, char *buf, size_t size)
{
	time_t seconds = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!gmtime_r(&seconds, &tm) ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -EOVERFLOW;
	return 0;
}

void print_stats_text(FILE *out, const struct etsmgr_stats *stats)
{
	char load_time[64];

	fprintf(out,
		"sessions %" PRIu64 "\n"
		"tables %" PRIu64 "\n"
		"held %" PRIu64 "\n"
		"bytes %" PRIu64 "\n"
		"created %" PRIu64 "\n"
		"reclaimed %" PRIu64 "\n"
		"deleted %" PRIu64 "\n"
		"events %" PRIu64 "\n"
		"max_tables %" PRIu64 "\n"
		"max_table_size %" PRIu64 "\n"
		"max_total_size %" PRIu64 "\n",
		stats->sessions, stats->tables, stats->held, stats->bytes,
		stats->created, stats->reclaimed, stats->deleted,
		stats->events, stats->max_tables, stats->max_table_size,
		stats->max_total_size);
	if (format_utc_time(stats->load_time_ns, load_time, sizeof(load_time)))
		fprintf(out, "load_time_ns %" PRIu64 "\n", stats->load_time_ns);
	else
		fprintf(out, "load_time %s\n", load_time);
	fprintf(out, "state %s\nadopted %" PRIu64 "\nns_reaped %" PRIu64 "\n",
		etsmgr_manager_state_name(stats->state), stats->adopted,
		stats->ns_reaped);
}

void print_stats_json(FILE *out, const struct etsmgr_stats *stats)
{
	fprintf(out,
		"{\"sessions\":%" PRIu64 ",\"tables\":%" PRIu64
		",\"held\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"created\":%" PRIu64 ",\"reclaimed\":%" PRIu64
		",\"deleted\":%" PRIu64 ",\"events\":%" PRIu64
		",\"max_tables\":%" PRIu64 ",\"max_table_size\":%" PRIu64
		",\"max_total_size\":%" PRIu64 ",\"load_time_ns\":%" PRIu64
		",\"state\":\"%s\",\"adopted\":%" PRIu64
		",\"ns_reaped\":%" PRIu64 "}\n",
		stats->sessions, stats->tables, stats->held, stats->bytes,
		stats->created, stats->reclaimed, stats->deleted,
		stats->events, stats->max_tables, stats->max_table_size,
		stats->max_total_size, stats->load_time_ns,
		etsmgr_manager_state_name(stats->state), stats->adopted,
		stats->ns_reaped);
}

void print_event_text(FILE *out, const struct etsmgr_table_event *event)
{
	const struct etsmgr_table *table = &event->table;
	const char *name = etsmgr_event_name(event->event);

	if (!name)
		fprintf(out, "event %" PRIu32, event->event);
	else
		fputs(name, out);
	/* Id 0: an event about the manager, not about a table. */
	if (table->id)
		fprintf(out, " %s id %" PRIu64, table->name, table->id);
	fprintf(out, " pid %" PRIu32, event->pid);
	switch (event->event) {
	case ETSMGR_EVENT_CREATED:
	case ETSMGR_EVENT_RECLAIMED:
	case ETSMGR_EVENT_ADOPTED:
		fprintf(out, " generation %" PRIu64, table->generation);
		break;
	case ETSMGR_EVENT_OWNER_EXITED:
		if (table->exit_reason != ETSMGR_EXIT_NONE) {
			fputc(' ', out);
			print_exit_text(out, table);
		}
		break;
	}
	fputc('\n', out);
}

void print_event_json(FILE *out, const struct etsmgr_table_event *event)
{
	fputs("{\"event\":", out);
	print_enum_json(out, etsmgr_event_name(event->event), event->event);
	fprintf(out, ",\"pid\":%" PRIu32, event->pid);
	if (event->table.id) {
		fputc(',', out);
		print_table_json_members(out, &event->table);
	}
	fputs("}\n", out);
}
