// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the user and group a child runs as (see identity.h).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "identity.h"
#include "spec.h"

/* The largest id: (uid_t)-1 means "unchanged" to setresuid(2). */
#define ID_MAX 4294967294UL

/* An id in decimal (spec.h's parse_uint): 0, or -1. */
static int parse_id(const char *s, unsigned int *out)
{
	return parse_uint(s, 0, ID_MAX, out);
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int identity_set_user(struct identity *id, const char *value,
		      char err[IDENTITY_ERR_MAX])
{
	struct passwd *pw;
	unsigned int uid = 0;
	char *name = NULL;

	errno = 0;
	if (all_digits(value)) {
		if (parse_id(value, &uid) < 0) {
			snprintf(err, IDENTITY_ERR_MAX,
				 "'%.80s' is not a user name or a uid from 0 to %lu",
				 value, ID_MAX);
			return -1;
		}
		pw = getpwuid((uid_t)uid);
	} else {
		pw = getpwnam(value);
	}
	if (!pw && (errno != 0 && errno != ENOENT && errno != ESRCH)) {
		snprintf(err, IDENTITY_ERR_MAX,
			 "cannot look up user '%.80s': %s", value,
			 strerror(errno));
		return -1;
	}
	if (!pw && !all_digits(value)) {
		snprintf(err, IDENTITY_ERR_MAX,
			 "no user '%.80s' in the user database", value);
		return -1;
	}
	if (pw) {
		name = strdup(pw->pw_name);
		if (!name) {
			snprintf(err, IDENTITY_ERR_MAX, "%s", strerror(errno));
			return -1;
		}
		uid = (unsigned int)pw->pw_uid;
		id->user_gid = pw->pw_gid;
	}
	free(id->user_name);
	id->user_name = name;
	id->uid = (uid_t)uid;
	id->user_numeric = all_digits(value);
	id->has_user = true;
	return 0;
}

int identity_set_group(struct identity *id, const char *value,
		       char err[IDENTITY_ERR_MAX])
{
	unsigned int gid;
	struct group *gr;
	char *name = NULL;

	if (all_digits(value)) {
		if (parse_id(value, &gid) < 0) {
			snprintf(err, IDENTITY_ERR_MAX,
				 "'%.80s' is not a group name or a gid from 0 to %lu",
				 value, ID_MAX);
			return -1;
		}
	} else {
		errno = 0;
		gr = getgrnam(value);
		if (!gr) {
			if (errno != 0 && errno != ENOENT && errno != ESRCH)
				snprintf(err, IDENTITY_ERR_MAX,
					 "cannot look up group '%.80s': %s",
					 value, strerror(errno));
			else
				snprintf(err, IDENTITY_ERR_MAX,
					 "no group '%.80s' in the group database",
					 value);
			return -1;
		}
		gid = (unsigned int)gr->gr_gid;
		name = strdup(gr->gr_name);
		if (!name) {
			snprintf(err, IDENTITY_ERR_MAX, "%s", strerror(errno));
			return -1;
		}
	}
	free(id->group_name);
	id->group_name = name;
	id->gid = (gid_t)gid;
	id->has_group = true;
	return 0;
}

int identity_check(const struct identity *id, char err[IDENTITY_ERR_MAX])
{
	if (id->has_user && !id->user_name && !id->has_group) {
		snprintf(err, IDENTITY_ERR_MAX,
			 "uid %u has no entry in the user database, so no primary group: give group= too",
			 (unsigned int)id->uid);
		return -1;
	}
	return 0;
}

/* "user nobody (uid 65534)", or "uid 4242" for a number given as one. */
static void user_text(const struct identity *id, char *buf, size_t len)
{
	if (id->user_name && !id->user_numeric)
		snprintf(buf, len, "user %s (uid %u)", id->user_name,
			 (unsigned int)id->uid);
	else
		snprintf(buf, len, "uid %u", (unsigned int)id->uid);
}

static void group_text(const struct identity *id, char *buf, size_t len)
{
	if (id->has_group && id->group_name)
		snprintf(buf, len, "group %s (gid %u)", id->group_name,
			 (unsigned int)id->target_gid);
	else
		snprintf(buf, len, "gid %u", (unsigned int)id->target_gid);
}

/* Capability c is in etssup's permitted set: the child can raise it. */
static bool permitted(cap_value_t c)
{
	cap_flag_value_t has = CAP_CLEAR;
	cap_t self = cap_get_proc();

	if (self) {
		if (cap_get_flag(self, c, CAP_PERMITTED, &has) < 0)
			has = CAP_CLEAR;
		cap_free(self);
	}
	return has == CAP_SET;
}

static bool contains(const gid_t *list, size_t n, gid_t g)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

/* The same groups as a set (order and repeats do not matter). */
static bool same_groups(const gid_t *a, size_t na, const gid_t *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		if (!contains(b, nb, a[i]))
			return false;
	for (size_t i = 0; i < nb; i++)
		if (!contains(a, na, b[i]))
			return false;
	return true;
}

/* The groups the child gets: the user's, with the target gid; or none. */
static int wanted_groups(struct identity *id, char err[IDENTITY_ERR_MAX])
{
	int n = 0;
	gid_t *list;

	id->ngroups = 0;
	if (!id->user_name)
		return 0;
	/* The first call says how many there are (and returns -1). */
	getgrouplist(id->user_name, id->target_gid, NULL, &n);
	for (;;) {
		int have = n > 0 ? n : 1;

		list = calloc((size_t)have, sizeof(*list));
		if (!list) {
			snprintf(err, IDENTITY_ERR_MAX, "%s", strerror(errno));
			return -1;
		}
		n = have;
		if (getgrouplist(id->user_name, id->target_gid, list, &n) >= 0)
			break;
		free(list);
		if (n <= have) {
			snprintf(err, IDENTITY_ERR_MAX,
				 "cannot read the groups of user %s",
				 id->user_name);
			return -1;
		}
	}
	free(id->groups);
	id->groups = list;
	id->ngroups = (size_t)n;
	return 0;
}

/* etssup's own supplementary groups; NULL and 0 when it has none. */
static int own_groups(gid_t **out, size_t *count, char err[IDENTITY_ERR_MAX])
{
	int n = getgroups(0, NULL);
	gid_t *list;

	*out = NULL;
	*count = 0;
	if (n == 0)
		return 0;
	list = n > 0 ? calloc((size_t)n, sizeof(*list)) : NULL;
	if (list)
		n = getgroups(n, list);
	if (!list || n < 0) {
		snprintf(err, IDENTITY_ERR_MAX, "getgroups: %s",
			 strerror(errno));
		free(list);
		return -1;
	}
	*out = list;
	*count = (size_t)n;
	return 0;
}

int identity_prepare(struct identity *id, char err[IDENTITY_ERR_MAX])
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, *own;
	size_t nown;
	char what[160];

	id->change_uid = id->change_gid = id->change_groups = false;
	if (!id->has_user && !id->has_group)
		return 0;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		snprintf(err, IDENTITY_ERR_MAX, "getresuid: %s",
			 strerror(errno));
		return -1;
	}
	id->target_gid = id->has_group ? id->gid :
			 id->user_name ? id->user_gid : eg;
	if (wanted_groups(id, err) < 0 || own_groups(&own, &nown, err) < 0)
		return -1;
	id->change_groups = !same_groups(id->groups, id->ngroups, own, nown);
	free(own);
	id->change_gid = !(rg == id->target_gid && eg == id->target_gid &&
			   sg == id->target_gid);
	id->change_uid = id->has_user &&
			 !(ru == id->uid && eu == id->uid && su == id->uid);

	if (id->change_uid && !permitted(CAP_SETUID)) {
		user_text(id, what, sizeof(what));
		snprintf(err, IDENTITY_ERR_MAX,
			 "etssup runs as uid %u without cap_setuid, so it cannot run its child as %s",
			 (unsigned int)eu, what);
		return -1;
	}
	if (id->change_gid && !permitted(CAP_SETGID)) {
		group_text(id, what, sizeof(what));
		snprintf(err, IDENTITY_ERR_MAX,
			 "etssup runs as gid %u without cap_setgid, so it cannot run its child as %s",
			 (unsigned int)eg, what);
		return -1;
	}
	if (id->change_groups && !permitted(CAP_SETGID)) {
		if (id->user_name)
			snprintf(what, sizeof(what), "those of user %s",
				 id->user_name);
		else
			snprintf(what, sizeof(what), "none");
		snprintf(err, IDENTITY_ERR_MAX,
			 "etssup runs without cap_setgid, so it cannot change its child's supplementary groups from its own to %s",
			 what);
		return -1;
	}
	return 0;
}

bool identity_changes_uid(const struct identity *id)
{
	return id->change_uid;
}

int identity_apply(const struct identity *id, const char **step)
{
	/* setgroups and setresgid need CAP_SETGID, which setresuid drops. */
	*step = "setgroups";
	if (id->change_groups &&
	    setgroups(id->ngroups, id->ngroups ? id->groups : NULL) < 0)
		return -errno;
	*step = "setresgid";
	if (id->change_gid &&
	    setresgid(id->target_gid, id->target_gid, id->target_gid) < 0)
		return -errno;
	*step = "setresuid";
	if (id->change_uid && setresuid(id->uid, id->uid, id->uid) < 0)
		return -errno;
	return 0;
}

void identity_free(struct identity *id)
{
	free(id->user_name);
	free(id->group_name);
	free(id->groups);
	memset(id, 0, sizeof(*id));
}
