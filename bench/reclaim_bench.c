// SPDX-License-Identifier: GPL-2.0
/*
 * bench/reclaim_bench: how long a restarted process takes to get its
 * state's memory back, side by side, in rounds (each round runs every
 * method once, in a rotating order, so that noise hits them alike):
 *
 *   floor                one ioctl (FIONREAD, answered by the VFS) on an
 *                        open memfd that holds the state, mmap, read the
 *                        first word: what any reclaim of kept memory
 *                        through a descriptor pays (the section's base)
 *   etsmgr ATTACH+mmap   ETSMGR_IOC_ATTACH of a held table on an open
 *                        session, mmap, read the first word
 *   etsmgr open+ATTACH+mmap   the same with the open(2) of /dev/etsmgr
 *                        (what a freshly started process does)
 *   memfd_create+mmap    memfd_create, ftruncate, mmap, read (fresh,
 *                        empty memory: the cost of NOT keeping state)
 *   shm_open+mmap        shm_open of an existing POSIX shm object, mmap,
 *                        read (state kept in /dev/shm)
 *   SCM_RIGHTS+mmap      connect to a holder process, receive its memfd
 *                        over SCM_RIGHTS, mmap, read (the systemd
 *                        fd-store model)
 *
 * Every reclaimed mapping must show the magic word written before (and
 * the fresh memfd zero), else it exits 1. The process and the holder run
 * on CPU 0. Needs /dev/etsmgr.
 *
 * usage: reclaim_bench [ROUNDS [SIZE]]   (default 3000 rounds, 65536 B)
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/etsmgr.h>

#include "bench.h"

#define TABLE "bench.reclaim"
#define SHM_NAME "/etsmgr-bench-reclaim"
#define MAGIC 0x65747367725f6231ull
#define WARMUP 50

static size_t size = 65536;
static int floor_fd = -1;	/* the floor's memfd, open all along */

static int attach(int session, uint32_t flags, struct etsmgr_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->flags = flags;
	a->access = ETSMGR_ACCESS_PROTECTED;
	a->size = size;
	strcpy(a->name, TABLE);
	return ioctl(session, ETSMGR_IOC_ATTACH, a);
}

static volatile uint64_t *map(int fd, off_t offset, const char *what)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       offset);

	if (p == MAP_FAILED)
		bench_die("mmap of %s: %s", what, strerror(errno));
	return p;
}

static void check(volatile uint64_t *p, uint64_t want, const char *what)
{
	if (*p != want)
		bench_die("%s: read %#llx, want %#llx", what,
			  (unsigned long long)*p, (unsigned long long)want);
}

/* Create the held table with the magic word, and the shm object. */
static void setup(void)
{
	struct etsmgr_attach a;
	struct etsmgr_ref ref = { 0 };
	volatile uint64_t *p;
	int fd;

	fd = open(ETSMGR_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		bench_die("open %s: %s", ETSMGR_DEVICE_PATH, strerror(errno));
	/* A leftover of an earlier run goes first. */
	if (attach(fd, 0, &a) == 0) {
		ref.id = a.id;
		if (ioctl(fd, ETSMGR_IOC_DELETE, &ref))
			bench_die("delete of an old %s: %s", TABLE, strerror(errno));
	}
	if (attach(fd, ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL, &a))
		bench_die("create %s: %s", TABLE, strerror(errno));
	p = map(fd, a.mmap_offset, TABLE);
	*p = MAGIC;
	munmap((void *)p, size);
	close(fd);	/* the table is now held */

	floor_fd = memfd_create("bench-floor", MFD_CLOEXEC);
	if (floor_fd < 0 || ftruncate(floor_fd, size))
		bench_die("memfd for the floor: %s", strerror(errno));
	p = map(floor_fd, 0, "the floor's memfd");
	*p = MAGIC;
	munmap((void *)p, size);

	shm_unlink(SHM_NAME);
	fd = shm_open(SHM_NAME, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, size))
		bench_die("shm_open %s: %s", SHM_NAME, strerror(errno));
	p = map(fd, 0, SHM_NAME);
	*p = MAGIC;
	munmap((void *)p, size);
	close(fd);
}

static void teardown(void)
{
	struct etsmgr_attach a;
	struct etsmgr_ref ref = { 0 };
	int fd = open(ETSMGR_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0 || attach(fd, 0, &a))
		bench_die("reclaim of %s at the end: %s", TABLE, strerror(errno));
	ref.id = a.id;
	if (ioctl(fd, ETSMGR_IOC_DELETE, &ref))
		bench_die("delete %s: %s", TABLE, strerror(errno));
	close(fd);
	shm_unlink(SHM_NAME);
}

/* ------------------------------------------------- the fd-store holder */

static struct sockaddr_un holder_addr;
static socklen_t holder_len;
static pid_t holder_pid;

static void holder_serve(int listener, int ready)
{
	char byte = 1;
	volatile uint64_t *p;
	int memfd = memfd_create("bench-holder", MFD_CLOEXEC);

	if (memfd < 0 || ftruncate(memfd, size))
		bench_die("holder: memfd: %s", strerror(errno));
	p = map(memfd, 0, "the holder's memfd");
	*p = MAGIC;
	if (write(ready, &byte, 1) != 1)
		bench_die("holder: ready pipe: %s", strerror(errno));
	close(ready);
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);

		if (conn < 0) {
			if (errno == EINTR)
				continue;
			bench_die("holder: accept: %s", strerror(errno));
		}
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &memfd, sizeof(int));
		if (sendmsg(conn, &msg, MSG_NOSIGNAL) != 1)
			bench_die("holder: sendmsg: %s", strerror(errno));
		close(conn);
	}
}

static void holder_start(void)
{
	int listener, pipefd[2];
	char byte;

	memset(&holder_addr, 0, sizeof(holder_addr));
	holder_addr.sun_family = AF_UNIX;
	/* An abstract address: nothing to clean up in the file system. */
	snprintf(holder_addr.sun_path + 1, sizeof(holder_addr.sun_path) - 1,
		 "etsmgr-bench-holder-%d", (int)getpid());
	holder_len = offsetof(struct sockaddr_un, sun_path) + 1 +
		     strlen(holder_addr.sun_path + 1);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 ||
	    bind(listener, (struct sockaddr *)&holder_addr, holder_len) ||
	    listen(listener, 64))
		bench_die("holder socket: %s", strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC))
		bench_die("pipe: %s", strerror(errno));
	holder_pid = fork();
	if (holder_pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (holder_pid == 0) {
		close(pipefd[0]);
		holder_serve(listener, pipefd[1]);
	}
	close(listener);
	close(pipefd[1]);
	if (read(pipefd[0], &byte, 1) != 1)
		bench_die("the fd-store holder did not start");
	close(pipefd[0]);
}

static void holder_stop(void)
{
	int status;

	kill(holder_pid, SIGTERM);
	waitpid(holder_pid, &status, 0);
}

static int receive_fd(void)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int sock, fd;

	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 ||
	    connect(sock, (struct sockaddr *)&holder_addr, holder_len))
		bench_die("connect to the holder: %s", strerror(errno));
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		bench_die("recvmsg from the holder: %s", strerror(errno));
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		bench_die("the holder sent no descriptor");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	close(sock);
	return fd;
}

/* --------------------------------------------------------- the methods */

enum { M_FLOOR, M_ATTACH, M_OPEN_ATTACH, M_MEMFD, M_SHM, M_SCM, M_COUNT };

static const struct {
	const char *role, *label;
} methods[M_COUNT] = {
	[M_FLOOR] = { "base", "floor: one ioctl (FIONREAD) + mmap of an open memfd + first fault" },
	[M_ATTACH] = { "peer", "etsmgr reclaim: ATTACH + mmap (session open)" },
	[M_OPEN_ATTACH] = { "peer", "etsmgr reclaim: open + ATTACH + mmap" },
	[M_MEMFD] = { "peer", "memfd_create + ftruncate + mmap (fresh, no state)" },
	[M_SHM] = { "peer", "shm_open + mmap (existing /dev/shm object)" },
	[M_SCM] = { "peer", "SCM_RIGHTS memfd from a holder + mmap (fd store)" },
};

/* One timed run of @m; returns nanoseconds. */
static uint64_t run(int m)
{
	struct etsmgr_attach a;
	volatile uint64_t *p;
	uint64_t t0, t1;
	int fd = -1, session = -1;

	switch (m) {
	case M_FLOOR: {
		int avail = -1;

		t0 = bench_now_ns();
		if (ioctl(floor_fd, FIONREAD, &avail))
			bench_die("FIONREAD on the floor's memfd: %s",
				  strerror(errno));
		p = map(floor_fd, 0, "the floor's memfd");
		check(p, MAGIC, "the floor's memfd");
		t1 = bench_now_ns();
		/* At offset 0 the VFS answers the file's size. */
		if (avail != (int)size)
			bench_die("FIONREAD said %d, want %zu", avail, size);
		munmap((void *)p, size);
		return t1 - t0;	/* the memfd stays open */
	}
	case M_ATTACH:
		session = open(ETSMGR_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (session < 0)
			bench_die("open: %s", strerror(errno));
		t0 = bench_now_ns();
		if (attach(session, 0, &a))
			bench_die("ATTACH %s: %s", TABLE, strerror(errno));
		p = map(session, a.mmap_offset, TABLE);
		check(p, MAGIC, TABLE);
		t1 = bench_now_ns();
		if (a.result != ETSMGR_RESULT_RECLAIMED)
			bench_die("ATTACH result %u, want reclaimed", a.result);
		fd = session;
		break;
	case M_OPEN_ATTACH:
		t0 = bench_now_ns();
		session = open(ETSMGR_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (session < 0)
			bench_die("open: %s", strerror(errno));
		if (attach(session, 0, &a))
			bench_die("ATTACH %s: %s", TABLE, strerror(errno));
		p = map(session, a.mmap_offset, TABLE);
		check(p, MAGIC, TABLE);
		t1 = bench_now_ns();
		if (a.result != ETSMGR_RESULT_RECLAIMED)
			bench_die("ATTACH result %u, want reclaimed", a.result);
		fd = session;
		break;
	case M_MEMFD:
		t0 = bench_now_ns();
		fd = memfd_create("bench", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, size))
			bench_die("memfd: %s", strerror(errno));
		p = map(fd, 0, "memfd");
		check(p, 0, "a fresh memfd");
		t1 = bench_now_ns();
		break;
	case M_SHM:
		t0 = bench_now_ns();
		fd = shm_open(SHM_NAME, O_RDWR | O_CLOEXEC, 0);
		if (fd < 0)
			bench_die("shm_open: %s", strerror(errno));
		p = map(fd, 0, SHM_NAME);
		check(p, MAGIC, SHM_NAME);
		t1 = bench_now_ns();
		break;
	case M_SCM:
		t0 = bench_now_ns();
		fd = receive_fd();
		p = map(fd, 0, "the received memfd");
		check(p, MAGIC, "the received memfd");
		t1 = bench_now_ns();
		break;
	default:
		bench_die("bad method %d", m);
	}
	munmap((void *)p, size);
	close(fd);	/* for etsmgr: the table is held again */
	return t1 - t0;
}

int main(int argc, char **argv)
{
	struct bench_samples s[M_COUNT] = { 0 };
	long rounds = argc > 1 ? atol(argv[1]) : 3000;
	cpu_set_t cpu0;
	int r, i;

	if (argc > 2)
		size = strtoull(argv[2], NULL, 0);
	if (rounds < 1 || size < 4096)
		bench_die("usage: reclaim_bench [ROUNDS [SIZE]]");
	/*
	 * Everything on CPU 0, the holder too: a cross-process wake-up is
	 * then a context switch, not the wake-up of an idle vCPU (which
	 * under emulation on a busy host costs milliseconds).
	 */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
		bench_die("cannot pin to CPU 0: %s", strerror(errno));
	setup();
	holder_start();
	for (r = 0; r < rounds + WARMUP; r++) {
		for (i = 0; i < M_COUNT; i++) {
			int m = (r + i) % M_COUNT;
			uint64_t ns = run(m);

			if (r >= WARMUP)
				bench_add(&s[m], (double)ns);
		}
	}
	holder_stop();
	teardown();
	close(floor_fd);
	for (i = 0; i < M_COUNT; i++)
		bench_row_latency("reclaim", methods[i].role, methods[i].label,
				  "us", &s[i]);
	return 0;
}
