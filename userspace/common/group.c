// SPDX-License-Identifier: GPL-2.0
/* A --socket-group by name or number: see group.h. */
#include <grp.h>
#include <stdint.h>

#include "etsmgr.h"
#include "group.h"

int parse_group(const char *text, gid_t *gid)
{
	struct group *g = getgrnam(text);
	uint64_t v;

	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	if (etsmgr_parse_u64(text, &v) || v >= (uint64_t)(gid_t)-1)
		return -1;
	*gid = (gid_t)v;
	return 0;
}
