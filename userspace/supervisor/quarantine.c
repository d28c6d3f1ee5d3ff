// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: a crash-loop policy applied to a dead run's tables (see
 * quarantine.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quarantine.h"
#include "report.h"

void quarantine_tables(const char *sup, struct table_watch *tw,
		       const struct child_spec *c, pid_t pid)
{
	const struct crash_loop_spec *cl = &c->crash_loop;
	struct crash_loop_action *actions = NULL;
	struct watched_table *tables;
	char reason[ETSMGR_REASON_MAX], text[256], window[16];
	bool complete;
	size_t n;

	tables = calloc(TABLE_WATCH_MAX, sizeof(*tables));
	if (tables)
		actions = calloc(TABLE_WATCH_MAX, sizeof(*actions));
	if (!actions) {
		report_message("child %s: crash loop, but out of memory: its tables are kept",
			       c->id);
		free(tables);
		return;
	}
	n = table_watch_of(tw, pid, tables, TABLE_WATCH_MAX, &complete);
	if (n > TABLE_WATCH_MAX)
		n = TABLE_WATCH_MAX;
	seconds_text(cl->window_ms, window, sizeof(window));
	/* Printable ASCII, as the module requires; cut to fit. */
	snprintf(text, sizeof(text),
		 "crash loop: %u deaths < %s s after takeover, %s pid %d",
		 cl->deaths, window, c->id, (int)pid);
	snprintf(reason, sizeof(reason), "%.*s", (int)sizeof(reason) - 1,
		 text);
	for (size_t i = 0; i < n; i++) {
		struct crash_loop_action *a = &actions[i];

		a->id = tables[i].id;
		memcpy(a->name, tables[i].name, sizeof(a->name));
		if (cl->policy == CRASH_LOOP_QUARANTINE) {
			crash_loop_quarantine_name(a->new_name, a->name, a->id);
			a->error = etsmgr_nl_rename_by_id(tw->nl, a->id,
							  a->new_name, reason);
		} else {
			a->error = etsmgr_nl_delete_by_id(tw->nl, a->id);
		}
	}
	report_crash_loop(sup, c, pid, actions, n, !complete);
	free(actions);
	free(tables);
}
