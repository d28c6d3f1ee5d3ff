/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the supervisor proper, which runs a checked specification until
 * it is told to stop or gives up.
 */
#ifndef ETSSUP_SUPERVISOR_H
#define ETSSUP_SUPERVISOR_H

#include "spec.h"

/*
 * Start (or re-adopt) the children and supervise them. Returns the exit
 * status: 0 after an orderly shutdown (SIGTERM, SIGINT), 1 after
 * escalation or when it could not start.
 */
int supervisor_run(const struct sup_spec *spec);

#endif
