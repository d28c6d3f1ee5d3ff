// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the state file (see statefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "statefile.h"

int statefile_save(const char *path, const char *name,
		   const struct state_entry *entries, size_t n)
{
	char tmp[PATH_MAX];
	unsigned long long self_start = 0;
	FILE *f;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/*
	 * A fixed temporary name: the pidfile lock makes this etssup the
	 * only writer, and a leftover from a killed one is overwritten.
	 * No fsync: the file describes processes, which a power loss ends
	 * anyway; rename() alone is atomic against etssup being killed.
	 */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	proc_starttime(getpid(), &self_start);
	fprintf(f, "# etssup state of supervisor %s: running children. Do not edit.\n",
		name);
	fprintf(f, "supervisor %d %llu\n", (int)getpid(), self_start);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s %d %llu\n",
			entries[i].standby ? "standby" : "child", entries[i].id,
			(int)entries[i].pid, entries[i].starttime);
	if (ferror(f))
		ret = -EIO;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
	return ret;
}

int statefile_load(const char *path, struct state_entry **entries, size_t *n)
{
	struct state_entry *all = NULL, e, *grown;
	size_t count = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int pid;

	*entries = NULL;
	*n = 0;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &cap, f) > 0) {
		char id[SPEC_NAME_MAX + 2], role[8];

		if (sscanf(line, "%7s %64s %d %llu", role, id, &pid,
			   &e.starttime) != 4 || pid <= 0 ||
		    !spec_name_valid(id))
			continue;
		if (strcmp(role, "child") == 0)
			e.standby = false;
		else if (strcmp(role, "standby") == 0)
			e.standby = true;
		else
			continue;
		strcpy(e.id, id);
		e.pid = (pid_t)pid;
		grown = realloc(all, (count + 1) * sizeof(*all));
		if (!grown) {
			free(all);
			free(line);
			fclose(f);
			return -ENOMEM;
		}
		all = grown;
		all[count++] = e;
	}
	free(line);
	fclose(f);
	*entries = all;
	*n = count;
	return 0;
}
