// SPDX-License-Identifier: GPL-2.0
/*
 * counterd_listener: etscounterd's listening socket: the one passed by
 * socket activation, or one bound at --socket, and its removal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "counterd.h"

/* Connections the socket holds for us while MAX_CLIENTS are served. */
#define LISTEN_BACKLOG		128

/* The first descriptor passed by socket activation (sd_listen_fds(3)). */
#define LISTEN_FDS_START	3

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

void open_listener(struct server *s)
{
	s->listener = inherited_listener();
	s->listener_inherited = s->listener >= 0;
	if (!s->listener_inherited)
		bind_listener(s);
	else if (s->socket_gid != (gid_t)-1)
		warning("--socket-group is not applied to a socket passed by socket activation: its mode and group are its creator's.");
}

/* Remove the socket file if it is still the one we bound. */
void unlink_listener(struct server *s)
{
	struct stat st;

	if (s->listener_inherited)
		return;
	if (stat(s->socket_path, &st) == 0 && st.st_dev == s->socket_dev &&
	    st.st_ino == s->socket_ino)
		unlink(s->socket_path);
}
