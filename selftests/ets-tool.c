// SPDX-License-Identifier: GPL-2.0
/*
 * ets-tool: create, hold and reclaim etsmgr tables from shell tests,
 * through libetsmgr's session API.
 *
 *   ets-tool hold NAME SIZE [ACCESS]
 *	Create the table (or reclaim it if held), print its line and then
 *	"ready", and own it until stdin reaches EOF (exit 0) or a signal
 *	kills the process: the test picks how the owner goes away.
 *   ets-tool hold-mapped NAME SIZE [ACCESS]
 *	The same, with the table mapped (read-write) all along: the
 *	netlink family says a live process maps it.
 *   ets-tool create-exit NAME SIZE [ACCESS [STATUS]]
 *	Create (or reclaim) the table, print its line, exit with STATUS
 *	(default 0): the table is left held, exit reason "exited".
 *   ets-tool fill-exit NAME SIZE
 *	Create (or reclaim) the table (protected), fill it with 0xa5 bytes
 *	(data that is no record set), print its line and exit 0: the table
 *	is left held.
 *   ets-tool reclaim-delete NAME
 *	Reclaim the held table, print its line, delete it.
 *   ets-tool hold-many PREFIX COUNT SIZE
 *	Create (or reclaim) tables PREFIX0 .. PREFIX<COUNT-1> on one
 *	session (enough of them make a table dump span several netlink
 *	messages), print "ready", and own them until SIGTERM, then delete
 *	them and exit 0.
 *   ets-tool records-exit NAME SIZE KEY VALUE [KEY VALUE...]
 *	Create the table (protected), format a libetsmgr record set in it,
 *	insert each KEY with VALUE (+N: a counter incremented by N), print
 *	the table's line and exit 0: the table is left held, records in it.
 *   ets-tool poisoned NAME SIZE
 *	A daemon whose state crashes it: create the table, or reclaim it
 *	if held; print its line; on a fresh table, "ready", then run until
 *	a signal ends it; on a reclaimed one, exit 3 at once (a crash in a
 *	loop, for etssup's on-crash-loop).
 *   ets-tool churn NAME PAUSE_MS
 *	Print "ready", then create and delete NAME over and over, pausing
 *	PAUSE_MS milliseconds after each, until SIGTERM (exit 0): the
 *	registry changes while table dumps run.
 *
 * The line: "id ID result created|reclaimed|already_owned generation G
 * size S pid PID", PID being this process (the pid events name).
 * ACCESS is private, protected (default) or public.
 * Exit status: 0 done, 1 an operation failed, 2 usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "etsmgr.h"
#include "etsmgr_records.h"

static int usage(void)
{
	fputs("usage: ets-tool hold NAME SIZE [ACCESS]\n"
	      "       ets-tool hold-mapped NAME SIZE [ACCESS]\n"
	      "       ets-tool create-exit NAME SIZE [ACCESS [STATUS]]\n"
	      "       ets-tool fill-exit NAME SIZE\n"
	      "       ets-tool reclaim-delete NAME\n"
	      "       ets-tool hold-many PREFIX COUNT SIZE\n"
	      "       ets-tool churn NAME PAUSE_MS\n"
	      "       ets-tool poisoned NAME SIZE\n"
	      "       ets-tool records-exit NAME SIZE KEY VALUE [KEY VALUE...]\n"
	      "ACCESS: private, protected (default) or public\n", stderr);
	return 2;
}

static int fail(const char *what, const char *name, int error)
{
	fprintf(stderr, "ets-tool: %s %s: %s\n", what, name, strerror(-error));
	return 1;
}

/* Attach @name on a new session; prints the table's line. */
static int attach(const char *name, uint32_t flags, uint64_t size,
		  uint32_t access, int *session, struct etsmgr_attach *result)
{
	int ret;

	*session = etsmgr_session_open();
	if (*session < 0)
		return fail("open", ETSMGR_DEVICE_PATH, *session);
	ret = etsmgr_session_attach(*session, name, size, access, flags,
				    result);
	if (ret)
		return fail("attach", name, ret);
	printf("id %" PRIu64 " result %s generation %" PRIu64 " size %" PRIu64
	       " pid %d\n", (uint64_t)result->id,
	       etsmgr_attach_result_name(result->result),
	       (uint64_t)result->generation, (uint64_t)result->size,
	       (int)getpid());
	fflush(stdout);
	return 0;
}

/*
 * Say "ready", then wait for EOF on stdin; a signal ends the process
 * with its default action. Returns the exit status.
 */
static int hold_until_eof(void)
{
	char buf[256];
	ssize_t n;

	puts("ready");
	fflush(stdout);
	do {
		n = read(STDIN_FILENO, buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
	return 0;
}

/* Block SIGTERM, to take it with sigwait() or test it with sigpending(). */
static void block_sigterm(sigset_t *sigterm)
{
	sigemptyset(sigterm);
	sigaddset(sigterm, SIGTERM);
	sigprocmask(SIG_BLOCK, sigterm, NULL);
}

static int hold_many(const char *prefix, uint64_t count, uint64_t size)
{
	struct etsmgr_attach result;
	char name[ETSMGR_NAME_MAX];
	sigset_t sigterm;
	int session, ret, signal;

	block_sigterm(&sigterm);
	session = etsmgr_session_open();
	if (session < 0)
		return fail("open", ETSMGR_DEVICE_PATH, session);
	for (uint64_t i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%s%" PRIu64, prefix, i);
		ret = etsmgr_session_attach(session, name, size,
					    ETSMGR_ACCESS_PROTECTED,
					    ETSMGR_ATTACH_CREATE, &result);
		if (ret)
			return fail("attach", name, ret);
	}
	puts("ready");
	fflush(stdout);
	sigwait(&sigterm, &signal);
	/* Deleting is the owner's right: no one has to clean up after us. */
	for (uint64_t i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%s%" PRIu64, prefix, i);
		ret = etsmgr_session_delete_by_name(session, name);
		if (ret)
			return fail("delete", name, ret);
	}
	return 0;
}

static int churn(const char *name, uint64_t pause_ms)
{
	const struct timespec pause = {
		.tv_sec = (time_t)(pause_ms / 1000),
		.tv_nsec = (long)(pause_ms % 1000) * 1000000,
	};
	struct etsmgr_attach result;
	sigset_t sigterm, pending;
	int session, ret;

	block_sigterm(&sigterm);
	session = etsmgr_session_open();
	if (session < 0)
		return fail("open", ETSMGR_DEVICE_PATH, session);
	puts("ready");
	fflush(stdout);
	do {
		ret = etsmgr_session_attach(session, name, 1,
					    ETSMGR_ACCESS_PROTECTED,
					    ETSMGR_ATTACH_CREATE |
					    ETSMGR_ATTACH_EXCL, &result);
		if (ret)
			return fail("attach", name, ret);
		ret = etsmgr_session_delete_by_id(session, result.id);
		if (ret)
			return fail("delete", name, ret);
		nanosleep(&pause, NULL);
		sigpending(&pending);
	} while (!sigismember(&pending, SIGTERM));
	return 0;
}

/* Format a record set in the table and fill it from KEY VALUE pairs. */
static int fill_records(int session, const struct etsmgr_attach *table,
			char **pairs, int n)
{
	struct etsmgr_set *set;
	void *base;
	int ret;

	ret = etsmgr_session_map(session, table->mmap_offset, table->size,
				 PROT_READ | PROT_WRITE, &base);
	if (ret)
		return fail("map", table->name, ret);
	ret = etsmgr_set_format(base, table->size, 0, 64, 256, 0);
	if (!ret)
		ret = etsmgr_set_open(base, table->size, 0, &set);
	if (ret)
		return fail("format", table->name, ret);
	for (int i = 0; i + 1 < n && !ret; i += 2) {
		const char *key = pairs[i], *value = pairs[i + 1];
		static const int64_t zero;
		uint64_t by;

		if (value[0] == '+' && !etsmgr_parse_u64(value + 1, &by))
			ret = etsmgr_set_update_counter(set, key, strlen(key),
							(int64_t)by, &zero,
							NULL);
		else
			ret = etsmgr_set_insert(set, key, strlen(key), value,
						strlen(value));
	}
	etsmgr_set_close(set);
	munmap(base, table->size);
	return ret ? fail("insert", table->name, ret) : 0;
}

int main(int argc, char **argv)
{
	uint32_t access = ETSMGR_ACCESS_PROTECTED;
	struct etsmgr_attach result;
	uint64_t size = 0, status = 0;
	const char *command, *name;
	int session, ret;

	if (argc < 3)
		return usage();
	command = argv[1];
	name = argv[2];

	if (strcmp(command, "reclaim-delete") == 0) {
		if (argc != 3)
			return usage();
		ret = attach(name, 0, 0, access, &session, &result);
		if (ret)
			return ret;
		ret = etsmgr_session_delete_by_id(session, result.id);
		return ret ? fail("delete", name, ret) : 0;
	}

	if (strcmp(command, "hold-many") == 0) {
		uint64_t count;

		if (argc != 5 || etsmgr_parse_u64(argv[3], &count) ||
		    etsmgr_parse_u64(argv[4], &size))
			return usage();
		return hold_many(name, count, size);
	}
	if (strcmp(command, "churn") == 0) {
		uint64_t pause_ms;

		if (argc != 4 || etsmgr_parse_u64(argv[3], &pause_ms))
			return usage();
		return churn(name, pause_ms);
	}

	if (argc < 4 || etsmgr_parse_u64(argv[3], &size))
		return usage();
	if (strcmp(command, "records-exit") == 0) {
		if (argc < 6 || argc % 2)
			return usage();
		ret = attach(name, ETSMGR_ATTACH_CREATE, size, access, &session,
			     &result);
		return ret ? ret : fill_records(session, &result, argv + 4,
						argc - 4);
	}
	if (strcmp(command, "fill-exit") == 0 && argc == 4) {
		void *base;

		ret = attach(name, ETSMGR_ATTACH_CREATE, size, access, &session,
			     &result);
		if (ret)
			return ret;
		ret = etsmgr_session_map(session, result.mmap_offset,
					 result.size, PROT_READ | PROT_WRITE,
					 &base);
		if (ret)
			return fail("map", name, ret);
		memset(base, 0xa5, result.size);
		return 0;
	}
	if (argc > 4 && etsmgr_access_from_name(argv[4], &access))
		return usage();
	if (strcmp(command, "hold") == 0 && argc <= 5) {
		ret = attach(name, ETSMGR_ATTACH_CREATE, size, access, &session,
			     &result);
		return ret ? ret : hold_until_eof();
	}
	if (strcmp(command, "hold-mapped") == 0 && argc <= 5) {
		void *base;

		ret = attach(name, ETSMGR_ATTACH_CREATE, size, access, &session,
			     &result);
		if (ret)
			return ret;
		ret = etsmgr_session_map(session, result.mmap_offset,
					 result.size, PROT_READ | PROT_WRITE,
					 &base);
		if (ret)
			return fail("map", name, ret);
		return hold_until_eof();
	}
	if (strcmp(command, "poisoned") == 0 && argc == 4) {
		ret = attach(name, ETSMGR_ATTACH_CREATE, size, access, &session,
			     &result);
		if (ret)
			return ret;
		if (result.result == ETSMGR_RESULT_RECLAIMED)
			return 3;
		puts("ready");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (strcmp(command, "create-exit") == 0 && argc <= 6) {
		if (argc > 5 && (etsmgr_parse_u64(argv[5], &status) ||
				 status > 255))
			return usage();
		ret = attach(name, ETSMGR_ATTACH_CREATE, size, access, &session,
			     &result);
		/* exit() with the session open: the kernel sees an exit. */
		return ret ? ret : (int)status;
	}
	return usage();
}
