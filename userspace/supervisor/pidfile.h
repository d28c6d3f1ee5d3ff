/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the pidfile, STATE_DIR/NAME.pid, which lets other tools signal a
 * supervisor and keeps a second etssup of the same name from starting.
 */
#ifndef ETSSUP_PIDFILE_H
#define ETSSUP_PIDFILE_H

#include <stddef.h>

/*
 * Claim the pidfile and write our pid in it. Returns a descriptor to keep
 * open (it holds the lock) for pidfile_release(), or -1 with a message:
 * another etssup of this name runs, or the file is unusable.
 */
int pidfile_acquire(const char *path, char *err, size_t len);

/* Remove the pidfile at a clean exit. */
void pidfile_release(const char *path, int fd);

#endif
