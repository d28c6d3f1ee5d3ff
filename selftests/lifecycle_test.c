// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: the life of a table. Create, attach, owner death and
 * reclaim (exit reasons, generations, ids), delete, INFO.
 */
#include "etsmgr_util.h"

ETS_FIXTURE(lifecycle)

TEST_F(lifecycle, create_attach_mmap_read_write)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	unsigned char *p, *q;
	size_t len = 3 * ets_page();
	int fd, err;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, len, &a));
	p = ets_map(fd, a.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	/* A new table reads as zeroes. */
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(0, p[len - 1]);
	ets_fill(p, len, 11);
	EXPECT_EQ(-1, ets_check(p, len, 11));
	/* A second mapping shows the same bytes: it is shared memory. */
	q = ets_map(fd, a.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, q) TH_LOG("second mmap: %s", strerror(-err));
	EXPECT_EQ(-1, ets_check(q, len, 11));
	q[5] = 0xa5;
	EXPECT_EQ(0xa5, p[5]);
	munmap(q, len);
	munmap(p, len);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, create_reports_created_generation_1)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PROTECTED, 8192, &a));
	EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), a.result);
	EXPECT_NE(U64(0), a.id);
	EXPECT_EQ(U64(1), a.generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_NONE), a.exit_reason);
	EXPECT_EQ(0, a.exit_status);
	EXPECT_EQ(U32(ETSMGR_ACCESS_PROTECTED), a.access);
	EXPECT_STREQ(n, a.name);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, create_reports_page_rounded_size)
{
	__u64 sizes[] = { 1, 4095, 4096, 4097, 3 * 4096 + 17 };
	struct etsmgr_attach a;
	char suffix[16];
	unsigned int i;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		snprintf(suffix, sizeof(suffix), "s%u", i);
		ASSERT_EQ(0, ets_create(fd, ETS_NAME(suffix),
					ETSMGR_ACCESS_PRIVATE, sizes[i], &a));
		EXPECT_EQ(ets_round_page(sizes[i]), a.size) {
			TH_LOG("asked %llu", (unsigned long long)sizes[i]);
		}
		EXPECT_EQ(0, ets_delete_id(fd, a.id));
	}
	close(fd);
}

TEST_F(lifecycle, attach_missing_without_create_enoent)
{
	const char *n = ETS_NAME("missing");
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, ets_attach(fd, n, 0, ETSMGR_ACCESS_PRIVATE, 4096,
				      NULL));
	/* ... and nothing was created on the way. */
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, NULL));
	close(fd);
}

TEST_F(lifecycle, create_excl_existing_owned_eexist)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd, fd2;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	/* From the owning session and from another one. */
	EXPECT_EQ(-EEXIST, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096,
				      NULL));
	EXPECT_EQ(-EEXIST, ets_create(fd2, n, ETSMGR_ACCESS_PRIVATE, 4096,
				      NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd2);
	close(fd);
}

TEST_F(lifecycle, create_excl_existing_held_eexist)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EEXIST, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096,
				      NULL));
	/* The failed EXCL attach did not reclaim it. */
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), b.result);
	EXPECT_EQ(U64(2), b.generation);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(lifecycle, attach_own_table_again_already_owned)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b, c;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PUBLIC, 4096, &a));
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_ALREADY_OWNED), b.result);
	EXPECT_EQ(a.id, b.id);
	EXPECT_EQ(U64(1), b.generation);
	EXPECT_EQ(a.size, b.size);
	EXPECT_EQ(U32(ETSMGR_ACCESS_PUBLIC), b.access);
	/* With CREATE as well. */
	ASSERT_EQ(0, ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
				ETSMGR_ACCESS_PUBLIC, 4096, &c));
	EXPECT_EQ(U32(ETSMGR_RESULT_ALREADY_OWNED), c.result);
	EXPECT_EQ(a.id, c.id);
	EXPECT_EQ(U64(1), c.generation);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, live_owner_second_session_ebusy)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info i;
	int fd, fd2;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PUBLIC, 4096, &a));
	/* Another session of the same process: never displaces the owner. */
	EXPECT_EQ(-EBUSY, ets_reclaim(fd2, n, NULL));
	EXPECT_EQ(-EBUSY, ets_attach(fd2, n, ETSMGR_ATTACH_CREATE,
				     ETSMGR_ACCESS_PUBLIC, 4096, NULL));
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(1), i.owned_by_caller);
	EXPECT_EQ(U64(1), i.generation);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd2);
	close(fd);
}

TEST_F(lifecycle, live_owner_other_process_ebusy)
{
	const char *n = ETS_NAME("t");
	struct ets_owner o;
	int fd, st;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_SELF));
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, ets_reclaim(fd, n, NULL));
	EXPECT_EQ(-EBUSY, ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
				     ETSMGR_ACCESS_PUBLIC, 4096, NULL));
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	st = ets_owner_exit(&o, 0);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
}

TEST_F(lifecycle, kill9_mid_write_then_reclaim)
{
	const char *n = ETS_NAME("t");
	size_t size = 16 * ets_page();
	struct etsmgr_attach a;
	struct ets_owner o;
	unsigned char *p;
	__u64 id, ctr;
	int fd, st, err;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, size, 77,
				     ETS_AS_SELF));
	id = o.shm->a.id;
	/* The child now increments the last 8 bytes in a tight loop. */
	ASSERT_EQ(0, ets_owner_cmd(&o, ETS_CMD_WRITE, 0));
	usleep(20000);
	st = ets_owner_kill(&o, SIGKILL);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), a.result);
	EXPECT_EQ(id, a.id);
	EXPECT_EQ(U64(size), a.size);
	EXPECT_EQ(U64(2), a.generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_SIGNALED), a.exit_reason);
	EXPECT_EQ(SIGKILL, a.exit_status);
	p = ets_map(fd, a.mmap_offset, size, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	EXPECT_EQ(-1, ets_check(p, size - 8, 77));
	memcpy(&ctr, p + size - 8, sizeof(ctr));
	EXPECT_LE(U64(1), ctr);
	munmap(p, size);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

/* Owner child ends with exit(@code); the reclaim must report it. */
static void check_exit_reason(struct __test_metadata *_metadata,
			      const char *n, int code)
{
	size_t size = 2 * ets_page();
	struct etsmgr_attach a;
	struct ets_owner o;
	unsigned char *p;
	__u64 id;
	int fd, st, err;

	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, size, 5,
				     ETS_AS_SELF));
	id = o.shm->a.id;
	st = ets_owner_exit(&o, code);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == code);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), a.result);
	EXPECT_EQ(id, a.id);
	EXPECT_EQ(U64(2), a.generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), a.exit_reason);
	EXPECT_EQ(code, a.exit_status);
	p = ets_map(fd, a.mmap_offset, size, PROT_READ, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	EXPECT_EQ(-1, ets_check(p, size, 5));
	munmap(p, size);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, exit_status_reason)
{
	ETS_REQUIRE_DEVICE();
	check_exit_reason(_metadata, ETS_NAME("t"), 3);
}

TEST_F(lifecycle, exit_zero_reason)
{
	ETS_REQUIRE_DEVICE();
	check_exit_reason(_metadata, ETS_NAME("t"), 0);
}

TEST_F(lifecycle, exit_255_reason)
{
	ETS_REQUIRE_DEVICE();
	check_exit_reason(_metadata, ETS_NAME("t"), 255);
}

TEST_F(lifecycle, sigterm_reason)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct ets_owner o;
	int fd, st;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 0,
				     ETS_AS_SELF));
	st = ets_owner_kill(&o, SIGTERM);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U32(ETSMGR_EXIT_SIGNALED), a.exit_reason);
	EXPECT_EQ(SIGTERM, a.exit_status);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, kill9_threaded_owner_reason)
{
	const char *n = ETS_NAME("t");
	size_t size = 4 * ets_page();
	struct etsmgr_attach a;
	struct ets_owner o;
	unsigned char *p;
	int fd, st, err;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, size, 13,
				     ETS_AS_SELF));
	/* Four threads write the table; the last one out closes the fd. */
	ASSERT_EQ(0, ets_owner_cmd(&o, ETS_CMD_THREADS, 0));
	usleep(20000);
	st = ets_owner_kill(&o, SIGKILL);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), a.result);
	EXPECT_EQ(U32(ETSMGR_EXIT_SIGNALED), a.exit_reason);
	EXPECT_EQ(SIGKILL, a.exit_status);
	p = ets_map(fd, a.mmap_offset, size, PROT_READ, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	EXPECT_EQ(-1, ets_check(p, size - 8 * ETS_OWNER_THREADS, 13));
	munmap(p, size);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, exit_from_other_thread_reason)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct ets_owner o;
	int fd, st;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 1,
				     ETS_AS_SELF));
	/* A second thread calls _exit(7) while main waits in read(). */
	ASSERT_EQ(0, ets_owner_send(&o, ETS_CMD_THREAD_EXIT, 7));
	st = ets_owner_wait(&o);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), a.exit_reason);
	EXPECT_EQ(7, a.exit_status);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, exec_closes_session_reason)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info i;
	struct ets_owner o;
	int fd, k;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, access("/bin/sleep", X_OK));
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 0,
				     ETS_AS_SELF));
	/* The session fd is close-on-exec: exec ends it, the process lives. */
	ASSERT_EQ(0, ets_owner_send(&o, ETS_CMD_EXEC, 0));
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (k = 0; k < 500; k++) {
		ASSERT_EQ(0, ets_info_name(fd, n, &i));
		if (i.state == ETSMGR_STATE_HELD)
			break;
		usleep(10000);
	}
	ASSERT_EQ(U32(ETSMGR_STATE_HELD), i.state);
	EXPECT_EQ(0, kill(o.pid, 0));
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), a.exit_reason);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	ets_owner_kill(&o, SIGKILL);
	close(fd);
}

TEST_F(lifecycle, close_reason)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct ets_owner o;
	int fd, st;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 9,
				     ETS_AS_SELF));
	/* The owner closes its session and lives on. */
	ASSERT_EQ(0, ets_owner_cmd(&o, ETS_CMD_CLOSE, 0));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), a.result);
	EXPECT_EQ(U64(2), a.generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), a.exit_reason);
	st = ets_owner_exit(&o, 0);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, close_in_same_process_reason)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 3, &a));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), b.result);
	EXPECT_EQ(a.id, b.id);
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), b.exit_reason);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(lifecycle, reclaim_with_create_flag)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 3, &a));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
				ETSMGR_ACCESS_PRIVATE, 4096, &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), b.result);
	EXPECT_EQ(a.id, b.id);
	EXPECT_EQ(U64(2), b.generation);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(lifecycle, reclaim_ignores_size_and_keeps_access)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PROTECTED,
				   3 * ets_page(), 3, &a));
	fd = ets_open();
	ASSERT_LE(0, fd);
	/* Another size and access mode: the table keeps its own. */
	ASSERT_EQ(0, ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
				ETSMGR_ACCESS_PUBLIC, 100 * ets_page(), &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), b.result);
	EXPECT_EQ(U64(3 * ets_page()), b.size);
	EXPECT_EQ(U32(ETSMGR_ACCESS_PROTECTED), b.access);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(lifecycle, generation_increments_per_reclaim)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	__u64 id, g;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	id = a.id;
	EXPECT_EQ(U64(1), a.generation);
	/* Reclaims by closing sessions: 2, 3, 4. */
	for (g = 2; g <= 4; g++) {
		fd = ets_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ets_reclaim(fd, n, &a));
		EXPECT_EQ(g, a.generation);
		EXPECT_EQ(id, a.id);
		close(fd);
	}
	/* A reclaim by a child that then exits: 5; and ours: 6. */
	{
		struct ets_probe pr = {
			.op = ETS_OP_ATTACH,
			.access = ETSMGR_ACCESS_PRIVATE,
		};

		strcpy(pr.name, n);
		EXPECT_EQ(0, ets_probe_run(&pr));
		EXPECT_EQ(U64(5), pr.a.generation);
	}
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U64(6), a.generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), a.exit_reason);
	EXPECT_EQ(0, a.exit_status);
	/* ALREADY_OWNED does not count as a change of owner. */
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	EXPECT_EQ(U64(6), a.generation);
	EXPECT_EQ(0, ets_delete_id(fd, id));
	close(fd);
}

TEST_F(lifecycle, ids_unique_and_increasing)
{
	struct etsmgr_attach a;
	__u64 ids[6], newid;
	char suffix[8];
	int fd, i, j;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 6; i++) {
		snprintf(suffix, sizeof(suffix), "t%d", i);
		ASSERT_EQ(0, ets_create(fd, ETS_NAME(suffix),
					ETSMGR_ACCESS_PRIVATE, 4096, &a));
		ids[i] = a.id;
		EXPECT_NE(U64(0), ids[i]);
		if (i) {
			EXPECT_LT(ids[i - 1], ids[i]);
		}
	}
	for (i = 0; i < 6; i++) {
		for (j = i + 1; j < 6; j++) {
			EXPECT_NE(ids[i], ids[j]);
		}
	}
	/* Delete one; a new table, even of the same name, gets a new id. */
	EXPECT_EQ(0, ets_delete_id(fd, ids[5]));
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t5"), ETSMGR_ACCESS_PRIVATE,
				4096, &a));
	newid = a.id;
	EXPECT_LT(ids[5], newid);
	EXPECT_EQ(0, ets_delete_id(fd, newid));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(0, ets_delete_id(fd, ids[i]));
	}
	close(fd);
}

TEST_F(lifecycle, delete_frees_name_at_once)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(-ENOENT, ets_reclaim(fd, n, NULL));
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, NULL));
	EXPECT_EQ(-ENOENT, ets_info_id(fd, a.id, NULL));
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), b.result);
	EXPECT_NE(a.id, b.id);
	EXPECT_EQ(U64(1), b.generation);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(lifecycle, delete_old_mapping_still_readable)
{
	const char *n = ETS_NAME("t");
	size_t len = 4 * ets_page();
	struct etsmgr_attach a, b;
	unsigned char *p, *q;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	/* Public: a private or protected one is fenced (fence_test.c). */
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PUBLIC, len, &a));
	p = ets_map(fd, a.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	ets_fill(p, len, 21);
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	/* The old mapping still reads and writes the old bytes. */
	EXPECT_EQ(-1, ets_check(p, len, 21));
	p[100] = 0x5a;
	EXPECT_EQ(0x5a, p[100]);
	/* A new table of the same name is new memory. */
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, len, &b));
	q = ets_map(fd, b.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, q) TH_LOG("mmap: %s", strerror(-err));
	EXPECT_EQ(0, q[0]);
	EXPECT_EQ(0, q[100]);
	q[1] = 0x77;
	EXPECT_NE(0x77, p[1]);
	munmap(q, len);
	munmap(p, len);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(lifecycle, delete_by_name)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	EXPECT_EQ(0, ets_delete_name(fd, n));
	EXPECT_EQ(-ENOENT, ets_info_id(fd, a.id, NULL));
	EXPECT_EQ(-ENOENT, ets_delete_name(fd, n));
	close(fd);
}

TEST_F(lifecycle, delete_missing_enoent)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(-ENOENT, ets_delete_id(fd, a.id));
	EXPECT_EQ(-ENOENT, ets_delete_id(fd, ~0ULL));
	EXPECT_EQ(-ENOENT, ets_delete_name(fd, ETS_NAME("never")));
	close(fd);
}

TEST_F(lifecycle, delete_held_by_reclaimer)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	EXPECT_EQ(-ENOENT, ets_reclaim(fd, n, NULL));
	close(fd);
}

TEST_F(lifecycle, delete_non_owner_eperm)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = { .creds = ETS_AS_NOADMIN };
	struct etsmgr_attach a;
	struct etsmgr_info i;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PUBLIC, 4096, &a));
	/* Same uid, no CAP_SYS_ADMIN, another session: not allowed. */
	pr.op = ETS_OP_DELETE_ID;
	pr.id = a.id;
	EXPECT_EQ(EPERM, ets_probe_run(&pr));
	pr.op = ETS_OP_DELETE_NAME;
	strcpy(pr.name, n);
	EXPECT_EQ(EPERM, ets_probe_run(&pr));
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U32(1), i.owned_by_caller);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, admin_deletes_held_table)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(-ENOENT, ets_info_id(fd, a.id, NULL));
	EXPECT_EQ(-ENOENT, ets_reclaim(fd, n, NULL));
	close(fd);
}

TEST_F(lifecycle, admin_deletes_table_owned_by_other_session)
{
	const char *n = ETS_NAME("t");
	struct ets_owner o;
	int fd, st;

	ETS_REQUIRE_ROOT();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 0,
				     ETS_AS_SELF));
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ets_delete_name(fd, n));
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, NULL));
	/* The former owner's session no longer has it. */
	EXPECT_EQ(-ENOENT, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	st = ets_owner_exit(&o, 0);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, NULL));
	close(fd);
}

static void check_times(struct __test_metadata *_metadata,
			const struct etsmgr_info *i)
{
	__u64 now = ets_now_ns(), slack = 5000000000ULL;

	EXPECT_LE(now - slack, i->create_time_ns);
	EXPECT_GE(now + slack, i->create_time_ns);
	EXPECT_LE(i->create_time_ns, i->transfer_time_ns);
	EXPECT_GE(now + slack, i->transfer_time_ns);
}

static void check_info_zeroed(struct __test_metadata *_metadata,
			      const struct etsmgr_info *i)
{
	unsigned int k;

	EXPECT_EQ(U32(0), i->__pad);
	for (k = 0; k < ARRAY_SIZE(i->__reserved); k++) {
		EXPECT_EQ(U64(0), i->__reserved[k]);
	}
}

TEST_F(lifecycle, info_owned_fields)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info i, j;
	int fd, fd2;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PROTECTED,
				5 * ets_page(), &a));
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(a.id, i.id);
	EXPECT_STREQ(n, i.name);
	EXPECT_EQ(U64(5 * ets_page()), i.size);
	EXPECT_EQ(U64(1), i.generation);
	EXPECT_EQ(a.mmap_offset, i.mmap_offset);
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U32(ETSMGR_ACCESS_PROTECTED), i.access);
	EXPECT_EQ(U32(getuid()), i.uid);
	EXPECT_EQ(getpid(), i.owner_pid);
	EXPECT_EQ(U32(ETSMGR_EXIT_NONE), i.exit_reason);
	EXPECT_EQ(0, i.exit_status);
	EXPECT_EQ(U32(1), i.owned_by_caller);
	check_times(_metadata, &i);
	check_info_zeroed(_metadata, &i);
	/* By name, from another session: the same, but not owned by it. */
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ets_info_name(fd2, n, &j));
	EXPECT_EQ(a.id, j.id);
	EXPECT_EQ(i.create_time_ns, j.create_time_ns);
	EXPECT_EQ(i.transfer_time_ns, j.transfer_time_ns);
	EXPECT_EQ(getpid(), j.owner_pid);
	EXPECT_EQ(U32(0), j.owned_by_caller);
	close(fd2);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, info_owner_pid_of_other_process)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_info i;
	struct ets_owner o;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 0,
				     ETS_AS_SELF));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_info_name(fd, n, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(o.pid, i.owner_pid);
	EXPECT_EQ(U32(0), i.owned_by_caller);
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	close(fd);
}

TEST_F(lifecycle, info_held_fields)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_info i, j;
	struct ets_owner o;
	int fd, st;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PUBLIC, 4096, 0,
				     ETS_AS_SELF));
	st = ets_owner_exit(&o, 3);
	ASSERT_TRUE(WIFEXITED(st));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_info_name(fd, n, &i));
	EXPECT_EQ(o.shm->a.id, i.id);
	EXPECT_EQ(o.shm->a.mmap_offset, i.mmap_offset);
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), i.state);
	EXPECT_EQ(U32(ETSMGR_ACCESS_PUBLIC), i.access);
	EXPECT_EQ(0, i.owner_pid);
	EXPECT_EQ(U32(0), i.owned_by_caller);
	EXPECT_EQ(U64(1), i.generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_EXITED), i.exit_reason);
	EXPECT_EQ(3, i.exit_status);
	EXPECT_EQ(U32(getuid()), i.uid);
	check_times(_metadata, &i);
	check_info_zeroed(_metadata, &i);
	/* Looking at it does not change it. */
	ASSERT_EQ(0, ets_info_id(fd, i.id, &j));
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), j.state);
	EXPECT_EQ(i.transfer_time_ns, j.transfer_time_ns);
	EXPECT_EQ(0, ets_cleanup(n));
	close(fd);
}

TEST_F(lifecycle, info_after_reclaim_fields)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info i;
	struct ets_owner o;
	__u64 before, after;
	int fd, st;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PRIVATE, 4096, 0,
				     ETS_AS_SELF));
	st = ets_owner_kill(&o, SIGKILL);
	ASSERT_TRUE(WIFSIGNALED(st));
	fd = ets_open();
	ASSERT_LE(0, fd);
	before = ets_now_ns();
	ASSERT_EQ(0, ets_reclaim(fd, n, &a));
	after = ets_now_ns();
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U32(1), i.owned_by_caller);
	EXPECT_EQ(getpid(), i.owner_pid);
	EXPECT_EQ(U64(2), i.generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_SIGNALED), i.exit_reason);
	EXPECT_EQ(SIGKILL, i.exit_status);
	check_times(_metadata, &i);
	/* The transfer is the reclaim (1 s slack for coarse clocks). */
	EXPECT_LE(before - 1000000000ULL, i.transfer_time_ns);
	EXPECT_GE(after + 1000000000ULL, i.transfer_time_ns);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(lifecycle, info_missing_enoent)
{
	const char *n = ETS_NAME("t");
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, NULL));
	EXPECT_EQ(-ENOENT, ets_info_id(fd, ~0ULL, NULL));
	close(fd);
}

TEST_F(lifecycle, mapping_survives_owner_change)
{
	const char *n = ETS_NAME("t");
	size_t len = 2 * ets_page();
	struct etsmgr_attach a, b;
	unsigned char *p, *q;
	int fd, fd2, err;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, len, &a));
	p = ets_map(fd, a.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	ets_fill(p, len, 31);
	close(fd);
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ets_reclaim(fd2, n, &b));
	q = ets_map(fd2, b.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, q) TH_LOG("mmap: %s", strerror(-err));
	EXPECT_EQ(-1, ets_check(q, len, 31));
	/* Both mappings are the same memory, both ways. */
	p[7] = 0x11;
	EXPECT_EQ(0x11, q[7]);
	q[len - 1] = 0x22;
	EXPECT_EQ(0x22, p[len - 1]);
	munmap(q, len);
	munmap(p, len);
	EXPECT_EQ(0, ets_delete_id(fd2, b.id));
	close(fd2);
}

struct shared_session {
	int fd;
	const char *name;
};

/*
 * In a forked child: ATTACH through the parent's (inherited) session is
 * refused, the session acts for the parent only (owner_test.c has more).
 */
static int child_attach_shared_session(void *arg)
{
	struct shared_session *ss = arg;
	int ret;

	ret = ets_reclaim(ss->fd, ss->name, NULL);
	return ret == -EBADFD ? 0 : ETS_CHILD_BAD;
}

TEST_F(lifecycle, session_shared_by_fork_child)
{
	struct shared_session ss = { .name = ETS_NAME("t") };
	struct etsmgr_attach a;
	struct etsmgr_info i;

	ETS_REQUIRE_DEVICE();
	ss.fd = ets_open();
	ASSERT_LE(0, ss.fd);
	ASSERT_EQ(0, ets_create(ss.fd, ss.name, ETSMGR_ACCESS_PRIVATE, 4096,
				&a));
	/* An open file description shared over fork(), still the parent's. */
	EXPECT_EQ(0, ets_run_child(child_attach_shared_session, &ss));
	/* The child's exit did not end the session: still ours. */
	ASSERT_EQ(0, ets_info_id(ss.fd, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U32(1), i.owned_by_caller);
	EXPECT_EQ(U64(1), i.generation);
	EXPECT_EQ(0, ets_delete_id(ss.fd, a.id));
	close(ss.fd);
}

TEST_F(lifecycle, dup_close_keeps_session)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	struct etsmgr_info i;
	int fd, fd2;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	close(fd);
	/* Not the last close: the session lives on in fd2. */
	ASSERT_EQ(0, ets_info_id(fd2, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U32(1), i.owned_by_caller);
	close(fd2);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), b.exit_reason);
	EXPECT_EQ(U64(2), b.generation);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(lifecycle, session_owns_many_tables)
{
	struct etsmgr_attach a[4], b;
	char suffix[8];
	int fd, i;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 4; i++) {
		snprintf(suffix, sizeof(suffix), "t%d", i);
		ASSERT_EQ(0, ets_create(fd, ETS_NAME(suffix),
					ETSMGR_ACCESS_PRIVATE, 4096, &a[i]));
	}
	close(fd);
	/* All four are held now; each is reclaimed on its own. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 4; i++) {
		snprintf(suffix, sizeof(suffix), "t%d", i);
		ASSERT_EQ(0, ets_reclaim(fd, ETS_NAME(suffix), &b));
		EXPECT_EQ(a[i].id, b.id);
		EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), b.exit_reason);
		EXPECT_EQ(0, ets_delete_id(fd, b.id));
	}
	close(fd);
}

TEST_HARNESS_MAIN
