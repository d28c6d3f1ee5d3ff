// SPDX-License-Identifier: GPL-2.0
/*
 * libetsmgr sessions: thin wrappers of the /dev/etsmgr ioctls and mmap
 * that fill the uAPI structures and turn failures into -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

int etsmgr_session_open(void)
{
	int fd = open(ETSMGR_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int session_ioctl(int session, unsigned long request, void *arg)
{
	return ioctl(session, request, arg) < 0 ? -errno : 0;
}

int etsmgr_session_attach(int session, const char *name, uint64_t size,
			  uint32_t access, uint32_t flags,
			  struct etsmgr_attach *result)
{
	struct etsmgr_attach attach = {
		.flags = flags,
		.access = access,
		.size = size,
	};
	int ret;

	ret = name_copy(attach.name, name);
	if (ret)
		return ret;
	ret = session_ioctl(session, ETSMGR_IOC_ATTACH, &attach);
	if (ret)
		return ret;
	*result = attach;
	return 0;
}

int etsmgr_session_map(int session, uint64_t mmap_offset, size_t length,
		       int prot, void **address)
{
	void *mapping;

	/* off_t is 64 bits here (_FILE_OFFSET_BITS or LP64); refuse wrap. */
	if (mmap_offset > (uint64_t)INT64_MAX)
		return -EINVAL;
	mapping = mmap(NULL, length, prot, MAP_SHARED, session,
		       (off_t)mmap_offset);
	if (mapping == MAP_FAILED)
		return -errno;
	*address = mapping;
	return 0;
}

/* Fill a struct etsmgr_ref: by id when @name is NULL, else by name. */
static int ref_init(struct etsmgr_ref *ref, uint64_t id, const char *name)
{
	memset(ref, 0, sizeof(*ref));
	if (!name) {
		ref->id = id;
		return 0;
	}
	return name_copy(ref->name, name);
}

static int session_delete(int session, uint64_t id, const char *name)
{
	struct etsmgr_ref ref;
	int ret = ref_init(&ref, id, name);

	return ret ? ret : session_ioctl(session, ETSMGR_IOC_DELETE, &ref);
}

int etsmgr_session_delete_by_id(int session, uint64_t id)
{
	return session_delete(session, id, NULL);
}

int etsmgr_session_delete_by_name(int session, const char *name)
{
	return session_delete(session, 0, name);
}

static int session_info(int session, uint64_t id, const char *name,
			struct etsmgr_info *info)
{
	struct etsmgr_info query;
	int ret;

	memset(&query, 0, sizeof(query));
	ret = ref_init(&query.ref, id, name);
	if (!ret)
		ret = session_ioctl(session, ETSMGR_IOC_INFO, &query);
	if (!ret)
		*info = query;
	return ret;
}

int etsmgr_session_info_by_id(int session, uint64_t id,
			      struct etsmgr_info *info)
{
	return session_info(session, id, NULL, info);
}

int etsmgr_session_info_by_name(int session, const char *name,
				struct etsmgr_info *info)
{
	return session_info(session, 0, name, info);
}
