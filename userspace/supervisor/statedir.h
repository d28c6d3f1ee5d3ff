/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the state directory (default /run/etssup), where each supervisor
 * keeps NAME.pid (pidfile.c) and NAME.state (statefile.c).
 */
#ifndef ETSSUP_STATEDIR_H
#define ETSSUP_STATEDIR_H

#include <stddef.h>

/* mkdir -p, mode 0755 for the directories it creates. 0 or -errno. */
int statedir_create(const char *dir);

/*
 * The directory is safe to keep the pidfile and state file in: owned by
 * etssup's user or root, and nobody else can remove or rename its files
 * (not writable by group or others, unless sticky, as /tmp). 0, or -1
 * with why not in err.
 */
int statedir_check(const char *dir, char *err, size_t len);

/* "DIR/NAME.EXT" into buf. 0 or -ENAMETOOLONG. */
int statedir_path(char *buf, size_t len, const char *dir, const char *name,
		  const char *ext);

#endif
