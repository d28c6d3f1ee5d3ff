// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of the libetsmgr record layer (records.c) on plain
 * shared memory: a MAP_SHARED mapping of a memfd, as an etsmgr table
 * would be. No module needed. Crash consistency under SIGKILL and
 * concurrent readers are in records_crash_test.c.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "etsmgr_records.h"
#include "kselftest_harness.h"

#define PAGE 4096

/* A MAP_SHARED read-write mapping of a new memfd of @size bytes. */
static void *map_memfd(size_t size, int *fd)
{
	void *mem;

	*fd = memfd_create("records_test", MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, (off_t)size) < 0)
		return NULL;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	return mem == MAP_FAILED ? NULL : mem;
}

static size_t pages_for(uint64_t bytes)
{
	return (bytes + PAGE - 1) / PAGE * PAGE;
}

/* A set of @capacity records (keys <= 32 bytes, values <= 64). */
FIXTURE(set) {
	int fd;
	size_t size;
	void *mem;
	struct etsmgr_set *set;
};

FIXTURE_SETUP(set)
{
	self->size = pages_for(etsmgr_set_region_size(16, 32, 64));
	self->mem = map_memfd(self->size, &self->fd);
	ASSERT_NE(NULL, self->mem);
	ASSERT_EQ(0, etsmgr_set_format(self->mem, self->size, 16, 32, 64, 0));
	ASSERT_EQ(0, etsmgr_set_open(self->mem, self->size, 0, &self->set));
}

FIXTURE_TEARDOWN(set)
{
	etsmgr_set_close(self->set);
	munmap(self->mem, self->size);
	close(self->fd);
}

static int insert_str(struct etsmgr_set *set, const char *key,
		      const char *value)
{
	return etsmgr_set_insert(set, key, strlen(key), value, strlen(value));
}

/* Lookup as a C string; "" when absent or on error. */
static const char *lookup_str(struct etsmgr_set *set, const char *key)
{
	static char buf[256];
	size_t len;

	if (etsmgr_set_lookup(set, key, strlen(key), buf, sizeof(buf) - 1,
			      &len))
		return "";
	buf[len] = '\0';
	return buf;
}

TEST(region_size)
{
	uint64_t small = etsmgr_set_region_size(1, 1, 0);

	EXPECT_LT(0, small);
	EXPECT_LT(small, etsmgr_set_region_size(2, 1, 0));
	/* Slots are whole cache lines: 9 more bytes may fit in one. */
	EXPECT_LT(small, etsmgr_set_region_size(1, 100, 0));
	EXPECT_LT(small, etsmgr_set_region_size(1, 1, 100));
	EXPECT_EQ(0, etsmgr_set_region_size(0, 8, 8));
	EXPECT_EQ(0, etsmgr_set_region_size(ETSMGR_SET_CAPACITY_LIMIT + 1,
					    8, 8));
	EXPECT_EQ(0, etsmgr_set_region_size(1, 0, 8));
	EXPECT_EQ(0, etsmgr_set_region_size(1, ETSMGR_SET_KEY_LIMIT + 1, 8));
	EXPECT_EQ(0, etsmgr_set_region_size(1, 8,
					    ETSMGR_SET_VALUE_LIMIT + 1));
	EXPECT_LT(0, etsmgr_set_region_size(ETSMGR_SET_CAPACITY_LIMIT,
					    ETSMGR_SET_KEY_LIMIT,
					    ETSMGR_SET_VALUE_LIMIT));
}

TEST_F(set, format_and_open)
{
	struct etsmgr_set_info info;

	ASSERT_EQ(0, etsmgr_set_info(self->set, &info));
	EXPECT_EQ(16, info.capacity);
	EXPECT_EQ(32, info.key_max);
	EXPECT_EQ(64, info.value_max);
	EXPECT_EQ(0, info.count);
	EXPECT_EQ(etsmgr_set_region_size(16, 32, 64), info.region_size);
	EXPECT_EQ(0, info.recoveries);
	EXPECT_EQ(0, etsmgr_set_count(self->set));
	EXPECT_EQ(0, etsmgr_set_recover(self->set));
	EXPECT_EQ(-EINVAL, etsmgr_set_info(NULL, &info));
	EXPECT_EQ(-EINVAL, etsmgr_set_info(self->set, NULL));
	EXPECT_EQ(0, etsmgr_set_count(NULL));
}

TEST(format_capacity_zero_fills_the_region)
{
	struct etsmgr_set *set;
	struct etsmgr_set_info info;
	size_t size = 16 * PAGE;
	void *mem;
	int fd;

	mem = map_memfd(size, &fd);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, etsmgr_set_format(mem, size, 0, 24, 40, 0));
	ASSERT_EQ(0, etsmgr_set_open(mem, size, 0, &set));
	ASSERT_EQ(0, etsmgr_set_info(set, &info));
	EXPECT_LE(etsmgr_set_region_size(info.capacity, 24, 40), size);
	EXPECT_GT(etsmgr_set_region_size(info.capacity + 1, 24, 40), size);
	TH_LOG("%zu bytes hold %u records of 24+40 bytes", size,
	       info.capacity);
	/* It really holds that many. */
	for (uint32_t i = 0; i < info.capacity; i++) {
		ASSERT_EQ(0, etsmgr_set_insert(set, &i, sizeof(i), &i,
					       sizeof(i)));
	}
	EXPECT_EQ(-ENOSPC, etsmgr_set_insert(set, "x", 1, "", 0));
	etsmgr_set_close(set);
	/* Nothing fits in a page of keys of 64 KiB. */
	EXPECT_EQ(-ENOSPC, etsmgr_set_format(mem, PAGE, 0,
					     ETSMGR_SET_KEY_LIMIT, 0,
					     ETSMGR_SET_FORCE));
	munmap(mem, size);
	close(fd);
}

TEST_F(set, format_refuses_a_valid_set)
{
	ASSERT_EQ(0, insert_str(self->set, "a", "1"));
	EXPECT_EQ(-EEXIST, etsmgr_set_format(self->mem, self->size, 16, 32,
					     64, 0));
	/* Refusing changed nothing. */
	EXPECT_STREQ("1", lookup_str(self->set, "a"));
	etsmgr_set_close(self->set);
	ASSERT_EQ(0, etsmgr_set_format(self->mem, self->size, 8, 16, 16,
				       ETSMGR_SET_FORCE));
	ASSERT_EQ(0, etsmgr_set_open(self->mem, self->size, 0, &self->set));
	EXPECT_EQ(0, etsmgr_set_count(self->set));
	EXPECT_EQ(-ENOENT, etsmgr_set_lookup(self->set, "a", 1, NULL, 0,
					     NULL));
}

/*
 * Without FORCE, format writes only where no set exists: a set of another
 * version or byte order (-EPROTO), a corrupt header (-EUCLEAN) or a set
 * larger than the region given (-ERANGE) is someone's data, and format
 * says so instead of wiping it.
 */
TEST_F(set, format_refuses_a_set_it_cannot_open)
{
	size_t need = (size_t)etsmgr_set_region_size(16, 32, 64);
	unsigned char *mem = self->mem, saved[256];
	uint32_t word;

	ASSERT_GT(etsmgr_set_region_size(1, 8, 8) + 8, 0);
	ASSERT_LT(etsmgr_set_region_size(1, 8, 8), need - 8);
	ASSERT_EQ(0, insert_str(self->set, "a", "1"));
	etsmgr_set_close(self->set);
	self->set = NULL;
	memcpy(saved, mem, sizeof(saved));

	memcpy(&word, mem + 8, 4);	/* another version */
	word++;
	memcpy(mem + 8, &word, 4);
	EXPECT_EQ(-EPROTO, etsmgr_set_format(mem, self->size, 8, 16, 16, 0));
	EXPECT_EQ(0, memcmp(mem + 16, saved + 16, sizeof(saved) - 16));
	memcpy(mem, saved, sizeof(saved));

	mem[80] ^= 1;			/* the checksum */
	EXPECT_EQ(-EUCLEAN, etsmgr_set_format(mem, self->size, 8, 16, 16, 0));
	mem[80] ^= 1;

	/* A region shorter than the set it holds (a small set would fit). */
	EXPECT_EQ(-ERANGE, etsmgr_set_format(mem, need - 8, 1, 8, 8, 0));
	EXPECT_EQ(0, memcmp(mem, saved, sizeof(saved)));

	/* Still the set it was, with its record. */
	ASSERT_EQ(0, etsmgr_set_open(mem, self->size, 0, &self->set));
	EXPECT_STREQ("1", lookup_str(self->set, "a"));
}

TEST_F(set, format_errors)
{
	unsigned char *mem = self->mem;

	etsmgr_set_close(self->set);
	self->set = NULL;
	memset(mem, 0, self->size);
	EXPECT_EQ(-EINVAL, etsmgr_set_format(NULL, self->size, 1, 8, 8, 0));
	EXPECT_EQ(-EINVAL, etsmgr_set_format(mem + 4, self->size - 8, 1, 8,
					     8, 0));
	EXPECT_EQ(-EINVAL, etsmgr_set_format(mem, self->size, 1, 8, 8, 2));
	EXPECT_EQ(-EINVAL, etsmgr_set_format(mem, self->size, 1, 0, 8, 0));
	EXPECT_EQ(-EINVAL, etsmgr_set_format(mem, self->size, 0, 0, 8, 0));
	EXPECT_EQ(-EINVAL, etsmgr_set_format(mem, self->size, 1, 8,
					     ETSMGR_SET_VALUE_LIMIT + 1, 0));
	EXPECT_EQ(-EINVAL, etsmgr_set_format(mem, self->size,
					     ETSMGR_SET_CAPACITY_LIMIT + 1,
					     8, 8, 0));
	EXPECT_EQ(-ENOSPC, etsmgr_set_format(mem, self->size, 100000, 8,
					     8, 0));
	EXPECT_EQ(-ENOSPC, etsmgr_set_format(mem, 100, 1, 8, 8, 0));
	/* Nothing was written by a refused format. */
	for (size_t i = 0; i < self->size; i++) {
		ASSERT_EQ(0, mem[i]);
	}
}

TEST_F(set, open_refuses_garbage)
{
	uint64_t need = etsmgr_set_region_size(16, 32, 64);
	unsigned char *mem = self->mem, saved[256];
	struct etsmgr_set *set = NULL;
	uint32_t word;

	memcpy(saved, mem, sizeof(saved));
	/* Arguments. */
	EXPECT_EQ(-EINVAL, etsmgr_set_open(NULL, self->size, 0, &set));
	EXPECT_EQ(-EINVAL, etsmgr_set_open(mem, self->size, 0, NULL));
	EXPECT_EQ(-ENODATA, etsmgr_set_open(mem + 16, self->size - 16, 0,
					    &set));
	/* 16-byte CAS: 8-byte alignment is not enough. */
	EXPECT_EQ(-EINVAL, etsmgr_set_open(mem + 8, self->size - 8, 0, &set));
	EXPECT_EQ(-EINVAL, etsmgr_set_open(mem, self->size, 4, &set));
	EXPECT_EQ(-EINVAL, etsmgr_set_open(mem, 255, 0, &set));
	EXPECT_EQ(-EINVAL, etsmgr_set_open(mem + 1, self->size - 8, 0, &set));
	/* A mapping shorter than the set. */
	EXPECT_EQ(-ERANGE, etsmgr_set_open(mem, need - 1, 0, &set));
	EXPECT_EQ(0, etsmgr_set_open(mem, need, 0, &set));
	etsmgr_set_close(set);
	set = NULL;

	/* Another version; the other byte order. */
	memcpy(&word, mem + 8, 4);
	word++;
	memcpy(mem + 8, &word, 4);
	EXPECT_EQ(-EPROTO, etsmgr_set_open(mem, self->size, 0, &set));
	memcpy(mem, saved, sizeof(saved));
	for (int i = 0; i < 8; i++)
		mem[i] = saved[7 - i];
	EXPECT_EQ(-EPROTO, etsmgr_set_open(mem, self->size, 0, &set));
	memcpy(mem, saved, sizeof(saved));

	/* A flipped bit anywhere in the geometry. */
	for (int byte = 12; byte < 88; byte++) {
		mem[byte] ^= 0x10;
		EXPECT_NE(0, etsmgr_set_open(mem, self->size, 0, &set)) {
			TH_LOG("byte %d", byte);
		}
		mem[byte] ^= 0x10;
	}
	mem[20] ^= 1;	/* capacity */
	EXPECT_EQ(-EUCLEAN, etsmgr_set_open(mem, self->size, 0, &set));
	mem[20] ^= 1;
	mem[80] ^= 1;	/* checksum */
	EXPECT_EQ(-EUCLEAN, etsmgr_set_open(mem, self->size, 0, &set));
	mem[80] ^= 1;
	EXPECT_EQ(NULL, set);

	/* No magic: a format that did not finish, zeroes, random bytes. */
	memset(mem, 0, 8);
	EXPECT_EQ(-ENODATA, etsmgr_set_open(mem, self->size, 0, &set));
	memset(mem, 0, self->size);
	EXPECT_EQ(-ENODATA, etsmgr_set_open(mem, self->size, 0, &set));
	srandom(1);
	for (size_t i = 0; i < self->size; i++)
		mem[i] = (unsigned char)random();
	EXPECT_EQ(-ENODATA, etsmgr_set_open(mem, self->size,
					    ETSMGR_SET_RDONLY, &set));
	/* Such a region may be formatted without ETSMGR_SET_FORCE. */
	EXPECT_EQ(0, etsmgr_set_format(mem, self->size, 16, 32, 64, 0));
	EXPECT_EQ(0, etsmgr_set_open(mem, self->size, 0, &set));
	etsmgr_set_close(set);
}

static int fail_record(const void *key, size_t key_len, const void *value,
		       size_t value_len, void *arg)
{
	(void)key;
	(void)key_len;
	(void)value;
	(void)value_len;
	(void)arg;
	return 99;
}

TEST_F(set, garbage_records_fail_cleanly)
{
	unsigned char *mem = self->mem;
	size_t len;
	char buf[64];

	for (int i = 0; i < 10; i++) {
		ASSERT_EQ(0, etsmgr_set_insert(self->set, &i, sizeof(i), "v",
					       1));
	}
	/* Keep the header, scribble over buckets and slots. */
	srandom(2);
	for (size_t i = 256; i < self->size; i++)
		mem[i] = (unsigned char)random();
	for (int i = 0; i < 10; i++) {
		int ret = etsmgr_set_lookup(self->set, &i, sizeof(i), buf,
					    sizeof(buf), &len);

		EXPECT_TRUE(ret == -EUCLEAN || ret == -ENOENT) {
			TH_LOG("lookup %d: %d", i, ret);
		}
	}
	EXPECT_EQ(-EUCLEAN, etsmgr_set_foreach(self->set, fail_record, NULL));
	EXPECT_EQ(-EUCLEAN, etsmgr_set_recover(self->set));
	EXPECT_EQ(-EUCLEAN, etsmgr_set_insert(self->set, "k", 1, "v", 1));
	/* The header is intact: formatting again is a choice. */
	EXPECT_EQ(-EEXIST, etsmgr_set_format(mem, self->size, 16, 32, 64, 0));
}

TEST_F(set, insert_lookup_replace_delete)
{
	char buf[64];
	size_t len = 0;

	EXPECT_EQ(-ENOENT, etsmgr_set_lookup(self->set, "a", 1, buf,
					     sizeof(buf), &len));
	ASSERT_EQ(0, insert_str(self->set, "a", "alpha"));
	ASSERT_EQ(0, insert_str(self->set, "b", "beta"));
	EXPECT_EQ(2, etsmgr_set_count(self->set));
	EXPECT_STREQ("alpha", lookup_str(self->set, "a"));
	EXPECT_STREQ("beta", lookup_str(self->set, "b"));

	/* Replace: same count, new value, longer then shorter. */
	ASSERT_EQ(0, insert_str(self->set, "a", "a much longer value"));
	EXPECT_EQ(2, etsmgr_set_count(self->set));
	EXPECT_STREQ("a much longer value", lookup_str(self->set, "a"));
	ASSERT_EQ(0, insert_str(self->set, "a", "A"));
	EXPECT_STREQ("A", lookup_str(self->set, "a"));

	/* Existence test and short buffers. */
	EXPECT_EQ(0, etsmgr_set_lookup(self->set, "b", 1, NULL, 0, &len));
	EXPECT_EQ(4, len);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(-ENOBUFS, etsmgr_set_lookup(self->set, "b", 1, buf, 2,
					      &len));
	EXPECT_EQ(4, len);
	EXPECT_EQ(0, memcmp(buf, "be\0", 3));

	/* Delete. */
	EXPECT_EQ(0, etsmgr_set_delete(self->set, "a", 1));
	EXPECT_EQ(-ENOENT, etsmgr_set_delete(self->set, "a", 1));
	EXPECT_EQ(-ENOENT, etsmgr_set_lookup(self->set, "a", 1, NULL, 0,
					     NULL));
	EXPECT_EQ(1, etsmgr_set_count(self->set));
	EXPECT_STREQ("beta", lookup_str(self->set, "b"));

	/* Keys are bytes: prefixes, NULs and empty keys are distinct. */
	ASSERT_EQ(0, etsmgr_set_insert(self->set, "ab", 2, "2", 1));
	ASSERT_EQ(0, etsmgr_set_insert(self->set, "a\0", 2, "0", 1));
	ASSERT_EQ(0, etsmgr_set_insert(self->set, "a", 1, "1", 1));
	ASSERT_EQ(0, etsmgr_set_insert(self->set, NULL, 0, NULL, 0));
	EXPECT_STREQ("2", lookup_str(self->set, "ab"));
	EXPECT_STREQ("1", lookup_str(self->set, "a"));
	EXPECT_EQ(0, etsmgr_set_lookup(self->set, "a\0", 2, buf, 1, &len));
	EXPECT_EQ('0', buf[0]);
	EXPECT_EQ(0, etsmgr_set_lookup(self->set, "", 0, buf, sizeof(buf),
				       &len));
	EXPECT_EQ(0, len);
	EXPECT_EQ(5, etsmgr_set_count(self->set));
	EXPECT_EQ(0, etsmgr_set_recover(self->set));
	EXPECT_EQ(5, etsmgr_set_count(self->set));
}

TEST_F(set, full_set_is_enospc)
{
	char key[16];

	for (int i = 0; i < 16; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		ASSERT_EQ(0, insert_str(self->set, key, "v"));
	}
	EXPECT_EQ(-ENOSPC, insert_str(self->set, "one-more", "v"));
	EXPECT_EQ(-ENOSPC, etsmgr_set_update_counter(self->set, "c", 1, 1,
		  &(int64_t){ 0 }, NULL));
	/* Replacing is always possible, however often. */
	for (int round = 0; round < 100; round++) {
		snprintf(key, sizeof(key), "key%d", round % 16);
		ASSERT_EQ(0, insert_str(self->set, key, round & 1 ? "odd" :
					"even"));
	}
	EXPECT_STREQ("odd", lookup_str(self->set, "key3"));
	EXPECT_EQ(16, etsmgr_set_count(self->set));
	ASSERT_EQ(0, etsmgr_set_delete(self->set, "key7", 4));
	EXPECT_EQ(0, insert_str(self->set, "one-more", "v"));
	EXPECT_EQ(-ENOSPC, insert_str(self->set, "key7", "v"));
	EXPECT_EQ(16, etsmgr_set_count(self->set));
	EXPECT_EQ(0, etsmgr_set_recover(self->set));
}

TEST_F(set, size_limits)
{
	char key[33], value[65], buf[65];
	size_t len;
	int64_t n = 0;

	memset(key, 'k', sizeof(key));
	memset(value, 'v', sizeof(value));
	/* Exactly at the limits. */
	ASSERT_EQ(0, etsmgr_set_insert(self->set, key, 32, value, 64));
	ASSERT_EQ(0, etsmgr_set_lookup(self->set, key, 32, buf, sizeof(buf),
				       &len));
	EXPECT_EQ(64, len);
	EXPECT_EQ(0, memcmp(buf, value, 64));
	/* One over. */
	EXPECT_EQ(-E2BIG, etsmgr_set_insert(self->set, key, 33, value, 1));
	EXPECT_EQ(-E2BIG, etsmgr_set_insert(self->set, key, 1, value, 65));
	EXPECT_EQ(-E2BIG, etsmgr_set_lookup(self->set, key, 33, buf,
					    sizeof(buf), &len));
	EXPECT_EQ(-E2BIG, etsmgr_set_delete(self->set, key, 33));
	EXPECT_EQ(-E2BIG, etsmgr_set_update_counter(self->set, key, 33, 1,
						    &n, &n));
	/* NULL with a length. */
	EXPECT_EQ(-EINVAL, etsmgr_set_insert(self->set, NULL, 1, value, 1));
	EXPECT_EQ(-EINVAL, etsmgr_set_insert(self->set, key, 1, NULL, 1));
	EXPECT_EQ(-EINVAL, etsmgr_set_lookup(self->set, NULL, 1, buf, 1,
					     &len));
	EXPECT_EQ(-EINVAL, etsmgr_set_delete(self->set, NULL, 1));
	EXPECT_EQ(-EINVAL, etsmgr_set_insert(NULL, key, 1, value, 1));
	EXPECT_EQ(-EINVAL, etsmgr_set_foreach(self->set, NULL, NULL));
	EXPECT_EQ(1, etsmgr_set_count(self->set));
}

struct seen {
	int count[200];
	int calls;
	int stop_after;
	bool bad;
	struct etsmgr_set *set;
};

/*
 * Count a record of the walk: key k (an int) with value k * 7 (an int);
 * false, and the walk marked bad, for anything else.
 */
static bool seen_record(struct seen *seen, const void *key, size_t key_len,
			const void *value, size_t value_len, int *k, int *v)
{
	if (key_len != sizeof(*k) || value_len != sizeof(*v)) {
		seen->bad = true;
		return false;
	}
	memcpy(k, key, sizeof(*k));
	memcpy(v, value, sizeof(*v));
	if (*k < 0 || *k >= 200 || *v != *k * 7) {
		seen->bad = true;
		return false;
	}
	seen->count[*k]++;
	return true;
}

static int note_record(const void *key, size_t key_len, const void *value,
		       size_t value_len, void *arg)
{
	struct seen *seen = arg;
	int k, v;

	if (!seen_record(seen, key, key_len, value, value_len, &k, &v))
		return 0;
	if (++seen->calls == seen->stop_after)
		return 42;
	return 0;
}

TEST(foreach_passes_each_record_once)
{
	size_t size = pages_for(etsmgr_set_region_size(200, 8, 8));
	struct etsmgr_set *set;
	struct seen *seen;
	void *mem;
	int fd;

	seen = calloc(1, sizeof(*seen));
	mem = map_memfd(size, &fd);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, etsmgr_set_format(mem, size, 200, 8, 8, 0));
	ASSERT_EQ(0, etsmgr_set_open(mem, size, 0, &set));
	ASSERT_EQ(0, etsmgr_set_foreach(set, note_record, seen));
	EXPECT_EQ(0, seen->calls);
	for (int k = 0; k < 200; k++) {
		int v = k * 7;

		ASSERT_EQ(0, etsmgr_set_insert(set, &k, sizeof(k), &v,
					       sizeof(v)));
	}
	/* Replace some, delete others. */
	for (int k = 0; k < 200; k += 3) {
		int v = k * 7;

		ASSERT_EQ(0, etsmgr_set_insert(set, &k, sizeof(k), &v,
					       sizeof(v)));
		if (k % 2) {
			ASSERT_EQ(0, etsmgr_set_delete(set, &k, sizeof(k)));
		}
	}
	ASSERT_EQ(0, etsmgr_set_foreach(set, note_record, seen));
	EXPECT_FALSE(seen->bad);
	for (int k = 0; k < 200; k++) {
		EXPECT_EQ(k % 3 == 0 && k % 2 ? 0 : 1, seen->count[k]) {
			TH_LOG("key %d", k);
		}
	}
	EXPECT_EQ(etsmgr_set_count(set), (uint64_t)seen->calls);
	/* A non-zero return stops the walk. */
	memset(seen, 0, sizeof(*seen));
	seen->stop_after = 10;
	EXPECT_EQ(42, etsmgr_set_foreach(set, note_record, seen));
	EXPECT_EQ(10, seen->calls);
	etsmgr_set_close(set);
	munmap(mem, size);
	close(fd);
	free(seen);
}

/* A callback that deletes every record it is given. */
static int delete_record(const void *key, size_t key_len, const void *value,
			 size_t value_len, void *arg)
{
	(void)value;
	(void)value_len;
	return etsmgr_set_delete(arg, key, key_len);
}

TEST_F(set, foreach_may_write)
{
	for (int k = 0; k < 16; k++) {
		ASSERT_EQ(0, etsmgr_set_insert(self->set, &k, sizeof(k), "", 0));
	}
	EXPECT_EQ(0, etsmgr_set_foreach(self->set, delete_record, self->set));
	EXPECT_EQ(0, etsmgr_set_count(self->set));
	EXPECT_EQ(0, etsmgr_set_recover(self->set));
}

TEST_F(set, update_counter)
{
	int64_t n = 0, initial = 10, v;
	size_t len;

	EXPECT_EQ(-ENOENT, etsmgr_set_update_counter(self->set, "c", 1, 1,
						     NULL, &n));
	ASSERT_EQ(0, etsmgr_set_update_counter(self->set, "c", 1, 5,
					       &initial, &n));
	EXPECT_EQ(15, n);
	ASSERT_EQ(0, etsmgr_set_update_counter(self->set, "c", 1, -20,
					       &initial, &n));
	EXPECT_EQ(-5, n);
	ASSERT_EQ(0, etsmgr_set_update_counter(self->set, "c", 1, 0, NULL,
					       NULL));
	ASSERT_EQ(0, etsmgr_set_lookup(self->set, "c", 1, &v, sizeof(v),
				       &len));
	EXPECT_EQ(8, len);
	EXPECT_EQ(-5, v);
	/* insert() of 8 bytes makes a counter too; arithmetic wraps. */
	v = INT64_MAX;
	ASSERT_EQ(0, etsmgr_set_insert(self->set, "m", 1, &v, sizeof(v)));
	ASSERT_EQ(0, etsmgr_set_update_counter(self->set, "m", 1, 1, NULL,
					       &n));
	EXPECT_EQ(INT64_MIN, n);
	/* Not a counter. */
	ASSERT_EQ(0, insert_str(self->set, "s", "text"));
	EXPECT_EQ(-EINVAL, etsmgr_set_update_counter(self->set, "s", 1, 1,
						     &initial, &n));
	EXPECT_STREQ("text", lookup_str(self->set, "s"));
	EXPECT_EQ(3, etsmgr_set_count(self->set));
}

TEST(update_counter_needs_8_byte_values)
{
	size_t size = pages_for(etsmgr_set_region_size(4, 8, 7));
	struct etsmgr_set *set;
	int64_t n;
	void *mem;
	int fd;

	mem = map_memfd(size, &fd);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, etsmgr_set_format(mem, size, 4, 8, 7, 0));
	ASSERT_EQ(0, etsmgr_set_open(mem, size, 0, &set));
	EXPECT_EQ(-E2BIG, etsmgr_set_update_counter(set, "c", 1, 1, &n, &n));
	etsmgr_set_close(set);
	munmap(mem, size);
	close(fd);
}

#define HAMMERS 4
#define HAMMER_ROUNDS 20000

/*
 * Child @id: increment "hits" HAMMER_ROUNDS times through its own handle
 * (and, for odd ids, its own mapping at another address), mixed with
 * inserts and deletes of private keys that contend for the same lock.
 */
static int hammer(int fd, size_t size, int id)
{
	int64_t zero = 0, last = INT64_MIN, n;
	struct etsmgr_set *set;
	void *mem;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED || etsmgr_set_open(mem, size, 0, &set))
		return 1;
	for (int i = 0; i < HAMMER_ROUNDS; i++) {
		int key = id;

		if (etsmgr_set_update_counter(set, "hits", 4, 1, &zero, &n) ||
		    n <= last)
			return 2;
		last = n;
		if (i % 3 == 0 &&
		    etsmgr_set_insert(set, &key, sizeof(key), &i, sizeof(i)))
			return 3;
		if (i % 3 == 2 && etsmgr_set_delete(set, &key, sizeof(key)))
			return 4;
	}
	etsmgr_set_close(set);
	return 0;
}

TEST(update_counter_is_atomic_across_processes)
{
	size_t size = pages_for(etsmgr_set_region_size(64, 8, 8));
	struct timespec t0, t1;
	struct etsmgr_set *set;
	pid_t pids[HAMMERS];
	int64_t total;
	void *mem;
	int fd;

	mem = map_memfd(size, &fd);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, etsmgr_set_format(mem, size, 64, 8, 8, 0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < HAMMERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			_exit(hammer(fd, size, i));
	}
	for (int i = 0; i < HAMMERS; i++) {
		int status;

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("hammer %d: status %#x", i, status);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(0, etsmgr_set_open(mem, size, ETSMGR_SET_RDONLY, &set));
	ASSERT_EQ(0, etsmgr_set_lookup(set, "hits", 4, &total, sizeof(total),
				       NULL));
	EXPECT_EQ((int64_t)HAMMERS * HAMMER_ROUNDS, total);
	/* "hits" and each hammer's key, inserted last. */
	EXPECT_EQ(1 + HAMMERS, etsmgr_set_count(set));
	TH_LOG("%d processes x %d increments: %.0f ns per operation",
	       HAMMERS, HAMMER_ROUNDS,
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
	       (HAMMER_ROUNDS * 5.0 / 3 * HAMMERS));
	etsmgr_set_close(set);
	munmap(mem, size);
	close(fd);
}

static int count_record(const void *key, size_t key_len, const void *value,
			size_t value_len, void *arg)
{
	(void)key;
	(void)key_len;
	(void)value;
	(void)value_len;
	++*(int *)arg;
	return 0;
}

TEST_F(set, read_only_handle)
{
	struct etsmgr_set *ro;
	int64_t n = 0;
	void *mem;
	char buf[8];
	int calls = 0;

	ASSERT_EQ(0, insert_str(self->set, "a", "1"));
	ASSERT_EQ(0, etsmgr_set_update_counter(self->set, "c", 1, 1, &n, &n));
	/* Read-only mapping, as a protected table's reader gets. */
	mem = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	EXPECT_EQ(-EEXIST, etsmgr_set_format(mem, self->size, 1, 8, 8, 0));
	ASSERT_EQ(0, etsmgr_set_open(mem, self->size, ETSMGR_SET_RDONLY,
				     &ro));
	EXPECT_STREQ("1", lookup_str(ro, "a"));
	EXPECT_EQ(2, etsmgr_set_count(ro));
	EXPECT_EQ(0, etsmgr_set_foreach(ro, count_record, &calls));
	EXPECT_EQ(2, calls);
	EXPECT_EQ(-EROFS, insert_str(ro, "a", "2"));
	EXPECT_EQ(-EROFS, etsmgr_set_delete(ro, "a", 1));
	EXPECT_EQ(-EROFS, etsmgr_set_update_counter(ro, "c", 1, 1, &n, &n));
	EXPECT_EQ(-EROFS, etsmgr_set_recover(ro));
	/* It follows the writer's changes. */
	ASSERT_EQ(0, insert_str(self->set, "a", "3"));
	EXPECT_STREQ("3", lookup_str(ro, "a"));
	ASSERT_EQ(0, etsmgr_set_delete(self->set, "a", 1));
	EXPECT_EQ(-ENOENT, etsmgr_set_lookup(ro, "a", 1, buf, sizeof(buf),
					     NULL));
	etsmgr_set_close(ro);
	munmap(mem, self->size);
	/* RDONLY on a writable mapping refuses writes too. */
	ASSERT_EQ(0, etsmgr_set_open(self->mem, self->size, ETSMGR_SET_RDONLY,
				     &ro));
	EXPECT_EQ(-EROFS, insert_str(ro, "b", "2"));
	etsmgr_set_close(ro);
}

TEST_F(set, reopen_after_close_sees_data)
{
	void *mem;
	pid_t pid;
	int status;

	ASSERT_EQ(0, insert_str(self->set, "persist", "yes"));
	etsmgr_set_close(self->set);
	self->set = NULL;
	ASSERT_EQ(0, munmap(self->mem, self->size));
	/* A new mapping, elsewhere; the previous address is now a hole. */
	mem = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	self->mem = mem;
	ASSERT_EQ(0, etsmgr_set_open(mem, self->size, 0, &self->set));
	EXPECT_STREQ("yes", lookup_str(self->set, "persist"));
	EXPECT_EQ(0, etsmgr_set_recover(self->set));
	/* Another process writes; this one sees it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct etsmgr_set *set;

		_exit(etsmgr_set_open(mem, self->size, 0, &set) ||
		      insert_str(set, "child", "was here"));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_STREQ("was here", lookup_str(self->set, "child"));
	EXPECT_EQ(2, etsmgr_set_count(self->set));
}

/*
 * A writer killed while it holds the lock: values of 1 MiB make each
 * insert long, so a kill nearly always lands inside one. The next writer
 * repairs (EOWNERDEAD), and every record is whole.
 */
TEST(writer_killed_holding_the_lock)
{
	const uint32_t value_max = 1 << 20;
	size_t size = pages_for(etsmgr_set_region_size(4, 8, value_max));
	struct etsmgr_set_info info;
	struct etsmgr_set *set;
	unsigned char *value;
	int recovered = 0, *inserts;
	void *mem;
	int fd;

	value = malloc(value_max);
	ASSERT_NE(NULL, value);
	inserts = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, inserts);
	mem = map_memfd(size, &fd);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, etsmgr_set_format(mem, size, 4, 8, value_max, 0));
	ASSERT_EQ(0, etsmgr_set_open(mem, size, 0, &set));
	for (int attempt = 0; attempt < 20 && recovered < 3; attempt++) {
		pid_t pid = fork();
		int ret;

		*inserts = 0;
		ASSERT_LE(0, pid);
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (unsigned int i = 0;; i++) {
				memset(value, (int)(i & 0xff), value_max);
				etsmgr_set_insert(set, "k", 1, value,
						  value_max - i % 2);
				__atomic_store_n(inserts, (int)i + 1,
						 __ATOMIC_RELEASE);
			}
		}
		/* Once it has done an insert, at a varying moment. */
		while (!__atomic_load_n(inserts, __ATOMIC_ACQUIRE))
			usleep(100);
		usleep(100 + (unsigned int)attempt * 150);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		/* Alternate: explicit recovery, or an ordinary write. */
		if (attempt % 2) {
			ret = etsmgr_set_recover(set);
			ASSERT_LE(0, ret);
			recovered += ret;
		} else {
			uint64_t before;

			ASSERT_EQ(0, etsmgr_set_info(set, &info));
			before = info.recoveries;
			ASSERT_EQ(0, etsmgr_set_insert(set, "w", 1, "x", 1));
			ASSERT_EQ(0, etsmgr_set_info(set, &info));
			recovered += (int)(info.recoveries - before);
		}
		ASSERT_EQ(0, etsmgr_set_recover(set));
		/* "k" is whole: one byte value repeated. */
		size_t len;

		ret = etsmgr_set_lookup(set, "k", 1, value, value_max, &len);
		if (ret == 0) {
			for (size_t i = 1; i < len; i++) {
				ASSERT_EQ(value[0], value[i]);
			}
		} else {
			ASSERT_EQ(-ENOENT, ret);
		}
	}
	ASSERT_EQ(0, etsmgr_set_info(set, &info));
	TH_LOG("%d recoveries after a writer died holding the lock",
	       recovered);
	EXPECT_LE(1, recovered);
	EXPECT_EQ((uint64_t)recovered, info.recoveries);
	etsmgr_set_close(set);
	munmap(mem, size);
	munmap(inserts, PAGE);
	close(fd);
	free(value);
}

/* A callback that replaces the record it is given (value + 1000). */
static int bump_record(const void *key, size_t key_len, const void *value,
		       size_t value_len, void *arg)
{
	struct seen *seen = arg;
	int k, v;

	if (!seen_record(seen, key, key_len, value, value_len, &k, &v))
		return 0;
	seen->calls++;
	v += 1000;
	return etsmgr_set_insert(seen->set, &k, sizeof(k), &v, sizeof(v));
}

TEST(foreach_callback_replacing_every_record_passes_each_once)
{
	size_t size = pages_for(etsmgr_set_region_size(200, 8, 8));
	struct etsmgr_set *set;
	struct seen *seen;
	void *mem;
	int fd;

	seen = calloc(1, sizeof(*seen));
	ASSERT_NE(NULL, seen);
	mem = map_memfd(size, &fd);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, etsmgr_set_format(mem, size, 200, 8, 8, 0));
	ASSERT_EQ(0, etsmgr_set_open(mem, size, 0, &set));
	for (int k = 0; k < 200; k++) {
		int v = k * 7;

		ASSERT_EQ(0, etsmgr_set_insert(set, &k, sizeof(k), &v,
					       sizeof(v)));
	}
	seen->set = set;
	EXPECT_EQ(0, etsmgr_set_foreach(set, bump_record, seen));
	EXPECT_FALSE(seen->bad);
	EXPECT_EQ(200, seen->calls);
	for (int k = 0; k < 200; k++) {
		int v = 0;

		EXPECT_EQ(1, seen->count[k]) TH_LOG("key %d", k);
		ASSERT_EQ(0, etsmgr_set_lookup(set, &k, sizeof(k), &v,
					       sizeof(v), NULL));
		EXPECT_EQ(k * 7 + 1000, v);
	}
	EXPECT_EQ(200, etsmgr_set_count(set));
	EXPECT_EQ(0, etsmgr_set_recover(set));
	etsmgr_set_close(set);
	munmap(mem, size);
	close(fd);
	free(seen);
}

/*
 * Two sets made alike (same geometry, "c" the first record of each: the
 * same slot, the same incarnation): update_counter, which remembers the
 * counter a thread last updated, still counts each set's own, through
 * handles used in turn, and through a handle opened where a closed one
 * was.
 */
TEST(update_counter_on_two_alike_sets_counts_each_its_own)
{
	size_t size = pages_for(etsmgr_set_region_size(16, 8, 8));
	struct etsmgr_set *a, *b;
	void *mem_a, *mem_b;
	int fd_a, fd_b;
	int64_t n, zero = 0, hundred = 100;

	mem_a = map_memfd(size, &fd_a);
	mem_b = map_memfd(size, &fd_b);
	ASSERT_NE(NULL, mem_a);
	ASSERT_NE(NULL, mem_b);
	ASSERT_EQ(0, etsmgr_set_format(mem_a, size, 16, 8, 8, 0));
	ASSERT_EQ(0, etsmgr_set_format(mem_b, size, 16, 8, 8, 0));
	ASSERT_EQ(0, etsmgr_set_open(mem_a, size, 0, &a));
	ASSERT_EQ(0, etsmgr_set_open(mem_b, size, 0, &b));
	ASSERT_EQ(0, etsmgr_set_update_counter(a, "c", 1, 0, &zero, NULL));
	ASSERT_EQ(0, etsmgr_set_update_counter(b, "c", 1, 0, &hundred, NULL));
	for (int i = 1; i <= 10; i++) {
		ASSERT_EQ(0, etsmgr_set_update_counter(a, "c", 1, 1, NULL,
						       &n));
		EXPECT_EQ(i, n);
		ASSERT_EQ(0, etsmgr_set_update_counter(b, "c", 1, 1, NULL,
						       &n));
		EXPECT_EQ(100 + i, n);
	}
	/* Close a; map b where a was, and open it there. */
	ASSERT_EQ(0, etsmgr_set_update_counter(a, "c", 1, 1, NULL, &n));
	etsmgr_set_close(a);
	ASSERT_EQ(0, munmap(mem_a, size));
	ASSERT_EQ(mem_a, mmap(mem_a, size, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_FIXED, fd_b, 0));
	ASSERT_EQ(0, etsmgr_set_open(mem_a, size, 0, &a));
	ASSERT_EQ(0, etsmgr_set_update_counter(a, "c", 1, 1, NULL, &n));
	EXPECT_EQ(111, n);
	/* And a itself, seen again. */
	etsmgr_set_close(a);
	ASSERT_EQ(mem_a, mmap(mem_a, size, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_FIXED, fd_a, 0));
	ASSERT_EQ(0, etsmgr_set_open(mem_a, size, 0, &a));
	ASSERT_EQ(0, etsmgr_set_lookup(a, "c", 1, &n, sizeof(n), NULL));
	EXPECT_EQ(11, n);
	ASSERT_EQ(0, etsmgr_set_lookup(b, "c", 1, &n, sizeof(n), NULL));
	EXPECT_EQ(111, n);
	etsmgr_set_close(a);
	etsmgr_set_close(b);
	munmap(mem_a, size);
	munmap(mem_b, size);
	close(fd_a);
	close(fd_b);
}

/* ------------------------------------------------------------------ */
/* Version 1 sets and the header's ABI fields                          */
/* ------------------------------------------------------------------ */

#define SET_MAGIC_V1	0x3154455352474d45ull	/* "EMGRSET1", little endian */

/* Header offsets of layout version 2 (records.c, struct set_header). */
#define OFF_VERSION	8
#define OFF_HEADER_SIZE	12
#define OFF_ABI		16

/*
 * What libetsmgr 0.1 wrote: the magic "EMGRSET1", version 1, a 256-byte
 * header recording sizeof(pthread_mutex_t) as its ABI, the geometry, and
 * a process-shared robust mutex at 128.
 */
static void write_v1_header(unsigned char *mem)
{
	pthread_mutexattr_t attr;
	uint64_t magic = SET_MAGIC_V1;
	uint32_t v1[10] = {
		1, 256, (uint32_t)sizeof(pthread_mutex_t), 16, 17, 16, 32,
		64, 128, 0,
	};

	memset(mem, 0, 256);
	memcpy(mem + 8, v1, sizeof(v1));
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init((pthread_mutex_t *)(mem + 128), &attr);
	pthread_mutexattr_destroy(&attr);
	__atomic_store_n((uint64_t *)mem, magic, __ATOMIC_RELEASE);
}

TEST_F(set, v1_set_is_refused_by_open)
{
	struct etsmgr_set *set = NULL;

	etsmgr_set_close(self->set);
	self->set = NULL;
	write_v1_header(self->mem);
	EXPECT_EQ(-EPROTO, etsmgr_set_open(self->mem, self->size, 0, &set));
	EXPECT_EQ(-EPROTO, etsmgr_set_open(self->mem, self->size,
					   ETSMGR_SET_RDONLY, &set));
	EXPECT_EQ(NULL, set);
}

TEST_F(set, v1_set_is_refused_by_format_without_force)
{
	unsigned char *saved = malloc(self->size);

	ASSERT_NE(NULL, saved);
	etsmgr_set_close(self->set);
	self->set = NULL;
	write_v1_header(self->mem);
	memcpy(saved, self->mem, self->size);
	EXPECT_EQ(-EPROTO, etsmgr_set_format(self->mem, self->size, 16, 32,
					     64, 0));
	EXPECT_EQ(0, memcmp(saved, self->mem, self->size));
	/* FORCE starts afresh. */
	EXPECT_EQ(0, etsmgr_set_format(self->mem, self->size, 16, 32, 64,
				       ETSMGR_SET_FORCE));
	EXPECT_EQ(0, etsmgr_set_open(self->mem, self->size, 0, &self->set));
	EXPECT_EQ(0, etsmgr_set_count(self->set));
	free(saved);
}

TEST_F(set, v1_magic_alone_is_refused)
{
	uint64_t magic = SET_MAGIC_V1;
	struct etsmgr_set *set = NULL;
	unsigned char *mem = self->mem;

	etsmgr_set_close(self->set);
	self->set = NULL;
	memset(mem, 0, self->size);
	memcpy(mem, &magic, sizeof(magic));
	EXPECT_EQ(-EPROTO, etsmgr_set_open(mem, self->size, 0, &set));
	EXPECT_EQ(-EPROTO, etsmgr_set_format(mem, self->size, 16, 32, 64, 0));
	EXPECT_EQ(0, memcmp(mem, &magic, sizeof(magic)));
	/* Written on a machine of the other byte order. */
	magic = __builtin_bswap64(magic);
	memcpy(mem, &magic, sizeof(magic));
	EXPECT_EQ(-EPROTO, etsmgr_set_open(mem, self->size, 0, &set));
	EXPECT_EQ(-EPROTO, etsmgr_set_format(mem, self->size, 16, 32, 64, 0));
	EXPECT_EQ(NULL, set);
}

/*
 * Flip each bit of the 32-bit header field at @offset in turn: open (both
 * kinds) and format without FORCE say -EPROTO and change nothing.
 */
static void flip_each_bit(struct __test_metadata *_metadata,
			  FIXTURE_DATA(set) *self, size_t offset)
{
	unsigned char *mem = self->mem, saved[256];
	struct etsmgr_set *set = NULL;

	ASSERT_EQ(0, insert_str(self->set, "a", "1"));
	etsmgr_set_close(self->set);
	self->set = NULL;
	for (int bit = 0; bit < 32; bit++) {
		uint32_t field;

		memcpy(&field, mem + offset, 4);
		field ^= 1u << bit;
		memcpy(mem + offset, &field, 4);
		memcpy(saved, mem, sizeof(saved));
		EXPECT_EQ(-EPROTO, etsmgr_set_open(mem, self->size, 0, &set))
			TH_LOG("bit %d", bit);
		EXPECT_EQ(-EPROTO, etsmgr_set_open(mem, self->size,
						   ETSMGR_SET_RDONLY, &set))
			TH_LOG("bit %d", bit);
		EXPECT_EQ(-EPROTO, etsmgr_set_format(mem, self->size, 16, 32,
						     64, 0))
			TH_LOG("bit %d", bit);
		EXPECT_EQ(0, memcmp(saved, mem, sizeof(saved)));
		field ^= 1u << bit;
		memcpy(mem + offset, &field, 4);
	}
	EXPECT_EQ(NULL, set);
	/* Restored, it is the set it was. */
	ASSERT_EQ(0, etsmgr_set_open(mem, self->size, 0, &self->set));
	EXPECT_STREQ("1", lookup_str(self->set, "a"));
}

TEST_F(set, version_field_flipped_is_eproto)
{
	flip_each_bit(_metadata, self, OFF_VERSION);
}

TEST_F(set, header_size_field_flipped_is_eproto)
{
	flip_each_bit(_metadata, self, OFF_HEADER_SIZE);
}

TEST_F(set, abi_field_flipped_is_eproto)
{
	flip_each_bit(_metadata, self, OFF_ABI);
}

TEST_F(set, base_not_16_byte_aligned_is_einval)
{
	unsigned char *mem = self->mem, *saved = malloc(self->size);
	struct etsmgr_set *set = NULL;

	ASSERT_NE(NULL, saved);
	memcpy(saved, mem, self->size);
	for (size_t off = 1; off < 16; off++) {
		EXPECT_EQ(-EINVAL, etsmgr_set_format(mem + off,
						     self->size - 16, 16, 32,
						     64, 0))
			TH_LOG("offset %zu", off);
		EXPECT_EQ(-EINVAL, etsmgr_set_format(mem + off,
						     self->size - 16, 16, 32,
						     64, ETSMGR_SET_FORCE))
			TH_LOG("offset %zu", off);
		EXPECT_EQ(-EINVAL, etsmgr_set_open(mem + off, self->size - 16,
						   0, &set))
			TH_LOG("offset %zu", off);
	}
	EXPECT_EQ(NULL, set);
	EXPECT_EQ(0, memcmp(saved, mem, self->size));
	/* 16 is enough (there is no set there, but that is another error). */
	EXPECT_EQ(-ENODATA, etsmgr_set_open(mem + 16, self->size - 16, 0,
					    &set));
	free(saved);
}

/* ------------------------------------------------------------------ */
/* Counter handles                                                     */
/* ------------------------------------------------------------------ */

static int64_t counter_value(struct etsmgr_set *set, const char *key)
{
	int64_t n = INT64_MIN;
	size_t len = 0;

	if (etsmgr_set_lookup(set, key, strlen(key), &n, sizeof(n), &len) ||
	    len != sizeof(n))
		return INT64_MIN;
	return n;
}

static int put_counter(struct etsmgr_set *set, const char *key, int64_t n)
{
	return etsmgr_set_insert(set, key, strlen(key), &n, sizeof(n));
}

TEST_F(set, counter_ref_of_a_missing_key_is_enoent)
{
	struct etsmgr_counter_ref ref;

	EXPECT_EQ(-ENOENT, etsmgr_set_counter_ref(self->set, "c", 1, &ref));
	ASSERT_EQ(0, put_counter(self->set, "c", 1));
	EXPECT_EQ(-ENOENT, etsmgr_set_counter_ref(self->set, "d", 1, &ref));
	EXPECT_EQ(-ENOENT, etsmgr_set_counter_ref(self->set, "c\0", 2, &ref));
	/* A handle not filled adds nothing. */
	EXPECT_EQ(-EINVAL, etsmgr_counter_add(&ref, 1, NULL));
}

TEST_F(set, counter_ref_of_a_value_not_8_bytes_is_einval)
{
	static const size_t lengths[] = { 0, 1, 7, 9, 16, 64 };
	struct etsmgr_counter_ref ref;
	char value[64] = { 0 };

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		ASSERT_EQ(0, etsmgr_set_insert(self->set, "v", 1, value,
					       lengths[i]));
		EXPECT_EQ(-EINVAL, etsmgr_set_counter_ref(self->set, "v", 1,
							  &ref))
			TH_LOG("%zu bytes", lengths[i]);
		EXPECT_EQ(-EINVAL, etsmgr_counter_add(&ref, 1, NULL));
	}
}

TEST_F(set, counter_ref_argument_errors)
{
	struct etsmgr_counter_ref ref;
	struct etsmgr_set *ro;
	char key[33];

	ASSERT_EQ(0, put_counter(self->set, "c", 1));
	memset(key, 'k', sizeof(key));
	EXPECT_EQ(-EINVAL, etsmgr_set_counter_ref(self->set, "c", 1, NULL));
	EXPECT_EQ(-EINVAL, etsmgr_set_counter_ref(NULL, "c", 1, &ref));
	EXPECT_EQ(-EINVAL, etsmgr_set_counter_ref(self->set, NULL, 1, &ref));
	EXPECT_EQ(-E2BIG, etsmgr_set_counter_ref(self->set, key, 33, &ref));
	EXPECT_EQ(-EINVAL, etsmgr_counter_add(NULL, 1, NULL));
	memset(&ref, 0, sizeof(ref));
	EXPECT_EQ(-EINVAL, etsmgr_counter_add(&ref, 1, NULL));
	/* A counter handle writes: not through a read-only handle. */
	ASSERT_EQ(0, etsmgr_set_open(self->mem, self->size, ETSMGR_SET_RDONLY,
				     &ro));
	EXPECT_EQ(-EROFS, etsmgr_set_counter_ref(ro, "c", 1, &ref));
	EXPECT_EQ(-EINVAL, etsmgr_counter_add(&ref, 1, NULL));
	etsmgr_set_close(ro);
	EXPECT_EQ(1, counter_value(self->set, "c"));
}

TEST_F(set, counter_add_adds_and_lookup_agrees)
{
	struct etsmgr_counter_ref ref;
	int64_t n = 0;

	ASSERT_EQ(0, put_counter(self->set, "c", 10));
	ASSERT_EQ(0, etsmgr_set_counter_ref(self->set, "c", 1, &ref));
	EXPECT_EQ(0, etsmgr_counter_add(&ref, 5, &n));
	EXPECT_EQ(15, n);
	EXPECT_EQ(15, counter_value(self->set, "c"));
	EXPECT_EQ(0, etsmgr_counter_add(&ref, -20, &n));
	EXPECT_EQ(-5, n);
	EXPECT_EQ(0, etsmgr_counter_add(&ref, 0, NULL));
	EXPECT_EQ(-5, counter_value(self->set, "c"));
	/* Adds by key in between: the handle's next add sees them. */
	ASSERT_EQ(0, etsmgr_set_update_counter(self->set, "c", 1, 100, NULL,
					       &n));
	EXPECT_EQ(95, n);
	EXPECT_EQ(0, etsmgr_counter_add(&ref, 1, &n));
	EXPECT_EQ(96, n);
	/* Arithmetic wraps. */
	ASSERT_EQ(0, etsmgr_counter_add(&ref, INT64_MAX - 96, &n));
	EXPECT_EQ(INT64_MAX, n);
	EXPECT_EQ(0, etsmgr_counter_add(&ref, 1, &n));
	EXPECT_EQ(INT64_MIN, n);
	EXPECT_EQ(INT64_MIN, counter_value(self->set, "c"));
	/* Other keys changing do not disturb it. */
	for (int k = 0; k < 10; k++) {
		ASSERT_EQ(0, etsmgr_set_insert(self->set, &k, sizeof(k), "x",
					       1));
		ASSERT_EQ(0, etsmgr_set_delete(self->set, &k, sizeof(k)));
	}
	EXPECT_EQ(0, etsmgr_counter_add(&ref, 1, &n));
	EXPECT_EQ(INT64_MIN + 1, n);
	EXPECT_EQ(1, etsmgr_set_count(self->set));
}

TEST_F(set, counter_add_after_delete_is_estale)
{
	struct etsmgr_counter_ref ref;
	int64_t n = 12345, initial = 100;

	ASSERT_EQ(0, put_counter(self->set, "c", 1));
	ASSERT_EQ(0, etsmgr_set_counter_ref(self->set, "c", 1, &ref));
	ASSERT_EQ(0, etsmgr_set_delete(self->set, "c", 1));
	EXPECT_EQ(-ESTALE, etsmgr_counter_add(&ref, 1, &n));
	EXPECT_EQ(12345, n);
	EXPECT_EQ(-ENOENT, etsmgr_set_lookup(self->set, "c", 1, NULL, 0,
					     NULL));
	/* The key made again is another record: still stale. */
	ASSERT_EQ(0, etsmgr_set_update_counter(self->set, "c", 1, 0, &initial,
					       NULL));
	EXPECT_EQ(-ESTALE, etsmgr_counter_add(&ref, 1, &n));
	EXPECT_EQ(100, counter_value(self->set, "c"));
}

TEST_F(set, counter_add_after_replace_is_estale)
{
	struct etsmgr_counter_ref ref;
	int64_t n = 12345;

	ASSERT_EQ(0, put_counter(self->set, "c", 1));
	ASSERT_EQ(0, etsmgr_set_counter_ref(self->set, "c", 1, &ref));
	ASSERT_EQ(0, put_counter(self->set, "c", 42));
	EXPECT_EQ(-ESTALE, etsmgr_counter_add(&ref, 1, &n));
	EXPECT_EQ(12345, n);
	EXPECT_EQ(42, counter_value(self->set, "c"));
	/* A new handle counts on the new record. */
	ASSERT_EQ(0, etsmgr_set_counter_ref(self->set, "c", 1, &ref));
	EXPECT_EQ(0, etsmgr_counter_add(&ref, 1, &n));
	EXPECT_EQ(43, n);
}

/*
 * A handle taken before a replace: however often the record is replaced
 * (with the very value the handle last saw, so that only the incarnation
 * tells them apart), and wherever the new record lands, even in the old
 * slot once the free list came round, its adds never land.
 */
TEST_F(set, counter_handle_from_before_a_replace_never_changes_the_new_record)
{
	struct etsmgr_counter_ref ref;
	struct etsmgr_set_info info;
	int64_t n;

	ASSERT_EQ(0, put_counter(self->set, "c", 7));
	ASSERT_EQ(0, etsmgr_set_counter_ref(self->set, "c", 1, &ref));
	ASSERT_EQ(0, etsmgr_set_info(self->set, &info));
	/* Three times round all the slots (capacity, at most 4096 spares). */
	for (uint32_t i = 0; i < 3 * (info.capacity + 4096); i++) {
		ASSERT_EQ(0, put_counter(self->set, "c", 7));
		ASSERT_EQ(-ESTALE, etsmgr_counter_add(&ref, 1, &n))
			TH_LOG("replacement %u", i);
		ASSERT_EQ(7, counter_value(self->set, "c"))
			TH_LOG("replacement %u", i);
	}
	/* Deleted and made again, too. */
	ASSERT_EQ(0, etsmgr_set_delete(self->set, "c", 1));
	ASSERT_EQ(0, put_counter(self->set, "c", 7));
	EXPECT_EQ(-ESTALE, etsmgr_counter_add(&ref, 1, &n));
	EXPECT_EQ(7, counter_value(self->set, "c"));
	EXPECT_EQ(1, etsmgr_set_count(self->set));
}

/* ------------------------------------------------------------------ */
/* Concurrent adds sum exactly                                         */
/* ------------------------------------------------------------------ */

#define ADDS 100000

struct adder {
	struct etsmgr_set *set;
	char key[8];
	bool by_handle;		/* etsmgr_counter_add(), else by key */
	int failures;
	int64_t added;
};

/* Add 1..5 in turn ADDS times; the results must keep growing. */
static void *add_many(void *arg)
{
	struct adder *a = arg;
	struct etsmgr_counter_ref ref;
	int64_t zero = 0, last = INT64_MIN, n;
	size_t len = strlen(a->key);

	if (a->by_handle &&
	    etsmgr_set_counter_ref(a->set, a->key, len, &ref)) {
		a->failures++;
		return NULL;
	}
	for (int i = 0; i < ADDS; i++) {
		int64_t inc = i % 5 + 1;
		int ret = a->by_handle ?
			  etsmgr_counter_add(&ref, inc, &n) :
			  etsmgr_set_update_counter(a->set, a->key, len, inc,
						    &zero, &n);

		if (ret || n <= last) {
			a->failures++;
			continue;
		}
		last = n;
		a->added += inc;
	}
	return NULL;
}

static void add_in_threads(struct __test_metadata *_metadata,
			   struct etsmgr_set *set, const char *key0,
			   const char *key1, bool by_handle)
{
	struct adder a[2] = {
		{ .set = set, .by_handle = by_handle },
		{ .set = set, .by_handle = by_handle },
	};
	pthread_t threads[2];

	strcpy(a[0].key, key0);
	strcpy(a[1].key, key1);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, add_many, &a[i]));
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
		EXPECT_EQ(0, a[i].failures);
	}
	if (!strcmp(key0, key1)) {
		EXPECT_EQ(a[0].added + a[1].added, counter_value(set, key0));
	} else {
		EXPECT_EQ(a[0].added, counter_value(set, key0));
		EXPECT_EQ(a[1].added, counter_value(set, key1));
	}
}

/* The same in two processes, each with its own mapping and handle. */
static void add_in_processes(struct __test_metadata *_metadata, int fd,
			     size_t size, struct etsmgr_set *set,
			     const char *key0, const char *key1)
{
	int64_t *added = mmap(NULL, 2 * sizeof(*added), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const char *keys[2] = { key0, key1 };
	pid_t pids[2];

	ASSERT_NE(MAP_FAILED, added);
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			struct adder a = { 0 };
			void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
					 MAP_SHARED, fd, 0);

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (mem == MAP_FAILED ||
			    etsmgr_set_open(mem, size, 0, &a.set))
				_exit(2);
			strcpy(a.key, keys[i]);
			add_many(&a);
			added[i] = a.added;
			_exit(a.failures ? 1 : 0);
		}
	}
	for (int i = 0; i < 2; i++) {
		int status;

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("adder %d: status %#x", i, status);
	}
	if (!strcmp(key0, key1)) {
		EXPECT_EQ(added[0] + added[1], counter_value(set, key0));
	} else {
		EXPECT_EQ(added[0], counter_value(set, key0));
		EXPECT_EQ(added[1], counter_value(set, key1));
	}
	munmap(added, 2 * sizeof(*added));
}

/* 1 + 2 + 3 + 4 + 5 for every five adds. */
#define ADDS_SUM	((int64_t)ADDS / 5 * 15)

TEST_F(set, update_counter_from_2_threads_on_one_key_sums_exactly)
{
	add_in_threads(_metadata, self->set, "c", "c", false);
	EXPECT_EQ(2 * ADDS_SUM, counter_value(self->set, "c"));
	EXPECT_EQ(1, etsmgr_set_count(self->set));
}

TEST_F(set, update_counter_from_2_threads_on_distinct_keys_sums_exactly)
{
	add_in_threads(_metadata, self->set, "c0", "c1", false);
	EXPECT_EQ(ADDS_SUM, counter_value(self->set, "c0"));
	EXPECT_EQ(ADDS_SUM, counter_value(self->set, "c1"));
	EXPECT_EQ(2, etsmgr_set_count(self->set));
}

TEST_F(set, counter_add_from_2_threads_with_a_handle_each_sums_exactly)
{
	ASSERT_EQ(0, put_counter(self->set, "c", 0));
	add_in_threads(_metadata, self->set, "c", "c", true);
	EXPECT_EQ(2 * ADDS_SUM, counter_value(self->set, "c"));
}

TEST_F(set, update_counter_from_2_processes_on_one_key_sums_exactly)
{
	add_in_processes(_metadata, self->fd, self->size, self->set, "c",
			 "c");
	EXPECT_EQ(2 * ADDS_SUM, counter_value(self->set, "c"));
	EXPECT_EQ(1, etsmgr_set_count(self->set));
}

TEST_F(set, update_counter_from_2_processes_on_distinct_keys_sums_exactly)
{
	add_in_processes(_metadata, self->fd, self->size, self->set, "c0",
			 "c1");
	EXPECT_EQ(ADDS_SUM, counter_value(self->set, "c0"));
	EXPECT_EQ(ADDS_SUM, counter_value(self->set, "c1"));
	EXPECT_EQ(2, etsmgr_set_count(self->set));
}

TEST_HARNESS_MAIN
