// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the command line (see cli.h). Each option goes through the
 * setters of spec.c under its own name; supervisor options are applied
 * again after the config file, so that the command line wins, and child
 * options wait until the child exists.
 */
#include <getopt.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

#define OPT_CONFIG 'C'
#define OPT_SETTING 0

static const struct option options[] = {
	{ "name", required_argument, NULL, OPT_SETTING },
	{ "strategy", required_argument, NULL, OPT_SETTING },
	{ "intensity", required_argument, NULL, OPT_SETTING },
	{ "period", required_argument, NULL, OPT_SETTING },
	{ "state-dir", required_argument, NULL, OPT_SETTING },
	{ "log", required_argument, NULL, OPT_SETTING },
	{ "id", required_argument, NULL, OPT_SETTING },
	{ "restart", required_argument, NULL, OPT_SETTING },
	{ "shutdown", required_argument, NULL, OPT_SETTING },
	{ "keep-caps", required_argument, NULL, OPT_SETTING },
	{ "user", required_argument, NULL, OPT_SETTING },
	{ "group", required_argument, NULL, OPT_SETTING },
	{ "no-new-privs", optional_argument, NULL, OPT_SETTING },
	{ "listen", required_argument, NULL, OPT_SETTING },
	{ "heir", optional_argument, NULL, OPT_SETTING },
	{ "standby", optional_argument, NULL, OPT_SETTING },
	{ "notify", optional_argument, NULL, OPT_SETTING },
	{ "restart-sec", required_argument, NULL, OPT_SETTING },
	{ "restart-steps", required_argument, NULL, OPT_SETTING },
	{ "restart-max-delay-sec", required_argument, NULL, OPT_SETTING },
	{ "on-crash-loop", required_argument, NULL, OPT_SETTING },
	{ "crash-loop-deaths", required_argument, NULL, OPT_SETTING },
	{ "crash-loop-sec", required_argument, NULL, OPT_SETTING },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
"Usage: etssup --name NAME [OPTION...] [--] CMD [ARG...]\n"
"       etssup --config FILE [OPTION...]\n"
"Supervise processes as an OTP supervisor does: start them in order, restart\n"
"them when they exit, give up when they exit too often, stop them in reverse\n"
"order on SIGTERM or SIGINT. Reports go to stderr.\n"
"\n"
"Supervisor:\n"
"  --name NAME         name for reports, NAME.pid and NAME.state (required)\n"
"  --strategy S        one_for_one (default) or one_for_all\n"
"  --intensity N       give up after more than N restarts (default 1) ...\n"
"  --period SECONDS    ... within SECONDS (default 5)\n"
"  --state-dir DIR     where NAME.pid and NAME.state live (default "
	SPEC_DEFAULT_STATE_DIR ");\n"
"                      writable by nobody else, or sticky\n"
"  --log FILE          append the reports to FILE instead\n"
"  --config FILE       the children, and settings, from FILE (see etssup(8));\n"
"                      options given here override the file's\n"
"\n"
"The child CMD (without --config):\n"
"  --id ID             child id (default: the base name of CMD)\n"
"  --restart R         permanent (default), transient or temporary\n"
"  --shutdown T        milliseconds from SIGTERM to SIGKILL (default 5000),\n"
"                      brutal_kill or infinity\n"
"  --keep-caps LIST    capabilities it keeps, e.g. cap_net_bind_service;\n"
"                      by default it runs with none\n"
"  --user USER         run it as USER (name or uid), with the primary group\n"
"                      and the supplementary groups of USER (default: as\n"
"                      etssup); needs root, or cap_setuid and cap_setgid\n"
"  --group GROUP       run it with GROUP (name or gid) as primary group\n"
"                      instead; alone, also without supplementary groups\n"
"  --no-new-privs[=BOOL]\n"
"                      PR_SET_NO_NEW_PRIVS: nothing it executes gains a\n"
"                      privilege, set-user-ID programs included (default\n"
"                      true); with false, an etssup that is not root and\n"
"                      lacks cap_setpcap refuses to start the child\n"
"  --listen PATH       etssup binds a Unix stream socket at PATH, keeps it\n"
"                      across restarts and passes it as LISTEN_FDS=1; under\n"
"                      systemd it is kept in the fd store for etssup's own\n"
"                      restart (FileDescriptorStoreMax=)\n"
"  --heir[=BOOL]       etssup is the heir of the child's etsmgr tables and\n"
"                      gives them to the restarted child\n"
"  --standby[=BOOL]    also keep an idle second instance that takes over\n"
"                      the tables at once when the first one dies\n"
"  --notify[=BOOL]     the child says READY=1 (sd_notify(3)) when it serves:\n"
"                      etssup's own READY=1 waits for it\n"
"  --restart-sec S     a child that ran less than S seconds (default 0.1)\n"
"                      is restarted S seconds after its start, not at once;\n"
"  --restart-steps N   each such delay in a row is longer, in N steps\n"
"                      (default 5) ...\n"
"  --restart-max-delay-sec S\n"
"                      ... up to S seconds (default 1)\n"
"  --on-crash-loop P   keep (default), quarantine or discard the child's\n"
"                      etsmgr tables when it dies in a loop: N deaths in a\n"
"                      row (--crash-loop-deaths, default 3), each within\n"
"                      S seconds (--crash-loop-sec, default 10) of taking\n"
"                      over its predecessor's table; needs CAP_SYS_ADMIN\n"
"\n"
"  -h, --help          this help\n"
"\n"
"Exit status: 0 after an orderly shutdown, 1 after escalation (too many\n"
"restarts) or when it could not start, 2 on a usage or configuration error.\n";

static enum cli_result __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("etssup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'etssup --help'.\n", stderr);
	return CLI_USAGE;
}

/* argv[optind...] becomes the child's own copy. */
static int set_command(struct child_spec *c, char **cmd, int n)
{
	char **words = calloc((size_t)n + 1, sizeof(*words));

	if (!words)
		return -1;
	for (int i = 0; i < n; i++) {
		words[i] = strdup(cmd[i]);
		if (!words[i]) {
			child_spec_set_argv(c, words);
			return -1;
		}
	}
	child_spec_set_argv(c, words);
	return 0;
}

/* Settings in command-line order, applied later: the last one wins. */
struct settings {
	const char **keys;
	const char **values;
	size_t n;
};

static void settings_add(struct settings *set, const char *key,
			 const char *value)
{
	set->keys[set->n] = key;
	set->values[set->n++] = value;
}

/* The command-line child, with its settings; its id defaults to CMD's name. */
static enum cli_result add_cli_child(struct sup_spec *spec, char **cmd, int n,
				     const struct settings *set)
{
	char err[SPEC_ERR_MAX], base[256];
	struct child_spec *c;

	if (n == 0)
		return usage_error("no command: give -- CMD [ARG...] or --config FILE");
	c = sup_spec_add_child(spec);
	if (!c || set_command(c, cmd, n) < 0)
		return usage_error("out of memory");
	for (size_t i = 0; i < set->n; i++)
		if (child_spec_set(c, set->keys[i], set->values[i], err) < 0)
			return usage_error("--%s: %s", set->keys[i], err);
	if (c->id[0] == '\0') {
		snprintf(base, sizeof(base), "%s", cmd[0]);
		if (child_spec_set(c, "id", basename(base), err) < 0)
			return usage_error("cannot make a child id of '%.80s': give --id ID",
					   cmd[0]);
	}
	return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct sup_spec *spec)
{
	struct settings sup = { .n = 0 }, child = { .n = 0 };
	const char *config = NULL;
	char err[SPEC_ERR_MAX];
	enum cli_result result = CLI_RUN;
	int opt, idx;

	sup.keys = calloc((size_t)argc, sizeof(char *));
	sup.values = calloc((size_t)argc, sizeof(char *));
	child.keys = calloc((size_t)argc, sizeof(char *));
	child.values = calloc((size_t)argc, sizeof(char *));
	if (!sup.keys || !sup.values || !child.keys || !child.values) {
		result = usage_error("out of memory");
		goto out;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:h", options, &idx)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage, stdout);
			result = CLI_DONE;
			goto out;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_SETTING: {
			/* Checked now, so that errors come in order. */
			int ret;

			/* --heir, --standby, --no-new-privs, --notify: "true" */
			if (!optarg)
				optarg = "true";
			ret = sup_spec_set(spec, options[idx].name, optarg,
					   err);

			if (ret == SPEC_UNKNOWN_KEY) {
				settings_add(&child, options[idx].name, optarg);
			} else if (ret < 0) {
				result = usage_error("--%s: %s",
						     options[idx].name, err);
				goto out;
			} else {
				settings_add(&sup, options[idx].name, optarg);
			}
			break;
		}
		case ':':
			result = usage_error("%s needs a value", argv[optind - 1]);
			goto out;
		default:
			result = usage_error("unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}

	if (!config) {
		result = add_cli_child(spec, argv + optind, argc - optind,
				       &child);
	} else if (optind < argc) {
		result = usage_error("a command cannot be given with --config: put it in %s",
				     config);
	} else if (child.n > 0) {
		result = usage_error("--%s sets the command-line child; with --config, set it in %s",
				     child.keys[0], config);
	} else if (config_load(config, spec, err) < 0) {
		fprintf(stderr, "etssup: %s\n", err);
		result = CLI_USAGE;
	} else {
		/* The command line overrides the file. */
		for (size_t i = 0; i < sup.n; i++)
			sup_spec_set(spec, sup.keys[i], sup.values[i], err);
	}
	if (result == CLI_RUN && sup_spec_check(spec, err) < 0)
		result = usage_error("%s", err);
out:
	free(sup.keys);
	free(sup.values);
	free(child.keys);
	free(child.values);
	return result;
}
