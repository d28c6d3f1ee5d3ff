// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: the owner is a process. A table belongs to the thread
 * group that attached it; when that process dies its tables pass on at
 * once with its exit status, whoever else still holds the session fd (a
 * forked worker, an SCM_RIGHTS receiver), and such holders cannot act as
 * the owner.
 */
#include "etsmgr_util.h"

#include <sys/socket.h>
#include <sys/syscall.h>

ETS_FIXTURE(owner)

TEST_F(owner, forked_worker_does_not_keep_a_dead_owners_table)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info i;
	struct ets_owner o;
	pid_t worker;
	int fd, st;

	ETS_REQUIRE_DEVICE();
	/* The worker outlives the owner: make it ours to reap. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 7,
				     ETS_AS_SELF));
	ASSERT_EQ(0, ets_owner_cmd(&o, ETS_CMD_FORK, 0));
	worker = o.shm->worker;
	ASSERT_LT(0, worker);
	st = ets_owner_kill(&o, SIGKILL);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	fd = ets_open();
	ASSERT_LE(0, fd);
	/* Held at once, while the worker still holds the fd. */
	EXPECT_EQ(0, ets_wait_state(fd, n, ETSMGR_STATE_HELD, 5000, &i));
	EXPECT_EQ(0, kill(worker, 0));
	EXPECT_EQ(U32(ETSMGR_EXIT_SIGNALED), i.exit_reason);
	EXPECT_EQ(SIGKILL, i.exit_status);
	/* The restarted daemon gets its table back, not EBUSY. */
	EXPECT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), a.result);
	EXPECT_EQ(U64(2), a.generation);

	kill(worker, SIGKILL);
	ets_wait(worker);
	EXPECT_EQ(0, ets_delete_name(fd, n));
	close(fd);
}

TEST_F(owner, owners_exit_status_not_the_last_holders)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_info i;
	struct ets_owner o;
	pid_t worker;
	int fd, st;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 7,
				     ETS_AS_SELF));
	/* The worker _exit(42)s soon after the owner _exit(3)s. */
	ASSERT_EQ(0, ets_owner_cmd(&o, ETS_CMD_FORK, 42));
	worker = o.shm->worker;
	ASSERT_LT(0, worker);
	st = ets_owner_exit(&o, 3);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	st = ets_wait(worker);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 42);

	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_wait_state(fd, n, ETSMGR_STATE_HELD, 5000, &i));
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), i.exit_reason);
	EXPECT_EQ(3, i.exit_status);
	EXPECT_EQ(0, ets_delete_name(fd, n));
	close(fd);
}

/* What another process holding the owner's session fd tries. */
struct foreign {
	int fd;			/* the owner's session, inherited or received */
	int sock;		/* for SCM_RIGHTS: where the fd arrives */
	const char *name;	/* the owner's private table */
	const char *other;	/* a name nobody has */
	__u64 id;
	__u64 mmap_offset;
};

/*
 * Every act of an owner through @f->fd must be refused; INFO works and
 * says the caller does not own the table. 0, or the number of the first
 * step that went wrong.
 */
static int foreign_tries(const struct foreign *f)
{
	struct etsmgr_handoff h = { .id = f->id, .pidfd = -1 };
	struct etsmgr_received r;
	struct etsmgr_info i;
	void *m;
	int err;

	if (ets_reclaim(f->fd, f->name, NULL) != -EBADFD)
		return 1;
	if (ets_create(f->fd, f->other, ETSMGR_ACCESS_PRIVATE, 4096, NULL) !=
	    -EBADFD)
		return 2;
	if (ets_delete_id(f->fd, f->id) != -EBADFD)
		return 3;
	if (ets_ioctl(f->fd, ETSMGR_IOC_SET_HEIR, &h) != -EBADFD)
		return 4;
	h.pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (h.pidfd < 0 || ets_ioctl(f->fd, ETSMGR_IOC_GIVE, &h) != -EBADFD)
		return 5;
	close(h.pidfd);
	if (ets_ioctl(f->fd, ETSMGR_IOC_RECEIVE, &r) != -EBADFD)
		return 6;
	if (ets_info_id(f->fd, f->id, &i) || i.owned_by_caller ||
	    i.state != ETSMGR_STATE_OWNED)
		return 7;
	m = ets_map(f->fd, f->mmap_offset, 4096, PROT_READ, &err);
	if (m || err != -EACCES)
		return 8;
	return 0;
}

static int child_foreign_inherited(void *arg)
{
	return foreign_tries(arg);
}

/* The parent still owns its table, untouched (generation 1). */
static void expect_still_owned(struct __test_metadata *_metadata,
			       const struct foreign *f)
{
	struct etsmgr_info i;

	ASSERT_EQ(0, ets_info_id(f->fd, f->id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U32(1), i.owned_by_caller);
	EXPECT_EQ(U64(1), i.generation);
	EXPECT_EQ(-ENOENT, ets_info_name(f->fd, f->other, &i));
}

TEST_F(owner, forked_child_cannot_act_through_the_parents_session)
{
	struct foreign f = { .name = ETS_NAME("t"), .other = ETS_NAME("u") };
	struct etsmgr_attach a;

	ETS_REQUIRE_DEVICE();
	f.fd = ets_open();
	ASSERT_LE(0, f.fd);
	ASSERT_EQ(0, ets_create(f.fd, f.name, ETSMGR_ACCESS_PRIVATE, 4096,
				&a));
	f.id = a.id;
	f.mmap_offset = a.mmap_offset;
	EXPECT_EQ(0, ets_run_child(child_foreign_inherited, &f));
	expect_still_owned(_metadata, &f);
	EXPECT_EQ(0, ets_delete_id(f.fd, a.id));
	close(f.fd);
}

static int send_fd(int sock, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 };
	char x;
	struct iovec iov = { .iov_base = &x, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Started before the session exists: it only ever gets the fd by SCM_RIGHTS. */
static int child_foreign_received(void *arg)
{
	struct foreign f = *(struct foreign *)arg;
	__u64 ids[2];

	if (ets_read_full(f.sock, ids, sizeof(ids)))
		return ETS_CHILD_BAD;
	f.id = ids[0];
	f.mmap_offset = ids[1];
	f.fd = recv_fd(f.sock);
	if (f.fd < 0)
		return ETS_CHILD_BAD;
	return foreign_tries(&f);
}

TEST_F(owner, scm_rights_receiver_cannot_act_as_the_owner)
{
	struct foreign f = { .name = ETS_NAME("t"), .other = ETS_NAME("u") };
	struct etsmgr_attach a;
	__u64 ids[2];
	int sv[2], st;
	pid_t pid;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	f.sock = sv[1];
	pid = ets_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		_exit(child_foreign_received(&f) & 0xff);
	}
	close(sv[1]);
	f.fd = ets_open();
	ASSERT_LE(0, f.fd);
	ASSERT_EQ(0, ets_create(f.fd, f.name, ETSMGR_ACCESS_PRIVATE, 4096,
				&a));
	f.id = ids[0] = a.id;
	f.mmap_offset = ids[1] = a.mmap_offset;
	ASSERT_EQ(0, ets_write_full(sv[0], ids, sizeof(ids)));
	ASSERT_EQ(0, send_fd(sv[0], f.fd));
	st = ets_wait(pid);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("receiver: wait status 0x%x", st);
	expect_still_owned(_metadata, &f);
	EXPECT_EQ(0, ets_delete_id(f.fd, a.id));
	close(sv[0]);
	close(f.fd);
}

struct attaching_thread {
	const char *name;
	int fd;
	int err;
};

static void *attach_and_exit(void *arg)
{
	struct attaching_thread *t = arg;

	t->fd = ets_open();
	t->err = t->fd < 0 ? t->fd :
		 ets_create(t->fd, t->name, ETSMGR_ACCESS_PRIVATE, 4096, NULL);
	return NULL;
}

TEST_F(owner, attaching_threads_exit_keeps_the_table_owned)
{
	struct attaching_thread t = { .name = ETS_NAME("t") };
	struct etsmgr_info i;
	pthread_t th;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, pthread_create(&th, NULL, attach_and_exit, &t));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, t.err);
	/* The owner is the process, which lives on. */
	usleep(100000);
	ASSERT_EQ(0, ets_info_name(t.fd, t.name, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U32(1), i.owned_by_caller);
	EXPECT_EQ(U32(getpid()), i.owner_pid);
	EXPECT_EQ(0, ets_delete_name(t.fd, t.name));
	close(t.fd);
}

struct leader_exit {
	const char *name;
	int go;			/* read end: the thread exits when it closes */
};

static void *exit_on_eof(void *arg)
{
	struct leader_exit *l = arg;
	char c;

	while (read(l->go, &c, 1) > 0)
		;
	_exit(5);
	return NULL;
}

/* Create the table, start the thread, then end the main thread only. */
static int child_leader_exits_first(void *arg)
{
	struct leader_exit *l = arg;
	pthread_t th;
	int fd;

	fd = ets_open();
	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	if (ets_create(fd, l->name, ETSMGR_ACCESS_PRIVATE, 4096, NULL))
		return ETS_CHILD_BAD;
	if (pthread_create(&th, NULL, exit_on_eof, l))
		return ETS_CHILD_BAD;
	pthread_exit(NULL);
}

TEST_F(owner, leader_exit_with_live_threads_keeps_the_table_owned)
{
	struct leader_exit l = { .name = ETS_NAME("t") };
	struct etsmgr_info i;
	int go[2], fd, st;
	pid_t pid;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	l.go = go[0];
	pid = ets_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		_exit(child_leader_exits_first(&l) & 0xff);
	}
	close(go[0]);
	fd = ets_open();
	ASSERT_LE(0, fd);
	/* The leader is a zombie; the process lives in its thread. */
	ASSERT_EQ(0, ets_wait_state(fd, l.name, ETSMGR_STATE_OWNED, 5000, &i));
	usleep(200000);
	ASSERT_EQ(0, ets_info_name(fd, l.name, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U32(pid), i.owner_pid);
	close(go[1]);
	st = ets_wait(pid);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 5);
	ASSERT_EQ(0, ets_wait_state(fd, l.name, ETSMGR_STATE_HELD, 5000, &i));
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), i.exit_reason);
	EXPECT_EQ(5, i.exit_status);
	EXPECT_EQ(0, ets_delete_name(fd, l.name));
	close(fd);
}

TEST_HARNESS_MAIN
