// SPDX-License-Identifier: GPL-2.0
/*
 * etscounter: the client of etscounterd, Erlang's etscounter module as a
 * command (see etscounter(1)):
 *
 *   etscounter start   load etsmgr.ko if needed, start etssup supervising
 *                      etscounterd in the background, wait until it answers
 *   etscounter count   Counter N.
 *   etscounter check   Table: ID, Data [{count,N}].
 *   etscounter die     the daemon kills itself; etssup restarts it
 *   etscounter stop    ask the daemon to stop (it deletes its table), then
 *                      SIGTERM to etssup, which stops the daemon;
 *                      etsmgr.ko stays loaded
 *
 * A request made while the supervisor restarts the daemon waits for the
 * new one (bounded), so `etscounter die; etscounter check` works. A count
 * whose connection broke after it was sent is never sent again: it may
 * have been made, and counting it twice would be worse (exit status 69).
 *
 * SIGTERM alone (systemctl stop, etssup's shutdown) keeps the table, for
 * the next start to reclaim; only `etscounter stop` deletes it.
 *
 * Exit status: 0 success, 1 failure (not running, refused, error answer),
 * 2 usage, 69 (EX_UNAVAILABLE) a count, die or stop was sent but not
 * answered: it may or may not have been done. Never LSB's 3 ("not
 * running" for a status action), which scripts read otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "etscounter.h"
#include "etsmgr.h"
#include "group.h"
#include "monotonic.h"

/* The supervisor: etssup --name SUPERVISOR_NAME, its pidfile. */
#define SUPERVISOR_NAME		"etscounter"
#define SUPERVISOR_PIDFILE	"/run/etssup/" SUPERVISOR_NAME ".pid"
#define CHILD_ID		"etscounterd"
#define LOG_DEFAULT		"/run/etscounter.log"

/*
 * Restarts allowed before etssup gives up: more forgiving than OTP's
 * default (1 in 5 s), so that a few `die`s in a row are survived.
 */
#define INTENSITY_DEFAULT	10
#define PERIOD_DEFAULT		10

/* Bounds of every wait, in milliseconds. */
#define ANSWER_TIMEOUT_MS	10000	/* an answer on a connection */
#define RESTART_WAIT_MS		10000	/* the daemon restarted by etssup */
#define START_TIMEOUT_MS	10000	/* `start` until the daemon answers */
#define STOP_TIMEOUT_MS		30000	/* etssup's orderly shutdown */
#define DEVICE_TIMEOUT_MS	2000	/* /dev/etsmgr after loading */
#define RETRY_PAUSE_MS		5	/* between two connection attempts */

/*
 * The exit statuses scripts rely on (etscounter(1)). "No answer" is
 * outside LSB's init-script codes (1-7: for a status action 3 is "not
 * running", 4 "unknown"), as sysexits.h's EX_UNAVAILABLE.
 */
enum exit_status {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NO_ANSWER = 69,
};

struct options {
	const char *socket_path;
	const char *log_path;
	unsigned int intensity;
	unsigned int period;
	bool verbose;
	bool heir;		/* start: etssup --heir */
	bool standby;		/* start: etssup --standby */
	gid_t socket_gid;	/* start: --socket-group, or (gid_t)-1 */
};

static const char *command = "";	/* for messages: "etscounter: count: " */

static void __attribute__((format(printf, 1, 2))) error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "etscounter: %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* Talking to the daemon                                               */
/* ------------------------------------------------------------------ */

/* How far an exchange got before it failed. */
enum progress {
	NOT_CONNECTED,	/* nothing was sent: safe to try again */
	SENT,		/* the request may have been served */
};

/*
 * One request on a new connection: send @request, read one answer line
 * into @answer (without its newline). With @until_closed, then say we
 * send no more and wait for the daemon to close the connection (it exits
 * after die, and after stop once we hang up). With @keep (and not
 * @until_closed), the connection stays open, in *@keep, for the caller
 * to close. Returns 0 or -errno, and sets *@progress.
 */
static int exchange(const char *path, const char *request, char *answer,
		    size_t size, bool until_closed, int *keep,
		    enum progress *progress)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[ETSCOUNTER_LINE_MAX];
	int64_t deadline = monotonic_ms() + ANSWER_TIMEOUT_MS;
	size_t len = 0;
	char *newline = NULL;
	int fd, ret, left;
	ssize_t n;

	*progress = NOT_CONNECTED;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		goto out;
	}
	n = snprintf(line, sizeof(line), "%s\n", request);
	*progress = SENT;
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		ret = -errno;
		goto out;
	}

	/* Read until a newline, then (maybe) until the end. */
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		left = (int)(deadline - monotonic_ms());
		if (left <= 0) {
			ret = -ETIMEDOUT;
			goto out;
		}
		ret = poll(&pfd, 1, left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			ret = -errno;
			goto out;
		}
		if (ret == 0)
			continue;	/* the deadline check says it */
		if (newline) {
			char drain[64];

			n = read(fd, drain, sizeof(drain));
			if (n == 0 || (n < 0 && errno == ECONNRESET))
				break;	/* closed, as asked */
			continue;
		}
		n = read(fd, line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* EOF or reset before a whole answer. */
			ret = n < 0 ? -errno : -ECONNRESET;
			goto out;
		}
		len += (size_t)n;
		line[len] = '\0';
		newline = strchr(line, '\n');
		if (newline) {
			*newline = '\0';
			snprintf(answer, size, "%s", line);
			if (!until_closed)
				break;
			shutdown(fd, SHUT_WR);
		} else if (len == sizeof(line) - 1) {
			ret = -EMSGSIZE;
			goto out;
		}
	}
	ret = 0;
	if (keep && !until_closed) {
		*keep = fd;
		return 0;
	}
out:
	close(fd);
	return ret;
}

/* Nobody listens there (yet): worth trying again while etssup runs. */
static bool nobody_listening(int error)
{
	return error == -ECONNREFUSED || error == -ENOENT || error == -EAGAIN;
}

/*
 * Is the supervisor running? Its pidfile is flock()ed for its whole life
 * (etssup(8)), so a lock we cannot take means a live etssup; its pid, in
 * the file, goes to *@pid (unless NULL).
 */
static bool supervisor_running(pid_t *pid)
{
	char buf[32];
	bool running = false;
	ssize_t n;
	int fd;

	fd = open(SUPERVISOR_PIDFILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		if (pid)
			*pid = (pid_t)strtol(buf, NULL, 10);
		running = !pid || *pid > 0;
	}
	close(fd);
	return running;
}

/* How a request to the daemon ended; the messages are said already. */
enum asked {
	ANSWERED,	/* an answer, not an error: in the caller's buffer */
	REFUSED,	/* an error answer ("error ..."): nothing was done */
	UNREACHED,	/* not running, or not reachable: nothing was sent */
	UNANSWERED,	/* sent, no answer: it may or may not have been done */
};

/*
 * Ask the daemon. While the supervisor runs, a refused connection means
 * the daemon is being restarted: try again for up to RESTART_WAIT_MS. A
 * request whose answer did not come is tried again only if it is
 * @idempotent. With @keep, the connection of an answered request stays
 * open, in *@keep.
 */
static enum asked ask_daemon(const struct options *o, const char *request,
			     bool idempotent, bool until_closed, int *keep,
			     char *answer, size_t size)
{
	int64_t deadline = monotonic_ms() + RESTART_WAIT_MS;
	enum progress progress;
	int ret;

	for (;;) {
		ret = exchange(o->socket_path, request, answer, size,
			       until_closed, keep, &progress);
		if (ret == 0)
			break;
		if (monotonic_ms() >= deadline || !supervisor_running(NULL) ||
		    (progress == NOT_CONNECTED && !nobody_listening(ret)) ||
		    (progress == SENT && !idempotent)) {
			if (progress == NOT_CONNECTED) {
				error("%s (connect %s: %s)",
				      nobody_listening(ret) ?
				      "etscounterd is not running" :
				      "cannot reach etscounterd",
				      o->socket_path, strerror(-ret));
				return UNREACHED;
			}
			if (idempotent) {
				error("etscounterd did not answer (%s)",
				      strerror(-ret));
				return UNREACHED;
			}
			error("etscounterd did not answer (%s); the %s may or may not have happened",
			      strerror(-ret), request);
			return UNANSWERED;
		}
		sleep_ms(RETRY_PAUSE_MS);
	}
	if (strncmp(answer, ETSCOUNTER_ERROR_PREFIX,
		    strlen(ETSCOUNTER_ERROR_PREFIX)) == 0) {
		error("etscounterd: %s",
		      answer + strlen(ETSCOUNTER_ERROR_PREFIX));
		if (keep) {
			close(*keep);
			*keep = -1;
		}
		return REFUSED;
	}
	return ANSWERED;
}

/* Ask, print the answer on stdout unless @quiet; the exit status. */
static int ask(const struct options *o, const char *request, bool idempotent,
	       bool until_closed, bool quiet)
{
	char answer[ETSCOUNTER_LINE_MAX];

	switch (ask_daemon(o, request, idempotent, until_closed, NULL, answer,
			   sizeof(answer))) {
	case ANSWERED:
		if (!quiet)
			printf("%s\n", answer);
		return EXIT_OK;
	case UNANSWERED:
		return EXIT_NO_ANSWER;
	default:
		return EXIT_FAILED;
	}
}

/*
 * A single try: does a daemon serve on the socket right now? Asked with
 * `ping`, which the daemon does not report, so that its log shows only
 * what users asked.
 */
static bool daemon_answers(const struct options *o)
{
	char answer[ETSCOUNTER_LINE_MAX];
	enum progress progress;

	return exchange(o->socket_path, "ping", answer, sizeof(answer),
			false, NULL, &progress) == 0;
}

/* ------------------------------------------------------------------ */
/* start                                                               */
/* ------------------------------------------------------------------ */

/* The directory of this program, for the tools built next to it. */
static int own_dir(char *dir, size_t size)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return snprintf(dir, size, "%s", path) < (int)size ? 0 : -1;
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* The first executable NAME of the PATH environment variable. */
static bool search_path(const char *name, char *found, size_t size)
{
	const char *dirs = getenv("PATH"), *end;
	size_t len;

	for (; dirs && *dirs; dirs = *end ? end + 1 : end) {
		end = strchrnul(dirs, ':');
		len = (size_t)(end - dirs);
		if (len == 0)
			continue;
		if (snprintf(found, size, "%.*s/%s", (int)len, dirs, name) <
		    (int)size && executable(found))
			return true;
	}
	return false;
}

/*
 * Find the program NAME: $ENV_VAR if set, else in one of @siblings (paths
 * relative to this program's directory, in order), else on PATH.
 */
static bool find_program(const char *name, const char *env_var,
			 const char *const *siblings, char *found,
			 size_t size)
{
	const char *env = getenv(env_var);
	char dir[PATH_MAX];

	if (env && *env) {
		snprintf(found, size, "%s", env);
		return executable(found);
	}
	if (own_dir(dir, sizeof(dir)) == 0) {
		for (; *siblings; siblings++)
			if (snprintf(found, size, "%s/%s", dir, *siblings) <
			    (int)size && executable(found))
				return true;
	}
	return search_path(name, found, size);
}

/* Run a command and wait for it; its exit status, or -1. */
static int run(char *const argv[], bool quiet)
{
	int status, devnull;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (quiet) {
			devnull = open("/dev/null", O_WRONLY);
			if (devnull >= 0) {
				dup2(devnull, STDOUT_FILENO);
				dup2(devnull, STDERR_FILENO);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The device is there and serves (the module may have just been loaded). */
static bool device_ready(void)
{
	int session = etsmgr_session_open_wait(DEVICE_TIMEOUT_MS);

	if (session < 0)
		return false;
	close(session);
	return true;
}

/* insmod @ko if it exists, and wait for the device; sets *@tried. */
static bool insmod(const char *ko, bool *tried)
{
	char *const argv[] = { "insmod", (char *)ko, NULL };

	if (access(ko, R_OK) < 0)
		return false;
	*tried = true;
	return run(argv, false) == 0 && device_ready();
}

/*
 * Make sure etsmgr.ko is loaded: modprobe, else insmod of $ETSMGR_KO, else
 * of a module built next to the tools (../module or ../../module from
 * here: an install tree, the source tree).
 */
static int load_module(void)
{
	static const char *const relative[] = {
		"../module/etsmgr.ko", "../../module/etsmgr.ko", NULL,
	};
	char *const modprobe[] = { "modprobe", "-q", "etsmgr", NULL };
	const char *env = getenv("ETSMGR_KO");
	const char *const *rel;
	char dir[PATH_MAX], ko[PATH_MAX + 32];
	bool tried = false;

	if (access(ETSMGR_DEVICE_PATH, F_OK) == 0)
		return 0;
	if (geteuid() != 0) {
		error("%s is missing: the etsmgr module is not loaded, and only root may load it",
		      ETSMGR_DEVICE_PATH);
		return -1;
	}
	if (run(modprobe, true) == 0 && device_ready())
		return 0;
	if (env && *env && insmod(env, &tried))
		return 0;
	if (own_dir(dir, sizeof(dir)) == 0) {
		for (rel = relative; *rel; rel++) {
			snprintf(ko, sizeof(ko), "%s/%s", dir, *rel);
			if (insmod(ko, &tried))
				return 0;
		}
	}
	if (tried)
		error("could not load the etsmgr module (modprobe etsmgr and insmod failed)");
	else
		error("could not load the etsmgr module: modprobe etsmgr failed and no etsmgr.ko was found (set ETSMGR_KO)");
	return -1;
}

/*
 * etssup holds the socket across restarts (--listen), so that no request
 * is refused meanwhile; it takes absolute paths of at most 90 bytes (room
 * for its temporary name), else the daemon binds its own.
 */
static bool supervisor_listens(const struct options *o)
{
	return o->socket_path[0] == '/' && strlen(o->socket_path) <= 90;
}

/* In the child: become etssup, detached, its output in the log. */
static void __attribute__((noreturn))
exec_supervisor(const struct options *o, const char *etssup,
		const char *daemon, int log)
{
	char intensity[16], period[16], gid[16];
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char *argv[24];
	int n = 0;

	argv[n++] = (char *)etssup;
	argv[n++] = "--name";
	argv[n++] = SUPERVISOR_NAME;
	argv[n++] = "--intensity";
	argv[n++] = intensity;
	argv[n++] = "--period";
	argv[n++] = period;
	argv[n++] = "--id";
	argv[n++] = CHILD_ID;
	argv[n++] = "--restart";
	argv[n++] = "permanent";
	if (supervisor_listens(o)) {
		argv[n++] = "--listen";
		argv[n++] = (char *)o->socket_path;
	}
	if (o->standby)
		argv[n++] = "--standby";
	else if (o->heir)
		argv[n++] = "--heir";
	argv[n++] = "--";
	argv[n++] = (char *)daemon;
	argv[n++] = "--socket";
	argv[n++] = (char *)o->socket_path;
	/* A socket the daemon binds itself: it gives it the group. */
	if (o->socket_gid != (gid_t)-1 && !supervisor_listens(o)) {
		snprintf(gid, sizeof(gid), "%u", (unsigned int)o->socket_gid);
		argv[n++] = "--socket-group";
		argv[n++] = gid;
	}
	argv[n] = NULL;

	snprintf(intensity, sizeof(intensity), "%u", o->intensity);
	snprintf(period, sizeof(period), "%u", o->period);
	/*
	 * etssup binds the socket it holds with the umask it inherits:
	 * without group and other write (connect(2) needs write), so that
	 * only its owner may connect until set_socket_access() opens it to
	 * the group. Its other files are created 0644 and 0755, which this
	 * does not change.
	 */
	umask(umask(0) | 022);
	setsid();
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
	    dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0)
		_exit(127);
	execv(etssup, argv);
	dprintf(log, "etscounter: start: cannot run %s: %s\n", etssup,
		strerror(errno));
	_exit(127);
}

/*
 * The socket etssup holds (--listen) is its own, bound owner-only (see
 * exec_supervisor()): make it ETSCOUNTER_SOCKET_MODE, of --socket-group
 * if given, as etscounterd makes the sockets it binds itself.
 */
static int set_socket_access(const struct options *o)
{
	struct stat st;

	if (!supervisor_listens(o))
		return 0;	/* the daemon's own: done already */
	if (lstat(o->socket_path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    st.st_uid != geteuid()) {
		error("%s is not the socket etssup made", o->socket_path);
		return -1;
	}
	if (o->socket_gid != (gid_t)-1 &&
	    chown(o->socket_path, (uid_t)-1, o->socket_gid) < 0) {
		error("cannot give %s to group %u: %s", o->socket_path,
		      (unsigned int)o->socket_gid, strerror(errno));
		return -1;
	}
	if (chmod(o->socket_path, ETSCOUNTER_SOCKET_MODE) < 0) {
		error("cannot chmod %s: %s", o->socket_path, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_start(const struct options *o)
{
	/* Next to it: the source tree, or an install (bin/ and sbin/). */
	static const char *const etssup_siblings[] = {
		"etssup", "../supervisor/etssup", "../sbin/etssup", NULL,
	};
	static const char *const daemon_siblings[] = {
		"etscounterd", "../sbin/etscounterd", NULL,
	};
	char etssup[PATH_MAX], daemon[PATH_MAX];
	int64_t deadline;
	pid_t pid, supervisor;
	int log, status;

	if (supervisor_running(&supervisor)) {
		error("already running (etssup pid %d)", (int)supervisor);
		return EXIT_OK;
	}
	if (daemon_answers(o)) {
		error("already running (etscounterd answers on %s)",
		      o->socket_path);
		return EXIT_OK;
	}
	if (load_module())
		return EXIT_FAILED;
	if (!find_program("etssup", "ETSSUP", etssup_siblings, etssup,
			  sizeof(etssup))) {
		error("etssup not found (next to etscounter, on PATH, or $ETSSUP)");
		return EXIT_FAILED;
	}
	if (!find_program("etscounterd", "ETSCOUNTERD", daemon_siblings,
			  daemon, sizeof(daemon))) {
		error("etscounterd not found (next to etscounter, on PATH, or $ETSCOUNTERD)");
		return EXIT_FAILED;
	}
	log = open(o->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		   0644);
	if (log < 0) {
		error("cannot open the log %s: %s", o->log_path,
		      strerror(errno));
		return EXIT_FAILED;
	}

	pid = fork();
	if (pid < 0) {
		error("fork: %s", strerror(errno));
		close(log);
		return EXIT_FAILED;
	}
	if (pid == 0)
		exec_supervisor(o, etssup, daemon, log);
	close(log);

	deadline = monotonic_ms() + START_TIMEOUT_MS;
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			error("etssup exited (%s %d) before etscounterd answered; see %s",
			      WIFEXITED(status) ? "status" : "signal",
			      WIFEXITED(status) ? WEXITSTATUS(status) :
						  WTERMSIG(status),
			      o->log_path);
			return EXIT_FAILED;
		}
		if (daemon_answers(o)) {
			if (set_socket_access(o) < 0) {
				error("etssup (pid %d) runs on; `etscounter stop` stops it",
				      (int)pid);
				return EXIT_FAILED;
			}
			break;
		}
		if (monotonic_ms() >= deadline) {
			error("etscounterd did not answer on %s within %d s; see %s (etssup pid %d runs on)",
			      o->socket_path, START_TIMEOUT_MS / 1000,
			      o->log_path, (int)pid);
			return EXIT_FAILED;
		}
		sleep_ms(RETRY_PAUSE_MS);
	}
	if (o->verbose)
		fprintf(stderr, "etscounter: started etssup (pid %d) with etscounterd on %s; log in %s\n",
			(int)pid, o->socket_path, o->log_path);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* stop                                                                */
/* ------------------------------------------------------------------ */

/*
 * SIGTERM to the supervisor, through a pidfd so that a pid reused in the
 * meantime is never signalled, and wait for it to exit: by then it has
 * stopped the daemon.
 */
static int stop_supervisor(pid_t supervisor)
{
	struct pollfd pfd;
	pid_t again;
	int pidfd, ret;

	pidfd = pidfd_open(supervisor, 0);
	if (pidfd < 0 && errno == ESRCH)
		return EXIT_OK;	/* it just exited */
	if (pidfd < 0) {
		error("pidfd_open %d: %s", (int)supervisor, strerror(errno));
		return EXIT_FAILED;
	}
	/* Still the locked pidfile's pid: the pidfd is the supervisor's. */
	if (!supervisor_running(&again) || again != supervisor) {
		close(pidfd);
		return EXIT_OK;
	}
	if (pidfd_send_signal(pidfd, SIGTERM, NULL, 0) < 0) {
		ret = errno;
		close(pidfd);
		if (ret == ESRCH)
			return EXIT_OK;
		error("cannot signal etssup (pid %d): %s", (int)supervisor,
		      strerror(ret));
		return EXIT_FAILED;
	}
	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	do {
		ret = poll(&pfd, 1, STOP_TIMEOUT_MS);
	} while (ret < 0 && errno == EINTR);
	close(pidfd);
	if (ret <= 0) {
		error("etssup (pid %d) did not exit within %d s",
		      (int)supervisor, STOP_TIMEOUT_MS / 1000);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/*
 * The seed's clean stop: the daemon deletes its table, then etssup stops
 * it (SIGTERM alone keeps the table). The daemon, told to stop, waits for
 * that SIGTERM, or for this connection to close, before it exits, so that
 * etssup never restarts it with a new table: hold the connection until
 * etssup is gone.
 *
 * A daemon that cannot be reached, or did not answer, cannot be asked:
 * etssup is stopped all the same (the table is kept then, or may be), and
 * the exit status says so. One that refused (another uid) is left alone.
 */
static int cmd_stop(const struct options *o)
{
	char answer[ETSCOUNTER_LINE_MAX];
	pid_t supervisor;
	enum asked asked;
	int conn = -1, status;

	if (!supervisor_running(&supervisor))
		/* A daemon run without etssup: ask it to stop itself. */
		return ask(o, "stop", false, true, true);
	asked = ask_daemon(o, "stop", false, false, &conn, answer,
			   sizeof(answer));
	if (asked == REFUSED)
		return EXIT_FAILED;
	status = stop_supervisor(supervisor);
	if (conn >= 0)
		close(conn);
	if (status != EXIT_OK || asked == ANSWERED)
		return status;
	error("stopped etssup; table %s %s kept (etsmgrctl delete %s deletes it)",
	      ETSCOUNTER_TABLE, asked == UNANSWERED ? "may be" : "is",
	      ETSCOUNTER_TABLE);
	return asked == UNANSWERED ? EXIT_NO_ANSWER : EXIT_FAILED;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: etscounter [OPTION...] start|count|check|die|stop\n"
		"The client of etscounterd, a counter kept in an etsmgr table.\n"
		"\n"
		"  start    load etsmgr.ko if needed (root), start etssup supervising\n"
		"           etscounterd in the background, wait until it answers\n"
		"  count    add one to the counter: prints Counter N.\n"
		"  check    print Table: ID, Data [{count,N}].\n"
		"  die      make etscounterd kill itself (etssup restarts it)\n"
		"  stop     stop etscounterd and etssup; the table is deleted (a\n"
		"           SIGTERM to etssup, systemctl stop, keeps it for the next start)\n"
		"\n"
		"  --socket PATH     the daemon's socket (default " ETSCOUNTER_SOCKET_DEFAULT ")\n"
		"  --log FILE        start: reports go to FILE (default " LOG_DEFAULT ")\n"
		"  --intensity N     start: etssup gives up after more than N restarts\n"
		"  --period SECONDS  ... within SECONDS (default %d in %d)\n"
		"  --heir            start: etssup is the heir of the table and gives\n"
		"                    it to the restarted daemon\n"
		"  --standby         start: etssup keeps a standby daemon that takes\n"
		"                    the table over at once when the daemon dies\n"
		"  --socket-group NAME|GID\n"
		"                    start: the socket's group (mode 0660): its members\n"
		"                    may count and check; stop and die are for the\n"
		"                    daemon's uid and root\n"
		"  -v, --verbose     start: say where the supervisor and log are\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 success, 1 failure (not running, refused, error),\n"
		"2 usage, 69 sent but not answered (a count may have been made).\n"
		"See etscounter(1).\n",
		INTENSITY_DEFAULT, PERIOD_DEFAULT);
}

static int parse_uint(const char *text, unsigned int max, unsigned int *value)
{
	uint64_t v;

	if (etsmgr_parse_u64(text, &v) || v > max)
		return -1;
	*value = (unsigned int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "intensity", required_argument, NULL, 'i' },
		{ "period", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "heir", no_argument, NULL, 'H' },
		{ "standby", no_argument, NULL, 'S' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = {
		.socket_path = ETSCOUNTER_SOCKET_DEFAULT,
		.log_path = LOG_DEFAULT,
		.intensity = INTENSITY_DEFAULT,
		.period = PERIOD_DEFAULT,
		.socket_gid = (gid_t)-1,
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "vh", long_options, NULL)) != -1) {
		switch (opt) {
		case 's':
			o.socket_path = optarg;
			break;
		case 'l':
			o.log_path = optarg;
			break;
		case 'i':
			if (parse_uint(optarg, 100000, &o.intensity))
				goto bad_number;
			break;
		case 'p':
			if (parse_uint(optarg, 31536000, &o.period) ||
			    o.period == 0)
				goto bad_number;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'H':
			o.heir = true;
			break;
		case 'S':
			o.standby = true;
			break;
		case 'g':
			if (parse_group(optarg, &o.socket_gid)) {
				fprintf(stderr, "etscounter: unknown group %s (--socket-group NAME or GID)\n",
					optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "etscounter: %s\n", optind == argc ?
			"missing command" : "one command at a time");
		usage(stderr);
		return EXIT_USAGE;
	}
	command = argv[optind];

	if (strcmp(command, "start") == 0)
		return cmd_start(&o);
	if (strcmp(command, "count") == 0)
		return ask(&o, "count", false, false, false);
	if (strcmp(command, "check") == 0)
		return ask(&o, "check", true, false, false);
	if (strcmp(command, "die") == 0)
		return ask(&o, "die", false, true, true);
	if (strcmp(command, "stop") == 0)
		return cmd_stop(&o);
	fprintf(stderr, "etscounter: unknown command %s\n", command);
	usage(stderr);
	return EXIT_USAGE;

bad_number:
	fprintf(stderr, "etscounter: bad number for --%s: %s\n",
		long_options[opt == 'i' ? 2 : 3].name, optarg);
	usage(stderr);
	return EXIT_USAGE;
}
