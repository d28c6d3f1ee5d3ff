/* SPDX-License-Identifier: GPL-2.0 */
/*
 * counterd: what the files of etscounterd share: the server's state, the
 * constants more than one of them uses, the reports, and the functions
 * one file calls in another (etscounterd.c describes the daemon).
 */
#ifndef COUNTERD_H
#define COUNTERD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "etscounter.h"
#include "etsmgr.h"
#include "notify.h"

/* The table: small, protected (others may map it read-only to look). */
#define TABLE_SIZE		(64 * 1024)
#define TABLE_ACCESS		ETSMGR_ACCESS_PROTECTED

/* Connections served at once; more wait in the listen backlog. */
#define MAX_CLIENTS		64

/*
 * After a stop under a supervisor, how long the daemon, its table
 * deleted, waits for the SIGTERM of the supervisor's shutdown (or for
 * the stopping client to hang up) before it exits by itself.
 */
#define STOP_LINGER_MS		60000

/* ------------------------------------------------------------------ */
/* Reports (counterd_report.c)                                         */
/* ------------------------------------------------------------------ */

/* Name the table the reports are about (journal fields); @id 0: unknown. */
void report_set_table(const char *name, uint64_t id);

/* One report, as Erlang's logger prints it; safe to call from any thread. */
void report(const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

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

/* Text built in a fixed buffer; what does not fit ends in "...". */
struct text {
	char buf[ETSCOUNTER_LINE_MAX - 32];
	size_t len;
	bool truncated;
};

/* ------------------------------------------------------------------ */
/* The table (counterd_table.c)                                        */
/* ------------------------------------------------------------------ */

/* The STATUS= line while serving; with @ready, READY=1 too. */
void notify_serving(const struct server *s, bool ready);

/* The second line of a "got a table" report: owner's uid and generation. */
void table_identity(const struct server *s, char *buf, size_t len);

/* Name etssup the heir of the table, when it asked to be; after each owner. */
void name_supervisor_heir(struct server *s);

/* Count one in {count, N}: 0 and the new N in @count, or -errno. */
int count_one(struct server *s, int64_t *count);

/* As a standby: wait until etssup hands the table over, then return. */
void wait_as_standby(struct server *s);

/* Create or reclaim the table (or take it from etssup) and open its set. */
void attach_table(struct server *s);

/* After a stop request: delete the table and let go of it. */
void delete_table(struct server *s);

/* At SIGTERM: close the session, leaving the table to the next daemon. */
void keep_table(struct server *s);

/* ------------------------------------------------------------------ */
/* Manager restart (counterd_manager.c)                                */
/* ------------------------------------------------------------------ */

/* A drain started: let go of the session and wait for the manager. */
void manager_stopping(struct server *s);

/* The manager is back (@s->manager_back is readable): adopt the table. */
void manager_back(struct server *s);

/* ------------------------------------------------------------------ */
/* The listening socket (counterd_listener.c)                          */
/* ------------------------------------------------------------------ */

/* Listen: on the socket passed by socket activation, or bind the path. */
void open_listener(struct server *s);

/* Remove the socket file if it is still the one we bound. */
void unlink_listener(struct server *s);

/* ------------------------------------------------------------------ */
/* Requests (counterd_protocol.c)                                      */
/* ------------------------------------------------------------------ */

/* The table's records as ETS shows them, "[{count,3}]": 0 or -errno. */
int table_text(struct server *s, struct text *data);

/* After a stop: remove the socket file, then exit 0. */
void __attribute__((noreturn)) exit_stopped(struct server *s);

/* The events to wait for on a client: requests, or room for answers. */
short client_events(const struct client *c);

/* A client polled with @events got @revents: read, serve, send or close. */
void client_ready(struct server *s, struct client *c, short events,
		  short revents);

/* Drop a client whose queued answers did not move for too long. */
void drop_stalled(struct server *s, struct client *c, int64_t now);

/* Accept a connection into a free client slot. */
void accept_client(struct server *s);

/* ------------------------------------------------------------------ */
/* The loop (counterd_loop.c)                                          */
/* ------------------------------------------------------------------ */

/* Block SIGTERM and SIGINT, ignore SIGPIPE; a signalfd for the two. */
int block_signals(void);

/* Serve the socket and the table until a stop or a signal exits. */
void serve(struct server *s);

#endif /* COUNTERD_H */
