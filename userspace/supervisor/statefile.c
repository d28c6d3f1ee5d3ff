// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the state file (see statefile.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "statefile.h"

#define HASH_DIGITS 16

int statefile_save(const char *path, const char *name, const char *boot_id,
		   const struct state_entry *entries, size_t n)
{
	char tmp[PATH_MAX];
	unsigned long long self_start = 0;
	FILE *f;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/*
	 * A fixed temporary name: the pidfile lock makes this etssup the
	 * only writer, and a leftover from a killed one is removed first.
	 * Created anew (O_EXCL, no symbolic link followed), so the file is
	 * ours, and 0644 whatever the umask: statefile_load() trusts
	 * nothing else. No fsync: the file describes processes, which a
	 * power loss ends anyway; rename() alone is atomic against etssup
	 * being killed.
	 */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	proc_starttime(getpid(), &self_start);
	fprintf(f, "# etssup state of supervisor %s: running children. Do not edit.\n",
		name);
	if (boot_id)
		fprintf(f, "boot %s\n", boot_id);
	fprintf(f, "supervisor %d %llu\n", (int)getpid(), self_start);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s %d %llu %0*llx\n",
			entries[i].standby ? "standby" : "child", entries[i].id,
			(int)entries[i].pid, entries[i].starttime, HASH_DIGITS,
			(unsigned long long)entries[i].command_hash);
	if (ferror(f))
		ret = -EIO;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Reading: all of it trusted, or none                                 */
/* ------------------------------------------------------------------ */

struct parser {
	const char *path;
	unsigned int line;
	char *err;
	size_t len;
};

static int __attribute__((format(printf, 2, 3)))
reject(struct parser *p, const char *fmt, ...)
{
	int n = snprintf(p->err, p->len, "%s: line %u: ", p->path, p->line);
	va_list ap;

	if (n >= 0 && (size_t)n < p->len) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A field as a message shows it: short, printable. */
static const char *shown(const char *s, char buf[48])
{
	size_t i;

	for (i = 0; s[i] && i < 40; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	if (s[i])
		strcpy(buf + i, "...");
	return buf;
}

/* Decimal digits only, no sign, no leading zero, at most max. */
static bool parse_number(const char *s, unsigned long long max,
			 unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (unsigned long long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	*out = v;
	return true;
}

static int parse_pid(struct parser *p, const char *s, pid_t *pid)
{
	unsigned long long v;
	char buf[48];

	if (!parse_number(s, INT_MAX, &v) || v == 0)
		return reject(p, "pid '%s' is not a number from 1 to %d",
			      shown(s, buf), INT_MAX);
	*pid = (pid_t)v;
	return 0;
}

static int parse_starttime(struct parser *p, const char *s,
			   unsigned long long *t)
{
	char buf[48];

	if (!parse_number(s, ULLONG_MAX, t))
		return reject(p, "start time '%s' is not a number from 0 to %llu",
			      shown(s, buf), ULLONG_MAX);
	return 0;
}

static int parse_hash(struct parser *p, const char *s, uint64_t *hash)
{
	uint64_t v = 0;
	char buf[48];
	size_t i;

	for (i = 0; i < HASH_DIGITS; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			break;
	}
	if (i != HASH_DIGITS || s[i])
		return reject(p, "command hash '%s' is not %d lowercase hex digits",
			      shown(s, buf), HASH_DIGITS);
	*hash = v;
	return 0;
}

/* Split at single blanks into at most max fields; returns their count. */
#define MAX_FIELDS 6
static size_t split(char *line, char *field[MAX_FIELDS])
{
	size_t n = 0;
	char *tok;

	while ((tok = strsep(&line, " ")) != NULL) {
		if (n == MAX_FIELDS)
			return MAX_FIELDS + 1;	/* too many, whatever they are */
		field[n++] = tok;
	}
	return n;
}

/* "child line: 5 fields expected (child ID PID STARTTIME COMMAND_HASH), 4 found" */
static int want_fields(struct parser *p, size_t got, const char *what,
		       size_t want, const char *layout)
{
	if (got == want)
		return 0;
	if (got > MAX_FIELDS)
		return reject(p, "%s line: %zu fields expected (%s), more found",
			      what, want, layout);
	return reject(p, "%s line: %zu fields expected (%s), %zu found", what,
		      want, layout, got);
}

static int add_entry(struct parser *p, struct state_file *f, char **field)
{
	struct state_entry e = { .standby = strcmp(field[0], "standby") == 0 };
	struct state_entry *grown;
	char buf[48];

	if (!spec_name_valid(field[1]))
		return reject(p, "child id '%s' is not 1 to %d characters of [A-Za-z0-9._:-]",
			      shown(field[1], buf), SPEC_NAME_MAX);
	strcpy(e.id, field[1]);
	if (parse_pid(p, field[2], &e.pid) < 0 ||
	    parse_starttime(p, field[3], &e.starttime) < 0 ||
	    parse_hash(p, field[4], &e.command_hash) < 0)
		return -1;
	for (size_t i = 0; i < f->n; i++)
		if (f->entries[i].standby == e.standby &&
		    strcmp(f->entries[i].id, e.id) == 0)
			return reject(p, "%s %s listed twice", field[0], e.id);
	grown = realloc(f->entries, (f->n + 1) * sizeof(*grown));
	if (!grown) {
		snprintf(p->err, p->len, "%s: out of memory", p->path);
		return -1;
	}
	f->entries = grown;
	f->entries[f->n++] = e;
	return 0;
}

/* The records, in the order statefile_save() writes them. */
static int parse(struct parser *p, char *text, size_t size,
		 struct state_file *f)
{
	enum { WANT_BOOT, WANT_SUPERVISOR, WANT_ENTRIES } stage = WANT_BOOT;
	char *line = text, *end, *field[MAX_FIELDS];
	char buf[48];
	size_t nf;

	for (p->line = 1; line < text + size; p->line++, line = end + 1) {
		end = memchr(line, '\n', (size_t)(text + size - line));
		if (!end)
			return reject(p, "not ended by a newline (a truncated file?)");
		if (memchr(line, '\0', (size_t)(end - line)))
			return reject(p, "NUL byte");
		*end = '\0';
		if (line[0] == '#')
			continue;
		nf = split(line, field);
		switch (stage) {
		case WANT_BOOT:
			if (strcmp(field[0], "boot") != 0)
				return reject(p, "no boot line first (a state file of an older etssup?)");
			if (want_fields(p, nf, "boot", 2, "boot BOOT_ID") < 0)
				return -1;
			if (!boot_id_valid(field[1]))
				return reject(p, "boot id '%s' is not 8-4-4-4-12 lowercase hex digits",
					      shown(field[1], buf));
			strcpy(f->boot_id, field[1]);
			stage = WANT_SUPERVISOR;
			break;
		case WANT_SUPERVISOR:
			if (strcmp(field[0], "supervisor") != 0)
				return reject(p, "no supervisor line after the boot line");
			if (want_fields(p, nf, "supervisor", 3,
					"supervisor PID STARTTIME") < 0 ||
			    parse_pid(p, field[1], &f->sup_pid) < 0 ||
			    parse_starttime(p, field[2], &f->sup_starttime) < 0)
				return -1;
			stage = WANT_ENTRIES;
			break;
		case WANT_ENTRIES:
			if (strcmp(field[0], "child") != 0 &&
			    strcmp(field[0], "standby") != 0)
				return reject(p, "unknown line '%s'",
					      shown(field[0], buf));
			if (want_fields(p, nf, field[0], 5,
					field[0][0] == 'c' ?
					"child ID PID STARTTIME COMMAND_HASH" :
					"standby ID PID STARTTIME COMMAND_HASH") < 0 ||
			    add_entry(p, f, field) < 0)
				return -1;
			break;
		}
	}
	if (stage == WANT_BOOT)
		return reject(p, "no boot line (a state file of an older etssup?)");
	if (stage == WANT_SUPERVISOR)
		return reject(p, "no supervisor line");
	return 0;
}

/* The whole file, NUL-terminated, if it is one etssup can trust. */
static int read_trusted(const char *path, char **text, size_t *size,
			char *err, size_t len)
{
	struct stat st;
	size_t done = 0;
	char *buf;
	ssize_t n;
	int fd;

	/* Non-blocking: a FIFO planted there is refused, not waited on. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, len, "cannot stat %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, len, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, len, "%s: owned by uid %u, not by etssup's uid %u",
			 path, (unsigned int)st.st_uid,
			 (unsigned int)geteuid());
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, len, "%s: writable by group or others (mode %04o)",
			 path, (unsigned int)(st.st_mode & 07777));
		goto fail;
	}
	buf = malloc(STATEFILE_MAX_BYTES + 1);
	if (!buf) {
		snprintf(err, len, "%s: out of memory", path);
		goto fail;
	}
	/* Up to one byte more than allowed, to tell a file too large. */
	while (done <= STATEFILE_MAX_BYTES) {
		n = read(fd, buf + done, STATEFILE_MAX_BYTES + 1 - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, len, "cannot read %s: %s", path,
				 strerror(errno));
			free(buf);
			goto fail;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	if (done > STATEFILE_MAX_BYTES) {
		snprintf(err, len, "%s: larger than %d bytes", path,
			 STATEFILE_MAX_BYTES);
		free(buf);
		return -1;
	}
	buf[done] = '\0';
	*text = buf;
	*size = done;
	return 1;
fail:
	close(fd);
	return -1;
}

int statefile_load(const char *path, struct state_file *f, char *err,
		   size_t len)
{
	struct parser p = { .path = path, .err = err, .len = len };
	size_t size;
	char *text;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = read_trusted(path, &text, &size, err, len);
	if (ret <= 0)
		return ret;
	ret = parse(&p, text, size, f);
	free(text);
	if (ret < 0) {
		statefile_free(f);
		return -1;
	}
	return 1;
}

void statefile_free(struct state_file *f)
{
	free(f->entries);
	f->entries = NULL;
	f->n = 0;
}
