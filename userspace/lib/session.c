// SPDX-License-Identifier: GPL-2.0
/*
 * libetsmgr sessions: thin wrappers of the /dev/etsmgr ioctls and mmap
 * that fill the uAPI structures and turn failures into -errno, and the
 * client's side of a manager restart: noticing the drain and waiting for
 * the device to come back.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
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

/*
 * ATTACH of the table @name as @attach asks, into @result: 0 only when
 * the table is @uid's, so that a caller never gets another uid's bytes
 * it did not ask for.
 */
static int attach_as(int session, const char *name,
		     struct etsmgr_attach *attach, uint32_t uid,
		     struct etsmgr_attach *result)
{
	int ret;

	ret = name_copy(attach->name, name);
	if (ret)
		return ret;
	ret = session_ioctl(session, ETSMGR_IOC_ATTACH, attach);
	if (ret)
		return ret;
	*result = *attach;
	return attach->uid == uid ? 0 : -EPERM;
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

	if (flags & ETSMGR_ATTACH_UID)
		return -EINVAL;
	return attach_as(session, name, &attach, (uint32_t)geteuid(), result);
}

int etsmgr_session_attach_uid(int session, const char *name, uint32_t uid,
			      struct etsmgr_attach *result)
{
	struct etsmgr_attach attach = {
		.flags = ETSMGR_ATTACH_UID,
		.uid = uid,
	};

	return attach_as(session, name, &attach, uid, result);
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

static int session_rename(int session, uint64_t id, const char *name,
			  const char *new_name, const char *reason)
{
	struct etsmgr_rename arg;
	int ret;

	memset(&arg, 0, sizeof(arg));
	ret = ref_init(&arg.ref, id, name);
	if (!ret)
		ret = name_copy(arg.new_name, new_name);
	if (ret)
		return ret;
	if (reason) {
		/* The kernel checks the bytes; only the length is ours. */
		if (strnlen(reason, ETSMGR_REASON_MAX) == ETSMGR_REASON_MAX)
			return -EINVAL;
		strcpy(arg.reason, reason);
	}
	return session_ioctl(session, ETSMGR_IOC_RENAME, &arg);
}

int etsmgr_session_rename_by_id(int session, uint64_t id,
				const char *new_name, const char *reason)
{
	return session_rename(session, id, NULL, new_name, reason);
}

int etsmgr_session_rename_by_name(int session, const char *name,
				  const char *new_name, const char *reason)
{
	return session_rename(session, 0, name, new_name, reason);
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

int etsmgr_session_adopt(int session, const void *address, uint32_t access,
			 uint64_t generation, struct etsmgr_adopt *result)
{
	memset(result, 0, sizeof(*result));
	result->addr = (uint64_t)(uintptr_t)address;
	result->access = access;
	result->generation = generation;
	return session_ioctl(session, ETSMGR_IOC_ADOPT, result);
}

static int session_handoff(int session, unsigned long request, uint64_t id,
			   int pidfd, uint64_t data)
{
	struct etsmgr_handoff handoff = {
		.id = id, .pidfd = pidfd, .data = data,
	};

	return session_ioctl(session, request, &handoff);
}

int etsmgr_session_set_heir(int session, uint64_t id, int pidfd,
			    uint64_t data)
{
	return session_handoff(session, ETSMGR_IOC_SET_HEIR, id, pidfd, data);
}

int etsmgr_session_give(int session, uint64_t id, int pidfd, uint64_t data)
{
	return session_handoff(session, ETSMGR_IOC_GIVE, id, pidfd, data);
}

int etsmgr_session_receive(int session, struct etsmgr_received *notice)
{
	memset(notice, 0, sizeof(*notice));
	return session_ioctl(session, ETSMGR_IOC_RECEIVE, notice);
}

int etsmgr_supervisor_pidfd(void)
{
	const char *env = getenv(ETSMGR_SUPERVISOR_ENV);
	pid_t parent = getppid();
	char *end;
	long pid;
	int fd;

	if (!env || !*env)
		return -ENOENT;
	errno = 0;
	pid = strtol(env, &end, 10);
	if (errno || *end || pid <= 1 || pid != parent)
		return -ESRCH;	/* not, or no longer, our parent */
	fd = (int)syscall(SYS_pidfd_open, parent, 0);
	if (fd < 0)
		return -errno;
	/* Re-parented in between: the pidfd may name a reused pid. */
	if (getppid() != parent) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

int etsmgr_session_manager_stopping(int session)
{
	struct pollfd pfd = { .fd = session, .events = POLLPRI };

	if (poll(&pfd, 1, 0) < 0)
		return -errno;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	return (pfd.revents & (POLLPRI | POLLHUP)) ? 1 : 0;
}

static int64_t session_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int etsmgr_session_wait_received(int session, int timeout_ms,
				 struct etsmgr_received *notice)
{
	struct pollfd pfd = { .fd = session, .events = POLLIN };
	int64_t deadline = session_now_ms() + timeout_ms;
	int ret, left = timeout_ms;

	for (;;) {
		ret = etsmgr_session_receive(session, notice);
		if (ret != -EAGAIN)
			return ret;
		if (timeout_ms >= 0) {
			left = (int)(deadline - session_now_ms());
			if (left <= 0)
				return -ETIMEDOUT;
		}
		ret = poll(&pfd, 1, left);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (pfd.revents & POLLNVAL)
			return -EBADF;
		/* POLLPRI alone is a drain: no notice will come. */
		if ((pfd.revents & (POLLPRI | POLLHUP)) &&
		    !(pfd.revents & POLLIN))
			return -ESHUTDOWN;
	}
}

int etsmgr_session_open_wait(int timeout_ms)
{
	int64_t deadline = session_now_ms() + timeout_ms;
	char events[4096] __attribute__((aligned(8)));
	struct pollfd pfd;
	int fd, notify, left;

	/*
	 * Watch /dev before trying, so that a device created between a
	 * failed open and the wait still wakes us. While the manager drains,
	 * the device goes away (rmmod) and comes back (insmod): both show.
	 */
	notify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (notify < 0)
		return -errno;
	if (inotify_add_watch(notify, "/dev", IN_CREATE | IN_ATTRIB |
			      IN_DELETE | IN_MOVED_TO) < 0) {
		fd = -errno;
		goto out;
	}
	for (;;) {
		fd = etsmgr_session_open();
		if (fd >= 0 || (fd != -ENOENT && fd != -ESHUTDOWN &&
				fd != -ENXIO && fd != -ENODEV))
			goto out;
		left = timeout_ms < 0 ? -1 :
		       (int)(deadline - session_now_ms());
		if (timeout_ms >= 0 && left <= 0) {
			fd = -ETIMEDOUT;
			goto out;
		}
		/*
		 * A drain leaves the device in place until rmmod: no event
		 * then, so look again at least every 100 ms meanwhile.
		 */
		if (fd == -ESHUTDOWN && (left < 0 || left > 100))
			left = 100;
		pfd.fd = notify;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
			fd = -errno;
			goto out;
		}
		while (read(notify, events, sizeof(events)) > 0)
			;
	}
out:
	close(notify);
	return fd;
}
