// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: specifications, OTP's defaults, and the parser of every setting
 * (see spec.h for why the command line and the config file share them).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "spec.h"

/* OTP's supervisor defaults: intensity 1 within 5 s, 5000 ms shutdown. */
#define DEFAULT_INTENSITY 1
#define DEFAULT_PERIOD_S 5
#define DEFAULT_SHUTDOWN_MS 5000

/*
 * The restart backoff (backoff.h): 0.1 s as systemd's RestartSec=, then
 * up to 1 s in 5 steps. A child failing at once is started 7 times in its
 * first 3 s, then once a second; one killed after 1 s or more of running
 * (0.1 s or more, unless it failed quickly just before) is restarted at
 * once.
 */
#define DEFAULT_RESTART_MS 100
#define DEFAULT_RESTART_STEPS 5
#define DEFAULT_RESTART_MAX_DELAY_MS 1000

/*
 * Bounds that keep arithmetic simple: the restart history is an array of
 * intensity + 1 entries, and millisecond timeouts fit an int (epoll).
 */
#define MAX_INTENSITY 100000
#define MAX_PERIOD_S 31536000
#define MAX_SHUTDOWN_MS INT_MAX
/* An hour: the delays are ms in an int too. */
#define MAX_RESTART_S 3600
#define MAX_RESTART_STEPS 1000
#define MAX_CRASH_LOOP_DEATHS 1000

static const char *const strategy_names[] = {
	[STRATEGY_ONE_FOR_ONE] = "one_for_one",
	[STRATEGY_ONE_FOR_ALL] = "one_for_all",
};

static const char *const restart_names[] = {
	[RESTART_PERMANENT] = "permanent",
	[RESTART_TRANSIENT] = "transient",
	[RESTART_TEMPORARY] = "temporary",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Index of s in names[], or -1. */
static int lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int parse_uint(const char *s, unsigned long min, unsigned long max,
	       unsigned int *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/*
 * Seconds with up to 3 decimals ("0.1", "5", "2.25"), as milliseconds,
 * from 0 to max_s: plain decimal only, like parse_uint().
 */
static int parse_seconds_ms(const char *s, unsigned int max_s,
			    unsigned int *ms)
{
	unsigned long whole = 0, frac = 0;
	int decimals = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		whole = whole * 10 + (unsigned long)(*s - '0');
		if (whole > max_s)
			return -1;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (++decimals > 3)
				return -1;
			frac = frac * 10 + (unsigned long)(*s - '0');
		}
		if (decimals == 0)
			return -1;
	}
	if (*s != '\0')
		return -1;
	for (; decimals < 3; decimals++)
		frac *= 10;
	if (whole == max_s && frac > 0)
		return -1;
	*ms = (unsigned int)(whole * 1000 + frac);
	return 0;
}

/* "0.1", "5", "2.25": milliseconds as the seconds they were given in. */
void seconds_text(unsigned int ms, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u.%03u", ms / 1000, ms % 1000);

	while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && (size_t)n < len && buf[n - 1] == '.')
		buf[--n] = '\0';
}

bool spec_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SPEC_NAME_MAX)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789._:-") == n;
}

static int set_name(char *dst, const char *value, char err[SPEC_ERR_MAX])
{
	if (!spec_name_valid(value)) {
		snprintf(err, SPEC_ERR_MAX,
			 "'%.80s' is not 1 to %d characters of A-Z a-z 0-9 . _ : -",
			 value, SPEC_NAME_MAX);
		return -1;
	}
	strcpy(dst, value);
	return 0;
}

static int set_string(char **dst, const char *value, char err[SPEC_ERR_MAX])
{
	char *copy;

	if (*value == '\0') {
		snprintf(err, SPEC_ERR_MAX, "must not be empty");
		return -1;
	}
	copy = strdup(value);
	if (!copy) {
		snprintf(err, SPEC_ERR_MAX, "%s", strerror(errno));
		return -1;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

void argv_free(char **argv)
{
	for (char **w = argv; w && *w; w++)
		free(*w);
	free(argv);
}

void sup_spec_init(struct sup_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->strategy = STRATEGY_ONE_FOR_ONE;
	s->intensity = DEFAULT_INTENSITY;
	s->period_s = DEFAULT_PERIOD_S;
}

void sup_spec_free(struct sup_spec *s)
{
	for (size_t i = 0; i < s->nchildren; i++) {
		argv_free(s->children[i].argv);
		free(s->children[i].keep_caps);
		free(s->children[i].listen);
		identity_free(&s->children[i].identity);
	}
	free(s->children);
	free(s->state_dir);
	free(s->log_path);
	memset(s, 0, sizeof(*s));
}

struct child_spec *sup_spec_add_child(struct sup_spec *s)
{
	struct child_spec *all, *c;

	all = realloc(s->children, (s->nchildren + 1) * sizeof(*all));
	if (!all)
		return NULL;
	s->children = all;
	c = &all[s->nchildren++];
	memset(c, 0, sizeof(*c));
	c->restart = RESTART_PERMANENT;
	c->shutdown = SHUTDOWN_TIMEOUT;
	c->shutdown_ms = DEFAULT_SHUTDOWN_MS;
	c->backoff.first_ms = DEFAULT_RESTART_MS;
	c->backoff.steps = DEFAULT_RESTART_STEPS;
	c->backoff.max_ms = DEFAULT_RESTART_MAX_DELAY_MS;
	/* What it runs cannot gain privileges: see caps.h. */
	c->no_new_privs = true;
	c->crash_loop.policy = CRASH_LOOP_KEEP;
	c->crash_loop.deaths = CRASH_LOOP_DEFAULT_DEATHS;
	c->crash_loop.window_ms = CRASH_LOOP_DEFAULT_SEC * 1000;
	return c;
}

int sup_spec_set(struct sup_spec *s, const char *key, const char *value,
		 char err[SPEC_ERR_MAX])
{
	int i;

	if (strcmp(key, "name") == 0)
		return set_name(s->name, value, err);
	if (strcmp(key, "strategy") == 0) {
		i = lookup(strategy_names, ARRAY_SIZE(strategy_names), value);
		if (i < 0) {
			snprintf(err, SPEC_ERR_MAX,
				 "unknown strategy '%.80s' (expected one_for_one or one_for_all)",
				 value);
			return -1;
		}
		s->strategy = (enum strategy)i;
		return 0;
	}
	if (strcmp(key, "intensity") == 0) {
		if (parse_uint(value, 0, MAX_INTENSITY, &s->intensity) < 0) {
			snprintf(err, SPEC_ERR_MAX,
				 "'%.80s' is not a number of restarts from 0 to %d",
				 value, MAX_INTENSITY);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "period") == 0) {
		if (parse_uint(value, 1, MAX_PERIOD_S, &s->period_s) < 0) {
			snprintf(err, SPEC_ERR_MAX,
				 "'%.80s' is not a number of seconds from 1 to %d",
				 value, MAX_PERIOD_S);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "state-dir") == 0)
		return set_string(&s->state_dir, value, err);
	if (strcmp(key, "log") == 0)
		return set_string(&s->log_path, value, err);
	return SPEC_UNKNOWN_KEY;
}

static int set_shutdown(struct child_spec *c, const char *value,
			char err[SPEC_ERR_MAX])
{
	if (strcmp(value, "brutal_kill") == 0) {
		c->shutdown = SHUTDOWN_BRUTAL_KILL;
		return 0;
	}
	if (strcmp(value, "infinity") == 0) {
		c->shutdown = SHUTDOWN_INFINITY;
		return 0;
	}
	if (parse_uint(value, 0, MAX_SHUTDOWN_MS, &c->shutdown_ms) < 0) {
		snprintf(err, SPEC_ERR_MAX,
			 "'%.80s' is not brutal_kill, infinity or a number of milliseconds from 0 to %d",
			 value, MAX_SHUTDOWN_MS);
		return -1;
	}
	c->shutdown = SHUTDOWN_TIMEOUT;
	return 0;
}

/* true/yes/1 or false/no/0, as a config file or --heir=... says it. */
static int set_bool(bool *b, const char *value, char err[SPEC_ERR_MAX])
{
	static const char *const yes[] = { "true", "yes", "1" };
	static const char *const no[] = { "false", "no", "0" };

	if (lookup(yes, ARRAY_SIZE(yes), value) >= 0) {
		*b = true;
		return 0;
	}
	if (lookup(no, ARRAY_SIZE(no), value) >= 0) {
		*b = false;
		return 0;
	}
	snprintf(err, SPEC_ERR_MAX, "'%.80s' is not true or false", value);
	return -1;
}

/* An absolute path that fits in sockaddr_un, with room for ".tmp.PID". */
static int set_listen(struct child_spec *c, const char *value,
		      char err[SPEC_ERR_MAX])
{
	char *path;

	if (value[0] != '/' || strlen(value) > SPEC_LISTEN_MAX) {
		snprintf(err, SPEC_ERR_MAX,
			 "'%.80s' is not an absolute socket path of at most %d bytes",
			 value, SPEC_LISTEN_MAX);
		return -1;
	}
	path = strdup(value);
	if (!path) {
		snprintf(err, SPEC_ERR_MAX, "out of memory");
		return -1;
	}
	free(c->listen);
	c->listen = path;
	return 0;
}

/* restart-sec and restart-max-delay-sec: seconds, to 3 decimals. */
static int set_seconds(unsigned int *ms, const char *value,
		       char err[SPEC_ERR_MAX])
{
	if (parse_seconds_ms(value, MAX_RESTART_S, ms) < 0) {
		snprintf(err, SPEC_ERR_MAX,
			 "'%.80s' is not a number of seconds from 0 to %d, with at most 3 decimals (e.g. 0.1)",
			 value, MAX_RESTART_S);
		return -1;
	}
	return 0;
}

/*
 * The restart backoff. Until restart-max-delay-sec is given, it follows a
 * restart-sec above its default, so that restart-sec alone is enough to
 * ask for a longer delay; given, it must not be below (sup_spec_check).
 */
static int set_backoff(struct child_spec *c, const char *key,
		       const char *value, char err[SPEC_ERR_MAX])
{
	struct backoff *b = &c->backoff;

	if (strcmp(key, "restart-sec") == 0) {
		if (set_seconds(&b->first_ms, value, err) < 0)
			return -1;
		if (!c->max_delay_set)
			b->max_ms = b->first_ms > DEFAULT_RESTART_MAX_DELAY_MS ?
				    b->first_ms : DEFAULT_RESTART_MAX_DELAY_MS;
		return 0;
	}
	if (strcmp(key, "restart-max-delay-sec") == 0) {
		if (set_seconds(&b->max_ms, value, err) < 0)
			return -1;
		c->max_delay_set = true;
		return 0;
	}
	if (strcmp(key, "restart-steps") == 0) {
		if (parse_uint(value, 0, MAX_RESTART_STEPS, &b->steps) < 0) {
			snprintf(err, SPEC_ERR_MAX,
				 "'%.80s' is not a number of steps from 0 to %d",
				 value, MAX_RESTART_STEPS);
			return -1;
		}
		return 0;
	}
	return SPEC_UNKNOWN_KEY;
}

/* on-crash-loop, crash-loop-deaths, crash-loop-sec (crashloop.h). */
static int set_crash_loop(struct child_spec *c, const char *key,
			  const char *value, char err[SPEC_ERR_MAX])
{
	struct crash_loop_spec *cl = &c->crash_loop;

	if (strcmp(key, "on-crash-loop") == 0) {
		if (crash_loop_policy_parse(value, &cl->policy) < 0) {
			snprintf(err, SPEC_ERR_MAX,
				 "unknown crash-loop policy '%.80s' (expected keep, quarantine or discard)",
				 value);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "crash-loop-deaths") == 0) {
		if (parse_uint(value, 1, MAX_CRASH_LOOP_DEATHS,
			       &cl->deaths) < 0) {
			snprintf(err, SPEC_ERR_MAX,
				 "'%.80s' is not a number of deaths from 1 to %d",
				 value, MAX_CRASH_LOOP_DEATHS);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "crash-loop-sec") == 0) {
		if (set_seconds(&cl->window_ms, value, err) < 0)
			return -1;
		if (cl->window_ms == 0) {
			snprintf(err, SPEC_ERR_MAX,
				 "crash-loop-sec must be above 0: no death comes sooner than its takeover");
			return -1;
		}
		return 0;
	}
	return SPEC_UNKNOWN_KEY;
}

int child_spec_set(struct child_spec *c, const char *key, const char *value,
		   char err[SPEC_ERR_MAX])
{
	int i;

	if (strcmp(key, "id") == 0)
		return set_name(c->id, value, err);
	if (strcmp(key, "restart") == 0) {
		i = lookup(restart_names, ARRAY_SIZE(restart_names), value);
		if (i < 0) {
			snprintf(err, SPEC_ERR_MAX,
				 "unknown restart type '%.80s' (expected permanent, transient or temporary)",
				 value);
			return -1;
		}
		c->restart = (enum restart_type)i;
		return 0;
	}
	if (strcmp(key, "shutdown") == 0)
		return set_shutdown(c, value, err);
	if (strcmp(key, "keep-caps") == 0) {
		cap_value_t *caps;
		size_t n;

		if (caps_parse_list(value, &caps, &n, err) < 0)
			return -1;
		free(c->keep_caps);
		c->keep_caps = caps;
		c->nkeep_caps = n;
		return 0;
	}
	if (strcmp(key, "user") == 0)
		return identity_set_user(&c->identity, value, err);
	if (strcmp(key, "group") == 0)
		return identity_set_group(&c->identity, value, err);
	if (strcmp(key, "no-new-privs") == 0)
		return set_bool(&c->no_new_privs, value, err);
	if (strcmp(key, "listen") == 0)
		return set_listen(c, value, err);
	if (strcmp(key, "heir") == 0)
		return set_bool(&c->heir, value, err);
	if (strcmp(key, "notify") == 0)
		return set_bool(&c->notify, value, err);
	if (strcmp(key, "standby") == 0) {
		if (set_bool(&c->standby, value, err) < 0)
			return -1;
		/* The standby takes over through etssup's inheritance. */
		c->heir |= c->standby;
		return 0;
	}
	i = set_crash_loop(c, key, value, err);
	if (i != SPEC_UNKNOWN_KEY)
		return i;
	return set_backoff(c, key, value, err);
}

void child_spec_set_argv(struct child_spec *c, char **argv)
{
	argv_free(c->argv);
	c->argv = argv;
}

int sup_spec_check(const struct sup_spec *s, char err[SPEC_ERR_MAX])
{
	char msg[SPEC_ERR_MAX];

	if (s->name[0] == '\0') {
		snprintf(err, SPEC_ERR_MAX,
			 "no supervisor name: give --name NAME (or name = NAME in the config file)");
		return -1;
	}
	if (s->nchildren == 0) {
		snprintf(err, SPEC_ERR_MAX,
			 "no child to supervise: give -- CMD [ARGS...] or --config FILE");
		return -1;
	}
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct child_spec *c = &s->children[i];

		if (!c->argv || !c->argv[0]) {
			snprintf(err, SPEC_ERR_MAX, "child '%s' has no command",
				 c->id);
			return -1;
		}
		if (c->backoff.max_ms < c->backoff.first_ms) {
			char max[16], first[16];

			seconds_text(c->backoff.max_ms, max, sizeof(max));
			seconds_text(c->backoff.first_ms, first, sizeof(first));
			snprintf(err, SPEC_ERR_MAX,
				 "child '%s': restart-max-delay-sec %s is less than its restart-sec %s",
				 c->id, max, first);
			return -1;
		}
		if (identity_check(&c->identity, msg) < 0) {
			snprintf(err, SPEC_ERR_MAX, "child '%s': %.400s", c->id,
				 msg);
			return -1;
		}
		if (c->heir && c->crash_loop.policy != CRASH_LOOP_KEEP) {
			snprintf(err, SPEC_ERR_MAX,
				 "child '%s': on-crash-loop=%s does not go with heir or standby: etssup would give the tables it sets aside back to the next run",
				 c->id,
				 crash_loop_policy_name(c->crash_loop.policy));
			return -1;
		}
		if (c->standby && c->restart == RESTART_TEMPORARY) {
			snprintf(err, SPEC_ERR_MAX,
				 "child '%s': a temporary child is never restarted, so a standby would never take over",
				 c->id);
			return -1;
		}
		for (size_t j = 0; j < i && c->listen; j++) {
			if (s->children[j].listen &&
			    strcmp(s->children[j].listen, c->listen) == 0) {
				snprintf(err, SPEC_ERR_MAX,
					 "children '%s' and '%s' listen on the same socket %.80s",
					 s->children[j].id, c->id, c->listen);
				return -1;
			}
		}
	}
	return 0;
}

const char *restart_type_name(enum restart_type r)
{
	return restart_names[r];
}

void shutdown_text(const struct child_spec *c, char *buf, size_t len)
{
	switch (c->shutdown) {
	case SHUTDOWN_BRUTAL_KILL:
		snprintf(buf, len, "brutal_kill");
		break;
	case SHUTDOWN_INFINITY:
		snprintf(buf, len, "infinity");
		break;
	default:
		snprintf(buf, len, "%u", c->shutdown_ms);
		break;
	}
}
