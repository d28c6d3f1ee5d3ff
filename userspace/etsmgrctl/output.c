// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgrctl output: text (iproute2-like `key value` pairs) and JSON
 * (json-c objects: one per table, counter set, event or record).
 *
 * A value the library has no name for (an enum from a newer module) is
 * printed as its number in text and as null in JSON, rather than dropped
 * or guessed.
 *
 * Every JSON object is built whole before anything is printed, and a
 * failed allocation fails the whole object (NULL), never a member that
 * silently turns into null.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etsmgr_records.h"
#include "output.h"

/* Members are added under constant keys, each once. */
#define ADD_FLAGS (JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY)

int print_json(FILE *out, struct json_object *doc, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
			      JSON_C_TO_STRING_PLAIN);
	const char *text;
	size_t len;

	text = json_object_to_json_string_length(doc, flags, &len);
	if (!text)
		return -ENOMEM;
	if (fwrite(text, 1, len, out) != len || fputc('\n', out) == EOF)
		return -EIO;
	return 0;
}

/*
 * Add @value (NULL: its allocation failed) to @obj under @key. False
 * when it could not be added; @value is released then.
 */
static bool put(struct json_object *obj, const char *key,
		struct json_object *value)
{
	if (!value)
		return false;
	if (json_object_object_add_ex(obj, key, value, ADD_FLAGS)) {
		json_object_put(value);
		return false;
	}
	return true;
}

static bool put_u64(struct json_object *obj, const char *key, uint64_t value)
{
	return put(obj, key, json_object_new_uint64(value));
}

/* An enum value by name, or null when @name is NULL (unknown value). */
static bool put_enum(struct json_object *obj, const char *key,
		     const char *name)
{
	if (!name)
		return !json_object_object_add_ex(obj, key, NULL, ADD_FLAGS);
	return put(obj, key, json_object_new_string(name));
}

/*
 * A C string as a JSON string. json-c copies bytes above 0x7f as they
 * are, which is not valid JSON unless they are UTF-8: such a byte (never
 * in a name the kernel checked) is taken as the Latin-1 character of its
 * value, so the text stays valid and says which bytes were there.
 */
static struct json_object *text_json(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	struct json_object *string;
	size_t len = 0, high = 0;
	char *utf8, *q;

	for (; p[len]; len++)
		high += p[len] > 0x7f;
	if (!high)
		return json_object_new_string_len(text, (int)len);
	utf8 = malloc(len + high);
	if (!utf8)
		return NULL;
	q = utf8;
	for (size_t i = 0; i < len; i++) {
		if (p[i] > 0x7f) {
			*q++ = (char)(0xc0 | p[i] >> 6);
			*q++ = (char)(0x80 | (p[i] & 0x3f));
		} else {
			*q++ = (char)p[i];
		}
	}
	string = json_object_new_string_len(utf8, (int)(len + high));
	free(utf8);
	return string;
}

/* A string member, or null when @text is empty (never renamed, no reason). */
static bool put_text_or_null(struct json_object *obj, const char *key,
			     const char *text)
{
	if (!text[0])
		return !json_object_object_add_ex(obj, key, NULL, ADD_FLAGS);
	return put(obj, key, text_json(text));
}

/* Adds the member "hex": @p's bytes in lower-case hexadecimal, to @obj. */
static bool put_hex(struct json_object *obj, const unsigned char *p,
		    size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *hex = malloc(2 * len + 1);
	bool ok;

	if (!hex || len > INT32_MAX / 2) {
		free(hex);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 0xf];
	}
	ok = put(obj, "hex", json_object_new_string_len(hex, (int)(2 * len)));
	free(hex);
	return ok;
}

/*
 * A key or a value: a string when printable ASCII, else {"hex":H}; an
 * 8-byte value (@counter) is {"int":N,"hex":H} whatever its bytes.
 */
static struct json_object *bytes_json(const void *bytes, size_t len,
				      bool counter)
{
	const unsigned char *p = bytes;
	struct json_object *obj;
	bool printable = len <= INT32_MAX;
	int64_t number;

	for (size_t i = 0; i < len && printable && !counter; i++)
		printable = p[i] >= 0x20 && p[i] <= 0x7e;
	if (printable && !counter)
		return json_object_new_string_len(bytes, (int)len);
	obj = json_object_new_object();
	if (!obj)
		return NULL;
	if (counter) {
		memcpy(&number, bytes, sizeof(number));
		if (!put(obj, "int", json_object_new_int64(number)))
			goto fail;
	}
	if (!put_hex(obj, p, len))
		goto fail;
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

struct json_object *record_json(const void *key, size_t key_len,
				const void *value, size_t value_len)
{
	size_t len = etsmgr_record_text(NULL, 0, key, key_len, value,
					value_len);
	struct json_object *obj = json_object_new_object();
	char *term = len < INT32_MAX ? malloc(len + 1) : NULL;
	bool ok;

	ok = obj && term &&
	     put(obj, "key", bytes_json(key, key_len, false)) &&
	     put(obj, "value", bytes_json(value, value_len,
					  value_len == sizeof(int64_t)));
	if (ok) {
		etsmgr_record_text(term, len + 1, key, key_len, value,
				   value_len);
		ok = put(obj, "term", json_object_new_string_len(term,
								 (int)len));
	}
	free(term);
	if (!ok) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* Appends each record the walk passes to the array @arg. */
static int add_record(const void *key, size_t key_len, const void *value,
		      size_t value_len, void *arg)
{
	struct json_object *record = record_json(key, key_len, value,
						 value_len);

	if (!record)
		return -ENOMEM;
	if (json_object_array_add(arg, record)) {
		json_object_put(record);
		return -ENOMEM;
	}
	return 0;
}

int dump_json(const struct etsmgr_set *set, uint64_t id, const char *name,
	      struct json_object **doc)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *records = json_object_new_array();
	int ret = -ENOMEM;

	*doc = NULL;
	if (!obj || !records || !put_u64(obj, "id", id) ||
	    !put(obj, "name", text_json(name))) {
		json_object_put(records);
		goto fail;
	}
	/* @obj owns @records from here on; the walk fills it in place. */
	if (!put(obj, "records", records))
		goto fail;
	ret = etsmgr_set_foreach(set, add_record, records);
	if (ret)
		goto fail;
	*doc = obj;
	return 0;
fail:
	json_object_put(obj);
	return ret;
}

/* The members of a table's object: false when memory ran out. */
static bool put_table_members(struct json_object *obj,
			      const struct etsmgr_table *table)
{
	return put(obj, "name", text_json(table->name)) &&
	       put_u64(obj, "id", table->id) &&
	       put_u64(obj, "owner_pid", table->owner_pid) &&
	       put_enum(obj, "state", etsmgr_state_name(table->state)) &&
	       put_u64(obj, "size", table->size) &&
	       put_u64(obj, "generation", table->generation) &&
	       put_enum(obj, "access", etsmgr_access_name(table->access)) &&
	       put_u64(obj, "uid", table->uid) &&
	       put_u64(obj, "create_time_ns", table->create_time_ns) &&
	       put_u64(obj, "transfer_time_ns", table->transfer_time_ns) &&
	       put_enum(obj, "exit_reason",
			etsmgr_exit_reason_name(table->exit_reason)) &&
	       put(obj, "exit_status", json_object_new_int(table->exit_status)) &&
	       put(obj, "mapped", json_object_new_boolean(table->mapped != 0)) &&
	       put_u64(obj, "heir_pid", table->heir_pid) &&
	       put_text_or_null(obj, "orig_name", table->orig_name) &&
	       put_text_or_null(obj, "rename_reason", table->rename_reason);
}

struct json_object *table_json(const struct etsmgr_table *table)
{
	struct json_object *obj = json_object_new_object();

	if (obj && !put_table_members(obj, table)) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct json_object *stats_json(const struct etsmgr_stats *stats)
{
	struct json_object *obj = json_object_new_object();

	if (obj &&
	    !(put_u64(obj, "sessions", stats->sessions) &&
	      put_u64(obj, "tables", stats->tables) &&
	      put_u64(obj, "held", stats->held) &&
	      put_u64(obj, "bytes", stats->bytes) &&
	      put_u64(obj, "created", stats->created) &&
	      put_u64(obj, "reclaimed", stats->reclaimed) &&
	      put_u64(obj, "deleted", stats->deleted) &&
	      put_u64(obj, "events", stats->events) &&
	      put_u64(obj, "max_tables", stats->max_tables) &&
	      put_u64(obj, "max_table_size", stats->max_table_size) &&
	      put_u64(obj, "max_total_size", stats->max_total_size) &&
	      put_u64(obj, "load_time_ns", stats->load_time_ns) &&
	      put_enum(obj, "state", etsmgr_manager_state_name(stats->state)) &&
	      put_u64(obj, "adopted", stats->adopted) &&
	      put_u64(obj, "ns_reaped", stats->ns_reaped))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct json_object *event_json(const struct etsmgr_table_event *event)
{
	struct json_object *obj = json_object_new_object();

	/* Id 0: an event about the manager, not about a table. */
	if (obj &&
	    !(put_enum(obj, "event", etsmgr_event_name(event->event)) &&
	      put_u64(obj, "pid", event->pid) &&
	      (!event->table.id || put_table_members(obj, &event->table)) &&
	      (event->event != ETSMGR_EVENT_RENAMED ||
	       put(obj, "old_name", text_json(event->old_name))))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct json_object *drain_json(uint64_t tables, uint64_t discarded)
{
	struct json_object *obj = json_object_new_object();

	if (obj &&
	    !(put(obj, "drained", json_object_new_boolean(1)) &&
	      put_u64(obj, "tables", tables) &&
	      put_u64(obj, "discarded", discarded))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* An enum value by name, or by number when @name is NULL. */
static void print_enum_text(FILE *out, const char *name, uint32_t value)
{
	if (name)
		fputs(name, out);
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

/*
 * A reason, which may hold spaces, as one word: in double quotes, with
 * '"' and '\\' escaped by a backslash (the kernel lets only printable
 * ASCII through).
 */
static void print_quoted_text(FILE *out, const char *text)
{
	fputc('"', out);
	for (; *text; text++) {
		if (*text == '"' || *text == '\\')
			fputc('\\', out);
		fputc(*text, out);
	}
	fputc('"', out);
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
	if (table->orig_name[0])
		fprintf(out, " orig_name %s", table->orig_name);
	if (table->rename_reason[0]) {
		fputs(" reason ", out);
		print_quoted_text(out, table->rename_reason);
	}
	fputc('\n', out);
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
	fputs("state ", out);
	print_enum_text(out, etsmgr_manager_state_name(stats->state),
			stats->state);
	fprintf(out, "\nadopted %" PRIu64 "\nns_reaped %" PRIu64 "\n",
		stats->adopted, stats->ns_reaped);
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
	case ETSMGR_EVENT_RENAMED:
		fprintf(out, " from %s", event->old_name);
		break;
	}
	fputc('\n', out);
}
