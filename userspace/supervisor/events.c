// SPDX-License-Identifier: GPL-2.0
/*
 * etssup's event pump: one epoll wait on the signalfd (SIGCHLD, SIGTERM,
 * SIGINT, SIGHUP), each child's pidfd, the etsmgr session, the table
 * watch and the children's notification socket. An exit is recorded
 * here (record_exit) and acted upon from the main loop, in start order,
 * so that no restart ever runs inside the wait of a stop sequence. The
 * state file is rewritten whenever the set of running processes changes.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monotonic.h"
#include "report.h"
#include "statefile.h"
#include "sup.h"

void sup_save_state(struct sup *s)
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

void sup_watch(struct sup *s, struct child *c)
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
 * (sup_stop_child() reports that), report the exit and leave the restart
 * decision to the main loop.
 */
static void record_exit(struct sup *s, struct child *c,
			const struct exit_info *e)
{
	pid_t pid = c->pid;

	/* Explicitly: a forked child may still share the pidfd until exec. */
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
	child_forget(c, e);
	sup_save_state(s);
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

/* Wait up to timeout_ms (-1: no limit) and record what happened. */
void sup_pump(struct sup *s, int timeout_ms)
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
			sup_receive_tables(s);
			if (ev[i].events & (EPOLLPRI | EPOLLHUP | EPOLLERR))
				sup_heir_let_go(s);
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
