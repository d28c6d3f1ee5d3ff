/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup under a service manager (systemd's Type=notify): what it tells
 * systemd about the children, and what the children tell it.
 *
 *   READY=1     once, when the children are up: each one started (or
 *               re-adopted), none waiting for a restart, and each child
 *               with notify has said READY=1 itself (its own READY goes
 *               to etssup's relay, never to systemd)
 *   STATUS=     "2 of 2 children running; etscounterd: serving table
 *               etscounter id 5 generation 2 on /run/etscounter.sock",
 *               with "restarting ID" or "starting ID" (no READY=1 from it
 *               yet) for a child that is not up, each time it changes
 *   STOPPING=1  when it begins to stop its children: a signal, or it gives
 *               up
 *   WATCHDOG=1  at half of WatchdogSec=, from the main loop (../common/
 *               notify.h), so that a hung etssup is caught
 */
#ifndef ETSSUP_SERVICE_NOTIFY_H
#define ETSSUP_SERVICE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "child.h"
#include "notify.h"
#include "notify_relay.h"

struct service_notify {
	struct notify_relay relay;	/* the children's NOTIFY_SOCKET */
	struct notify_watchdog watchdog;
	bool started;		/* every child had its first start */
	bool ready_sent;
	bool stopping;		/* STOPPING=1 sent: no STATUS after it */
	char status_sent[1024];	/* the last STATUS=, not sent again */
};

/* The watchdog, if systemd set one for etssup; the relay closed. */
void service_notify_init(struct service_notify *sv);

/* Open the relay: 0 or -errno (then the children get no NOTIFY_SOCKET). */
int service_notify_open(struct service_notify *sv);

void service_notify_close(struct service_notify *sv);

/*
 * Read what the children sent: the processes of @procs (@nprocs, standby
 * instances included). A message from any other process is ignored.
 */
void service_notify_receive(struct service_notify *sv, struct child *procs,
			    size_t nprocs);

/*
 * The children (@n, in start order, standbys left out) changed, maybe:
 * send STATUS= if its text did, and READY=1 once they are up.
 */
void service_notify_update(struct service_notify *sv,
			   const struct child *children, size_t n);

/* STOPPING=1, with @why as the status. */
void service_notify_stopping(struct service_notify *sv, const char *why);

#endif
