/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the command hash of a child, recorded in the state file beside
 * each process, so that a restarted etssup whose configuration runs
 * something else under the same child id never re-adopts the old process.
 *
 * It covers what etssup hands the process at its start, and only that:
 * the argv, the capabilities it keeps, the socket it listens on and
 * whether it is told of an heir. Supervision settings (restart type,
 * shutdown, restart delays) are not in it: changing them changes how
 * etssup treats the process, not what runs, and a re-adopted child
 * simply gets the new ones.
 *
 * 64-bit FNV-1a: no library to link (etssup links no hash), the same
 * value on every architecture and release, and 2^-64 for two commands to
 * collide by accident. It is no defence against a forger, and needs none:
 * who can write the state file can write any hash into it, which is why
 * the file's owner and mode are checked instead (statefile.c).
 */
#ifndef ETSSUP_COMMANDHASH_H
#define ETSSUP_COMMANDHASH_H

#include <stdint.h>

#include "spec.h"

uint64_t command_hash(const struct child_spec *c);

#endif
