// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the socket its children notify, in place of systemd's (see
 * notify_relay.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify_relay.h"

/* Room for the sender's credentials and a few descriptors to close. */
#define CONTROL_FDS_MAX 16

void notify_relay_init(struct notify_relay *r)
{
	r->fd = -1;
	r->address[0] = '\0';
}

int notify_relay_open(struct notify_relay *r)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	int one = 1, err;
	size_t n;

	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->fd < 0)
		return -errno;
	/*
	 * An address of the family alone: the kernel binds a fresh abstract
	 * name ("\0" and five hex digits), so no two etssup collide and no
	 * file is left behind. Credentials are asked before any datagram
	 * can come in.
	 */
	if (setsockopt(r->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(r->fd, (struct sockaddr *)&addr, len) < 0)
		goto fail;
	len = sizeof(addr);
	if (getsockname(r->fd, (struct sockaddr *)&addr, &len) < 0)
		goto fail;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n < 2 || addr.sun_path[0] != '\0' || n > sizeof(r->address) - 1 ||
	    memchr(addr.sun_path + 1, '\0', n - 1)) {
		errno = EADDRNOTAVAIL;
		goto fail;
	}
	r->address[0] = '@';
	memcpy(r->address + 1, addr.sun_path + 1, n - 1);
	r->address[n] = '\0';
	return 0;
fail:
	err = errno;
	close(r->fd);
	r->fd = -1;
	return -err;
}

void notify_relay_close(struct notify_relay *r)
{
	if (r->fd >= 0)
		close(r->fd);
	notify_relay_init(r);
}

/* Close whatever descriptors came along: nobody asked for them. */
static void close_passed_fds(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
	     c = CMSG_NXTHDR(msg, c)) {
		size_t n;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
}

int notify_relay_receive(struct notify_relay *r, pid_t *pid, char *buf)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(CONTROL_FDS_MAX * sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = NOTIFY_MESSAGE_MAX };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	const struct ucred *cred = NULL;
	ssize_t n;

	if (r->fd < 0)
		return -EAGAIN;
	do {
		n = recvmsg(r->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
					 MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	close_passed_fds(&msg);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
			cred = (const struct ucred *)CMSG_DATA(c);
	/* Cut short, or from nobody we can name: not to be trusted. */
	if ((size_t)n > NOTIFY_MESSAGE_MAX || (msg.msg_flags & MSG_CTRUNC) ||
	    !cred || cred->pid <= 0)
		return -EMSGSIZE;
	buf[n] = '\0';
	*pid = cred->pid;
	return 0;
}

bool notify_message_field(const char *msg, const char *key, char *out,
			  size_t len)
{
	size_t klen = strlen(key);
	const char *line = msg;

	while (*line) {
		const char *end = strchrnul(line, '\n');

		if ((size_t)(end - line) >= klen &&
		    memcmp(line, key, klen) == 0) {
			size_t vlen = (size_t)(end - line) - klen;

			if (vlen > len - 1)
				vlen = len - 1;
			memcpy(out, line + klen, vlen);
			out[vlen] = '\0';
			return true;
		}
		line = *end ? end + 1 : end;
	}
	return false;
}
