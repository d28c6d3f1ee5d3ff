// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: setting up and tearing down one supervisor run: signals and
 * epoll first (SIGTERM must not kill etssup holding its pidfile), the
 * children's notification socket, the state directory and pidfile, the
 * heir session, the table watch of the crash-loop policies, the
 * subreaper bit.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "commandhash.h"
#include "fdstore.h"
#include "pidfile.h"
#include "report.h"
#include "statedir.h"
#include "statefile.h"
#include "sup.h"

static int setup_events(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_SIGNALS };
	const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	/*
	 * Inherited dispositions do not apply: SIGCHLD ignored would make
	 * the kernel reap the children itself, and an ignored signal would
	 * stay ignored in every child across exec.
	 */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	/* A closed stderr or log pipe must not kill the supervisor. */
	signal(SIGPIPE, SIG_IGN);

	s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return -errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev) < 0)
		return -errno;
	return 0;
}

/* Is @pid a process etssup runs (the filter of the table watch)? */
static bool runs(void *arg, pid_t pid)
{
	struct sup *s = arg;

	for (size_t i = 0; i < 2 * s->n; i++)
		if (s->children[i].pid == pid && pid > 0)
			return true;
	return false;
}

/*
 * For the children with a crash-loop policy: the watch of their tables.
 * It needs the module's events, so CAP_SYS_ADMIN: without it, a policy
 * asked for cannot be kept, and etssup says so and does not start. Without
 * the module, the children have no tables to weigh: they run without.
 */
static int setup_crash_loops(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_TABLES };
	const char *first = NULL;
	int ret;

	for (size_t i = 0; i < s->n && !first; i++)
		if (s->spec->children[i].crash_loop.policy != CRASH_LOOP_KEEP)
			first = s->spec->children[i].id;
	if (!first)
		return 0;
	s->crash_loops = calloc(s->n, sizeof(*s->crash_loops));
	s->tables = malloc(sizeof(*s->tables));
	if (!s->crash_loops || !s->tables) {
		report_message("out of memory");
		return -1;
	}
	ret = table_watch_open(s->tables, runs, s);
	if (ret == -ENOENT) {
		report_message("etsmgr is not loaded: on-crash-loop of child %s is off until etssup starts again",
			       first);
		free(s->tables);
		s->tables = NULL;
		return 0;
	}
	if (ret < 0) {
		report_message("on-crash-loop of child %s follows the module's events: %s%s",
			       first, strerror(-ret),
			       ret == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		free(s->tables);
		s->tables = NULL;
		return -1;
	}
	ev.data.u64 = TAG_TABLES;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, table_watch_fd(s->tables),
		      &ev) < 0) {
		report_message("epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * For the children with heir: etssup's session of etsmgr, watched for the
 * tables it inherits. Without the module, the children run as without
 * heir (etsmgr holds their tables) and no standby is started.
 */
static int setup_heir(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_ETSMGR };
	bool wanted = false;
	int ret;

	for (size_t i = 0; i < s->n; i++)
		wanted |= s->spec->children[i].heir;
	if (!wanted)
		return 0;
	ret = heir_open(&s->heir);
	if (ret < 0) {
		report_message("cannot open %s: %s; etsmgr, not etssup, will hold the tables of dead children, and no standby is started",
			       ETSMGR_DEVICE_PATH, strerror(-ret));
		return 0;
	}
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->heir.session, &ev) < 0) {
		report_message("cannot watch the etsmgr session: %s",
			       strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (!s->spec->children[i].heir)
			continue;
		s->children[i].heir_pid = getpid();
		s->children[i + s->n].heir_pid = getpid();
	}
	return 0;
}

/*
 * The socket the children notify (their NOTIFY_SOCKET), read in the loop.
 * Without it they run with no NOTIFY_SOCKET at all, and a child with
 * notify can never be up: etssup says READY=1 regardless, and why.
 */
static int setup_notify(struct sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_NOTIFY };
	int ret = service_notify_open(&s->service);

	if (ret < 0) {
		report_message("cannot open a notification socket for the children: %s; they get no NOTIFY_SOCKET",
			       strerror(-ret));
		for (size_t i = 0; i < s->n; i++)
			if (s->spec->children[i].notify)
				report_message("child %s: notify is ignored",
					       s->spec->children[i].id);
		return 0;
	}
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->service.relay.fd, &ev) < 0) {
		report_message("cannot watch the notification socket: %s",
			       strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < 2 * s->n; i++)
		s->children[i].notify_socket = s->service.relay.address;
	return 0;
}

int sup_setup(struct sup *s, const struct sup_spec *spec)
{
	const char *dir = spec->state_dir ? spec->state_dir :
					    SPEC_DEFAULT_STATE_DIR;
	char err[PATH_MAX + 128];
	int ret;

	memset(s, 0, sizeof(*s));
	s->spec = spec;
	s->n = spec->nchildren;
	s->epfd = s->sigfd = s->pidfile_fd = -1;
	heir_init(&s->heir);
	service_notify_init(&s->service);
	s->children = calloc(2 * s->n, sizeof(*s->children));
	s->entries = calloc(2 * s->n, sizeof(*s->entries));
	s->command_hashes = calloc(s->n, sizeof(*s->command_hashes));
	s->listeners = calloc(s->n, sizeof(*s->listeners));
	if (!s->children || !s->entries || !s->command_hashes ||
	    !s->listeners) {
		report_message("out of memory");
		return -1;
	}
	ret = intensity_init(&s->restarts, spec->intensity, spec->period_s);
	if (ret < 0) {
		report_message("restart intensity %u in %u s: %s",
			       spec->intensity, spec->period_s, strerror(-ret));
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		child_init(&s->children[i], &spec->children[i]);
		child_init(&s->children[i + s->n], &spec->children[i]);
		s->children[i + s->n].standby = true;
		s->command_hashes[i] = command_hash(&spec->children[i]);
		listener_init(&s->listeners[i]);
	}
	ret = boot_id_read(s->boot_id);
	if (ret < 0) {
		s->boot_id[0] = '\0';
		report_message("cannot read %s: %s; a restarted etssup could not re-adopt the children",
			       BOOT_ID_PATH, strerror(-ret));
	}
	/* First, so that SIGTERM cannot kill etssup holding its pidfile. */
	ret = setup_events(s);
	if (ret < 0) {
		report_message("cannot set up signals and epoll: %s",
			       strerror(-ret));
		return -1;
	}
	if (setup_notify(s) < 0)
		return -1;

	ret = statedir_create(dir);
	if (ret < 0) {
		report_message("cannot create the state directory %s: %s", dir,
			       strerror(-ret));
		return -1;
	}
	if (statedir_check(dir, err, sizeof(err)) < 0) {
		report_message("state directory: %s", err);
		return -1;
	}
	if (statedir_path(s->pidfile, sizeof(s->pidfile), dir, spec->name,
			  "pid") < 0 ||
	    statedir_path(s->statefile, sizeof(s->statefile), dir, spec->name,
			  "state") < 0) {
		report_message("state directory path too long: %s", dir);
		return -1;
	}
	s->pidfile_fd = pidfile_acquire(s->pidfile, err, sizeof(err));
	if (s->pidfile_fd < 0) {
		report_message("supervisor %s: %s", spec->name, err);
		return -1;
	}
	if (setup_heir(s) < 0)
		return -1;
	if (setup_crash_loops(s) < 0)
		return -1;
	/* Orphans of the children (a daemonizing child's) come back here. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		report_message("prctl(PR_SET_CHILD_SUBREAPER): %s",
			       strerror(errno));
		return -1;
	}
	return 0;
}

/* At exit: no child runs any more, so the state and pidfile go. */
void sup_teardown(struct sup *s)
{
	if (s->pidfile_fd >= 0) {
		unlink(s->statefile);
		pidfile_release(s->pidfile, s->pidfile_fd);
	}
	for (size_t i = 0; s->listeners && i < s->n; i++) {
		const struct listener *l = &s->listeners[i];

		/* Its file goes: no later etssup may take the socket. */
		if (l->fd >= 0 || l->left_with_child)
			fdstore_remove(s->spec->children[i].id);
		listener_close(&s->listeners[i], s->spec->children[i].listen);
	}
	free(s->listeners);
	/* What it still holds, etsmgr holds now. */
	heir_close(&s->heir);
	if (s->tables) {
		table_watch_close(s->tables);
		free(s->tables);
	}
	free(s->crash_loops);
	service_notify_close(&s->service);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	intensity_free(&s->restarts);
	free(s->entries);
	free(s->command_hashes);
	free(s->children);
}
