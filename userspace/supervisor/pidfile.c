// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the pidfile (see pidfile.h).
 *
 * Two checks keep a second etssup of a name out. The pid in the file must
 * not be a live etssup (its /proc/PID/comm is ours), as other tools would
 * check; and the file is flock()ed for the supervisor's lifetime, which
 * also settles two etssups starting at the same moment, and is released by
 * the kernel however etssup dies, SIGKILL included.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"
#include "proc.h"

static pid_t read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

static bool is_live_etssup(pid_t pid)
{
	char mine[32], theirs[32];

	if (pid <= 0 || pid == getpid())
		return false;
	if (proc_comm(getpid(), mine, sizeof(mine)) < 0 ||
	    proc_comm(pid, theirs, sizeof(theirs)) < 0)
		return false;
	return strcmp(mine, theirs) == 0;
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
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
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

	other = read_pid(fd);
	if (is_live_etssup(other)) {
		snprintf(err, len, "another etssup of this name runs (pid %d, per %s)",
			 (int)other, path);
		close(fd);
		return -1;
	}
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
