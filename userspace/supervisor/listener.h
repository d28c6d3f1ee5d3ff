/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the listening sockets it holds for its children (the child key
 * listen). etssup binds a Unix stream socket once and passes it to every
 * instance of the child as descriptor 3 (LISTEN_FDS=1, sd_listen_fds(3)),
 * so connections made while the child restarts wait in the backlog
 * instead of being refused. A new etssup re-adopting a running child
 * takes the socket back from it with pidfd_getfd(2), so that the path
 * keeps naming the socket the child accepts on.
 *
 * pidfd_getfd(2) needs ptrace access to the child, which a non-root
 * etssup lacks under Yama's ptrace_scope=1 (it is not the child's
 * parent), as does any etssup without CAP_SYS_PTRACE facing a child
 * that is not dumpable. The socket is then left with the child: the path
 * still names it and the child still accepts on it, so it is never bound
 * over while the child lives (a new socket there would be one nobody
 * accepts on). etssup binds it anew once no instance of the child runs.
 */
#ifndef ETSSUP_LISTENER_H
#define ETSSUP_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The descriptor a socket-activated program finds its first socket at. */
#define LISTEN_FDS_START 3

struct listener {
	int fd;			/* -1: none */
	dev_t dev;		/* the socket file at the path, to unlink only it */
	ino_t ino;
	/*
	 * fd is -1 because a re-adopted instance keeps the socket at the
	 * path, which etssup could not take back (listener_leave).
	 */
	bool left_with_child;
	bool in_store;		/* fd is kept in the service manager's store */
	bool activated;		/* fd is a .socket unit's (socket activation):
				   passed again at every start, its file not
				   etssup's to remove */
};

void listener_init(struct listener *l);

/*
 * Bind and listen on @path, replacing whatever is there atomically (bind
 * under a temporary name, rename over @path), so that a client never
 * finds the path missing. 0, or -1 with the reason in @why.
 */
int listener_bind(struct listener *l, const char *path, char *why,
		  size_t len);

/*
 * Is @fd a listening Unix stream socket bound to @path (or to the
 * temporary name a bind here renamed to @path)?
 */
bool listener_listens_on(int fd, const char *path);

/*
 * Make @fd (passed back by the service manager's fd store, fdstore.h)
 * the socket, if it is a listening Unix stream socket bound to @path (or
 * to the temporary name a bind here renamed to @path); else close it.
 * 0, or -1 with the reason in @why.
 */
int listener_adopt(struct listener *l, int fd, const char *path, char *why,
		   size_t len);

/*
 * Take the listening socket at descriptor 3 of the process @pidfd, if it
 * is a listening Unix stream socket bound to @path (or to the temporary
 * name a bind here renamed to @path). 0, or -1 with the reason in @why.
 */
int listener_take(struct listener *l, int pidfd, const char *path,
		  char *why, size_t len);

/*
 * The socket could not be taken back: leave @path to the child that
 * serves it, remembering which socket file it is (listener_close).
 */
void listener_leave(struct listener *l, const char *path);

/*
 * Close it, and remove @path if it is still the socket file we made, or
 * the one left with a child (which must have exited by now).
 */
void listener_close(struct listener *l, const char *path);

#endif
