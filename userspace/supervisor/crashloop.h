/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: crash loops of poisoned state. A daemon that crashes because of
 * what is in its table crashes again in every restart that reclaims the
 * table: restarting it into the same state cannot help, and throwing the
 * state away after any failure (systemd's answer) loses it when it was not
 * the cause. So a child's policy acts only on a loop: crash-loop-deaths
 * deaths in a row, each less than crash-loop-sec seconds after the run
 * took over a table its predecessor left (reclaimed, adopted, inherited
 * or was given it). Any other exit (a run that started on fresh tables,
 * lived longer, or stopped cleanly) ends the row.
 *
 * On a loop, the policy says what becomes of the tables of the run that
 * died: keep (nothing: the next run reclaims them, as without a policy),
 * quarantine (each is renamed out of the way, "NAME.quarantined.ID", kept
 * for a post-mortem with the reason; the next run starts on fresh
 * tables) or discard (each is deleted).
 */
#ifndef ETSSUP_CRASHLOOP_H
#define ETSSUP_CRASHLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum crash_loop_policy {
	CRASH_LOOP_KEEP,
	CRASH_LOOP_QUARANTINE,
	CRASH_LOOP_DISCARD,
};

/* Defaults: three deaths in a row, each within 10 s of a takeover. */
#define CRASH_LOOP_DEFAULT_DEATHS 3
#define CRASH_LOOP_DEFAULT_SEC 10

struct crash_loop_spec {
	enum crash_loop_policy policy;
	unsigned int deaths;		/* crash-loop-deaths, >= 1 */
	unsigned int window_ms;		/* crash-loop-sec */
};

struct crash_loop {
	unsigned int row;		/* counted deaths in a row */
};

/* What became of one table of a loop's last run. */
struct crash_loop_action {
	uint64_t id;
	char name[64];			/* its name when the run died */
	char new_name[64];		/* quarantine: the name it got */
	int error;			/* 0, or the -errno of the rename or
					   delete, which left it as it was */
};

/* "keep", "quarantine" or "discard". */
const char *crash_loop_policy_name(enum crash_loop_policy p);
/* 0 with *@p set, or -EINVAL for another word. */
int crash_loop_policy_parse(const char *word, enum crash_loop_policy *p);

/*
 * One exit of the child. @took_over: the run took over a predecessor's
 * table, at @took_over_ns; @clean: it exited with status 0 or was stopped
 * by etssup; @exit_ns: when it died (all CLOCK_MONOTONIC). True when this
 * death completes a loop (and the row starts again from 0).
 */
bool crash_loop_exit(struct crash_loop *cl, const struct crash_loop_spec *cs,
		     bool took_over, uint64_t took_over_ns, bool clean,
		     uint64_t exit_ns);

/*
 * The name a quarantined table gets: "@name.quarantined.@id", the name
 * cut short so that it fits in a table name (63 bytes). @out has room for
 * 64 bytes.
 */
void crash_loop_quarantine_name(char *out, const char *name, uint64_t id);

#endif
