// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: argument checking. Names, flags, access modes,
 * padding and reserved fields, sizes, references, bad pointers, unknown
 * ioctl numbers. Every failed call must leave no table behind.
 */
#include "etsmgr_util.h"

ETS_FIXTURE(errors)

/* A session, for tests that need just one. */
static int session(struct __test_metadata *_metadata)
{
	int fd = ets_open();

	EXPECT_LE(0, fd) TH_LOG("open %s: %s", ETSMGR_DEVICE_PATH,
				strerror(-fd));
	return fd;
}

/* No table named @n exists (checked with INFO and a plain ATTACH). */
static void expect_no_table(struct __test_metadata *_metadata, int fd,
			    const char *n)
{
	EXPECT_EQ(-ENOENT, ets_info_name(fd, n, NULL)) {
		TH_LOG("a failed call left table '%s' behind", n);
	}
}

TEST_F(errors, name_empty_einval)
{
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, ets_create(fd, "", ETSMGR_ACCESS_PRIVATE, 4096,
				      NULL));
	EXPECT_EQ(-EINVAL, ets_attach(fd, "", ETSMGR_ATTACH_CREATE,
				      ETSMGR_ACCESS_PRIVATE, 4096, NULL));
	EXPECT_EQ(-EINVAL, ets_reclaim(fd, "", NULL));
	close(fd);
}

TEST_F(errors, name_no_nul_enametoolong)
{
	char n[ETSMGR_NAME_MAX + 1];
	struct etsmgr_ref r;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	/* 64 valid characters: no room for the NUL. */
	memset(n, 'a', ETSMGR_NAME_MAX);
	n[ETSMGR_NAME_MAX] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE,
					   4096, NULL));
	EXPECT_EQ(-ENAMETOOLONG, ets_reclaim(fd, n, NULL));
	EXPECT_EQ(-ENAMETOOLONG, ets_info_name(fd, n, NULL));
	ets_ref_init(&r, 0, n);
	EXPECT_EQ(-ENAMETOOLONG, ets_delete_ref(fd, &r));
	/* Its 63-byte prefix names no table either. */
	n[ETSMGR_NAME_MAX - 1] = '\0';
	expect_no_table(_metadata, fd, n);
	close(fd);
}

TEST_F(errors, name_63_chars_ok)
{
	char buf[ETSMGR_NAME_MAX];
	struct etsmgr_attach a;
	struct etsmgr_info i;
	const char *n;
	size_t len;
	int fd;

	ETS_REQUIRE_DEVICE();
	snprintf(buf, sizeof(buf), "%s.", ETS_NAME("x"));
	len = strlen(buf);
	memset(buf + len, 'z', ETSMGR_NAME_MAX - 1 - len);
	buf[ETSMGR_NAME_MAX - 1] = '\0';
	n = ETS_REGISTER(buf);
	ASSERT_EQ(63U, strlen(n));
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	EXPECT_STREQ(n, a.name);
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_STREQ(n, i.name);
	EXPECT_EQ(0, ets_delete_name(fd, n));
	close(fd);
}

TEST_F(errors, name_bad_char_einval)
{
	static const char *const bad[] = {
		"a/b", "a b", "a\tb", "a\nb", "a*b", "a,b", "a;b", "a@b",
		"a\\b", "a'b", "a\"b", "a+b", "a=b", "a~b", "a\x7f" "b",
		"a\x80" "b", "a\xc3\xa9" "b", "/", " ",
	};
	char n[ETSMGR_NAME_MAX];
	unsigned int k;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		snprintf(n, sizeof(n), "%s%s", ETS_NAME("b"), bad[k]);
		EXPECT_EQ(-EINVAL, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE,
					      4096, NULL)) {
			TH_LOG("name #%u accepted", k);
		}
		EXPECT_EQ(-EINVAL, ets_info_name(fd, n, NULL)) {
			TH_LOG("INFO of name #%u", k);
		}
		/* Bare bad names too. */
		EXPECT_EQ(-EINVAL, ets_create(fd, bad[k],
					      ETSMGR_ACCESS_PRIVATE, 4096,
					      NULL)) {
			TH_LOG("bare name #%u accepted", k);
		}
	}
	close(fd);
}

TEST_F(errors, name_all_valid_chars_ok)
{
	char buf[ETSMGR_NAME_MAX];
	struct etsmgr_attach a;
	const char *n;
	int fd;

	ETS_REQUIRE_DEVICE();
	/* [A-Za-z0-9._:-], with the prefix first to stay unique. */
	snprintf(buf, sizeof(buf), "%s-AZ:az.09_", ETS_NAME("v"));
	n = ETS_REGISTER(buf);
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	EXPECT_STREQ(n, a.name);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(errors, excl_without_create_einval)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, ets_attach(fd, n, ETSMGR_ATTACH_EXCL,
				      ETSMGR_ACCESS_PRIVATE, 4096, NULL));
	expect_no_table(_metadata, fd, n);
	/* Also when the name exists. */
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	EXPECT_EQ(-EINVAL, ets_attach(fd, n, ETSMGR_ATTACH_EXCL,
				      ETSMGR_ACCESS_PRIVATE, 4096, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(errors, unknown_flag_bits_einval)
{
	static const __u32 flags[] = {
		1U << 3, 1U << 31, ETSMGR_ATTACH_CREATE | (1U << 5),
		ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL | (1U << 16),
		~ETSMGR_ATTACH_VALID, ~0U,
	};
	const char *n = ETS_NAME("t");
	unsigned int k;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	for (k = 0; k < ARRAY_SIZE(flags); k++) {
		EXPECT_EQ(-EINVAL, ets_attach(fd, n, flags[k],
					      ETSMGR_ACCESS_PRIVATE, 4096,
					      NULL)) {
			TH_LOG("flags 0x%x accepted", flags[k]);
		}
	}
	expect_no_table(_metadata, fd, n);
	close(fd);
}

TEST_F(errors, access_out_of_range_einval)
{
	static const __u32 modes[] = { 3, 4, 0x100, 0x80000000U, ~0U };
	const char *n = ETS_NAME("t");
	unsigned int k;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	for (k = 0; k < ARRAY_SIZE(modes); k++) {
		EXPECT_EQ(-EINVAL, ets_create(fd, n, modes[k], 4096, NULL)) {
			TH_LOG("access %u accepted", modes[k]);
		}
	}
	expect_no_table(_metadata, fd, n);
	close(fd);
}

TEST_F(errors, access_out_of_range_on_reclaim_einval)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info i;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, ets_attach(fd, n, 0, 3, 0, NULL));
	EXPECT_EQ(-EINVAL, ets_attach(fd, n, ETSMGR_ATTACH_CREATE, ~0U, 4096,
				      NULL));
	/* The failed attach did not reclaim it. */
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), i.state);
	EXPECT_EQ(U64(1), i.generation);
	close(fd);
	EXPECT_EQ(0, ets_cleanup(n));
}

/* A uid without ETSMGR_ATTACH_UID (the field was __pad before). */
TEST_F(errors, nonzero_pad_einval)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ets_attach_init(&a, n, ETSMGR_ATTACH_CREATE, ETSMGR_ACCESS_PRIVATE,
			4096);
	a.uid = 1;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_ATTACH, &a));
	ets_attach_init(&a, n, ETSMGR_ATTACH_CREATE, ETSMGR_ACCESS_PRIVATE,
			4096);
	a.uid = 0x80000000U;
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_ATTACH, &a));
	/* ETSMGR_ATTACH_UID takes a table over; it creates none. */
	ets_attach_init(&a, n, ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_UID,
			ETSMGR_ACCESS_PRIVATE, 4096);
	EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_ATTACH, &a));
	expect_no_table(_metadata, fd, n);
	close(fd);
}

TEST_F(errors, nonzero_reserved_einval)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	unsigned int k;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	for (k = 0; k < ARRAY_SIZE(a.__reserved); k++) {
		ets_attach_init(&a, n, ETSMGR_ATTACH_CREATE,
				ETSMGR_ACCESS_PRIVATE, 4096);
		a.__reserved[k] = 1ULL << (k * 16);
		EXPECT_EQ(-EINVAL, ets_ioctl(fd, ETSMGR_IOC_ATTACH, &a)) {
			TH_LOG("__reserved[%u] accepted", k);
		}
	}
	expect_no_table(_metadata, fd, n);
	close(fd);
}

TEST_F(errors, size_zero_einval)
{
	const char *n = ETS_NAME("t");
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 0, NULL));
	EXPECT_EQ(-EINVAL, ets_attach(fd, n, ETSMGR_ATTACH_CREATE,
				      ETSMGR_ACCESS_PRIVATE, 0, NULL));
	expect_no_table(_metadata, fd, n);
	close(fd);
}

TEST_F(errors, size_unrepresentable_einval)
{
	/* Sizes whose page rounding does not fit in 64 bits. */
	static const __u64 sizes[] = {
		~0ULL, ~0ULL - 1, 0xfffffffffffff001ULL,
	};
	const char *n = ETS_NAME("t");
	unsigned int k;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		EXPECT_EQ(-EINVAL, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE,
					      sizes[k], NULL)) {
			TH_LOG("size 0x%llx", (unsigned long long)sizes[k]);
		}
	}
	expect_no_table(_metadata, fd, n);
	close(fd);
}

TEST_F(errors, delete_by_id_and_name_einval)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_ref r;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	/* Both, even naming the same table. */
	ets_ref_init(&r, a.id, n);
	EXPECT_EQ(-EINVAL, ets_delete_ref(fd, &r));
	EXPECT_EQ(0, ets_info_id(fd, a.id, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(errors, delete_neither_einval)
{
	struct etsmgr_ref r;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ets_ref_init(&r, 0, NULL);
	EXPECT_EQ(-EINVAL, ets_delete_ref(fd, &r));
	EXPECT_EQ(-EINVAL, ets_info_ref(fd, &r, NULL));
	close(fd);
}

TEST_F(errors, info_by_id_and_name_einval)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_ref r;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	ets_ref_init(&r, a.id, n);
	EXPECT_EQ(-EINVAL, ets_info_ref(fd, &r, NULL));
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(errors, ref_nonzero_flags_pad_reserved_einval)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_ref r;
	unsigned int k;
	int fd, byname;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	for (byname = 0; byname < 2; byname++) {
		ets_ref_init(&r, byname ? 0 : a.id, byname ? n : NULL);
		r.flags = 2;
		EXPECT_EQ(-EINVAL, ets_delete_ref(fd, &r));
		EXPECT_EQ(-EINVAL, ets_info_ref(fd, &r, NULL));
		r.flags = 0;
		/* A uid without ETSMGR_REF_UID (the field was __pad). */
		r.uid = 1;
		EXPECT_EQ(-EINVAL, ets_delete_ref(fd, &r));
		EXPECT_EQ(-EINVAL, ets_info_ref(fd, &r, NULL));
		r.uid = 0;
		if (!byname) {
			/* ETSMGR_REF_UID goes with a name only. */
			r.flags = ETSMGR_REF_UID;
			EXPECT_EQ(-EINVAL, ets_delete_ref(fd, &r));
			EXPECT_EQ(-EINVAL, ets_info_ref(fd, &r, NULL));
			r.flags = 0;
		}
		for (k = 0; k < ARRAY_SIZE(r.__reserved); k++) {
			r.__reserved[k] = 1;
			EXPECT_EQ(-EINVAL, ets_delete_ref(fd, &r)) {
				TH_LOG("__reserved[%u]", k);
			}
			EXPECT_EQ(-EINVAL, ets_info_ref(fd, &r, NULL)) {
				TH_LOG("__reserved[%u]", k);
			}
			r.__reserved[k] = 0;
		}
		/* The same reference, all zero, works. */
		EXPECT_EQ(0, ets_info_ref(fd, &r, NULL));
	}
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

TEST_F(errors, efault_attach)
{
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_ATTACH, (void *)1));
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_ATTACH, NULL));
	close(fd);
}

TEST_F(errors, efault_delete)
{
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_DELETE, (void *)1));
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_DELETE, NULL));
	close(fd);
}

TEST_F(errors, efault_info)
{
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_INFO, (void *)1));
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_INFO, NULL));
	close(fd);
}

TEST_F(errors, efault_info_output)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info *i;
	size_t pg = ets_page();
	char *area;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, &a));
	/* The struct straddles a readable page and an unmapped one. */
	area = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, munmap(area + pg, pg));
	i = (struct etsmgr_info *)(area + pg - sizeof(struct etsmgr_ref));
	memset(i, 0, sizeof(struct etsmgr_ref));
	i->ref.id = a.id;
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_INFO, i));
	munmap(area, pg);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

/* An attach argument that can be read but not written back. */
static struct etsmgr_attach *readonly_attach(const char *n, __u32 flags,
					     __u32 access, __u64 size)
{
	struct etsmgr_attach *a;

	a = mmap(NULL, ets_page(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return NULL;
	ets_attach_init(a, n, flags, access, size);
	if (mprotect(a, ets_page(), PROT_READ)) {
		munmap(a, ets_page());
		return NULL;
	}
	return a;
}

TEST_F(errors, efault_on_attach_output_creates_nothing)
{
	const char *n = ETS_NAME("t");
	struct ets_counters before, after;
	struct etsmgr_attach *ro;
	int fd, have_stats;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ro = readonly_attach(n, ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL,
			     ETSMGR_ACCESS_PRIVATE, 4096);
	ASSERT_NE(NULL, ro);
	have_stats = ets_stats_available() && !ets_counters_read(&before);
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_ATTACH, ro));
	/* The caller was not told about a table: there must be none. */
	expect_no_table(_metadata, fd, n);
	if (have_stats) {
		ASSERT_EQ(0, ets_counters_read(&after));
		EXPECT_EQ(before.tables, after.tables);
		EXPECT_EQ(before.bytes, after.bytes);
		EXPECT_EQ(before.created, after.created);
		EXPECT_EQ(before.deleted, after.deleted);
	}
	munmap(ro, ets_page());
	close(fd);
}

TEST_F(errors, efault_on_reclaim_output_leaves_table_held)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a, b, *ro;
	struct etsmgr_info i;
	int fd;

	ETS_REQUIRE_DEVICE();
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PRIVATE, 4096, 0, &a));
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ro = readonly_attach(n, 0, ETSMGR_ACCESS_PRIVATE, 0);
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_ATTACH, ro));
	munmap(ro, ets_page());
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), i.state);
	EXPECT_EQ(U32(0), i.owned_by_caller);
	/*
	 * The undone reclaim was no change of owner, but its generation is
	 * spent: a fencing token is never lowered, so never reused.
	 */
	ASSERT_EQ(0, ets_reclaim(fd, n, &b));
	EXPECT_EQ(U32(ETSMGR_RESULT_RECLAIMED), b.result);
	EXPECT_EQ(U64(3), b.generation);
	EXPECT_EQ(U32(ETSMGR_EXIT_CLOSED), b.exit_reason);
	EXPECT_EQ(0, ets_delete_id(fd, b.id));
	close(fd);
}

struct undo_race {
	int fd;
	const char *name;
	volatile int stop;
	unsigned long deleted;
};

static void *undo_race_deleter(void *arg)
{
	struct undo_race *r = arg;

	while (!r->stop)
		if (ets_delete_name(r->fd, r->name) == 0)
			__atomic_add_fetch(&r->deleted, 1, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * An ATTACH|CREATE whose answer cannot be copied out is undone while two
 * other threads of the same session DELETE the name: the undo must not
 * touch the table a deleter freed (a use-after-free on main until the
 * undo looked the table up by id and generation; KASAN on the debug
 * kernel reports it within seconds), and nothing may be left over.
 */
TEST_F(errors, efault_attach_undo_races_delete)
{
	const char *n = ETS_NAME("undo-race");
	struct ets_counters before, after;
	struct etsmgr_attach *ro;
	struct undo_race r = {};
	pthread_t t[2];
	unsigned long efault = 0;
	time_t end;
	int fd, k, have_stats;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ro = readonly_attach(n, ETSMGR_ATTACH_CREATE, ETSMGR_ACCESS_PRIVATE,
			     4096);
	ASSERT_NE(NULL, ro);
	have_stats = ets_stats_available() && !ets_counters_read(&before);
	r.fd = fd;
	r.name = n;
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, pthread_create(&t[k], NULL, undo_race_deleter, &r));
	end = time(NULL) + 3;
	while (time(NULL) < end) {
		int err = ets_ioctl(fd, ETSMGR_IOC_ATTACH, ro);

		if (err == -EFAULT)
			efault++;
		else if (err != -ENOENT)
			EXPECT_EQ(-EFAULT, err);
	}
	r.stop = 1;
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	TH_LOG("%lu undone attaches, %lu deleted by the racing threads",
	       efault, r.deleted);
	EXPECT_LT(0UL, efault);
	expect_no_table(_metadata, fd, n);
	if (have_stats) {
		ASSERT_EQ(0, ets_counters_read(&after));
		EXPECT_EQ(before.tables, after.tables);
		EXPECT_EQ(before.bytes, after.bytes);
	}
	munmap(ro, ets_page());
	close(fd);
}

TEST_F(errors, unknown_ioctl_enotty)
{
	static const unsigned long cmds[] = {
		_IO(ETSMGR_IOC_MAGIC, 0x7f),
		_IO(ETSMGR_IOC_MAGIC, 0x00),
		_IOWR(ETSMGR_IOC_MAGIC, 0x7f, struct etsmgr_attach),
		_IOWR(ETSMGR_IOC_MAGIC, 0x04, struct etsmgr_info),
		_IOWR(ETSMGR_IOC_MAGIC, 0xff, struct etsmgr_ref),
	};
	char buf[512];
	unsigned int k;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	memset(buf, 0, sizeof(buf));
	for (k = 0; k < ARRAY_SIZE(cmds); k++) {
		EXPECT_EQ(-ENOTTY, ets_ioctl(fd, cmds[k], buf)) {
			TH_LOG("cmd 0x%lx", cmds[k]);
		}
	}
	close(fd);
}

TEST_F(errors, wrong_size_or_direction_enotty)
{
	/* The known numbers with another size or direction. */
	static const unsigned long cmds[] = {
		_IOC(_IOC_READ | _IOC_WRITE, ETSMGR_IOC_MAGIC, 0x01,
		     sizeof(struct etsmgr_attach) - 8),
		_IOC(_IOC_READ | _IOC_WRITE, ETSMGR_IOC_MAGIC, 0x01,
		     sizeof(struct etsmgr_attach) + 8),
		_IOW(ETSMGR_IOC_MAGIC, 0x01, struct etsmgr_attach),
		_IO(ETSMGR_IOC_MAGIC, 0x01),
		_IOWR(ETSMGR_IOC_MAGIC, 0x02, struct etsmgr_ref),
		_IOW(ETSMGR_IOC_MAGIC, 0x02, struct etsmgr_info),
		_IOR(ETSMGR_IOC_MAGIC, 0x03, struct etsmgr_info),
		_IOWR(ETSMGR_IOC_MAGIC, 0x03, struct etsmgr_ref),
	};
	char buf[512];
	unsigned int k;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	memset(buf, 0, sizeof(buf));
	for (k = 0; k < ARRAY_SIZE(cmds); k++) {
		EXPECT_EQ(-ENOTTY, ets_ioctl(fd, cmds[k], buf)) {
			TH_LOG("cmd 0x%lx", cmds[k]);
		}
	}
	close(fd);
}

TEST_F(errors, bare_small_ioctl_numbers_enotty)
{
	char buf[512];
	unsigned int nr;
	int fd;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	memset(buf, 0, sizeof(buf));
	/* 1 (FIBMAP) and 2 (FIGETBSZ) are the VFS's own: see below. */
	for (nr = 3; nr < 16; nr++) {
		EXPECT_EQ(-ENOTTY, ets_ioctl(fd, _IO(0, nr), buf)) {
			TH_LOG("_IO(0, %u)", nr);
		}
	}
	close(fd);
}

/*
 * FIGETBSZ is _IO(0x00, 2): the VFS answers it for every file before the
 * driver's ->unlocked_ioctl is called, so it can never be ENOTTY here.
 * What matters is that it is not an etsmgr command: it returns the block
 * size of the device node's filesystem and creates nothing.
 */
/*
 * A 32-bit process gets ENOTTY: ids are mmap page offsets, which a 32-bit
 * mmap cannot pass once they exceed 2^32 pages (72 minutes of uptime), so
 * the device offers no compat ioctl rather than tables it cannot map.
 */
TEST_F(errors, compat_process_gets_enotty)
{
	char exe[PATH_MAX], prog[PATH_MAX + 16];
	char *argv[2] = { prog, NULL };
	ssize_t n;
	int st;
	pid_t pid;

	ETS_REQUIRE_DEVICE();
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(prog, sizeof(prog), "%s/compat32", exe);
	if (access(prog, X_OK))
		SKIP(return, "no compat32 next to this program");
	pid = ets_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execv(prog, argv);
		_exit(ETS_CHILD_SETUP_FAILED);
	}
	st = ets_wait(pid);
	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("wait status 0x%x", st);
	if (WEXITSTATUS(st) == ETS_CHILD_SETUP_FAILED)
		SKIP(return, "cannot run 32-bit programs (no IA32 emulation)");
	EXPECT_EQ(ENOTTY, WEXITSTATUS(st));
}

TEST_F(errors, figetbsz_answered_by_vfs)
{
	struct stat st;
	int fd, bs = -1;

	ETS_REQUIRE_DEVICE();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, ets_ioctl(fd, _IO(0x00, 2), &bs));
	EXPECT_EQ((int)st.st_blksize, bs);
	close(fd);
}

TEST_F(errors, failed_calls_leave_counters_alone)
{
	const char *n = ETS_NAME("t");
	struct ets_counters before, after;
	int fd;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	fd = session(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_counters_read(&before));
	EXPECT_EQ(-EINVAL, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 0, NULL));
	EXPECT_EQ(-EINVAL, ets_create(fd, n, 7, 4096, NULL));
	EXPECT_EQ(-EINVAL, ets_attach(fd, n, 1U << 9, ETSMGR_ACCESS_PRIVATE,
				      4096, NULL));
	EXPECT_EQ(-EINVAL, ets_create(fd, "", ETSMGR_ACCESS_PRIVATE, 4096,
				      NULL));
	EXPECT_EQ(-ENOENT, ets_reclaim(fd, n, NULL));
	EXPECT_EQ(-EFAULT, ets_ioctl(fd, ETSMGR_IOC_ATTACH, (void *)1));
	ASSERT_EQ(0, ets_counters_read(&after));
	EXPECT_EQ(before.tables, after.tables);
	EXPECT_EQ(before.bytes, after.bytes);
	EXPECT_EQ(before.held, after.held);
	EXPECT_EQ(before.created, after.created);
	EXPECT_EQ(before.sessions, after.sessions);
	close(fd);
}

TEST_HARNESS_MAIN
