// SPDX-License-Identifier: GPL-2.0
/*
 * The readers' retry bound of the libetsmgr record layer. Built against
 * the test-hooks copy of records.c (-DETSMGR_SET_TEST_HOOKS).
 *
 * A reader copies a record, then checks that it did not change; if it
 * did (replaced or deleted under it), it starts again, at most
 * ETSMGR_SET_READ_RETRIES times in a row, then gives up with -EAGAIN. The
 * ETSMGR_SET_POINT_READ_COPY hook runs between the copy and the check:
 * here it replaces the record, through the writing handle, while the
 * reader reads through a read-only handle on a PROT_READ mapping (for
 * update_counter and counter handles, which need a writing handle, both
 * are the same one). The set holds only the record being read, so every
 * hook call is a copy of it.
 *
 * The count of copies: records.c starts a reader again after each of the
 * first ETSMGR_SET_READ_RETRIES failed checks and gives up at the next
 * one, so a reader that never gets a stable copy makes exactly
 * ETSMGR_SET_READ_RETRIES + 1 copies (and the record is replaced that
 * many times).
 *
 * On code without the bound a reader so hindered never returns: the small
 * timeouts make that a failure rather than a hang.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "etsmgr_records.h"
#include "records_hooks.h"
#include "kselftest_harness.h"

#define PAGE		4096
#define VALUE_LEN	16	/* a binary, not a counter */
#define TIMEOUT_S	5	/* 1001 replacements take milliseconds */
#define FOREVER		(-1)

static const char key[] = "target";
#define KEY_LEN		(sizeof(key) - 1)

/* The hook's state: what to replace, how often, what it saw. */
static struct {
	struct etsmgr_set *writer;
	bool counter;		/* replace with 8-byte values */
	bool delete_it;		/* delete the record instead */
	int left;		/* replacements to do; FOREVER */
	unsigned int calls;	/* READ_COPY points seen */
	unsigned int version;	/* of the record's value: the last one */
	unsigned int failures;	/* replacements that did not work */
	bool busy;		/* in the hook: no recursion */
} hook;

/* Version @version of the binary value: "v<version>" padded with '.'. */
static void value_of(unsigned int version, unsigned char buf[VALUE_LEN])
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "v%u", version);

	memset(buf, '.', VALUE_LEN);
	memcpy(buf, tmp, (size_t)n);
}

static int64_t counter_of(unsigned int version)
{
	return 1000 * (int64_t)version;
}

static int write_version(struct etsmgr_set *set, bool counter,
			 unsigned int version)
{
	unsigned char value[VALUE_LEN];
	int64_t n = counter_of(version);

	if (counter)
		return etsmgr_set_insert(set, key, KEY_LEN, &n, sizeof(n));
	value_of(version, value);
	return etsmgr_set_insert(set, key, KEY_LEN, value, sizeof(value));
}

/* At each copy by a reader: replace (or delete) the record under it. */
static void replace_hook(enum etsmgr_set_point point)
{
	int ret;

	if (point != ETSMGR_SET_POINT_READ_COPY || hook.busy)
		return;
	hook.busy = true;	/* the writer's own points come back here */
	hook.calls++;
	if (hook.left) {
		if (hook.left > 0)
			hook.left--;
		if (hook.delete_it) {
			ret = etsmgr_set_delete(hook.writer, key, KEY_LEN);
		} else {
			hook.version++;
			ret = write_version(hook.writer, hook.counter,
					    hook.version);
		}
		if (ret)
			hook.failures++;
	}
	hook.busy = false;
}

/* One record "target", version 0, a writing and a read-only handle. */
struct one_record {
	int fd;
	size_t size;
	void *mem;
	void *ro_mem;
	struct etsmgr_set *rw;
	struct etsmgr_set *ro;
};

static void one_record_setup(struct __test_metadata *_metadata,
			     struct one_record *self, bool counter)
{
	self->size = (etsmgr_set_region_size(16, 16, 32) + PAGE - 1) / PAGE *
		     PAGE;
	self->fd = memfd_create("records_retry_test", MFD_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ftruncate(self->fd, (off_t)self->size));
	self->mem = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	self->ro_mem = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd,
			    0);
	ASSERT_NE(MAP_FAILED, self->ro_mem);
	ASSERT_EQ(0, etsmgr_set_format(self->mem, self->size, 16, 16, 32, 0));
	ASSERT_EQ(0, etsmgr_set_open(self->mem, self->size, 0, &self->rw));
	ASSERT_EQ(0, etsmgr_set_open(self->ro_mem, self->size,
				     ETSMGR_SET_RDONLY, &self->ro));
	ASSERT_EQ(0, write_version(self->rw, counter, 0));
	memset(&hook, 0, sizeof(hook));
	hook.writer = self->rw;
	hook.counter = counter;
}

static void one_record_teardown(struct one_record *self)
{
	etsmgr_set_test_hook = NULL;
	etsmgr_set_close(self->ro);
	etsmgr_set_close(self->rw);
	munmap(self->ro_mem, self->size);
	munmap(self->mem, self->size);
	close(self->fd);
}

/* Readers: of a binary value, and of a counter. */
FIXTURE(retry) {
	struct one_record r;
};

FIXTURE_VARIANT(retry) {
	bool counter;
};

FIXTURE_VARIANT_ADD(retry, binary) {
	.counter = false,
};

FIXTURE_VARIANT_ADD(retry, counter) {
	.counter = true,
};

FIXTURE_SETUP(retry)
{
	one_record_setup(_metadata, &self->r, variant->counter);
}

FIXTURE_TEARDOWN(retry)
{
	one_record_teardown(&self->r);
}

/* Adders: update_counter and counter handles find the key as readers. */
FIXTURE(counter_retry) {
	struct one_record r;
};

FIXTURE_SETUP(counter_retry)
{
	one_record_setup(_metadata, &self->r, true);
}

FIXTURE_TEARDOWN(counter_retry)
{
	one_record_teardown(&self->r);
}

/* Replace the record at each of the next @times copies (FOREVER). */
static void replace_at_copies(int times)
{
	hook.left = times;
	hook.calls = 0;
	etsmgr_set_test_hook = replace_hook;
}

static void hook_off(void)
{
	etsmgr_set_test_hook = NULL;
}

/* Does the set hold version @version of the record? */
static bool holds_version(const struct etsmgr_set *set, bool counter,
			  unsigned int version)
{
	unsigned char value[VALUE_LEN], expect[VALUE_LEN];
	size_t len;
	int64_t n;

	if (counter) {
		return !etsmgr_set_lookup(set, key, KEY_LEN, &n, sizeof(n),
					  &len) &&
		       len == sizeof(n) && n == counter_of(version);
	}
	value_of(version, expect);
	return !etsmgr_set_lookup(set, key, KEY_LEN, value, sizeof(value),
				  &len) &&
	       len == sizeof(value) && !memcmp(value, expect, sizeof(value));
}

TEST_F_TIMEOUT(retry, lookup_gives_up_with_eagain_after_the_bound, TIMEOUT_S)
{
	unsigned char value[VALUE_LEN];
	size_t len;
	int ret;

	replace_at_copies(FOREVER);
	ret = etsmgr_set_lookup(self->r.ro, key, KEY_LEN, value, sizeof(value),
				&len);
	hook_off();
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(ETSMGR_SET_READ_RETRIES + 1, hook.calls);
	EXPECT_EQ(0, hook.failures);
	/* Left alone, the same reader reads the last version. */
	EXPECT_TRUE(holds_version(self->r.ro, variant->counter, hook.version));
}

TEST_F_TIMEOUT(retry, lookup_after_3_replacements_returns_the_newest_value,
	       TIMEOUT_S)
{
	unsigned char value[VALUE_LEN], expect[VALUE_LEN];
	size_t len = 0;
	int64_t n = 0;
	int ret;

	replace_at_copies(3);
	if (variant->counter)
		ret = etsmgr_set_lookup(self->r.ro, key, KEY_LEN, &n, sizeof(n),
					&len);
	else
		ret = etsmgr_set_lookup(self->r.ro, key, KEY_LEN, value,
					sizeof(value), &len);
	hook_off();
	EXPECT_EQ(0, ret);
	EXPECT_EQ(4, hook.calls);
	EXPECT_EQ(3, hook.version);
	if (variant->counter) {
		EXPECT_EQ(sizeof(n), len);
		EXPECT_EQ(counter_of(3), n);
	} else {
		value_of(3, expect);
		EXPECT_EQ(sizeof(value), len);
		EXPECT_EQ(0, memcmp(value, expect, sizeof(value)));
	}
}

TEST_F_TIMEOUT(retry, lookup_of_a_record_deleted_under_it_is_enoent,
	       TIMEOUT_S)
{
	unsigned char value[VALUE_LEN];
	int ret;

	hook.delete_it = true;
	replace_at_copies(1);
	ret = etsmgr_set_lookup(self->r.ro, key, KEY_LEN, value, sizeof(value),
				NULL);
	hook_off();
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_EQ(1, hook.calls);
	EXPECT_EQ(0, hook.failures);
}

struct passed {
	unsigned int records;
	size_t len;
	unsigned char value[VALUE_LEN];
};

static int note(const void *k, size_t key_len, const void *value,
		size_t value_len, void *arg)
{
	struct passed *p = arg;

	if (key_len != KEY_LEN || memcmp(k, key, KEY_LEN) ||
	    value_len > VALUE_LEN)
		return 99;
	p->records++;
	p->len = value_len;
	memcpy(p->value, value, value_len);
	return 0;
}

TEST_F_TIMEOUT(retry, foreach_gives_up_with_eagain_after_the_bound, TIMEOUT_S)
{
	struct passed p = { 0 };
	int ret;

	replace_at_copies(FOREVER);
	ret = etsmgr_set_foreach(self->r.ro, note, &p);
	hook_off();
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(ETSMGR_SET_READ_RETRIES + 1, hook.calls);
	/* No copy was ever stable: nothing was passed. */
	EXPECT_EQ(0, p.records);
	EXPECT_EQ(0, hook.failures);
}

TEST_F_TIMEOUT(retry, foreach_after_3_replacements_passes_the_newest_value_once,
	       TIMEOUT_S)
{
	struct passed p = { 0 };
	unsigned char expect[VALUE_LEN];
	int64_t n;
	int ret;

	replace_at_copies(3);
	ret = etsmgr_set_foreach(self->r.ro, note, &p);
	hook_off();
	EXPECT_EQ(0, ret);
	EXPECT_EQ(4, hook.calls);
	EXPECT_EQ(1, p.records);
	if (variant->counter) {
		n = counter_of(3);
		EXPECT_EQ(sizeof(n), p.len);
		EXPECT_EQ(0, memcmp(p.value, &n, sizeof(n)));
	} else {
		value_of(3, expect);
		EXPECT_EQ(sizeof(expect), p.len);
		EXPECT_EQ(0, memcmp(p.value, expect, sizeof(expect)));
	}
}

TEST_F_TIMEOUT(counter_retry, update_counter_gives_up_with_eagain_adding_nothing,
	       TIMEOUT_S)
{
	int64_t result = 12345;
	int ret;

	replace_at_copies(FOREVER);
	ret = etsmgr_set_update_counter(self->r.rw, key, KEY_LEN, 1, NULL,
					&result);
	hook_off();
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(ETSMGR_SET_READ_RETRIES + 1, hook.calls);
	EXPECT_EQ(12345, result);
	/* Nothing added to any version. */
	EXPECT_TRUE(holds_version(self->r.ro, true, hook.version));
}

TEST_F_TIMEOUT(counter_retry, update_counter_after_3_replacements_adds_to_the_newest,
	       TIMEOUT_S)
{
	int64_t result = 0, n;
	int ret;

	replace_at_copies(3);
	ret = etsmgr_set_update_counter(self->r.rw, key, KEY_LEN, 1, NULL,
					&result);
	hook_off();
	EXPECT_EQ(0, ret);
	EXPECT_EQ(4, hook.calls);
	EXPECT_EQ(counter_of(3) + 1, result);
	ASSERT_EQ(0, etsmgr_set_lookup(self->r.ro, key, KEY_LEN, &n, sizeof(n),
				       NULL));
	EXPECT_EQ(counter_of(3) + 1, n);
}

TEST_F_TIMEOUT(counter_retry, counter_ref_gives_up_with_eagain, TIMEOUT_S)
{
	struct etsmgr_counter_ref ref;
	int ret;

	replace_at_copies(FOREVER);
	ret = etsmgr_set_counter_ref(self->r.rw, key, KEY_LEN, &ref);
	hook_off();
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(ETSMGR_SET_READ_RETRIES + 1, hook.calls);
	/* The handle was not filled. */
	EXPECT_EQ(-EINVAL, etsmgr_counter_add(&ref, 1, NULL));
	EXPECT_TRUE(holds_version(self->r.ro, true, hook.version));
}

TEST_HARNESS_MAIN
