// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgrctl: administer and inspect etsmgr tables over the generic
 * netlink family "etsmgr" (through libetsmgr): info, stats, delete, rename,
 * monitor, drain; and dump, which reads a table's records through a
 * read-only mapping. See Documentation/etsmgrctl.8.
 *
 * With -j (or -p, pretty), each command prints exactly one JSON document
 * (built with json-c, printed once it is complete, so a failure prints
 * none), except monitor: one object per event, each a line of its own.
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error. Every
 * message goes to stderr as "etsmgrctl: WHAT: REASON"; usage errors are
 * detected before any contact with the kernel.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "etsmgr.h"
#include "etsmgr_records.h"
#include "output.h"

#define EXIT_USAGE	2

static const char short_usage[] =
	"usage: etsmgrctl [-j|--json] [-p|--pretty] [-h|--help] COMMAND [ARGS]\n"
	"commands: info [NAME | id ID], stats, delete [--uid UID] NAME,\n"
	"          delete id ID, rename [--uid UID] [--reason TEXT] NAME NEW,\n"
	"          rename [--reason TEXT] id ID NEW, dump NAME, dump id ID,\n"
	"          monitor [--count N] [--ready],\n"
	"          drain [--timeout S] [--discard] | drain --abort\n"
	"Try 'etsmgrctl --help' for more information.\n";

static const char full_usage[] =
	"Usage: etsmgrctl [-j|--json] [-p|--pretty] [-h|--help] COMMAND [ARGS]\n"
	"\n"
	"Inspect and administer etsmgr tables (module etsmgr.ko) over\n"
	"generic netlink.\n"
	"\n"
	"Commands:\n"
	"  info [NAME | id ID]  one line per visible table, or the line of\n"
	"                       the caller's table NAME, or of table ID\n"
	"  stats                the module's counters and limits\n"
	"  delete [--uid UID] NAME\n"
	"                       delete the table NAME of the caller's uid, or\n"
	"                       of UID (names are per user; needs CAP_SYS_ADMIN)\n"
	"  delete id ID         delete the table with id ID (needs CAP_SYS_ADMIN)\n"
	"  rename [--uid UID] [--reason TEXT] NAME NEW\n"
	"  rename [--reason TEXT] id ID NEW\n"
	"                       give a table the name NEW, keeping its id,\n"
	"                       owner and data; the old name is free at once\n"
	"                       (needs CAP_SYS_ADMIN)\n"
	"  dump NAME | dump id ID\n"
	"                       the records of a table that holds a libetsmgr\n"
	"                       record set, one per line: {count,3}\n"
	"  monitor [--count N] [--ready]\n"
	"                       print table events as they happen, until\n"
	"                       SIGINT or SIGTERM, or N events (needs\n"
	"                       CAP_SYS_ADMIN); --ready prints \"ready\" on\n"
	"                       stderr once subscribed\n"
	"  drain [--timeout S] [--discard]\n"
	"                       prepare an unload (needs CAP_SYS_ADMIN):\n"
	"                       refuse new sessions, wait up to S seconds\n"
	"                       (default 10) for clients to close theirs,\n"
	"                       then let go of every table; fails while a\n"
	"                       held table no process maps would be lost,\n"
	"                       unless --discard deletes those\n"
	"  drain --abort        serve again after a drain\n"
	"\n"
	"Options:\n"
	"  -j, --json           print JSON instead of text: one document\n"
	"                       per command (monitor: one object per line)\n"
	"  -p, --pretty         print JSON, pretty-printed (implies -j)\n"
	"  -h, --help           print this help and exit\n"
	"\n"
	"Exit status: 0 success, 1 operation failed, 2 usage error.\n"
	"See etsmgrctl(8).\n";

/* Print a usage error and the short usage; returns EXIT_USAGE. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *format, ...)
{
	va_list args;

	fputs("etsmgrctl: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	fputs(short_usage, stderr);
	return EXIT_USAGE;
}

/*
 * Whether the effective set surely lacks CAP_SYS_ADMIN: only then is an
 * EPERM explained by it (when unsure, say nothing rather than mislead).
 */
static bool lacks_sys_admin(void)
{
	cap_flag_value_t value = CAP_SET;
	cap_t caps = cap_get_proc();

	if (caps) {
		if (cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &value))
			value = CAP_SET;
		cap_free(caps);
	}
	return value == CAP_CLEAR;
}

/*
 * "etsmgrctl: WHAT: strerror", then in parentheses the likely cause of
 * an EPERM, or else the kernel's own explanation (extended ack) if it
 * adds to the errno: ENOENT can only mean that the table does not exist,
 * so "No such file or directory" stays alone, as scripts expect it.
 */
static void print_failure(const char *what, int error,
			  const struct etsmgr_nl *nl)
{
	const char *detail = NULL;

	if (error == -EPERM && lacks_sys_admin())
		detail = "needs CAP_SYS_ADMIN";
	else if (nl && error != -ENOENT)
		detail = etsmgr_nl_error_message(nl);
	fprintf(stderr, "etsmgrctl: %s: %s", what, strerror(-error));
	if (detail)
		fprintf(stderr, " (%s)", detail);
	fputc('\n', stderr);
}

/* Connect to the family; on failure say why, and return NULL. */
static struct etsmgr_nl *open_netlink(void)
{
	struct etsmgr_nl *nl;
	int ret = etsmgr_nl_open(&nl);

	if (ret == -ENOENT) {
		fprintf(stderr, "etsmgrctl: the etsmgr module is not loaded "
			"(no generic netlink family \"%s\")\n",
			ETSMGR_GENL_NAME);
		return NULL;
	}
	if (ret) {
		print_failure("generic netlink", ret, NULL);
		return NULL;
	}
	return nl;
}

/*
 * A table named by `NAME` or `id ID` (the arguments of info, delete and
 * dump): fills @name or @id and @what ("CMD NAME"); 0, or the usage
 * error's exit status.
 */
static int parse_table_args(const char *cmd, int argc, char **argv,
			    const char **name, uint64_t *id, char *what,
			    size_t what_size)
{
	if (argc == 1) {
		*name = argv[0];
		snprintf(what, what_size, "%s %s", cmd, *name);
	} else if (argc == 2 && strcmp(argv[0], "id") == 0) {
		if (etsmgr_parse_u64(argv[1], id) || *id == 0)
			return usage_error("%s: bad table id '%s'", cmd,
					   argv[1]);
		snprintf(what, what_size, "%s id %s", cmd, argv[1]);
	} else if (argc == 0) {
		return usage_error("%s: missing table name", cmd);
	} else {
		/* The first word that neither form can take. */
		bool by_id = strcmp(argv[0], "id") == 0;

		return usage_error("%s: unexpected argument '%s'", cmd,
				   argv[by_id ? 2 : 1]);
	}
	return 0;
}

struct options {
	bool json;
	bool pretty;		/* implies json */
};

/*
 * Print a complete JSON document (NULL: it could not be built): 0 or
 * -ENOMEM. A write error is finish_output()'s to report, as for text.
 */
static int print_document(const struct options *options,
			  struct json_object *doc)
{
	int ret = doc ? print_json(stdout, doc, options->pretty) : -ENOMEM;

	return ret == -EIO ? 0 : ret;
}

/*
 * The walk of `info`: one line per table, or, with -j, one element of
 * the array printed at the end.
 */
struct info_walk {
	const struct options *options;
	struct json_object *array;
};

static int print_info_table(const struct etsmgr_table *table, void *arg)
{
	struct info_walk *walk = arg;
	struct json_object *obj;

	if (!walk->options->json) {
		print_table_text(stdout, table);
		return 0;
	}
	obj = table_json(table);
	if (!obj)
		return -ENOMEM;
	if (json_object_array_add(walk->array, obj)) {
		json_object_put(obj);
		return -ENOMEM;
	}
	return 0;
}

/*
 * `info`: every visible table; `info NAME` or `info id ID`: that one, as
 * `ip link show dev X` (with -j an array of one object).
 */
static int cmd_info(const struct options *options, int argc, char **argv)
{
	struct info_walk walk = { .options = options };
	struct etsmgr_table table;
	const char *name = NULL;
	struct etsmgr_nl *nl;
	char what[128] = "info";
	uint64_t id = 0;
	int ret;

	/* Options come before the command: -j here is a mistake. */
	for (int i = 0; i < argc; i++)
		if (argv[i][0] == '-')
			return usage_error("info: unexpected argument '%s'",
					   argv[i]);
	if (argc > 0) {
		ret = parse_table_args("info", argc, argv, &name, &id, what,
				       sizeof(what));
		if (ret)
			return ret;
	}
	nl = open_netlink();
	if (!nl)
		return EXIT_FAILURE;
	if (options->json) {
		walk.array = json_object_new_array();
		if (!walk.array) {
			ret = -ENOMEM;
			print_failure(what, ret, NULL);
			goto out;
		}
	}
	if (argc == 0) {
		/*
		 * The library calls print_info_table() only once the dump
		 * is complete and consistent, so a failure prints nothing.
		 */
		ret = etsmgr_nl_dump_tables(nl, print_info_table, &walk);
	} else {
		ret = name ? etsmgr_nl_get_table_by_name(nl, name, &table) :
			     etsmgr_nl_get_table_by_id(nl, id, &table);
		if (!ret)
			ret = print_info_table(&table, &walk);
	}
	if (ret) {
		print_failure(what, ret, nl);
	} else if (options->json) {
		ret = print_document(options, walk.array);
		if (ret)
			print_failure(what, ret, NULL);
	}
out:
	json_object_put(walk.array);
	etsmgr_nl_close(nl);
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmd_stats(const struct options *options, int argc, char **argv)
{
	struct etsmgr_stats stats;
	struct etsmgr_nl *nl;
	int ret;

	if (argc > 0)
		return usage_error("stats: unexpected argument '%s'", argv[0]);
	nl = open_netlink();
	if (!nl)
		return EXIT_FAILURE;
	ret = etsmgr_nl_get_stats(nl, &stats);
	if (ret) {
		print_failure("stats", ret, nl);
	} else if (options->json) {
		struct json_object *doc = stats_json(&stats);

		ret = print_document(options, doc);
		json_object_put(doc);
		if (ret)
			print_failure("stats", ret, NULL);
	} else {
		print_stats_text(stdout, &stats);
	}
	etsmgr_nl_close(nl);
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * Take `--OPTION VALUE` or `--OPTION=VALUE` off the front of @argv, if it
 * is there: 1 (*@value set, *@argc and *@argv moved on), 0 when it is
 * not, or the usage error's exit status (as a negative number) when the
 * value is missing.
 */
static int take_option(const char *cmd, const char *option, int *argc,
		       char ***argv, const char **value)
{
	size_t len = strlen(option);
	char *arg;

	if (*argc < 1 || strncmp((*argv)[0], option, len) != 0)
		return 0;
	arg = (*argv)[0];
	if (arg[len] == '=') {
		*value = arg + len + 1;
		(*argc)--;
		(*argv)++;
		return 1;
	}
	if (arg[len] != '\0')
		return 0;
	if (*argc < 2)
		return -usage_error("%s: %s needs a value", cmd, option);
	*value = (*argv)[1];
	*argc -= 2;
	*argv += 2;
	return 1;
}

/* A uid argument: 0, or the usage error's exit status. */
static int parse_uid(const char *cmd, const char *arg, uint64_t *uid)
{
	if (etsmgr_parse_u64(arg, uid) || *uid > UINT32_MAX - 1)
		return usage_error("%s: bad uid '%s'", cmd, arg);
	return 0;
}

/* `delete [--uid UID] NAME` or `delete id ID`. */
static int cmd_delete(const struct options *options, int argc, char **argv)
{
	const char *name = NULL, *uid_arg = NULL;
	struct etsmgr_nl *nl;
	uint64_t id = 0, uid = 0;
	char what[160];
	int ret;

	(void)options;
	ret = take_option("delete", "--uid", &argc, &argv, &uid_arg);
	if (ret < 0)
		return -ret;
	if (uid_arg && parse_uid("delete", uid_arg, &uid))
		return EXIT_USAGE;
	ret = parse_table_args("delete", argc, argv, &name, &id, what,
			       sizeof(what));
	if (ret)
		return ret;
	if (uid_arg && !name)
		return usage_error("delete: --uid names a table by name, not by id");
	if (uid_arg)
		snprintf(what, sizeof(what), "delete --uid %s %s", uid_arg,
			 name);
	nl = open_netlink();
	if (!nl)
		return EXIT_FAILURE;
	if (uid_arg)
		ret = etsmgr_nl_delete_by_uid_name(nl, (uint32_t)uid, name);
	else
		ret = name ? etsmgr_nl_delete_by_name(nl, name) :
			     etsmgr_nl_delete_by_id(nl, id);
	if (ret)
		print_failure(what, ret, nl);
	etsmgr_nl_close(nl);
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * `rename [--uid UID] [--reason TEXT] NAME NEW` or
 * `rename [--reason TEXT] id ID NEW`; the options in any order.
 */
static int cmd_rename(const struct options *options, int argc, char **argv)
{
	const char *name = NULL, *uid_arg = NULL, *reason = NULL, *new_name;
	struct etsmgr_nl *nl;
	uint64_t id = 0, uid = 0;
	char what[200];
	int ret, took;

	(void)options;
	do {
		took = take_option("rename", "--uid", &argc, &argv, &uid_arg);
		if (!took)
			took = take_option("rename", "--reason", &argc, &argv,
					   &reason);
		if (took < 0)
			return -took;
	} while (took);
	if (uid_arg && parse_uid("rename", uid_arg, &uid))
		return EXIT_USAGE;
	if (argc >= 1 && argv[0][0] == '-' && argv[0][1] == '-')
		return usage_error("rename: unknown option '%s'", argv[0]);
	if (argc < 2 || (argc == 2 && strcmp(argv[0], "id") == 0))
		return usage_error("rename: missing %s",
				   argc == 0 ? "table name" : "new name");
	new_name = argv[argc - 1];
	ret = parse_table_args("rename", argc - 1, argv, &name, &id, what,
			       sizeof(what));
	if (ret)
		return ret;
	if (uid_arg && !name)
		return usage_error("rename: --uid names a table by name, not by id");
	if (etsmgr_name_check(new_name))
		return usage_error("rename: bad new name '%s' (1-63 bytes of "
				   "[A-Za-z0-9._:-])", new_name);
	if (uid_arg)
		snprintf(what, sizeof(what), "rename --uid %s %s", uid_arg,
			 name);
	nl = open_netlink();
	if (!nl)
		return EXIT_FAILURE;
	if (uid_arg)
		ret = etsmgr_nl_rename_by_uid_name(nl, (uint32_t)uid, name,
						   new_name, reason);
	else if (name)
		ret = etsmgr_nl_rename_by_name(nl, name, new_name, reason);
	else
		ret = etsmgr_nl_rename_by_id(nl, id, new_name, reason);
	if (ret)
		print_failure(what, ret, nl);
	etsmgr_nl_close(nl);
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* `dump` as text: one line per record. */
static int print_record(const void *key, size_t key_len, const void *value,
			size_t value_len, void *arg)
{
	char line[4096];
	size_t len;

	(void)arg;
	len = etsmgr_record_text(line, sizeof(line), key, key_len, value,
				 value_len);
	printf("%s%s\n", line, len >= sizeof(line) ? "..." : "");
	return 0;
}

/*
 * `dump NAME` or `dump id ID`: map the table read-only through a session
 * of the device (an owner's private table is refused, EACCES) and print
 * its record set; a table without one is an error (ENODATA).
 */
static int cmd_dump(const struct options *options, int argc, char **argv)
{
	struct etsmgr_set *set = NULL;
	const char *name = NULL;
	struct etsmgr_info info;
	void *base = NULL;
	char what[128];
	uint64_t id = 0;
	int session, ret;

	ret = parse_table_args("dump", argc, argv, &name, &id, what,
			       sizeof(what));
	if (ret)
		return ret;
	session = etsmgr_session_open();
	if (session == -ENOENT) {
		fprintf(stderr, "etsmgrctl: the etsmgr module is not loaded (no %s)\n",
			ETSMGR_DEVICE_PATH);
		return EXIT_FAILURE;
	}
	if (session < 0) {
		print_failure(what, session, NULL);
		return EXIT_FAILURE;
	}
	ret = name ? etsmgr_session_info_by_name(session, name, &info) :
		     etsmgr_session_info_by_id(session, id, &info);
	if (!ret)
		ret = etsmgr_session_map(session, info.mmap_offset, info.size,
					 PROT_READ, &base);
	if (!ret)
		ret = etsmgr_set_open(base, info.size, ETSMGR_SET_RDONLY, &set);
	if (ret == -ENODATA) {
		fprintf(stderr, "etsmgrctl: %s: the table holds no record set (%s)\n",
			what, strerror(-ret));
		goto out;
	}
	if (ret) {
		print_failure(what, ret, NULL);
		goto out;
	}
	/* With -j, the whole document or, when the walk fails, nothing. */
	if (options->json) {
		struct json_object *doc;

		ret = dump_json(set, info.id, info.name, &doc);
		if (!ret)
			ret = print_document(options, doc);
		json_object_put(doc);
	} else {
		ret = etsmgr_set_foreach(set, print_record, NULL);
	}
	if (ret)
		print_failure(what, ret, NULL);
out:
	if (set)
		etsmgr_set_close(set);
	if (base)
		munmap(base, info.size);
	close(session);
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

struct monitor_args {
	uint64_t count;		/* 0: until a signal */
	bool ready;
};

static int parse_monitor_args(int argc, char **argv,
			      struct monitor_args *args)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--ready") == 0) {
			args->ready = true;
		} else if (strcmp(argv[i], "--count") == 0) {
			if (i + 1 == argc)
				return usage_error("monitor: --count needs a "
						   "number");
			i++;
			if (etsmgr_parse_u64(argv[i], &args->count) ||
			    args->count == 0)
				return usage_error("monitor: bad count '%s'",
						   argv[i]);
		} else {
			return usage_error("monitor: unexpected argument '%s'",
					   argv[i]);
		}
	}
	return 0;
}

/*
 * Print events until SIGINT or SIGTERM (exit 0) or --count events. The
 * signals are blocked and read from a signalfd, polled with the event
 * socket, so one arriving at any moment ends the loop cleanly.
 */
static int monitor_loop(struct etsmgr_nl *nl, const struct options *options,
			const struct monitor_args *args, int signal_fd)
{
	struct pollfd fds[2] = {
		{ .fd = etsmgr_nl_event_fd(nl), .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
	};
	struct etsmgr_table_event event;
	uint64_t seen = 0;
	int ret;

	while (!args->count || seen < args->count) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			print_failure("monitor: poll", -errno, NULL);
			return EXIT_FAILURE;
		}
		if (fds[1].revents)
			return EXIT_SUCCESS;
		while ((!args->count || seen < args->count) &&
		       (ret = etsmgr_nl_read_event(nl, &event, 0)) != 0) {
			if (ret == -ENOBUFS) {
				print_failure("monitor: events lost", ret,
					      NULL);
				continue;
			}
			if (ret < 0) {
				print_failure("monitor", ret, NULL);
				return EXIT_FAILURE;
			}
			if (options->json) {
				struct json_object *obj = event_json(&event);

				ret = print_document(options, obj);
				json_object_put(obj);
				if (ret) {
					print_failure("monitor", ret, NULL);
					return EXIT_FAILURE;
				}
			} else {
				print_event_text(stdout, &event);
			}
			/* A reader at the other end of a pipe waits for it. */
			if (fflush(stdout))
				return EXIT_FAILURE;
			seen++;
		}
	}
	return EXIT_SUCCESS;
}

static int cmd_monitor(const struct options *options, int argc, char **argv)
{
	struct monitor_args args = { 0 };
	struct etsmgr_nl *nl;
	sigset_t signals;
	int signal_fd, ret;

	ret = parse_monitor_args(argc, argv, &args);
	if (ret)
		return ret;
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &signals, NULL) ||
	    (signal_fd = signalfd(-1, &signals, SFD_CLOEXEC)) < 0) {
		print_failure("monitor: signalfd", -errno, NULL);
		return EXIT_FAILURE;
	}
	nl = open_netlink();
	if (!nl) {
		close(signal_fd);
		return EXIT_FAILURE;
	}
	ret = etsmgr_nl_subscribe_events(nl);
	if (ret) {
		print_failure("monitor", ret, nl);
		ret = EXIT_FAILURE;
	} else {
		if (args.ready)
			fputs("ready\n", stderr);
		ret = monitor_loop(nl, options, &args, signal_fd);
	}
	etsmgr_nl_close(nl);
	close(signal_fd);
	return ret;
}

struct drain_args {
	uint64_t timeout_s;
	bool discard;
	bool abort;
};

static int parse_drain_args(int argc, char **argv, struct drain_args *args)
{
	args->timeout_s = 10;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--discard") == 0) {
			args->discard = true;
		} else if (strcmp(argv[i], "--abort") == 0) {
			args->abort = true;
		} else if (strcmp(argv[i], "--timeout") == 0) {
			if (i + 1 == argc)
				return usage_error("drain: --timeout needs a "
						   "number of seconds");
			i++;
			if (etsmgr_parse_u64(argv[i], &args->timeout_s) ||
			    args->timeout_s > 86400)
				return usage_error("drain: bad timeout '%s'",
						   argv[i]);
		} else {
			return usage_error("drain: unexpected argument '%s'",
					   argv[i]);
		}
	}
	if (args->abort && args->discard)
		return usage_error("drain: --abort takes no other option");
	return 0;
}

/* Held tables that no process maps: a drain would lose them. */
struct unmapped_walk {
	unsigned int count;
	char names[512];
};

static int note_unmapped(const struct etsmgr_table *table, void *arg)
{
	struct unmapped_walk *walk = arg;
	size_t used = strlen(walk->names);

	if (table->state != ETSMGR_STATE_HELD || table->mapped)
		return 0;
	if (used + strlen(table->name) + 3 < sizeof(walk->names))
		snprintf(walk->names + used, sizeof(walk->names) - used,
			 "%s%s", walk->count ? ", " : "", table->name);
	walk->count++;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Wait for every session to close: the clients got the manager-stopping
 * poll and let go. Returns 0, or the number still open at the timeout.
 */
static int64_t wait_sessions_closed(struct etsmgr_nl *nl, uint64_t timeout_s,
				    int *error)
{
	struct etsmgr_stats stats;
	bool told = false;
	long waited = 0;

	for (;;) {
		*error = etsmgr_nl_get_stats(nl, &stats);
		if (*error || !stats.sessions)
			return 0;
		if ((uint64_t)waited >= timeout_s * 1000)
			return (int64_t)stats.sessions;
		if (!told) {
			fprintf(stderr, "etsmgrctl: drain: waiting up to %llu s for %llu session(s) to close\n",
				(unsigned long long)timeout_s,
				(unsigned long long)stats.sessions);
			told = true;
		}
		sleep_ms(20);
		waited += 20;
	}
}

static int cmd_drain(const struct options *options, int argc, char **argv)
{
	struct unmapped_walk unmapped = { 0 };
	struct drain_args args = { 0 };
	struct etsmgr_stats stats;
	struct etsmgr_nl *nl;
	int64_t open_sessions;
	int ret;

	ret = parse_drain_args(argc, argv, &args);
	if (ret)
		return ret;
	nl = open_netlink();
	if (!nl)
		return EXIT_FAILURE;
	if (args.abort) {
		ret = etsmgr_nl_drain_abort(nl);
		if (ret)
			print_failure("drain --abort", ret, nl);
		goto out;
	}
	ret = etsmgr_nl_drain_start(nl);
	if (ret) {
		print_failure("drain", ret, nl);
		goto out;
	}
	open_sessions = wait_sessions_closed(nl, args.timeout_s, &ret);
	if (ret) {
		print_failure("drain", ret, nl);
		goto abort;
	}
	if (open_sessions) {
		fprintf(stderr, "etsmgrctl: drain: timed out after %llu s with %lld session(s) still open; serving again\n",
			(unsigned long long)args.timeout_s,
			(long long)open_sessions);
		ret = -ETIMEDOUT;
		goto abort;
	}
	ret = etsmgr_nl_dump_tables(nl, note_unmapped, &unmapped);
	if (!ret && unmapped.count && !args.discard) {
		fprintf(stderr, "etsmgrctl: drain: %u held table(s) that no process maps would be lost: %s (--discard deletes them); serving again\n",
			unmapped.count, unmapped.names);
		ret = -EBUSY;
		goto abort;
	}
	if (!ret)
		ret = etsmgr_nl_get_stats(nl, &stats);
	if (!ret)
		ret = etsmgr_nl_drain_finish(nl, args.discard);
	if (ret) {
		print_failure("drain", ret, nl);
		goto abort;
	}
	/* Drained: a failure to print that fails, but does not undo it. */
	if (options->json) {
		struct json_object *doc = drain_json(stats.tables -
						     unmapped.count,
						     unmapped.count);

		ret = print_document(options, doc);
		json_object_put(doc);
		if (ret)
			print_failure("drain", ret, NULL);
	} else {
		printf("drained: %llu table(s) kept in their owners' mappings, %u discarded; rmmod etsmgr may go ahead\n",
		       (unsigned long long)(stats.tables - unmapped.count),
		       unmapped.count);
	}
	goto out;

abort:
	etsmgr_nl_drain_abort(nl);
out:
	etsmgr_nl_close(nl);
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

struct command {
	const char *name;
	int (*run)(const struct options *options, int argc, char **argv);
};

static const struct command commands[] = {
	{ "info", cmd_info },
	{ "stats", cmd_stats },
	{ "delete", cmd_delete },
	{ "rename", cmd_rename },
	{ "dump", cmd_dump },
	{ "monitor", cmd_monitor },
	{ "drain", cmd_drain },
};

/* Output that could not be written is a failure, not a silent truncation. */
static int finish_output(int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "etsmgrctl: write error: %s\n",
			strerror(errno));
		return EXIT_FAILURE;
	}
	return status;
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options options = { 0 };
	int opt;

	/* '+': options stop at the command; ours are only global ones. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+jph", long_options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			options.json = true;
			break;
		case 'p':
			options.json = true;
			options.pretty = true;
			break;
		case 'h':
			fputs(full_usage, stdout);
			return finish_output(EXIT_SUCCESS);
		default:
			/* optopt: the letter of a bad short option, if any. */
			if (optopt)
				return usage_error("unknown option '-%c'",
						   optopt);
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind == argc)
		return usage_error("missing command");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0)
			return finish_output(commands[i].run(&options,
				argc - optind - 1, argv + optind + 1));
	}
	return usage_error("unknown command '%s'", argv[optind]);
}
