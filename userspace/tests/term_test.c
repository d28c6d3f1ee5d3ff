// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of etsmgr_record_text(): records as the text of
 * Erlang tuples, what etscounterd's check and etsmgrctl dump print.
 */
#include <stdint.h>
#include <string.h>

#include "etsmgr_records.h"
#include "unit.h"

/* The text of a record whose key and value are C strings (no NUL). */
static const char *text_of(const char *key, const char *value)
{
	static char buf[256];

	etsmgr_record_text(buf, sizeof(buf), key, strlen(key), value,
			   strlen(value));
	return buf;
}

static void test_atom_key_and_counter(void)
{
	int64_t three = 3, minus = -42;
	char buf[64];

	CHECK_INT(etsmgr_record_text(buf, sizeof(buf), "count", 5, &three,
				     sizeof(three)), strlen("{count,3}"));
	CHECK_STR(buf, "{count,3}");
	etsmgr_record_text(buf, sizeof(buf), "n@host_1", 8, &minus,
			   sizeof(minus));
	CHECK_STR(buf, "{n@host_1,-42}");
}

static void test_binaries(void)
{
	static const unsigned char bytes[] = { 0, 1, 255 };
	char buf[64];

	/* Not atoms: upper case or digit first, a blank, an empty key. */
	CHECK_STR(text_of("Count", "hello"), "{<<\"Count\">>,<<\"hello\">>}");
	CHECK_STR(text_of("1x", ""), "{<<\"1x\">>,<<>>}");
	CHECK_STR(text_of("a b", "x"), "{<<\"a b\">>,<<\"x\">>}");
	CHECK_STR(text_of("", "x"), "{<<>>,<<\"x\">>}");
	/* Quotes and backslashes would need escapes: bytes instead. */
	CHECK_STR(text_of("k", "a\"b"), "{k,<<97,34,98>>}");
	CHECK_STR(text_of("k", "a\\"), "{k,<<97,92>>}");
	etsmgr_record_text(buf, sizeof(buf), bytes, sizeof(bytes), "v", 1);
	CHECK_STR(buf, "{<<0,1,255>>,<<\"v\">>}");
}

static void test_cut_like_snprintf(void)
{
	int64_t big = INT64_MAX;
	char buf[8];

	CHECK_INT(etsmgr_record_text(buf, sizeof(buf), "count", 5, &big,
				     sizeof(big)),
		  strlen("{count,9223372036854775807}"));
	CHECK_STR(buf, "{count,");
	CHECK_INT(etsmgr_record_text(NULL, 0, "k", 1, "v", 1),
		  strlen("{k,<<\"v\">>}"));
}

int main(void)
{
	UNIT_TEST(test_atom_key_and_counter);
	UNIT_TEST(test_binaries);
	UNIT_TEST(test_cut_like_snprintf);
	return unit_done();
}
