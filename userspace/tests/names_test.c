// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of libetsmgr's parts that need no module: enum
 * names, table-name checks, number parsing, libnl error mapping, and the
 * failures that the library must report without the device or family.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <netlink/errno.h>

#include "../lib/internal.h"
#include "unit.h"

static void test_enum_names(void)
{
	CHECK_STR(etsmgr_state_name(ETSMGR_STATE_OWNED), "owned");
	CHECK_STR(etsmgr_state_name(ETSMGR_STATE_HELD), "held");
	CHECK_STR(etsmgr_state_name(0), NULL);
	CHECK_STR(etsmgr_state_name(3), NULL);
	CHECK_STR(etsmgr_state_name(UINT32_MAX), NULL);

	CHECK_STR(etsmgr_access_name(ETSMGR_ACCESS_PRIVATE), "private");
	CHECK_STR(etsmgr_access_name(ETSMGR_ACCESS_PROTECTED), "protected");
	CHECK_STR(etsmgr_access_name(ETSMGR_ACCESS_PUBLIC), "public");
	CHECK_STR(etsmgr_access_name(3), NULL);

	CHECK_STR(etsmgr_exit_reason_name(ETSMGR_EXIT_NONE), "none");
	CHECK_STR(etsmgr_exit_reason_name(ETSMGR_EXIT_EXITED), "exited");
	CHECK_STR(etsmgr_exit_reason_name(ETSMGR_EXIT_SIGNALED), "signaled");
	CHECK_STR(etsmgr_exit_reason_name(ETSMGR_EXIT_CLOSED), "closed");
	CHECK_STR(etsmgr_exit_reason_name(4), NULL);

	CHECK_STR(etsmgr_event_name(0), NULL);
	CHECK_STR(etsmgr_event_name(ETSMGR_EVENT_CREATED), "created");
	CHECK_STR(etsmgr_event_name(ETSMGR_EVENT_OWNER_EXITED),
		  "owner_exited");
	CHECK_STR(etsmgr_event_name(ETSMGR_EVENT_RECLAIMED), "reclaimed");
	CHECK_STR(etsmgr_event_name(ETSMGR_EVENT_DELETED), "deleted");
	CHECK_STR(etsmgr_event_name(ETSMGR_EVENT_ADOPTED), "adopted");
	CHECK_STR(etsmgr_event_name(ETSMGR_EVENT_GIVEN), "given");
	CHECK_STR(etsmgr_event_name(ETSMGR_EVENT_INHERITED), "inherited");
	CHECK_STR(etsmgr_event_name(ETSMGR_EVENT_MANAGER_STOPPING),
		  "manager_stopping");
	CHECK_STR(etsmgr_event_name(42), NULL);

	CHECK_STR(etsmgr_attach_result_name(0), NULL);
	CHECK_STR(etsmgr_attach_result_name(ETSMGR_RESULT_CREATED), "created");
	CHECK_STR(etsmgr_attach_result_name(ETSMGR_RESULT_RECLAIMED),
		  "reclaimed");
	CHECK_STR(etsmgr_attach_result_name(ETSMGR_RESULT_ALREADY_OWNED),
		  "already_owned");
	CHECK_STR(etsmgr_attach_result_name(4), NULL);
}

static void test_access_from_name(void)
{
	uint32_t access = 99;

	CHECK_INT(etsmgr_access_from_name("private", &access), 0);
	CHECK_INT(access, ETSMGR_ACCESS_PRIVATE);
	CHECK_INT(etsmgr_access_from_name("protected", &access), 0);
	CHECK_INT(access, ETSMGR_ACCESS_PROTECTED);
	CHECK_INT(etsmgr_access_from_name("public", &access), 0);
	CHECK_INT(access, ETSMGR_ACCESS_PUBLIC);
	access = 99;
	CHECK_INT(etsmgr_access_from_name("Public", &access), -EINVAL);
	CHECK_INT(etsmgr_access_from_name("", &access), -EINVAL);
	CHECK_INT(etsmgr_access_from_name("publicx", &access), -EINVAL);
	CHECK_INT(access, 99);
}

static void test_name_check(void)
{
	char name[ETSMGR_NAME_MAX + 1];

	CHECK_INT(etsmgr_name_check("etscounter"), 0);
	CHECK_INT(etsmgr_name_check("a"), 0);
	CHECK_INT(etsmgr_name_check("Az09._:-"), 0);
	CHECK_INT(etsmgr_name_check(""), -EINVAL);
	CHECK_INT(etsmgr_name_check("a b"), -EINVAL);
	CHECK_INT(etsmgr_name_check("a/b"), -EINVAL);
	CHECK_INT(etsmgr_name_check("a\"b"), -EINVAL);
	CHECK_INT(etsmgr_name_check("caf\xc3\xa9"), -EINVAL);

	memset(name, 'x', sizeof(name));
	name[ETSMGR_NAME_MAX - 1] = '\0';	/* 63 bytes: the longest */
	CHECK_INT(etsmgr_name_check(name), 0);
	name[ETSMGR_NAME_MAX - 1] = 'x';
	name[ETSMGR_NAME_MAX] = '\0';		/* 64 bytes */
	CHECK_INT(etsmgr_name_check(name), -ENAMETOOLONG);
}

static void test_name_copy(void)
{
	char field[ETSMGR_NAME_MAX];
	char name[ETSMGR_NAME_MAX + 1];

	memset(field, 'z', sizeof(field));
	CHECK_INT(name_copy(field, "ab"), 0);
	CHECK(memcmp(field, "ab\0\0\0", 5) == 0);
	CHECK(field[ETSMGR_NAME_MAX - 1] == '\0');

	memset(name, 'x', sizeof(name));
	name[ETSMGR_NAME_MAX - 1] = '\0';
	CHECK_INT(name_copy(field, name), 0);
	CHECK_STR(field, name);
	name[ETSMGR_NAME_MAX - 1] = 'x';
	name[ETSMGR_NAME_MAX] = '\0';
	CHECK_INT(name_copy(field, name), -ENAMETOOLONG);
}

static void test_parse_u64(void)
{
	uint64_t value = 7;

	CHECK_INT(etsmgr_parse_u64("0", &value), 0);
	CHECK(value == 0);
	CHECK_INT(etsmgr_parse_u64("1712345678", &value), 0);
	CHECK(value == 1712345678);
	CHECK_INT(etsmgr_parse_u64("18446744073709551615", &value), 0);
	CHECK(value == UINT64_MAX);
	value = 7;
	CHECK_INT(etsmgr_parse_u64("18446744073709551616", &value), -ERANGE);
	CHECK_INT(etsmgr_parse_u64("", &value), -EINVAL);
	CHECK_INT(etsmgr_parse_u64("-1", &value), -EINVAL);
	CHECK_INT(etsmgr_parse_u64("+1", &value), -EINVAL);
	CHECK_INT(etsmgr_parse_u64(" 1", &value), -EINVAL);
	CHECK_INT(etsmgr_parse_u64("1 ", &value), -EINVAL);
	CHECK_INT(etsmgr_parse_u64("12a", &value), -EINVAL);
	CHECK_INT(etsmgr_parse_u64("0x10", &value), -EINVAL);
	CHECK(value == 7);
}

static void test_nl_error_to_errno(void)
{
	/* Every errno that libnl folds one to one comes back unchanged. */
	static const int round_trip[] = {
		EPERM, ENOENT, EINTR, EAGAIN, ENOMEM, EEXIST, EINVAL, EBUSY,
		EACCES, ENODEV, ERANGE, EOPNOTSUPP, EAFNOSUPPORT, EBADF,
		EADDRNOTAVAIL, EPROTONOSUPPORT,
	};

	for (size_t i = 0; i < sizeof(round_trip) / sizeof(round_trip[0]); i++)
		CHECK_INT(nl_error_to_errno(-nl_syserr2nlerr(round_trip[i])),
			  -round_trip[i]);
	CHECK_INT(nl_error_to_errno(0), 0);
	CHECK_INT(nl_error_to_errno(NLE_PERM), -EPERM);
	CHECK_INT(nl_error_to_errno(-NLE_DUMP_INTR), -EAGAIN);
	CHECK_INT(nl_error_to_errno(-NLE_MSG_OVERFLOW), -ENOBUFS);
	CHECK_INT(nl_error_to_errno(-NLE_PARSE_ERR), -EPROTO);
	CHECK_INT(nl_error_to_errno(-NLE_SEQ_MISMATCH), -EPROTO);
	CHECK_INT(nl_error_to_errno(-NLE_FAILURE), -EIO);
	CHECK_INT(nl_error_to_errno(-1000), -EIO);
}

/* Errors the session wrappers must give before or without a device. */
static void test_session_errors(void)
{
	char long_name[ETSMGR_NAME_MAX + 1];
	struct etsmgr_attach attach;
	struct etsmgr_info info;
	void *address = NULL;

	memset(long_name, 'x', ETSMGR_NAME_MAX);
	long_name[ETSMGR_NAME_MAX] = '\0';
	/* Too long is said before the descriptor is even looked at. */
	CHECK_INT(etsmgr_session_attach(-1, long_name, 4096,
					ETSMGR_ACCESS_PRIVATE,
					ETSMGR_ATTACH_CREATE, &attach),
		  -ENAMETOOLONG);
	CHECK_INT(etsmgr_session_delete_by_name(-1, long_name),
		  -ENAMETOOLONG);
	CHECK_INT(etsmgr_session_info_by_name(-1, long_name, &info),
		  -ENAMETOOLONG);

	CHECK_INT(etsmgr_session_attach(-1, "t", 4096, ETSMGR_ACCESS_PRIVATE,
					ETSMGR_ATTACH_CREATE, &attach),
		  -EBADF);
	CHECK_INT(etsmgr_session_delete_by_id(-1, 1), -EBADF);
	CHECK_INT(etsmgr_session_info_by_id(-1, 1, &info), -EBADF);
	CHECK_INT(etsmgr_session_map(-1, 0, 4096, PROT_READ, &address),
		  -EBADF);
	CHECK(address == NULL);
	CHECK_INT(etsmgr_session_map(-1, UINT64_MAX, 4096, PROT_READ,
				     &address), -EINVAL);
}

/* On a host without the module: no device, no family. */
static void test_without_module(void)
{
	struct etsmgr_nl *nl = NULL;

	if (access("/sys/module/etsmgr", F_OK) == 0) {
		printf("# module loaded: skipping the checks of its absence\n");
		return;
	}
	CHECK_INT(etsmgr_session_open(), -ENOENT);
	CHECK_INT(etsmgr_nl_open(&nl), -ENOENT);
	CHECK(nl == NULL);
	etsmgr_nl_close(NULL);
}

int main(void)
{
	UNIT_TEST(test_enum_names);
	UNIT_TEST(test_access_from_name);
	UNIT_TEST(test_name_check);
	UNIT_TEST(test_name_copy);
	UNIT_TEST(test_parse_u64);
	UNIT_TEST(test_nl_error_to_errno);
	UNIT_TEST(test_session_errors);
	UNIT_TEST(test_without_module);
	return unit_done();
}
