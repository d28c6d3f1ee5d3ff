// SPDX-License-Identifier: GPL-2.0
/*
 * counterd_manager: etscounterd across a manager restart (a drain): let
 * go of the session, keep serving from the mapping, adopt the table back.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "counterd.h"
#include "io.h"
#include "notify.h"

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
void manager_stopping(struct server *s)
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
void manager_back(struct server *s)
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
