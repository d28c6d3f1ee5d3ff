// SPDX-License-Identifier: GPL-2.0
/*
 * counterd_protocol: etscounterd's clients and their requests (the
 * protocol of etscounter.h): reading them, count, check, ping, stop and
 * die, and the queue of answers each client has not read yet.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "counterd.h"
#include "monotonic.h"
#include "notify.h"

/* How long the answer to a die may take to leave before the SIGKILL. */
#define DIE_FLUSH_MS		1000

static void __attribute__((format(printf, 2, 3)))
text_add(struct text *t, const char *fmt, ...)
{
	size_t room = sizeof(t->buf) - t->len;
	va_list ap;
	int n;

	if (t->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room - 4) {	/* room for "..." */
		t->buf[t->len] = '\0';
		t->truncated = true;
		return;
	}
	t->len += (size_t)n;
}

/* One record as ETS shows it, {count,3}: called by etsmgr_set_foreach(). */
static int text_add_record(const void *key, size_t key_len,
			   const void *value, size_t value_len, void *arg)
{
	char record[ETSCOUNTER_LINE_MAX];
	struct text *t = arg;

	etsmgr_record_text(record, sizeof(record), key, key_len, value,
			   value_len);
	text_add(t, "%s%s", t->len > 1 ? "," : "", record);
	return 0;
}

/*
 * After a stop, the daemon goes when its stopping client does (or at
 * SIGTERM): the socket first, so that no client finds it after we left.
 */
void __attribute__((noreturn)) exit_stopped(struct server *s)
{
	unlink_listener(s);
	exit(0);
}

static void close_client(struct server *s, struct client *c)
{
	bool stopper = c->stopper;

	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->out_len = 0;
	c->stalled_ms = 0;
	c->eof = c->closing = c->stopper = false;
	if (stopper)
		exit_stopped(s);
}

/*
 * Send what is queued for @c, as much as its socket takes now. Returns
 * 0 (all sent, or the rest waits for POLLOUT) or -1 when the client is
 * gone (and closed).
 */
static int flush_client(struct server *s, struct client *c)
{
	ssize_t n;

	while (c->out_len > 0) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->stalled_ms)
				c->stalled_ms = monotonic_ms();
			return 0;
		}
		if (n <= 0) {
			close_client(s, c);
			return -1;
		}
		c->out_len -= (size_t)n;
		memmove(c->out, c->out + n, c->out_len);
		c->stalled_ms = 0;
	}
	c->stalled_ms = 0;
	return 0;
}

/* Send what is queued, waiting up to @ms for the client to take it. */
static void flush_client_wait(struct server *s, struct client *c, int ms)
{
	int64_t deadline = monotonic_ms() + ms;
	struct pollfd pfd;
	int left;

	while (c->fd >= 0 && c->out_len > 0) {
		if (flush_client(s, c) || c->out_len == 0)
			return;
		left = (int)(deadline - monotonic_ms());
		if (left <= 0)
			return;
		pfd = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return;
	}
}

/* Room for one more answer in the client's queue? */
static bool can_answer(const struct client *c)
{
	return sizeof(c->out) - c->out_len >= ETSCOUNTER_LINE_MAX;
}

/*
 * Queue one answer line for a client; it is sent when the requests at
 * hand are served (flush_client()). The caller made sure of the room
 * (can_answer()).
 */
static void answer(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void answer(struct client *c, const char *fmt, ...)
{
	size_t room = sizeof(c->out) - c->out_len;
	char *buf = c->out + c->out_len;
	va_list ap;
	int len;

	if (room < 2)
		return;		/* not reached: see can_answer() */
	va_start(ap, fmt);
	len = vsnprintf(buf, room - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if ((size_t)len > room - 2)
		len = (int)(room - 2);
	buf[len++] = '\n';
	c->out_len += (size_t)len;
}

static void do_count(struct server *s, struct client *c)
{
	int64_t count;
	int ret;

	ret = count_one(s, &count);
	if (ret) {
		report("ERROR", "cannot count in table %" PRIu64 ": %s.",
		       s->id, strerror(-ret));
		answer(c, ETSCOUNTER_ERROR_PREFIX "cannot count: %s",
		       strerror(-ret));
		return;
	}
	notice("Counter %" PRId64 ".", count);
	answer(c, "Counter %" PRId64 ".", count);
}

/* The table's records as ETS shows them, "[{count,3}]", into @data. */
int table_text(struct server *s, struct text *data)
{
	int ret;

	data->len = 0;
	data->truncated = false;
	text_add(data, "[");
	ret = etsmgr_set_foreach(s->set, text_add_record, data);
	if (ret)
		return ret;
	text_add(data, "]");
	if (data->truncated) {
		snprintf(data->buf + data->len, sizeof(data->buf) - data->len,
			 "...]");
		data->len = strlen(data->buf);
	}
	return 0;
}

static void do_check(struct server *s, struct client *c)
{
	struct text data;
	int ret;

	ret = table_text(s, &data);
	if (ret) {
		report("ERROR", "cannot read table %" PRIu64 ": %s.", s->id,
		       strerror(-ret));
		answer(c, ETSCOUNTER_ERROR_PREFIX "cannot read the table: %s",
		       strerror(-ret));
		return;
	}
	notice("Table: %" PRIu64 ", Data %s.", s->id, data.buf);
	answer(c, "Table: %" PRIu64 ", Data %s.", s->id, data.buf);
}

/*
 * stop and die are for the daemon's own uid and root (SO_PEERCRED, as
 * the peer was when it connected); anyone else who can connect (the
 * socket's group) may count and check.
 */
static bool may_stop_or_kill(struct client *c, const char *request,
			     const char *verb)
{
	uid_t self = geteuid();
	char allowed[48];

	if (c->uid == 0 || c->uid == self)
		return true;
	if (self == 0)
		snprintf(allowed, sizeof(allowed), "uid 0");
	else
		snprintf(allowed, sizeof(allowed), "uid 0 and uid %u",
			 (unsigned int)self);
	warning("refused %s from uid %d (pid %d): only %s may stop or kill the counter.",
		request, (int)c->uid, (int)c->pid, allowed);
	answer(c, ETSCOUNTER_NOT_ALLOWED "uid %d may not %s the counter (only %s may)",
	       (int)c->uid, verb, allowed);
	return false;
}

static void do_stop(struct server *s, struct client *c)
{
	if (!may_stop_or_kill(c, "stop", "stop"))
		return;
	notify_stopping("stopping: table %s (id %" PRIu64 ") deleted by a stop request",
			s->table_name, s->id);
	delete_table(s);
	answer(c, "ok");
	/*
	 * A supervisor would restart a daemon that exits now, with a new
	 * table: stay, serving nothing, until the stopping client hangs up
	 * (etscounter stop does once etssup, which it sends SIGTERM, is
	 * gone) or SIGTERM comes, whichever is first.
	 */
	s->stopped = true;
	s->stop_deadline_ms = monotonic_ms() + STOP_LINGER_MS;
	c->stopper = true;
}

static void handle_request(struct server *s, struct client *c,
			   const char *request)
{
	if (s->stopped) {
		answer(c, ETSCOUNTER_ERROR_PREFIX "stopped: the table is deleted and etscounterd exits");
	} else if (strcmp(request, "count") == 0) {
		do_count(s, c);
	} else if (strcmp(request, "check") == 0) {
		do_check(s, c);
	} else if (strcmp(request, "ping") == 0) {
		answer(c, "ok");
	} else if (strcmp(request, "die") == 0) {
		if (!may_stop_or_kill(c, "die", "kill"))
			return;
		notice("about to die.");
		answer(c, "ok");
		flush_client_wait(s, c, DIE_FLUSH_MS);
		kill(getpid(), SIGKILL);
	} else if (strcmp(request, "stop") == 0) {
		do_stop(s, c);
	} else {
		answer(c, ETSCOUNTER_ERROR_PREFIX "unknown request \"%.64s\" (count, check, die, stop or ping)",
		       request);
	}
}

/*
 * Serve each complete request line that the client sent, in order, as
 * long as its queue has room for the answer; then send the answers. The
 * rest waits, unread, until the client takes them (POLLOUT).
 */
static void serve_client(struct server *s, struct client *c)
{
	char *newline;
	size_t used;

	while (c->fd >= 0 && !c->closing && can_answer(c) &&
	       (newline = memchr(c->line, '\n', c->len))) {
		*newline = '\0';
		if (newline > c->line && newline[-1] == '\r')
			newline[-1] = '\0';
		handle_request(s, c, c->line);
		if (c->fd < 0)
			return;
		used = (size_t)(newline + 1 - c->line);
		c->len -= used;
		memmove(c->line, newline + 1, c->len);
	}
	if (c->fd >= 0 && !c->closing && can_answer(c) &&
	    c->len == sizeof(c->line) - 1) {
		answer(c, ETSCOUNTER_ERROR_PREFIX "request too long");
		c->closing = true;
	}
	if (c->fd < 0 || flush_client(s, c))
		return;
	/* Done with it: all answered and sent, and it sends no more. */
	if (c->out_len == 0 &&
	    (c->closing || (c->eof && !memchr(c->line, '\n', c->len))))
		close_client(s, c);
}

/* Read what a client sent (as far as there is room) and serve it. */
static void read_client(struct server *s, struct client *c)
{
	ssize_t n;

	n = read(c->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		close_client(s, c);
		return;
	}
	if (n == 0)
		c->eof = true;
	c->len += (size_t)n;
	serve_client(s, c);
}

/* The events to wait for on a client: requests, or room for answers. */
short client_events(const struct client *c)
{
	short events = 0;

	if (!c->eof && !c->closing && can_answer(c) &&
	    c->len < sizeof(c->line) - 1)
		events |= POLLIN;
	if (c->out_len > 0)
		events |= POLLOUT;
	return events;
}

void client_ready(struct server *s, struct client *c, short events,
			 short revents)
{
	if ((revents & POLLOUT) && flush_client(s, c))
		return;
	if (events & POLLIN) {
		if (revents & (POLLIN | POLLHUP | POLLERR)) {
			read_client(s, c);
			return;
		}
	} else if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		/* Not reading it: answers pending that nobody will take. */
		close_client(s, c);
		return;
	}
	serve_client(s, c);	/* room again: the requests that waited */
}

/* Drop a client whose queued answers did not move for too long. */
void drop_stalled(struct server *s, struct client *c, int64_t now)
{
	if (!c->stalled_ms || now - c->stalled_ms < ETSCOUNTER_STALL_MS)
		return;
	warning("dropped a client (uid %d, pid %d) that read none of its answers for %d s (%zu bytes queued).",
		(int)c->uid, (int)c->pid, ETSCOUNTER_STALL_MS / 1000,
		c->out_len);
	close_client(s, c);
}

void accept_client(struct server *s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd, i;

	fd = accept4(s->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;	/* gone already, or EAGAIN: nothing to do */
	for (i = 0; i < MAX_CLIENTS; i++) {
		c = &s->clients[i];
		if (c->fd >= 0)
			continue;
		c->fd = fd;
		c->len = 0;
		c->out_len = 0;
		c->stalled_ms = 0;
		c->eof = c->closing = c->stopper = false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
			c->uid = cred.uid;
			c->pid = cred.pid;
		} else {
			c->uid = (uid_t)-1;	/* allowed nothing */
			c->pid = 0;
		}
		return;
	}
	close(fd);	/* not reached: the listener is not polled when full */
}
