/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the socket its children notify, in place of systemd's. A child
 * gets NOTIFY_SOCKET=@NAME (an abstract AF_UNIX datagram socket that
 * etssup bound, the sd_notify(3) protocol), never etssup's own: a child's
 * READY=1 or STOPPING=1 is about the child, which etssup restarts, not
 * about the service systemd sees, and WATCHDOG_USEC is etssup's alone.
 *
 * Every datagram carries its sender's pid as the kernel vouches for it
 * (SO_PASSCRED): the supervisor only listens to the children it runs, as
 * systemd's NotifyAccess=main would. Descriptors sent along are closed
 * unread: etssup keeps no file store for its children.
 */
#ifndef ETSSUP_NOTIFY_RELAY_H
#define ETSSUP_NOTIFY_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The protocol's limit: systemd reads at most this much of a datagram. */
#define NOTIFY_MESSAGE_MAX 4096

struct notify_relay {
	int fd;			/* -1: none, the children get no NOTIFY_SOCKET */
	char address[16];	/* "@" and the kernel's autobound name */
};

void notify_relay_init(struct notify_relay *r);

/* Bind it under a name of the kernel's choosing. 0 or -errno. */
int notify_relay_open(struct notify_relay *r);

void notify_relay_close(struct notify_relay *r);

/*
 * One message: its sender's pid and its text, NUL-terminated in buf
 * (NOTIFY_MESSAGE_MAX + 1 bytes). 0; -EAGAIN when none is left;
 * -EMSGSIZE for one that was too long or carried no sender (dropped);
 * another -errno.
 */
int notify_relay_receive(struct notify_relay *r, pid_t *pid, char *buf);

/*
 * Does message @msg hold the line KEY=VALUE (@key is "KEY=")? Then the
 * value, cut to len - 1 bytes, goes to out, and true.
 */
bool notify_message_field(const char *msg, const char *key, char *out,
			  size_t len);

#endif
