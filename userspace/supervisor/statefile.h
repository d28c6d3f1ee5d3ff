/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the state file, STATE_DIR/NAME.state: which children run, by id,
 * pid and start time, so that a new etssup of the same name can re-adopt
 * them after this one was killed. Text, one child a line:
 *
 *   # etssup state of supervisor NAME: running children. Do not edit.
 *   supervisor PID STARTTIME
 *   child ID PID STARTTIME
 *   standby ID PID STARTTIME
 *
 * (a standby line for the idle second instance of a child with standby;
 * an etssup that knows no standby skips such lines).
 *
 * It is replaced atomically (write a temporary file, rename), so a reader
 * sees the old or the new list, never half of one.
 */
#ifndef ETSSUP_STATEFILE_H
#define ETSSUP_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec.h"

struct state_entry {
	char id[SPEC_NAME_MAX + 1];
	pid_t pid;
	unsigned long long starttime;
	bool standby;		/* the child's standby instance */
};

/* Replace the file with these entries. 0 or -errno. */
int statefile_save(const char *path, const char *name,
		   const struct state_entry *entries, size_t n);

/*
 * The children the file lists (none when it does not exist), malloc'ed.
 * Lines it cannot read are skipped: the worst a bad line can do is that a
 * child is started afresh. 0 or -errno.
 */
int statefile_load(const char *path, struct state_entry **entries,
		   size_t *n);

#endif
