// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the pidfile (see pidfile.h).
 *
 * The flock() is the truth: the file is locked for the supervisor's
 * lifetime, which settles two etssups starting at the same moment, and the
 * kernel releases the lock however etssup dies, SIGKILL included. So a
 * lock taken means another etssup of this name runs; a lock free means
 * none does, and the pid in the file is stale whatever process has it now
 * (a reused pid, or another etssup: one of another name, or one that
 * merely forked). The pid is read only to say who holds the lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

static pid_t read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

/* The path still names the file fd has open (a releaser unlinks it). */
static int still_linked(int fd, const char *path)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0)
		return -errno;
	if (stat(path, &b) < 0)
		return errno == ENOENT ? 0 : -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int pidfile_acquire(const char *path, char *err, size_t len)
{
	char buf[32];
	pid_t other;
	int fd, ret;

	for (;;) {
		/* No symbolic link: one planted would have us truncate its target. */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			snprintf(err, len, "cannot open %s: %s", path,
				 strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			ret = errno;
			other = read_pid(fd);
			close(fd);
			if (ret == EWOULDBLOCK)
				snprintf(err, len,
					 "another etssup of this name runs (pid %d, locks %s)",
					 (int)other, path);
			else
				snprintf(err, len, "cannot lock %s: %s", path,
					 strerror(ret));
			return -1;
		}
		ret = still_linked(fd, path);
		if (ret > 0)
			break;
		close(fd);
		if (ret < 0) {
			snprintf(err, len, "cannot stat %s: %s", path,
				 strerror(-ret));
			return -1;
		}
	}

	/* Locked: whatever pid the file holds is stale. */
	ret = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)ret, 0) != ret) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void pidfile_release(const char *path, int fd)
{
	/* Unlink while still holding the lock: see still_linked(). */
	unlink(path);
	close(fd);
}
