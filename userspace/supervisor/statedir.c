// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the state directory (see statedir.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

int statedir_path(char *buf, size_t len, const char *dir, const char *name,
		  const char *ext)
{
	int n = snprintf(buf, len, "%s/%s.%s", dir, name, ext);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
