// SPDX-License-Identifier: GPL-2.0
/*
 * bench/restart_floor: the floor of the recovery rows, what any
 * supervisor restart of a server pays, measured as recovery_bench
 * measures etscounterd: KILLS times,
 *
 *   a request answered (connect, read one byte), t0, SIGKILL the server
 *   (pidfd), wait until it is dead, then connect and read until a byte
 *   is answered (retrying every 0.1 ms while refused), t1.
 *
 * Three processes, as in the real rows (recovery_bench, etssup,
 * etscounterd): this one is the client; a "supervisor" child holds the
 * listening socket (as etssup --listen does) and loops on fork, exec of
 * a trivial server, waitpid; the server (this program again, with
 * --serve) accepts on the inherited descriptor 3 and writes one byte.
 * So a restart here is the death, the supervisor's wake-up, fork, exec
 * (loading a binary linked against libc only), the first accept and one
 * write: no state, no reclaim, no logging.
 *
 * usage: restart_floor SOCKET KILLS PAUSE_MS base|peer LABEL
 * PAUSE_MS is slept before each kill, as in recovery_bench. Prints one
 * ROW, group "recovery".
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define WAIT_NS 10000000000ull	/* a restart that takes longer fails */
#define LISTEN_FD 3		/* sd_listen_fds(3)'s first descriptor */
#define REPLY 'F'

static struct sockaddr_un addr = { .sun_family = AF_UNIX };

/* --serve: the trivial server, on the listening socket it inherited. */
static int serve(void)
{
	const char reply = REPLY;

	for (;;) {
		int c = accept4(LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (write(c, &reply, 1) != 1)
			return 1;
		close(c);
	}
}

/* The supervisor: fork, exec the server, tell its pid, reap it, again. */
static void __attribute__((noreturn))
supervise(const char *self, int listener, int pids)
{
	char *const argv[] = { (char *)self, "--serve", NULL };
	int status;

	for (;;) {
		pid_t pid = fork();

		if (pid < 0)
			bench_die("supervisor: fork: %s", strerror(errno));
		if (pid == 0) {
			/* Close-on-exec off: the server gets it as fd 3. */
			if (listener == LISTEN_FD ?
			    fcntl(listener, F_SETFD, 0) :
			    dup2(listener, LISTEN_FD) != LISTEN_FD)
				_exit(127);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			execv(self, argv);
			_exit(127);
		}
		if (write(pids, &pid, sizeof(pid)) != sizeof(pid))
			bench_die("supervisor: pid pipe: %s", strerror(errno));
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				bench_die("supervisor: waitpid: %s", strerror(errno));
		/* Only a kill is expected; our death ends the client's wait. */
		if (!WIFSIGNALED(status))
			bench_die("supervisor: the server exited with status %d",
				  WEXITSTATUS(status));
	}
}

/*
 * One request: 0 when a byte was answered, -1 when the connection was
 * refused (nobody listens), 1 when it broke before an answer.
 */
static int request(void)
{
	char byte;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		bench_die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		int e = errno;

		close(fd);
		if (e == ECONNREFUSED || e == ENOENT)
			return -1;
		bench_die("connect %s: %s", addr.sun_path, strerror(e));
	}
	if (read(fd, &byte, 1) != 1) {
		close(fd);
		return 1;
	}
	close(fd);
	if (byte != REPLY)
		bench_die("the server answered %#x, want %#x", byte, REPLY);
	return 0;
}

static pid_t next_pid(int pids)
{
	pid_t pid;

	if (read(pids, &pid, sizeof(pid)) != sizeof(pid))
		bench_die("no pid from the supervisor");
	return pid;
}

int main(int argc, char **argv)
{
	struct bench_samples s = { 0 };
	const struct timespec pause = { .tv_nsec = 100000 };	/* 0.1 ms */
	char self[PATH_MAX];
	int kills, pause_ms, k, listener, pipefd[2], status;
	pid_t supervisor;
	ssize_t n;

	if (argc == 2 && !strcmp(argv[1], "--serve"))
		return serve();
	if (argc != 6 || (strcmp(argv[4], "base") && strcmp(argv[4], "peer")))
		bench_die("usage: restart_floor SOCKET KILLS PAUSE_MS base|peer LABEL");
	kills = atoi(argv[2]);
	pause_ms = atoi(argv[3]);
	if (kills < 1 || pause_ms < 0)
		bench_die("bad KILLS or PAUSE_MS");
	if (strlen(argv[1]) >= sizeof(addr.sun_path))
		bench_die("socket path too long: %s", argv[1]);
	strcpy(addr.sun_path, argv[1]);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		bench_die("readlink /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';

	unlink(addr.sun_path);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 ||
	    bind(listener, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listener, 64))
		bench_die("listen on %s: %s", addr.sun_path, strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC))
		bench_die("pipe: %s", strerror(errno));
	supervisor = fork();
	if (supervisor < 0)
		bench_die("fork: %s", strerror(errno));
	if (supervisor == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pipefd[0]);
		supervise(self, listener, pipefd[1]);
	}
	close(listener);	/* the supervisor holds it, as etssup does */
	close(pipefd[1]);

	for (k = 0; k < kills; k++) {
		uint64_t t0, t1;
		struct pollfd pfd;
		pid_t pid;
		int pidfd, rc;

		usleep(pause_ms * 1000);
		if (request())
			bench_die("request before kill %d: no answer", k + 1);
		pid = next_pid(pipefd[0]);
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			bench_die("pidfd_open %d: %s", (int)pid, strerror(errno));
		t0 = bench_now_ns();
		if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0))
			bench_die("SIGKILL the server: %s", strerror(errno));
		/* Dead: from now on no request can reach the old server. */
		pfd.fd = pidfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10000) != 1)
			bench_die("a SIGKILLed server did not die");
		close(pidfd);
		for (;;) {
			rc = request();
			if (rc == 0)
				break;
			if (bench_now_ns() - t0 > WAIT_NS)
				bench_die("no answer within 10 s of kill %d", k + 1);
			nanosleep(&pause, NULL);
		}
		t1 = bench_now_ns();
		bench_add(&s, (double)(t1 - t0));
	}
	/* The last server dies with the supervisor (PR_SET_PDEATHSIG). */
	kill(supervisor, SIGKILL);
	waitpid(supervisor, &status, 0);
	unlink(addr.sun_path);
	bench_row_latency("recovery", argv[4], argv[5], "ms", &s);
	return 0;
}
