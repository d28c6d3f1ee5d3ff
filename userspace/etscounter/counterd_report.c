// SPDX-License-Identifier: GPL-2.0
/*
 * counterd_report: etscounterd's reports, in the format of Erlang's
 * logger, to stderr or as journal entries, and the table they are about.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "counterd.h"
#include "io.h"
#include "journal.h"
#include "reporttime.h"

/* The process name of the seed, which every report starts with. */
#define SERVER_NAME		"etscounter_srv"

/*
 * The table reports are about, for the journal's ETSMGR_TABLE= and
 * ETSMGR_ID= fields: its name from the command line, its id once known
 * (0 before). Written by the main thread, read by any.
 */
static const char *report_table;
static uint64_t report_table_id;

void report_set_table(const char *name, uint64_t id)
{
	report_table = name;
	__atomic_store_n(&report_table_id, id, __ATOMIC_RELAXED);
}

/* The report as a journal entry: 0, or -errno (then it is written). */
static int report_journal(const char *kind, const char *text, size_t len)
{
	uint64_t id = __atomic_load_n(&report_table_id, __ATOMIC_RELAXED);
	int priority = JOURNAL_NOTICE;
	struct journal_entry e;
	char id_text[24];

	if (strcmp(kind, "ERROR") == 0)
		priority = JOURNAL_ERR;
	else if (strcmp(kind, "WARNING") == 0)
		priority = JOURNAL_WARNING;
	journal_entry_init(&e, "etscounterd", priority, text, len);
	journal_entry_add(&e, "ETSCOUNTER_REPORT", kind);
	if (report_table)
		journal_entry_add(&e, "ETSMGR_TABLE", report_table);
	if (id) {
		snprintf(id_text, sizeof(id_text), "%" PRIu64, id);
		journal_entry_add(&e, "ETSMGR_ID", id_text);
	}
	return journal_entry_send(&e);
}

/*
 * One report, as Erlang's logger prints it:
 *
 *   =NOTICE REPORT==== 24-Nov-2026::03:46:49.951640 ===
 *   etscounter_srv: Counter 3.
 *
 * @kind is NOTICE, WARNING or ERROR. Safe to call from any thread. Under
 * journald, one entry of priority error, warning or notice (journal.h).
 */
void __attribute__((format(printf, 2, 3)))
report(const char *kind, const char *fmt, ...)
{
	char buf[2 * ETSCOUNTER_LINE_MAX];
	va_list ap;
	int len, n;

	len = report_header(buf, sizeof(buf), kind);
	len += snprintf(buf + len, sizeof(buf) - (size_t)len, SERVER_NAME ": ");
	va_start(ap, fmt);
	n = vsnprintf(buf + len, sizeof(buf) - (size_t)len - 1, fmt, ap);
	va_end(ap);
	len += n;
	if ((size_t)len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;	/* truncated; keep the newline */
	buf[len++] = '\n';
	if (journal_is_stderr() && !report_journal(kind, buf, (size_t)len))
		return;
	write_all(STDERR_FILENO, buf, (size_t)len);
}
