/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: what a crash-loop policy does with the tables of the run that
 * died in the loop (crashloop.h), through the module's netlink family:
 * quarantine renames each out of the way with the reason, discard deletes
 * it; then one SUPERVISOR REPORT crash_loop says what became of each.
 */
#ifndef ETSSUP_QUARANTINE_H
#define ETSSUP_QUARANTINE_H

#include <sys/types.h>

#include "spec.h"
#include "tablewatch.h"

/* Apply @c's policy to the tables of its run @pid, and report it. */
void quarantine_tables(const char *sup, struct table_watch *tw,
		       const struct child_spec *c, pid_t pid);

#endif
