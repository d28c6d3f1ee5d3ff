// SPDX-License-Identifier: GPL-2.0
/*
 * libetsmgr: a record of a set as the text of an Erlang term, as ETS
 * shows its objects ({count,3}): what etscounterd's `check` answers and
 * `etsmgrctl dump` prints. Records hold bytes, not terms, so the text
 * follows a convention (etsmgr_records.h, etsmgr_record_text()).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "etsmgr_records.h"

struct term_text {
	char *buf;
	size_t size;
	size_t len;		/* of the whole text, even past @size */
};

static void __attribute__((format(printf, 2, 3)))
term_add(struct term_text *t, const char *fmt, ...)
{
	size_t room = t->len < t->size ? t->size - t->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? t->buf + t->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
}

/* An Erlang atom needs no quotes: a lower-case letter, then word bytes. */
static bool plain_atom(const unsigned char *p, size_t len)
{
	if (len == 0 || p[0] < 'a' || p[0] > 'z')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(p[i] >= 'a' && p[i] <= 'z') &&
		    !(p[i] >= 'A' && p[i] <= 'Z') &&
		    !(p[i] >= '0' && p[i] <= '9') && p[i] != '_' && p[i] != '@')
			return false;
	return true;
}

/* Bytes as an Erlang binary: <<"text">> when printable, else <<1,2>>. */
static void term_add_binary(struct term_text *t, const unsigned char *p,
			    size_t len)
{
	bool printable = true;

	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"' || p[i] == '\\')
			printable = false;
	if (printable && len) {
		term_add(t, "<<\"%.*s\">>", (int)len, (const char *)p);
		return;
	}
	term_add(t, "<<");
	for (size_t i = 0; i < len; i++)
		term_add(t, i ? ",%u" : "%u", p[i]);
	term_add(t, ">>");
}

size_t etsmgr_record_text(char *buf, size_t size, const void *key,
			  size_t key_len, const void *value, size_t value_len)
{
	struct term_text t = { .buf = buf, .size = size };
	int64_t counter;

	if (size)
		buf[0] = '\0';
	term_add(&t, "{");
	if (plain_atom(key, key_len))
		term_add(&t, "%.*s", (int)key_len, (const char *)key);
	else
		term_add_binary(&t, key, key_len);
	term_add(&t, ",");
	if (value_len == sizeof(counter)) {
		memcpy(&counter, value, sizeof(counter));
		term_add(&t, "%" PRId64, counter);
	} else {
		term_add_binary(&t, value, value_len);
	}
	term_add(&t, "}");
	return t.len;
}
