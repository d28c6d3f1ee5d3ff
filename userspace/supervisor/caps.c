// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the capabilities a child runs with, through libcap (see caps.h).
 *
 * Why the bounding set is emptied too: at exec, a process whose real or
 * effective uid is 0 gets permitted = inheritable | bounding set (the
 * "root is all file capabilities" rule of capabilities(7)), so clearing
 * the permitted set alone gives a root child everything back.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Dropping from the bounding set needs CAP_SETPCAP in effect. */
static int raise_setpcap(void)
{
	cap_value_t v = CAP_SETPCAP;
	cap_flag_value_t has;
	cap_t self = cap_get_proc();
	int ret = 0;

	if (!self)
		return -errno;
	if (cap_get_flag(self, CAP_SETPCAP, CAP_PERMITTED, &has) == 0 && has &&
	    (cap_set_flag(self, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 ||
	     cap_set_proc(self) < 0))
		ret = -errno;
	cap_free(self);
	return ret;
}

int caps_limit_to(const cap_value_t *keep, size_t n, const char **step)
{
	cap_t want;
	int ret;

	*step = "raise cap_setpcap";
	ret = raise_setpcap();
	if (ret < 0)
		return ret;

	/*
	 * caps_check() made sure a root etssup has CAP_SETPCAP. Without
	 * it and without uid 0, the bounding set only matters for files
	 * with capabilities of their own: best effort, as documented.
	 */
	*step = "drop from the bounding set";
	for (cap_value_t c = 0; c < cap_max_bits(); c++) {
		if (kept(keep, n, c) || cap_get_bound(c) != 1)
			continue;
		if (cap_drop_bound(c) < 0 && (exec_as_root() || errno != EPERM))
			return -errno;
	}

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
