// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: fencing. After a change of owner or a delete, a
 * mapping made before it no longer writes a private or protected table
 * (nor reads a private one); the generation is the fencing token; a
 * forked child does not inherit the owner's write access; ADOPT takes
 * only a mapping that still holds its owner's grant.
 */
#include "etsmgr_util.h"

#include <sys/syscall.h>

ETS_FIXTURE(fence)

#define SEED	21

/* The owner child closes its session and keeps its mapping. */
static int spawn_closed_owner(struct ets_owner *o, const char *n,
			      __u32 access)
{
	int err;

	err = ets_owner_spawn(o, n, access, 4096, SEED, ETS_AS_SELF);
	if (err)
		return err;
	err = ets_owner_cmd(o, ETS_CMD_POKE, 0x5a);
	if (err)
		return err;
	return ets_owner_cmd(o, ETS_CMD_CLOSE, 0);
}

/* Reclaim @n and map it; *@p is the new owner's mapping. */
static void reclaim_and_map(struct __test_metadata *_metadata, const char *n,
			    int *fd, struct etsmgr_attach *a,
			    unsigned char **p)
{
	int err;

	*fd = ets_open();
	ASSERT_LE(0, *fd);
	ASSERT_EQ(0, ets_reclaim(*fd, n, a));
	ASSERT_EQ(U32(ETSMGR_RESULT_RECLAIMED), a->result);
	*p = ets_map(*fd, a->mmap_offset, 4096, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, *p) TH_LOG("mmap: %s", strerror(-err));
}

TEST_F(fence, closed_owners_private_mapping_faults_after_reclaim)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct ets_owner o;
	unsigned char *p;
	int fd, k;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, spawn_closed_owner(&o, n, ETSMGR_ACCESS_PRIVATE));
	/* Held: the old owner still writes its table. */
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_POKE, 0x11));
	reclaim_and_map(_metadata, n, &fd, &a, &p);
	EXPECT_EQ(0x11, p[0]);
	p[0] = 0x22;
	/* Reclaimed: it can neither write nor read it any more. */
	EXPECT_EQ(-EFAULT, ets_owner_cmd(&o, ETS_CMD_POKE, 0x33));
	EXPECT_EQ(-EFAULT, ets_owner_cmd(&o, ETS_CMD_PEEK, 0));
	EXPECT_EQ(0x22, p[0]);
	for (k = 1; k < 4096; k++)
		if (p[k] != ets_pattern_byte(SEED, k))
			break;
	EXPECT_EQ(4096, k);
	ets_owner_exit(&o, 0);
	munmap(p, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(fence, closed_owners_protected_mapping_turns_read_only)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct ets_owner o;
	unsigned char *p;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, spawn_closed_owner(&o, n, ETSMGR_ACCESS_PROTECTED));
	reclaim_and_map(_metadata, n, &fd, &a, &p);
	p[0] = 0x44;
	EXPECT_EQ(-EFAULT, ets_owner_cmd(&o, ETS_CMD_POKE, 0x33));
	/* Protected: others of its uid may still read it. */
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_PEEK, 0));
	EXPECT_EQ(0x44, o.shm->byte);
	EXPECT_EQ(0x44, p[0]);
	ets_owner_exit(&o, 0);
	munmap(p, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(fence, public_mapping_is_shared_by_design)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct ets_owner o;
	unsigned char *p;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, spawn_closed_owner(&o, n, ETSMGR_ACCESS_PUBLIC));
	reclaim_and_map(_metadata, n, &fd, &a, &p);
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_POKE, 0x66));
	EXPECT_EQ(0x66, p[0]);
	ets_owner_exit(&o, 0);
	munmap(p, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(fence, giver_cannot_write_after_give)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_handoff h = { 0 };
	struct etsmgr_attach a;
	struct ets_owner o;
	unsigned char *p, *q, c;
	int fd, me, err;

	ETS_REQUIRE_DEVICE();
	/* The receiver (an owner child) needs a session first. */
	ASSERT_EQ(0, ets_owner_spawn(&o, ETS_NAME("rx"), ETSMGR_ACCESS_PRIVATE,
				     4096, 0, ETS_AS_SELF));
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	p = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p);
	p[0] = 1;
	me = (int)syscall(SYS_pidfd_open, o.pid, 0);
	ASSERT_LE(0, me);
	h.id = a.id;
	h.pidfd = me;
	ASSERT_EQ(0, ets_ioctl(fd, ETSMGR_IOC_GIVE, &h));
	close(me);
	EXPECT_EQ(-EFAULT, ets_try_write(p, 2));
	EXPECT_EQ(-EFAULT, ets_try_read(p, &c));
	/* Nor can mprotect give it back. */
	EXPECT_EQ(-1, mprotect(p, 4096, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, 4096);
	/* Our other mappings are as stale: a new one is refused. */
	q = ets_map(fd, a.mmap_offset, 4096, PROT_READ, &err);
	EXPECT_EQ(NULL, q);
	EXPECT_EQ(-EACCES, err);
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	ets_owner_exit(&o, 0);
	EXPECT_EQ(0, ets_wait_state(fd, n, ETSMGR_STATE_HELD, 5000,
				    &(struct etsmgr_info){ 0 }));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(fence, delete_fences_the_owners_own_mapping)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	unsigned char *p, c;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	p = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p);
	p[0] = 7;
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	EXPECT_EQ(-EFAULT, ets_try_write(p, 8));
	EXPECT_EQ(-EFAULT, ets_try_read(p, &c));
	munmap(p, 4096);
	close(fd);
}

TEST_F(fence, reclaimer_keeps_its_own_earlier_mapping)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b;
	unsigned char *p;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	p = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p);
	close(fd);
	/* Held, then reclaimed by the same process: still its mapping. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	EXPECT_EQ(U64(2), b.generation);
	EXPECT_EQ(0, ets_try_write(p, 9));
	EXPECT_EQ(9, p[0]);
	munmap(p, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

struct forked_view {
	unsigned char *p;
};

/* 0: the mapping is not there (faults); 1: read; 2: read and wrote. */
static int child_touches(void *arg)
{
	struct forked_view *v = arg;
	unsigned char c;

	if (ets_try_read(v->p, &c))
		return 0;
	return ets_try_write(v->p, c) ? 1 : 2;
}

TEST_F(fence, forked_child_does_not_inherit_owner_write_access)
{
	static const __u32 modes[] = {
		ETSMGR_ACCESS_PRIVATE, ETSMGR_ACCESS_PROTECTED,
		ETSMGR_ACCESS_PUBLIC,
	};
	/* Private and protected: no mapping at all; public: shared. */
	static const int want[] = { 0, 0, 2 };
	struct forked_view v;
	struct etsmgr_attach a;
	char suffix[8];
	int fd, err, k;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (k = 0; k < 3; k++) {
		snprintf(suffix, sizeof(suffix), "t%d", k);
		ASSERT_EQ(0, ets_create(fd, ETS_NAME(suffix), modes[k], 4096,
					&a));
		v.p = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE,
			      &err);
		ASSERT_NE(NULL, v.p);
		EXPECT_EQ(want[k], ets_run_child(child_touches, &v))
			TH_LOG("access mode %u", modes[k]);
		munmap(v.p, 4096);
		EXPECT_EQ(0, ets_delete_id(fd, a.id));
	}
	close(fd);
}

static int adopt_at(int fd, void *addr, __u32 access,
		    struct etsmgr_adopt *ad)
{
	memset(ad, 0, sizeof(*ad));
	ad->addr = (uintptr_t)addr;
	ad->access = access;
	return ets_ioctl(fd, ETSMGR_IOC_ADOPT, ad);
}

TEST_F(fence, adopt_refuses_a_deleted_table)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_adopt ad;
	struct etsmgr_attach a;
	unsigned char *p;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PUBLIC, 4096, &a));
	p = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	/* Still mapped (public: still readable), but never revived. */
	EXPECT_EQ(-EPERM, adopt_at(fd, p, ETSMGR_ACCESS_PUBLIC, &ad));
	EXPECT_EQ(-ENOENT, ets_info_id(fd, a.id, &(struct etsmgr_info){ 0 }));
	munmap(p, 4096);
	close(fd);
}

TEST_F(fence, adopt_refuses_a_mapping_that_is_no_owners)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_adopt ad;
	struct ets_owner o;
	unsigned char *p;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_owner_spawn(&o, n, ETSMGR_ACCESS_PROTECTED, 4096,
				     SEED, ETS_AS_SELF));
	fd = ets_open();
	ASSERT_LE(0, fd);
	/* A reader's mapping of a live owner's protected table. */
	p = ets_map(fd, o.shm->a.mmap_offset, 4096, PROT_READ, &err);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(-err));
	EXPECT_EQ(0, ets_owner_cmd(&o, ETS_CMD_DELETE, 0));
	EXPECT_EQ(-EPERM, adopt_at(fd, p, ETSMGR_ACCESS_PROTECTED, &ad));
	ets_owner_exit(&o, 0);
	munmap(p, 4096);
	close(fd);
}

TEST_F(fence, adopt_gives_back_the_tables_own_access_only)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_adopt ad;
	struct etsmgr_attach a;
	unsigned char *p;
	int fd, err;

	ETS_REQUIRE_DEVICE();
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PROTECTED, 4096, &a));
	p = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE, &err);
	ASSERT_NE(NULL, p);
	/* The grant says protected: asking for public is refused. */
	EXPECT_EQ(-EINVAL, adopt_at(fd, p, ETSMGR_ACCESS_PUBLIC, &ad));
	/* Right access, but the table is registered. */
	EXPECT_EQ(-EEXIST, adopt_at(fd, p, ETSMGR_ACCESS_PROTECTED, &ad));
	munmap(p, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_HARNESS_MAIN
