// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr selftests: IPC namespaces. A table lives in the IPC namespace of
 * its creator; other namespaces neither see nor claim it, not even a new
 * namespace created after the table's own one died.
 *
 * Containers are forked children that unshare(2) their IPC, user and pid
 * namespaces; with a user namespace, container uid 0..65535 is host uid
 * 100000.. (the maps written by the test, as root), and the child becomes
 * its root, with every capability over its own namespaces and none over
 * the host's. Events and table dumps in containers are checked with
 * etsmgrctl in container_test.sh.
 *
 * Runs after limits_test (the module-unload test there needs an empty
 * registry): the last test here may leave an unreachable table behind.
 */
#include "etsmgr_util.h"

#include <sys/syscall.h>

/* The per-namespace limits, which struct ets_ctx does not restore. */
static const char *const ns_param_names[2] = {
	"max_tables_per_ns", "max_total_size_per_ns",
};

FIXTURE(namespace) {
	struct ets_ctx c;
	int saved[2];
	unsigned long long param[2];
	long long tables;	/* at setup */
};

FIXTURE_SETUP(namespace)
{
	int k;

	ets_ctx_setup(_metadata, &self->c);
	for (k = 0; k < 2; k++)
		self->saved[k] = !ets_param_get(ns_param_names[k],
						&self->param[k]);
	self->tables = ets_stat("tables");
}

FIXTURE_TEARDOWN(namespace)
{
	unsigned long long now;
	int k;

	for (k = 0; k < 2; k++) {
		if (!self->saved[k] ||
		    (!ets_param_get(ns_param_names[k], &now) &&
		     now == self->param[k]))
			continue;
		if (ets_param_write(ns_param_names[k], self->param[k])) {
			TH_LOG("could not restore %s", ns_param_names[k]);
			ETS_TEST_FAIL();
		}
	}
	ets_ctx_teardown(_metadata, &self->c);
	/*
	 * The tables a test left in the namespaces of its dead children are
	 * the reaper's, within seconds: wait for them, so that the next test
	 * (and the next binary) starts from quiet counters.
	 */
	for (k = 0; k < 500 && self->tables >= 0 &&
	     ets_stat("tables") > self->tables; k++)
		usleep(20000);
	if (self->tables >= 0 && ets_stat("tables") > self->tables) {
		TH_LOG("teardown: %lld tables of dead namespaces not reaped in 10 s",
		       ets_stat("tables") - self->tables);
		ETS_TEST_FAIL();
	}
}

/* Set a per-namespace limit; the teardown restores it. */
#define NS_SET_PARAM(k, v) do {						\
	if (!self->saved[k])						\
		SKIP(return, "no parameter %s", ns_param_names[k]);	\
	ASSERT_EQ(0, ets_param_write(ns_param_names[k], (v)));		\
} while (0)

/* ------------------------------------------------------------------ */
/* Containers                                                          */
/* ------------------------------------------------------------------ */

#define CT_ROOT_KUID	100000	/* container uid 0 as the host sees it */
#define CT_RANGE	65536
#define CT_TIMEOUT_MS	10000

/*
 * Shared between the test and its container. The container's function
 * fills ret[] and the outputs; ready/go let the test act in between.
 */
struct ct_shm {
	volatile int unshared;	/* the child has its namespaces */
	volatile int mapped;	/* the test wrote its uid and gid maps */
	volatile int ready;	/* the function's first part is done */
	volatile int go;	/* the test lets it finish */
	volatile pid_t host_pid; /* the function's process, host pid */
	/* in */
	char name[ETSMGR_NAME_MAX];
	__u64 id, off;
	__u64 addr;		/* a mapping inherited from the test */
	/* out */
	int ret[8];
	struct etsmgr_attach a;
	struct etsmgr_info info;
	pid_t pid;		/* getpid() in the container */
};

typedef int (*ct_fn)(struct ct_shm *s);

/* Wait for *@flag, at most CT_TIMEOUT_MS; 0 or -1. */
static int ct_wait_flag(volatile int *flag)
{
	int k;

	for (k = 0; k < CT_TIMEOUT_MS && !*flag; k++)
		usleep(1000);
	return *flag ? 0 : -1;
}

static int ct_write_map(pid_t pid, const char *which)
{
	char path[64], line[64];
	int fd, len, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
	len = snprintf(line, sizeof(line), "0 %d %d\n", CT_ROOT_KUID,
		       CT_RANGE);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * vm-run runs the tests chrooted into the guest's root, and the kernel
 * refuses a user namespace to a chrooted process (EPERM). In a mount
 * namespace of its own, do what switch_root does: move the guest's root
 * onto the namespace's root and enter it, so that it is chrooted no more.
 * Nothing to do on a machine that runs the tests unchrooted.
 */
static int ct_unchroot(void)
{
	struct stat self, init;
	int root, k;

	if (stat("/", &self) || stat("/proc/1/root/", &init))
		return -1;
	if (self.st_dev == init.st_dev && self.st_ino == init.st_ino)
		return 0;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	/* Climb from the guest's root up to the namespace's. */
	if (chdir("/") || chroot("/proc"))
		goto err_close;
	for (k = 0; k < 16; k++)
		if (chdir(".."))
			goto err_close;
	if (chroot(".") || fchdir(root) ||
	    mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
		goto err_close;
	close(root);
	return 0;

err_close:
	close(root);
	return -1;
}

static void ct_child(int flags, ct_fn fn, struct ct_shm *s)
{
	int status;
	pid_t pid;

	if ((flags & CLONE_NEWUSER) && ct_unchroot())
		_exit(ETS_CHILD_SETUP_FAILED);
	if (unshare(flags) < 0)
		_exit(ETS_CHILD_SETUP_FAILED);
	s->unshared = 1;
	if (flags & CLONE_NEWUSER) {
		if (ct_wait_flag(&s->mapped))
			_exit(ETS_CHILD_SETUP_FAILED);
		/* Container root: kuid CT_ROOT_KUID, all its capabilities. */
		if (setresgid(0, 0, 0) || setgroups(0, NULL) ||
		    setresuid(0, 0, 0))
			_exit(ETS_CHILD_SETUP_FAILED);
	}
	if (!(flags & CLONE_NEWPID)) {
		s->host_pid = getpid();
		s->pid = getpid();
		_exit(fn(s));
	}
	/* The first child is the new pid namespace's init. */
	pid = fork();
	if (pid < 0)
		_exit(ETS_CHILD_SETUP_FAILED);
	if (pid == 0) {
		s->pid = getpid();
		_exit(fn(s));
	}
	s->host_pid = pid;
	status = ets_wait(pid);
	_exit(status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) :
		ETS_CHILD_BAD);
}

/*
 * Start @fn in a child with new namespaces (CLONE_NEWIPC, CLONE_NEWUSER,
 * CLONE_NEWPID); its pid, or -1.
 */
static pid_t ct_start(int flags, ct_fn fn, struct ct_shm *s)
{
	pid_t pid = ets_fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		ct_child(flags, fn, s);
	if (flags & CLONE_NEWUSER) {
		if (ct_wait_flag(&s->unshared) ||
		    ct_write_map(pid, "uid_map") ||
		    ct_write_map(pid, "gid_map")) {
			kill(pid, SIGKILL);
			ets_wait(pid);
			return -1;
		}
		s->mapped = 1;
	}
	return pid;
}

/* Wait for a container; its exit code, or ETS_CHILD_BAD. */
static int ct_finish(pid_t pid)
{
	int status = ets_wait(pid);

	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) :
		ETS_CHILD_BAD;
}

/* Run @fn in a container to its end; its exit code. */
static int ct_run(int flags, ct_fn fn, struct ct_shm *s)
{
	pid_t pid = ct_start(flags, fn, s);

	return pid < 0 ? ETS_CHILD_BAD : ct_finish(pid);
}

static struct ct_shm *ct_shm_new(const char *name)
{
	struct ct_shm *s = ets_shared_alloc(sizeof(*s));

	if (s && name)
		snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

#define CT_USER_IPC	(CLONE_NEWUSER | CLONE_NEWIPC)
#define CT_FULL		(CLONE_NEWUSER | CLONE_NEWIPC | CLONE_NEWPID)

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int handoff(int fd, unsigned long cmd, __u64 id, int pidfd)
{
	struct etsmgr_handoff h = { .id = id, .pidfd = pidfd };

	return ets_ioctl(fd, cmd, &h);
}

static int adopt(int fd, __u64 addr, struct etsmgr_adopt *out)
{
	struct etsmgr_adopt ad = {
		.addr = addr,
		.access = ETSMGR_ACCESS_PUBLIC,
	};
	int ret = ets_ioctl(fd, ETSMGR_IOC_ADOPT, &ad);

	if (out)
		*out = ad;
	return ret;
}

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
			ETS_TEST_FAIL();
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

/* ------------------------------------------------------------------ */
/* Root in a container                                                 */
/* ------------------------------------------------------------------ */

/* Everything a container's root tries on the host's table s->name/id. */
static int ct_reach_host_table(struct ct_shm *s)
{
	int fd = ets_open();
	void *m;

	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	s->ret[0] = ets_reclaim(fd, s->name, NULL);
	s->ret[1] = ets_info_id(fd, s->id, NULL);
	s->ret[2] = ets_info_name(fd, s->name, NULL);
	s->ret[3] = ets_delete_id(fd, s->id);
	s->ret[4] = ets_delete_name(fd, s->name);
	m = ets_map(fd, s->off, 4096, PROT_READ, &s->ret[5]);
	if (m)
		munmap(m, 4096);
	s->ret[6] = adopt(fd, s->addr, NULL);
	/* The name is free here: the container's own table. */
	s->ret[7] = ets_create(fd, s->name, ETSMGR_ACCESS_PUBLIC, 4096,
			       &s->a);
	if (!s->ret[7])
		ets_delete_id(fd, s->a.id);
	close(fd);
	return 0;
}

TEST_F(namespace, userns_root_cannot_reach_host_ipcns_table)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info i;
	struct ct_shm *s;
	void *m;
	int fd;

	ETS_REQUIRE_ROOT();
	s = ct_shm_new(n);
	ASSERT_NE(NULL, s);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PUBLIC, 4096, &a));
	/* The container inherits a mapping of it, and tries ADOPT. */
	m = ets_map(fd, a.mmap_offset, 4096, PROT_READ | PROT_WRITE, NULL);
	ASSERT_NE(NULL, m);
	s->id = a.id;
	s->off = a.mmap_offset;
	s->addr = (__u64)(uintptr_t)m;
	ASSERT_EQ(0, ct_run(CT_USER_IPC, ct_reach_host_table, s));
	EXPECT_EQ(-ENOENT, s->ret[0]);
	EXPECT_EQ(-ENOENT, s->ret[1]);
	EXPECT_EQ(-ENOENT, s->ret[2]);
	EXPECT_EQ(-ENOENT, s->ret[3]);
	EXPECT_EQ(-ENOENT, s->ret[4]);
	EXPECT_EQ(-ENOENT, s->ret[5]);
	/* Not the container's: the host's uid 0 is unmapped there. */
	EXPECT_EQ(-EPERM, s->ret[6]);
	EXPECT_EQ(0, s->ret[7]);
	EXPECT_NE(a.id, s->a.id);
	/* The host's table is as it was. */
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_OWNED), i.state);
	EXPECT_EQ(U64(1), i.generation);
	EXPECT_EQ(U32(1), i.owned_by_caller);
	munmap(m, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

/*
 * Root of a user namespace that kept the host's IPC namespace has no
 * privilege over its tables: the host's user namespace owns them.
 */
TEST_F(namespace, userns_root_in_host_ipcns_not_admin)
{
	const char *n = ETS_NAME("t");
	struct etsmgr_attach a;
	struct etsmgr_info i;
	struct ct_shm *s;
	int fd;

	ETS_REQUIRE_ROOT();
	s = ct_shm_new(n);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, ets_make_held(n, ETSMGR_ACCESS_PUBLIC, 4096, 0, &a));
	s->id = a.id;
	s->off = a.mmap_offset;
	ASSERT_EQ(0, ct_run(CLONE_NEWUSER, ct_reach_host_table, s));
	EXPECT_EQ(-EPERM, s->ret[0]);
	EXPECT_EQ(-EPERM, s->ret[1]);
	EXPECT_EQ(-EPERM, s->ret[2]);
	EXPECT_EQ(-EPERM, s->ret[3]);
	EXPECT_EQ(-EPERM, s->ret[4]);
	EXPECT_EQ(-EACCES, s->ret[5]);
	/* Same namespace, same name: taken. */
	EXPECT_EQ(-EEXIST, s->ret[7]);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), i.state);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

/* A container uid's held table; then its root inspects and deletes it. */
static int ct_admin_own_table(struct ct_shm *s)
{
	struct etsmgr_info i;
	pid_t pid;
	int fd, st;

	pid = fork();
	if (pid < 0)
		return ETS_CHILD_BAD;
	if (pid == 0) {
		if (setresuid(1000, 1000, 1000))
			_exit(ETS_CHILD_SETUP_FAILED);
		fd = ets_open();
		if (fd < 0)
			_exit(ETS_CHILD_OPEN_FAILED);
		/* Exit while owning it: the table is held. */
		_exit(-ets_create(fd, s->name, ETSMGR_ACCESS_PRIVATE, 4096,
				  NULL));
	}
	st = ets_wait(pid);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return ETS_CHILD_SETUP_FAILED;
	fd = ets_open();
	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	s->ret[0] = ets_info_name(fd, s->name, &i);
	s->info = i;
	s->ret[1] = ets_delete_name(fd, s->name);
	close(fd);
	return 0;
}

TEST_F(namespace, userns_root_administers_its_own_tables)
{
	struct ct_shm *s = ct_shm_new(ETS_NAME("t"));

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, ct_run(CT_USER_IPC, ct_admin_own_table, s));
	EXPECT_EQ(0, s->ret[0]);
	EXPECT_EQ(U32(1000), s->info.uid);
	EXPECT_EQ(U32(ETSMGR_STATE_HELD), s->info.state);
	EXPECT_EQ(0, s->ret[1]);
}

/*
 * Create a table, read its INFO, let the test look at it from outside,
 * then delete it.
 */
static int ct_create_and_wait(struct ct_shm *s)
{
	int fd = ets_open();

	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	s->ret[0] = ets_create(fd, s->name, ETSMGR_ACCESS_PROTECTED, 4096,
			       &s->a);
	if (!s->ret[0])
		s->ret[1] = ets_info_name(fd, s->name, &s->info);
	s->ready = 1;
	ct_wait_flag(&s->go);
	if (!s->ret[0])
		s->ret[2] = ets_delete_id(fd, s->a.id);
	close(fd);
	return 0;
}

/* In a child that enters @pid's IPC namespace: INFO of @name. */
static int info_in_ns_of(pid_t pid, const char *name, struct etsmgr_info *out)
{
	struct etsmgr_info *i = ets_shared_alloc(sizeof(*i));
	char path[64];
	pid_t child;
	int ret, fd;

	if (!i)
		return ETS_CHILD_BAD;
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)pid);
	child = ets_fork();
	if (child == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWIPC))
			_exit(ETS_CHILD_SETUP_FAILED);
		close(fd);
		fd = ets_open();
		if (fd < 0)
			_exit(ETS_CHILD_OPEN_FAILED);
		_exit(-ets_info_name(fd, name, i));
	}
	ret = ct_finish(child);
	*out = *i;
	munmap(i, sizeof(*i));
	return ret;
}

TEST_F(namespace, userns_pidns_uid_and_pid_translated_in_info)
{
	struct etsmgr_info host;
	struct ct_shm *s = ct_shm_new(ETS_NAME("t"));
	pid_t pid;

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	pid = ct_start(CT_FULL, ct_create_and_wait, s);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, ct_wait_flag(&s->ready));
	while (!s->host_pid)
		usleep(1000);
	/* Inside: uid 0, pid 1 (the pid namespace's init). */
	EXPECT_EQ(0, s->ret[0]);
	EXPECT_EQ(0, s->ret[1]);
	EXPECT_EQ(1, s->pid);
	EXPECT_EQ(U32(0), s->info.uid);
	EXPECT_EQ(s->pid, s->info.owner_pid);
	/* From the host, in the container's IPC namespace. */
	EXPECT_EQ(0, info_in_ns_of(s->host_pid, s->name, &host));
	EXPECT_EQ(s->a.id, host.id);
	EXPECT_EQ(U32(CT_ROOT_KUID), host.uid);
	EXPECT_EQ(s->host_pid, host.owner_pid);
	s->go = 1;
	EXPECT_EQ(0, ct_finish(pid));
	EXPECT_EQ(0, s->ret[2]);
}

/* ------------------------------------------------------------------ */
/* Handing over and adopting across namespaces                         */
/* ------------------------------------------------------------------ */

/* A session that waits for the test. */
static int ct_session_wait(struct ct_shm *s)
{
	int fd = ets_open();

	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	s->ready = 1;
	ct_wait_flag(&s->go);
	close(fd);
	return 0;
}

TEST_F(namespace, ipcns_give_and_heir_to_other_namespace_exdev)
{
	struct ct_shm *s = ct_shm_new(NULL);
	struct etsmgr_attach a;
	struct etsmgr_info i;
	int fd, pidfd;
	pid_t pid;

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC, 4096,
				&a));
	pid = ct_start(CLONE_NEWIPC, ct_session_wait, s);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, ct_wait_flag(&s->ready));
	pidfd = pidfd_open(pid);
	EXPECT_LE(0, pidfd);
	EXPECT_EQ(-EXDEV, handoff(fd, ETSMGR_IOC_GIVE, a.id, pidfd));
	EXPECT_EQ(-EXDEV, handoff(fd, ETSMGR_IOC_SET_HEIR, a.id, pidfd));
	s->go = 1;
	EXPECT_EQ(0, ct_finish(pid));
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(1), i.owned_by_caller);
	EXPECT_EQ(U64(1), i.generation);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(pidfd);
	close(fd);
}

/* ADOPT of the inherited mapping at s->addr. */
static int ct_adopt(struct ct_shm *s)
{
	struct etsmgr_adopt ad;
	int fd = ets_open();

	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	s->ret[0] = adopt(fd, s->addr, &ad);
	s->id = ad.id;
	if (!s->ret[0])
		ets_delete_id(fd, ad.id);
	close(fd);
	return 0;
}

/* A table of another namespace is registered: its id is taken. */
TEST_F(namespace, ipcns_adopt_of_other_namespace_table_eexist)
{
	struct ct_shm *s = ct_shm_new(NULL);
	struct etsmgr_attach a;
	struct etsmgr_info i;
	void *m;
	int fd;

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC, 4096,
				&a));
	m = ets_map(fd, a.mmap_offset, 4096, PROT_READ, NULL);
	ASSERT_NE(NULL, m);
	s->addr = (__u64)(uintptr_t)m;
	ASSERT_EQ(0, ct_run(CLONE_NEWIPC, ct_adopt, s));
	EXPECT_EQ(-EEXIST, s->ret[0]);
	ASSERT_EQ(0, ets_info_id(fd, a.id, &i));
	EXPECT_EQ(U32(1), i.owned_by_caller);
	munmap(m, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
	close(fd);
}

/*
 * The memory of a deleted host table, still mapped: root in a container
 * may not register it, since its uid is not the container's.
 */
TEST_F(namespace, userns_root_cannot_adopt_host_memory)
{
	struct ct_shm *s = ct_shm_new(NULL);
	struct etsmgr_attach a;
	void *m;
	int fd;

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	fd = ets_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PROTECTED,
				4096, &a));
	m = ets_map(fd, a.mmap_offset, 4096, PROT_READ, NULL);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, ets_delete_id(fd, a.id));
	s->addr = (__u64)(uintptr_t)m;
	ASSERT_EQ(0, ct_run(CT_USER_IPC, ct_adopt, s));
	EXPECT_EQ(-EPERM, s->ret[0]);
	munmap(m, 4096);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Teardown of a container and per-namespace limits                    */
/* ------------------------------------------------------------------ */

/* Create two tables and exit owning them: they are held. */
static int ct_create_two_and_exit(struct ct_shm *s)
{
	char n[ETSMGR_NAME_MAX];
	int fd = ets_open();

	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	snprintf(n, sizeof(n), "%.60s.a", s->name);
	s->ret[0] = ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, NULL);
	snprintf(n, sizeof(n), "%.60s.b", s->name);
	s->ret[1] = ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 2 * 4096, NULL);
	return 0;
}

TEST_F(namespace, container_teardown_frees_its_tables)
{
	struct ct_shm *s = ct_shm_new("t");
	long long reaped, tables, bytes, held;
	int k;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	ASSERT_NE(NULL, s);
	reaped = ets_stat("ns_reaped");
	tables = ets_stat("tables");
	bytes = ets_stat("bytes");
	held = ets_stat("held");
	ASSERT_LE(0, reaped);
	ASSERT_EQ(0, ct_run(CT_FULL, ct_create_two_and_exit, s));
	ASSERT_EQ(0, s->ret[0]);
	ASSERT_EQ(0, s->ret[1]);
	for (k = 0; k < 100 && ets_stat("ns_reaped") < reaped + 2; k++)
		usleep(100000);
	EXPECT_EQ(reaped + 2, ets_stat("ns_reaped"));
	EXPECT_EQ(tables, ets_stat("tables"));
	EXPECT_EQ(bytes, ets_stat("bytes"));
	EXPECT_EQ(held, ets_stat("held"));
}

/* Create tables of s->a.size bytes until one fails; their count. */
static int ct_fill(struct ct_shm *s)
{
	char n[ETSMGR_NAME_MAX];
	int fd = ets_open(), k, ret = 0;

	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	for (k = 0; k < 8 && !ret; k++) {
		snprintf(n, sizeof(n), "%.50s.%d", s->name, k);
		ret = ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, s->a.size, NULL);
	}
	s->ret[0] = k - 1;	/* created */
	s->ret[1] = ret;	/* the one that failed */
	close(fd);
	return 0;
}

TEST_F(namespace, per_ns_max_tables_bounds_a_container_only)
{
	struct ct_shm *s = ct_shm_new("t");
	struct ct_shm *s2 = ct_shm_new("t");
	char n[ETSMGR_NAME_MAX];
	struct etsmgr_attach a;
	__u64 ids[3];
	int fd, k;

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	ASSERT_NE(NULL, s2);
	NS_SET_PARAM(0, 2);
	s->a.size = 4096;
	ASSERT_EQ(0, ct_run(CLONE_NEWIPC, ct_fill, s));
	EXPECT_EQ(2, s->ret[0]);
	EXPECT_EQ(-ENOSPC, s->ret[1]);
	/* Each container counts apart (the first one's are gone anyway). */
	s2->a.size = 4096;
	ASSERT_EQ(0, ct_run(CT_USER_IPC, ct_fill, s2));
	EXPECT_EQ(2, s2->ret[0]);
	EXPECT_EQ(-ENOSPC, s2->ret[1]);
	/* The initial namespace is bounded by max_tables only. */
	fd = ets_open();
	ASSERT_LE(0, fd);
	for (k = 0; k < 3; k++) {
		snprintf(n, sizeof(n), "%.50s.%d", ETS_NAME("h"), k);
		ETS_REGISTER(n);
		ids[k] = 0;
		EXPECT_EQ(0, ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096,
					&a));
		ids[k] = a.id;
	}
	for (k = 0; k < 3; k++)
		EXPECT_EQ(0, ets_delete_id(fd, ids[k]));
	close(fd);
}

TEST_F(namespace, per_ns_max_total_size_bounds_a_container)
{
	struct ct_shm *s = ct_shm_new("t");

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	NS_SET_PARAM(1, 5 * 4096);
	/* Two of 2 pages fit in 5 pages; a third does not. */
	s->a.size = 2 * 4096;
	ASSERT_EQ(0, ct_run(CLONE_NEWIPC, ct_fill, s));
	EXPECT_EQ(2, s->ret[0]);
	EXPECT_EQ(-ENOSPC, s->ret[1]);
}

TEST_HARNESS_MAIN
