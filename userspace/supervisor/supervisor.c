// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the supervisor proper. It starts (or re-adopts, readopt.c) the
 * children in order, then loops: a stop signal stops them all; else the
 * first recorded exit is acted upon (strategy.c); else the starts that
 * are due are made, held tables are given (succession.c), systemd hears
 * how the children are (service_notify.c: READY=1, STATUS=, STOPPING=1,
 * the watchdog's kicks from the pump), and the loop waits in the pump
 * (events.c) until the next thing is due.
 */
#include <stdio.h>

#include "report.h"
#include "sup.h"
#include "supervisor.h"

/* Retries of a give-away to a child that has no session yet, in ms. */
#define GIVE_RETRY_FIRST_MS 1
#define GIVE_RETRY_MAX_MS 16

static struct child *first_pending(struct sup *s)
{
	for (size_t i = 0; i < 2 * s->n; i++)
		if (s->children[i].exit_pending)
			return &s->children[i];
	return NULL;
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

int supervisor_run(const struct sup_spec *spec)
{
	char signame[32], reason[64];
	struct child *c;
	struct sup s;
	int status = 1;

	if (sup_setup(&s, spec) < 0)
		goto out;
	if (sup_start_initial(&s) < 0) {
		service_notify_stopping(&s.service,
					"giving up: a child failed to start");
		sup_stop_all(&s);
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
			sup_stop_all(&s);
			status = 0;
			break;
		}
		c = first_pending(&s);
		if (c) {
			if (sup_handle_exit(&s, c) == ESCALATE) {
				sup_give_up(&s);
				break;
			}
			continue;
		}
		if (sup_start_due(&s, &due_ms) == ESCALATE) {
			sup_give_up(&s);
			break;
		}
		/* Held tables go to the children that now run. */
		next_give_retry(&s, sup_deliver(&s));
		service_notify_update(&s.service, s.children, s.n);
		sup_pump(&s, sooner(sooner(s.give_retry_ms ?
				       (int)s.give_retry_ms : -1, due_ms),
				sup_heir_reopen(&s)));
	}
out:
	sup_teardown(&s);
	return status;
}
