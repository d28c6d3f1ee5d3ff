// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the state directory (see statedir.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statedir.h"

static int mkdir_one(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int statedir_create(const char *dir)
{
	char path[PATH_MAX];
	int ret;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* Each ancestor, then the directory itself. */
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ret = mkdir_one(path);
		*p = '/';
		if (ret < 0)
			return ret;
	}
	return mkdir_one(path);
}

int statedir_check(const char *dir, char *err, size_t len)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(err, len, "cannot stat %s: %s", dir, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, len, "%s is owned by uid %u, neither etssup's uid %u nor root",
			 dir, (unsigned int)st.st_uid, (unsigned int)geteuid());
		return -1;
	}
	/* Who can write a directory can rename a file of another over ours. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(err, len, "%s is writable by group or others without the sticky bit (mode %04o): they could replace its pidfile and state file",
			 dir, (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int statedir_path(char *buf, size_t len, const char *dir, const char *name,
		  const char *ext)
{
	int n = snprintf(buf, len, "%s/%s.%s", dir, name, ext);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
