/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libetsmgr internals shared by its source files; not installed.
 *
 * Names here do not start with "etsmgr_": the linker version script
 * (libetsmgr.map) exports exactly the etsmgr_* symbols, so these stay
 * private to libetsmgr.so (the static archive cannot hide them).
 */
#ifndef ETSMGR_INTERNAL_H
#define ETSMGR_INTERNAL_H

#include "etsmgr.h"

/*
 * Copy @name into a zeroed ETSMGR_NAME_MAX field, NUL-terminated:
 * -ENAMETOOLONG when it does not fit, as the kernel would say. Other
 * checks are left to the kernel, which owns the rule.
 */
int name_copy(char field[ETSMGR_NAME_MAX], const char *name);

/*
 * A libnl error code (NLE_*, positive or negative) as a negative errno.
 * libnl folds the kernel's errno into its own codes (nl_syserr2nlerr());
 * this is the inverse where it is one to one, and -EPROTO for a reply
 * libnl found malformed, -EIO for codes with no errno.
 */
int nl_error_to_errno(int nl_error);

#endif /* ETSMGR_INTERNAL_H */
