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
 *
 * Files: this one reads the command line; counterd.h is what the others
 * share: counterd_report.c (reports), counterd_table.c (the table),
 * counterd_manager.c (a manager restart), counterd_listener.c (the
 * socket), counterd_protocol.c (the clients and their requests) and
 * counterd_loop.c (the event loop).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counterd.h"
#include "group.h"
#include "notify.h"

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
