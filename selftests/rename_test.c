// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: renaming a table (ETSMGR_IOC_RENAME and netlink's
 * ETSMGR_CMD_RENAME_TABLE). A rename moves the name and nothing else (id,
 * owner, generation, data and mappings stay); the old name is free at
 * once; the name at creation and the reason are shown by netlink; one
 * ETSMGR_EVENT_RENAMED tells of it; a reload adopts the table under its
 * latest name. And every way to get it wrong: bad names and reasons,
 * taken names, callers that neither own the table nor are admins.
 *
 * Tests that unload the module need the registry to be empty of other
 * tables and sessions; they skip otherwise.
 */
#include "etsmgr_util.h"
#include "etsmgr_nl.h"

#include <sys/mman.h>

#define EV_TIMEOUT_MS	5000
#define EV_QUIET_MS	300

FIXTURE(rename) {
	struct ets_ctx c;
	struct ets_loaded_ko ko;
};

FIXTURE_SETUP(rename)
{
	ets_ctx_setup(_metadata, &self->c);
	ets_loaded_ko_save(&self->ko);
}

FIXTURE_TEARDOWN(rename)
{
	struct ets_nl nl;

	/* Whatever a failed reload test left: serve again, loaded. */
	if (ets_module_loaded()) {
		if (!ets_nl_open(&nl)) {
			ets_nl_cmd(&nl, ETSMGR_CMD_DRAIN_ABORT);
			ets_nl_close(&nl);
		}
	} else if (self->ko.found) {
		ets_loaded_ko_insmod(&self->ko);
	}
	ets_ctx_teardown(_metadata, &self->c);
}

static void rename_init(struct etsmgr_rename *r, __u64 id, const char *name,
			const char *new_name, const char *reason)
{
	memset(r, 0, sizeof(*r));
	ets_ref_init(&r->ref, id, name);
	ets_set_name(r->new_name, new_name);
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

static int rename_name(int fd, const char *name, const char *new_name,
		       const char *reason)
{
	struct etsmgr_rename r;

	rename_init(&r, 0, name, new_name, reason);
	return ets_ioctl(fd, ETSMGR_IOC_RENAME, &r);
}

static int rename_id(int fd, __u64 id, const char *new_name)
{
	struct etsmgr_rename r;

	rename_init(&r, id, NULL, new_name, "");
	return ets_ioctl(fd, ETSMGR_IOC_RENAME, &r);
}

/* GET_TABLE of @id by netlink into *@t: 0 or -errno. */
static int nl_get(__u64 id, struct ets_nl_table *t)
{
	struct ets_nl_req q = { .cmd = ETSMGR_CMD_GET_TABLE, .id = id };
	struct ets_nl_reply r = { 0 };
	struct ets_nl nl;
	int ret;

	ret = ets_nl_open(&nl);
	if (ret)
		return ret;
	ret = ets_nl_run(&nl, &q, &r);
	if (!ret && r.nt != 1)
		ret = -EIO;
	if (!ret)
		*t = r.t[0];
	ets_nl_reply_free(&r);
	ets_nl_close(&nl);
	return ret;
}

/* RENAME_TABLE by netlink: 0 or -errno. */
static int nl_rename(__u64 id, const char *name, const char *new_name,
		     const char *reason)
{
	struct ets_nl_req q = {
		.cmd = ETSMGR_CMD_RENAME_TABLE, .id = id, .name = name,
		.new_name = new_name, .reason = reason,
	};
	struct ets_nl nl;
	int ret;

	ret = ets_nl_open(&nl);
	if (ret)
		return ret;
	ret = ets_nl_run(&nl, &q, NULL);
	ets_nl_close(&nl);
	return ret;
}

TEST_F(rename, owner_renames_id_owner_generation_stay)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("set-aside");
	struct etsmgr_attach a;
	struct etsmgr_info info;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ASSERT_EQ(0, rename_name(fd, n, m, "crash loop"));
	ASSERT_EQ(0, ets_info_name(fd, m, &info));
	EXPECT_EQ(a.id, info.id);
	EXPECT_STREQ(m, info.name);
	EXPECT_EQ(a.generation, info.generation);
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), info.state);
	EXPECT_EQ(1U, info.owned_by_caller);
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(rename, old_name_is_free_at_once)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("set-aside");
	struct etsmgr_attach a, b;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ASSERT_EQ(0, rename_id(fd, a.id, m));
	/* An attach of the old name creates a fresh table. */
	ASSERT_EQ(0, ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
				ETSMGR_ACCESS_PRIVATE, 4096, &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), b.result);
	EXPECT_NE(a.id, b.id);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(rename, mappings_and_bytes_survive)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("set-aside");
	size_t len = 4 * ets_page();
	struct etsmgr_attach a, b;
	unsigned char *p;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PROTECTED, len, &a));
	p = ets_map(fd, a.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	ets_fill(p, len, 7);
	ASSERT_EQ(0, rename_name(fd, n, m, ""));
	/* The owner's mapping is not fenced: no change of owner. */
	EXPECT_EQ(-1, ets_check(p, len, 7));
	EXPECT_EQ(0, ets_try_write(p, 0x5a));
	close(fd);
	/* Held, then reclaimed under the new name: the same bytes. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, m, &b));
	EXPECT_EQ(a.id, b.id);
	munmap(p, len);
	p = ets_map(fd, b.mmap_offset, len, PROT_READ, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	EXPECT_EQ(0x5a, p[0]);
	/* Only the byte written through the first mapping changed. */
	EXPECT_EQ(ets_pattern_byte(7, 0) == 0x5a ? -1 : 0,
		  ets_check(p, len, 7));
	munmap(p, len);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(rename, to_a_taken_name_eexist_nothing_changes)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("u");
	struct etsmgr_attach a, b;
	struct etsmgr_info info;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ASSERT_EQ(0, ets_create(fd, m, ETSMGR_ACCESS_PRIVATE, 4096, &b));
	EXPECT_EQ(-EEXIST, rename_name(fd, n, m, ""));
	EXPECT_EQ(-EEXIST, rename_name(fd, n, n, ""));
	ASSERT_EQ(0, ets_info_name(fd, n, &info));
	EXPECT_EQ(a.id, info.id);
	ASSERT_EQ(0, ets_info_name(fd, m, &info));
	EXPECT_EQ(b.id, info.id);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(rename, bad_arguments_einval_nothing_changes)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("u");
	struct etsmgr_attach a;
	struct etsmgr_rename r;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));

	EXPECT_EQ(-EINVAL, rename_name(fd, n, "bad/name", ""));
	EXPECT_EQ(-EINVAL, rename_name(fd, n, "", ""));
	rename_init(&r, 0, n, m, "");
	memset(r.new_name, 'a', sizeof(r.new_name));
	EXPECT_EQ(-ENAMETOOLONG, ets_ioctl(fd, ETSMGR_IOC_RENAME, &r));
	EXPECT_EQ(-EINVAL, rename_name(fd, n, m, "a\nforged line"));
	EXPECT_EQ(-EINVAL, rename_name(fd, n, m, "\x7f"));
	rename_init(&r, 0, n, m, "");
	memset(r.reason, 'a', sizeof(r.reason));
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_RENAME, &r));
	rename_init(&r, 0, n, m, "");
	r.flags = 1;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_RENAME, &r));
	rename_init(&r, 0, n, m, "");
	r.__pad = 1;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_RENAME, &r));
	rename_init(&r, 0, n, m, "");
	r.__reserved[1] = 1;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_RENAME, &r));
	/* By id and by name at once. */
	rename_init(&r, a.id, NULL, m, "");
	ets_set_name(r.ref.name, n);
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_RENAME, &r));
	EXPECT_EQ(-ENOENT, rename_name(fd, m, n, ""));
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_RENAME, (void *)16));

	EXPECT_EQ(0, ets_info_name(fd, n, NULL));
	EXPECT_EQ(-ENOENT, ets_info_name(fd, m, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

/* Rename @arg's table (held, or another session's) without CAP_SYS_ADMIN. */
static int rename_without_admin(void *arg)
{
	const char *const *names = arg;
	int fd, ret;

	if (ets_drop_sys_admin())
		return 100;
	fd = ets_open();
	if (fd < 0)
		return 101;
	ret = rename_name(fd, names[0], names[1], "");
	close(fd);
	return ret == -EPERM ? 0 : 102;
}

TEST_F(rename, other_session_without_sys_admin_eperm)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("u");
	const char *names[2] = { n, m };
	struct etsmgr_info info;
	struct ets_owner o;
	int fd;

	ETS_REQUIRE_ROOT();
	/* Owned by another process of the same uid. */
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 0,
				     ETS_AS_SELF));
	EXPECT_EQ(0, ets_run_child(rename_without_admin, names));
	ets_owner_exit(&o, 0);
	ets_owner_free(&o);
	/* Held by the manager. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_wait_state(fd, n, ETSMGR_STATE_HELD, 5000, &info));
	EXPECT_EQ(0, ets_run_child(rename_without_admin, names));
	EXPECT_EQ(0, ets_info_name(fd, n, NULL));
	EXPECT_EQ(-ENOENT, ets_info_name(fd, m, NULL));
	close(fd);
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(rename, admin_renames_another_session_table)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("u");
	struct etsmgr_info info;
	struct ets_owner o;
	int fd;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 41,
				     ETS_AS_SELF));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rename_name(fd, n, m, "by the admin"));
	ASSERT_EQ(0, ets_info_name(fd, m, &info));
	EXPECT_EQ(o.shm->a.id, info.id);
	EXPECT_EQ(0U, info.owned_by_caller);
	/* The owner still owns it, and still writes through its mapping. */
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), info.state);
	EXPECT_EQ(o.shm->a.generation, info.generation);
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_POKE, 1));
	ets_owner_exit(&o, 0);
	ets_owner_free(&o);
	EXPECT_EQ(0, ets_delete_name(fd, m));
	close(fd);
}

/* A forked child holding the parent's session fd cannot act through it. */
TEST_F(rename, through_a_forked_childs_copy_of_the_fd_ebadfd)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("u");
	struct etsmgr_attach a;
	pid_t pid;
	int fd, status;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	pid = ets_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(rename_id(fd, a.id, m) == -EBADFD ? 0 : 1);
	status = ets_wait(pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, ets_info_name(fd, n, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

static int rename_other_uid_by_id(void *arg)
{
	__u64 id = *(__u64 *)arg;
	int fd, ret;

	if (ets_become_nobody())
		return 100;
	fd = ets_open();
	if (fd < 0)
		return 101;
	ret = rename_id(fd, id, "mine-now");
	close(fd);
	/* As if it did not exist: ids do not reveal other uids' tables. */
	return ret == -ENOENT ? 0 : 102;
}

TEST_F(rename, other_uids_table_by_id_as_nobody_enoent)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_ROOT();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PUBLIC, 4096, &a));
	EXPECT_EQ(0, ets_run_child(rename_other_uid_by_id, &a.id));
	EXPECT_EQ(0, ets_info_name(fd, n, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(rename, netlink_shows_name_at_creation_and_reason)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("u"), *k = ETS_NAME("v");
	struct etsmgr_attach a;
	struct ets_nl_table t;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	/* Never renamed: neither attribute. */
	ASSERT_EQ(0, nl_get(a.id, &t));
	EXPECT_STREQ("", t.orig_name);
	EXPECT_STREQ("", t.reason);

	ASSERT_EQ(0, nl_rename(0, n, m, "3 deaths in 10 s after reclaim"));
	ASSERT_EQ(0, nl_get(a.id, &t));
	EXPECT_STREQ(m, t.name);
	EXPECT_STREQ(n, t.orig_name);
	EXPECT_STREQ("3 deaths in 10 s after reclaim", t.reason);
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), t.state);

	/* Again, with no reason: the name at creation stays the first. */
	ASSERT_EQ(0, nl_rename(a.id, NULL, k, NULL));
	ASSERT_EQ(0, nl_get(a.id, &t));
	EXPECT_STREQ(k, t.name);
	EXPECT_STREQ(n, t.orig_name);
	EXPECT_STREQ("", t.reason);
	EXPECT_EQ(0, ets_cleanup(k));
}

TEST_F(rename, netlink_bad_requests_rejected)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("u");
	struct etsmgr_attach a, b;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	ASSERT_EQ(0, ets_make_held(m, ETSMGR_ACCESS_PRIVATE, 4096, 0, &b));
	EXPECT_EQ(-EINVAL, nl_rename(a.id, NULL, NULL, NULL));
	EXPECT_EQ(-EINVAL, nl_rename(a.id, NULL, "bad name", NULL));
	EXPECT_EQ(-EINVAL, nl_rename(a.id, NULL, "ok", "tab\there"));
	EXPECT_EQ(-EINVAL, nl_rename(a.id, n, "ok", NULL));
	EXPECT_EQ(-EEXIST, nl_rename(a.id, NULL, m, NULL));
	EXPECT_EQ(-ENOENT, nl_rename(0, ETS_NAME("missing"), "ok", NULL));
	EXPECT_EQ(0, ets_cleanup(n));
	EXPECT_EQ(0, ets_cleanup(m));
}

static int nl_rename_without_admin(void *arg)
{
	__u64 id = *(__u64 *)arg;

	if (ets_drop_sys_admin())
		return 100;
	return nl_rename(id, NULL, "mine-now", NULL) == -EPERM ? 0 : 101;
}

TEST_F(rename, netlink_without_sys_admin_eperm)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	EXPECT_EQ(0, ets_run_child(nl_rename_without_admin, &a.id));
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(rename, one_renamed_event_with_old_and_new_name)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("u");
	struct etsmgr_attach a;
	struct ets_nl_table ev;
	struct ets_nl sub;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	ASSERT_EQ(0, ets_nl_open(&sub));
	ASSERT_EQ(0, ets_nl_subscribe(&sub));
	ASSERT_EQ(0, nl_rename(a.id, NULL, m, "post-mortem"));
	ASSERT_EQ(0, ets_nl_event_table(sub.fd, EV_TIMEOUT_MS, &ev));
	EXPECT_EQ(U32(ETSMGR_EVENT_RENAMED), ev.event);
	EXPECT_EQ(a.id, ev.id);
	EXPECT_STREQ(m, ev.name);
	EXPECT_STREQ(n, ev.old_name);
	EXPECT_STREQ(n, ev.orig_name);
	EXPECT_STREQ("post-mortem", ev.reason);
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), ev.state);
	/* A refused rename tells of nothing. */
	EXPECT_EQ(-EEXIST, nl_rename(a.id, NULL, m, NULL));
	EXPECT_EQ(-EAGAIN, ets_nl_event_table(sub.fd, EV_QUIET_MS, &ev));
	ets_nl_close(&sub);
	EXPECT_EQ(0, ets_cleanup(m));
}


/* Drain, rmmod, insmod: the manager restarted. 0 or -errno. */
static int restart_manager(FIXTURE_DATA(rename) *self)
{
	struct ets_nl nl;
	int ret;

	ret = ets_nl_open(&nl);
	if (ret)
		return ret;
	ret = ets_nl_cmd(&nl, ETSMGR_CMD_DRAIN_START);
	if (!ret)
		ret = ets_nl_cmd(&nl, ETSMGR_CMD_DRAIN_FINISH);
	ets_nl_close(&nl);
	if (ret)
		return ret;
	if (ets_rmmod())
		return -EBUSY;
	return ets_loaded_ko_insmod(&self->ko) ? -EIO : 0;
}

TEST_F(rename, reload_adopts_under_the_latest_name)
{
	const char *n = ETS_NAME("t"), *m = ETS_NAME("u");
	size_t len = 2 * ets_page();
	struct etsmgr_attach a, b;
	struct etsmgr_adopt ad;
	struct ets_nl_table t;
	unsigned char *p;
	int fd, err;

	ETS_REQUIRE_UNLOADABLE(&self->ko);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PROTECTED, len, &a));
	p = ets_map(fd, a.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	ets_fill(p, len, 9);
	ASSERT_EQ(0, rename_name(fd, n, m, "quarantined"));
	close(fd);

	ASSERT_EQ(0, restart_manager(self));
	fd = ets_open();
	ASSERT_LE(0, fd);
	/* The old name is taken by a fresh table: no conflict. */
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &b));
	memset(&ad, 0, sizeof(ad));
	ad.addr = (uintptr_t)p;
	ad.access = ETSMGR_ACCESS_PROTECTED;
	ASSERT_EQ(0, ets_ioctl(fd, ETSMGR_IOC_ADOPT, &ad));
	EXPECT_EQ(a.id, ad.id);
	EXPECT_STREQ(m, ad.name);
	EXPECT_EQ(-1, ets_check(p, len, 9));
	ASSERT_EQ(0, nl_get(a.id, &t));
	EXPECT_STREQ(m, t.name);
	EXPECT_STREQ(n, t.orig_name);
	EXPECT_STREQ("quarantined", t.reason);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
	munmap(p, len);
}

TEST_HARNESS_MAIN
