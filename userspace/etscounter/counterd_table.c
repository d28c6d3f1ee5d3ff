// SPDX-License-Identifier: GPL-2.0
/*
 * counterd_table: etscounterd's table: the session, creating, reclaiming
 * or being given the table, the standby's wait, the record set and the
 * count, and at the end deleting or keeping it.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "counterd.h"
#include "monotonic.h"
#include "notify.h"

/* Geometry of the record set: a few small records, counters among them. */
#define SET_CAPACITY		16
#define SET_KEY_MAX		64
#define SET_VALUE_MAX		64

/* How long a restarted daemon waits for etssup to give its table back. */
#define GIVE_WAIT_MS		10000

/* At SIGTERM while the manager is away, how long to wait for it. */
#define TERM_MANAGER_WAIT_MS	3000

/*
 * The service manager's STATUS= line while the daemon serves; with @ready,
 * READY=1 too: the table is attached and the socket listens, so a client
 * that connects now is served.
 */
void notify_serving(const struct server *s, bool ready)
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
void table_identity(const struct server *s, char *buf, size_t len)
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
int count_one(struct server *s, int64_t *count)
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
void name_supervisor_heir(struct server *s)
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
void wait_as_standby(struct server *s)
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
void attach_table(struct server *s)
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
void delete_table(struct server *s)
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
void keep_table(struct server *s)
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
