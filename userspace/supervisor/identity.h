/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the user and group a child runs as (user=, group=).
 *
 * Names are looked up once, when the specification is read, never between
 * fork and exec (the user database may need NSS, sockets, locks): the
 * child only makes system calls. A changed /etc/passwd is therefore seen
 * by the next etssup, not by the next restart.
 *
 * user= is a name or a uid; it sets the uid, the primary gid (the user's,
 * unless group= is given too) and the supplementary groups of that user
 * (as initgroups(3) does, with group= as the primary group if given). A
 * uid that has no entry in the user database needs group=, and gets no
 * supplementary groups. group= alone sets the gid and drops etssup's
 * supplementary groups. Neither: the child keeps etssup's ids.
 */
#ifndef ETSSUP_IDENTITY_H
#define ETSSUP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Room for a message (the same size as spec.h's SPEC_ERR_MAX). */
#define IDENTITY_ERR_MAX 512

struct identity {
	/* As given (identity_set_user/_group): */
	bool has_user;
	uid_t uid;
	char *user_name;	/* its entry's name, or NULL: a bare uid */
	gid_t user_gid;		/* its entry's primary group */
	bool user_numeric;	/* given as a number, for messages */
	bool has_group;
	gid_t gid;
	char *group_name;	/* given as a name, or NULL */

	/* What the child must change (identity_prepare): */
	bool change_uid, change_gid, change_groups;
	gid_t target_gid;
	gid_t *groups;		/* the supplementary groups to set */
	size_t ngroups;
};

/* "nobody" or "65534": look it up now. 0, or -1 with a message. */
int identity_set_user(struct identity *id, const char *value,
		      char err[IDENTITY_ERR_MAX]);
int identity_set_group(struct identity *id, const char *value,
		       char err[IDENTITY_ERR_MAX]);

/* The settings make sense by themselves: 0, or -1 with a message. */
int identity_check(const struct identity *id, char err[IDENTITY_ERR_MAX]);

/*
 * In etssup, before any child starts: work out the supplementary groups
 * and what differs from etssup's own ids, and refuse what etssup cannot do
 * (another uid without cap_setuid, another gid or other groups without
 * cap_setgid): 0, or -1 with a message.
 */
int identity_prepare(struct identity *id, char err[IDENTITY_ERR_MAX]);

/*
 * In the child, between fork and exec, with its capabilities still there:
 * groups, then gid, then uid (each change needs the ids before it still
 * privileged). 0, or -errno with *step naming what failed.
 */
int identity_apply(const struct identity *id, const char **step);

/* Whether it changes any id (the uid change needs SECBIT_KEEP_CAPS). */
bool identity_changes_uid(const struct identity *id);

void identity_free(struct identity *id);

#endif
