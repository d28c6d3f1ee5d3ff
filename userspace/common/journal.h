/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reports as journal entries, for the programs that write OTP-style
 * reports (etssup, etscounterd). Under systemd, a service's stderr is a
 * stream to journald, and JOURNAL_STREAM names it ("DEV:INODE", as
 * systemd.exec(5) says); a program whose stderr is that stream may send
 * its entries itself, over the native protocol, with a priority and
 * fields of its own, which a stream cannot carry. libsystemd's
 * sd_journal_sendv(3) speaks the protocol. Anywhere else (a terminal, a
 * file, a pipe) nothing changes: the text goes where it always went.
 */
#ifndef ETSMGR_JOURNAL_H
#define ETSMGR_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Priorities, as syslog(3)'s. */
#define JOURNAL_ERR 3
#define JOURNAL_WARNING 4
#define JOURNAL_NOTICE 5

/* At most this many fields per entry, MESSAGE and PRIORITY included. */
#define JOURNAL_FIELDS_MAX 48

/* An entry being built: its fields, "NAME=value", each copied in. */
struct journal_entry {
	char *fields[JOURNAL_FIELDS_MAX];
	size_t n;
	bool failed;		/* out of memory or of room: not sent */
};

/*
 * Is stderr the journal stream JOURNAL_STREAM names? Asked once; false
 * without the variable, or when stderr is something else (redirected).
 */
bool journal_is_stderr(void);

/*
 * Start an entry: MESSAGE (without a trailing newline), PRIORITY and
 * SYSLOG_IDENTIFIER @identifier.
 */
void journal_entry_init(struct journal_entry *e, const char *identifier,
			int priority, const char *message, size_t len);
/* Add the field NAME=value (a name of [A-Z0-9_], not starting with _). */
void journal_entry_add(struct journal_entry *e, const char *name,
		       const char *value);
/* Send it and free it: 0, or -errno (not sent: the caller writes text). */
int journal_entry_send(struct journal_entry *e);

#endif
