// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: when a child's deaths are a crash loop (see crashloop.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crashloop.h"

/* Table names are at most 63 bytes (ETSMGR_NAME_MAX less the NUL). */
#define TABLE_NAME_LEN 63

static const char *const policy_names[] = {
	[CRASH_LOOP_KEEP] = "keep",
	[CRASH_LOOP_QUARANTINE] = "quarantine",
	[CRASH_LOOP_DISCARD] = "discard",
};

const char *crash_loop_policy_name(enum crash_loop_policy p)
{
	return policy_names[p];
}

int crash_loop_policy_parse(const char *word, enum crash_loop_policy *p)
{
	for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]);
	     i++) {
		if (strcmp(word, policy_names[i]) == 0) {
			*p = (enum crash_loop_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool crash_loop_exit(struct crash_loop *cl, const struct crash_loop_spec *cs,
		     bool took_over, uint64_t took_over_ns, bool clean,
		     uint64_t exit_ns)
{
	bool counted = took_over && !clean && exit_ns >= took_over_ns &&
		       exit_ns - took_over_ns <
		       (uint64_t)cs->window_ms * 1000000u;

	if (!counted) {
		cl->row = 0;
		return false;
	}
	if (++cl->row < cs->deaths)
		return false;
	cl->row = 0;
	return true;
}

void crash_loop_quarantine_name(char *out, const char *name, uint64_t id)
{
	char suffix[48];
	int len = snprintf(suffix, sizeof(suffix), ".quarantined.%" PRIu64,
			   id);
	int keep = TABLE_NAME_LEN - len;

	snprintf(out, TABLE_NAME_LEN + 1, "%.*s%s", keep, name, suffix);
}
