/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the listening sockets it keeps in the service manager's file
 * descriptor store (sd_notify(3) FDSTORE=1), where systemd runs it with
 * NOTIFY_SOCKET and FileDescriptorStoreMax= set. systemd holds them
 * across etssup's own restart and passes them back to the next etssup in
 * LISTEN_FDS, named by LISTEN_FDNAMES: the socket returns whether or not
 * the child lets a new etssup take it (pidfd_getfd(2) needs ptrace
 * access, which Yama or a non-dumpable child may refuse).
 *
 * Each socket is stored under the name "etssup-listen-ID" (ID the
 * child's id, ':' written '%', as a name may not hold ':').
 *
 * The other sockets passed are socket activation's (a .socket unit's,
 * named by its FileDescriptorName=): each goes to the child whose listen
 * path it is bound to, in place of a socket etssup would bind, so that
 * systemd listens before etssup runs and etssup passes the socket on
 * (fdstore_take_activated).
 */
#ifndef ETSSUP_FDSTORE_H
#define ETSSUP_FDSTORE_H

#include <stdbool.h>
#include <stddef.h>

#define FDSTORE_NAME_PREFIX "etssup-listen-"

/*
 * Collect the stored sockets passed to this etssup (LISTEN_PID is ours),
 * made close-on-exec; the environment stays as it is. Once, before
 * fdstore_take().
 */
void fdstore_init(void);

/* The stored socket of child @id, once; -1 when none was passed. */
int fdstore_take(const char *id);

/*
 * A socket-activated socket listening on @path, once; -1 when none was
 * passed. *@name gets its name (LISTEN_FDNAMES), for messages.
 */
int fdstore_take_activated(const char *path, const char **name);

/*
 * Close the stored sockets no child took (of children no longer
 * configured) and drop them from the store; close, and say so, the
 * socket-activated ones no child's listen path names.
 */
void fdstore_drop_untaken(void);

/*
 * Keep @fd as child @id's socket in the store, in place of any earlier
 * one. 1 stored, 0 there is no store (no NOTIFY_SOCKET), or -1 with the
 * reason in @why.
 */
int fdstore_put(const char *id, int fd, char *why, size_t len);

/* Drop child @id's socket from the store (etssup no longer holds it). */
void fdstore_remove(const char *id);

#endif
