// SPDX-License-Identifier: GPL-2.0
/*
 * counterd_loop: etscounterd's event loop: one poll(2) over the signals,
 * the session, the manager's return, the clients and the socket, with
 * the clients' and the stop's deadlines and the watchdog.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "counterd.h"
#include "monotonic.h"
#include "notify.h"

int block_signals(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		fatal("sigprocmask: %s.", strerror(errno));
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		fatal("signalfd: %s.", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	return fd;
}

/* The poll timeout: the next stalled client's or the stop's deadline. */
static int next_timeout(const struct server *s)
{
	int64_t now = monotonic_ms(), due = -1;
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		const struct client *c = &s->clients[i];
		int64_t at = c->stalled_ms + ETSCOUNTER_STALL_MS;

		if (c->fd >= 0 && c->stalled_ms && (due < 0 || at < due))
			due = at;
	}
	if (s->stopped && (due < 0 || s->stop_deadline_ms < due))
		due = s->stop_deadline_ms;
	if (due < 0)
		return -1;
	return due <= now ? 0 : (int)(due - now);
}

void serve(struct server *s)
{
	struct pollfd pfd[4 + MAX_CLIENTS];
	struct client *polled[MAX_CLIENTS];
	short events[MAX_CLIENTS];
	int n, i, nclients, first_client, session_at, back_at, listener_at;
	int64_t now;

	for (;;) {
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = s->signals, .events = POLLIN };
		session_at = back_at = listener_at = -1;
		if (s->session >= 0) {
			session_at = n;
			pfd[n++] = (struct pollfd){ .fd = s->session,
						    .events = POLLPRI };
		}
		/* After a stop there is no table to adopt back. */
		if (s->manager_back >= 0 && !s->stopped) {
			back_at = n;
			pfd[n++] = (struct pollfd){ .fd = s->manager_back,
						    .events = POLLIN };
		}
		first_client = n;
		nclients = 0;
		for (i = 0; i < MAX_CLIENTS; i++) {
			if (s->clients[i].fd < 0)
				continue;
			events[nclients] = client_events(&s->clients[i]);
			polled[nclients] = &s->clients[i];
			pfd[n++] = (struct pollfd){ .fd = s->clients[i].fd,
						    .events = events[nclients] };
			nclients++;
		}
		if (nclients < MAX_CLIENTS) {
			listener_at = n;
			pfd[n++] = (struct pollfd){ .fd = s->listener,
						    .events = POLLIN };
		}

		if (poll(pfd, (nfds_t)n,
			 notify_watchdog_timeout_ms(&s->watchdog,
						    next_timeout(s))) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s.", strerror(errno));
		}
		notify_watchdog_kick(&s->watchdog);

		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(s->signals, &si, sizeof(si)) == sizeof(si)) {
				notify_stopping("stopping at signal %u: keeping table %s (id %" PRIu64 ") for the next etscounterd",
						si.ssi_signo, s->table_name,
						s->id);
				if (!s->stopped)
					keep_table(s);
				exit_stopped(s);
			}
		}
		if (session_at >= 0 && pfd[session_at].revents) {
			if (etsmgr_session_manager_stopping(s->session) == 1)
				manager_stopping(s);
			else if (pfd[session_at].revents & (POLLERR | POLLNVAL))
				fatal("the session with etsmgr failed.");
		}
		if (back_at >= 0 && pfd[back_at].revents)
			manager_back(s);
		for (i = 0; i < nclients; i++)
			if (pfd[first_client + i].revents && polled[i]->fd >= 0)
				client_ready(s, polled[i], events[i],
					     pfd[first_client + i].revents);
		now = monotonic_ms();
		for (i = 0; i < MAX_CLIENTS; i++)
			if (s->clients[i].fd >= 0)
				drop_stalled(s, &s->clients[i], now);
		if (s->stopped && now >= s->stop_deadline_ms) {
			notice("no SIGTERM came within %d s of the stop: exiting.",
			       STOP_LINGER_MS / 1000);
			exit_stopped(s);
		}
		if (listener_at >= 0 && pfd[listener_at].revents)
			accept_client(s);
	}
}
