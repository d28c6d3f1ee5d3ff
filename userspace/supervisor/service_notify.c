// SPDX-License-Identifier: GPL-2.0
/*
 * etssup under a service manager: READY, STATUS, STOPPING and the
 * watchdog from the children's state, and the children's own messages
 * (see service_notify.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "service_notify.h"

/*
 * Messages read in one turn of the loop: anyone may send to an abstract
 * socket, and a flood must not keep etssup from its signals and children
 * (the rest waits for the next turn; epoll says it again).
 */
#define MESSAGES_PER_TURN 64

void service_notify_init(struct service_notify *sv)
{
	memset(sv, 0, sizeof(*sv));
	notify_relay_init(&sv->relay);
	notify_watchdog_init(&sv->watchdog);
}

int service_notify_open(struct service_notify *sv)
{
	return notify_relay_open(&sv->relay);
}

void service_notify_close(struct service_notify *sv)
{
	notify_relay_close(&sv->relay);
}

static struct child *sender(struct child *procs, size_t nprocs, pid_t pid)
{
	for (size_t i = 0; i < nprocs; i++)
		if (child_running(&procs[i]) && procs[i].pid == pid)
			return &procs[i];
	return NULL;
}

void service_notify_receive(struct service_notify *sv, struct child *procs,
			    size_t nprocs)
{
	char msg[NOTIFY_MESSAGE_MAX + 1], value[8];
	struct child *c;
	pid_t pid;
	int ret;

	for (int turn = 0; turn < MESSAGES_PER_TURN &&
	     (ret = notify_relay_receive(&sv->relay, &pid, msg)) != -EAGAIN;
	     turn++) {
		if (ret < 0)
			continue;	/* dropped: too long, or nobody's */
		c = sender(procs, nprocs, pid);
		if (!c)
			continue;	/* a grandchild, or a stranger */
		if (notify_message_field(msg, "READY=", value, sizeof(value)) &&
		    strcmp(value, "1") == 0)
			c->ready = true;
		notify_message_field(msg, "STATUS=", c->status,
				     sizeof(c->status));
	}
}

/* Appended while it fits; the status line is for people, not parsers. */
static void __attribute__((format(printf, 3, 4)))
status_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/*
 * Started, and said READY=1 if it is to. A re-adopted one cannot say it
 * (its NOTIFY_SOCKET was its first etssup's), nor one without a socket.
 */
static bool child_up(const struct child *c)
{
	return child_running(c) &&
	       (!c->spec->notify || c->ready || c->adopted ||
		!c->notify_socket);
}

void service_notify_update(struct service_notify *sv,
			   const struct child *children, size_t n)
{
	char status[sizeof(sv->status_sent)] = "";
	size_t running = 0, defined = 0;
	bool up = sv->started;

	if (sv->stopping)
		return;
	for (size_t i = 0; i < n; i++) {
		if (children[i].removed)
			continue;
		defined++;
		running += child_running(&children[i]);
	}
	status_add(status, sizeof(status), "%zu of %zu children running",
		   running, defined);
	for (size_t i = 0; i < n; i++) {
		const struct child *c = &children[i];

		if (c->removed)
			continue;
		if (!child_running(c) && (c->start_due_ns || c->exit_pending)) {
			status_add(status, sizeof(status), "; restarting %s",
				   c->spec->id);
			up = false;
		} else if (child_running(c) && !child_up(c)) {
			status_add(status, sizeof(status), "; starting %s",
				   c->spec->id);
			up = false;
		}
		if (child_running(c) && c->status[0])
			status_add(status, sizeof(status), "; %s: %s",
				   c->spec->id, c->status);
	}
	if (up && !sv->ready_sent) {
		notify_ready("%s", status);
		sv->ready_sent = true;
	} else if (strcmp(status, sv->status_sent) != 0) {
		notify_status("%s", status);
	}
	strcpy(sv->status_sent, status);
}

void service_notify_stopping(struct service_notify *sv, const char *why)
{
	if (sv->stopping)
		return;
	sv->stopping = true;
	notify_stopping("%s", why);
}
