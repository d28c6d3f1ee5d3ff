/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: what /proc says about a process. Its start time tells a process
 * from a later one that reuses its pid (within one boot: it counts clock
 * ticks since the boot).
 */
#ifndef ETSSUP_PROC_H
#define ETSSUP_PROC_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Field 22 of /proc/PID/stat: start time in clock ticks after boot. 0 or
 * -errno (-ENOENT: no such process).
 */
int proc_starttime(pid_t pid, unsigned long long *starttime);

#endif
