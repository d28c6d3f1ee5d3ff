// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the reader of /proc/PID/stat (see proc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

/* Read a small /proc file into buf, NUL-terminated. */
static int read_small(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

int proc_starttime(pid_t pid, unsigned long long *starttime)
{
	/* comm is at most 16 bytes; the 50-odd numbers fit easily. */
	char buf[1024], *p, *end;
	int ret;

	ret = read_small(pid, "stat", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	/* comm (field 2) may hold blanks and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	p++;
	/* Fields 3 to 21 precede starttime. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	errno = 0;
	*starttime = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1)
		return -EINVAL;
	return 0;
}
