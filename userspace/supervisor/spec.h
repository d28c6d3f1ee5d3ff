/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: what the user asked for. The supervisor's and its children's
 * specifications, their defaults (OTP's), and the parser of every setting.
 *
 * The command line (cli.c) and the config file (config.c) both go through
 * sup_spec_set() and child_spec_set(), with the same keys (a config key is
 * the long option of the same name), so they accept exactly the same values
 * and print the same messages; only the location prefix differs.
 */
#ifndef ETSSUP_SPEC_H
#define ETSSUP_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/capability.h>

#include "backoff.h"
#include "crashloop.h"
#include "identity.h"

enum strategy {
	STRATEGY_ONE_FOR_ONE,
	STRATEGY_ONE_FOR_ALL,
};

enum restart_type {
	RESTART_PERMANENT,	/* always restarted */
	RESTART_TRANSIENT,	/* restarted after an abnormal exit only */
	RESTART_TEMPORARY,	/* never restarted */
};

enum shutdown_kind {
	SHUTDOWN_TIMEOUT,	/* SIGTERM, SIGKILL after shutdown_ms */
	SHUTDOWN_BRUTAL_KILL,	/* SIGKILL at once */
	SHUTDOWN_INFINITY,	/* SIGTERM, then wait for as long as it takes */
};

/* Names and ids become file names and report atoms: keep them plain. */
#define SPEC_NAME_MAX 63
/* sun_path (108) less ".tmp.PID" and its NUL, for the atomic bind. */
#define SPEC_LISTEN_MAX 90
/* Room for any message a parser writes (values are quoted, truncated). */
#define SPEC_ERR_MAX IDENTITY_ERR_MAX

#define SPEC_DEFAULT_STATE_DIR "/run/etssup"

struct child_spec {
	char id[SPEC_NAME_MAX + 1];
	char **argv;			/* NULL-terminated; NULL until set */
	enum restart_type restart;
	enum shutdown_kind shutdown;
	unsigned int shutdown_ms;	/* for SHUTDOWN_TIMEOUT */
	cap_value_t *keep_caps;		/* capabilities the child keeps */
	size_t nkeep_caps;
	char *listen;			/* a Unix socket etssup holds, or NULL */
	bool heir;			/* etssup inherits its etsmgr tables */
	bool standby;			/* ... and keeps an idle second instance */
	bool notify;			/* it says READY=1 when it serves */
	struct backoff backoff;		/* restart-sec, -steps, -max-delay-sec */
	bool max_delay_set;		/* restart-max-delay-sec was given */
	struct identity identity;	/* user, group */
	bool no_new_privs;		/* PR_SET_NO_NEW_PRIVS before exec */
	struct crash_loop_spec crash_loop; /* on-crash-loop, crash-loop-* */
};

struct sup_spec {
	char name[SPEC_NAME_MAX + 1];	/* "" until set */
	enum strategy strategy;
	unsigned int intensity;		/* at most this many restarts ... */
	unsigned int period_s;		/* ... within this many seconds */
	char *state_dir;
	char *log_path;			/* NULL: reports go to stderr */
	struct child_spec *children;	/* in start order */
	size_t nchildren;
};

/* The keys each setter knows, for messages. */
#define SUP_KEYS "name, strategy, intensity, period, state-dir or log"
#define CHILD_KEYS "restart, shutdown, keep-caps, user, group, " \
	"no-new-privs, listen, heir, standby, notify, restart-sec, " \
	"restart-steps, restart-max-delay-sec, on-crash-loop, " \
	"crash-loop-deaths or crash-loop-sec"

/* Result of the setters: the key is unknown to this level. */
#define SPEC_UNKNOWN_KEY (-2)

void sup_spec_init(struct sup_spec *s);
void sup_spec_free(struct sup_spec *s);

/* Append a child with OTP's defaults; NULL when out of memory. */
struct child_spec *sup_spec_add_child(struct sup_spec *s);

/*
 * Set a supervisor-level key (name, strategy, intensity, period,
 * state-dir, log). Returns 0, -1 with a message in err (the value was
 * bad), or SPEC_UNKNOWN_KEY.
 */
int sup_spec_set(struct sup_spec *s, const char *key, const char *value,
		 char err[SPEC_ERR_MAX]);

/*
 * Set a child-level key (id, restart, shutdown, keep-caps, user, group,
 * no-new-privs, listen, heir, standby, notify, restart-sec, restart-steps,
 * restart-max-delay-sec, on-crash-loop, crash-loop-deaths,
 * crash-loop-sec); user and group are looked up now; the command
 * is set with child_spec_set_argv(), and the id is not among CHILD_KEYS
 * because a config file gives it in a stanza's header. Same results as
 * sup_spec_set().
 */
int child_spec_set(struct child_spec *c, const char *key, const char *value,
		   char err[SPEC_ERR_MAX]);

/* Take ownership of a malloc'ed, NULL-terminated argv of malloc'ed words. */
void child_spec_set_argv(struct child_spec *c, char **argv);

/* Free such an argv (NULL is fine). */
void argv_free(char **argv);

/* The whole specification is runnable: 0, or -1 with a message. */
int sup_spec_check(const struct sup_spec *s, char err[SPEC_ERR_MAX]);

/* The names reports print, as OTP spells them. */
const char *restart_type_name(enum restart_type r);
/* "5000", "brutal_kill" or "infinity". */
void shutdown_text(const struct child_spec *c, char *buf, size_t len);

/*
 * A setting's number: plain decimal only (no sign, blanks, hex or
 * trailing junk), from @min to @max. 0, or -1.
 */
int parse_uint(const char *s, unsigned long min, unsigned long max,
	       unsigned int *out);

/* Milliseconds as seconds, as the settings take them: "0.1", "10". */
void seconds_text(unsigned int ms, char *buf, size_t len);

/* A name or id is 1 to SPEC_NAME_MAX characters of [A-Za-z0-9._:-]. */
bool spec_name_valid(const char *s);

#endif
