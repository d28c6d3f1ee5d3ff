// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: module-wide state. Limits (module parameters, saved
 * and restored by the fixture), debugfs counters, memory release, and
 * unload safety (rmmod refused while a session is open or a table held).
 */
#include "etsmgr_util.h"

#include <sys/utsname.h>

ETS_FIXTURE(limits)

/* Tables currently in the registry (0 when the stats are not there). */
static long long current_tables(struct __test_metadata *_metadata)
{
	long long v = ets_stats_available() ? ets_stat("tables") : -1;

	if (v < 0) {
		TH_LOG("no stats: assuming no other tables exist");
		return 0;
	}
	return v;
}

static long long current_bytes(struct __test_metadata *_metadata)
{
	long long v = ets_stats_available() ? ets_stat("bytes") : -1;

	if (v < 0) {
		TH_LOG("no stats: assuming no other tables exist");
		return 0;
	}
	return v;
}

TEST_F(limits, params_present)
{
	unsigned long long v;
	unsigned int k;

	ETS_REQUIRE_DEVICE();
	ETS_REQUIRE_PARAMS();
	for (k = 0; k < ARRAY_SIZE(ets_param_names); k++) {
		ASSERT_EQ(0, ets_param_get(ets_param_names[k], &v));
		EXPECT_LT(0ULL, v) TH_LOG("%s", ets_param_names[k]);
	}
}

TEST_F(limits, size_over_max_table_size_efbig)
{
	const char *n = ETS_NAME("t");
	int fd;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_PARAMS();
	ASSERT_EQ(0, ets_ctx_set_param(&self->c, "max_table_size", ETS_MIB));
	fd = ets_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFBIG, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE,
				     ETS_MIB + 1, NULL));
	EXPECT_EQ(-EFBIG, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE,
				     ETS_MIB + ets_page(), NULL));
	EXPECT_EQ(-EFBIG, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE,
				     1ULL << 40, NULL));
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, NULL));
	close(fd);
}

TEST_F(limits, size_at_max_table_size_ok)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_PARAMS();
	ASSERT_EQ(0, ets_ctx_set_param(&self->c, "max_table_size", ETS_MIB));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, ETS_MIB, &a));
	EXPECT_EQ(ETS_MIB, a.size);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(limits, max_tables_enospc)
{
	struct etsmgr_attach a[3];
	char suffix[8];
	long long base;
	int fd, i;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_PARAMS();
	base = current_tables(_metadata);
	ASSERT_EQ(0, ets_ctx_set_param(&self->c, "max_tables",
				       (unsigned long long)base + 3));
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++) {
		snprintf(suffix, sizeof(suffix), "t%d", i);
		ASSERT_EQ(0, ets_create(fd, ETS_NAME(suffix),
					ETSMGR_ACCESS_PRIVATE, 4096, &a[i]));
	}
	EXPECT_EQ(-ENOSPC, ets_create(fd, ETS_NAME("t3"),
				      ETSMGR_ACCESS_PRIVATE, 4096, NULL));
	EXPECT_EQ(-ENOSPC, ets_attach(fd, ETS_NAME("t3"),
				      ETSMGR_ATTACH_CREATE,
				      ETSMGR_ACCESS_PRIVATE, 4096, NULL));
	/* A deleted table frees its slot at once. */
	EXPECT_EQ(0, ets_delete_id(fd, a[0].id));
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t3"), ETSMGR_ACCESS_PRIVATE,
				4096, &a[0]));
	EXPECT_EQ(0, ets_delete_id(fd, a[0].id));
	EXPECT_EQ(0, ets_delete_id(fd, a[1].id));
	EXPECT_EQ(0, ets_delete_id(fd, a[2].id));
	close(fd);
}

TEST_F(limits, max_tables_does_not_block_reclaim)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	long long base;
	int fd;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_PARAMS();
	base = current_tables(_metadata);
	ASSERT_EQ(0, ets_ctx_set_param(&self->c, "max_tables",
				       (unsigned long long)base + 1));
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	fd = ets_open();
	ASSERT_LE(0, fd);
	/* Full: no new table, but the held one can be reclaimed. */
	EXPECT_EQ(-ENOSPC, ets_create(fd, ETS_NAME("u"),
				      ETSMGR_ACCESS_PRIVATE, 4096, NULL));
	ASSERT_EQ(0, ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
				ETSMGR_ACCESS_PRIVATE, 4096, &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), b.result);
	EXPECT_EQ(a.id, b.id);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_F(limits, max_total_size_enospc)
{
	__u64 pg = ets_page();
	struct etsmgr_attach a, b, c;
	long long base;
	int fd;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_PARAMS();
	base = current_bytes(_metadata);
	ASSERT_EQ(0, ets_ctx_set_param(&self->c, "max_total_size",
				       (unsigned long long)base + 3 * pg));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("a"), ETSMGR_ACCESS_PRIVATE,
				2 * pg, &a));
	/* pg + 1 rounds up to 2 pages: 4 pages would be over the limit. */
	EXPECT_EQ(-ENOSPC, ets_create(fd, ETS_NAME("b"),
				      ETSMGR_ACCESS_PRIVATE, pg + 1, NULL));
	/* Exactly at the limit is fine. */
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("c"), ETSMGR_ACCESS_PRIVATE, 1,
				&c));
	/* Size 1 counts as a whole page. */
	EXPECT_EQ(-ENOSPC, ets_create(fd, ETS_NAME("d"),
				      ETSMGR_ACCESS_PRIVATE, 1, NULL));
	/* Deleting gives the bytes back at once. */
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("b"), ETSMGR_ACCESS_PRIVATE,
				pg + 1, &b));
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	EXPECT_EQ(0, ets_delete_id(fd, c.id));
	close(fd);
}

TEST_F(limits, counters_back_to_baseline)
{
	struct ets_counters base, c;
	struct etsmgr_attach a, b, r;
	__u64 pg = ets_page();
	int fd, fd2, fd3;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	ASSERT_EQ(0, ets_counters_read(&base));

	fd = ets_open();
	ASSERT_LE(0, fd);
	fd2 = ets_open();
	ASSERT_LE(0, fd2);
	fd3 = ets_open();
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.sessions + 3, c.sessions);
	close(fd3);
	close(fd2);
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.sessions + 1, c.sessions);

	ASSERT_EQ(0, ets_create(fd, ETS_NAME("a"), ETSMGR_ACCESS_PRIVATE, 1,
				&a));
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("b"), ETSMGR_ACCESS_PUBLIC,
				2 * pg + 1, &b));
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.tables + 2, c.tables);
	EXPECT_EQ(base.held, c.held);
	EXPECT_EQ(base.bytes + (long long)(4 * pg), c.bytes);
	EXPECT_EQ(base.created + 2, c.created);

	/* Owner gone: both held. */
	close(fd);
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.sessions, c.sessions);
	EXPECT_EQ(base.tables + 2, c.tables);
	EXPECT_EQ(base.held + 2, c.held);

	/* Reclaim one. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, ETS_NAME("a"), &r));
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.held + 1, c.held);
	EXPECT_EQ(base.reclaimed + 1, c.reclaimed);
	EXPECT_EQ(base.tables + 2, c.tables);

	/* Delete both (b while held: as CAP_SYS_ADMIN). */
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.tables, c.tables);
	EXPECT_EQ(base.held, c.held);
	EXPECT_EQ(base.bytes, c.bytes);
	EXPECT_EQ(base.deleted + 2, c.deleted);
	EXPECT_EQ(base.created + 2, c.created);
	EXPECT_EQ(base.reclaimed + 1, c.reclaimed);
	close(fd);
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.sessions, c.sessions);
}

TEST_F(limits, counters_follow_dying_owner)
{
	struct ets_counters base, c;
	struct ets_owner o;
	int st;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	ASSERT_EQ(0, ets_counters_read(&base));
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE,
				     4096, 0, ETS_AS_SELF));
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.sessions + 1, c.sessions);
	EXPECT_EQ(base.tables + 1, c.tables);
	EXPECT_EQ(base.held, c.held);
	st = ets_owner_kill(&o, SIGKILL);
	ASSERT_TRUE(WIFSIGNALED(st));
	/* waitpid returned: the session is gone and the table held. */
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.sessions, c.sessions);
	EXPECT_EQ(base.tables + 1, c.tables);
	EXPECT_EQ(base.held + 1, c.held);
	EXPECT_EQ(0, ets_cleanup(ETS_NAME("t")));
	ASSERT_EQ(0, ets_counters_read(&c));
	EXPECT_EQ(base.tables, c.tables);
	EXPECT_EQ(base.held, c.held);
	EXPECT_EQ(base.bytes, c.bytes);
}

TEST_F(limits, delete_memory_freed_after_munmap)
{
	const __u64 size = 32 * ETS_MIB, slack = 8 * ETS_MIB;
	long long shm0, shm1, shm2, shm3;
	struct ets_counters base, c;
	unsigned long long v;
	struct etsmgr_attach a;
	int fd, err, have_stats;
	unsigned char *p;

	ETS_REQUIRE_ROOT();
	ASSERT_LT(0, ets_meminfo_shmem());
	have_stats = ets_stats_available() && !ets_counters_read(&base);
	if (!have_stats) {
		TH_LOG("no %s: counters not checked", ETS_STATS_PATH);
	}
	/* Make room for 32 MiB if the limits are lower. */
	if (self->c.saved[1] && !ets_param_get("max_table_size", &v) &&
	    v < size) {
		ASSERT_EQ(0, ets_ctx_set_param(&self->c, "max_table_size",
					       size));
	}
	if (self->c.saved[2] && !ets_param_get("max_total_size", &v) &&
	    v < size + (unsigned long long)current_bytes(_metadata)) {
		ASSERT_EQ(0, ets_ctx_set_param(&self->c, "max_total_size",
			v + size));
	}
	fd = ets_open();
	ASSERT_LE(0, fd);
	shm0 = ets_meminfo_shmem();
	/* Public, so that the deleted table stays readable (not fenced). */
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC,
				size, &a));
	p = ets_map(fd, a.mmap_offset, size, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	memset(p, 0x5c, size);
	shm1 = ets_meminfo_shmem();
	EXPECT_LE(shm0 + (long long)(size - slack), shm1) {
		TH_LOG("Shmem %lld -> %lld after touching 32 MiB", shm0,
		       shm1);
	}
	if (have_stats) {
		ASSERT_EQ(0, ets_counters_read(&c));
		EXPECT_EQ(base.tables + 1, c.tables);
		EXPECT_EQ(base.bytes + (long long)size, c.bytes);
	}

	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	if (have_stats) {
		ASSERT_EQ(0, ets_counters_read(&c));
		EXPECT_EQ(base.tables, c.tables);
		EXPECT_EQ(base.bytes, c.bytes);
	}
	/* Deleted, but mapped: the memory is still there and in use. */
	shm2 = ets_meminfo_shmem();
	EXPECT_LE(shm0 + (long long)(size - slack), shm2) {
		TH_LOG("Shmem %lld -> %lld after delete, still mapped", shm0,
		       shm2);
	}
	EXPECT_EQ(0x5c, p[0]);
	EXPECT_EQ(0x5c, p[size - 1]);

	ASSERT_EQ(0, munmap(p, size));
	shm3 = ets_meminfo_shmem();
	EXPECT_GE(shm0 + (long long)slack, shm3) {
		TH_LOG("Shmem %lld -> %lld after munmap: not freed", shm0,
		       shm3);
	}
	close(fd);
}

/* rmmod etsmgr: its exit code, or SKIP if there is no rmmod. */
TEST_F(limits, rmmod_refused_with_open_session)
{
	int fd, rc;

	ETS_REQUIRE_ROOT();
	if (!ets_module_loaded())
		SKIP(return, "etsmgr is not a loaded module");
	fd = ets_open();
	ASSERT_LE(0, fd);
	rc = ets_rmmod();
	if (rc == 127)
		SKIP(close(fd); return, "no rmmod");
	EXPECT_NE(0, rc);
	EXPECT_TRUE(ets_module_loaded());
	if (!ets_module_loaded()) {
		TH_LOG("rmmod unloaded etsmgr with a session open");
		ets_try_reload();
	}
	close(fd);
}

TEST_F(limits, rmmod_refused_with_held_table)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int rc;

	ETS_REQUIRE_ROOT();
	if (!ets_module_loaded())
		SKIP(return, "etsmgr is not a loaded module");
	/* Created, owner closed, nobody attached, no session open. */
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	rc = ets_rmmod();
	if (rc == 127) {
		EXPECT_EQ(0, ets_cleanup(n));
		SKIP(return, "no rmmod");
	}
	EXPECT_NE(0, rc);
	EXPECT_TRUE(ets_module_loaded());
	if (!ets_module_loaded()) {
		TH_LOG("rmmod unloaded etsmgr with a table held");
		ets_try_reload();
		return;
	}
	EXPECT_EQ(0, ets_cleanup(n));
}

/*
 * With no session open and no table in the registry, rmmod works; a
 * mapping of a deleted table keeps working with the module gone; the
 * module loads again and hands out ids above every earlier one. The
 * module is loaded back with the parameter values it had.
 */
TEST_F(limits, module_unload_keeps_mappings)
{
	char ko[PATH_MAX + 64], args[3][64];
	char *argv[6] = { "insmod", ko, args[0], args[1], args[2], NULL };
	size_t len = 4 * ets_page();
	unsigned long long v;
	struct ets_counters c;
	struct etsmgr_attach a, b;
	unsigned char *p;
	int fd, err, rc, k;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	ETS_REQUIRE_PARAMS();
	if (!ets_module_loaded())
		SKIP(return, "etsmgr is not a loaded module");
	if (ets_find_loaded_ko(ko, sizeof(ko)))
		SKIP(return, "the loaded etsmgr.ko is not next to this binary");
	ASSERT_EQ(0, ets_counters_read(&c));
	if (c.tables || c.sessions)
		SKIP(return, "%lld tables, %lld sessions: cannot unload",
		     c.tables, c.sessions);
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(0, ets_param_get(ets_param_names[k], &v));
		snprintf(args[k], sizeof(args[k]), "%s=%llu",
			 ets_param_names[k], v);
	}

	fd = ets_open();
	ASSERT_LE(0, fd);
	/* Public, so that the deleted table stays writable (not fenced). */
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC, len,
				&a));
	p = ets_map(fd, a.mmap_offset, len, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	ets_fill(p, len, 91);
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);

	rc = ets_rmmod();
	if (rc == 127)
		SKIP(return, "no rmmod");
	ASSERT_EQ(0, rc) TH_LOG("rmmod refused with nothing open or held");
	EXPECT_FALSE(ets_module_loaded());
	/* The module is gone; the mapping is plain shmem. */
	EXPECT_EQ(-1, ets_check(p, len, 91));
	p[len - 1] = 0x17;
	EXPECT_EQ(0x17, p[len - 1]);
	munmap(p, len);

	rc = ets_run_quiet(argv);
	ASSERT_EQ(0, rc) TH_LOG("insmod %s failed: the rest will fail", ko);
	for (k = 0; k < 200 && !ets_device_present(); k++)
		usleep(10000);
	ASSERT_TRUE(ets_device_present());
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PRIVATE, len,
				&b));
	EXPECT_LT(a.id, b.id);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

TEST_HARNESS_MAIN
