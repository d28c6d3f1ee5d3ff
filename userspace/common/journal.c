// SPDX-License-Identifier: GPL-2.0
/*
 * Reports as journal entries (see journal.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "journal.h"

bool journal_is_stderr(void)
{
	static int known = -1;
	const char *stream;
	uintmax_t dev, ino;
	struct stat st;
	char tail;

	if (known >= 0)
		return known;
	stream = getenv("JOURNAL_STREAM");
	known = stream &&
		sscanf(stream, "%ju:%ju%c", &dev, &ino, &tail) == 2 &&
		fstat(STDERR_FILENO, &st) == 0 &&
		(uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
	return known;
}

static void add_field(struct journal_entry *e, char *field)
{
	if (!field || e->n == JOURNAL_FIELDS_MAX) {
		free(field);
		e->failed = true;
		return;
	}
	e->fields[e->n++] = field;
}

void journal_entry_init(struct journal_entry *e, const char *identifier,
			int priority, const char *message, size_t len)
{
	char *field = NULL;

	memset(e, 0, sizeof(*e));
	while (len > 0 && message[len - 1] == '\n')
		len--;
	if (asprintf(&field, "MESSAGE=%.*s", (int)len, message) < 0)
		field = NULL;
	add_field(e, field);
	if (asprintf(&field, "PRIORITY=%d", priority) < 0)
		field = NULL;
	add_field(e, field);
	journal_entry_add(e, "SYSLOG_IDENTIFIER", identifier);
}

void journal_entry_add(struct journal_entry *e, const char *name,
		       const char *value)
{
	char *field = NULL;

	if (asprintf(&field, "%s=%s", name, value) < 0)
		field = NULL;
	add_field(e, field);
}

int journal_entry_send(struct journal_entry *e)
{
	struct iovec iov[JOURNAL_FIELDS_MAX];
	int ret = -ENOMEM;

	if (!e->failed) {
		for (size_t i = 0; i < e->n; i++) {
			iov[i].iov_base = e->fields[i];
			iov[i].iov_len = strlen(e->fields[i]);
		}
		ret = sd_journal_sendv(iov, (int)e->n);
	}
	for (size_t i = 0; i < e->n; i++)
		free(e->fields[i]);
	e->n = 0;
	return ret;
}
