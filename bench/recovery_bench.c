// SPDX-License-Identifier: GPL-2.0
/*
 * bench/recovery_bench: crash-to-serving time of etscounterd under etssup,
 * as selftests/etscounter_tool.py's "recovery" but in C (so the client's
 * own speed under emulation does not weigh in): KILLS times,
 *
 *   count (answered "Counter N."), find the daemon that owns TABLE (with
 *   etssup --standby a second, idle instance runs beside it), t0,
 *   SIGKILL it (pidfd), wait until it is dead, then send "count"
 *   until one is answered (connect refused meanwhile, or, with etssup
 *   --listen, the connection waits in the backlog, while the daemon is
 *   restarted or the standby takes over), t1; the answer must be
 *   "Counter N+1." (the old value kept), else exit 1.
 *
 * usage: recovery_bench SOCKET TABLE KILLS PAUSE_MS base|peer LABEL
 * PAUSE_MS is slept before each kill (the Erlang peer needs it: its
 * supervisor gives up after 10 restarts in 5 s; ours is paced alike, and
 * a new standby gets time to start). Prints one ROW, group "recovery".
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/etsmgr.h>

#include "bench.h"

#define WAIT_NS 10000000000ull	/* a restart that takes longer fails */

static const char *sock_path;

/*
 * One request; the answer in @buf. Returns 0, -1 when the connection was
 * refused (nobody serves yet), 1 when it broke before an answer.
 */
static int request(const char *line, char *buf, size_t len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t got = 0;
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		bench_die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		int e = errno;

		close(fd);
		if (e == ECONNREFUSED || e == ENOENT)
			return -1;
		bench_die("connect %s: %s", sock_path, strerror(e));
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		return 1;
	}
	while (got < len - 1) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n <= 0) {
			close(fd);
			return 1;
		}
		got += n;
		if (buf[got - 1] == '\n')
			break;
	}
	buf[got] = '\0';
	close(fd);
	return got && buf[got - 1] == '\n' ? 0 : 1;
}

static long long parse_counter(const char *answer)
{
	long long n;

	if (sscanf(answer, "Counter %lld.", &n) != 1)
		bench_die("unexpected answer to count: %s", answer);
	return n;
}

/*
 * The pid of the table's owner (ETSMGR_IOC_INFO): the serving daemon, not
 * a standby instance that waits beside it.
 */
static pid_t owner_pid(const char *table)
{
	uint64_t deadline = bench_now_ns() + WAIT_NS;
	struct etsmgr_info info;
	int fd = open(ETSMGR_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		bench_die("open %s: %s", ETSMGR_DEVICE_PATH, strerror(errno));
	while (bench_now_ns() < deadline) {
		memset(&info, 0, sizeof(info));
		snprintf(info.ref.name, sizeof(info.ref.name), "%s", table);
		if (ioctl(fd, ETSMGR_IOC_INFO, &info))
			bench_die("INFO of table %s: %s", table, strerror(errno));
		if (info.state == ETSMGR_STATE_OWNED && info.owner_pid > 0) {
			close(fd);
			return info.owner_pid;
		}
		usleep(1000);
	}
	bench_die("table %s has no owner", table);
}

int main(int argc, char **argv)
{
	struct bench_samples s = { 0 };
	const struct timespec pause = { .tv_nsec = 100000 };	/* 0.1 ms */
	char answer[256];
	int kills, pause_ms, k;

	if (argc != 7 || (strcmp(argv[5], "base") && strcmp(argv[5], "peer")))
		bench_die("usage: recovery_bench SOCKET TABLE KILLS PAUSE_MS base|peer LABEL");
	sock_path = argv[1];
	kills = atoi(argv[3]);
	pause_ms = atoi(argv[4]);
	if (kills < 1 || pause_ms < 0)
		bench_die("bad KILLS or PAUSE_MS");
	for (k = 0; k < kills; k++) {
		long long before, after;
		uint64_t t0, t1;
		struct pollfd pfd;
		pid_t pid;
		int pidfd, rc;

		usleep(pause_ms * 1000);
		if (request("count\n", answer, sizeof(answer)))
			bench_die("count before kill %d: no answer", k + 1);
		before = parse_counter(answer);
		pid = owner_pid(argv[2]);
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			bench_die("pidfd_open %d: %s", (int)pid, strerror(errno));
		t0 = bench_now_ns();
		if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0))
			bench_die("SIGKILL etscounterd: %s", strerror(errno));
		/* Dead: from now on no request can reach the old daemon. */
		pfd.fd = pidfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10000) != 1)
			bench_die("a SIGKILLed etscounterd did not die");
		close(pidfd);
		for (;;) {
			rc = request("count\n", answer, sizeof(answer));
			if (rc == 0)
				break;
			if (bench_now_ns() - t0 > WAIT_NS)
				bench_die("no count answered within 10 s of kill %d", k + 1);
			nanosleep(&pause, NULL);
		}
		t1 = bench_now_ns();
		after = parse_counter(answer);
		if (after != before + 1)
			bench_die("after kill %d: Counter %lld., want %lld (the old value + 1)",
				  k + 1, after, before + 1);
		bench_add(&s, (double)(t1 - t0));
	}
	bench_row_latency("recovery", argv[5], argv[6], "ms", &s);
	return 0;
}
