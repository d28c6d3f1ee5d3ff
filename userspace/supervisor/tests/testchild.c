// SPDX-License-Identifier: GPL-2.0
/*
 * testchild: a child for etssup's tests. It appends what happens to it to
 * a log ("TAG start PID", "TAG term PID"), so that a test can tell the
 * order in which etssup stopped its children without timing anything,
 * then waits for SIGTERM. Once "start" is logged, SIGTERM is handled.
 *
 *   --log FILE            where to append (default: no log)
 *   --tag TAG             its name in the log (default: testchild)
 *   --ignore-term         log SIGTERM but keep running (SIGKILL needed)
 *   --exit STATUS         exit with STATUS right after starting
 *   --exit-once FILE STATUS
 *                         the first time (FILE absent): create FILE and
 *                         exit with STATUS; afterwards run normally
 *   --exit-first FILE N STATUS
 *                         the first N times (counted in FILE, one byte a
 *                         start) exit with STATUS; afterwards run normally
 *   --daemonize PIDFILE   fork a grandchild that writes its pid to
 *                         PIDFILE and waits for SIGTERM; exit 0 at once
 *   --securebits          log "securebits:0xNN" (prctl PR_GET_SECUREBITS),
 *                         for what cannot be read from /proc/PID/status
 *   --accept              socket activation: check LISTEN_PID/LISTEN_FDS
 *                         and that descriptor 3 listens (else exit 3),
 *                         log "listen", then answer every connection
 *                         with "PID\n" until SIGTERM
 *   --undumpable          prctl(PR_SET_DUMPABLE, 0) first, as a daemon
 *                         holding secrets does: a process of the same uid
 *                         without CAP_SYS_PTRACE can then not take its
 *                         descriptors (pidfd_getfd(2) fails with EPERM)
 *   --notify STATUS       once started (with --accept: listening), log
 *                         "ready", then send READY=1 and STATUS=STATUS to
 *                         its NOTIFY_SOCKET (sd_notify(3), libsystemd)
 *   --notify-delay MS     ... MS milliseconds later than that
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static const char *log_path;
static const char *tag = "testchild";
static const char *notify_status;	/* --notify, or NULL */
static long notify_delay_ms;

static void log_event(const char *what)
{
	char line[256];
	int fd, n;

	if (!log_path)
		return;
	n = snprintf(line, sizeof(line), "%s %s %d\n", tag, what, (int)getpid());
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		perror("testchild: log");
	if (fd >= 0)
		close(fd);
}

static void notify_ready(void)
{
	struct timespec delay = {
		.tv_sec = notify_delay_ms / 1000,
		.tv_nsec = notify_delay_ms % 1000 * 1000000,
	};

	if (!notify_status)
		return;
	nanosleep(&delay, NULL);
	/* Logged first: whoever sees the READY=1 finds the line there. */
	log_event("ready");
	if (sd_notifyf(0, "READY=1\nSTATUS=%s", notify_status) <= 0)
		log_event("notify-failed");
}

/* Write the pid whole (rename) so a reader never sees half of it. */
static void write_pidfile(const char *path)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0) {
		perror("testchild: pidfile");
		exit(1);
	}
}

static void __attribute__((noreturn)) wait_for_term(bool ignore_term)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		log_event("term");
		if (!ignore_term)
			exit(0);
	}
}

/* The first time (FILE absent) create FILE and say so. */
static bool first_time(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* This start is one of the first n counted in FILE (a byte each). */
static bool among_first(const char *file, long n)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	struct stat st;
	bool first;

	if (fd < 0 || write(fd, "x", 1) != 1 || fstat(fd, &st) < 0) {
		perror("testchild: --exit-first");
		exit(2);
	}
	first = st.st_size <= n;
	close(fd);
	return first;
}

/* The socket etssup passed: LISTEN_PID is us, LISTEN_FDS=1, fd 3 listens. */
static bool activated(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	int listening = 0;
	socklen_t len = sizeof(listening);

	return fds && pid && strcmp(fds, "1") == 0 && atoi(pid) == getpid() &&
	       getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 &&
	       listening;
}

static void __attribute__((noreturn)) serve_pid(void)
{
	struct pollfd pfd[2];
	sigset_t term;
	char line[32];
	int n, fd;

	if (!activated()) {
		log_event("no-listen");
		exit(3);
	}
	log_event("listen");
	/* A client that hangs up before its answer must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	notify_ready();
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pfd[0] = (struct pollfd){ .fd = signalfd(-1, &term, SFD_CLOEXEC),
				  .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = 3, .events = POLLIN };
	n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[0].revents) {
			log_event("term");
			exit(0);
		}
		fd = accept4(3, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (write(fd, line, (size_t)n) != n)
			perror("testchild: write");
		close(fd);
	}
}

int main(int argc, char **argv)
{
	bool accept_connections = false, securebits = false;
	const char *daemon_pidfile = NULL, *once_file = NULL, *first_file = NULL;
	int exit_status = -1, once_status = 0, first_status = 0;
	long first_n = 0;
	bool ignore_term = false, undumpable = false;
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
			log_path = argv[++i];
		} else if (strcmp(argv[i], "--tag") == 0 && i + 1 < argc) {
			tag = argv[++i];
		} else if (strcmp(argv[i], "--ignore-term") == 0) {
			ignore_term = true;
		} else if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc) {
			exit_status = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--exit-once") == 0 && i + 2 < argc) {
			once_file = argv[++i];
			once_status = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--exit-first") == 0 && i + 3 < argc) {
			first_file = argv[++i];
			first_n = atol(argv[++i]);
			first_status = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--daemonize") == 0 && i + 1 < argc) {
			daemon_pidfile = argv[++i];
		} else if (strcmp(argv[i], "--securebits") == 0) {
			securebits = true;
		} else if (strcmp(argv[i], "--accept") == 0) {
			accept_connections = true;
		} else if (strcmp(argv[i], "--undumpable") == 0) {
			undumpable = true;
		} else if (strcmp(argv[i], "--notify") == 0 && i + 1 < argc) {
			notify_status = argv[++i];
		} else if (strcmp(argv[i], "--notify-delay") == 0 &&
			   i + 1 < argc) {
			notify_delay_ms = atol(argv[++i]);
		} else {
			fprintf(stderr, "testchild: bad argument '%s'\n",
				argv[i]);
			return 2;
		}
	}
	if (undumpable && prctl(PR_SET_DUMPABLE, 0) < 0) {
		perror("testchild: prctl(PR_SET_DUMPABLE)");
		return 2;
	}
	log_event("start");
	if (securebits) {
		char bits[32];

		snprintf(bits, sizeof(bits), "securebits:%#x",
			 (unsigned int)prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
		log_event(bits);
	}
	if (once_file && first_time(once_file))
		return once_status;
	if (first_file && among_first(first_file, first_n))
		return first_status;
	if (exit_status >= 0)
		return exit_status;
	if (accept_connections)
		serve_pid();
	if (daemon_pidfile) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("testchild: fork");
			return 1;
		}
		if (pid > 0)
			return 0;
		write_pidfile(daemon_pidfile);
	}
	notify_ready();
	wait_for_term(ignore_term);
}
