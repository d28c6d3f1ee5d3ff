// SPDX-License-Identifier: GPL-2.0
/*
 * etssup at start: re-adopt what a previous etssup of this name left
 * running, if its state file is of this boot and each process runs the
 * command the spec now gives, and start the rest in order.
 */
#include <stdio.h>
#include <string.h>

#include "fdstore.h"
#include "proc.h"
#include "report.h"
#include "statefile.h"
#include "sup.h"

static const struct state_entry *find_entry(const struct state_entry *e,
					    size_t n, const char *id,
					    bool standby)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].id, id) == 0 && e[i].standby == standby)
			return &e[i];
	return NULL;
}

/*
 * The process @e names ran another command than @c's spec now gives (the
 * configuration changed while etssup was down): it is not adopted, and if
 * it still runs, it is stopped as the child would be (its shutdown), so
 * that the new command does not run beside the old one, which nobody
 * would supervise. Only a process verified as the recorded one (pidfd,
 * then start time, in this boot) is ever signalled.
 */
static void retire(struct sup *s, struct child *c, const struct state_entry *e,
		   uint64_t now)
{
	char why[160];

	if (child_adopt(c, e->pid, e->starttime, why, sizeof(why)) < 0) {
		report_message("child %s: not re-adopted: its command changed since pid %d started (command hash %016llx, now %016llx), and %s; starting it afresh",
			       c->spec->id, (int)e->pid,
			       (unsigned long long)e->command_hash,
			       (unsigned long long)now, why);
		return;
	}
	report_message("child %s: not re-adopted: its command changed since pid %d started (command hash %016llx, now %016llx); stopping it, then starting it afresh",
		       c->spec->id, (int)e->pid,
		       (unsigned long long)e->command_hash,
		       (unsigned long long)now);
	sup_watch(s, c);
	sup_stop_child(s, c);
}

static int adopt(struct sup *s, struct child *c, const struct state_entry *e)
{
	uint64_t hash = s->command_hashes[spec_index(s, c)];
	char why[160];

	if (e->command_hash != hash) {
		retire(s, c, e, hash);
		return -1;
	}
	if (child_adopt(c, e->pid, e->starttime, why, sizeof(why)) < 0) {
		report_message("child %s: not re-adopted: %s; starting it afresh",
			       c->spec->id, why);
		return -1;
	}
	c->started_ns = 0;	/* when, is not known: long ago */
	sup_watch(s, c);
	sup_save_state(s);
	report_started(s->spec->name, c);
	return 0;
}

/* Processes the state file lists that no child of this spec will claim. */
static void warn_strays(struct sup *s, const struct state_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long long start;
		bool claimed = false;

		/* A standby's, by a child that still has one. */
		for (size_t j = 0; j < s->n; j++)
			claimed |= strcmp(s->children[j].spec->id, e[i].id) == 0 &&
				   (!e[i].standby ||
				    s->children[j].spec->standby);
		if (claimed || proc_starttime(e[i].pid, &start) < 0 ||
		    start != e[i].starttime)
			continue;
		report_message("%s lists %s %s (pid %d), which is not in this configuration: left running, unsupervised",
			       s->statefile, e[i].standby ? "the standby of child" :
			       "child", e[i].id, (int)e[i].pid);
	}
}

/*
 * What a previous etssup of this name left running, if its state file is
 * one to trust: 1 and *prev filled, or 0 and nothing to re-adopt (each
 * case but "no file" reported; the pids of an untrusted file are never
 * used, not even to say whether they run).
 */
static int load_previous(struct sup *s, struct state_file *prev)
{
	static const char consequence[] =
		"no child is re-adopted: each starts afresh, and the processes it lists are left alone";
	char err[PATH_MAX + 256];
	int ret = statefile_load(s->statefile, prev, err, sizeof(err));

	if (ret <= 0) {
		if (ret < 0)
			report_message("%s; %s", err, consequence);
		return 0;
	}
	if (!s->boot_id[0])
		report_message("%s: the boot id is unknown (cannot read %s), so is whether the file is of this boot; %s",
			       s->statefile, BOOT_ID_PATH, consequence);
	else if (strcmp(prev->boot_id, s->boot_id) != 0)
		report_message("%s: written in another boot (boot id %s, this boot %s); %s",
			       s->statefile, prev->boot_id, s->boot_id,
			       consequence);
	else
		return 1;
	statefile_free(prev);
	return 0;
}

/* Re-adopt what a previous etssup left running, start the rest in order. */
int sup_start_initial(struct sup *s)
{
	struct state_file prev;
	int ret = 0;

	load_previous(s, &prev);
	warn_strays(s, prev.entries, prev.n);
	fdstore_init();
	for (size_t i = 0; i < s->n; i++) {
		struct child *c = &s->children[i], *b = standby_of(s, c);
		const struct state_entry *e = find_entry(prev.entries, prev.n,
							 c->spec->id, false);
		char reason[SPEC_NAME_MAX + 32];
		bool adopted = e && adopt(s, c, e) == 0, b_adopted = false;

		if (b) {
			e = find_entry(prev.entries, prev.n, c->spec->id, true);
			b_adopted = e && adopt(s, b, e) == 0;
		}
		/* Before any start: the instances need the socket. */
		if (c->spec->listen)
			sup_hold_listener(s, c);
		if (b && !b_adopted)
			sup_start_standby(s, c);
		if (adopted)
			continue;
		if (sup_start_child(s, c) < 0) {
			snprintf(reason, sizeof(reason),
				 "{failed_to_start_child,%s}", c->spec->id);
			report_terminating(s->spec->name, reason);
			ret = -1;
			break;
		}
		/* Its adopted standby was stopped to bind the socket anew. */
		if (b_adopted)
			sup_start_standby(s, c);
	}
	/* Kept for children no longer configured (or not reached): dropped. */
	fdstore_drop_untaken();
	statefile_free(&prev);
	return ret;
}
