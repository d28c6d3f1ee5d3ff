// SPDX-License-Identifier: GPL-2.0
/*
 * libetsmgr: text names of the uAPI enums, table-name checks and number
 * parsing, shared by the tools so that they all print and accept the
 * same words.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Look @value up in a table of names indexed by enum value. */
static const char *name_of(const char *const names[], size_t count,
			   uint32_t value)
{
	return value < count ? names[value] : NULL;
}

const char *etsmgr_state_name(uint32_t state)
{
	static const char *const names[] = {
		[ETSMGR_STATE_OWNED] = "owned",
		[ETSMGR_STATE_HELD] = "held",
	};

	return name_of(names, ARRAY_SIZE(names), state);
}

static const char *const access_names[] = {
	[ETSMGR_ACCESS_PRIVATE] = "private",
	[ETSMGR_ACCESS_PROTECTED] = "protected",
	[ETSMGR_ACCESS_PUBLIC] = "public",
};

const char *etsmgr_access_name(uint32_t access)
{
	return name_of(access_names, ARRAY_SIZE(access_names), access);
}

int etsmgr_access_from_name(const char *name, uint32_t *access)
{
	for (uint32_t i = 0; i < ARRAY_SIZE(access_names); i++) {
		if (strcmp(name, access_names[i]) == 0) {
			*access = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *etsmgr_exit_reason_name(uint32_t exit_reason)
{
	static const char *const names[] = {
		[ETSMGR_EXIT_NONE] = "none",
		[ETSMGR_EXIT_EXITED] = "exited",
		[ETSMGR_EXIT_SIGNALED] = "signaled",
		[ETSMGR_EXIT_CLOSED] = "closed",
	};

	return name_of(names, ARRAY_SIZE(names), exit_reason);
}

const char *etsmgr_manager_state_name(uint32_t state)
{
	static const char *const names[] = {
		[ETSMGR_MANAGER_RUNNING] = "running",
		[ETSMGR_MANAGER_DRAINING] = "draining",
		[ETSMGR_MANAGER_DRAINED] = "drained",
	};

	return name_of(names, ARRAY_SIZE(names), state);
}

const char *etsmgr_event_name(uint32_t event)
{
	static const char *const names[] = {
		[ETSMGR_EVENT_CREATED] = "created",
		[ETSMGR_EVENT_OWNER_EXITED] = "owner_exited",
		[ETSMGR_EVENT_RECLAIMED] = "reclaimed",
		[ETSMGR_EVENT_DELETED] = "deleted",
		[ETSMGR_EVENT_ADOPTED] = "adopted",
		[ETSMGR_EVENT_MANAGER_STOPPING] = "manager_stopping",
		[ETSMGR_EVENT_GIVEN] = "given",
		[ETSMGR_EVENT_INHERITED] = "inherited",
		[ETSMGR_EVENT_NS_REAPED] = "ns-reaped",
		[ETSMGR_EVENT_RENAMED] = "renamed",
	};

	return name_of(names, ARRAY_SIZE(names), event);
}

const char *etsmgr_attach_result_name(uint32_t result)
{
	static const char *const names[] = {
		[ETSMGR_RESULT_CREATED] = "created",
		[ETSMGR_RESULT_RECLAIMED] = "reclaimed",
		[ETSMGR_RESULT_ALREADY_OWNED] = "already_owned",
	};

	return name_of(names, ARRAY_SIZE(names), result);
}

int etsmgr_name_check(const char *name)
{
	size_t len = strnlen(name, ETSMGR_NAME_MAX);

	if (len == ETSMGR_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 0)
		return -EINVAL;
	/* strspn, not isalnum(): the rule is ASCII whatever the locale. */
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._:-") != len)
		return -EINVAL;
	return 0;
}

int name_copy(char field[ETSMGR_NAME_MAX], const char *name)
{
	size_t len = strnlen(name, ETSMGR_NAME_MAX);

	if (len == ETSMGR_NAME_MAX)
		return -ENAMETOOLONG;
	memset(field, 0, ETSMGR_NAME_MAX);
	memcpy(field, name, len);
	return 0;
}

int etsmgr_parse_u64(const char *text, uint64_t *value)
{
	unsigned long long parsed; /* 64 bits on every Linux ABI */
	char *end;

	/* strtoull() would take blanks, a sign (even "-1") and "0x". */
	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	parsed = strtoull(text, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*value = parsed;
	return 0;
}
