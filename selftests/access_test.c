// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: who may map, reclaim, delete and look at a table.
 * mmap(2) rules, access modes, other uids, CAP_SYS_ADMIN.
 */
#include "etsmgr_util.h"

ETS_FIXTURE(access)

/* Create @n in a new session @*fd; returns the table in @a. */
static void owner_create(struct __test_metadata *_metadata, int *fd,
			 const char *n, __u32 access, __u64 size,
			 struct etsmgr_attach *a)
{
	*fd = ets_open();
	ASSERT_LE(0, *fd);
	ASSERT_EQ(0, ets_create(*fd, n, access, size, a));
}

TEST_F(access, device_mode_0666)
{
	struct stat st;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, stat(ETSMGR_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, (int)(st.st_mode & 07777));
}

TEST_F(access, nobody_opens_and_creates)
{
	struct ets_probe pr = {
		.creds = ETS_AS_NOBODY,
		.op = ETS_OP_ATTACH,
		.flags = ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL,
		.access = ETSMGR_ACCESS_PRIVATE,
		.size = 4096,
		.delete_after = 1,
	};

	ETS_REQUIRE_ROOT();
	strcpy(pr.name, ETS_NAME("t"));
	EXPECT_EQ(0, ets_probe_run(&pr));
	EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), pr.a.result);
	EXPECT_EQ(0, pr.delete_ret);
}

TEST_F(access, mmap_private_flag_einval)
{
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC,
		     4096, &a);
	EXPECT_EQ(-EINVAL, ets_try_map(fd, a.mmap_offset, 4096, PROT_READ,
				       MAP_PRIVATE));
	EXPECT_EQ(-EINVAL, ets_try_map(fd, a.mmap_offset, 4096,
				       PROT_READ | PROT_WRITE, MAP_PRIVATE));
	EXPECT_EQ(0, ets_try_map(fd, a.mmap_offset, 4096, PROT_READ,
				 MAP_SHARED));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, mmap_too_long_einval)
{
	size_t pg = ets_page();
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
		     2 * pg, &a);
	EXPECT_EQ(-EINVAL, ets_try_map(fd, a.mmap_offset, 3 * pg,
				       PROT_READ | PROT_WRITE, MAP_SHARED));
	EXPECT_EQ(-EINVAL, ets_try_map(fd, a.mmap_offset, 1024 * pg,
				       PROT_READ, MAP_SHARED));
	EXPECT_EQ(0, ets_try_map(fd, a.mmap_offset, 2 * pg,
				 PROT_READ | PROT_WRITE, MAP_SHARED));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, mmap_unknown_offset_enoent)
{
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
		     4096, &a);
	EXPECT_EQ(-ENOENT, ets_try_map(fd, a.mmap_offset + (4096ULL << 24),
				       4096, PROT_READ, MAP_SHARED));
	EXPECT_EQ(-ENOENT, ets_try_map(fd, 0x7ffff00000000000ULL, 4096,
				       PROT_READ, MAP_SHARED));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, mmap_deleted_table_offset_enoent)
{
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
		     4096, &a);
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(-ENOENT, ets_try_map(fd, a.mmap_offset, 4096,
				       PROT_READ | PROT_WRITE, MAP_SHARED));
	close(fd);
}

TEST_F(access, mmap_prefix_ok)
{
	size_t pg = ets_page();
	struct etsmgr_attach a;
	unsigned char *all, *one, *three;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
		     4 * pg, &a);
	all = ets_map(fd, a.mmap_offset, 4 * pg, PROT_READ | PROT_WRITE,
		      &err);
	ASSERT_NE(NULL, all) TH_LOG("mmap: %s", strerror(-err));
	one = ets_map(fd, a.mmap_offset, pg, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, one) TH_LOG("mmap 1 page: %s", strerror(-err));
	three = ets_map(fd, a.mmap_offset, 3 * pg, PROT_READ, &err);
	ASSERT_NE(NULL, three) TH_LOG("mmap 3 pages: %s", strerror(-err));
	/* A prefix maps the start of the table. */
	one[10] = 0x3c;
	EXPECT_EQ(0x3c, all[10]);
	all[2 * pg + 1] = 0x4d;
	EXPECT_EQ(0x4d, three[2 * pg + 1]);
	munmap(three, 3 * pg);
	munmap(one, pg);
	munmap(all, 4 * pg);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, mapping_survives_session_close)
{
	const char *n = ETS_NAME("t");
	size_t len = 2 * ets_page();
	struct etsmgr_attach a, b;
	unsigned char *p, *q;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, n, ETSMGR_ACCESS_PRIVATE, len, &a);
	p = ets_map(fd, a.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	ets_fill(p, len, 41);
	close(fd);
	/* Still readable and writable with the session gone. */
	EXPECT_EQ(-1, ets_check(p, len, 41));
	p[len - 1] = 0xee;
	EXPECT_EQ(0xee, p[len - 1]);
	/* The held table has the write made after the close. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	q = ets_map(fd, b.mmap_offset, len, PROT_READ, &err);
	ASSERT_NE(NULL, q) TH_LOG("mmap: %s", strerror(-err));
	EXPECT_EQ(0xee, q[len - 1]);
	EXPECT_EQ(-1, ets_check(q, len - 1, 41));
	munmap(q, len);
	munmap(p, len);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(access, private_other_session_eacces)
{
	struct ets_probe pr = { .op = ETS_OP_MMAP, .len = 4096 };
	struct etsmgr_attach a;
	int fd, fd2;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
		     4096, &a);
	/* Another session of the same process (root, even). */
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EACCES, ets_try_map(fd2, a.mmap_offset, 4096, PROT_READ,
				       MAP_SHARED));
	EXPECT_EQ(-EACCES, ets_try_map(fd2, a.mmap_offset, 4096,
				       PROT_READ | PROT_WRITE, MAP_SHARED));
	close(fd2);
	/* Another process of the same uid. */
	pr.off = a.mmap_offset;
	pr.prot = PROT_READ;
	EXPECT_EQ(EACCES, ets_probe_run(&pr));
	/* The owner itself maps it. */
	EXPECT_EQ(0, ets_try_map(fd, a.mmap_offset, 4096,
				 PROT_READ | PROT_WRITE, MAP_SHARED));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, protected_other_session_read_only)
{
	struct etsmgr_attach a;
	unsigned char *p, *r;
	int fd, fd2, err;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PROTECTED,
		     4096, &a);
	p = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("owner mmap: %s", strerror(-err));
	ets_fill(p, 4096, 51);
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	r = ets_map(fd2, a.mmap_offset, 4096, PROT_READ, &err);
	ASSERT_NE(NULL, r) TH_LOG("reader mmap: %s", strerror(-err));
	EXPECT_EQ(-1, ets_check(r, 4096, 51));
	/* The reader sees the owner's later writes. */
	p[0] ^= 0xff;
	EXPECT_EQ(p[0], r[0]);
	EXPECT_EQ(-EACCES, ets_try_map(fd2, a.mmap_offset, 4096,
				       PROT_READ | PROT_WRITE, MAP_SHARED));
	EXPECT_EQ(-EACCES, ets_try_map(fd2, a.mmap_offset, 4096, PROT_WRITE,
				       MAP_SHARED));
	munmap(r, 4096);
	munmap(p, 4096);
	close(fd2);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, protected_other_process_read_only)
{
	struct ets_probe pr = {
		.creds = ETS_AS_NOADMIN,
		.op = ETS_OP_MMAP,
		.len = 4096,
	};
	struct etsmgr_attach a;
	unsigned char *p;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PROTECTED,
		     4096, &a);
	p = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("owner mmap: %s", strerror(-err));
	p[0] = 0x6b;
	/* Same uid, without CAP_SYS_ADMIN: read-only. */
	pr.off = a.mmap_offset;
	pr.prot = PROT_READ;
	EXPECT_EQ(0, ets_probe_run(&pr));
	EXPECT_EQ(0x6b, pr.rbyte);
	pr.prot = PROT_READ | PROT_WRITE;
	pr.wbyte = 0x01;
	EXPECT_EQ(EACCES, ets_probe_run(&pr));
	EXPECT_EQ(0x6b, p[0]);
	munmap(p, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, protected_mprotect_write_eacces)
{
	struct etsmgr_attach a;
	unsigned char *r;
	int fd, fd2, err, ret;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PROTECTED,
		     4096, &a);
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	r = ets_map(fd2, a.mmap_offset, 4096, PROT_READ, &err);
	ASSERT_NE(NULL, r) TH_LOG("reader mmap: %s", strerror(-err));
	ret = mprotect(r, 4096, PROT_READ | PROT_WRITE);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EACCES, err);
	/* Still mapped read-only and readable. */
	EXPECT_EQ(0, r[0]);
	munmap(r, 4096);
	close(fd2);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, owner_mprotect_write_ok)
{
	__u32 modes[] = { ETSMGR_ACCESS_PRIVATE, ETSMGR_ACCESS_PROTECTED,
			  ETSMGR_ACCESS_PUBLIC };
	struct etsmgr_attach a;
	char suffix[8];
	unsigned char *p;
	unsigned int k;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (k = 0; k < ARRAY_SIZE(modes); k++) {
		snprintf(suffix, sizeof(suffix), "m%u", k);
		ASSERT_EQ(0, ets_create(fd, ETS_NAME(suffix), modes[k], 4096,
					&a));
		p = ets_map(fd, a.mmap_offset, 4096, PROT_READ, &err);
		ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
		ASSERT_EQ(0, mprotect(p, 4096, PROT_READ | PROT_WRITE)) {
			TH_LOG("access %u: %s", modes[k], strerror(errno));
		}
		p[0] = 1;
		EXPECT_EQ(1, p[0]);
		munmap(p, 4096);
		EXPECT_EQ(0, ets_delete_id(fd, a.id));
	}
	close(fd);
}

TEST_F(access, public_other_session_read_write)
{
	struct etsmgr_attach a;
	unsigned char *p, *w;
	int fd, fd2, err;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC,
		     8192, &a);
	p = ets_map(fd, a.mmap_offset, 8192, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("owner mmap: %s", strerror(-err));
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	w = ets_map(fd2, a.mmap_offset, 8192, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, w) TH_LOG("other mmap: %s", strerror(-err));
	ets_fill(w, 8192, 61);
	EXPECT_EQ(-1, ets_check(p, 8192, 61));
	p[4096] = 0x99;
	EXPECT_EQ(0x99, w[4096]);
	munmap(w, 8192);
	munmap(p, 8192);
	close(fd2);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, public_other_process_read_write)
{
	struct ets_probe pr = {
		.creds = ETS_AS_NOADMIN,
		.op = ETS_OP_MMAP,
		.len = 4096,
		.prot = PROT_READ | PROT_WRITE,
		.wbyte = 0x42,
	};
	struct etsmgr_attach a;
	unsigned char *p;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	owner_create(_metadata, &fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC,
		     4096, &a);
	p = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("owner mmap: %s", strerror(-err));
	pr.off = a.mmap_offset;
	EXPECT_EQ(0, ets_probe_run(&pr));
	EXPECT_EQ(0x42, p[0]);
	munmap(p, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

/*
 * Names are per uid: root's held table is no table of uid 65534's name,
 * so an ATTACH finds nothing and an ATTACH|CREATE makes uid 65534 a table
 * of its own.
 */
TEST_F(access, other_uid_cannot_reclaim)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = {
		.creds = ETS_AS_NOBODY,
		.op = ETS_OP_ATTACH,
		.access = ETSMGR_ACCESS_PUBLIC,
		.size = 4096,
		.delete_after = 1,
	};
	struct etsmgr_attach a;
	struct etsmgr_info i;
	int fd;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PUBLIC, 4096, 0, &a));
	strcpy(pr.name, n);
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	pr.flags = ETSMGR_ATTACH_CREATE;
	EXPECT_EQ(0, ets_probe_run(&pr));
	EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), pr.a.result);
	EXPECT_NE(a.id, pr.a.id);
	EXPECT_EQ(U32(ETS_NOBODY), pr.a.uid);
	EXPECT_EQ(0, pr.delete_ret);
	/* uid 65534 may not name root's table explicitly. */
	pr.flags = ETSMGR_ATTACH_UID;
	pr.uid = 0;
	EXPECT_EQ(EPERM, ets_probe_run(&pr));
	/* Still held, untouched. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), i.state);
	EXPECT_EQ(U64(1), i.generation);
	close(fd);
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(access, other_uid_cannot_map_public)
{
	struct ets_probe pr = {
		.creds = ETS_AS_NOBODY,
		.op = ETS_OP_MMAP,
		.len = 4096,
		.prot = PROT_READ,
	};
	struct etsmgr_attach a, b;
	int fd;

	ETS_REQUIRE_ROOT();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("pub"), ETSMGR_ACCESS_PUBLIC,
				4096, &a));
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("prot"),
				ETSMGR_ACCESS_PROTECTED, 4096, &b));
	pr.off = a.mmap_offset;
	EXPECT_EQ(EACCES, ets_probe_run(&pr));
	pr.prot = PROT_READ | PROT_WRITE;
	EXPECT_EQ(EACCES, ets_probe_run(&pr));
	pr.off = b.mmap_offset;
	pr.prot = PROT_READ;
	EXPECT_EQ(EACCES, ets_probe_run(&pr));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(access, other_uid_cannot_delete)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = { .creds = ETS_AS_NOBODY };
	struct etsmgr_attach a;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PUBLIC, 4096, 0, &a));
	/* Another uid's table does not exist for uid 65534, by id or name. */
	pr.op = ETS_OP_DELETE_ID;
	pr.id = a.id;
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	pr.op = ETS_OP_DELETE_NAME;
	strcpy(pr.name, n);
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	EXPECT_EQ(0, ets_cleanup(n));
}

/* ENOENT, as netlink's GET_TABLE: an id tells nobody what others have. */
TEST_F(access, info_other_uid_eperm)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = { .creds = ETS_AS_NOBODY };
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_ROOT();
	owner_create(_metadata, &fd, n, ETSMGR_ACCESS_PUBLIC, 4096, &a);
	pr.op = ETS_OP_INFO_ID;
	pr.id = a.id;
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	pr.op = ETS_OP_INFO_NAME;
	strcpy(pr.name, n);
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, admin_reclaims_other_uid_table)
{
	const char *n = ETS_NAME("t");
	size_t size = 2 * ets_page();
	struct etsmgr_attach a;
	struct ets_owner o;
	unsigned char *p;
	__u64 id;
	int fd, st, err;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, size, 71,
				     ETS_AS_NOBODY));
	id = o.shm->a.id;
	st = ets_owner_exit(&o, 0);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fd = ets_open();
	ASSERT_LE(0, fd);
	/*
	 * Root's own name is root's: uid 65534's table is never matched by
	 * it (main reclaimed it, without saying whose it was).
	 */
	EXPECT_EQ(-ENOENT, ets_reclaim(fd, n, &a));
	/* Taking it over names the uid, and the reply says whose it is. */
	ets_attach_init(&a, n, ETSMGR_ATTACH_UID, ETSMGR_ACCESS_PRIVATE, 0);
	a.uid = ETS_NOBODY;
	ASSERT_EQ(0, ets_ioctl(fd, ETSMGR_IOC_ATTACH, &a));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), a.result);
	EXPECT_EQ(U32(ETS_NOBODY), a.uid);
	EXPECT_EQ(id, a.id);
	EXPECT_EQ(U64(2), a.generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), a.exit_reason);
	EXPECT_EQ(0, a.exit_status);
	p = ets_map(fd, a.mmap_offset, size, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	EXPECT_EQ(-1, ets_check(p, size, 71));
	munmap(p, size);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(access, info_shows_other_uid_to_admin)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_info i;
	struct ets_owner o;
	int fd;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 0,
				     ETS_AS_NOBODY));
	fd = ets_open();
	ASSERT_LE(0, fd);
	/* Root's name n is not uid 65534's n: root names the uid, or the id. */
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, &i));
	ASSERT_EQ(0, ets_info_id(fd, o.shm->a.id, &i));
	EXPECT_EQ(U32(ETS_NOBODY), i.uid);
	EXPECT_EQ(o.pid, i.owner_pid);
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	close(fd);
}

TEST_F(access, no_cap_sys_admin_cannot_reclaim_other_uid)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = {
		.creds = ETS_AS_NOADMIN,
		.op = ETS_OP_ATTACH,
		.access = ETSMGR_ACCESS_PRIVATE,
	};
	struct ets_owner o;
	int st, fd;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_NOBODY));
	st = ets_owner_exit(&o, 0);
	ASSERT_TRUE(WIFEXITED(st));
	/* uid 0 without CAP_SYS_ADMIN is just another uid. */
	strcpy(pr.name, n);
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	pr.flags = ETSMGR_ATTACH_UID;
	pr.uid = ETS_NOBODY;
	EXPECT_EQ(EPERM, ets_probe_run(&pr));
	pr.op = ETS_OP_MMAP;
	pr.off = o.shm->a.mmap_offset;
	pr.len = 4096;
	pr.prot = PROT_READ;
	EXPECT_EQ(EACCES, ets_probe_run(&pr));
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ets_delete_uid_name(fd, ETS_NOBODY, n));
	close(fd);
}

/*
 * A squatter cannot lock root out: uid 65534 owns "n" and keeps it, and
 * root's ATTACH|CREATE of "n" makes root its own table (main: EBUSY, and
 * root's daemon could not start).
 */
TEST_F(access, other_uid_owning_the_name_blocks_nobody)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct ets_owner o;
	int fd, err;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_NOBODY));
	fd = ets_open();
	ASSERT_LE(0, fd);
	err = ets_attach(fd, n, ETSMGR_ATTACH_CREATE, ETSMGR_ACCESS_PRIVATE,
			 4096, &a);
	ASSERT_EQ(0, err);
	EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), a.result);
	EXPECT_EQ(U32(0), a.uid);
	EXPECT_NE(o.shm->a.id, a.id);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	close(fd);
}

/*
 * A squatter's held public table is not root's to reclaim: root's
 * ATTACH|CREATE of the same name creates root's own table, which uid
 * 65534 cannot map (main reclaimed the attacker's table for root, and uid
 * 65534 kept read-write access to what root's daemon then used).
 */
TEST_F(access, other_uid_held_public_table_is_not_reclaimed)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = {
		.creds = ETS_AS_NOBODY,
		.op = ETS_OP_MMAP,
		.len = 4096,
		.prot = PROT_READ | PROT_WRITE,
	};
	struct etsmgr_attach a;
	struct ets_owner o;
	__u64 squat_id;
	int fd, st;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_NOBODY));
	squat_id = o.shm->a.id;
	st = ets_owner_exit(&o, 0);
	ASSERT_TRUE(WIFEXITED(st));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
				ETSMGR_ACCESS_PUBLIC, 4096, &a));
	EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), a.result);
	EXPECT_EQ(U32(0), a.uid);
	EXPECT_EQ(U64(1), a.generation);
	EXPECT_NE(squat_id, a.id);
	pr.off = a.mmap_offset;
	EXPECT_EQ(EACCES, ets_probe_run(&pr));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(0, ets_delete_uid_name(fd, ETS_NOBODY, n));
	close(fd);
}

/* Two uids each have a table "n": two tables, each found by its own uid. */
TEST_F(access, two_uids_one_name_two_tables)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = {
		.creds = ETS_AS_NOBODY,
		.op = ETS_OP_INFO_NAME,
	};
	struct etsmgr_attach a;
	struct etsmgr_info i;
	struct ets_owner o;
	int fd;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 0,
				     ETS_AS_NOBODY));
	owner_create(_metadata, &fd, n, ETSMGR_ACCESS_PRIVATE, 8192, &a);
	ASSERT_EQ(0, ets_info_name(fd, n, &i));
	EXPECT_EQ(a.id, i.id);
	EXPECT_EQ(U32(0), i.uid);
	strcpy(pr.name, n);
	EXPECT_EQ(0, ets_probe_run(&pr));
	EXPECT_EQ(o.shm->a.id, pr.info.id);
	EXPECT_EQ(U32(ETS_NOBODY), pr.info.uid);
	EXPECT_EQ(U64(4096), pr.info.size);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	close(fd);
}

TEST_F(access, no_cap_sys_admin_reclaims_own_uid_table)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = {
		.creds = ETS_AS_NOADMIN,
		.op = ETS_OP_ATTACH,
		.access = ETSMGR_ACCESS_PRIVATE,
	};
	struct etsmgr_attach a;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	strcpy(pr.name, n);
	EXPECT_EQ(0, ets_probe_run(&pr));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), pr.a.result);
	EXPECT_EQ(a.id, pr.a.id);
	EXPECT_EQ(U64(2), pr.a.generation);
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_F(access, no_cap_sys_admin_cannot_delete_held)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = { .creds = ETS_AS_NOADMIN };
	struct etsmgr_attach a;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PUBLIC, 4096, 0, &a));
	pr.op = ETS_OP_DELETE_ID;
	pr.id = a.id;
	EXPECT_EQ(EPERM, ets_probe_run(&pr));
	pr.op = ETS_OP_DELETE_NAME;
	strcpy(pr.name, n);
	EXPECT_EQ(EPERM, ets_probe_run(&pr));
	EXPECT_EQ(0, ets_cleanup(n));
}

TEST_HARNESS_MAIN
