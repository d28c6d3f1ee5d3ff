// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: OTP-style reports and etssup's own messages (see report.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "journal.h"
#include "report.h"
#include "reporttime.h"

static int sink = STDERR_FILENO;

/* Tables named by one journal entry, at most. */
#define OUT_TABLES 16

/*
 * One report, built whole before a single write. Ids and reasons are
 * bounded (spec.h), so a report always fits. Under journald it is one
 * entry, with its fields (journal.h): its kind gives the priority.
 */
struct out {
	char buf[4096];
	size_t len;
	const char *kind;		/* "SUPERVISOR", "PROGRESS", "INFO" */
	const char *sup;
	const char *child;		/* the child's id, or NULL */
	char reason[128];		/* "" for none */
	size_t ntables;
	struct {
		char id[24];
		char name[64];
	} tables[OUT_TABLES];
};

static void out_vadd(struct out *o, const char *fmt, va_list ap)
{
	int n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);

	if (n > 0)
		o->len += (size_t)n;
	if (o->len >= sizeof(o->buf))
		o->len = sizeof(o->buf) - 1;
}

static void __attribute__((format(printf, 2, 3)))
out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vadd(o, fmt, ap);
	va_end(ap);
}

/* The report as one journal entry: 0, or -errno (then it is written). */
static int emit_journal(const struct out *o)
{
	struct journal_entry e;
	int priority = JOURNAL_WARNING;	/* etssup's own messages */

	if (o->kind)
		priority = strcmp(o->kind, "SUPERVISOR") == 0 ? JOURNAL_ERR :
							       JOURNAL_NOTICE;
	journal_entry_init(&e, "etssup", priority, o->buf, o->len);
	if (o->kind)
		journal_entry_add(&e, "ETSSUP_REPORT", o->kind);
	if (o->sup)
		journal_entry_add(&e, "SUPERVISOR", o->sup);
	if (o->child)
		journal_entry_add(&e, "CHILD", o->child);
	if (o->reason[0])
		journal_entry_add(&e, "REASON", o->reason);
	for (size_t i = 0; i < o->ntables; i++) {
		journal_entry_add(&e, "ETSMGR_TABLE", o->tables[i].name);
		journal_entry_add(&e, "ETSMGR_ID", o->tables[i].id);
	}
	return journal_entry_send(&e);
}

static void emit(const struct out *o)
{
	if (sink == STDERR_FILENO && journal_is_stderr() && !emit_journal(o))
		return;
	write_all(sink, o->buf, o->len);
}

static void out_reason(struct out *o, const char *reason)
{
	snprintf(o->reason, sizeof(o->reason), "%s", reason);
}

static void out_table(struct out *o, uint64_t id, const char *name)
{
	if (o->ntables == OUT_TABLES)
		return;
	snprintf(o->tables[o->ntables].id, sizeof(o->tables[0].id), "%llu",
		 (unsigned long long)id);
	snprintf(o->tables[o->ntables].name, sizeof(o->tables[0].name), "%s",
		 name);
	o->ntables++;
}

int report_open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	sink = fd;
	return 0;
}

/* The OTP header (reporttime.h) and the supervisor's name. */
static void header(struct out *o, const char *kind, const char *sup)
{
	char line[REPORT_HEADER_MAX];

	o->kind = kind;
	o->sup = sup;
	report_header(line, sizeof(line), kind);
	out_add(o, "%s    supervisor: {local,%s}\n", line, sup);
}

/*
 * "    label: [{pid,PID},\n" and the rest aligned under the first '{';
 * @pid is the text of the pid: "1234", "undefined", "{restarting,1234}".
 */
static void child_list_as(struct out *o, const char *label,
			  const struct child_spec *c, const char *pid)
{
	int indent = 4 + (int)strlen(label) + 2 + 1;
	char shutdown[32];

	o->child = c->id;
	shutdown_text(c, shutdown, sizeof(shutdown));
	out_add(o, "    %s: [{pid,%s},\n", label, pid);
	out_add(o, "%*s{id,%s},\n", indent, "", c->id);
	out_add(o, "%*s{restart_type,%s},\n", indent, "",
		restart_type_name(c->restart));
	out_add(o, "%*s{shutdown,%s},\n", indent, "", shutdown);
	out_add(o, "%*s{child_type,worker}]\n", indent, "");
}

static void child_list(struct out *o, const char *label,
		       const struct child_spec *c, pid_t pid)
{
	char text[24];

	if (pid > 0)
		snprintf(text, sizeof(text), "%d", (int)pid);
	else
		snprintf(text, sizeof(text), "undefined");
	child_list_as(o, label, c, text);
}

static void supervisor_report(const char *sup, const char *context,
			      const char *reason, const struct child_spec *c,
			      pid_t pid)
{
	struct out o = { .len = 0 };

	header(&o, "SUPERVISOR", sup);
	out_reason(&o, reason);
	out_add(&o, "    errorContext: %s\n", context);
	out_add(&o, "    reason: %s\n", reason);
	child_list(&o, "offender", c, pid);
	emit(&o);
}

void signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "signal %d", sig);
}

void exit_reason_text(const struct exit_info *e, char *buf, size_t len)
{
	char name[32];

	switch (e->kind) {
	case EXIT_STATUS:
		if (e->value == 0)
			snprintf(buf, len, "normal");
		else
			snprintf(buf, len, "exit status %d", e->value);
		break;
	case EXIT_SIGNAL:
		/* OTP's reason for an untrappable kill. */
		if (e->value == SIGKILL) {
			snprintf(buf, len, "killed");
			break;
		}
		signal_name(e->value, name, sizeof(name));
		snprintf(buf, len, "signal %s%s", name,
			 e->core_dumped ? " (core dumped)" : "");
		break;
	default:
		snprintf(buf, len, "unknown (re-adopted child)");
		break;
	}
}

void report_started(const char *sup, const struct child *c)
{
	struct out o = { .len = 0 };

	header(&o, "PROGRESS", sup);
	child_list(&o, c->adopted ? "re-adopted" : "started", c->spec, c->pid);
	if (c->standby)
		out_add(&o, "    role: standby\n");
	emit(&o);
}

void report_promoted(const char *sup, const struct child *c, pid_t dead)
{
	struct out o = { .len = 0 };

	header(&o, "PROGRESS", sup);
	child_list(&o, "promoted", c->spec, c->pid);
	out_add(&o, "    role: standby of {pid,%d}, now active\n", (int)dead);
	emit(&o);
}

void report_delayed(const char *sup, const struct child *c,
		    unsigned int delay_ms, unsigned int interval_ms,
		    uint64_t ran_ms)
{
	struct out o = { .len = 0 };
	char pid[40];

	/* OTP's pid of a child between its death and its restart. */
	if (c->last_pid > 0)
		snprintf(pid, sizeof(pid), "{restarting,%d}", (int)c->last_pid);
	else
		snprintf(pid, sizeof(pid), "{restarting,undefined}");
	header(&o, "PROGRESS", sup);
	child_list_as(&o, "delayed", c->spec, pid);
	if (c->standby)
		out_add(&o, "    role: standby\n");
	out_add(&o, "    delay: %u ms (restart interval %u ms, %llu ms since its last start)\n",
		delay_ms, interval_ms, (unsigned long long)ran_ms);
	emit(&o);
}

void report_table(const char *sup, const char *verb, uint64_t id,
		  const char *name, const char *dir, pid_t pid,
		  const struct child_spec *c, const char *more)
{
	struct out o = { .len = 0 };

	header(&o, "PROGRESS", sup);
	out_table(&o, id, name);
	out_add(&o, "    %s: [{table,%llu},{name,\"%s\"},{%s,{pid,%d}}",
		verb, (unsigned long long)id, name, dir, (int)pid);
	if (c) {
		o.child = c->id;
		out_add(&o, ",{id,%s}", c->id);
	}
	out_add(&o, "]\n");
	if (more)
		out_add(&o, "    %s\n", more);
	emit(&o);
}

/* A supervisor report whose reason is how the process @pid ended. */
static void exit_report(const char *sup, const char *context,
			const struct child_spec *c, pid_t pid,
			const struct exit_info *e)
{
	char reason[64];

	exit_reason_text(e, reason, sizeof(reason));
	supervisor_report(sup, context, reason, c, pid);
}

void report_child_terminated(const char *sup, const struct child_spec *c,
			     pid_t pid, const struct exit_info *e)
{
	exit_report(sup, "child_terminated", c, pid, e);
}

void report_start_error(const char *sup, const struct child_spec *c,
			const char *reason)
{
	supervisor_report(sup, "start_error", reason, c, 0);
}

void report_stopped(const char *sup, const struct child_spec *c, pid_t pid)
{
	struct out o = { .len = 0 };

	header(&o, "PROGRESS", sup);
	child_list(&o, "stopped", c, pid);
	out_reason(&o, "shutdown");
	out_add(&o, "    reason: shutdown\n");
	emit(&o);
}

void report_shutdown_error(const char *sup, const struct child_spec *c,
			   pid_t pid, const struct exit_info *e)
{
	exit_report(sup, "shutdown_error", c, pid, e);
}

/* Tables listed in a crash-loop report at most; the rest are counted. */
#define CRASH_LOOP_LISTED 16

void report_crash_loop(const char *sup, const struct child_spec *c,
		       pid_t pid, const struct crash_loop_action *actions,
		       size_t n, bool incomplete)
{
	const struct crash_loop_spec *cl = &c->crash_loop;
	const char *policy = crash_loop_policy_name(cl->policy);
	struct out o = { .len = 0 };
	char window[16];

	seconds_text(cl->window_ms, window, sizeof(window));
	header(&o, "SUPERVISOR", sup);
	out_reason(&o, policy);
	out_add(&o, "    errorContext: crash_loop\n");
	out_add(&o, "    reason: {%s,[{deaths,%u},{within_sec,%s},{after,takeover}]}\n",
		policy, cl->deaths, window);
	child_list(&o, "offender", c, pid);
	out_add(&o, "    tables: [");
	for (size_t i = 0; i < n && i < CRASH_LOOP_LISTED; i++) {
		const struct crash_loop_action *a = &actions[i];

		out_table(&o, a->id, a->name);
		out_add(&o, "%s{table,%llu},{name,\"%s\"},", i ? ",\n             " : "",
			(unsigned long long)a->id, a->name);
		if (a->error)
			out_add(&o, "{error,\"%s\"}", strerror(-a->error));
		else if (cl->policy == CRASH_LOOP_QUARANTINE)
			out_add(&o, "{quarantined_as,\"%s\"}", a->new_name);
		else
			out_add(&o, "{discarded,true}");
	}
	if (n > CRASH_LOOP_LISTED)
		out_add(&o, ",\n             {more,%zu}", n - CRASH_LOOP_LISTED);
	out_add(&o, "]\n");
	if (incomplete)
		out_add(&o, "    note: events were lost; a table of the run may be missing\n");
	emit(&o);
}

void report_escalation(const char *sup, const struct child_spec *c, pid_t pid)
{
	supervisor_report(sup, "shutdown", "reached_max_restart_intensity", c,
			  pid);
}

void report_terminating(const char *sup, const char *reason)
{
	struct out o = { .len = 0 };

	header(&o, "INFO", sup);
	out_reason(&o, reason);
	out_add(&o, "    terminating: %s\n", reason);
	emit(&o);
}

void report_message(const char *fmt, ...)
{
	struct out o = { .len = 0 };
	va_list ap;

	out_add(&o, "etssup: ");
	va_start(ap, fmt);
	out_vadd(&o, fmt, ap);
	va_end(ap);
	out_add(&o, "\n");
	emit(&o);
	if (sink != STDERR_FILENO)
		write_all(STDERR_FILENO, o.buf, o.len);
}
