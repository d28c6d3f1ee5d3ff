// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of etsmgrctl's output formats: every text line
 * and JSON object, byte for byte, including JSON escaping and values
 * that the library has no name for.
 */
#include <errno.h>

#include "../etsmgrctl/output.h"
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
};

static struct etsmgr_table held_table(uint32_t reason, int32_t status)
{
	struct etsmgr_table table = owned_table;

	table.state = ETSMGR_STATE_HELD;
	table.owner_pid = 0;
	table.exit_reason = reason;
	table.exit_status = status;
	return table;
}

static void test_json_string(void)
{
	CHECK_OUTPUT(print_json_string(out, ""), "\"\"");
	CHECK_OUTPUT(print_json_string(out, "etscounter:a.b-c_d"),
		     "\"etscounter:a.b-c_d\"");
	CHECK_OUTPUT(print_json_string(out, "a\"b\\c"), "\"a\\\"b\\\\c\"");
	CHECK_OUTPUT(print_json_string(out, "\n\t\r\x01\x1f"),
		     "\"\\n\\t\\u000d\\u0001\\u001f\"");
	/* Not ASCII: escaped byte by byte, so the JSON stays valid. */
	CHECK_OUTPUT(print_json_string(out, "caf\xc3\xa9\x7f"),
		     "\"caf\\u00c3\\u00a9\\u007f\"");
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

	CHECK_OUTPUT(print_table_json(out, &owned_table),
		     "{\"name\":\"etscounter\",\"id\":1712345678,"
		     "\"owner_pid\":4242,\"state\":\"owned\",\"size\":4096,"
		     "\"generation\":1,\"access\":\"protected\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"none\",\"exit_status\":0}");

	table = held_table(ETSMGR_EXIT_EXITED, 3);
	table.id = UINT64_MAX;
	table.access = ETSMGR_ACCESS_PRIVATE;
	CHECK_OUTPUT(print_table_json(out, &table),
		     "{\"name\":\"etscounter\",\"id\":18446744073709551615,"
		     "\"owner_pid\":0,\"state\":\"held\",\"size\":4096,"
		     "\"generation\":1,\"access\":\"private\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"exited\",\"exit_status\":3}");

	table = held_table(ETSMGR_EXIT_SIGNALED, 9);
	table.state = 0;
	CHECK_OUTPUT(print_table_json(out, &table),
		     "{\"name\":\"etscounter\",\"id\":1712345678,"
		     "\"owner_pid\":0,\"state\":0,\"size\":4096,"
		     "\"generation\":1,\"access\":\"protected\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"signaled\",\"exit_status\":9}");
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
	CHECK_OUTPUT(print_stats_json(out, &stats),
		     "{\"sessions\":2,\"tables\":3,\"held\":1,\"bytes\":16384,"
		     "\"created\":10,\"reclaimed\":4,\"deleted\":7,"
		     "\"events\":25,\"max_tables\":65536,"
		     "\"max_table_size\":1073741824,"
		     "\"max_total_size\":4294967296,"
		     "\"load_time_ns\":1700000000123456789,"
		     "\"state\":\"draining\",\"adopted\":5,\"ns_reaped\":6}\n");
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

static void test_event_json(void)
{
	struct etsmgr_table table = held_table(ETSMGR_EXIT_SIGNALED, 9);
	struct etsmgr_table_event event;

	table.id = 123;
	table.name[0] = '"';
	event = make_event(ETSMGR_EVENT_OWNER_EXITED, 456, table);
	CHECK_OUTPUT(print_event_json(out, &event),
		     "{\"event\":\"owner_exited\",\"pid\":456,"
		     "\"name\":\"\\\"tscounter\",\"id\":123,"
		     "\"owner_pid\":0,\"state\":\"held\",\"size\":4096,"
		     "\"generation\":1,\"access\":\"protected\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"signaled\",\"exit_status\":9}\n");
	event.event = 42;
	CHECK_OUTPUT(print_event_json(out, &event),
		     "{\"event\":42,\"pid\":456,"
		     "\"name\":\"\\\"tscounter\",\"id\":123,"
		     "\"owner_pid\":0,\"state\":\"held\",\"size\":4096,"
		     "\"generation\":1,\"access\":\"protected\",\"uid\":0,"
		     "\"create_time_ns\":1700000000123456789,"
		     "\"transfer_time_ns\":1700000000123456789,"
		     "\"exit_reason\":\"signaled\",\"exit_status\":9}\n");
	memset(&event.table, 0, sizeof(event.table));
	CHECK_OUTPUT(print_event_json(out, &event),
		     "{\"event\":42,\"pid\":456}\n");
	event.event = ETSMGR_EVENT_MANAGER_STOPPING;
	CHECK_OUTPUT(print_event_json(out, &event),
		     "{\"event\":\"manager_stopping\",\"pid\":456}\n");
}

int main(void)
{
	UNIT_TEST(test_json_string);
	UNIT_TEST(test_table_text);
	UNIT_TEST(test_table_json);
	UNIT_TEST(test_stats);
	UNIT_TEST(test_format_utc_time);
	UNIT_TEST(test_event_text);
	UNIT_TEST(test_event_json);
	return unit_done();
}
