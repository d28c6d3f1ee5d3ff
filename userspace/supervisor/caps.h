/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the capabilities a child runs with. By default none: effective,
 * permitted, inheritable and ambient sets are emptied and the bounding set
 * too (a root child would otherwise regain the whole bounding set at exec),
 * and SECBIT_NOROOT is set and locked. A child may keep a listed few
 * (keep-caps); they are raised in its ambient set so that they survive
 * exec whatever its uid. Why no_new_privs matters here: see caps.c.
 */
#ifndef ETSSUP_CAPS_H
#define ETSSUP_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/capability.h>

#include "spec.h"

/*
 * Parse "cap_chown,net_bind_service" (names as capabilities(7) spells
 * them, any case, "cap_" optional, blanks around commas allowed) into a
 * malloc'ed array. 0, or -1 with a message.
 */
int caps_parse_list(const char *s, cap_value_t **caps, size_t *n,
		    char err[SPEC_ERR_MAX]);

/*
 * Before any child starts, in etssup: can it give a child the capabilities
 * @keep and take every other one away? 0, or -1 with a message naming the
 * capability etssup itself lacks.
 */
int caps_check(const cap_value_t *keep, size_t n, char err[SPEC_ERR_MAX]);

/*
 * In the child, between fork and exec, first, while its ids are etssup's:
 * empty the bounding set but @keep and lock SECBIT_NOROOT, and if
 * @keep_across_setuid, keep the permitted set across the setresuid() to
 * come. A non-root etssup without cap_setpcap can do neither: accepted if
 * the child is to get @no_new_privs, else -EPERM. Returns 0, or -errno
 * with *step naming what failed.
 */
int caps_confine(const cap_value_t *keep, size_t n, bool no_new_privs,
		 bool keep_across_setuid, const char **step);

/*
 * Then, its ids changed: leave it only @keep. Returns 0, or -errno with
 * *step naming what failed.
 */
int caps_limit_to(const cap_value_t *keep, size_t n, const char **step);

#endif
