// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the supervisor proper. It starts (or re-adopts) the children in
 * order, then waits in one epoll loop on a signalfd (SIGCHLD, SIGTERM,
 * SIGINT, SIGHUP) and on each child's pidfd, and applies OTP's rules:
 * restart types, one_for_one / one_for_all, restart intensity with
 * escalation, orderly shutdown in reverse start order.
 *
 * An exit is recorded where it is seen (record_exit) and acted upon from
 * the main loop, in start order, so that no restart ever runs inside the
 * wait of a stop sequence.
 *
 * A restart waits when the child failed soon after its start (backoff.h):
 * the start is then due later, and the main loop makes it (start_due),
 * serving signals and the other children in the meantime.
 *
 * A child with heir names etssup the heir of its etsmgr tables: etssup
 * takes them at its death (heir.c) and gives them to its successor. With
 * standby, that successor is already running, idle: it takes over at
 * once and is promoted in place of the dead one, and only then is a new
 * standby forked, off the recovery path. A child with listen gets the
 * listening socket etssup holds (listener.c).
 *
 * A child with on-crash-loop other than keep has its deaths weighed
 * (crashloop.h): etssup follows which tables each run takes over from the
 * module's events (tablewatch.c), and when the deaths are a loop, sets
 * that run's tables aside (quarantine.c) before the restart.
 *
 * Under systemd, etssup tells it how the children are (service_notify.c):
 * READY=1 once they are up, STATUS= lines, STOPPING=1, the watchdog's
 * kicks from pump(), and it reads what the children tell it on its own
 * notification socket, which they get as their NOTIFY_SOCKET.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "bootid.h"
#include "child.h"
#include "commandhash.h"
#include "crashloop.h"
#include "fdstore.h"
#include "heir.h"
#include "intensity.h"
#include "listener.h"
#include "monotonic.h"
#include "pidfile.h"
#include "proc.h"
#include "quarantine.h"
#include "report.h"
#include "service_notify.h"
#include "statedir.h"
#include "statefile.h"
#include "supervisor.h"
#include "tablewatch.h"

/*
 * The epoll tags of the signalfd and of the etsmgr session; a child's is
 * its index and generation.
 */
#define TAG_SIGNALS UINT64_MAX
#define TAG_ETSMGR (UINT64_MAX - 1)
#define TAG_TABLES (UINT64_MAX - 2)
#define TAG_NOTIFY (UINT64_MAX - 3)

/* Retries of a give-away to a child that has no session yet, in ms. */
#define GIVE_RETRY_FIRST_MS 1
#define GIVE_RETRY_MAX_MS 16

/*
 * A promoted standby is left alone this long before its replacement is
 * forked, so that the fork and exec do not compete with its takeover.
 */
#define STANDBY_DELAY_MS 100

/* While the manager is away (drained), a new session is tried this often. */
#define HEIR_REOPEN_MS 200

enum outcome {
	CARRY_ON,
	ESCALATE,
};

struct sup {
	const struct sup_spec *spec;
	/*
	 * [0, n): the children in start order; [n, 2n): their standby
	 * instances, used only for a child with standby.
	 */
	struct child *children;
	size_t n;
	struct state_entry *entries;	/* room to save every process */
	uint64_t *command_hashes;	/* per child spec (commandhash.h) */
	char boot_id[BOOT_ID_LEN + 1];	/* "" when unknown: nothing is saved
					   that a successor would trust */
	struct listener *listeners;	/* per child, for listen */
	struct heir heir;
	unsigned int give_retry_ms;	/* 0: no give-away waits */
	uint64_t heir_reopen_ns;	/* drained: open a session then, or 0 */
	struct intensity restarts;
	struct table_watch *tables;	/* for on-crash-loop, else NULL */
	struct crash_loop *crash_loops;	/* per child spec */
	struct service_notify service;	/* systemd's view, the children's word */
	int epfd, sigfd, pidfile_fd;
	int stop_signal;		/* SIGTERM or SIGINT came: shut down */
	char pidfile[PATH_MAX];
	char statefile[PATH_MAX];
};

/* The child's standby instance, or NULL when it has none. */
static struct child *standby_of(struct sup *s, const struct child *c)
{
	size_t i = (size_t)(c - s->children);

	if (i >= s->n || !c->spec->standby)
		return NULL;
	return &s->children[i + s->n];
}

/* The index of a process's child spec (a standby's is its child's). */
static size_t spec_index(const struct sup *s, const struct child *c)
{
	return (size_t)(c - s->children) % s->n;
}

static void save_state(struct sup *s)
{
	size_t n = 0;
	int ret;

	for (size_t i = 0; i < 2 * s->n; i++) {
		const struct child *c = &s->children[i];

		if (!child_running(c))
			continue;
		strcpy(s->entries[n].id, c->spec->id);
		s->entries[n].pid = c->pid;
		s->entries[n].starttime = c->starttime;
		s->entries[n].standby = c->standby;
		s->entries[n].command_hash = s->command_hashes[spec_index(s, c)];
		n++;
	}
	ret = statefile_save(s->statefile, s->spec->name,
			     s->boot_id[0] ? s->boot_id : NULL, s->entries, n);
	if (ret < 0)
		report_message("cannot write %s: %s; a restarted etssup could not re-adopt the children",
			       s->statefile, strerror(-ret));
}

static void watch(struct sup *s, struct child *c)
{
	struct epoll_event ev = { .events = EPOLLIN };

	c->generation++;
	ev.data.u64 = (uint64_t)(c - s->children) << 32 | c->generation;
	/* Without it an own child is still reaped through SIGCHLD. */
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, c->pidfd, &ev) < 0)
		report_message("cannot watch child %s (pid %d): %s",
			       c->spec->id, (int)c->pid, strerror(errno));
}

/*
 * The child has exited. Forget its process; unless etssup was stopping it
 * (stop_child() reports that), report the exit and leave the restart
 * decision to the main loop.
 */
static void record_exit(struct sup *s, struct child *c,
			const struct exit_info *e)
{
	pid_t pid = c->pid;

	/* Explicitly: a forked child may still share the pidfd until exec. */
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
	child_forget(c, e);
	save_state(s);
	if (c->stopping) {
		/* Stopped when asked: no crash, the row ends. */
		if (s->tables) {
			s->crash_loops[spec_index(s, c)].row = 0;
			table_watch_forget(s->tables, pid);
		}
		return;
	}
	report_child_terminated(s->spec->name, c->spec, pid, e);
	c->exit_pending = true;
}

static struct child *own_child(struct sup *s, pid_t pid)
{
	for (size_t i = 0; i < 2 * s->n; i++) {
		struct child *c = &s->children[i];

		if (c->pid == pid && !c->adopted)
			return c;
	}
	return NULL;
}

/* Collect every exited child of ours, supervised or not. */
static void reap(struct sup *s)
{
	for (;;) {
		struct exit_info e;
		struct child *c;
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 ||
		    si.si_pid == 0)
			return;
		c = own_child(s, si.si_pid);
		/*
		 * Otherwise an orphan re-parented to etssup, the subreaper,
		 * such as what a daemonizing child left: reaping it is all
		 * that is owed to it.
		 */
		if (!c)
			continue;
		e = exit_from_siginfo(&si);
		record_exit(s, c, &e);
	}
}

static void read_signals(struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(s);
			break;
		case SIGTERM:
		case SIGINT:
			if (!s->stop_signal)
				s->stop_signal = (int)si.ssi_signo;
			break;
		default:	/* SIGHUP: ignored, as documented */
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* etsmgr tables held as heir                                          */
/* ------------------------------------------------------------------ */

/* Whose was the dead owner @pid: a child spec's index, or HELD_NOBODY. */
static size_t owner_spec(struct sup *s, pid_t pid)
{
	for (size_t i = 0; pid > 0 && i < 2 * s->n; i++) {
		const struct child *c = &s->children[i];

		if (c->pid == pid || c->last_pid == pid)
			return spec_index(s, c);
	}
	return HELD_NOBODY;
}

/*
 * "records: 3", as read through a read-only mapping of the table: a look
 * at what the dead child left, before its successor gets it.
 */
static void records_text(struct heir *h, const struct etsmgr_received *r,
			 char *buf, size_t len)
{
	long long n = heir_check_records(h, r);

	if (n >= 0)
		snprintf(buf, len, "records: %lld", n);
	else if (n == -ENODATA)
		snprintf(buf, len, "records: none (no libetsmgr record set)");
	else
		snprintf(buf, len, "records: unreadable (%s)",
			 strerror((int)-n));
}

/* Take every table handed to etssup (a child died) and hold it. */
static void receive_tables(struct sup *s)
{
	struct etsmgr_received r;
	char records[96];
	size_t i;
	int ret;

	while ((ret = heir_receive(&s->heir, &r)) == 0) {
		i = owner_spec(s, r.from_pid);
		records_text(&s->heir, &r, records, sizeof(records));
		report_table(s->spec->name, "inherited", r.id, r.name, "from",
			     r.from_pid, i == HELD_NOBODY ? NULL :
			     &s->spec->children[i], records);
		if (i == HELD_NOBODY)
			report_message("table %llu (%s) came from pid %d, no child of ours: etssup keeps it until it exits, then etsmgr holds it",
				       (unsigned long long)r.id, r.name,
				       (int)r.from_pid);
		if (heir_hold(&s->heir, &r, i) < 0)
			report_message("out of memory: table %llu (%s) stays etssup's until it exits",
				       (unsigned long long)r.id, r.name);
	}
	if (ret != -EAGAIN)
		report_message("cannot receive a table from etsmgr: %s",
			       strerror(-ret));
}

/* Does etssup hold a table the process @pid of child @i left? */
static bool holds_from(const struct sup *s, size_t i, pid_t pid)
{
	for (size_t k = 0; k < s->heir.n; k++)
		if (s->heir.held[k].child == i && s->heir.held[k].from == pid)
			return true;
	return false;
}

/*
 * Who gets child @i's table that @from left: a live instance other than
 * @from (the restarted or promoted one), else the standby, which takes
 * over as soon as it has it. NULL: nobody yet (the restart will come).
 */
static struct child *successor(struct sup *s, size_t i, pid_t from)
{
	struct child *a = &s->children[i], *b = standby_of(s, a);

	if (child_running(a) && a->pid != from)
		return a;
	/* Its restart waits (backoff): the tables wait for it, not the standby. */
	if (!child_running(a) && a->start_due_ns)
		return NULL;
	if (b && child_running(b))
		return b;
	return NULL;
}

/*
 * Give each held table to its child's successor. Returns true when one
 * waits for its successor to open a session (ENXIO): try again soon.
 */
static bool deliver(struct sup *s)
{
	bool waiting = false;
	size_t i = 0;

	while (i < s->heir.n) {
		struct held_table t = s->heir.held[i];
		struct child *to;
		int ret;

		to = t.child == HELD_NOBODY ? NULL :
		     successor(s, t.child, t.from);
		if (!to) {
			i++;
			continue;
		}
		ret = heir_give(&s->heir, i, to->pidfd);
		if (ret == 0) {
			to->given_tables = true;
			report_table(s->spec->name, "gave", t.id, t.name, "to",
				     to->pid, to->spec, NULL);
			continue;
		}
		if (ret == -ENXIO)	/* no session yet: it is starting */
			waiting = true;
		if (ret == -ENXIO || ret == -ESRCH) {	/* died: exit pending */
			i++;
			continue;
		}
		if (ret == -ENOENT) {
			report_message("table %llu (%s) was deleted while etssup held it",
				       (unsigned long long)t.id, t.name);
			heir_forget(&s->heir, i);
			continue;
		}
		report_message("cannot give table %llu (%s) to child %s (pid %d): %s; etssup keeps it until it exits, then etsmgr holds it",
			       (unsigned long long)t.id, t.name, to->spec->id,
			       (int)to->pid, strerror(-ret));
		s->heir.held[i++].child = HELD_NOBODY;
	}
	return waiting;
}

/*
 * The manager is stopping (a drain, for a reload): like every client,
 * let go of the session so that it can unload; the tables still held go
 * to the manager, to be reclaimed by name. A new session is tried every
 * HEIR_REOPEN_MS until the manager serves again.
 */
static void heir_let_go(struct sup *s)
{
	report_message("etsmgr is stopping: etssup lets go of its session (%zu table(s) it held stay with etsmgr) and opens a new one when etsmgr serves again",
		       s->heir.n);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->heir.session, NULL);
	heir_close(&s->heir);
	s->heir_reopen_ns = monotonic_ns() + HEIR_REOPEN_MS * 1000000ull;
}

/* Try the new session when due; returns ms until the next try, or -1. */
static int heir_reopen(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_ETSMGR };
	uint64_t now = monotonic_ns();

	if (!s->heir_reopen_ns)
		return -1;
	if (now < s->heir_reopen_ns)
		return (int)((s->heir_reopen_ns - now + 999999) / 1000000);
	if (heir_open(&s->heir) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->heir.session, &ev) < 0) {
		heir_close(&s->heir);
		s->heir_reopen_ns = now + HEIR_REOPEN_MS * 1000000ull;
		return HEIR_REOPEN_MS;
	}
	s->heir_reopen_ns = 0;
	report_message("etsmgr serves again: etssup is its children's heir again");
	return -1;
}

/* Wait up to timeout_ms (-1: no limit) and record what happened. */
static void pump(struct sup *s, int timeout_ms)
{
	struct notify_watchdog *w = &s->service.watchdog;
	struct epoll_event ev[16];
	int n = epoll_wait(s->epfd, ev, 16,
			   notify_watchdog_timeout_ms(w, timeout_ms));

	/* Kicked here, in every wait: a stop sequence is a loop too. */
	notify_watchdog_kick(w);
	for (int i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;
		struct child *c;

		if (tag == TAG_SIGNALS) {
			read_signals(s);
			continue;
		}
		if (tag == TAG_TABLES) {
			table_watch_read(s->tables, monotonic_ns());
			continue;
		}
		if (tag == TAG_NOTIFY) {
			service_notify_receive(&s->service, s->children,
					       2 * s->n);
			continue;
		}
		if (tag == TAG_ETSMGR) {
			receive_tables(s);
			if (ev[i].events & (EPOLLPRI | EPOLLHUP | EPOLLERR))
				heir_let_go(s);
			continue;
		}
		c = &s->children[tag >> 32];
		/* An earlier event of this batch may have handled it. */
		if (!child_running(c) || c->generation != (uint32_t)tag)
			continue;
		if (c->adopted) {
			/* Not our child: its status is its new parent's. */
			struct exit_info e = { .kind = EXIT_UNKNOWN };

			record_exit(s, c, &e);
		} else {
			reap(s);
		}
	}
}

static void reclaim_listener(struct sup *s, struct child *c);

static int start_child(struct sup *s, struct child *c)
{
	char why[320];

	if (!c->standby)
		reclaim_listener(s, c);
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
	watch(s, c);
	/* Saved before it is reported: whoever reads the report may kill us. */
	save_state(s);
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
static void stop_child(struct sup *s, struct child *c)
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
		pump(s, timeout_ms);
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
static void start_standby(struct sup *s, const struct child *c)
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
	start_child(s, b);
}

/* Stop every running child, last started first, each after its standby. */
static void stop_all(struct sup *s)
{
	for (size_t k = 2 * s->n; k-- > 0;) {
		/* n-1+n, n-1, n-2+n, n-2, ...: a standby before its child */
		size_t i = k / 2 + (k % 2 ? s->n : 0);
		struct child *c = &s->children[i];

		if (!child_running(c))
			continue;
		stop_child(s, c);
		/* OTP forgets a temporary child its supervisor stopped. */
		if (c->spec->restart == RESTART_TEMPORARY)
			c->removed = true;
	}
}

/* one_for_all: start every child still defined; the first failure, or NULL. */
static struct child *start_all(struct sup *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct child *c = &s->children[i];

		if (c->removed || child_running(c))
			continue;
		if (start_child(s, c) < 0)
			return c;
		start_standby(s, c);
	}
	return NULL;
}

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
 * way from the main loop (start_due), which serves signals and the other
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
		stop_all(s);
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
		if (start_child(s, c) == 0) {
			start_standby(s, c);
			return CARRY_ON;
		}
	} else {
		failed = start_all(s);
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
	watch(s, a);
	b->pid = 0;
	b->pidfd = -1;
	b->adopted = false;
	b->given_tables = false;
	b->generation = b_generation;
	report_promoted(s->spec->name, a, dead);
	deliver(s);
	save_state(s);
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

static enum outcome handle_exit(struct sup *s, struct child *c)
{
	struct child *b = standby_of(s, c);

	c->exit_pending = false;
	if (s->tables && c->spec->crash_loop.policy != CRASH_LOOP_KEEP)
		weigh_death(s, c);
	/* Its tables were handed over before its exit was reported. */
	receive_tables(s);
	if (c->standby)
		return restart_standby(s, c);
	if (b && child_running(b) &&
	    (b->given_tables || holds_from(s, spec_index(s, c), c->last_pid)))
		return promote(s, c, b);
	if (needs_restart(c))
		return restart(s, c);
	if (b && child_running(b))	/* nothing left to stand by for */
		stop_child(s, b);
	if (c->spec->restart == RESTART_TEMPORARY)
		c->removed = true;
	return CARRY_ON;
}

static const struct state_entry *find_entry(const struct state_entry *e,
					    size_t n, const char *id,
					    bool standby)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].id, id) == 0 && e[i].standby == standby)
			return &e[i];
	return NULL;
}

/*
 * The process @e names ran another command than @c's spec now gives (the
 * configuration changed while etssup was down): it is not adopted, and if
 * it still runs, it is stopped as the child would be (its shutdown), so
 * that the new command does not run beside the old one, which nobody
 * would supervise. Only a process verified as the recorded one (pidfd,
 * then start time, in this boot) is ever signalled.
 */
static void retire(struct sup *s, struct child *c, const struct state_entry *e,
		   uint64_t now)
{
	char why[160];

	if (child_adopt(c, e->pid, e->starttime, why, sizeof(why)) < 0) {
		report_message("child %s: not re-adopted: its command changed since pid %d started (command hash %016llx, now %016llx), and %s; starting it afresh",
			       c->spec->id, (int)e->pid,
			       (unsigned long long)e->command_hash,
			       (unsigned long long)now, why);
		return;
	}
	report_message("child %s: not re-adopted: its command changed since pid %d started (command hash %016llx, now %016llx); stopping it, then starting it afresh",
		       c->spec->id, (int)e->pid,
		       (unsigned long long)e->command_hash,
		       (unsigned long long)now);
	watch(s, c);
	stop_child(s, c);
}

static int adopt(struct sup *s, struct child *c, const struct state_entry *e)
{
	uint64_t hash = s->command_hashes[spec_index(s, c)];
	char why[160];

	if (e->command_hash != hash) {
		retire(s, c, e, hash);
		return -1;
	}
	if (child_adopt(c, e->pid, e->starttime, why, sizeof(why)) < 0) {
		report_message("child %s: not re-adopted: %s; starting it afresh",
			       c->spec->id, why);
		return -1;
	}
	c->started_ns = 0;	/* when, is not known: long ago */
	watch(s, c);
	save_state(s);
	report_started(s->spec->name, c);
	return 0;
}

/* Processes the state file lists that no child of this spec will claim. */
static void warn_strays(struct sup *s, const struct state_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long long start;
		bool claimed = false;

		/* A standby's, by a child that still has one. */
		for (size_t j = 0; j < s->n; j++)
			claimed |= strcmp(s->children[j].spec->id, e[i].id) == 0 &&
				   (!e[i].standby ||
				    s->children[j].spec->standby);
		if (claimed || proc_starttime(e[i].pid, &start) < 0 ||
		    start != e[i].starttime)
			continue;
		report_message("%s lists %s %s (pid %d), which is not in this configuration: left running, unsupervised",
			       s->statefile, e[i].standby ? "the standby of child" :
			       "child", e[i].id, (int)e[i].pid);
	}
}

/*
 * Make the socket etssup holds (or none: -1) the one its instances get,
 * and the one the service manager keeps for the next etssup, if any.
 */
static void pass_listener(struct sup *s, size_t i)
{
	const char *id = s->spec->children[i].id;
	struct listener *l = &s->listeners[i];
	char why[128];
	int ret;

	s->children[i].listen_fd = l->fd;
	s->children[i + s->n].listen_fd = l->fd;
	if (l->fd < 0) {
		fdstore_remove(id);
		return;
	}
	/* A socket unit passes its own again at every start. */
	if (l->in_store || l->activated)
		return;
	ret = fdstore_put(id, l->fd, why, sizeof(why));
	l->in_store = ret > 0;
	if (ret < 0)
		report_message("child %s: cannot keep its socket in the service manager's file descriptor store (NOTIFY_SOCKET): %s; a restarted etssup takes it back from the child",
			       id, why);
}

/*
 * The socket the service manager passed for child @c, if any: one its fd
 * store kept for it, or a .socket unit's that listens on its path
 * (socket activation), which etssup holds and passes on as its own.
 */
static void stored_listener(struct sup *s, struct child *c)
{
	struct listener *l = &s->listeners[spec_index(s, c)];
	const char *path = c->spec->listen;
	int fd = fdstore_take(c->spec->id);
	const char *name;
	char why[160];

	if (fd < 0) {
		fd = fdstore_take_activated(path, &name);
		if (fd < 0)
			return;
		if (listener_adopt(l, fd, path, why, sizeof(why)) < 0) {
			report_message("child %s: the socket %s the service manager passed is %s; not used",
				       c->spec->id, name, why);
			return;
		}
		l->activated = true;
		return;
	}
	if (listener_adopt(l, fd, path, why, sizeof(why)) < 0)
		report_message("child %s: the socket the service manager kept for it is %s; not used",
			       c->spec->id, why);
	else
		l->in_store = true;
}

/*
 * The listening socket of child @c: taken back from the re-adopted
 * instance (or its standby), so that the path keeps naming the socket it
 * accepts on, or bound anew when none runs. Without it the child binds
 * its own, as it would alone.
 *
 * One that runs but whose socket cannot be taken is left serving it: a
 * socket bound over the path now would be one nobody accepts on. The
 * path is bound anew once no instance runs (reclaim_listener).
 */
static void hold_listener(struct sup *s, struct child *c)
{
	size_t i = spec_index(s, c);
	struct listener *l = &s->listeners[i];
	struct child *b = standby_of(s, c);
	const char *path = c->spec->listen;
	char why[256], why_b[256] = "";

	stored_listener(s, c);
	if (l->fd < 0 && (child_running(c) || (b && child_running(b)))) {
		if ((!child_running(c) ||
		     listener_take(l, c->pidfd, path, why, sizeof(why)) < 0) &&
		    (!b || !child_running(b) ||
		     listener_take(l, b->pidfd, path, why_b,
				   sizeof(why_b)) < 0)) {
			listener_leave(l, path);
			report_message("child %s: its listening socket could not be taken back (%s%s%s); it keeps serving %s, which etssup binds anew once no instance of the child runs",
				       c->spec->id,
				       child_running(c) ? why : why_b,
				       child_running(c) && why_b[0] ?
				       "; from its standby: " : "",
				       child_running(c) ? why_b : "", path);
			pass_listener(s, i);
			return;
		}
	}
	if (l->fd < 0 && listener_bind(l, path, why, sizeof(why)) < 0)
		report_message("child %s: cannot listen on %s: %s; its instances bind their own",
			       c->spec->id, path, why);
	pass_listener(s, i);
}

/*
 * Child @c (the active instance) is about to start and its socket was
 * left with a re-adopted instance: none may run any more when the path
 * is bound anew. An idle standby of the old socket is stopped (it would
 * take over on a socket the path no longer names) and started again
 * afterwards with the new one. Once every instance has exited, their
 * descriptors are closed (a pidfd reports the exit after that), so the
 * bind replaces a socket file nobody accepts on.
 */
static void reclaim_listener(struct sup *s, struct child *c)
{
	size_t i = spec_index(s, c);
	struct listener *l = &s->listeners[i];
	struct child *b = standby_of(s, c);
	const char *path = c->spec->listen;
	char why[256];

	if (!path || !l->left_with_child || child_running(c))
		return;
	if (b && child_running(b)) {
		report_message("child %s: stopping its standby (pid %d), which has the socket etssup could not take back, to bind %s anew",
			       c->spec->id, (int)b->pid, path);
		stop_child(s, b);
	}
	if (listener_bind(l, path, why, sizeof(why)) < 0) {
		report_message("child %s: cannot listen on %s: %s; its instances bind their own",
			       c->spec->id, path, why);
		l->left_with_child = false;
	} else {
		report_message("child %s: no instance serves %s any more: etssup binds %s anew and holds it from now on",
			       c->spec->id, path, path);
	}
	pass_listener(s, i);
}

/*
 * What a previous etssup of this name left running, if its state file is
 * one to trust: 1 and *prev filled, or 0 and nothing to re-adopt (each
 * case but "no file" reported; the pids of an untrusted file are never
 * used, not even to say whether they run).
 */
static int load_previous(struct sup *s, struct state_file *prev)
{
	static const char consequence[] =
		"no child is re-adopted: each starts afresh, and the processes it lists are left alone";
	char err[PATH_MAX + 256];
	int ret = statefile_load(s->statefile, prev, err, sizeof(err));

	if (ret <= 0) {
		if (ret < 0)
			report_message("%s; %s", err, consequence);
		return 0;
	}
	if (!s->boot_id[0])
		report_message("%s: the boot id is unknown (cannot read %s), so is whether the file is of this boot; %s",
			       s->statefile, BOOT_ID_PATH, consequence);
	else if (strcmp(prev->boot_id, s->boot_id) != 0)
		report_message("%s: written in another boot (boot id %s, this boot %s); %s",
			       s->statefile, prev->boot_id, s->boot_id,
			       consequence);
	else
		return 1;
	statefile_free(prev);
	return 0;
}

/* Re-adopt what a previous etssup left running, start the rest in order. */
static int start_initial(struct sup *s)
{
	struct state_file prev;
	int ret = 0;

	load_previous(s, &prev);
	warn_strays(s, prev.entries, prev.n);
	fdstore_init();
	for (size_t i = 0; i < s->n; i++) {
		struct child *c = &s->children[i], *b = standby_of(s, c);
		const struct state_entry *e = find_entry(prev.entries, prev.n,
							 c->spec->id, false);
		char reason[SPEC_NAME_MAX + 32];
		bool adopted = e && adopt(s, c, e) == 0, b_adopted = false;

		if (b) {
			e = find_entry(prev.entries, prev.n, c->spec->id, true);
			b_adopted = e && adopt(s, b, e) == 0;
		}
		/* Before any start: the instances need the socket. */
		if (c->spec->listen)
			hold_listener(s, c);
		if (b && !b_adopted)
			start_standby(s, c);
		if (adopted)
			continue;
		if (start_child(s, c) < 0) {
			snprintf(reason, sizeof(reason),
				 "{failed_to_start_child,%s}", c->spec->id);
			report_terminating(s->spec->name, reason);
			ret = -1;
			break;
		}
		/* Its adopted standby was stopped to bind the socket anew. */
		if (b_adopted)
			start_standby(s, c);
	}
	/* Kept for children no longer configured (or not reached): dropped. */
	fdstore_drop_untaken();
	statefile_free(&prev);
	return ret;
}

static int setup_events(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_SIGNALS };
	const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	/*
	 * Inherited dispositions do not apply: SIGCHLD ignored would make
	 * the kernel reap the children itself, and an ignored signal would
	 * stay ignored in every child across exec.
	 */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	/* A closed stderr or log pipe must not kill the supervisor. */
	signal(SIGPIPE, SIG_IGN);

	s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return -errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev) < 0)
		return -errno;
	return 0;
}

/* Is @pid a process etssup runs (the filter of the table watch)? */
static bool runs(void *arg, pid_t pid)
{
	struct sup *s = arg;

	for (size_t i = 0; i < 2 * s->n; i++)
		if (s->children[i].pid == pid && pid > 0)
			return true;
	return false;
}

/*
 * For the children with a crash-loop policy: the watch of their tables.
 * It needs the module's events, so CAP_SYS_ADMIN: without it, a policy
 * asked for cannot be kept, and etssup says so and does not start. Without
 * the module, the children have no tables to weigh: they run without.
 */
static int setup_crash_loops(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_TABLES };
	const char *first = NULL;
	int ret;

	for (size_t i = 0; i < s->n && !first; i++)
		if (s->spec->children[i].crash_loop.policy != CRASH_LOOP_KEEP)
			first = s->spec->children[i].id;
	if (!first)
		return 0;
	s->crash_loops = calloc(s->n, sizeof(*s->crash_loops));
	s->tables = malloc(sizeof(*s->tables));
	if (!s->crash_loops || !s->tables) {
		report_message("out of memory");
		return -1;
	}
	ret = table_watch_open(s->tables, runs, s);
	if (ret == -ENOENT) {
		report_message("etsmgr is not loaded: on-crash-loop of child %s is off until etssup starts again",
			       first);
		free(s->tables);
		s->tables = NULL;
		return 0;
	}
	if (ret < 0) {
		report_message("on-crash-loop of child %s follows the module's events: %s%s",
			       first, strerror(-ret),
			       ret == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		free(s->tables);
		s->tables = NULL;
		return -1;
	}
	ev.data.u64 = TAG_TABLES;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, table_watch_fd(s->tables),
		      &ev) < 0) {
		report_message("epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * For the children with heir: etssup's session of etsmgr, watched for the
 * tables it inherits. Without the module, the children run as without
 * heir (etsmgr holds their tables) and no standby is started.
 */
static int setup_heir(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_ETSMGR };
	bool wanted = false;
	int ret;

	for (size_t i = 0; i < s->n; i++)
		wanted |= s->spec->children[i].heir;
	if (!wanted)
		return 0;
	ret = heir_open(&s->heir);
	if (ret < 0) {
		report_message("cannot open %s: %s; etsmgr, not etssup, will hold the tables of dead children, and no standby is started",
			       ETSMGR_DEVICE_PATH, strerror(-ret));
		return 0;
	}
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->heir.session, &ev) < 0) {
		report_message("cannot watch the etsmgr session: %s",
			       strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (!s->spec->children[i].heir)
			continue;
		s->children[i].heir_pid = getpid();
		s->children[i + s->n].heir_pid = getpid();
	}
	return 0;
}

/*
 * The socket the children notify (their NOTIFY_SOCKET), read in the loop.
 * Without it they run with no NOTIFY_SOCKET at all, and a child with
 * notify can never be up: etssup says READY=1 regardless, and why.
 */
static int setup_notify(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_NOTIFY };
	int ret = service_notify_open(&s->service);

	if (ret < 0) {
		report_message("cannot open a notification socket for the children: %s; they get no NOTIFY_SOCKET",
			       strerror(-ret));
		for (size_t i = 0; i < s->n; i++)
			if (s->spec->children[i].notify)
				report_message("child %s: notify is ignored",
					       s->spec->children[i].id);
		return 0;
	}
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->service.relay.fd, &ev) < 0) {
		report_message("cannot watch the notification socket: %s",
			       strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < 2 * s->n; i++)
		s->children[i].notify_socket = s->service.relay.address;
	return 0;
}

static int setup(struct sup *s, const struct sup_spec *spec)
{
	const char *dir = spec->state_dir ? spec->state_dir :
					    SPEC_DEFAULT_STATE_DIR;
	char err[PATH_MAX + 128];
	int ret;

	memset(s, 0, sizeof(*s));
	s->spec = spec;
	s->n = spec->nchildren;
	s->epfd = s->sigfd = s->pidfile_fd = -1;
	heir_init(&s->heir);
	service_notify_init(&s->service);
	s->children = calloc(2 * s->n, sizeof(*s->children));
	s->entries = calloc(2 * s->n, sizeof(*s->entries));
	s->command_hashes = calloc(s->n, sizeof(*s->command_hashes));
	s->listeners = calloc(s->n, sizeof(*s->listeners));
	if (!s->children || !s->entries || !s->command_hashes ||
	    !s->listeners) {
		report_message("out of memory");
		return -1;
	}
	ret = intensity_init(&s->restarts, spec->intensity, spec->period_s);
	if (ret < 0) {
		report_message("restart intensity %u in %u s: %s",
			       spec->intensity, spec->period_s, strerror(-ret));
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		child_init(&s->children[i], &spec->children[i]);
		child_init(&s->children[i + s->n], &spec->children[i]);
		s->children[i + s->n].standby = true;
		s->command_hashes[i] = command_hash(&spec->children[i]);
		listener_init(&s->listeners[i]);
	}
	ret = boot_id_read(s->boot_id);
	if (ret < 0) {
		s->boot_id[0] = '\0';
		report_message("cannot read %s: %s; a restarted etssup could not re-adopt the children",
			       BOOT_ID_PATH, strerror(-ret));
	}
	/* First, so that SIGTERM cannot kill etssup holding its pidfile. */
	ret = setup_events(s);
	if (ret < 0) {
		report_message("cannot set up signals and epoll: %s",
			       strerror(-ret));
		return -1;
	}
	if (setup_notify(s) < 0)
		return -1;

	ret = statedir_create(dir);
	if (ret < 0) {
		report_message("cannot create the state directory %s: %s", dir,
			       strerror(-ret));
		return -1;
	}
	if (statedir_check(dir, err, sizeof(err)) < 0) {
		report_message("state directory: %s", err);
		return -1;
	}
	if (statedir_path(s->pidfile, sizeof(s->pidfile), dir, spec->name,
			  "pid") < 0 ||
	    statedir_path(s->statefile, sizeof(s->statefile), dir, spec->name,
			  "state") < 0) {
		report_message("state directory path too long: %s", dir);
		return -1;
	}
	s->pidfile_fd = pidfile_acquire(s->pidfile, err, sizeof(err));
	if (s->pidfile_fd < 0) {
		report_message("supervisor %s: %s", spec->name, err);
		return -1;
	}
	if (setup_heir(s) < 0)
		return -1;
	if (setup_crash_loops(s) < 0)
		return -1;
	/* Orphans of the children (a daemonizing child's) come back here. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		report_message("prctl(PR_SET_CHILD_SUBREAPER): %s",
			       strerror(errno));
		return -1;
	}
	return 0;
}

/* At exit: no child runs any more, so the state and pidfile go. */
static void teardown(struct sup *s)
{
	if (s->pidfile_fd >= 0) {
		unlink(s->statefile);
		pidfile_release(s->pidfile, s->pidfile_fd);
	}
	for (size_t i = 0; s->listeners && i < s->n; i++) {
		const struct listener *l = &s->listeners[i];

		/* Its file goes: no later etssup may take the socket. */
		if (l->fd >= 0 || l->left_with_child)
			fdstore_remove(s->spec->children[i].id);
		listener_close(&s->listeners[i], s->spec->children[i].listen);
	}
	free(s->listeners);
	/* What it still holds, etsmgr holds now. */
	heir_close(&s->heir);
	if (s->tables) {
		table_watch_close(s->tables);
		free(s->tables);
	}
	free(s->crash_loops);
	service_notify_close(&s->service);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	intensity_free(&s->restarts);
	free(s->entries);
	free(s->command_hashes);
	free(s->children);
}

static struct child *first_pending(struct sup *s)
{
	for (size_t i = 0; i < 2 * s->n; i++)
		if (s->children[i].exit_pending)
			return &s->children[i];
	return NULL;
}

/*
 * Make the starts that are due: delayed restarts (restart_due) and
 * standbys (after a promotion, or their own restart). ESCALATE when a
 * restart failed once too often; *timeout_ms is the time until the next
 * start is due, or -1.
 */
static enum outcome start_due(struct sup *s, int *timeout_ms)
{
	uint64_t now = monotonic_ns(), next = UINT64_MAX;

	for (size_t i = 0; i < 2 * s->n; i++) {
		struct child *c = &s->children[i];

		if (!c->start_due_ns || c->start_due_ns > now)
			continue;
		c->start_due_ns = 0;
		if (i >= s->n)
			start_standby(s, &s->children[i - s->n]);
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

/* The sooner of two epoll timeouts (-1: none). */
static int sooner(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* While a give-away waits for a session: 1, 2, 4 ... 16 ms apart. */
static void next_give_retry(struct sup *s, bool waiting)
{
	if (!waiting)
		s->give_retry_ms = 0;
	else if (!s->give_retry_ms)
		s->give_retry_ms = GIVE_RETRY_FIRST_MS;
	else if (s->give_retry_ms < GIVE_RETRY_MAX_MS)
		s->give_retry_ms *= 2;
}

/* Escalation: more restarts than the intensity allows. */
static void give_up(struct sup *s)
{
	char why[96];

	snprintf(why, sizeof(why),
		 "giving up: more than %u restarts within %u s",
		 s->spec->intensity, s->spec->period_s);
	service_notify_stopping(&s->service, why);
	stop_all(s);
}

int supervisor_run(const struct sup_spec *spec)
{
	char signame[32], reason[64];
	struct child *c;
	struct sup s;
	int status = 1;

	if (setup(&s, spec) < 0)
		goto out;
	if (start_initial(&s) < 0) {
		service_notify_stopping(&s.service,
					"giving up: a child failed to start");
		stop_all(&s);
		goto out;
	}
	s.service.started = true;
	for (;;) {
		int due_ms;

		if (s.stop_signal) {
			signal_name(s.stop_signal, signame, sizeof(signame));
			snprintf(reason, sizeof(reason), "signal %s", signame);
			report_terminating(spec->name, reason);
			snprintf(reason, sizeof(reason),
				 "stopping the children at signal %s", signame);
			service_notify_stopping(&s.service, reason);
			stop_all(&s);
			status = 0;
			break;
		}
		c = first_pending(&s);
		if (c) {
			if (handle_exit(&s, c) == ESCALATE) {
				give_up(&s);
				break;
			}
			continue;
		}
		if (start_due(&s, &due_ms) == ESCALATE) {
			give_up(&s);
			break;
		}
		/* Held tables go to the children that now run. */
		next_give_retry(&s, deliver(&s));
		service_notify_update(&s.service, s.children, s.n);
		pump(&s, sooner(sooner(s.give_retry_ms ?
				       (int)s.give_retry_ms : -1, due_ms),
				heir_reopen(&s)));
	}
out:
	teardown(&s);
	return status;
}
