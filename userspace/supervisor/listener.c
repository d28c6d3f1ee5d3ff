// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the listening sockets it holds for its children (listener.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "listener.h"

#define LISTEN_BACKLOG 128

void listener_init(struct listener *l)
{
	l->fd = -1;
	l->dev = 0;
	l->ino = 0;
	l->left_with_child = false;
	l->in_store = false;
	l->activated = false;
}

static int unix_address(struct sockaddr_un *addr, const char *path)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path))
		return -1;
	strcpy(addr->sun_path, path);
	return 0;
}

/* Remember which file is ours to unlink at the end. */
static void note_file(struct listener *l, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
}

int listener_bind(struct listener *l, const char *path, char *why,
		  size_t len)
{
	struct sockaddr_un addr;
	char tmp[sizeof(addr.sun_path)];
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
			     (int)getpid()) >= sizeof(tmp) ||
	    unix_address(&addr, tmp) < 0) {
		snprintf(why, len, "socket path too long: %s", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, len, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = errno;
		snprintf(why, len, "bind %s: %s", tmp, strerror(err));
		goto fail_bind;
	}
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		err = errno;
		snprintf(why, len, "listen: %s", strerror(err));
		goto fail_listen;
	}
	if (rename(tmp, path) < 0) {
		err = errno;
		snprintf(why, len, "rename to %s: %s", path, strerror(err));
		goto fail_listen;
	}
	l->fd = fd;
	l->left_with_child = false;
	l->in_store = false;
	note_file(l, path);
	return 0;

fail_listen:
	unlink(tmp);
fail_bind:
	close(fd);
	return -1;
}

/*
 * Bound to @path, or to the temporary name listener_bind() renamed to it
 * (a socket keeps the name it was bound under).
 */
static bool bound_to(const struct sockaddr_un *addr, const char *path)
{
	size_t n = strlen(path);
	const char *p = addr->sun_path;

	if (addr->sun_family != AF_UNIX || strncmp(p, path, n) != 0)
		return false;
	if (p[n] == '\0')
		return true;
	if (strncmp(p + n, ".tmp.", 5) != 0 || !p[n + 5])
		return false;
	return strspn(p + n + 5, "0123456789") == strlen(p + n + 5);
}

bool listener_listens_on(int fd, const char *path)
{
	struct sockaddr_un addr;
	socklen_t alen = sizeof(addr);
	int listening = 0;
	socklen_t olen = sizeof(listening);

	memset(&addr, 0, sizeof(addr));
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
			  &olen) == 0 && listening &&
	       getsockname(fd, (struct sockaddr *)&addr, &alen) == 0 &&
	       alen < sizeof(addr) && bound_to(&addr, path);
}

int listener_adopt(struct listener *l, int fd, const char *path, char *why,
		   size_t len)
{
	if (!listener_listens_on(fd, path)) {
		snprintf(why, len, "not a socket listening on %s", path);
		close(fd);
		return -1;
	}
	/* Close-on-exec: children get it by dup2(). */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(why, len, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	l->left_with_child = false;
	l->in_store = false;
	note_file(l, path);
	return 0;
}

int listener_take(struct listener *l, int pidfd, const char *path,
		  char *why, size_t len)
{
	char reason[160];
	int fd;

	fd = (int)syscall(SYS_pidfd_getfd, pidfd, LISTEN_FDS_START, 0);
	if (fd < 0) {
		snprintf(why, len, "pidfd_getfd of its descriptor %d: %s",
			 LISTEN_FDS_START, strerror(errno));
		return -1;
	}
	if (listener_adopt(l, fd, path, reason, sizeof(reason)) < 0) {
		snprintf(why, len, "its descriptor %d: %s", LISTEN_FDS_START,
			 reason);
		return -1;
	}
	return 0;
}

void listener_leave(struct listener *l, const char *path)
{
	listener_init(l);
	note_file(l, path);
	l->left_with_child = true;
}

void listener_close(struct listener *l, const char *path)
{
	struct stat st;

	if (l->fd < 0 && !l->left_with_child)
		return;
	if (l->fd >= 0)
		close(l->fd);
	/* A socket unit's file is the service manager's to remove. */
	if (!l->activated && l->ino && stat(path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(path);
	listener_init(l);
}
