// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: starting and stopping children. A stop is OTP's: SIGTERM, its
 * shutdown timeout, then SIGKILL (or SIGKILL at once for brutal_kill);
 * all of them stop last started first, each standby before its child.
 */
#include <signal.h>
#include <stdint.h>

#include "monotonic.h"
#include "report.h"
#include "sup.h"

int sup_start_child(struct sup *s, struct child *c)
{
	char why[320];

	if (!c->standby)
		sup_reclaim_listener(s, c);
	c->exit_pending = false;
	c->given_tables = false;
	c->start_due_ns = 0;
	c->ready = false;
	c->status[0] = '\0';
	/* A failed start is one that ran 0 ms, for the backoff. */
	c->started_ns = monotonic_ns();
	if (child_start(c, why, sizeof(why)) < 0) {
		report_start_error(s->spec->name, c->spec, why);
		return -1;
	}
	sup_watch(s, c);
	/* Saved before it is reported: whoever reads the report may kill us. */
	sup_save_state(s);
	report_started(s->spec->name, c);
	return 0;
}

/* OTP's reason "shutdown", as a process gives it when asked to stop. */
static bool stopped_cleanly(const struct child_spec *cs,
			    const struct exit_info *e, bool timed_out)
{
	if (cs->shutdown == SHUTDOWN_BRUTAL_KILL)
		return e->kind == EXIT_SIGNAL && e->value == SIGKILL;
	if (timed_out)
		return false;
	switch (e->kind) {
	case EXIT_SIGNAL:
		return e->value == SIGTERM;
	case EXIT_STATUS:	/* 128 + SIGTERM: a shell's way to say it */
		return e->value == 0 || e->value == 128 + SIGTERM;
	default:
		return true;
	}
}

/* SIGTERM, wait its shutdown timeout, SIGKILL (or SIGKILL at once). */
void sup_stop_child(struct sup *s, struct child *c)
{
	const struct child_spec *cs = c->spec;
	bool adopted = c->adopted, timed_out = false;
	uint64_t deadline = monotonic_ns() + (uint64_t)cs->shutdown_ms * 1000000u;
	struct exit_info e;
	pid_t pid = c->pid;

	c->stopping = true;
	child_signal(c, cs->shutdown == SHUTDOWN_BRUTAL_KILL ? SIGKILL :
							       SIGTERM);
	while (child_running(c)) {
		int timeout_ms = -1;

		if (cs->shutdown == SHUTDOWN_TIMEOUT && !timed_out) {
			uint64_t now = monotonic_ns();

			if (now >= deadline) {
				child_signal(c, SIGKILL);
				timed_out = true;
				continue;
			}
			/* Rounded up: waking early would only wait again. */
			timeout_ms = (int)((deadline - now + 999999) / 1000000);
		}
		sup_pump(s, timeout_ms);
	}
	c->stopping = false;

	e = c->exit;
	if (adopted && (timed_out || cs->shutdown == SHUTDOWN_BRUTAL_KILL))
		e = (struct exit_info){ .kind = EXIT_SIGNAL, .value = SIGKILL };
	if (stopped_cleanly(cs, &e, timed_out))
		report_stopped(s->spec->name, cs, pid);
	else
		report_shutdown_error(s->spec->name, cs, pid, &e);
}

/*
 * Start a standby instance for the child @c, if it has one and etssup
 * can hand tables over. A failure is reported, not fatal: the child is
 * then restarted the usual way until a later restart brings a standby.
 */
void sup_start_standby(struct sup *s, const struct child *c)
{
	struct child *b = standby_of(s, c);

	if (!b || child_running(b) || s->heir.session < 0)
		return;
	/* It would get no socket, or bind one over the path a child serves. */
	if (s->listeners[spec_index(s, c)].left_with_child) {
		report_message("child %s: no standby while the running instance keeps the socket etssup could not take back",
			       c->spec->id);
		return;
	}
	sup_start_child(s, b);
}

/* Stop every running child, last started first, each after its standby. */
void sup_stop_all(struct sup *s)
{
	for (size_t k = 2 * s->n; k-- > 0;) {
		/* n-1+n, n-1, n-2+n, n-2, ...: a standby before its child */
		size_t i = k / 2 + (k % 2 ? s->n : 0);
		struct child *c = &s->children[i];

		if (!child_running(c))
			continue;
		sup_stop_child(s, c);
		/* OTP forgets a temporary child its supervisor stopped. */
		if (c->spec->restart == RESTART_TEMPORARY)
			c->removed = true;
	}
}

/* one_for_all: start every child still defined; the first failure, or NULL. */
struct child *sup_start_all(struct sup *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct child *c = &s->children[i];

		if (c->removed || child_running(c))
			continue;
		if (sup_start_child(s, c) < 0)
			return c;
		sup_start_standby(s, c);
	}
	return NULL;
}
