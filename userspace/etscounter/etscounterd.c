// SPDX-License-Identifier: GPL-2.0
/*
 * etscounterd: the counter server, Erlang's etscounter_srv as a Linux
 * daemon (see etscounterd(8)).
 *
 * It keeps {count, N} in the etsmgr table "etscounter", a record set of
 * libetsmgr, and serves count, check, die and stop over a Unix stream
 * socket (protocol in etscounter.h). Because the table outlives the
 * process, a daemon killed at any moment and restarted by its supervisor
 * reclaims the same table, same id and bytes, and counts on from where
 * the dead one stopped. Every count is in the table before it is
 * answered, so an answered count is never lost.
 *
 * Only an explicit stop request deletes the table (Erlang's clean stop).
 * SIGTERM -- a supervisor's shutdown, a one_for_all restart, an
 * escalation, systemctl stop or restart -- closes the session instead,
 * which leaves the table held, count and all, for the next daemon to
 * reclaim. After a stop the daemon waits, tableless, for its supervisor's
 * SIGTERM (or for the stopping client to hang up), so that it is not
 * restarted with a new table meanwhile.
 *
 * Answers a client does not read at once are queued (bounded,
 * ETSCOUNTER_QUEUE_MAX) and sent on POLLOUT, so pipelined requests are
 * all answered, in order.
 *
 * The socket is 0660 (--socket-group chooses its group), and stop and die
 * are for the daemon's own uid and root only (SO_PEERCRED).
 *
 * When the manager stops (etsmgrctl drain, for a module reload), the
 * daemon lets go of its session, keeps its mapping and goes on serving
 * from it; a thread waits for the manager to come back, and the table is
 * adopted again under the same id (issue 5, the seed's "table manager
 * crash").
 *
 * Under etssup(8) with heir or standby, the daemon names etssup the heir
 * of its table: at the daemon's death etssup takes the table and gives it
 * to the restarted daemon, or at once to a standby instance, which waits
 * idle (ETSSUP_STANDBY=1) for exactly that and then serves.
 *
 * Under systemd (Type=notify, or etssup's notify=true), the daemon says
 * READY=1 once the table is attached and the socket listens, keeps a
 * STATUS= line ("serving table etscounter id 5 generation 2 on PATH"),
 * says STOPPING=1 when it begins to stop, and kicks WatchdogSec='s
 * watchdog from its loop (../common/notify.h).
 *
 * Reports go to stderr in the format of Erlang's logger, each written
 * whole with one write(2), so that they interleave cleanly with the
 * supervisor's in a shared log and none sits in a buffer at a SIGKILL.
 *
 * Threads: the main thread does everything but the wait for the manager,
 * which runs in a thread of its own (wait_for_manager()) that touches
 * nothing but libetsmgr's open and a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "etscounter.h"
#include "etsmgr.h"
#include "io.h"
#include "journal.h"
#include "group.h"
#include "monotonic.h"
#include "notify.h"
#include "reporttime.h"

/* The process name of the seed, which every report starts with. */
#define SERVER_NAME		"etscounter_srv"

/* The table: small, protected (others may map it read-only to look). */
#define TABLE_SIZE		(64 * 1024)
#define TABLE_ACCESS		ETSMGR_ACCESS_PROTECTED

/* Geometry of the record set: a few small records, counters among them. */
#define SET_CAPACITY		16
#define SET_KEY_MAX		64
#define SET_VALUE_MAX		64

/* How long a restarted daemon waits for etssup to give its table back. */
#define GIVE_WAIT_MS		10000

/* Connections served at once; more wait in the listen backlog. */
#define MAX_CLIENTS		64
#define LISTEN_BACKLOG		128

/* The first descriptor passed by socket activation (sd_listen_fds(3)). */
#define LISTEN_FDS_START	3

/* How long the answer to a die may take to leave before the SIGKILL. */
#define DIE_FLUSH_MS		1000

/*
 * After a stop under a supervisor, how long the daemon, its table
 * deleted, waits for the SIGTERM of the supervisor's shutdown (or for
 * the stopping client to hang up) before it exits by itself.
 */
#define STOP_LINGER_MS		60000

/* At SIGTERM while the manager is away, how long to wait for it. */
#define TERM_MANAGER_WAIT_MS	3000

/* ------------------------------------------------------------------ */
/* Reports                                                             */
/* ------------------------------------------------------------------ */

/*
 * The table reports are about, for the journal's ETSMGR_TABLE= and
 * ETSMGR_ID= fields: its name from the command line, its id once known
 * (0 before). Written by the main thread, read by any.
 */
static const char *report_table;
static uint64_t report_table_id;

static void report_set_table(const char *name, uint64_t id)
{
	report_table = name;
	__atomic_store_n(&report_table_id, id, __ATOMIC_RELAXED);
}

/* The report as a journal entry: 0, or -errno (then it is written). */
static int report_journal(const char *kind, const char *text, size_t len)
{
	uint64_t id = __atomic_load_n(&report_table_id, __ATOMIC_RELAXED);
	int priority = JOURNAL_NOTICE;
	struct journal_entry e;
	char id_text[24];

	if (strcmp(kind, "ERROR") == 0)
		priority = JOURNAL_ERR;
	else if (strcmp(kind, "WARNING") == 0)
		priority = JOURNAL_WARNING;
	journal_entry_init(&e, "etscounterd", priority, text, len);
	journal_entry_add(&e, "ETSCOUNTER_REPORT", kind);
	if (report_table)
		journal_entry_add(&e, "ETSMGR_TABLE", report_table);
	if (id) {
		snprintf(id_text, sizeof(id_text), "%" PRIu64, id);
		journal_entry_add(&e, "ETSMGR_ID", id_text);
	}
	return journal_entry_send(&e);
}

/*
 * One report, as Erlang's logger prints it:
 *
 *   =NOTICE REPORT==== 24-Nov-2026::03:46:49.951640 ===
 *   etscounter_srv: Counter 3.
 *
 * @kind is NOTICE, WARNING or ERROR. Safe to call from any thread. Under
 * journald, one entry of priority error, warning or notice (journal.h).
 */
static void __attribute__((format(printf, 2, 3)))
report(const char *kind, const char *fmt, ...)
{
	char buf[2 * ETSCOUNTER_LINE_MAX];
	va_list ap;
	int len, n;

	len = report_header(buf, sizeof(buf), kind);
	len += snprintf(buf + len, sizeof(buf) - (size_t)len, SERVER_NAME ": ");
	va_start(ap, fmt);
	n = vsnprintf(buf + len, sizeof(buf) - (size_t)len - 1, fmt, ap);
	va_end(ap);
	len += n;
	if ((size_t)len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;	/* truncated; keep the newline */
	buf[len++] = '\n';
	if (journal_is_stderr() && !report_journal(kind, buf, (size_t)len))
		return;
	write_all(STDERR_FILENO, buf, (size_t)len);
}

#define notice(...)	report("NOTICE", __VA_ARGS__)
#define warning(...)	report("WARNING", __VA_ARGS__)

/* Report an error the daemon cannot go on after, and exit with status 1. */
#define fatal(...) do {				\
	report("ERROR", __VA_ARGS__);		\
	exit(1);				\
} while (0)

/* ------------------------------------------------------------------ */
/* The server's state                                                  */
/* ------------------------------------------------------------------ */

struct client {
	int fd;			/* -1: a free slot */
	uid_t uid;		/* the peer, as SO_PEERCRED says; -1: unknown */
	pid_t pid;
	bool eof;		/* it sends no more; close once answered */
	bool closing;		/* close once the queued answers are out */
	bool stopper;		/* it asked stop: when it goes, the daemon goes */
	size_t len;		/* bytes of requests not served yet, in @line */
	char line[ETSCOUNTER_LINE_MAX];
	size_t out_len;		/* answers queued, not sent yet, in @out */
	int64_t stalled_ms;	/* since when @out has not moved, or 0 */
	char out[ETSCOUNTER_QUEUE_MAX];
};

struct server {
	const char *socket_path;
	const char *table_name;

	/* The table: mapped for the whole life of the process. */
	int session;		/* -1 while the manager is away */
	void *base;
	size_t size;
	struct etsmgr_set *set;
	struct etsmgr_counter_ref count_ref;	/* {count, N}: one CAS a count */
	uint64_t id;
	uint64_t generation;	/* as the manager last told it */

	int listener;
	bool listener_inherited;	/* socket activation: not ours to unlink */
	gid_t socket_gid;	/* --socket-group, or (gid_t)-1 */
	dev_t socket_dev;	/* the socket file we bound, to unlink only it */
	ino_t socket_ino;

	int signals;		/* signalfd: SIGTERM, SIGINT */
	int manager_back;	/* pipe from wait_for_manager(), or -1 */

	struct notify_watchdog watchdog;	/* WatchdogSec=, kicked by the loop */

	bool stopped;		/* a stop deleted the table; exiting */
	int64_t stop_deadline_ms;	/* ... by itself at the latest then */

	struct client clients[MAX_CLIENTS];
};

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

/*
 * The service manager's STATUS= line while the daemon serves; with @ready,
 * READY=1 too: the table is attached and the socket listens, so a client
 * that connects now is served.
 */
static void notify_serving(const struct server *s, bool ready)
{
#define SERVING_FMT "serving table %s id %" PRIu64 " generation %" PRIu64 " on %s"
	const char *where = s->listener_inherited ? "the socket passed to it" :
						    s->socket_path;

	if (ready)
		notify_ready(SERVING_FMT, s->table_name, s->id, s->generation,
			     where);
	else
		notify_status(SERVING_FMT, s->table_name, s->id,
			      s->generation, where);
#undef SERVING_FMT
}

/*
 * The second line of a "got a table" report: whose table it is (names are
 * per user) and the generation, its fencing token, as the kernel says.
 */
static void table_identity(const struct server *s, char *buf, size_t len)
{
	struct etsmgr_info info;

	if (etsmgr_session_info_by_id(s->session, s->id, &info))
		snprintf(buf, len, "table %s, generation %" PRIu64,
			 s->table_name, s->generation);
	else
		snprintf(buf, len, "table %s, uid %u, generation %" PRIu64,
			 s->table_name, (unsigned int)info.uid,
			 (uint64_t)info.generation);
}

/* Errors of open(2) of the device that mean "no manager serving yet". */
static bool manager_absent(int error)
{
	return error == -ENOENT || error == -ENXIO || error == -ENODEV ||
	       error == -ESHUTDOWN;
}

/* A session, waiting for the manager when it is not there (yet). */
static int open_session(void)
{
	int session = etsmgr_session_open();

	if (manager_absent(session)) {
		notice("waiting for etsmgr to start (%s: %s).",
		       ETSMGR_DEVICE_PATH, strerror(-session));
		session = etsmgr_session_open_wait(-1);
	}
	if (session < 0)
		fatal("cannot open %s: %s.", ETSMGR_DEVICE_PATH,
		      strerror(-session));
	return session;
}

/* "killed by signal 9", as the kernel reported the previous owner's end. */
static void previous_owner_text(uint32_t exit_reason, int32_t exit_status,
				char *buf, size_t len)
{
	switch (exit_reason) {
	case ETSMGR_EXIT_SIGNALED:
		snprintf(buf, len, "killed by signal %d", exit_status);
		break;
	case ETSMGR_EXIT_EXITED:
		snprintf(buf, len, "exited with status %d", exit_status);
		break;
	case ETSMGR_EXIT_CLOSED:
		snprintf(buf, len, "closed its session");
		break;
	default:
		snprintf(buf, len, "gone");
		break;
	}
}

/*
 * Open the record set in the table, formatting it in a new table (or in
 * one whose first format was cut short by a crash: -ENODATA), and make
 * sure {count, N} exists, at 0 in a new set.
 */
/* Does the table hold nothing but zero bytes (never written)? */
static bool table_is_blank(const struct server *s)
{
	const unsigned char *p = s->base;
	size_t i;

	for (i = 0; i < s->size; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Open the table's record set. A table this daemon created is formatted;
 * one it reclaimed, was given or adopted is opened as it is, and is only
 * formatted when it was never written (its creator died before it could
 * format it): other bytes are someone's data, never wiped silently.
 */
static void open_record_set(struct server *s, bool created)
{
	static const int64_t zero;
	int ret = -ENODATA;

	if (!created)
		ret = etsmgr_set_open(s->base, s->size, 0, &s->set);
	if (ret == -ENODATA && !created && !table_is_blank(s))
		fatal("table %" PRIu64 " holds no record set: not formatting a table this daemon did not create (delete it to start afresh: etsmgrctl delete %s).",
		      s->id, s->table_name);
	if (ret == -ENODATA) {
		ret = etsmgr_set_format(s->base, s->size, SET_CAPACITY,
					SET_KEY_MAX, SET_VALUE_MAX, 0);
		if (ret)
			fatal("cannot format table %" PRIu64 ": %s.", s->id,
			      strerror(-ret));
		ret = etsmgr_set_open(s->base, s->size, 0, &s->set);
	}
	if (ret == -EPROTO)
		fatal("table %" PRIu64 " holds a record set of another layout version or ABI (libetsmgr 0.1 wrote version 1; this is version %u): not converting it; `etscounter stop` deletes the table and its count, the next start makes a new one.",
		      s->id, ETSMGR_SET_VERSION);
	if (ret)
		fatal("cannot open the records of table %" PRIu64 ": %s.",
		      s->id, strerror(-ret));

	if (!created) {
		/* Writers repair by themselves; this is to say so. */
		ret = etsmgr_set_recover(s->set);
		if (ret < 0)
			fatal("table %" PRIu64 " is damaged: %s.", s->id,
			      strerror(-ret));
		if (ret == 1)
			notice("repaired a write of table %" PRIu64
			       " that the previous owner's end cut short.",
			       s->id);
	}
	ret = etsmgr_set_update_counter(s->set, ETSCOUNTER_KEY,
					strlen(ETSCOUNTER_KEY), 0, &zero,
					NULL);
	if (!ret)
		ret = etsmgr_set_counter_ref(s->set, ETSCOUNTER_KEY,
					     strlen(ETSCOUNTER_KEY),
					     &s->count_ref);
	if (ret)
		fatal("cannot initialise {%s, N} in table %" PRIu64 ": %s.",
		      ETSCOUNTER_KEY, s->id, strerror(-ret));
}

/*
 * Count through the handle: one compare-and-swap. When {count, N} was
 * deleted or replaced behind our back (another writer of a public table,
 * a repair), count by key, creating it at 0 if it is gone, and take a
 * new handle.
 */
static int count_one(struct server *s, int64_t *count)
{
	static const int64_t zero;
	int ret;

	ret = etsmgr_counter_add(&s->count_ref, 1, count);
	/* -EINVAL: no handle since the last time a new one failed. */
	if (ret != -ESTALE && ret != -EINVAL)
		return ret;
	ret = etsmgr_set_update_counter(s->set, ETSCOUNTER_KEY,
					strlen(ETSCOUNTER_KEY), 1, &zero,
					count);
	if (!ret &&
	    etsmgr_set_counter_ref(s->set, ETSCOUNTER_KEY,
				   strlen(ETSCOUNTER_KEY), &s->count_ref))
		memset(&s->count_ref, 0, sizeof(s->count_ref));
	return ret;
}

/*
 * Under a supervisor that asked to be the heir (etssup with heir or
 * standby), name it: at our death it takes the table and hands it to our
 * successor. Said again after every change of owner, as a transfer
 * forgets the heir.
 */
static void name_supervisor_heir(struct server *s)
{
	int pidfd = etsmgr_supervisor_pidfd();
	int ret;

	if (pidfd == -ENOENT)
		return;		/* not asked to */
	if (pidfd < 0) {
		warning("cannot name etssup the heir of table %" PRIu64
			": %s; etsmgr will hold it if we die.",
			s->id, strerror(-pidfd));
		return;
	}
	ret = etsmgr_session_set_heir(s->session, s->id, pidfd, 0);
	close(pidfd);
	if (ret)
		warning("cannot name etssup the heir of table %" PRIu64
			": %s; etsmgr will hold it if we die.",
			s->id, strerror(-ret));
}

/* A table handed to our session (by etssup): map it and open it. */
static void take_table(struct server *s, const struct etsmgr_received *r,
		       const char *how)
{
	char why[64], who[128];
	void *base;
	int ret;

	if (strncmp(r->name, s->table_name, sizeof(r->name)) != 0)
		fatal("was given table %" PRIu64 " (%.63s), not %s.",
		      (uint64_t)r->id, r->name, s->table_name);
	s->id = r->id;
	report_set_table(s->table_name, s->id);
	s->generation = r->generation;
	ret = etsmgr_session_map(s->session, r->mmap_offset, r->size,
				 PROT_READ | PROT_WRITE, &base);
	if (ret)
		fatal("cannot map table %" PRIu64 ": %s.", s->id,
		      strerror(-ret));
	s->base = base;
	s->size = r->size;
	previous_owner_text(r->exit_reason, r->exit_status, why, sizeof(why));
	table_identity(s, who, sizeof(who));
	notice("got a table %" PRIu64 " from etssup, %s (previous owner %s).\n    %s",
	       s->id, how, why, who);
	open_record_set(s, false);
	name_supervisor_heir(s);
}

/*
 * The table is owned by a live process. Under etssup as heir, that is
 * etssup, which took it at our predecessor's death and gives it to us
 * once our session is open: wait for it (bounded).
 */
static bool wait_for_given_table(struct server *s)
{
	struct etsmgr_received r;
	int ret;

	if (!getenv(ETSMGR_SUPERVISOR_ENV))
		return false;
	notice("table %s is held by etssup; waiting for it to give it back.",
	       s->table_name);
	ret = etsmgr_session_wait_received(s->session, GIVE_WAIT_MS, &r);
	if (ret)
		fatal("etssup did not give table %s back: %s.", s->table_name,
		      strerror(-ret));
	take_table(s, &r, "given back");
	return true;
}

/* Take the notice of a table already handed to our session, if any. */
static bool take_given_table(struct server *s)
{
	struct etsmgr_received r;

	if (etsmgr_session_receive(s->session, &r))
		return false;
	take_table(s, &r, "given back");
	return true;
}

/*
 * A standby instance (ETSSUP_STANDBY=1): serve nothing, own nothing, and
 * wait until etssup hands us the table of the instance that just died;
 * then carry on as that instance, with no fork or exec in between. A
 * drain meanwhile: wait for the manager to come back and go on waiting.
 */
static void wait_as_standby(struct server *s)
{
	struct etsmgr_received r;
	struct pollfd pfd[2];
	int ret;

	notice("standby: waiting to take over table %s.", s->table_name);
	notify_status("standby: waiting to take over table %s", s->table_name);
	for (;;) {
		if (s->session < 0)
			s->session = open_session();
		pfd[0] = (struct pollfd){ .fd = s->signals, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->session,
					  .events = POLLIN | POLLPRI };
		if (poll(pfd, 2, notify_watchdog_timeout_ms(&s->watchdog, -1)) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s.", strerror(errno));
		}
		notify_watchdog_kick(&s->watchdog);
		if (pfd[0].revents) {
			notify_stopping("standby: stopping");
			notice("standby: terminating");
			exit(0);
		}
		ret = etsmgr_session_receive(s->session, &r);
		if (ret == 0) {
			take_table(s, &r, "taken over by the standby");
			return;
		}
		if (ret != -EAGAIN)
			fatal("cannot take a handed table: %s.", strerror(-ret));
		if (etsmgr_session_manager_stopping(s->session) == 1) {
			notice("standby: etsmgr is stopping; waiting for it to restart.");
			close(s->session);
			s->session = -1;
		} else if (pfd[1].revents & (POLLERR | POLLNVAL)) {
			fatal("the session with etsmgr failed.");
		}
	}
}

/* Create or reclaim the table, map it, and open its record set. */
static void attach_table(struct server *s)
{
	struct etsmgr_attach a;
	char why[64], who[128];
	void *base;
	int ret;

	s->session = open_session();
	ret = etsmgr_session_attach(s->session, s->table_name, TABLE_SIZE,
				    TABLE_ACCESS, ETSMGR_ATTACH_CREATE, &a);
	if (ret == -EBUSY && wait_for_given_table(s))
		return;
	/*
	 * etssup, our predecessor's heir, gave the table to our session
	 * between its open and this attach: it is ours already, and its
	 * notice says how it came.
	 */
	if (!ret && a.result == ETSMGR_RESULT_ALREADY_OWNED &&
	    take_given_table(s))
		return;
	if (ret == -EBUSY)
		fatal("table %s is owned by another live process (a second etscounterd?).",
		      s->table_name);
	if (ret)
		fatal("cannot attach table %s: %s.", s->table_name,
		      strerror(-ret));
	s->id = a.id;
	report_set_table(s->table_name, s->id);
	s->generation = a.generation;
	ret = etsmgr_session_map(s->session, a.mmap_offset, a.size,
				 PROT_READ | PROT_WRITE, &base);
	if (ret)
		fatal("cannot map table %" PRIu64 ": %s.", s->id,
		      strerror(-ret));
	s->base = base;
	s->size = a.size;

	table_identity(s, who, sizeof(who));
	if (a.result == ETSMGR_RESULT_CREATED) {
		notice("got a table %" PRIu64 " from etsmgr, created.\n    %s",
		       s->id, who);
	} else {
		previous_owner_text(a.exit_reason, a.exit_status, why,
				    sizeof(why));
		notice("got a table %" PRIu64
		       " from etsmgr, reclaimed (previous owner %s).\n    %s",
		       s->id, why, who);
	}
	open_record_set(s, a.result == ETSMGR_RESULT_CREATED);
	name_supervisor_heir(s);
}

/* ------------------------------------------------------------------ */
/* Manager restart: let go, keep serving from the mapping, adopt back  */
/* ------------------------------------------------------------------ */

/*
 * Runs in a thread of its own: wait, however long it takes, for a session
 * of a manager that serves, and pass it to the main thread through the
 * pipe @arg.
 */
static void *wait_for_manager(void *arg)
{
	int answer = (int)(intptr_t)arg;
	int session, last_error = 0;

	for (;;) {
		session = etsmgr_session_open_wait(-1);
		if (session >= 0)
			break;
		/* Not a missing manager (that waits): say it once, retry. */
		if (session != last_error)
			report("ERROR", "cannot open %s: %s; trying again every second.",
			       ETSMGR_DEVICE_PATH, strerror(-session));
		last_error = session;
		sleep(1);
	}
	write_all(answer, (const char *)&session, sizeof(session));
	close(answer);
	return NULL;
}

static void start_waiting_for_manager(struct server *s)
{
	pthread_attr_t attr;
	pthread_t thread;
	int pipefd[2], ret;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		fatal("cannot wait for etsmgr: pipe: %s.", strerror(errno));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&thread, &attr, wait_for_manager,
			     (void *)(intptr_t)pipefd[1]);
	pthread_attr_destroy(&attr);
	if (ret)
		fatal("cannot wait for etsmgr: pthread_create: %s.",
		      strerror(ret));
	s->manager_back = pipefd[0];
}

/* A drain started: let go of the session, keep the mapping and serve. */
static void manager_stopping(struct server *s)
{
	warning("etsmgr has died, with Reason stopping.");
	notice("waiting for etsmgr to restart.");
	close(s->session);
	s->session = -1;
	start_waiting_for_manager(s);
	notify_status("serving table %s id %" PRIu64 " from its mapping: etsmgr is away, waiting for it to restart",
		      s->table_name, s->id);
}

/*
 * The drain was called off before the manager let go of the table: it
 * holds it still, under our id, so reclaim it by name. Our mapping is of
 * the same memory and stays as it is.
 */
static int reclaim_after_abort(struct server *s, int session)
{
	struct etsmgr_attach a;
	char who[128];
	int ret;

	ret = etsmgr_session_attach(session, s->table_name, TABLE_SIZE,
				    TABLE_ACCESS, 0, &a);
	if (ret)
		return ret;
	if (a.id != s->id)
		fatal("table %s is now table %llu, not ours (%" PRIu64 ").",
		      s->table_name, (unsigned long long)a.id, s->id);
	s->generation = a.generation;
	s->session = session;
	table_identity(s, who, sizeof(who));
	notice("got a table %" PRIu64 " from etsmgr, reclaimed (the drain was called off).\n    %s",
	       s->id, who);
	name_supervisor_heir(s);
	notify_serving(s, false);
	return 0;
}

/* The manager serves again: register the table we map, same id. */
static void manager_back(struct server *s)
{
	struct etsmgr_adopt adopt;
	int session = -1, ret;
	char who[128];
	ssize_t n;

	do {
		n = read(s->manager_back, &session, sizeof(session));
	} while (n < 0 && errno == EINTR);
	close(s->manager_back);
	s->manager_back = -1;
	if (n != sizeof(session) || session < 0)
		fatal("lost the thread that waits for etsmgr.");

	ret = etsmgr_session_adopt(session, s->base, TABLE_ACCESS,
				   s->generation, &adopt);
	if (ret == -ESHUTDOWN) {
		/* Another drain began in between: wait for its end too. */
		close(session);
		start_waiting_for_manager(s);
		return;
	}
	if (ret == -EEXIST) {
		ret = reclaim_after_abort(s, session);
		if (ret)
			fatal("cannot adopt table %" PRIu64 " (its name or id is taken) nor reclaim it: %s.",
			      s->id, strerror(-ret));
		return;
	}
	if (ret)
		fatal("cannot adopt table %" PRIu64 ": %s.", s->id,
		      strerror(-ret));
	if (adopt.id != s->id)
		fatal("adopted table %llu, not ours (%" PRIu64 ").",
		      (unsigned long long)adopt.id, s->id);
	s->session = session;
	s->generation = adopt.generation;
	table_identity(s, who, sizeof(who));
	notice("got a table %" PRIu64 " from etsmgr, adopted.\n    %s", s->id,
	       who);
	name_supervisor_heir(s);
	notify_serving(s, false);
}

/* ------------------------------------------------------------------ */
/* The listening socket                                                */
/* ------------------------------------------------------------------ */

/*
 * Socket activation (sd_listen_fds(3)): LISTEN_PID is us and LISTEN_FDS
 * is 1, so descriptor 3 is a listening socket that a supervisor keeps
 * across our restarts. Returns it, or -1 when none was passed.
 */
static int inherited_listener(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	uint64_t nfds, for_pid;
	int listening = 0;
	socklen_t len = sizeof(listening);

	if (!fds || !pid || etsmgr_parse_u64(pid, &for_pid) ||
	    for_pid != (uint64_t)getpid())
		return -1;
	if (etsmgr_parse_u64(fds, &nfds) || nfds != 1)
		fatal("socket activation: LISTEN_FDS=%s, expected 1.", fds);
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(LISTEN_FDS_START, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		       &len) < 0 || !listening)
		fatal("socket activation: descriptor %d is not a listening socket.",
		      LISTEN_FDS_START);
	if (fcntl(LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(LISTEN_FDS_START, F_SETFL,
		  fcntl(LISTEN_FDS_START, F_GETFL) | O_NONBLOCK) < 0)
		fatal("socket activation: fcntl: %s.", strerror(errno));
	return LISTEN_FDS_START;
}

/*
 * Bind the socket under a temporary name and rename it over the path, so
 * that a client never finds the path missing: it reaches the old socket
 * (refused: the old daemon is dead) until the new one is ready.
 *
 * The socket file is born ETSCOUNTER_SOCKET_MODE (0660: connecting takes
 * write permission), by the umask around bind(2) -- fchmod(2) of an
 * AF_UNIX socket does not reach its file -- and gets its group before the
 * rename, so the path never names it with more access than it is meant
 * to have. Single-threaded here: the umask is the process's.
 */
static void bind_listener(struct server *s)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_umask;
	int fd, n, ret;

	n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s.%d",
		     s->socket_path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		fatal("socket path %s is too long.", s->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		fatal("socket: %s.", strerror(errno));
	unlink(addr.sun_path);
	old_umask = umask(0777 & ~ETSCOUNTER_SOCKET_MODE);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	n = errno;
	umask(old_umask);
	if (ret < 0)
		fatal("cannot bind %s: %s.", addr.sun_path, strerror(n));
	if (s->socket_gid != (gid_t)-1 &&
	    chown(addr.sun_path, (uid_t)-1, s->socket_gid) < 0) {
		n = errno;
		unlink(addr.sun_path);
		fatal("cannot give socket %s to group %u: %s (etscounterd must be in the group, or have CAP_CHOWN).",
		      s->socket_path, (unsigned int)s->socket_gid,
		      strerror(n));
	}
	if (chmod(addr.sun_path, ETSCOUNTER_SOCKET_MODE) < 0 ||
	    stat(addr.sun_path, &st) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
	    rename(addr.sun_path, s->socket_path) < 0) {
		n = errno;
		unlink(addr.sun_path);
		fatal("cannot listen on %s: %s.", s->socket_path, strerror(n));
	}
	s->listener = fd;
	s->socket_dev = st.st_dev;
	s->socket_ino = st.st_ino;
}

static void open_listener(struct server *s)
{
	s->listener = inherited_listener();
	s->listener_inherited = s->listener >= 0;
	if (!s->listener_inherited)
		bind_listener(s);
	else if (s->socket_gid != (gid_t)-1)
		warning("--socket-group is not applied to a socket passed by socket activation: its mode and group are its creator's.");
}

/* Remove the socket file if it is still the one we bound. */
static void unlink_listener(struct server *s)
{
	struct stat st;

	if (s->listener_inherited)
		return;
	if (stat(s->socket_path, &st) == 0 && st.st_dev == s->socket_dev &&
	    st.st_ino == s->socket_ino)
		unlink(s->socket_path);
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* Text built in a fixed buffer; what does not fit ends in "...". */
struct text {
	char buf[ETSCOUNTER_LINE_MAX - 32];
	size_t len;
	bool truncated;
};

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
static void __attribute__((noreturn)) exit_stopped(struct server *s)
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
static int table_text(struct server *s, struct text *data)
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

/* Let go of the mapping and the record set; the table is not ours now. */
static void drop_table(struct server *s)
{
	memset(&s->count_ref, 0, sizeof(s->count_ref));
	etsmgr_set_close(s->set);
	s->set = NULL;
	munmap(s->base, s->size);
	s->base = NULL;
}

/*
 * Erlang's terminate/2 after a stop: delete the table (the manager
 * forgets it) and say so. Without a manager (it is being restarted), the
 * table goes with our mapping, as nothing else holds it.
 */
static void delete_table(struct server *s)
{
	int ret;

	if (s->session >= 0) {
		ret = etsmgr_session_delete_by_id(s->session, s->id);
		if (ret)
			report("ERROR", "cannot delete table %" PRIu64 ": %s.",
			       s->id, strerror(-ret));
	}
	drop_table(s);
	notice("terminating");
}

/*
 * SIGTERM (a supervisor's shutdown or restart, systemctl stop): keep the
 * table for the next daemon. Closing the session while we live leaves it
 * held by the manager (or taken by etssup, the heir), reason "closed",
 * bytes and count intact, to be reclaimed. While the manager is away (a
 * drain), wait a little for it, as the table lives only in our mapping.
 */
static void keep_table(struct server *s)
{
	int64_t deadline = monotonic_ms() + TERM_MANAGER_WAIT_MS;
	struct text data;
	struct pollfd pfd;
	int left;

	if (table_text(s, &data))
		snprintf(data.buf, sizeof(data.buf), "unreadable");
	while (s->session < 0 && s->manager_back >= 0 &&
	       (left = (int)(deadline - monotonic_ms())) > 0) {
		pfd = (struct pollfd){ .fd = s->manager_back, .events = POLLIN };
		if (poll(&pfd, 1, left) > 0)
			manager_back(s);
	}
	if (s->session >= 0) {
		close(s->session);
		s->session = -1;
		notice("keeping table %" PRIu64 " for the next etscounterd: Data %s.",
		       s->id, data.buf);
	} else {
		warning("etsmgr is away: table %" PRIu64 " (Data %s) goes with this process.",
			s->id, data.buf);
	}
	drop_table(s);
	notice("terminating");
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
static short client_events(const struct client *c)
{
	short events = 0;

	if (!c->eof && !c->closing && can_answer(c) &&
	    c->len < sizeof(c->line) - 1)
		events |= POLLIN;
	if (c->out_len > 0)
		events |= POLLOUT;
	return events;
}

static void client_ready(struct server *s, struct client *c, short events,
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
static void drop_stalled(struct server *s, struct client *c, int64_t now)
{
	if (!c->stalled_ms || now - c->stalled_ms < ETSCOUNTER_STALL_MS)
		return;
	warning("dropped a client (uid %d, pid %d) that read none of its answers for %d s (%zu bytes queued).",
		(int)c->uid, (int)c->pid, ETSCOUNTER_STALL_MS / 1000,
		c->out_len);
	close_client(s, c);
}

static void accept_client(struct server *s)
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

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

static int block_signals(void)
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

static void serve(struct server *s)
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

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

/* Started by etssup as the standby of a supervised instance? */
static bool standby_requested(void)
{
	const char *env = getenv(ETSMGR_STANDBY_ENV);

	return env && strcmp(env, "1") == 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: etscounterd [--socket PATH] [--socket-group NAME|GID] [--table NAME]\n"
		"The etscounter server: keeps {count, N} in the etsmgr table NAME\n"
		"(default " ETSCOUNTER_TABLE "), which survives the daemon's death, and\n"
		"serves count, check, die and stop on a Unix socket. Reports go to\n"
		"stderr. Usually started by `etscounter start` under etssup(8).\n"
		"\n"
		"  --socket PATH   listen on PATH (default " ETSCOUNTER_SOCKET_DEFAULT "), mode 0660;\n"
		"                  LISTEN_FDS=1 passes a listening socket instead\n"
		"  --socket-group NAME|GID\n"
		"                  the socket's group (default: the daemon's group);\n"
		"                  its members may count and check; only the daemon's\n"
		"                  uid and root may stop or die\n"
		"  --table NAME    the table's name (default " ETSCOUNTER_TABLE ")\n"
		"  -h, --help      this help\n"
		"\n"
		"Exit status: 0 after stop (the table is deleted) or SIGTERM (the\n"
		"table is kept, to be reclaimed), 1 on an error (the table is kept),\n"
		"2 on a usage error. See etscounterd(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "table", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Static: the clients' answer queues make it large. */
	static struct server s = {
		.socket_path = ETSCOUNTER_SOCKET_DEFAULT,
		.table_name = ETSCOUNTER_TABLE,
		.socket_gid = (gid_t)-1,
		.session = -1,
		.listener = -1,
		.manager_back = -1,
	};
	int opt, i;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			s.socket_path = optarg;
			break;
		case 'g':
			if (parse_group(optarg, &s.socket_gid)) {
				fprintf(stderr, "etscounterd: unknown group %s (--socket-group NAME or GID)\n",
					optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 't':
			s.table_name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "etscounterd: unexpected argument %s\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (etsmgr_name_check(s.table_name)) {
		fprintf(stderr, "etscounterd: bad table name %s (1 to 63 of A-Z a-z 0-9 . _ : -)\n",
			s.table_name);
		return 2;
	}
	report_set_table(s.table_name, 0);
	for (i = 0; i < MAX_CLIENTS; i++)
		s.clients[i].fd = -1;
	/* systemd starts the watchdog at READY=1; etssup does not watch. */
	notify_watchdog_init(&s.watchdog);

	if (standby_requested()) {
		s.signals = block_signals();
		wait_as_standby(&s);
	} else {
		/*
		 * Until the table is ours there is nothing to clean up, so
		 * a SIGTERM while we wait for the manager may end us as it
		 * does by default.
		 */
		attach_table(&s);
		s.signals = block_signals();
	}
	/* A standby binds only now: the path is its predecessor's till then. */
	open_listener(&s);
	notify_serving(&s, true);
	serve(&s);
	return 1;
}
