/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the reports, in the format of OTP's error logger, and etssup's
 * own messages. Everything goes to one sink, stderr or the --log file, one
 * write(2) per report so reports never interleave and nothing sits in a
 * buffer when etssup is killed.
 *
 *   =SUPERVISOR REPORT==== 24-Nov-2026::03:46:49.951640 ===
 *       supervisor: {local,NAME}
 *       errorContext: child_terminated
 *       reason: killed
 *       offender: [{pid,1234},
 *                  {id,etscounterd},
 *                  {restart_type,permanent},
 *                  {shutdown,5000},
 *                  {child_type,worker}]
 */
#ifndef ETSSUP_REPORT_H
#define ETSSUP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "child.h"
#include "spec.h"

/* Reports go to stderr until this names a file (opened for appending). */
int report_open_log(const char *path);

/* PROGRESS REPORT "started:" or, for a re-adopted child, "re-adopted:". */
void report_started(const char *sup, const struct child *c);

/* PROGRESS REPORT "promoted:": the standby replaced the instance @dead. */
void report_promoted(const char *sup, const struct child *c, pid_t dead);

/*
 * PROGRESS REPORT of an etsmgr table etssup holds as heir: @verb
 * "inherited" (@dir "from": the dead owner) or "gave" (@dir "to"), for
 * the child @c (NULL: none of ours), with a last line @more (or NULL).
 */
void report_table(const char *sup, const char *verb, uint64_t id,
		  const char *name, const char *dir, pid_t pid,
		  const struct child_spec *c, const char *more);

/*
 * PROGRESS REPORT "delayed:": the child (its last process @c->last_pid)
 * starts again in @delay_ms, not at once: it ran @ran_ms, less than its
 * restart interval @interval_ms (backoff.h).
 */
void report_delayed(const char *sup, const struct child *c,
		    unsigned int delay_ms, unsigned int interval_ms,
		    uint64_t ran_ms);

/* SUPERVISOR REPORT child_terminated: it exited on its own. */
void report_child_terminated(const char *sup, const struct child_spec *c,
			     pid_t pid, const struct exit_info *e);

/* SUPERVISOR REPORT start_error: fork, capabilities or exec failed. */
void report_start_error(const char *sup, const struct child_spec *c,
			const char *reason);

/* PROGRESS REPORT "stopped:": it stopped when asked, reason shutdown. */
void report_stopped(const char *sup, const struct child_spec *c, pid_t pid);

/* SUPERVISOR REPORT shutdown_error: killed after its timeout, or other. */
void report_shutdown_error(const char *sup, const struct child_spec *c,
			   pid_t pid, const struct exit_info *e);

/*
 * SUPERVISOR REPORT crash_loop: the child @c's deaths were a crash loop
 * (crashloop.h), and what its policy did with each table of its last run
 * (@pid): @n actions; @incomplete when etssup may not know them all.
 */
void report_crash_loop(const char *sup, const struct child_spec *c,
		       pid_t pid, const struct crash_loop_action *actions,
		       size_t n, bool incomplete);

/* SUPERVISOR REPORT shutdown, reached_max_restart_intensity. */
void report_escalation(const char *sup, const struct child_spec *c,
		       pid_t pid);

/* INFO REPORT "terminating:": the supervisor stops all its children. */
void report_terminating(const char *sup, const char *reason);

/* "etssup: ..." on the sink, and on stderr too when the sink is a log. */
void report_message(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* "killed", "signal SIGSEGV (core dumped)", "exit status 3", "normal"... */
void exit_reason_text(const struct exit_info *e, char *buf, size_t len);

/* "SIGTERM", or "signal 40" for one without a name. */
void signal_name(int sig, char *buf, size_t len);

#endif
