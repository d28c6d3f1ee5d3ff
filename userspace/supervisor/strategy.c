// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: what a child's exit leads to, by OTP's rules: restart types,
 * one_for_one / one_for_all, restart intensity with escalation.
 *
 * A restart waits when the child failed soon after its start (backoff.h):
 * the start is then due later, and the main loop makes it (sup_start_due),
 * serving signals and the other children in the meantime.
 *
 * With standby, the successor of a dead child is already running, idle:
 * it takes over at once and is promoted in place of the dead one, and
 * only then is a new standby forked, off the recovery path.
 *
 * A child with on-crash-loop other than keep has its deaths weighed
 * (crashloop.h): etssup follows which tables each run takes over from the
 * module's events (tablewatch.c), and when the deaths are a loop, sets
 * that run's tables aside (quarantine.c) before the restart.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>

#include "backoff.h"
#include "monotonic.h"
#include "quarantine.h"
#include "report.h"
#include "sup.h"

/*
 * A promoted standby is left alone this long before its replacement is
 * forked, so that the fork and exec do not compete with its takeover.
 */
#define STANDBY_DELAY_MS 100

static bool needs_restart(const struct child *c)
{
	switch (c->spec->restart) {
	case RESTART_PERMANENT:
		return true;
	case RESTART_TRANSIENT:
		/* An unknown exit (re-adopted child) counts as abnormal. */
		return !exit_is_normal(&c->exit);
	default:
		return false;
	}
}

/*
 * Start @c again after its backoff: at once when its last start is at
 * least its restart interval ago, else when that interval is over. Either
 * way from the main loop (sup_start_due), which serves signals and the other
 * children until then.
 */
static void schedule_start(struct sup *s, struct child *c)
{
	const struct backoff *b = &c->spec->backoff;
	uint64_t now = monotonic_ns(), ran_ms = UINT64_MAX;
	unsigned int interval = backoff_interval_ms(b, c->backoff_step);
	unsigned int delay;

	/* started_ns 0: a re-adopted child, which ran for long. */
	if (c->started_ns)
		ran_ms = (now - c->started_ns) / 1000000u;
	delay = backoff_delay_ms(b, &c->backoff_step, ran_ms);
	c->start_due_ns = now + (uint64_t)delay * 1000000u;
	if (delay > 0)
		report_delayed(s->spec->name, c, delay, interval, ran_ms);
}

/*
 * Restart after c exited (or failed to start), by the strategy. It counts
 * for the intensity now, at its death, as in OTP, whenever it starts;
 * one_for_all stops the others now too, and starts every child when c's
 * start is due.
 */
static enum outcome restart(struct sup *s, struct child *c)
{
	if (s->stop_signal)
		return CARRY_ON;
	if (!intensity_add(&s->restarts, monotonic_ns())) {
		report_escalation(s->spec->name, c->spec, c->last_pid);
		return ESCALATE;
	}
	if (s->spec->strategy == STRATEGY_ONE_FOR_ALL) {
		sup_stop_all(s);
		if (s->stop_signal)	/* no use starting what must stop */
			return CARRY_ON;
	}
	schedule_start(s, c);
	return CARRY_ON;
}

/*
 * The restart of @c is due. A start that fails counts as one more
 * restart and is tried again, after the backoff, until the intensity
 * says to give up.
 */
static enum outcome restart_due(struct sup *s, struct child *c)
{
	struct child *failed = c;

	if (s->spec->strategy == STRATEGY_ONE_FOR_ONE) {
		if (sup_start_child(s, c) == 0) {
			sup_start_standby(s, c);
			return CARRY_ON;
		}
	} else {
		failed = sup_start_all(s);
		if (!failed)
			return CARRY_ON;
	}
	return restart(s, failed);
}

/*
 * The active instance @a died and its standby @b has (or is about to
 * have) its tables: @b becomes the child in @a's place, no fork or exec
 * on the way; a new standby is started afterwards. Counts as a restart.
 */
static enum outcome promote(struct sup *s, struct child *a, struct child *b)
{
	uint32_t a_generation = a->generation, b_generation = b->generation;
	unsigned int a_step = a->backoff_step;
	struct exit_info last_exit = a->exit;
	pid_t dead = a->last_pid;

	if (!intensity_add(&s->restarts, monotonic_ns())) {
		report_escalation(s->spec->name, a->spec, dead);
		return ESCALATE;
	}
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, b->pidfd, NULL);
	*a = *b;
	a->standby = false;
	a->given_tables = false;
	a->generation = a_generation;
	a->backoff_step = a_step;	/* b's is the standby role's */
	a->last_pid = dead;	/* its tables may still come in */
	a->exit = last_exit;
	sup_watch(s, a);
	b->pid = 0;
	b->pidfd = -1;
	b->adopted = false;
	b->given_tables = false;
	b->generation = b_generation;
	report_promoted(s->spec->name, a, dead);
	sup_deliver(s);
	sup_save_state(s);
	b->start_due_ns = monotonic_ns() + STANDBY_DELAY_MS * 1000000ull;
	return CARRY_ON;
}

/* A standby exited: start another while its child runs. */
static enum outcome restart_standby(struct sup *s, struct child *b)
{
	struct child *a = &s->children[spec_index(s, b)];

	if (s->stop_signal || !child_running(a))
		return CARRY_ON;
	if (!intensity_add(&s->restarts, monotonic_ns())) {
		report_escalation(s->spec->name, b->spec, b->last_pid);
		return ESCALATE;
	}
	schedule_start(s, b);
	return CARRY_ON;
}

/*
 * Weigh the death of @c's last run for its crash-loop policy; on a loop,
 * set the run's tables aside before anything restarts.
 */
static void weigh_death(struct sup *s, struct child *c)
{
	struct crash_loop *cl = &s->crash_loops[spec_index(s, c)];
	const struct crash_loop_spec *cs = &c->spec->crash_loop;
	uint64_t took_over_ns;
	bool took_over;
	size_t n;

	/* Every event of the run is queued by now (tablewatch.h). */
	table_watch_read(s->tables, monotonic_ns());
	took_over = table_watch_took_over(s->tables, c->last_pid,
					  &took_over_ns, &n);
	if (n && crash_loop_exit(cl, cs, took_over, took_over_ns,
				 exit_is_normal(&c->exit), monotonic_ns()))
		quarantine_tables(s->spec->name, s->tables, c->spec,
				  c->last_pid);
	else if (!n)
		cl->row = 0;	/* nothing taken over, nothing poisoned */
	table_watch_forget(s->tables, c->last_pid);
}

enum outcome sup_handle_exit(struct sup *s, struct child *c)
{
	struct child *b = standby_of(s, c);

	c->exit_pending = false;
	if (s->tables && c->spec->crash_loop.policy != CRASH_LOOP_KEEP)
		weigh_death(s, c);
	/* Its tables were handed over before its exit was reported. */
	sup_receive_tables(s);
	if (c->standby)
		return restart_standby(s, c);
	if (b && child_running(b) &&
	    (b->given_tables || sup_holds_from(s, spec_index(s, c), c->last_pid)))
		return promote(s, c, b);
	if (needs_restart(c))
		return restart(s, c);
	if (b && child_running(b))	/* nothing left to stand by for */
		sup_stop_child(s, b);
	if (c->spec->restart == RESTART_TEMPORARY)
		c->removed = true;
	return CARRY_ON;
}

/*
 * Make the starts that are due: delayed restarts (restart_due) and
 * standbys (after a promotion, or their own restart). ESCALATE when a
 * restart failed once too often; *timeout_ms is the time until the next
 * start is due, or -1.
 */
enum outcome sup_start_due(struct sup *s, int *timeout_ms)
{
	uint64_t now = monotonic_ns(), next = UINT64_MAX;

	for (size_t i = 0; i < 2 * s->n; i++) {
		struct child *c = &s->children[i];

		if (!c->start_due_ns || c->start_due_ns > now)
			continue;
		c->start_due_ns = 0;
		if (i >= s->n)
			sup_start_standby(s, &s->children[i - s->n]);
		else if (restart_due(s, c) == ESCALATE)
			return ESCALATE;
	}
	/* Again: a failed start may be due again, a one_for_all took time. */
	now = monotonic_ns();
	for (size_t i = 0; i < 2 * s->n; i++) {
		uint64_t due = s->children[i].start_due_ns;

		if (due && due < next)
			next = due;
	}
	if (next == UINT64_MAX)
		*timeout_ms = -1;
	else if (next <= now)
		*timeout_ms = 0;
	else
		*timeout_ms = (int)((next - now + 999999) / 1000000);
	return CARRY_ON;
}

/* Escalation: more restarts than the intensity allows. */
void sup_give_up(struct sup *s)
{
	char why[96];

	snprintf(why, sizeof(why),
		 "giving up: more than %u restarts within %u s",
		 s->spec->intensity, s->spec->period_s);
	service_notify_stopping(&s->service, why);
	sup_stop_all(s);
}
