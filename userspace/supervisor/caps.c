// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the capabilities a child runs with, through libcap (see caps.h).
 *
 * Why the bounding set is emptied too: at exec, a process whose real or
 * effective uid is 0 gets permitted = inheritable | bounding set (the
 * "root is all file capabilities" rule of capabilities(7)), so clearing
 * the permitted set alone gives a root child everything back. That
 * process may also be one that was not root: a set-user-ID-root program
 * makes its euid 0 at exec.
 *
 * Why SECBIT_NOROOT as well, set and locked: the same rule then never
 * applies, whatever the bounding set holds (the capabilities a child
 * keeps stay in it), and the child cannot undo it.
 *
 * Why no_new_privs makes a full bounding set harmless: with it, execve(2)
 * ignores set-user-ID and set-group-ID bits, and whatever the rules above
 * or file capabilities would grant, the kernel leaves the new permitted
 * set within the old one (cap_bprm_creds_from_file() in commoncap.c); it
 * is inherited and can never be unset. So a child that has it never gains
 * a capability at exec, nor does anything it runs. A non-root etssup
 * without cap_setpcap cannot empty the bounding set (nor set securebits);
 * with no_new_privs that is safe, without it nothing else would stand
 * between a set-user-ID-root program and every capability: such a child
 * must not start.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/securebits.h>

#include "caps.h"

static bool kept(const cap_value_t *keep, size_t n, cap_value_t c)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == c)
			return true;
	return false;
}

/* Whether exec gives this process the bounding set (see the top). */
static bool exec_as_root(void)
{
	return getuid() == 0 || geteuid() == 0;
}

/* Parse one name of a list: "CAP_CHOWN", "cap_chown" or "chown". */
static int parse_one(const char *word, size_t len, cap_value_t *out,
		     char err[SPEC_ERR_MAX])
{
	char name[64];
	size_t off = 0;

	if (len == 0) {
		snprintf(err, SPEC_ERR_MAX, "empty capability name in the list");
		return -1;
	}
	if (len + 4 >= sizeof(name))
		goto unknown;
	if (len < 4 || strncasecmp(word, "cap_", 4) != 0) {
		memcpy(name, "cap_", 4);
		off = 4;
	}
	for (size_t i = 0; i < len; i++)
		name[off + i] = (char)tolower((unsigned char)word[i]);
	name[off + len] = '\0';
	if (cap_from_name(name, out) == 0)
		return 0;
unknown:
	snprintf(err, SPEC_ERR_MAX,
		 "unknown capability '%.*s' (names as in capabilities(7), e.g. cap_net_bind_service)",
		 (int)(len > 64 ? 64 : len), word);
	return -1;
}

int caps_parse_list(const char *s, cap_value_t **caps, size_t *n,
		    char err[SPEC_ERR_MAX])
{
	size_t max = 1, count = 0;
	cap_value_t *out;

	for (const char *p = s; *p; p++)
		max += *p == ',';
	out = calloc(max, sizeof(*out));
	if (!out) {
		snprintf(err, SPEC_ERR_MAX, "%s", strerror(errno));
		return -1;
	}
	for (const char *p = s;;) {
		const char *end = p + strcspn(p, ",");
		const char *a = p, *b = end;
		cap_value_t c;

		while (a < b && isblank((unsigned char)*a))
			a++;
		while (b > a && isblank((unsigned char)b[-1]))
			b--;
		if (parse_one(a, (size_t)(b - a), &c, err) < 0) {
			free(out);
			return -1;
		}
		if (!kept(out, count, c))
			out[count++] = c;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*caps = out;
	*n = count;
	return 0;
}

/* "cap_chown" for messages; never NULL. */
static void cap_text(cap_value_t c, char *buf, size_t len)
{
	char *name = cap_to_name(c);

	snprintf(buf, len, "%s", name ? name : "?");
	cap_free(name);
}

int caps_check(const cap_value_t *keep, size_t n, char err[SPEC_ERR_MAX])
{
	cap_flag_value_t permitted, setpcap;
	char name[64];
	cap_t self;
	int ret = 0;

	self = cap_get_proc();
	if (!self) {
		snprintf(err, SPEC_ERR_MAX, "cannot read etssup's capabilities: %s",
			 strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n && ret == 0; i++) {
		cap_text(keep[i], name, sizeof(name));
		if (!CAP_IS_SUPPORTED(keep[i])) {
			snprintf(err, SPEC_ERR_MAX,
				 "cannot keep %s: the running kernel does not know it",
				 name);
			ret = -1;
		} else if (cap_get_flag(self, keep[i], CAP_PERMITTED,
					&permitted) < 0 || !permitted) {
			snprintf(err, SPEC_ERR_MAX,
				 "cannot keep %s: etssup itself does not have it (not in its permitted set)",
				 name);
			ret = -1;
		} else if (cap_get_bound(keep[i]) != 1) {
			snprintf(err, SPEC_ERR_MAX,
				 "cannot keep %s: etssup itself does not have it (not in its bounding set)",
				 name);
			ret = -1;
		}
	}
	if (ret == 0 && exec_as_root() &&
	    (cap_get_flag(self, CAP_SETPCAP, CAP_PERMITTED, &setpcap) < 0 ||
	     !setpcap)) {
		for (cap_value_t c = 0; c < cap_max_bits(); c++) {
			if (kept(keep, n, c) || cap_get_bound(c) != 1)
				continue;
			cap_text(c, name, sizeof(name));
			snprintf(err, SPEC_ERR_MAX,
				 "etssup runs as root without cap_setpcap, so it cannot drop %s from its children's bounding set, and a root child regains the bounding set at exec",
				 name);
			ret = -1;
			break;
		}
	}
	cap_free(self);
	return ret;
}

/*
 * The bounding set and securebits need CAP_SETPCAP in effect, the ids
 * CAP_SETUID and CAP_SETGID: raise those etssup has (permitted).
 */
static int raise_needed(void)
{
	static const cap_value_t needed[] = { CAP_SETPCAP, CAP_SETUID,
					      CAP_SETGID };
	cap_flag_value_t has;
	cap_t self = cap_get_proc();
	int ret = 0;

	if (!self)
		return -errno;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (cap_get_flag(self, needed[i], CAP_PERMITTED, &has) == 0 &&
		    has &&
		    cap_set_flag(self, CAP_EFFECTIVE, 1, &needed[i], CAP_SET) < 0)
			ret = -errno;
	}
	if (ret == 0 && cap_set_proc(self) < 0)
		ret = -errno;
	cap_free(self);
	return ret;
}

/*
 * Set and lock SECBIT_NOROOT (see the top). SECBIT_NO_SETUID_FIXUP is
 * locked as it is (normally clear), so that even a child that keeps
 * cap_setpcap cannot set it: a daemon that gives up root itself relies on
 * setuid() taking its capabilities away. The bits etssup was given stay.
 */
static int lock_noroot(void)
{
	int cur = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), want;

	if (cur < 0)
		return -errno;
	want = cur | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
	       SECBIT_NO_SETUID_FIXUP_LOCKED;
	if (want != cur && prctl(PR_SET_SECUREBITS, want, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int caps_confine(const cap_value_t *keep, size_t n, bool no_new_privs,
		 bool keep_across_setuid, const char **step)
{
	bool bounded = true;
	int ret;

	*step = "raise cap_setpcap, cap_setuid, cap_setgid";
	ret = raise_needed();
	if (ret < 0)
		return ret;

	/*
	 * caps_check() made sure a root etssup has CAP_SETPCAP. A non-root
	 * one without it cannot empty the bounding set, nor set securebits:
	 * safe with no_new_privs only (see the top).
	 */
	*step = "drop from the bounding set";
	for (cap_value_t c = 0; c < cap_max_bits() && bounded; c++) {
		if (kept(keep, n, c) || cap_get_bound(c) != 1)
			continue;
		if (cap_drop_bound(c) == 0)
			continue;
		if (exec_as_root() || errno != EPERM)
			return -errno;
		bounded = false;
	}
	if (!bounded && !no_new_privs) {
		*step = "no-new-privs is off, and etssup, without cap_setpcap, cannot empty the bounding set: a set-user-ID-root program would give the child every capability";
		return -EPERM;
	}
	if (bounded) {
		/*
		 * Without cap_setpcap, which only a non-root etssup may lack
		 * (caps_check()), its bounding set is empty but the kept
		 * capabilities already: uid 0 at exec gets nothing more.
		 */
		*step = "lock SECBIT_NOROOT";
		ret = lock_noroot();
		if (ret < 0 && !(ret == -EPERM && !exec_as_root()))
			return ret;
	}

	/*
	 * Leaving uid 0 empties the permitted set, unless told otherwise;
	 * caps_limit_to() needs what is to be kept still there. exec
	 * clears the flag.
	 */
	*step = "keep capabilities across setresuid (PR_SET_KEEPCAPS)";
	if (keep_across_setuid && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int caps_limit_to(const cap_value_t *keep, size_t n, const char **step)
{
	cap_t want;
	int ret = 0;

	*step = "clear the ambient set";
	if (cap_reset_ambient() < 0)
		return -errno;

	*step = "set the effective, permitted and inheritable sets";
	want = cap_init();
	if (!want)
		return -errno;
	if (n > 0 &&
	    (cap_set_flag(want, CAP_EFFECTIVE, (int)n, keep, CAP_SET) < 0 ||
	     cap_set_flag(want, CAP_PERMITTED, (int)n, keep, CAP_SET) < 0 ||
	     cap_set_flag(want, CAP_INHERITABLE, (int)n, keep, CAP_SET) < 0))
		ret = -errno;
	else if (cap_set_proc(want) < 0)
		ret = -errno;
	cap_free(want);
	if (ret < 0)
		return ret;

	/* Ambient capabilities are what survives exec for any uid. */
	*step = "raise the ambient set";
	for (size_t i = 0; i < n; i++)
		if (cap_set_ambient(keep[i], CAP_SET) < 0)
			return -errno;
	return 0;
}
