// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: handing tables between processes, as ETS's heir and
 * give_away/3. GIVE to a pidfd, SET_HEIR and the transfer on the owner's
 * death, the receiving side (poll EPOLLIN, RECEIVE), and every refusal:
 * not the owner, another uid, a dead process, one without a session, a
 * file that is not a pidfd.
 */
#include "etsmgr_util.h"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

ETS_FIXTURE(handoff)

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int handoff(int fd, unsigned long cmd, __u64 id, int pidfd, __u64 data)
{
	struct etsmgr_handoff h = { .id = id, .pidfd = pidfd, .data = data };

	return ets_ioctl(fd, cmd, &h);
}

/*
 * A peer process: opens a session unless @no_session, says "ready" on its
 * pipe, and waits until the parent writes a byte (or dies). Then it
 * receives one notice within 5 s if @receive, maps the table read-write
 * to prove it owns it, and reports the notice through shared memory.
 */
struct peer {
	pid_t pid;
	int pidfd;
	int go;			/* parent's end: write a byte to proceed */
	struct peer_shm {
		int ret;	/* RECEIVE's result */
		int polled;	/* poll saw EPOLLIN */
		int mapped;	/* mmap read-write of the received table */
		struct etsmgr_received r;
	} *shm;
};

static int peer_start(struct peer *p, int no_session, int receive, int nobody)
{
	int ready[2], go[2];
	char c;

	p->shm = ets_shared_alloc(sizeof(*p->shm));
	if (!p->shm || pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		struct pollfd pfd;
		int fd = -1;
		void *m;

		close(ready[0]);
		close(go[1]);
		if (nobody && ets_become_nobody())
			_exit(ETS_CHILD_SETUP_FAILED);
		if (!no_session) {
			fd = ets_open();
			if (fd < 0)
				_exit(ETS_CHILD_OPEN_FAILED);
		}
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(0);
		if (receive && fd >= 0) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			p->shm->polled = poll(&pfd, 1, 5000) == 1 &&
					 (pfd.revents & POLLIN);
			p->shm->ret = ets_ioctl(fd, ETSMGR_IOC_RECEIVE,
						&p->shm->r);
			if (!p->shm->ret) {
				m = mmap(NULL, p->shm->r.size,
					 PROT_READ | PROT_WRITE, MAP_SHARED,
					 fd, p->shm->r.mmap_offset);
				p->shm->mapped = m != MAP_FAILED;
			}
		}
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	p->go = go[1];
	p->pidfd = pidfd_open(p->pid);
	if (read(ready[0], &c, 1) != 1 || p->pidfd < 0) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	return 0;
}

/* Let the peer go on, and wait for it: its wait status. */
static int peer_finish(struct peer *p)
{
	int st;

	if (write(p->go, "g", 1) != 1)
		return -1;
	close(p->go);
	st = ets_wait(p->pid);
	close(p->pidfd);
	return st;
}

TEST_F(handoff, give_to_process_with_session)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info info;
	struct peer p;
	int fd, err;
	void *m;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, peer_start(&p, 0, 1, 0));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ASSERT_EQ(0, handoff(fd, ETSMGR_IOC_GIVE, a.id, p.pidfd, 77));
	/* The giver keeps no owner rights. */
	ASSERT_EQ(0, ets_info_id(fd, a.id, &info));
	EXPECT_EQ(0U, info.owned_by_caller);
	EXPECT_EQ(p.pid, info.owner_pid);
	EXPECT_EQ(U64(2), info.generation);
	EXPECT_EQ(-EPERM, handoff(fd, ETSMGR_IOC_GIVE, a.id, p.pidfd, 0));
	m = ets_map(fd, a.mmap_offset, 4096, PROT_READ, &err);
	EXPECT_EQ(NULL, m);
	EXPECT_EQ(-EACCES, err);

	ASSERT_EQ(0, peer_finish(&p));
	EXPECT_TRUE(p.shm->polled);
	ASSERT_EQ(0, p.shm->ret);
	EXPECT_EQ(a.id, p.shm->r.id);
	EXPECT_STREQ(n, p.shm->r.name);
	EXPECT_EQ(U32(ETSMGR_RECEIVED_GIVEN), p.shm->r.how);
	EXPECT_EQ(U64(77), p.shm->r.data);
	EXPECT_EQ(getpid(), p.shm->r.from_pid);
	EXPECT_EQ(U64(2), p.shm->r.generation);
	EXPECT_TRUE(p.shm->mapped);
	close(fd);
	/* The peer exited: the table is held, reclaimable by us. */
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(handoff, give_to_process_without_session_enxio)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct peer p;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, peer_start(&p, 1, 0, 0));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	EXPECT_EQ(-ENXIO, handoff(fd, ETSMGR_IOC_GIVE, a.id, p.pidfd, 0));
	EXPECT_EQ(0, peer_finish(&p));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(handoff, give_to_dead_process_esrch)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct peer p;
	int fd, pidfd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, peer_start(&p, 0, 0, 0));
	pidfd = dup(p.pidfd);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, peer_finish(&p));	/* exited and reaped */
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	EXPECT_EQ(-ESRCH, handoff(fd, ETSMGR_IOC_GIVE, a.id, pidfd, 0));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(pidfd);
	close(fd);
}

TEST_F(handoff, give_not_a_pidfd_ebadf)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd, other;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, other);
	EXPECT_EQ(-EBADF, handoff(fd, ETSMGR_IOC_GIVE, a.id, other, 0));
	EXPECT_EQ(-EBADF, handoff(fd, ETSMGR_IOC_GIVE, a.id, 9999, 0));
	EXPECT_EQ(-EINVAL, handoff(fd, ETSMGR_IOC_GIVE, a.id, -1, 0));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(other);
	close(fd);
}

TEST_F(handoff, give_by_non_owner_eperm)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd, fd2, self_pidfd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	fd2 = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	self_pidfd = pidfd_open(getpid());
	ASSERT_LE(0, self_pidfd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	EXPECT_EQ(-EPERM, handoff(fd2, ETSMGR_IOC_GIVE, a.id, self_pidfd, 0));
	EXPECT_EQ(-EPERM, handoff(fd2, ETSMGR_IOC_SET_HEIR, a.id, self_pidfd,
				  0));
	EXPECT_EQ(-ENOENT, handoff(fd, ETSMGR_IOC_GIVE, a.id + 12345,
				   self_pidfd, 0));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(self_pidfd);
	close(fd2);
	close(fd);
}

TEST_F(handoff, give_to_other_uid_without_cap_sys_admin_eperm)
{
	struct peer p;
	pid_t pid;

	ETS_REQUIRE_ROOT();
	/* Root's process, with a session, as the would-be receiver. */
	ASSERT_EQ(0, peer_start(&p, 0, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct etsmgr_attach a;
		int fd, ret;

		if (ets_become_nobody())
			_exit(ETS_CHILD_SETUP_FAILED);
		fd = ets_open();
		if (fd < 0 || ets_create(fd, ETS_NAME("t"),
					 ETSMGR_ACCESS_PRIVATE, 4096, &a))
			_exit(ETS_CHILD_OPEN_FAILED);
		ret = handoff(fd, ETSMGR_IOC_GIVE, a.id, p.pidfd, 0);
		ets_delete_id(fd, a.id);
		_exit(ret == -EPERM ? 0 : 1);
	}
	EXPECT_EQ(0, ets_wait(pid));
	EXPECT_EQ(0, peer_finish(&p));
}

TEST_F(handoff, receive_nothing_pending_eagain)
{
	struct etsmgr_received r;
	struct pollfd pfd;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	pfd.fd = fd;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(-EAGAIN, ets_ioctl(fd, ETSMGR_IOC_RECEIVE, &r));
	close(fd);
}

/*
 * An owner child that creates @name, names @heir_pid's process its heir
 * with @data (heir_pid 0: the manager), then is killed with SIGKILL.
 */
static int owner_dies_with_heir(const char *name, pid_t heir_pid, __u64 data,
				__u64 *id)
{
	int ready[2];
	pid_t pid;
	__u64 got;
	int st;

	if (pipe2(ready, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct etsmgr_attach a;
		int fd = ets_open(), hfd = -1;

		close(ready[0]);
		if (fd < 0 || ets_create(fd, name, ETSMGR_ACCESS_PRIVATE, 4096,
					 &a))
			_exit(ETS_CHILD_OPEN_FAILED);
		if (heir_pid) {
			hfd = pidfd_open(heir_pid);
			if (hfd < 0 || handoff(fd, ETSMGR_IOC_SET_HEIR, a.id,
					       hfd, data))
				_exit(ETS_CHILD_BAD);
		}
		if (write(ready[1], &a.id, sizeof(a.id)) != sizeof(a.id))
			_exit(ETS_CHILD_BAD);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &got, sizeof(got)) != sizeof(got)) {
		close(ready[0]);
		ets_wait(pid);
		return -1;
	}
	close(ready[0]);
	*id = got;
	kill(pid, SIGKILL);
	st = ets_wait(pid);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? pid : -1;
}

TEST_F(handoff, heir_gets_table_when_owner_killed)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_received r;
	struct etsmgr_info info;
	struct pollfd pfd;
	pid_t owner;
	__u64 id;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	owner = owner_dies_with_heir(n, getpid(), 4242, &id);
	ASSERT_LT(0, owner);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(0, ets_ioctl(fd, ETSMGR_IOC_RECEIVE, &r));
	EXPECT_EQ(id, r.id);
	EXPECT_EQ(U32(ETSMGR_RECEIVED_HEIR), r.how);
	EXPECT_EQ(U64(4242), r.data);
	EXPECT_EQ(owner, r.from_pid);
	EXPECT_EQ(U32(ETSMGR_EXIT_SIGNALED), r.exit_reason);
	EXPECT_EQ(SIGKILL, r.exit_status);
	ASSERT_EQ(0, ets_info_id(fd, id, &info));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), info.state);
	EXPECT_EQ(1U, info.owned_by_caller);
	EXPECT_EQ(U64(2), info.generation);
	EXPECT_EQ(-EAGAIN, ets_ioctl(fd, ETSMGR_IOC_RECEIVE, &r));
	EXPECT_EQ(0, ets_delete_id(fd, id));
	close(fd);
}

TEST_F(handoff, heir_without_session_manager_holds)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_info info;
	pid_t owner;
	__u64 id;
	int fd;

	ETS_REQUIRE_DEVICE();
	/* This process is the heir but has no session when the owner dies. */
	owner = owner_dies_with_heir(n, getpid(), 1, &id);
	ASSERT_LT(0, owner);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_info_id(fd, id, &info));
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), info.state);
	EXPECT_EQ(U32(ETSMGR_EXIT_SIGNALED), info.exit_reason);
	close(fd);
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(handoff, heir_gone_manager_holds)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_info info;
	int fd, ready[2];
	struct peer p;
	pid_t owner;
	__u64 id;
	char c;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, peer_start(&p, 0, 0, 0));
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	owner = fork();
	ASSERT_LE(0, owner);
	if (owner == 0) {
		struct etsmgr_attach a;
		int sfd = ets_open();

		if (sfd < 0 || ets_create(sfd, n, ETSMGR_ACCESS_PRIVATE, 4096,
					  &a) ||
		    handoff(sfd, ETSMGR_IOC_SET_HEIR, a.id, p.pidfd, 0) ||
		    write(ready[1], "r", 1) != 1)
			_exit(ETS_CHILD_BAD);
		/* Wait for the heir to be gone, then die. */
		while (kill(p.pid, 0) == 0 || errno != ESRCH)
			usleep(10000);
		_exit(0);
	}
	close(ready[1]);
	/* The heir is named while it lives; only then does it go. */
	ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);
	ASSERT_EQ(0, peer_finish(&p));
	EXPECT_EQ(0, ets_wait(owner));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_info_name(fd, n, &info));
	id = info.id;
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), info.state);
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), info.exit_reason);
	close(fd);
	EXPECT_LT(U64(0), id);
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(handoff, set_heir_manager_again)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info info;
	int fd, keep, self_pidfd;

	ETS_REQUIRE_DEVICE();
	keep = ets_open();
	ASSERT_LE(0, keep);
	self_pidfd = pidfd_open(getpid());
	ASSERT_LE(0, self_pidfd);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ASSERT_EQ(0, handoff(fd, ETSMGR_IOC_SET_HEIR, a.id, self_pidfd, 5));
	ASSERT_EQ(0, handoff(fd, ETSMGR_IOC_SET_HEIR, a.id, -1, 0));
	close(fd);
	/* The manager, not this process's other session, holds it. */
	ASSERT_EQ(0, ets_info_id(keep, a.id, &info));
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), info.state);
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), info.exit_reason);
	close(self_pidfd);
	close(keep);
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(handoff, heir_is_another_session_of_the_same_process)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_received r;
	struct etsmgr_attach a;
	int fd, heir, self_pidfd;

	ETS_REQUIRE_DEVICE();
	heir = ets_open();
	ASSERT_LE(0, heir);
	self_pidfd = pidfd_open(getpid());
	ASSERT_LE(0, self_pidfd);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ASSERT_EQ(0, handoff(fd, ETSMGR_IOC_SET_HEIR, a.id, self_pidfd, 9));
	close(fd);
	/* Closing the owner session hands the table to the live one. */
	ASSERT_EQ(0, ets_ioctl(heir, ETSMGR_IOC_RECEIVE, &r));
	EXPECT_EQ(a.id, r.id);
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), r.exit_reason);
	EXPECT_EQ(U64(9), r.data);
	EXPECT_EQ(0, ets_delete_id(heir, a.id));
	close(self_pidfd);
	close(heir);
}

/* Count and empty a session's notices; the data of the last one in *@data. */
static int drain_notices(int fd, __u64 id, __u64 *data)
{
	struct etsmgr_received r;
	int got = 0;

	while (ets_ioctl(fd, ETSMGR_IOC_RECEIVE, &r) == 0) {
		if (r.id != id)
			return -1;
		*data = r.data;
		got++;
	}
	return got;
}

#define PINGPONG_ROUNDS 1000

/*
 * GIVE back and forth between two processes whose sessions never RECEIVE:
 * each session keeps one notice of the table, the newest, however often
 * the table comes back (on main every GIVE queued one more, unaccounted:
 * any user could grow kernel memory without bound).
 */
TEST_F(handoff, give_back_and_forth_keeps_one_notice_per_table)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd, ping[2], pong[2], child_pidfd, k, got, st;
	struct { int got; __u64 data; int err; } *res;
	__u64 data = 0;
	pid_t pid;
	char c;

	ETS_REQUIRE_DEVICE();
	res = ets_shared_alloc(sizeof(*res));
	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, pipe2(ping, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(pong, O_CLOEXEC));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int mine = ets_open(), parent = pidfd_open(getppid());

		if (mine < 0 || parent < 0)
			_exit(ETS_CHILD_SETUP_FAILED);
		if (write(pong[1], "r", 1) != 1)
			_exit(ETS_CHILD_SETUP_FAILED);
		for (k = 0; k < PINGPONG_ROUNDS; k++) {
			if (read(ping[0], &c, 1) != 1)
				_exit(ETS_CHILD_SETUP_FAILED);
			res->err = handoff(mine, ETSMGR_IOC_GIVE, a.id, parent,
					   2 * k + 1);
			if (res->err || write(pong[1], "p", 1) != 1)
				_exit(1);
		}
		res->got = drain_notices(mine, a.id, &res->data);
		_exit(0);
	}
	child_pidfd = pidfd_open(pid);
	ASSERT_LE(0, child_pidfd);
	ASSERT_EQ(1, read(pong[0], &c, 1));
	for (k = 0; k < PINGPONG_ROUNDS; k++) {
		ASSERT_EQ(0, handoff(fd, ETSMGR_IOC_GIVE, a.id, child_pidfd,
				     2 * k)) {
			TH_LOG("GIVE %d to the child", 2 * k);
		}
		ASSERT_EQ(1, write(ping[1], "g", 1));
		ASSERT_EQ(1, read(pong[0], &c, 1)) {
			TH_LOG("the child's GIVE %d: %d", 2 * k + 1, res->err);
		}
	}
	got = drain_notices(fd, a.id, &data);
	st = ets_wait(pid);
	EXPECT_EQ(0, st);
	EXPECT_EQ(1, got);
	EXPECT_EQ((__u64)(2 * PINGPONG_ROUNDS - 1), data);
	EXPECT_EQ(1, res->got);
	EXPECT_EQ((__u64)(2 * PINGPONG_ROUNDS - 2), res->data);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(child_pidfd);
	close(fd);
}

TEST_F(handoff, handoff_bad_flags_reserved_einval)
{
	struct etsmgr_handoff h = { .id = 1, .pidfd = -1 };
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	h.flags = 1;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_SET_HEIR, &h));
	h.flags = 0;
	h.__reserved[1] = 1;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_GIVE, &h));
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_GIVE, (void *)1));
	/* With nothing pending there is nothing to copy. */
	EXPECT_EQ(-EAGAIN, ets_ioctl(fd, ETSMGR_IOC_RECEIVE, (void *)1));
	close(fd);
}

TEST_HARNESS_MAIN
