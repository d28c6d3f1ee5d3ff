// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: IPC namespaces. A table lives in the IPC namespace of
 * its creator; other namespaces neither see nor claim it, not even a new
 * namespace created after the table's own one died.
 *
 * Runs after limits_test (the module-unload test there needs an empty
 * registry): the last test here may leave an unreachable table behind.
 */
#include "etsmgr_util.h"

ETS_FIXTURE(namespace)

TEST_F(namespace, ipcns_table_invisible)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = { .new_ipc_ns = 1 };
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_ROOT();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PUBLIC, 4096, &a));
	strcpy(pr.name, n);
	pr.id = a.id;
	pr.op = ETS_OP_ATTACH;
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	pr.op = ETS_OP_INFO_ID;
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	pr.op = ETS_OP_INFO_NAME;
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	pr.op = ETS_OP_DELETE_ID;
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	pr.op = ETS_OP_DELETE_NAME;
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	pr.op = ETS_OP_MMAP;
	pr.off = a.mmap_offset;
	pr.len = 4096;
	pr.prot = PROT_READ;
	EXPECT_EQ(ENOENT, ets_probe_run(&pr));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(namespace, ipcns_same_name_independent)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = {
		.new_ipc_ns = 1,
		.op = ETS_OP_ATTACH,
		.flags = ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL,
		.access = ETSMGR_ACCESS_PUBLIC,
		.size = 4096,
		.delete_after = 1,
	};
	struct etsmgr_attach a;
	struct etsmgr_info i;
	int fd;

	ETS_REQUIRE_ROOT();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PUBLIC, 4096, &a));
	strcpy(pr.name, n);
	EXPECT_EQ(0, ets_probe_run(&pr));
	EXPECT_EQ(U32(ETSMGR_RESULT_CREATED), pr.a.result);
	EXPECT_NE(a.id, pr.a.id);
	EXPECT_EQ(0, pr.delete_ret);
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U64(1), i.generation);
	EXPECT_EQ(U32(1), i.owned_by_caller);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

/*
 * A held table of a namespace that died must not show up in a namespace
 * created later (which may well reuse the dead one's memory). Whether the
 * module frees such a table is not checked: if it keeps it, the table is
 * unreachable from here and stays in the registry.
 */
TEST_F(namespace, ipcns_dead_namespace_table_not_inherited)
{
	const char *n = ETS_NAME("t");
	struct ets_probe pr = {
		.new_ipc_ns = 1,
		.op = ETS_OP_ATTACH,
		.flags = ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL,
		.access = ETSMGR_ACCESS_PUBLIC,
		.size = 4096,
	};
	cpu_set_t cpus;
	__u64 dead_id;
	int k, ret;

	ETS_REQUIRE_ROOT();
	/*
	 * One CPU for all: the dead namespace is freed from a work item on
	 * the CPU its last process ran on, and the next namespace created
	 * there most likely gets the same memory.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	/* Let the namespaces of earlier tests be freed first (see below). */
	usleep(1000000);
	strcpy(pr.name, n);
	/* Created in a namespace whose only process then exits. */
	ASSERT_EQ(0, ets_probe_run(&pr));
	ASSERT_EQ(U32(ETSMGR_RESULT_CREATED), pr.a.result);
	dead_id = pr.a.id;
	/*
	 * Give the dead namespace time to be freed (RCU, then a work item),
	 * alone, so that its memory is the first in line for the next
	 * namespace made on this CPU: dead namespaces are freed in batches,
	 * the older ones last, and the last freed is the first reused.
	 */
	usleep(1000000);
	for (k = 0; k < 20; k++) {
		memset(&pr.a, 0, sizeof(pr.a));
		pr.flags = 0;
		pr.delete_after = 1;
		ret = ets_probe_run(&pr);
		if (ret != ENOENT) {
			TH_LOG("try %d: a new IPC namespace attached '%s': %s, id %llu (dead one's: %llu), result %u",
			       k, n, ret ? strerror(ret) : "success",
			       (unsigned long long)pr.a.id,
			       (unsigned long long)dead_id, pr.a.result);
			_metadata->passed = 0;
			break;
		}
		usleep(100000);
	}
}

/*
 * When the last process of an IPC namespace is gone, nothing can reach
 * its held tables again: the reaper deletes them within seconds.
 */
TEST_F(namespace, dead_namespace_tables_are_reaped)
{
	struct ets_probe pr = {
		.new_ipc_ns = 1,
		.op = ETS_OP_ATTACH,
		.flags = ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL,
		.access = ETSMGR_ACCESS_PRIVATE,
		.size = 3 * 4096,
	};
	long long reaped, tables, bytes;
	int k;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	reaped = ets_stat("ns_reaped");
	ASSERT_LE(0, reaped);
	strcpy(pr.name, ETS_NAME("t"));
	ASSERT_EQ(0, ets_probe_run(&pr));
	ASSERT_EQ(U32(ETSMGR_RESULT_CREATED), pr.a.result);
	tables = ets_stat("tables");
	bytes = ets_stat("bytes");
	for (k = 0; k < 100 && ets_stat("ns_reaped") == reaped; k++)
		usleep(100000);
	EXPECT_EQ(reaped + 1, ets_stat("ns_reaped"));
	EXPECT_EQ(tables - 1, ets_stat("tables"));
	EXPECT_EQ(bytes - 3 * 4096, ets_stat("bytes"));
}

TEST_HARNESS_MAIN
