/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the state file, STATE_DIR/NAME.state: which children run, by id,
 * pid, start time and command hash, so that a new etssup of the same name
 * can re-adopt them after this one was killed. Text, one record a line:
 *
 *   # etssup state of supervisor NAME: running children. Do not edit.
 *   boot BOOT_ID
 *   supervisor PID STARTTIME
 *   child ID PID STARTTIME COMMAND_HASH
 *   standby ID PID STARTTIME COMMAND_HASH
 *
 * (boot id: bootid.h; command hash: commandhash.h, 16 hex digits; a
 * standby line for the idle second instance of a child with standby).
 *
 * It is replaced atomically (write a temporary file, rename), so a reader
 * sees the old or the new list, never half of one. Its reader trusts all
 * of it or none: a file that is not exactly what statefile_save() writes,
 * or that someone else could have written, is rejected whole, and its
 * pids are never used (a pid a forger chose could be anyone's).
 */
#ifndef ETSSUP_STATEFILE_H
#define ETSSUP_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bootid.h"
#include "spec.h"

/* Larger is no state file etssup wrote for any sane configuration. */
#define STATEFILE_MAX_BYTES (1 << 20)

struct state_entry {
	char id[SPEC_NAME_MAX + 1];
	pid_t pid;
	unsigned long long starttime;
	uint64_t command_hash;	/* of the spec it was started with */
	bool standby;		/* the child's standby instance */
};

struct state_file {
	char boot_id[BOOT_ID_LEN + 1];
	pid_t sup_pid;		/* the etssup that wrote it */
	unsigned long long sup_starttime;
	struct state_entry *entries;	/* malloc'ed */
	size_t n;
};

/*
 * Replace the file with these entries; boot_id NULL (unknown) writes a
 * file no etssup will trust. 0 or -errno.
 */
int statefile_save(const char *path, const char *name, const char *boot_id,
		   const struct state_entry *entries, size_t n);

/*
 * Read the file: 1 and *f filled (statefile_free() it), 0 when there is
 * none, or -1 with why it is not trusted in err ("PATH: line 4: pid '+1'
 * is not a number from 1 to 2147483647", "PATH: writable by group or
 * others (mode 0666)"). Only a regular file owned by etssup's user and
 * writable by nobody else is read.
 */
int statefile_load(const char *path, struct state_file *f, char *err,
		   size_t len);

void statefile_free(struct state_file *f);

#endif
