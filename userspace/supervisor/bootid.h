/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the boot id, /proc/sys/kernel/random/boot_id, a random UUID the
 * kernel draws at each boot. Pids and start times (clock ticks since the
 * boot) mean something only within one boot: the state file records the
 * boot id, and a state file of another boot is never trusted.
 */
#ifndef ETSSUP_BOOTID_H
#define ETSSUP_BOOTID_H

#include <stdbool.h>

/* "6f1c5a3e-...": 8-4-4-4-12 lowercase hex digits. */
#define BOOT_ID_LEN 36

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

/* The running kernel's boot id. 0 or -errno (-EINVAL: not a boot id). */
int boot_id_read(char id[BOOT_ID_LEN + 1]);

/* s is a boot id as the kernel prints it, and nothing else. */
bool boot_id_valid(const char *s);

#endif
