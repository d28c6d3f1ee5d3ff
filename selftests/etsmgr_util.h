/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the etsmgr selftests (kselftest harness).
 *
 * Everything here is static inline so that every *_test.c is a standalone
 * harness binary. Conventions:
 *   - wrappers of ioctl/mmap return 0 (or a pointer) on success and
 *     -errno on failure, so tests read EXPECT_EQ(-EINVAL, ets_attach(...));
 *   - code that runs in a forked child never uses ASSERT/EXPECT: it reports
 *     through an exit status or a MAP_SHARED page and ends with _exit();
 *   - every test uses names from ETS_NAME() (unique per test and pid) and
 *     deletes what it creates; the fixture teardown deletes leftovers (and
 *     fails a test that passed but left a table behind) and restores the
 *     module parameters a test changed.
 */
#ifndef ETSMGR_UTIL_H
#define ETSMGR_UTIL_H

/* The harness defines _GNU_SOURCE: it must come before any libc header. */
#include "kselftest_harness.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include <linux/etsmgr.h>

#define ETS_STATS_PATH		"/sys/kernel/debug/etsmgr/stats"
#define ETS_DEBUGFS		"/sys/kernel/debug"
#define ETS_MODULE_DIR		"/sys/module/etsmgr"
#define ETS_PARAM_DIR		ETS_MODULE_DIR "/parameters/"
#define ETS_NOBODY		65534

#define ETS_MIB			(1024ULL * 1024ULL)

/*
 * A test's verdict, in either harness: 6.1's kselftest_harness.h keeps
 * it in _metadata->passed and ->skip, 6.12's in ->exit_code (6.12 is the
 * one with XFAIL_ADD). ETS_TEST_FAIL() fails the running test;
 * ETS_TEST_PASSING() is true while it neither failed nor skipped.
 */
#ifdef XFAIL_ADD
#define ETS_TEST_FAIL()		(_metadata->exit_code = KSFT_FAIL)
#define ETS_TEST_PASSING()	(_metadata->exit_code == KSFT_PASS)
#else
#define ETS_TEST_FAIL()		(_metadata->passed = 0)
#define ETS_TEST_PASSING()	(_metadata->passed && !_metadata->skip)
#endif

/* Exit codes of helper children that could not even run their probe. */
#define ETS_CHILD_SETUP_FAILED	200	/* cred change, unshare, ... */
#define ETS_CHILD_OPEN_FAILED	201	/* open(/dev/etsmgr) */
#define ETS_CHILD_BAD		202	/* anything else unexpected */

static inline size_t ets_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline __u64 ets_round_page(__u64 size)
{
	__u64 p = ets_page();

	return (size + p - 1) / p * p;
}

/* ------------------------------------------------------------------ */
/* Sessions and ioctls                                                 */
/* ------------------------------------------------------------------ */

static inline int ets_device_present(void)
{
	return access(ETSMGR_DEVICE_PATH, F_OK) == 0;
}

/*
 * Every test here needs the module: without /dev/etsmgr a binary skips as
 * a whole (KTAP "1..0 # SKIP", exit 4: KSFT_SKIP), so that kselftest's
 * runner reports it skipped, not passed. Listing (-l) and help (-h) still
 * work. glibc passes main's arguments to constructors.
 */
static void __attribute__((constructor)) ets_require_module(int argc,
							     char **argv)
{
	int k;

	if (ets_device_present())
		return;
	for (k = 1; k < argc; k++)
		if (!strcmp(argv[k], "-l") || !strcmp(argv[k], "-h"))
			return;
	ksft_print_header();
	ksft_exit_skip("%s missing (module not loaded)\n", ETSMGR_DEVICE_PATH);
}

/* Open a new session; returns the fd or -errno. */
static inline int ets_open(void)
{
	int fd = open(ETSMGR_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int ets_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/*
 * Copy @name into a zeroed 64-byte name field: at most ETSMGR_NAME_MAX
 * bytes, so a longer string fills the field with no NUL at all.
 */
static inline void ets_set_name(char *field, const char *name)
{
	if (name)
		memcpy(field, name, strnlen(name, ETSMGR_NAME_MAX));
}

static inline void ets_attach_init(struct etsmgr_attach *a, const char *name,
				   __u32 flags, __u32 access, __u64 size)
{
	memset(a, 0, sizeof(*a));
	a->flags = flags;
	a->access = access;
	a->size = size;
	ets_set_name(a->name, name);
}

/* ATTACH with the given arguments; @out (may be NULL) gets the result. */
static inline int ets_attach(int fd, const char *name, __u32 flags,
			     __u32 access, __u64 size, struct etsmgr_attach *out)
{
	struct etsmgr_attach a;
	int ret;

	ets_attach_init(&a, name, flags, access, size);
	ret = ets_ioctl(fd, ETSMGR_IOC_ATTACH, &a);
	if (out)
		*out = a;
	return ret;
}

/* Create a new table (CREATE|EXCL). */
static inline int ets_create(int fd, const char *name, __u32 access,
			     __u64 size, struct etsmgr_attach *out)
{
	return ets_attach(fd, name, ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL,
			  access, size, out);
}

/* Reclaim a held table (ATTACH, no flags, size 0). */
static inline int ets_reclaim(int fd, const char *name,
			      struct etsmgr_attach *out)
{
	return ets_attach(fd, name, 0, ETSMGR_ACCESS_PRIVATE, 0, out);
}

static inline void ets_ref_init(struct etsmgr_ref *r, __u64 id,
				const char *name)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	ets_set_name(r->name, name);
}

static inline int ets_delete_ref(int fd, struct etsmgr_ref *r)
{
	return ets_ioctl(fd, ETSMGR_IOC_DELETE, r);
}

static inline int ets_delete_id(int fd, __u64 id)
{
	struct etsmgr_ref r;

	ets_ref_init(&r, id, NULL);
	return ets_delete_ref(fd, &r);
}

static inline int ets_delete_name(int fd, const char *name)
{
	struct etsmgr_ref r;

	ets_ref_init(&r, 0, name);
	return ets_delete_ref(fd, &r);
}

/* Delete the table @uid calls @name (ETSMGR_REF_UID). */
static inline int ets_delete_uid_name(int fd, __u32 uid, const char *name)
{
	struct etsmgr_ref r;

	ets_ref_init(&r, 0, name);
	r.flags = ETSMGR_REF_UID;
	r.uid = uid;
	return ets_delete_ref(fd, &r);
}

static inline int ets_info_ref(int fd, const struct etsmgr_ref *r,
			       struct etsmgr_info *out)
{
	struct etsmgr_info i;
	int ret;

	memset(&i, 0, sizeof(i));
	i.ref = *r;
	ret = ets_ioctl(fd, ETSMGR_IOC_INFO, &i);
	if (out)
		*out = i;
	return ret;
}

static inline int ets_info_id(int fd, __u64 id, struct etsmgr_info *out)
{
	struct etsmgr_ref r;

	ets_ref_init(&r, id, NULL);
	return ets_info_ref(fd, &r, out);
}

static inline int ets_info_name(int fd, const char *name,
				struct etsmgr_info *out)
{
	struct etsmgr_ref r;

	ets_ref_init(&r, 0, name);
	return ets_info_ref(fd, &r, out);
}

/*
 * Wait up to @ms milliseconds for the caller's table @name to exist and
 * be in @state; 0 with *@out filled, -ETIMEDOUT, or INFO's -errno.
 */
static inline int ets_wait_state(int fd, const char *name, __u32 state,
				 int ms, struct etsmgr_info *out)
{
	int ret, k;

	/* A table not created yet is not in @state yet either. */
	for (k = 0; k <= ms / 10; k++) {
		ret = ets_info_name(fd, name, out);
		if (ret && ret != -ENOENT)
			return ret;
		if (!ret && out->state == state)
			return 0;
		usleep(10000);
	}
	return ret ? ret : -ETIMEDOUT;
}

/* INFO of the table @uid calls @name (ETSMGR_REF_UID). */
static inline int ets_info_uid_name(int fd, __u32 uid, const char *name,
				    struct etsmgr_info *out)
{
	struct etsmgr_ref r;

	ets_ref_init(&r, 0, name);
	r.flags = ETSMGR_REF_UID;
	r.uid = uid;
	return ets_info_ref(fd, &r, out);
}

/* ------------------------------------------------------------------ */
/* Mappings and data patterns                                          */
/* ------------------------------------------------------------------ */

/* mmap a table; returns the address, or NULL with *err = -errno. */
static inline void *ets_map(int fd, __u64 off, size_t len, int prot,
			    int *err)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)off);

	if (p == MAP_FAILED) {
		if (err)
			*err = -errno;
		return NULL;
	}
	if (err)
		*err = 0;
	return p;
}

/* Try a mapping with explicit flags; unmap it at once. 0 or -errno. */
static inline int ets_try_map(int fd, __u64 off, size_t len, int prot,
			      int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

static inline unsigned char ets_pattern_byte(unsigned int seed, size_t i)
{
	return (unsigned char)(seed * 131u + i * 7u + (i >> 12) * 13u + 1u);
}

static inline void ets_fill(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		c[i] = ets_pattern_byte(seed, i);
}

/*
 * Touch one byte, surviving a fault: 0, or -EFAULT when the access raised
 * SIGSEGV or SIGBUS (a fenced or missing mapping). For one thread at a
 * time per process.
 */
static sigjmp_buf ets_fault_jmp;

static inline void ets_fault_handler(int sig)
{
	siglongjmp(ets_fault_jmp, sig);
}

static inline int ets_touch(volatile unsigned char *p, int write,
			    unsigned char *val)
{
	struct sigaction sa = { .sa_handler = ets_fault_handler };
	struct sigaction old_segv, old_bus;
	int ret = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (sigsetjmp(ets_fault_jmp, 1) == 0) {
		if (write)
			*p = *val;
		else
			*val = *p;
	} else {
		ret = -EFAULT;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return ret;
}

static inline int ets_try_write(void *p, unsigned char val)
{
	return ets_touch(p, 1, &val);
}

static inline int ets_try_read(const void *p, unsigned char *val)
{
	return ets_touch((volatile unsigned char *)p, 0, val);
}

/* Index of the first byte not matching the pattern, or -1. */
static inline long ets_check(const void *p, size_t len, unsigned int seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != ets_pattern_byte(seed, i))
			return (long)i;
	return -1;
}

/*
 * Create @name in a fresh session, fill it with pattern @seed (if not 0),
 * and close the session: the table is then held, reason CLOSED.
 */
static inline int ets_make_held(const char *name, __u32 access, __u64 size,
				unsigned int seed, struct etsmgr_attach *out)
{
	int fd = ets_open(), ret, err;
	void *m;

	if (fd < 0)
		return fd;
	ret = ets_create(fd, name, access, size, out);
	if (!ret && seed) {
		m = ets_map(fd, out->mmap_offset, out->size,
			    PROT_READ | PROT_WRITE, &err);
		if (m) {
			ets_fill(m, out->size, seed);
			munmap(m, out->size);
		} else {
			ret = err;
		}
	}
	close(fd);
	return ret;
}

/*
 * Reclaim @name in a fresh session and delete it (an admin delete if the
 * reclaim fails). 0 or -errno.
 */
static inline int ets_cleanup(const char *name)
{
	struct etsmgr_attach a;
	int fd = ets_open(), ret;

	if (fd < 0)
		return fd;
	ret = ets_reclaim(fd, name, &a);
	if (!ret)
		ret = ets_delete_id(fd, a.id);
	else
		ret = ets_delete_name(fd, name);
	close(fd);
	return ret;
}

/* A MAP_SHARED anonymous area for results written by forked children. */
static inline void *ets_shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------------ */
/* Counters (debugfs), /proc/meminfo, module parameters                */
/* ------------------------------------------------------------------ */

/* Whether the stats file exists; mounts debugfs once if it is not. */
static inline int ets_stats_available(void)
{
	if (access(ETS_STATS_PATH, R_OK) == 0)
		return 1;
	if (geteuid() == 0 && access(ETS_DEBUGFS, F_OK) == 0)
		mount("debugfs", ETS_DEBUGFS, "debugfs", 0, NULL);
	return access(ETS_STATS_PATH, R_OK) == 0;
}

/* The value of @key in the stats file, or -1 if absent. */
static inline long long ets_stat(const char *key)
{
	char k[64];
	long long v, ret = -1;
	FILE *f = fopen(ETS_STATS_PATH, "re");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", k, &v) == 2) {
		if (!strcmp(k, key)) {
			ret = v;
			break;
		}
	}
	fclose(f);
	return ret;
}

struct ets_counters {
	long long sessions, tables, held, bytes, created, reclaimed, deleted;
};

/* 0, or -1 if the file or a key is missing. */
static inline int ets_counters_read(struct ets_counters *c)
{
	c->sessions = ets_stat("sessions");
	c->tables = ets_stat("tables");
	c->held = ets_stat("held");
	c->bytes = ets_stat("bytes");
	c->created = ets_stat("created");
	c->reclaimed = ets_stat("reclaimed");
	c->deleted = ets_stat("deleted");
	if (c->sessions < 0 || c->tables < 0 || c->held < 0 || c->bytes < 0 ||
	    c->created < 0 || c->reclaimed < 0 || c->deleted < 0)
		return -1;
	return 0;
}

/* "Shmem:" of /proc/meminfo in bytes, or -1. */
static inline long long ets_meminfo_shmem(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Shmem: %lld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static inline int ets_param_get(const char *name, unsigned long long *v)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), ETS_PARAM_DIR "%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static inline int ets_param_write(const char *name, unsigned long long v)
{
	char path[256], buf[32];
	int fd, len, ret = 0;

	snprintf(path, sizeof(path), ETS_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%llu\n", v);
	if (write(fd, buf, (size_t)len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Processes and credentials                                           */
/* ------------------------------------------------------------------ */

/* Close every fd >= 3 except @keep1 and @keep2 (in a forked child). */
static inline void ets_close_fds_except(int keep1, int keep2)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		if (fd != keep1 && fd != keep2)
			close(fd);
}

/* fork() for helper children: they die with the test process. */
static inline pid_t ets_fork(void)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(ETS_CHILD_BAD);
	}
	return pid;
}

/* waitpid without EINTR; returns the raw status or -1. */
static inline int ets_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

/* Run @fn in a child; its exit code, or 1000 + signal if killed. */
static inline int ets_run_child(int (*fn)(void *), void *arg)
{
	pid_t pid = ets_fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	status = ets_wait(pid);
	if (status < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 1000 + WTERMSIG(status);
}

/* Become uid/gid 65534 with no supplementary groups (and so no caps). */
static inline int ets_become_nobody(void)
{
	if (setgroups(0, NULL) < 0)
		return -errno;
	if (setresgid(ETS_NOBODY, ETS_NOBODY, ETS_NOBODY) < 0)
		return -errno;
	if (setresuid(ETS_NOBODY, ETS_NOBODY, ETS_NOBODY) < 0)
		return -errno;
	return 0;
}

/* Drop CAP_SYS_ADMIN from the effective, permitted and inheritable sets. */
static inline int ets_drop_sys_admin(void)
{
	cap_value_t v[1] = { CAP_SYS_ADMIN };
	cap_flag_value_t fv = CAP_SET;
	cap_t caps = cap_get_proc();
	int ret = 0;

	if (!caps)
		return -errno;
	if (cap_set_flag(caps, CAP_EFFECTIVE, 1, v, CAP_CLEAR) ||
	    cap_set_flag(caps, CAP_PERMITTED, 1, v, CAP_CLEAR) ||
	    cap_set_flag(caps, CAP_INHERITABLE, 1, v, CAP_CLEAR) ||
	    cap_set_proc(caps))
		ret = -errno;
	cap_free(caps);
	if (ret)
		return ret;
	/* Check it really went away. */
	caps = cap_get_proc();
	if (!caps)
		return -errno;
	if (cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &fv) ||
	    fv != CAP_CLEAR)
		ret = -EPERM;
	cap_free(caps);
	return ret;
}

/* Whether the calling process has CAP_SYS_ADMIN in its effective set. */
static inline int ets_have_sys_admin(void)
{
	cap_flag_value_t fv = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps)
		return 0;
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &fv);
	cap_free(caps);
	return fv == CAP_SET;
}

enum ets_creds {
	ETS_AS_SELF = 0,	/* unchanged */
	ETS_AS_NOBODY,		/* uid/gid 65534, no capabilities */
	ETS_AS_NOADMIN,		/* same uid, CAP_SYS_ADMIN dropped */
};

/* In a child: apply @creds (and a new IPC namespace); 0 or -errno. */
static inline int ets_child_setup(int creds, int new_ipc_ns)
{
	int ret;

	if (new_ipc_ns && unshare(CLONE_NEWIPC) < 0)
		return -errno;
	switch (creds) {
	case ETS_AS_NOBODY:
		ret = ets_become_nobody();
		break;
	case ETS_AS_NOADMIN:
		ret = ets_drop_sys_admin();
		break;
	default:
		ret = 0;
	}
	return ret;
}

static inline int ets_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static inline int ets_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/*
 * Probe: one operation run in a forked child with its own session, under
 * given credentials. The caller fills the inputs; ets_probe_run() returns
 * 0 on success, a positive errno, or ETS_CHILD_*; outputs are copied back.
 */
enum ets_probe_op {
	ETS_OP_OPEN = 0,	/* only open a session */
	ETS_OP_ATTACH,		/* ATTACH name/flags/access/size */
	ETS_OP_DELETE_ID,
	ETS_OP_DELETE_NAME,
	ETS_OP_INFO_ID,
	ETS_OP_INFO_NAME,
	ETS_OP_MMAP,		/* map off/len/prot; write/read byte 0 */
};

struct ets_probe {
	/* in */
	int creds;		/* enum ets_creds */
	int new_ipc_ns;		/* unshare(CLONE_NEWIPC) first */
	int op;			/* enum ets_probe_op */
	__u32 flags, access;
	__u64 size;
	char name[ETSMGR_NAME_MAX];
	__u64 id;
	__u64 off;
	size_t len;
	int prot;
	unsigned char wbyte;	/* written at byte 0 by a PROT_WRITE map */
	int delete_after;	/* delete the table an ATTACH got */
	__u32 uid;		/* etsmgr_attach.uid (ETSMGR_ATTACH_UID) */
	/* out */
	struct etsmgr_attach a;
	struct etsmgr_info info;
	unsigned char rbyte;	/* byte 0 read through a mapping */
	int delete_ret;		/* result of delete_after */
};

static inline int ets_probe_child(struct ets_probe *p)
{
	int fd, ret;
	void *m;

	if (ets_child_setup(p->creds, p->new_ipc_ns))
		return ETS_CHILD_SETUP_FAILED;
	fd = ets_open();
	if (fd < 0)
		return p->op == ETS_OP_OPEN ? -fd : ETS_CHILD_OPEN_FAILED;
	switch (p->op) {
	case ETS_OP_OPEN:
		ret = 0;
		break;
	case ETS_OP_ATTACH:
		ets_attach_init(&p->a, p->name, p->flags, p->access, p->size);
		p->a.uid = p->uid;
		ret = ets_ioctl(fd, ETSMGR_IOC_ATTACH, &p->a);
		if (!ret && p->delete_after)
			p->delete_ret = ets_delete_id(fd, p->a.id);
		break;
	case ETS_OP_DELETE_ID:
		ret = ets_delete_id(fd, p->id);
		break;
	case ETS_OP_DELETE_NAME:
		ret = ets_delete_name(fd, p->name);
		break;
	case ETS_OP_INFO_ID:
		ret = ets_info_id(fd, p->id, &p->info);
		break;
	case ETS_OP_INFO_NAME:
		ret = ets_info_name(fd, p->name, &p->info);
		break;
	case ETS_OP_MMAP:
		m = ets_map(fd, p->off, p->len, p->prot, &ret);
		if (m) {
			if (p->prot & PROT_WRITE)
				*(volatile unsigned char *)m = p->wbyte;
			p->rbyte = *(volatile unsigned char *)m;
			munmap(m, p->len);
		}
		break;
	default:
		ret = -ETS_CHILD_BAD;
	}
	/*
	 * The session ends with the child's exit (reason EXITED, status the
	 * probe's result), not with a close().
	 */
	return -ret;
}

static inline int ets_probe_run(struct ets_probe *p)
{
	struct ets_probe *shm = ets_shared_alloc(sizeof(*p));
	pid_t pid;
	int status, ret;

	if (!shm)
		return ETS_CHILD_BAD;
	*shm = *p;
	pid = ets_fork();
	if (pid < 0) {
		munmap(shm, sizeof(*shm));
		return ETS_CHILD_BAD;
	}
	if (pid == 0) {
		ets_close_fds_except(-1, -1);
		_exit(ets_probe_child(shm) & 0xff);
	}
	status = ets_wait(pid);
	if (status >= 0 && WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else
		ret = ETS_CHILD_BAD;
	*p = *shm;
	munmap(shm, sizeof(*shm));
	return ret;
}

/*
 * Owner: a child process that creates a table in its own session, fills
 * it with a pattern, and then obeys commands, so a test can make the owner
 * exit with a status, be killed, close its session, or write forever.
 */
struct ets_owner_shm {
	int err;		/* result of the last command (-errno) */
	struct etsmgr_attach a;	/* what the creating ATTACH returned */
	pid_t worker;		/* the child ETS_CMD_FORK started */
	unsigned char byte;	/* what ETS_CMD_PEEK read */
};

struct ets_owner {
	pid_t pid;
	int cmd_fd;		/* commands to the child */
	int ack_fd;		/* one byte per completed command */
	struct ets_owner_shm *shm;
};

#define ETS_CMD_EXIT	'e'	/* _exit(arg) */
#define ETS_CMD_CLOSE	'c'	/* close the session, keep living */
#define ETS_CMD_WRITE	'w'	/* ack, then increment the last u64 forever */
#define ETS_CMD_DELETE	'd'	/* delete the table by id */
#define ETS_CMD_THREADS	't'	/* start 4 threads writing the table */
#define ETS_CMD_THREAD_EXIT 'x'	/* a second thread calls _exit(arg) */
#define ETS_CMD_EXEC	'X'	/* exec sleep: close-on-exec ends the session */
#define ETS_CMD_CHECK	'k'	/* the owner's mapping still holds the pattern */
#define ETS_CMD_FORK	'f'	/* fork a worker that holds the fd (below) */
#define ETS_CMD_POKE	'p'	/* write arg at offset 0 of its mapping */
#define ETS_CMD_PEEK	'r'	/* read offset 0: shm->byte */

#define ETS_OWNER_THREADS	4

struct ets_thread_arg {
	volatile __u64 *ctr;
	int status;
};

static inline void *ets_spin_thread(void *arg)
{
	struct ets_thread_arg *t = arg;

	for (;;)
		(*t->ctr)++;
	return NULL;
}

static inline void *ets_exit_thread(void *arg)
{
	struct ets_thread_arg *t = arg;

	_exit(t->status);	/* exit_group() from a thread other than main */
	return NULL;
}

static inline void ets_owner_child(struct ets_owner_shm *shm, int cmd_fd,
				   int ack_fd, const char *name, __u32 access,
				   __u64 size, unsigned int seed, int creds)
{
	static struct ets_thread_arg targ[ETS_OWNER_THREADS];
	volatile __u64 *ctr;
	unsigned char cmd[2];
	pthread_t th;
	pid_t worker;
	void *m = NULL;
	int fd = -1, err, k;

	err = ets_child_setup(creds, 0);
	if (!err) {
		fd = ets_open();
		if (fd < 0)
			err = fd;
	}
	if (!err)
		err = ets_create(fd, name, access, size, &shm->a);
	if (!err && seed) {
		m = ets_map(fd, shm->a.mmap_offset, shm->a.size,
			    PROT_READ | PROT_WRITE, &err);
		if (m)
			ets_fill(m, shm->a.size, seed);
	}
	shm->err = err;
	if (ets_write_full(ack_fd, "a", 1))
		_exit(ETS_CHILD_BAD);
	for (;;) {
		if (ets_read_full(cmd_fd, cmd, 2))
			_exit(0);
		switch (cmd[0]) {
		case ETS_CMD_EXIT:
			_exit(cmd[1]);
		case ETS_CMD_CLOSE:
			shm->err = close(fd) ? -errno : 0;
			fd = -1;
			break;
		case ETS_CMD_DELETE:
			shm->err = ets_delete_id(fd, shm->a.id);
			break;
		case ETS_CMD_WRITE:
			if (!m) {
				shm->err = -EINVAL;
				break;
			}
			ctr = (volatile __u64 *)((char *)m + shm->a.size - 8);
			*ctr = 1;
			shm->err = 0;
			ets_write_full(ack_fd, "a", 1);
			for (;;)
				(*ctr)++;
		case ETS_CMD_THREADS:
			shm->err = m ? 0 : -EINVAL;
			for (k = 0; m && k < ETS_OWNER_THREADS; k++) {
				targ[k].ctr = (volatile __u64 *)((char *)m +
					shm->a.size - 8 * (k + 1));
				if (pthread_create(&th, NULL, ets_spin_thread,
						   &targ[k]))
					shm->err = -EAGAIN;
			}
			break;
		case ETS_CMD_THREAD_EXIT:
			targ[0].status = cmd[1];
			if (pthread_create(&th, NULL, ets_exit_thread,
					   &targ[0]))
				shm->err = -EAGAIN;
			else
				pause();
			break;
		case ETS_CMD_CHECK:
			/* 0: readable, pattern intact; -EIO: bytes differ. */
			if (!m)
				shm->err = -EINVAL;
			else
				shm->err = ets_check(m, shm->a.size, seed) < 0 ?
					   0 : -EIO;
			break;
		case ETS_CMD_FORK:
			/*
			 * A worker that never touches etsmgr: it inherits the
			 * session fd and the mapping, and with arg 0 pauses
			 * until killed, else _exit(arg)s 100 ms after its
			 * parent, the owner, is gone. Only the parent stores
			 * the pid: the worker would race it writing its 0
			 * into the shared page, and kill(0) ends the test.
			 */
			worker = fork();
			if (worker == 0) {
				pid_t parent = getppid();

				close(cmd_fd);
				close(ack_fd);
				if (!cmd[1])
					for (;;)
						pause();
				while (getppid() == parent)
					usleep(1000);
				usleep(100000);
				_exit(cmd[1]);
			}
			shm->err = worker < 0 ? -errno : 0;
			shm->worker = worker;
			break;
		case ETS_CMD_POKE:
			/* 0: written; -EFAULT: the write faulted. */
			shm->err = m ? ets_try_write(m, cmd[1]) : -EINVAL;
			break;
		case ETS_CMD_PEEK:
			shm->err = m ? ets_try_read(m, &shm->byte) : -EINVAL;
			break;
		case ETS_CMD_EXEC:
			/* The session fd is O_CLOEXEC; so are the pipes. */
			execl("/bin/sleep", "sleep", "1000", (char *)NULL);
			shm->err = -errno;
			break;
		default:
			shm->err = -EINVAL;
		}
		if (ets_write_full(ack_fd, "a", 1))
			_exit(ETS_CHILD_BAD);
	}
}

/*
 * Start an owner child that creates @name (and fills it with pattern
 * @seed when @seed != 0). Returns the child's create result (0 or -errno),
 * or -ECHILD if the child could not be started; on a create error the
 * child is still running and must be ended with ets_owner_exit().
 */
static inline int ets_owner_spawn(struct ets_owner *o, const char *name,
				  __u32 access, __u64 size, unsigned int seed,
				  int creds)
{
	int cmd[2], ack[2];
	char c;

	/* A command to an owner that exec'd or died must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	memset(o, 0, sizeof(*o));
	o->pid = -1;
	o->shm = ets_shared_alloc(sizeof(*o->shm));
	if (!o->shm)
		return -ECHILD;
	if (pipe2(cmd, O_CLOEXEC))
		return -ECHILD;
	if (pipe2(ack, O_CLOEXEC)) {
		close(cmd[0]);
		close(cmd[1]);
		return -ECHILD;
	}
	o->pid = ets_fork();
	if (o->pid == 0) {
		ets_close_fds_except(cmd[0], ack[1]);
		ets_owner_child(o->shm, cmd[0], ack[1], name, access, size,
				seed, creds);
		_exit(ETS_CHILD_BAD);
	}
	close(cmd[0]);
	close(ack[1]);
	o->cmd_fd = cmd[1];
	o->ack_fd = ack[0];
	if (o->pid < 0 || ets_read_full(o->ack_fd, &c, 1))
		return -ECHILD;
	return o->shm->err;
}

/* Send a command and wait for its ack; returns the command's result. */
static inline int ets_owner_cmd(struct ets_owner *o, int cmd, int arg)
{
	unsigned char b[2] = { (unsigned char)cmd, (unsigned char)arg };
	char c;

	if (ets_write_full(o->cmd_fd, b, 2) || ets_read_full(o->ack_fd, &c, 1))
		return -ECHILD;
	return o->shm->err;
}

static inline void ets_owner_release(struct ets_owner *o)
{
	if (o->cmd_fd > 0)
		close(o->cmd_fd);
	if (o->ack_fd > 0)
		close(o->ack_fd);
	o->cmd_fd = o->ack_fd = -1;
	o->pid = -1;
}

/* Send a command that is not acked (the owner exits or execs). */
static inline int ets_owner_send(struct ets_owner *o, int cmd, int arg)
{
	unsigned char b[2] = { (unsigned char)cmd, (unsigned char)arg };

	return ets_write_full(o->cmd_fd, b, 2) ? -EPIPE : 0;
}

/* Wait for the owner to end by itself; the raw wait status or -1. */
static inline int ets_owner_wait(struct ets_owner *o)
{
	int st;

	if (o->pid <= 0)
		return -1;
	st = ets_wait(o->pid);
	ets_owner_release(o);
	return st;
}

/* Unmap the owner's result page (after it has been reaped). */
static inline void ets_owner_free(struct ets_owner *o)
{
	if (o->shm)
		munmap(o->shm, sizeof(*o->shm));
	o->shm = NULL;
}

/* Make the owner _exit(@status); returns the raw wait status or -1. */
static inline int ets_owner_exit(struct ets_owner *o, int status)
{
	unsigned char b[2] = { ETS_CMD_EXIT, (unsigned char)status };
	int st;

	if (o->pid <= 0)
		return -1;
	ets_write_full(o->cmd_fd, b, 2);
	st = ets_wait(o->pid);
	ets_owner_release(o);
	return st;
}

/* Kill the owner with @sig; returns the raw wait status or -1. */
static inline int ets_owner_kill(struct ets_owner *o, int sig)
{
	int st;

	if (o->pid <= 0)
		return -1;
	kill(o->pid, sig);
	st = ets_wait(o->pid);
	ets_owner_release(o);
	return st;
}

/* Run a program quietly (stdout/stderr to /dev/null); its exit code. */
static inline int ets_run_quiet(char *const argv[])
{
	pid_t pid = ets_fork();
	int st, devnull;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	st = ets_wait(pid);
	if (st < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static inline int ets_module_loaded(void)
{
	return access(ETS_MODULE_DIR, F_OK) == 0;
}

/*
 * After an rmmod that should have been refused went through, try to load
 * the module again from $ETSMGR_KO (what scripts/vm-run loaded), else
 * <dir of this binary>/../module/etsmgr.ko, so that the remaining tests
 * can still run.
 */
static inline void ets_try_reload(void)
{
	char exe[PATH_MAX], ko[PATH_MAX + 32];
	char *argv[3] = { "insmod", ko, NULL };
	const char *env = getenv("ETSMGR_KO");
	ssize_t n;
	char *slash;

	if (env && *env && strlen(env) < sizeof(ko)) {
		snprintf(ko, sizeof(ko), "%s", env);
		ets_run_quiet(argv);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(ko, sizeof(ko), "%s/../module/etsmgr.ko", exe);
	ets_run_quiet(argv);
}

static inline __u64 ets_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Fixture context: names, cleanup, parameters                         */
/* ------------------------------------------------------------------ */

#define ETS_MAX_NAMES	64

static const char *const ets_param_names[3] = {
	"max_tables", "max_table_size", "max_total_size",
};

/* Read a small sysfs file into @buf, without the trailing newline. */
static inline int ets_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Whether the file at @path contains the @len bytes at @key. */
static inline int ets_file_contains(const char *path, const char *key, size_t len)
{
	struct stat st;
	char *data;
	int fd, found;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || st.st_size <= 0) {
		close(fd);
		return 0;
	}
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED)
		return 0;
	found = memmem(data, (size_t)st.st_size, key, len) != NULL;
	munmap(data, (size_t)st.st_size);
	return found;
}

/*
 * The .ko the running module was loaded from: $ETSMGR_KO (scripts/vm-run
 * names the module it loaded, one per kernel of the suite) when it fits,
 * else next to this binary: ../module/etsmgr.ko or
 * ../module/debug/etsmgr.ko (scripts/vm-run --debug). Picked by its
 * modinfo: "srcversion=<loaded one's>\0" when the module has a
 * srcversion, else "vermagic=<running release> ".
 * Returns -1 unless exactly one candidate fits.
 */
static inline int ets_find_loaded_ko(char *ko, size_t len)
{
	static const char *const rel[] = {
		"../module/etsmgr.ko", "../module/debug/etsmgr.ko",
	};
	char exe[PATH_MAX], sv[64], key[128], path[PATH_MAX + 32];
	unsigned int k, found = 0;
	const char *env;
	struct utsname u;
	size_t keylen;
	ssize_t n;
	char *slash;

	if (ets_read_line(ETS_MODULE_DIR "/srcversion", sv, sizeof(sv)) == 0) {
		snprintf(key, sizeof(key), "srcversion=%s", sv);
		keylen = strlen(key) + 1;
	} else {
		if (uname(&u))
			return -1;
		snprintf(key, sizeof(key), "vermagic=%s ", u.release);
		keylen = strlen(key);
	}
	env = getenv("ETSMGR_KO");
	if (env && *env && strlen(env) < len &&
	    ets_file_contains(env, key, keylen)) {
		snprintf(ko, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	for (k = 0; k < ARRAY_SIZE(rel); k++) {
		snprintf(path, sizeof(path), "%s/%s", exe, rel[k]);
		if (ets_file_contains(path, key, keylen)) {
			snprintf(ko, len, "%s", path);
			found++;
		}
	}
	return found == 1 ? 0 : -1;
}

/* rmmod etsmgr: its exit status (127 when there is no rmmod). */
static inline int ets_rmmod(void)
{
	char *argv[] = { "rmmod", "etsmgr", NULL };

	return ets_run_quiet(argv);
}

/*
 * insmod @ko with the limits it had when @saved was read (by
 * ets_params_save()), and wait for the device: 0 or -1.
 */
static inline int ets_insmod(const char *ko,
			     const unsigned long long saved[3])
{
	char args[3][64], path[PATH_MAX + 32];
	char *argv[6] = { "insmod", path, args[0], args[1], args[2], NULL };
	int k;

	snprintf(path, sizeof(path), "%s", ko);
	for (k = 0; k < 3; k++)
		snprintf(args[k], sizeof(args[k]), "%s=%llu",
			 ets_param_names[k], saved[k]);
	if (ets_run_quiet(argv))
		return -1;
	for (k = 0; k < 500 && !ets_device_present(); k++)
		usleep(10000);
	return ets_device_present() ? 0 : -1;
}

/* The current limits, for ets_insmod(): 0 or -1. */
static inline int ets_params_save(unsigned long long saved[3])
{
	int k;

	for (k = 0; k < 3; k++)
		if (ets_param_get(ets_param_names[k], &saved[k]))
			return -1;
	return 0;
}

/*
 * What a test that unloads the module keeps to load it back as it was:
 * the .ko it was loaded from and its limits. found is 0 when the module
 * is not loaded or its .ko is not found (ETS_REQUIRE_UNLOADABLE skips).
 */
struct ets_loaded_ko {
	unsigned long long params[3];
	char path[PATH_MAX + 64];
	int found;
};

static inline void ets_loaded_ko_save(struct ets_loaded_ko *k)
{
	k->found = ets_module_loaded() &&
		   !ets_find_loaded_ko(k->path, sizeof(k->path)) &&
		   !ets_params_save(k->params);
}

/* insmod the saved .ko with its limits: 0 or -1. */
static inline int ets_loaded_ko_insmod(const struct ets_loaded_ko *k)
{
	return ets_insmod(k->path, k->params);
}

/* A test that unloads the module needs root, its .ko, and no other user. */
#define ETS_REQUIRE_UNLOADABLE(k) do {					\
	ETS_REQUIRE_ROOT();						\
	ETS_REQUIRE_STATS();						\
	if (!(k)->found)						\
		SKIP(return, "the loaded etsmgr.ko is not found");	\
	if (ets_stat("tables") || ets_stat("sessions"))			\
		SKIP(return, "other tables or sessions exist");		\
} while (0)


struct ets_ctx {
	char prefix[40];
	char names[ETS_MAX_NAMES][ETSMGR_NAME_MAX];
	int nnames;
	int saved[3];			/* parameter i was read */
	unsigned long long param[3];	/* its value at setup */
	int dirty;			/* a parameter was written */
};

static inline void ets_ctx_setup(struct __test_metadata *_metadata,
				 struct ets_ctx *c)
{
	const char *t = _metadata->name;
	int i;

	memset(c, 0, sizeof(*c));
	/* Test names are [a-z0-9_]: valid table name characters. */
	snprintf(c->prefix, sizeof(c->prefix), "%.24s.%d", t, (int)getpid());
	for (i = 0; i < 3; i++)
		c->saved[i] = ets_param_get(ets_param_names[i],
					    &c->param[i]) == 0;
}

static inline const char *ets_ctx_register(struct ets_ctx *c,
					   const char *n);

/*
 * A table name unique to this test and process: "<test>.<pid>.<suffix>"
 * (suffix: at most 16 chars). Registered for cleanup by the teardown.
 */
static inline const char *ets_ctx_name(struct ets_ctx *c, const char *suffix)
{
	char n[ETSMGR_NAME_MAX];

	snprintf(n, sizeof(n), "%s.%.16s", c->prefix, suffix);
	return ets_ctx_register(c, n);
}

/* Register a full table name (made by the test) for teardown cleanup. */
static inline const char *ets_ctx_register(struct ets_ctx *c, const char *n)
{
	int i;

	for (i = 0; i < c->nnames; i++)
		if (!strncmp(c->names[i], n, ETSMGR_NAME_MAX))
			return c->names[i];
	if (c->nnames == ETS_MAX_NAMES)
		abort();
	snprintf(c->names[c->nnames], ETSMGR_NAME_MAX, "%s", n);
	return c->names[c->nnames++];
}

/* Set a module parameter; the teardown restores it. */
static inline int ets_ctx_set_param(struct ets_ctx *c, const char *name,
				    unsigned long long v)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(name, ets_param_names[i]) && !c->saved[i])
			return -ENOENT;
	c->dirty = 1;
	return ets_param_write(name, v);
}

static inline void ets_ctx_teardown(struct __test_metadata *_metadata,
				    struct ets_ctx *c)
{
	int fd, i, left = 0;

	if (c->dirty) {
		for (i = 0; i < 3; i++) {
			if (c->saved[i] &&
			    ets_param_write(ets_param_names[i], c->param[i])) {
				TH_LOG("could not restore %s",
				       ets_param_names[i]);
				ETS_TEST_FAIL();
			}
		}
	}
	if (!c->nnames || !ets_device_present())
		return;
	fd = ets_open();
	if (fd < 0)
		return;
	for (i = 0; i < c->nnames; i++) {
		if (ets_delete_name(fd, c->names[i]) == 0) {
			TH_LOG("teardown: deleted leftover table %s",
			       c->names[i]);
			left++;
		}
		/* Names are per uid: uid 65534's of the same name too. */
		if (ets_delete_uid_name(fd, ETS_NOBODY, c->names[i]) == 0) {
			TH_LOG("teardown: deleted uid %d's leftover table %s",
			       ETS_NOBODY, c->names[i]);
			left++;
		}
	}
	close(fd);
	/* A passing test must clean up after itself. */
	if (left && ETS_TEST_PASSING())
		ETS_TEST_FAIL();
}

/*
 * ETS_FIXTURE(f): a fixture whose data is a struct ets_ctx named c.
 * Tests use ETS_NAME("suffix") for table names.
 */
#define ETS_FIXTURE(f)						\
	FIXTURE(f) {						\
		struct ets_ctx c;				\
	};							\
	FIXTURE_SETUP(f)					\
	{							\
		ets_ctx_setup(_metadata, &self->c);		\
	}							\
	FIXTURE_TEARDOWN(f)					\
	{							\
		ets_ctx_teardown(_metadata, &self->c);		\
	}

#define ETS_NAME(suffix)	ets_ctx_name(&self->c, (suffix))
#define ETS_REGISTER(name)	ets_ctx_register(&self->c, (name))

/* Skip unless the device exists. */
#define ETS_REQUIRE_DEVICE() do {					\
	if (!ets_device_present())					\
		SKIP(return, "%s missing (module not loaded)",		\
		     ETSMGR_DEVICE_PATH);				\
} while (0)

/* Skip unless root (uid 0 with CAP_SYS_ADMIN) and the device exists. */
#define ETS_REQUIRE_ROOT() do {						\
	ETS_REQUIRE_DEVICE();						\
	if (geteuid() != 0 || !ets_have_sys_admin())			\
		SKIP(return, "needs root with CAP_SYS_ADMIN");		\
} while (0)

/* Skip unless the debugfs stats file is there. */
#define ETS_REQUIRE_STATS() do {					\
	if (!ets_stats_available())					\
		SKIP(return, "%s missing", ETS_STATS_PATH);		\
} while (0)

/* Skip unless the module parameters can be read and written. */
#define ETS_REQUIRE_PARAMS() do {					\
	if (!self->c.saved[0] || !self->c.saved[1] ||			\
	    !self->c.saved[2])						\
		SKIP(return, "%s missing", ETS_PARAM_DIR);		\
} while (0)

/* Convenience casts for comparisons with the __u32 fields. */
#define U32(x)	((__u32)(x))
#define U64(x)	((__u64)(x))

#endif /* ETSMGR_UTIL_H */
