// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: restarting the manager. A drain refuses new sessions
 * and wakes the existing ones, finishing it lets go of every table that a
 * process still maps (and refuses while a held table nobody maps would be
 * lost), rmmod then succeeds, and after insmod ADOPT registers a mapped
 * table again under the same name and id, with the same bytes.
 *
 * Tests that unload the module need the registry to be empty of other
 * tables and sessions; they skip otherwise.
 */
#include "etsmgr_util.h"

#include <poll.h>
#include <sys/mman.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

FIXTURE(reload) {
	struct ets_ctx c;
	struct ets_loaded_ko ko;
};

static int genl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e,
		       void *arg)
{
	(void)nla;
	*(int *)arg = e->error;
	return NL_STOP;
}

/*
 * Send one etsmgr genl command with no payload but an optional flag:
 * 0 or the kernel's -errno (-EIO when the exchange itself failed).
 */
static int genl_cmd(int cmd, int flag_attr)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	int family, err, kerr = 0;

	if (!sk)
		return -ENOMEM;
	err = genl_connect(sk) ? -EIO : 0;
	if (err)
		goto out;
	family = genl_ctrl_resolve(sk, ETSMGR_GENL_NAME);
	if (family < 0) {
		err = -ENOENT;
		goto out;
	}
	msg = nlmsg_alloc();
	if (!msg ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd,
			 ETSMGR_GENL_VERSION) ||
	    (flag_attr && nla_put_flag(msg, flag_attr))) {
		err = -ENOMEM;
		goto out;
	}
	/* libnl maps the kernel's errno to NLE_*: keep the errno itself. */
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, genl_err_cb, &kerr);
	err = nl_send_auto(sk, msg) < 0 ? -EIO : 0;
	if (!err && nl_wait_for_ack(sk) < 0 && !kerr)
		err = -EIO;
	if (kerr)
		err = kerr;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return err;
}

FIXTURE_SETUP(reload)
{
	ets_ctx_setup(_metadata, &self->c);
	ets_loaded_ko_save(&self->ko);
}

FIXTURE_TEARDOWN(reload)
{
	/* Whatever a failed test left: serve again, loaded. */
	if (ets_module_loaded())
		genl_cmd(ETSMGR_CMD_DRAIN_ABORT, 0);
	else if (self->ko.found)
		ets_loaded_ko_insmod(&self->ko);
	ets_ctx_teardown(_metadata, &self->c);
}


/*
 * Create a table of access @access, map it, fill it, close the session:
 * the mapping stays, with the owner's grant.
 */
static void *make_mapped_table_as(struct __test_metadata *_metadata,
				  const char *name, __u32 access, size_t len,
				  unsigned int seed, struct etsmgr_attach *a)
{
	void *p;
	int fd, err;

	fd = ets_open();
	if (fd < 0)
		return NULL;
	if (ets_create(fd, name, access, len, a)) {
		close(fd);
		return NULL;
	}
	p = ets_map(fd, a->mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	if (p)
		ets_fill(p, len, seed);
	else
		TH_LOG("mmap: %s", strerror(-err));
	close(fd);
	return p;
}

/* A protected table, as the tests below use. */
static void *make_mapped_table(struct __test_metadata *_metadata,
			       const char *name, size_t len, unsigned int seed,
			       struct etsmgr_attach *a)
{
	return make_mapped_table_as(_metadata, name, ETSMGR_ACCESS_PROTECTED,
				    len, seed, a);
}

static int adopt_as(int fd, void *addr, __u32 access, __u64 generation,
		    struct etsmgr_adopt *ad)
{
	memset(ad, 0, sizeof(*ad));
	ad->addr = (uintptr_t)addr;
	ad->access = access;
	ad->generation = generation;
	return ets_ioctl(fd, ETSMGR_IOC_ADOPT, ad);
}

static int adopt(int fd, void *addr, struct etsmgr_adopt *ad)
{
	return adopt_as(fd, addr, ETSMGR_ACCESS_PROTECTED, 1, ad);
}

/* Drain, rmmod, insmod: the manager restarted. 0 or -1. */
static int restart_manager(struct __test_metadata *_metadata,
			   FIXTURE_DATA(reload) *self, int discard)
{
	int err;

	err = genl_cmd(ETSMGR_CMD_DRAIN_START, 0);
	if (err) {
		TH_LOG("drain start: %s", strerror(-err));
		return -1;
	}
	err = genl_cmd(ETSMGR_CMD_DRAIN_FINISH,
		       discard ? ETSMGR_A_DRAIN_DISCARD : 0);
	if (err) {
		TH_LOG("drain finish: %s", strerror(-err));
		return -1;
	}
	if (ets_rmmod()) {
		TH_LOG("rmmod failed after a drain");
		return -1;
	}
	return ets_loaded_ko_insmod(&self->ko);
}

TEST_F(reload, adopt_registered_table_eexist)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_adopt ad;
	size_t len = 2 * ets_page();
	void *p;
	int fd;

	ETS_REQUIRE_DEVICE();
	p = make_mapped_table(_metadata, n, len, 3, &a);
	ASSERT_NE(NULL, p);
	fd = ets_open();
	ASSERT_LE(0, fd);
	/* The table is held, not gone: its name and id are taken. */
	EXPECT_EQ(-EEXIST, adopt(fd, p, &ad));
	close(fd);
	munmap(p, len);
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(reload, adopt_memfd_einval)
{
	struct etsmgr_adopt ad;
	void *p;
	int fd, mfd;

	ETS_REQUIRE_DEVICE();
	mfd = memfd_create("etsmgr:1:forged", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 4096));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, adopt(fd, p, &ad));
	close(fd);
	munmap(p, 4096);
	close(mfd);
}

TEST_F(reload, adopt_tmpfs_file_named_like_a_table_einval)
{
	char dir[] = "/tmp/etsmgr-adopt.XXXXXX", path[64];
	struct etsmgr_adopt ad;
	void *p;
	int fd, tfd;

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("tmpfs", dir, "tmpfs", 0, "size=1m"));
	snprintf(path, sizeof(path), "%s/etsmgr:1:forged", dir);
	tfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, ftruncate(tfd, 4096));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	unlink(path);
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, adopt(fd, p, &ad));
	close(fd);
	munmap(p, 4096);
	close(tfd);
	umount(dir);
	rmdir(dir);
}

TEST_F(reload, adopt_anonymous_memory_einval)
{
	struct etsmgr_adopt ad;
	void *p;
	int fd;

	ETS_REQUIRE_DEVICE();
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, adopt(fd, p, &ad));
	close(fd);
	munmap(p, 4096);
}

TEST_F(reload, adopt_unmapped_address_efault)
{
	struct etsmgr_adopt ad;
	void *p;
	int fd;

	ETS_REQUIRE_DEVICE();
	p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, 4096);
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, adopt(fd, p, &ad));
	close(fd);
}

TEST_F(reload, adopt_bad_flags_access_reserved_einval)
{
	struct etsmgr_adopt ad;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	memset(&ad, 0, sizeof(ad));
	ad.addr = (uintptr_t)&ad;
	ad.flags = 1;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_ADOPT, &ad));
	ad.flags = 0;
	ad.access = 3;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_ADOPT, &ad));
	ad.access = 0;
	ad.__reserved[3] = 1;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_ADOPT, &ad));
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_ADOPT, (void *)1));
	close(fd);
}

TEST_F(reload, drain_needs_cap_sys_admin)
{
	pid_t pid;
	int fd;

	ETS_REQUIRE_ROOT();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (ets_become_nobody())
			_exit(ETS_CHILD_SETUP_FAILED);
		_exit(genl_cmd(ETSMGR_CMD_DRAIN_START, 0) == -EPERM ? 0 : 1);
	}
	EXPECT_EQ(0, ets_wait(pid));
	/* Still serving. */
	fd = ets_open();
	EXPECT_LE(0, fd);
	close(fd);
}

TEST_F(reload, drain_refuses_new_sessions_and_attaches)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_ROOT();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, genl_cmd(ETSMGR_CMD_DRAIN_START, 0));
	EXPECT_EQ(-ESHUTDOWN, ets_open());
	EXPECT_EQ(-ESHUTDOWN, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096,
					 &a));
	ASSERT_EQ(0, genl_cmd(ETSMGR_CMD_DRAIN_ABORT, 0));
	EXPECT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(reload, drain_wakes_session_poll)
{
	struct pollfd pfd;
	int fd;

	ETS_REQUIRE_ROOT();
	fd = ets_open();
	ASSERT_LE(0, fd);
	pfd.fd = fd;
	pfd.events = POLLIN | POLLPRI;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, genl_cmd(ETSMGR_CMD_DRAIN_START, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_TRUE(pfd.revents & POLLPRI);
	EXPECT_TRUE(pfd.revents & POLLHUP);
	ASSERT_EQ(0, genl_cmd(ETSMGR_CMD_DRAIN_ABORT, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	close(fd);
}

TEST_F(reload, drain_finish_without_start_einval)
{
	ETS_REQUIRE_ROOT();
	EXPECT_EQ(-EINVAL, genl_cmd(ETSMGR_CMD_DRAIN_FINISH, 0));
}

TEST_F(reload, drain_finish_with_open_session_ebusy)
{
	int fd;

	ETS_REQUIRE_ROOT();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, genl_cmd(ETSMGR_CMD_DRAIN_START, 0));
	EXPECT_EQ(-EBUSY, genl_cmd(ETSMGR_CMD_DRAIN_FINISH, 0));
	close(fd);
	ASSERT_EQ(0, genl_cmd(ETSMGR_CMD_DRAIN_ABORT, 0));
}

TEST_F(reload, drain_finish_refuses_unmapped_held_table)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;

	ETS_REQUIRE_UNLOADABLE(&self->ko);
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	ASSERT_EQ(0, genl_cmd(ETSMGR_CMD_DRAIN_START, 0));
	EXPECT_EQ(-EBUSY, genl_cmd(ETSMGR_CMD_DRAIN_FINISH, 0));
	EXPECT_EQ(1, ets_stat("tables"));
	EXPECT_NE(0, ets_rmmod());
	ASSERT_EQ(0, genl_cmd(ETSMGR_CMD_DRAIN_ABORT, 0));
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(reload, drain_discard_deletes_unmapped_held_table)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;

	ETS_REQUIRE_UNLOADABLE(&self->ko);
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	ASSERT_EQ(0, restart_manager(_metadata, self, 1));
	EXPECT_EQ(0, ets_stat("tables"));
	EXPECT_EQ(-ENOENT, ets_cleanup(n));
}

TEST_F(reload, reload_then_adopt_same_name_id_and_bytes)
{
	const char *n = ETS_NAME("t");
	size_t len = 8 * ets_page();
	struct etsmgr_attach a, b;
	struct etsmgr_adopt ad;
	struct etsmgr_info info;
	unsigned char *p;
	int fd;

	ETS_REQUIRE_UNLOADABLE(&self->ko);
	p = make_mapped_table(_metadata, n, len, 41, &a);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, restart_manager(_metadata, self, 0));
	/* The module is new; the bytes lived on in the mapping. */
	EXPECT_EQ(0, ets_stat("tables"));
	EXPECT_EQ(-1, ets_check(p, len, 41));

	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, adopt(fd, p + 100, &ad));
	EXPECT_EQ(a.id, ad.id);
	EXPECT_STREQ(n, ad.name);
	EXPECT_EQ(U64(len), ad.size);
	EXPECT_EQ(U64(2), ad.generation);
	EXPECT_EQ(1, ets_stat("adopted"));
	ASSERT_EQ(0, ets_info_id(fd, a.id, &info));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), info.state);
	EXPECT_EQ(1U, info.owned_by_caller);
	EXPECT_EQ(U32(ETSMGR_ACCESS_PROTECTED), info.access);
	/* The adopted table is the same memory as the mapping. */
	p[0] ^= 0xff;
	{
		unsigned char *q;
		int err;

		q = ets_map(fd, ad.mmap_offset, len, PROT_READ, &err);
		ASSERT_NE(NULL, q) TH_LOG("mmap: %s", strerror(-err));
		EXPECT_EQ(p[0], q[0]);
		munmap(q, len);
	}
	/* New ids stay above the adopted one. */
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("u"), ETSMGR_ACCESS_PRIVATE, 4096,
				&b));
	EXPECT_LT(a.id, b.id);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
	munmap(p, len);
}

TEST_F(reload, adopt_after_reload_name_taken_eexist)
{
	const char *n = ETS_NAME("t");
	size_t len = 2 * ets_page();
	struct etsmgr_attach a, b;
	struct etsmgr_adopt ad;
	void *p;
	int fd;

	ETS_REQUIRE_UNLOADABLE(&self->ko);
	p = make_mapped_table(_metadata, n, len, 5, &a);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, restart_manager(_metadata, self, 0));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &b));
	EXPECT_EQ(-EEXIST, adopt(fd, p, &ad));
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	/* With the name free again, the adoption works. */
	EXPECT_EQ(0, adopt(fd, p, &ad));
	EXPECT_EQ(a.id, ad.id);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
	munmap(p, len);
}

TEST_F(reload, adopt_other_uid_table_eperm)
{
	const char *n = ETS_NAME("t");
	size_t len = ets_page();
	struct etsmgr_attach a;
	struct etsmgr_adopt ad;
	void *p;
	pid_t pid;
	int fd;

	ETS_REQUIRE_UNLOADABLE(&self->ko);
	/* Public: the owner's mapping, and its grant, are inherited. */
	p = make_mapped_table_as(_metadata, n, ETSMGR_ACCESS_PUBLIC, len, 9,
				 &a);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, restart_manager(_metadata, self, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The child inherits the mapping, not root's uid. */
		if (ets_become_nobody())
			_exit(ETS_CHILD_SETUP_FAILED);
		fd = ets_open();
		if (fd < 0)
			_exit(ETS_CHILD_OPEN_FAILED);
		_exit(adopt_as(fd, p, ETSMGR_ACCESS_PUBLIC, 1, &ad) == -EPERM ?
		      0 : 1);
	}
	EXPECT_EQ(0, ets_wait(pid));
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, adopt_as(fd, p, ETSMGR_ACCESS_PUBLIC, 1, &ad));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
	munmap(p, len);
}

/*
 * The generation and the access mode come from the owner's mapping, not
 * from the caller: a generation is never reused after a reload.
 */
TEST_F(reload, adopt_generation_and_access_come_from_the_mapping)
{
	const char *n = ETS_NAME("t");
	size_t len = ets_page();
	struct etsmgr_attach a, b;
	struct etsmgr_adopt ad;
	unsigned char *p;
	int fd, err;

	ETS_REQUIRE_UNLOADABLE(&self->ko);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, len, &a));
	close(fd);
	/* Reclaimed once: generation 2, and mapped at it. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	ASSERT_EQ(U64(2), b.generation);
	p = ets_map(fd, b.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	close(fd);
	ASSERT_EQ(0, restart_manager(_metadata, self, 0));

	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, adopt_as(fd, p, ETSMGR_ACCESS_PUBLIC, 0, &ad));
	/* Claiming generation 0 does not take the table back to 1. */
	ASSERT_EQ(0, adopt_as(fd, p, ETSMGR_ACCESS_PRIVATE, 0, &ad));
	EXPECT_EQ(a.id, ad.id);
	EXPECT_EQ(U64(3), ad.generation);
	/* The adopter's mapping is the owner's: it still writes. */
	EXPECT_EQ(0, ets_try_write(p, 1));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
	munmap(p, len);
}

TEST_HARNESS_MAIN
