// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of etsmgrctl's output formats: every text line
 * and JSON object, byte for byte, including JSON escaping, values that
 * the library has no name for, records, and dumps whose walk fails.
 */
#include <errno.h>

#include "output.h"
#include "etsmgr_records.h"
#include "unit.h"

/* Collects what a print_*() function writes. */
struct capture {
	char *text;
	size_t len;
	FILE *out;
};

static FILE *capture_start(struct capture *capture)
{
	capture->text = NULL;
	capture->out = open_memstream(&capture->text, &capture->len);
	if (!capture->out)
		abort();
	return capture->out;
}

/* The text written since capture_start(); free() it. */
static char *capture_end(struct capture *capture)
{
	fclose(capture->out);
	return capture->text;
}

/* A JSON object, compact, as print_json() prints it; the object is put. */
#define CHECK_JSON(object, want)					\
	do {								\
		struct json_object *obj = (object);			\
		CHECK(obj != NULL);					\
		CHECK_OUTPUT(CHECK_INT(print_json(out, obj, false), 0),	\
			     want "\n");				\
		json_object_put(obj);					\
	} while (0)

#define CHECK_OUTPUT(call, want)					\
	do {								\
		struct capture capture;					\
		FILE *out = capture_start(&capture);			\
		call;							\
		char *got = capture_end(&capture);			\
		CHECK_STR(got, want);					\
		free(got);						\
	} while (0)

static const struct etsmgr_table owned_table = {
	.id = 1712345678,
	.name = "etscounter",
	.size = 4096,
	.generation = 1,
	.create_time_ns = 1700000000123456789ULL,
	.transfer_time_ns = 1700000000123456789ULL,
	.state = ETSMGR_STATE_OWNED,
	.access = ETSMGR_ACCESS_PROTECTED,
	.uid = 0,
	.owner_pid = 4242,
	.exit_reason = ETSMGR_EXIT_NONE,
	.exit_status = 0,
	.mapped = 1,
	.heir_pid = 0,
};

static struct etsmgr_table held_table(uint32_t reason, int32_t status)
{
	struct etsmgr_table table = owned_table;

	table.state = ETSMGR_STATE_HELD;
	table.owner_pid = 0;
	table.exit_reason = reason;
	table.exit_status = status;
	table.mapped = 0;
	return table;
}

/* A table's name in its JSON object (a JSON string is "..."). */
static char *name_json(const char *name)
{
	struct etsmgr_table table = owned_table;
	struct json_object *obj, *member;
	char *text;

	snprintf(table.name, sizeof(table.name), "%s", name);
	obj = table_json(&table);
	if (!obj || !json_object_object_get_ex(obj, "name", &member))
		abort();
	text = strdup(json_object_to_json_string_ext(member,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	return text;
}

#define CHECK_NAME(name, want)						\
	do {								\
		char *got = name_json(name);				\
		CHECK_STR(got, want);					\
		free(got);						\
	} while (0)

static void test_json_string(void)
{
	CHECK_NAME("", "\"\"");
	CHECK_NAME("etscounter:a.b-c_d", "\"etscounter:a.b-c_d\"");
	CHECK_NAME("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	CHECK_NAME("\n\t\r\x01\x1f", "\"\\n\\t\\r\\u0001\\u001f\"");
	/*
	 * Not ASCII (no kernel that checks names sends it): each byte is
	 * the Latin-1 character of its value, so the JSON stays valid.
	 */
	CHECK_NAME("caf\xc3\xa9\x7f\xff", "\"caf\xc3\x83\xc2\xa9\x7f\xc3\xbf\"");
}

static void test_table_text(void)
{
	struct etsmgr_table table;

	CHECK_OUTPUT(print_table_text(out, &owned_table),
		     "etscounter id 1712345678 owner 4242 state owned "
		     "size 4096 generation 1 access protected uid 0\n");

	table = held_table(ETSMGR_EXIT_SIGNALED, 9);
	CHECK_OUTPUT(print_table_text(out, &table),
		     "etscounter id 1712345678 owner 0 state held "
		     "size 4096 generation 1 access protected uid 0 "
		     "exit signal 9\n");
	table = held_table(ETSMGR_EXIT_EXITED, 3);
	CHECK_OUTPUT(print_table_text(out, &table),
		     "etscounter id 1712345678 owner 0 state held "
		     "size 4096 generation 1 access protected uid 0 "
		     "exit status 3\n");
	table = held_table(ETSMGR_EXIT_CLOSED, 0);
	CHECK_OUTPUT(print_table_text(out, &table),
		     "etscounter id 1712345678 owner 0 state held "
		     "size 4096 generation 1 access protected uid 0 "
		     "exit closed\n");

	/* Reclaimed: owned again, and the last exit is still told. */
	table = held_table(ETSMGR_EXIT_SIGNALED, 9);
	table.state = ETSMGR_STATE_OWNED;
	table.owner_pid = 4343;
	table.generation = 2;
	table.access = ETSMGR_ACCESS_PUBLIC;
	table.uid = 65534;
	CHECK_OUTPUT(print_table_text(out, &table),
		     "etscounter id 1712345678 owner 4343 state owned "
		     "size 4096 generation 2 access public uid 65534 "
		     "exit signal 9\n");

	/* Values from a newer module: numbers, not guesses. */
	table = owned_table;
	table.state = 7;
	table.access = 9;
	table.exit_reason = 5;
	table.exit_status = -1;
	CHECK_OUTPUT(print_table_text(out, &table),
		     "etscounter id 1712345678 owner 4242 state 7 "
		     "size 4096 generation 1 access 9 uid 0 exit 5 -1\n");
}

static void test_table_json(void)
{
	struct etsmgr_table table;

	CHECK_JSON(table_json(&owned_table),
		     "{\"name\":\"etscounter\",\"id\":1712345678,"
		     "\"owner_pid\":4242,\"state\":\"owned\",\"size\":4096,"
		     "\"generation\":1,\"access\":\"protected\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"none\",\"exit_status\":0,"
		     "\"mapped\":true,\"heir_pid\":0,"
		     "\"orig_name\":null,\"rename_reason\":null}");

	table = held_table(ETSMGR_EXIT_EXITED, 3);
	table.id = UINT64_MAX;
	table.access = ETSMGR_ACCESS_PRIVATE;
	CHECK_JSON(table_json(&table),
		     "{\"name\":\"etscounter\",\"id\":18446744073709551615,"
		     "\"owner_pid\":0,\"state\":\"held\",\"size\":4096,"
		     "\"generation\":1,\"access\":\"private\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"exited\",\"exit_status\":3,"
		     "\"mapped\":false,\"heir_pid\":0,"
		     "\"orig_name\":null,\"rename_reason\":null}");

	/* A process heir, and a held table still mapped by a live process. */
	table = held_table(ETSMGR_EXIT_CLOSED, 0);
	table.mapped = 1;
	table.heir_pid = 4343;
	CHECK_JSON(table_json(&table),
		     "{\"name\":\"etscounter\",\"id\":1712345678,"
		     "\"owner_pid\":0,\"state\":\"held\",\"size\":4096,"
		     "\"generation\":1,\"access\":\"protected\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"closed\",\"exit_status\":0,"
		     "\"mapped\":true,\"heir_pid\":4343,"
		     "\"orig_name\":null,\"rename_reason\":null}");

	/* Values from a newer module: null, never a number or "(null)". */
	table = held_table(ETSMGR_EXIT_SIGNALED, 9);
	table.state = 0;
	table.access = 9;
	table.exit_reason = 5;
	table.exit_status = -1;
	CHECK_JSON(table_json(&table),
		     "{\"name\":\"etscounter\",\"id\":1712345678,"
		     "\"owner_pid\":0,\"state\":null,\"size\":4096,"
		     "\"generation\":1,\"access\":null,\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":null,\"exit_status\":-1,"
		     "\"mapped\":false,\"heir_pid\":0,"
		     "\"orig_name\":null,\"rename_reason\":null}");
}

static const struct etsmgr_stats stats = {
	.sessions = 2,
	.tables = 3,
	.held = 1,
	.bytes = 16384,
	.created = 10,
	.reclaimed = 4,
	.deleted = 7,
	.events = 25,
	.max_tables = 65536,
	.max_table_size = 1073741824,
	.max_total_size = 4294967296,
	.load_time_ns = 1700000000123456789ULL,
	.state = ETSMGR_MANAGER_DRAINING,
	.adopted = 5,
	.ns_reaped = 6,
};

static void test_stats(void)
{
	CHECK_OUTPUT(print_stats_text(out, &stats),
		     "sessions 2\n"
		     "tables 3\n"
		     "held 1\n"
		     "bytes 16384\n"
		     "created 10\n"
		     "reclaimed 4\n"
		     "deleted 7\n"
		     "events 25\n"
		     "max_tables 65536\n"
		     "max_table_size 1073741824\n"
		     "max_total_size 4294967296\n"
		     "load_time 2023-11-14T22:13:20Z\n"
		     "state draining\n"
		     "adopted 5\n"
		     "ns_reaped 6\n");
	CHECK_JSON(stats_json(&stats),
		     "{\"sessions\":2,\"tables\":3,\"held\":1,\"bytes\":16384,"
		     "\"created\":10,\"reclaimed\":4,\"deleted\":7,"
		     "\"events\":25,\"max_tables\":65536,"
		     "\"max_table_size\":1073741824,"
		     "\"max_total_size\":4294967296,"
		     "\"load_time_ns\":1700000000123456789,"
		     "\"state\":\"draining\",\"adopted\":5,\"ns_reaped\":6}");
}

/* A manager state from a newer module: its number, JSON null. */
static void test_stats_unknown_state(void)
{
	struct etsmgr_stats unknown = stats;
	struct capture capture;
	char *got;

	unknown.state = 9;
	capture_start(&capture);
	print_stats_text(capture.out, &unknown);
	got = capture_end(&capture);
	CHECK(strstr(got, "\nstate 9\nadopted 5\n") != NULL);
	CHECK(strstr(got, "null") == NULL);
	free(got);
	CHECK_JSON(stats_json(&unknown),
		     "{\"sessions\":2,\"tables\":3,\"held\":1,\"bytes\":16384,"
		     "\"created\":10,\"reclaimed\":4,\"deleted\":7,"
		     "\"events\":25,\"max_tables\":65536,"
		     "\"max_table_size\":1073741824,"
		     "\"max_total_size\":4294967296,"
		     "\"load_time_ns\":1700000000123456789,"
		     "\"state\":null,\"adopted\":5,\"ns_reaped\":6}");
}

static void test_format_utc_time(void)
{
	char buf[32];

	CHECK_INT(format_utc_time(0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	CHECK_INT(format_utc_time(1700000000999999999ULL, buf, sizeof(buf)),
		  0);
	CHECK_STR(buf, "2023-11-14T22:13:20Z");
	CHECK_INT(format_utc_time(0, buf, 20), -EOVERFLOW);
}

static struct etsmgr_table_event make_event(uint32_t type, uint32_t pid,
					    struct etsmgr_table table)
{
	struct etsmgr_table_event event = {
		.event = type,
		.pid = pid,
		.table = table,
	};

	return event;
}

static void test_event_text(void)
{
	struct etsmgr_table_event event;
	struct etsmgr_table table = owned_table;

	table.id = 123;
	table.owner_pid = 456;
	event = make_event(ETSMGR_EVENT_CREATED, 456, table);
	CHECK_OUTPUT(print_event_text(out, &event),
		     "created etscounter id 123 pid 456 generation 1\n");

	table = held_table(ETSMGR_EXIT_SIGNALED, 9);
	table.id = 123;
	event = make_event(ETSMGR_EVENT_OWNER_EXITED, 456, table);
	CHECK_OUTPUT(print_event_text(out, &event),
		     "owner_exited etscounter id 123 pid 456 signal 9\n");
	event.table.exit_reason = ETSMGR_EXIT_EXITED;
	event.table.exit_status = 3;
	CHECK_OUTPUT(print_event_text(out, &event),
		     "owner_exited etscounter id 123 pid 456 status 3\n");
	event.table.exit_reason = ETSMGR_EXIT_CLOSED;
	CHECK_OUTPUT(print_event_text(out, &event),
		     "owner_exited etscounter id 123 pid 456 closed\n");

	table.state = ETSMGR_STATE_OWNED;
	table.owner_pid = 789;
	table.generation = 2;
	event = make_event(ETSMGR_EVENT_RECLAIMED, 789, table);
	CHECK_OUTPUT(print_event_text(out, &event),
		     "reclaimed etscounter id 123 pid 789 generation 2\n");
	event = make_event(ETSMGR_EVENT_DELETED, 789, table);
	CHECK_OUTPUT(print_event_text(out, &event),
		     "deleted etscounter id 123 pid 789\n");
	table.generation = 3;
	event = make_event(ETSMGR_EVENT_ADOPTED, 790, table);
	CHECK_OUTPUT(print_event_text(out, &event),
		     "adopted etscounter id 123 pid 790 generation 3\n");
	memset(&event.table, 0, sizeof(event.table));
	event.event = ETSMGR_EVENT_MANAGER_STOPPING;
	CHECK_OUTPUT(print_event_text(out, &event),
		     "manager_stopping pid 790\n");
	event = make_event(42, 789, table);
	CHECK_OUTPUT(print_event_text(out, &event),
		     "event 42 etscounter id 123 pid 789\n");
	memset(&event.table, 0, sizeof(event.table));
	CHECK_OUTPUT(print_event_text(out, &event), "event 42 pid 789\n");
}

#define HELD_MEMBERS(exit_reason, exit_status)				\
	"\"name\":\"\\\"tscounter\",\"id\":123,"				\
	"\"owner_pid\":0,\"state\":\"held\",\"size\":4096,"		\
	"\"generation\":1,\"access\":\"protected\",\"uid\":0,"		\
	"\"create_time_ns\":1700000000123456789,"			\
	"\"transfer_time_ns\":1700000000123456789,"			\
	"\"exit_reason\":" exit_reason ",\"exit_status\":" exit_status	\
	",\"mapped\":false,\"heir_pid\":0,"				\
	"\"orig_name\":null,\"rename_reason\":null"

static void test_event_json(void)
{
	struct etsmgr_table table = held_table(ETSMGR_EXIT_SIGNALED, 9);
	struct etsmgr_table_event event;

	table.id = 123;
	table.name[0] = '"';
	event = make_event(ETSMGR_EVENT_OWNER_EXITED, 456, table);
	CHECK_JSON(event_json(&event),
		     "{\"event\":\"owner_exited\",\"pid\":456,"
		     HELD_MEMBERS("\"signaled\"", "9") "}");
	/* An event from a newer module: null. */
	event.event = 42;
	CHECK_JSON(event_json(&event),
		     "{\"event\":null,\"pid\":456,"
		     HELD_MEMBERS("\"signaled\"", "9") "}");
	event.table.exit_reason = 17;
	CHECK_JSON(event_json(&event),
		     "{\"event\":null,\"pid\":456,"
		     HELD_MEMBERS("null", "9") "}");
	memset(&event.table, 0, sizeof(event.table));
	CHECK_JSON(event_json(&event),
		     "{\"event\":null,\"pid\":456}");
	event.event = ETSMGR_EVENT_MANAGER_STOPPING;
	CHECK_JSON(event_json(&event),
		     "{\"event\":\"manager_stopping\",\"pid\":456}");
}

/*
 * A renamed table: its name at creation and the reason, a string each in
 * JSON, one word each in text (the reason quoted, '"' and '\\' escaped).
 */
static void test_renamed_table(void)
{
	struct etsmgr_table table = held_table(ETSMGR_EXIT_SIGNALED, 9);

	snprintf(table.name, sizeof(table.name), "etscounter.quarantined.1");
	snprintf(table.orig_name, sizeof(table.orig_name), "etscounter");
	snprintf(table.rename_reason, sizeof(table.rename_reason),
		 "3 deaths in 10 s \"after\" a \\reclaim");
	CHECK_OUTPUT(print_table_text(out, &table),
		     "etscounter.quarantined.1 id 1712345678 owner 0 state held "
		     "size 4096 generation 1 access protected uid 0 "
		     "exit signal 9 orig_name etscounter "
		     "reason \"3 deaths in 10 s \\\"after\\\" a \\\\reclaim\"\n");
	CHECK_JSON(table_json(&table),
		     "{\"name\":\"etscounter.quarantined.1\",\"id\":1712345678,"
		     "\"owner_pid\":0,\"state\":\"held\",\"size\":4096,"
		     "\"generation\":1,\"access\":\"protected\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"signaled\",\"exit_status\":9,"
		     "\"mapped\":false,\"heir_pid\":0,"
		     "\"orig_name\":\"etscounter\","
		     "\"rename_reason\":"
		     "\"3 deaths in 10 s \\\"after\\\" a \\\\reclaim\"}");

	/* Renamed without a reason: no reason word, a null. */
	table.rename_reason[0] = '\0';
	CHECK_OUTPUT(print_table_text(out, &table),
		     "etscounter.quarantined.1 id 1712345678 owner 0 state held "
		     "size 4096 generation 1 access protected uid 0 "
		     "exit signal 9 orig_name etscounter\n");
}

/* RENAMED: "from OLD" in text, "old_name" in JSON, and only there. */
static void test_renamed_event(void)
{
	struct etsmgr_table table = held_table(ETSMGR_EXIT_SIGNALED, 9);
	struct etsmgr_table_event event;

	table.id = 123;
	snprintf(table.name, sizeof(table.name), "b");
	snprintf(table.orig_name, sizeof(table.orig_name), "a");
	event = make_event(ETSMGR_EVENT_RENAMED, 456, table);
	snprintf(event.old_name, sizeof(event.old_name), "a");
	CHECK_OUTPUT(print_event_text(out, &event),
		     "renamed b id 123 pid 456 from a\n");
	CHECK_JSON(event_json(&event),
		     "{\"event\":\"renamed\",\"pid\":456,"
		     "\"name\":\"b\",\"id\":123,"
		     "\"owner_pid\":0,\"state\":\"held\",\"size\":4096,"
		     "\"generation\":1,\"access\":\"protected\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"signaled\",\"exit_status\":9,"
		     "\"mapped\":false,\"heir_pid\":0,"
		     "\"orig_name\":\"a\",\"rename_reason\":null,"
		     "\"old_name\":\"a\"}");
	event.event = ETSMGR_EVENT_DELETED;
	CHECK_OUTPUT(print_event_text(out, &event),
		     "deleted b id 123 pid 456\n");
}

/*
 * Records: a key or value is a string when it is printable ASCII, else
 * {"hex":...}; an 8-byte value is a counter, {"int":N,"hex":...}, whatever
 * bytes it holds (the record set stores it as one), so its bytes are
 * never lost to the integer's reading.
 */
static void test_record_json(void)
{
	int64_t three = 3, minus_one = -1;

	CHECK_JSON(record_json("count", 5, &three, 8),
		     "{\"key\":\"count\",\"value\":{\"int\":3,"
		     "\"hex\":\"0300000000000000\"},\"term\":\"{count,3}\"}");
	CHECK_JSON(record_json("c", 1, &minus_one, 8),
		     "{\"key\":\"c\",\"value\":{\"int\":-1,"
		     "\"hex\":\"ffffffffffffffff\"},\"term\":\"{c,-1}\"}");
	/* 8 printable bytes: still a counter, and the bytes are there. */
	CHECK_JSON(record_json("eight", 5, "12345678", 8),
		     "{\"key\":\"eight\",\"value\":{\"int\":4050765991979987505,"
		     "\"hex\":\"3132333435363738\"},"
		     "\"term\":\"{eight,4050765991979987505}\"}");
	CHECK_JSON(record_json("name", 4, "etsmgr", 6),
		     "{\"key\":\"name\",\"value\":\"etsmgr\","
		     "\"term\":\"{name,<<\\\"etsmgr\\\">>}\"}");
	CHECK_JSON(record_json("Key 1", 5, "a\"b\\", 4),
		     "{\"key\":\"Key 1\",\"value\":\"a\\\"b\\\\\","
		     "\"term\":\"{<<\\\"Key 1\\\">>,<<97,34,98,92>>}\"}");
	CHECK_JSON(record_json("\0\1\xff", 3, "", 0),
		     "{\"key\":{\"hex\":\"0001ff\"},\"value\":\"\","
		     "\"term\":\"{<<0,1,255>>,<<>>}\"}");
	CHECK_JSON(record_json("k", 1, "caf\xc3\xa9\n", 6),
		     "{\"key\":\"k\",\"value\":{\"hex\":\"636166c3a90a\"},"
		     "\"term\":\"{k,<<99,97,102,195,169,10>>}\"}");
	/* 7 and 9 bytes are binaries, not counters. */
	CHECK_JSON(record_json("k", 1, "\1\2\3\4\5\6\7", 7),
		     "{\"key\":\"k\",\"value\":{\"hex\":\"01020304050607\"},"
		     "\"term\":\"{k,<<1,2,3,4,5,6,7>>}\"}");
	CHECK_JSON(record_json("k", 1, "123456789", 9),
		     "{\"key\":\"k\",\"value\":\"123456789\","
		     "\"term\":\"{k,<<\\\"123456789\\\">>}\"}");
}

/*
 * The test links with -Wl,--wrap=etsmgr_set_foreach: output.c's walks
 * come here. With fail_after >= 0 the walk passes that many records,
 * then fails with -EUCLEAN, as the walk of a set a hostile writer
 * corrupted does half-way; else it is the library's own walk.
 */
int __real_etsmgr_set_foreach(const struct etsmgr_set *set, etsmgr_set_fn fn,
			      void *arg);
int __wrap_etsmgr_set_foreach(const struct etsmgr_set *set, etsmgr_set_fn fn,
			      void *arg);

static int fail_after = -1;

struct failing_walk {
	etsmgr_set_fn fn;
	void *arg;
	int left;
};

static int failing_record(const void *key, size_t key_len, const void *value,
			  size_t value_len, void *arg)
{
	struct failing_walk *walk = arg;

	if (walk->left-- == 0)
		return -EUCLEAN;
	return walk->fn(key, key_len, value, value_len, walk->arg);
}

int __wrap_etsmgr_set_foreach(const struct etsmgr_set *set, etsmgr_set_fn fn,
			      void *arg)
{
	struct failing_walk walk = { .fn = fn, .arg = arg, .left = fail_after };

	if (fail_after < 0)
		return __real_etsmgr_set_foreach(set, fn, arg);
	return __real_etsmgr_set_foreach(set, failing_record, &walk);
}

/* A record set of three records in @region (free() it). */
static struct etsmgr_set *three_records(void **region)
{
	uint64_t size = (etsmgr_set_region_size(16, 16, 64) + 4095) & ~4095ull;
	struct etsmgr_set *set = NULL;
	int64_t three = 3;

	*region = aligned_alloc(4096, size);
	if (!*region)
		abort();
	memset(*region, 0, size);
	CHECK_INT(etsmgr_set_format(*region, size, 16, 16, 64, 0), 0);
	CHECK_INT(etsmgr_set_open(*region, size, 0, &set), 0);
	CHECK_INT(etsmgr_set_insert(set, "count", 5, &three, 8), 0);
	CHECK_INT(etsmgr_set_insert(set, "name", 4, "etsmgr", 6), 0);
	CHECK_INT(etsmgr_set_insert(set, "Key 1", 5, "x", 1), 0);
	return set;
}

static const char *const three_records_json[] = {
	"{\"key\":\"count\",\"value\":{\"int\":3,"
	"\"hex\":\"0300000000000000\"},\"term\":\"{count,3}\"}",
	"{\"key\":\"name\",\"value\":\"etsmgr\","
	"\"term\":\"{name,<<\\\"etsmgr\\\">>}\"}",
	"{\"key\":\"Key 1\",\"value\":\"x\","
	"\"term\":\"{<<\\\"Key 1\\\">>,<<\\\"x\\\">>}\"}",
};

/* What `dump -j` prints: dump_json() and print_json(), or nothing. */
static int print_dump_json(FILE *out, const struct etsmgr_set *set,
			   uint64_t id, const char *name)
{
	struct json_object *doc;
	int ret = dump_json(set, id, name, &doc);

	if (!ret)
		ret = print_json(out, doc, false);
	json_object_put(doc);
	return ret;
}

/* `dump -j`: the whole document, or nothing at all when the walk fails. */
static void test_dump_json(void)
{
	const char head[] = "{\"id\":7,\"name\":\"t\",\"records\":[";
	struct capture capture;
	size_t want_len;
	void *region;
	struct etsmgr_set *set = three_records(&region);
	char *got;
	int ret;

	capture_start(&capture);
	ret = print_dump_json(capture.out, set, 7, "t");
	got = capture_end(&capture);
	CHECK_INT(ret, 0);
	CHECK(strncmp(got, head, strlen(head)) == 0);
	want_len = strlen(head) + 2 + strlen("]}\n");	/* two commas */
	for (size_t i = 0; i < 3; i++) {
		CHECK(strstr(got, three_records_json[i]) != NULL);
		want_len += strlen(three_records_json[i]);
	}
	CHECK_INT(strlen(got), want_len);
	CHECK(strcmp(got + strlen(got) - 3, "]}\n") == 0);
	if (unit_current_failed)
		printf("# got [%s]\n", got);
	free(got);

	/* A walk that fails first thing, or after a record, or two. */
	for (fail_after = 0; fail_after < 3; fail_after++) {
		capture_start(&capture);
		ret = print_dump_json(capture.out, set, 7, "t");
		got = capture_end(&capture);
		CHECK_INT(ret, -EUCLEAN);
		CHECK_STR(got, "");
		free(got);
	}
	fail_after = -1;
	etsmgr_set_close(set);
	free(region);
}

/* -p: the same document over several lines, indented. */
static void test_pretty(void)
{
	struct json_object *obj = table_json(&owned_table), *back;
	struct capture capture;
	char *compact, *pretty;
	const char *tail;

	CHECK(obj != NULL);
	capture_start(&capture);
	CHECK_INT(print_json(capture.out, obj, false), 0);
	compact = capture_end(&capture);
	capture_start(&capture);
	CHECK_INT(print_json(capture.out, obj, true), 0);
	pretty = capture_end(&capture);
	CHECK(strncmp(pretty, "{\n  \"name\": \"etscounter\",\n  \"id\": ", 34) == 0);
	tail = "\n  \"rename_reason\": null\n}\n";
	CHECK(strlen(pretty) > strlen(tail) &&
	      strcmp(pretty + strlen(pretty) - strlen(tail), tail) == 0);
	back = json_tokener_parse(pretty);
	CHECK(back != NULL);
	if (back)
		CHECK_STR(json_object_to_json_string_ext(back,
			JSON_C_TO_STRING_PLAIN), strtok(compact, "\n"));
	json_object_put(back);
	json_object_put(obj);
	free(compact);
	free(pretty);
}

int main(void)
{
	UNIT_TEST(test_json_string);
	UNIT_TEST(test_table_text);
	UNIT_TEST(test_table_json);
	UNIT_TEST(test_renamed_table);
	UNIT_TEST(test_renamed_event);
	UNIT_TEST(test_stats);
	UNIT_TEST(test_stats_unknown_state);
	UNIT_TEST(test_format_utc_time);
	UNIT_TEST(test_event_text);
	UNIT_TEST(test_event_json);
	UNIT_TEST(test_record_json);
	UNIT_TEST(test_dump_json);
	UNIT_TEST(test_pretty);
	return unit_done();
}
