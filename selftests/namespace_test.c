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
#include "etsmgr_nl.h"

#include <sys/syscall.h>

/* The per-namespace and per-user limits, which ets_ctx does not restore. */
#define NS_PARAMS	4
static const char *const ns_param_names[NS_PARAMS] = {
	"max_tables_per_ns", "max_total_size_per_ns",
	"max_tables_per_user", "max_total_size_per_user",
};

FIXTURE(namespace) {
	struct ets_ctx c;
	int saved[NS_PARAMS];
	unsigned long long param[NS_PARAMS];
	long long tables;	/* at setup */
};

FIXTURE_SETUP(namespace)
{
	int k;

	ets_ctx_setup(_metadata, &self->c);
	for (k = 0; k < NS_PARAMS; k++)
		self->saved[k] = !ets_param_get(ns_param_names[k],
						&self->param[k]);
	self->tables = ets_stat("tables");
}

FIXTURE_TEARDOWN(namespace)
{
	unsigned long long now;
	int k;

	for (k = 0; k < NS_PARAMS; k++) {
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

static void ct_child(int flags, ct_fn fn, struct ct_shm *s)
{
	int status;
	pid_t pid;

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
	/* Another uid (kuid CT_ROOT_KUID): the host's table is not its. */
	EXPECT_EQ(-ENOENT, s->ret[0]);
	EXPECT_EQ(-ENOENT, s->ret[1]);
	EXPECT_EQ(-ENOENT, s->ret[2]);
	EXPECT_EQ(-ENOENT, s->ret[3]);
	EXPECT_EQ(-ENOENT, s->ret[4]);
	EXPECT_EQ(-EACCES, s->ret[5]);
	/* Same namespace, same name, another uid: its own table. */
	EXPECT_EQ(0, s->ret[7]);
	EXPECT_NE(a.id, s->a.id);
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
	/* Names are per uid: the administrator names the uid. */
	s->ret[0] = ets_info_uid_name(fd, 1000, s->name, &i);
	s->info = i;
	s->ret[1] = ets_delete_uid_name(fd, 1000, s->name);
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
		/* The container root's table: kuid CT_ROOT_KUID's name. */
		_exit(-ets_info_uid_name(fd, CT_ROOT_KUID, name, i));
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
 * The memory of a host table, in a mapping that holds the owner's grant
 * (public: inherited over fork): root in a container may not register
 * it, since its uid is not the container's; that is checked before
 * whether the table is registered.
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
	ASSERT_EQ(0, ets_create(fd, ETS_NAME("t"), ETSMGR_ACCESS_PUBLIC,
				4096, &a));
	m = ets_map(fd, a.mmap_offset, 4096, PROT_READ, NULL);
	ASSERT_NE(NULL, m);
	s->addr = (__u64)(uintptr_t)m;
	ASSERT_EQ(0, ct_run(CT_USER_IPC, ct_adopt, s));
	EXPECT_EQ(-EPERM, s->ret[0]);
	munmap(m, 4096);
	EXPECT_EQ(0, ets_delete_id(fd, a.id));
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

/*
 * Create two tables per IPC namespace in namespace after namespace (the
 * container's root may make more of them), keeping them owned, until a
 * create fails: s->ret[0] created, s->ret[1] the failure.
 */
static int ct_fill_namespaces(struct ct_shm *s)
{
	char n[ETSMGR_NAME_MAX];
	int fd, ns, k, created = 0, ret = 0;

	fd = ets_open();
	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	for (ns = 0; ns < 4 && !ret; ns++) {
		/*
		 * The session stays; each ATTACH is in the caller's
		 * namespace. An open namespace file keeps the one left
		 * behind alive, so that the reaper leaves its tables be.
		 */
		if (ns && (open("/proc/self/ns/ipc", O_RDONLY) < 0 ||
			   unshare(CLONE_NEWIPC)))
			return ETS_CHILD_SETUP_FAILED;
		for (k = 0; k < 2 && !ret; k++) {
			snprintf(n, sizeof(n), "%.50s.%d", s->name, k);
			ret = ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096,
					 NULL);
			created += !ret;
		}
	}
	s->ret[0] = created;
	s->ret[1] = ret;
	close(fd);
	return 0;
}

/*
 * New namespaces do not give a user more: a container's root that makes
 * IPC namespace after namespace is bound by max_tables_per_user over all
 * of them (its uid, 100000 on the host, lacks CAP_SYS_RESOURCE there).
 */
TEST_F(namespace, per_user_max_tables_spans_new_namespaces)
{
	struct ct_shm *s = ct_shm_new("t");

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	NS_SET_PARAM(0, 2);
	/* A module without the parameter fails below: 8 tables, no error. */
	if (self->saved[2])
		ASSERT_EQ(0, ets_param_write(ns_param_names[2], 5));
	ASSERT_EQ(0, ct_run(CT_USER_IPC, ct_fill_namespaces, s));
	EXPECT_EQ(5, s->ret[0]);
	EXPECT_EQ(-ENOSPC, s->ret[1]);
}

TEST_F(namespace, per_user_max_total_size_spans_new_namespaces)
{
	struct ct_shm *s = ct_shm_new("t");

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	NS_SET_PARAM(0, 2);
	NS_SET_PARAM(3, 3 * 4096);
	ASSERT_EQ(0, ct_run(CT_USER_IPC, ct_fill_namespaces, s));
	EXPECT_EQ(3, s->ret[0]);
	EXPECT_EQ(-ENOSPC, s->ret[1]);
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

/* ------------------------------------------------------------------ */
/* The reaper and event subscribers                                    */
/* ------------------------------------------------------------------ */

/* Tables of the container whose death the reaper spends a while on. */
#define REAP_TABLES	2000
#define REAP_ROUNDS	3

/* Create s->id tables of one page, then exit owning them: all held. */
static int ct_create_many(struct ct_shm *s)
{
	char n[ETSMGR_NAME_MAX];
	int fd = ets_open(), ret = 0;
	__u64 k;

	if (fd < 0)
		return ETS_CHILD_OPEN_FAILED;
	for (k = 0; k < s->id && !ret; k++) {
		snprintf(n, sizeof(n), "r%llu", (unsigned long long)k);
		ret = ets_create(fd, n, ETSMGR_ACCESS_PRIVATE, 4096, NULL);
	}
	s->ret[0] = (int)(ret ? k - 1 : k);	/* created */
	s->ret[1] = ret;
	return 0;
}

/* Tables of the caller's IPC namespace (GET_STATS), or -1. */
static long long ns_tables_now(void)
{
	struct ets_nl_reply r;
	struct ets_nl nl;
	long long v = -1;

	if (ets_nl_open(&nl))
		return -1;
	if (!ets_nl_stats(&nl, &r) && r.nstats)
		v = (long long)r.stats[ETSMGR_A_STATS_NS_TABLES];
	ets_nl_reply_free(&r);
	ets_nl_close(&nl);
	return v;
}

/* Wait at most @ms for the ns_reaped counter to reach @want; its value. */
static long long wait_ns_reaped(long long want, int ms)
{
	long long v = ets_stat("ns_reaped");
	int k;

	for (k = 0; k < ms / 20 && v >= 0 && v < want; k++) {
		usleep(20000);
		v = ets_stat("ns_reaped");
	}
	return v;
}

/*
 * The reaper deletes a dead container's tables one by one, telling the
 * initial namespace's subscribers of each (NS_REAPED). A subscriber that
 * leaves meanwhile is dropped by the send that finds its socket gone; when
 * it was the last thing the initial namespace's record held, that record
 * is freed, in the middle of the reaper's walk over the records. The walk
 * must not step on it: on a kernel without KASAN a stale step reads a
 * poisoned list pointer and oopses. Racy by nature, so a few rounds, with
 * enough tables that the subscriber's close lands while the reaper works.
 */
TEST_F_TIMEOUT(namespace, reaper_survives_last_subscriber_leaving_mid_reap,
	       300)
{
	struct ct_shm *s = ct_shm_new(NULL);
	long long reaped, now;
	struct ets_nl sub;
	int round, ret;
	__u32 ev = 0;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	ASSERT_NE(NULL, s);
	if (ns_tables_now() != 0)
		SKIP(return, "the initial IPC namespace has tables: its record stays");
	for (round = 0; round < REAP_ROUNDS; round++) {
		/* The initial namespace's record, older than the container's. */
		ASSERT_EQ(0, ets_nl_open(&sub));
		ASSERT_EQ(0, ets_nl_subscribe(&sub));
		reaped = ets_stat("ns_reaped");
		ASSERT_LE(0, reaped);
		s->id = REAP_TABLES;
		ASSERT_EQ(0, ct_run(CLONE_NEWIPC, ct_create_many, s));
		ASSERT_EQ(REAP_TABLES, s->ret[0]) {
			TH_LOG("round %d: creating a table failed: %s", round,
			       strerror(-s->ret[1]));
		}
		/* Leave as soon as the reaper is at it. */
		ret = ets_nl_event(&sub, 10000, &ev);
		ets_nl_close(&sub);
		EXPECT_TRUE(ret == -ENOBUFS ||
			    (!ret && ev == ETSMGR_EVENT_NS_REAPED)) {
			TH_LOG("round %d: first event %u, %s", round, ev,
			       strerror(-ret));
		}
		now = wait_ns_reaped(reaped + REAP_TABLES, 60000);
		ASSERT_EQ(reaped + REAP_TABLES, now) {
			TH_LOG("round %d: %lld of %d tables reaped", round,
			       now - reaped, REAP_TABLES);
		}
	}
}

/* Subscribers of the initial namespace that keep its record alive. */
#define PORT_KEEPERS	16
#define PORT_TABLES	500
#define PORT_ROUNDS	3
#define PORT_BIND_MS	15000	/* the old port id must come free by then */
#define PORT_LISTEN_MS	3000	/* then: no event may reach the new socket */

/*
 * Bind a new socket to port id @port as soon as it is free, then count
 * what arrives on it: s->ret[4] 1 once bound, s->ret[5] messages (an
 * overrun counts as one), s->ret[6] an unexpected errno.
 */
static void port_squatter(struct ct_shm *s, __u32 port)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK, .nl_pid = port };
	__u64 end = ets_now_ns() + PORT_BIND_MS * 1000000ULL;
	__u32 ev;
	int fd, ret;

	/* The subscriber's socket is the test's alone. */
	ets_close_fds_except(-1, -1);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		_exit(ETS_CHILD_SETUP_FAILED);
	s->ready = 1;
	while (bind(fd, (struct sockaddr *)&me, sizeof(me))) {
		if (errno != EADDRINUSE) {
			s->ret[6] = errno;
			_exit(0);
		}
		if (ets_now_ns() > end)
			_exit(0);
	}
	s->ret[4] = 1;
	end = ets_now_ns() + PORT_LISTEN_MS * 1000000ULL;
	while (ets_now_ns() < end) {
		ret = ets_nl_event_fd(fd, PORT_LISTEN_MS, &ev);
		if (ret == -EAGAIN)
			break;
		if (ret && ret != -ENOBUFS) {
			s->ret[6] = -ret;
			break;
		}
		s->ret[5]++;
	}
	_exit(0);
}

/*
 * A subscription is the subscribing socket's, not its port id's: once
 * that socket is closed, a new socket that binds the same port id must
 * get none of its events. The port id comes free as soon as the closing
 * socket is unhashed, before the module may hear of the release; the
 * reaper, busy sending NS_REAPED for a dying container's tables with the
 * lock held, makes that moment last. The subscriber closes on the first
 * of them while another process binds its port id in a loop.
 */
TEST_F_TIMEOUT(namespace, subscription_not_inherited_by_port_reuse, 300)
{
	struct ct_shm *s = ct_shm_new(NULL);
	struct ets_nl keep[PORT_KEEPERS], sub;
	long long reaped, now;
	int k, round, ret;
	__u32 port, ev = 0;
	pid_t pid;

	ETS_REQUIRE_ROOT();
	ETS_REQUIRE_STATS();
	ASSERT_NE(NULL, s);
	/* Many subscribers: each NS_REAPED takes a while to send. */
	for (k = 0; k < PORT_KEEPERS; k++) {
		ASSERT_EQ(0, ets_nl_open(&keep[k]));
		ASSERT_EQ(0, ets_nl_subscribe(&keep[k]));
	}
	for (round = 0; round < PORT_ROUNDS; round++) {
		port = 0x45540000U + ((__u32)getpid() & 0xffff) * 8 + round;
		ASSERT_EQ(0, ets_nl_open_port(&sub, port));
		ASSERT_EQ(0, ets_nl_subscribe(&sub));
		memset(s->ret, 0, sizeof(s->ret));
		s->ready = 0;
		pid = ets_fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			port_squatter(s, port);
		ASSERT_EQ(0, ct_wait_flag(&s->ready));
		reaped = ets_stat("ns_reaped");
		ASSERT_LE(0, reaped);
		s->id = PORT_TABLES;
		ASSERT_EQ(0, ct_run(CLONE_NEWIPC, ct_create_many, s));
		ASSERT_EQ(PORT_TABLES, s->ret[0]);
		ret = ets_nl_event(&sub, 10000, &ev);
		ets_nl_close(&sub);
		EXPECT_TRUE(ret == -ENOBUFS ||
			    (!ret && ev == ETSMGR_EVENT_NS_REAPED)) {
			TH_LOG("round %d: first event %u, %s", round, ev,
			       strerror(-ret));
		}
		now = wait_ns_reaped(reaped + PORT_TABLES, 60000);
		EXPECT_EQ(reaped + PORT_TABLES, now);
		EXPECT_EQ(0, ct_finish(pid));
		EXPECT_EQ(0, s->ret[6]) TH_LOG("%s", strerror(s->ret[6]));
		EXPECT_EQ(1, s->ret[4]) {
			TH_LOG("round %d: port id %#x still taken after %d ms",
			       round, port, PORT_BIND_MS);
		}
		EXPECT_EQ(0, s->ret[5]) {
			TH_LOG("round %d: the new socket on port id %#x got %d messages of the old one's subscription",
			       round, port, s->ret[5]);
		}
		if (s->ret[5])
			break;
	}
	for (k = 0; k < PORT_KEEPERS; k++)
		ets_nl_close(&keep[k]);
}

/* ------------------------------------------------------------------ */
/* A user's own mount namespace: no path of the caller is followed     */
/* ------------------------------------------------------------------ */

#define FIFO_WAIT_MS	5000	/* a request that takes longer is stuck */

enum fifo_op {
	FIFO_SUBSCRIBE,		/* SUBSCRIBE on a netlink socket */
	FIFO_ATTACH,		/* the first table of its IPC namespace */
};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t len = (ssize_t)strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

#define FIFO_STEP_USERNS	4

/* In fifo_child(): step @n failed; s->ret[2] and [3] say which and why. */
#define FIFO_STEP(n, failed) do {					\
	if (failed) {							\
		s->ret[3] = errno;					\
		s->ret[2] = (n);					\
		_exit(ETS_CHILD_SETUP_FAILED);				\
	}								\
} while (0)

/*
 * As uid 65534, in user, mount and IPC namespaces of its own (root of
 * the user namespace, so admin of the new IPC namespace), chroot into a
 * tmpfs where /proc/thread-self/ns/ipc is a FIFO, then try @op. The FIFO
 * blocks whoever opens it for reading until a writer comes, forever.
 * s->ret[0]: 1 once the request was made, then s->ret[1] its result.
 */
static void fifo_child(struct ct_shm *s, int op)
{
	const char *dirs[] = { "/tmp/r", "/tmp/r/proc",
			       "/tmp/r/proc/thread-self",
			       "/tmp/r/proc/thread-self/ns" };
	struct ets_nl nl;
	unsigned int k;
	int fd = -1;

	FIFO_STEP(2, ets_become_nobody());
	/* A change of uid clears both; /proc/self is then root's. */
	FIFO_STEP(3, prctl(PR_SET_PDEATHSIG, SIGKILL) ||
		  prctl(PR_SET_DUMPABLE, 1));
	/* EPERM where unprivileged user namespaces are disabled. */
	FIFO_STEP(FIFO_STEP_USERNS, unshare(CLONE_NEWUSER));
	FIFO_STEP(5, write_file("/proc/self/setgroups", "deny"));
	FIFO_STEP(6, write_file("/proc/self/uid_map", "0 65534 1"));
	FIFO_STEP(7, write_file("/proc/self/gid_map", "0 65534 1"));
	FIFO_STEP(8, unshare(CLONE_NEWNS | CLONE_NEWIPC));
	FIFO_STEP(9, mount("none", "/tmp", "tmpfs", 0, NULL));
	for (k = 0; k < ARRAY_SIZE(dirs); k++)
		FIFO_STEP(10, mkdir(dirs[k], 0755));
	FIFO_STEP(11, mkfifo("/tmp/r/proc/thread-self/ns/ipc", 0600));
	if (op == FIFO_SUBSCRIBE)
		FIFO_STEP(12, ets_nl_open(&nl));
	if (op == FIFO_ATTACH) {
		fd = ets_open();
		FIFO_STEP(13, fd < 0);
	}
	FIFO_STEP(14, chroot("/tmp/r") || chdir("/"));
	s->ret[0] = 1;
	if (op == FIFO_SUBSCRIBE)
		s->ret[1] = ets_nl_subscribe(&nl);
	else
		s->ret[1] = ets_create(fd, "t", ETSMGR_ACCESS_PRIVATE, 4096,
				       NULL);
	s->ready = 1;
	/* Keep the subscription or the table until the test is done. */
	ct_wait_flag(&s->go);
	_exit(0);
}

/* Wait at most @ms for @pid; its status, or -1 if it is still running. */
static int wait_ms(pid_t pid, int ms)
{
	int k, st;

	for (k = 0; k < ms; k++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(1000);
	}
	return -1;
}

/* The host's administrator asks for the stats: s->ret[4] is the answer. */
static void host_stats_child(struct ct_shm *s)
{
	struct ets_nl_reply r;
	struct ets_nl nl;
	int ret;

	ret = ets_nl_open(&nl);
	if (!ret)
		ret = ets_nl_stats(&nl, &r);
	s->ret[4] = ret;
	_exit(0);
}

/*
 * SUBSCRIBE pins the caller's IPC namespace. Were it to open a path for
 * that (/proc/thread-self/ns/ipc), any user could make it open a FIFO in
 * a chroot of its own, and the open would block with genetlink's lock
 * held: every generic netlink family without parallel_ops, the host's
 * included, would hang with it. The host's request must be answered,
 * and the subscription made.
 */
TEST_F_TIMEOUT(namespace, subscribe_follows_no_path_of_the_caller, 60)
{
	struct ct_shm *s = ct_shm_new(NULL);
	pid_t sub, host;
	int st;

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	sub = ets_fork();
	ASSERT_LE(0, sub);
	if (sub == 0)
		fifo_child(s, FIFO_SUBSCRIBE);
	for (st = 0; st < CT_TIMEOUT_MS && !s->ret[0]; st++) {
		if (waitpid(sub, NULL, WNOHANG) == sub)
			break;
		usleep(1000);
	}
	if (!s->ret[0] && s->ret[2] == FIFO_STEP_USERNS && s->ret[3] == EPERM) {
		ets_wait(sub);
		SKIP(return, "uid 65534 may not make a user namespace here");
	}
	ASSERT_EQ(1, s->ret[0]) {
		TH_LOG("the subscriber could not set up: step %d, %s",
		       s->ret[2], strerror(s->ret[3]));
	}
	/* Time to get stuck, if it is to. */
	usleep(300000);
	s->ret[4] = 1;
	host = ets_fork();
	ASSERT_LE(0, host);
	if (host == 0)
		host_stats_child(s);
	st = wait_ms(host, FIFO_WAIT_MS);
	EXPECT_NE(-1, st) {
		TH_LOG("the host's GET_STATS got no answer in %d ms",
		       FIFO_WAIT_MS);
	}
	EXPECT_EQ(1, s->ready) TH_LOG("SUBSCRIBE did not return");
	/* Ends a stuck SUBSCRIBE (the FIFO's open is interruptible). */
	if (!s->ready)
		kill(sub, SIGKILL);
	s->go = 1;
	if (st == -1)
		ets_wait(host);
	EXPECT_EQ(0, s->ret[4]) TH_LOG("GET_STATS: %s", strerror(-s->ret[4]));
	if (s->ready)
		EXPECT_EQ(0, s->ret[1]) {
			TH_LOG("SUBSCRIBE: %s", strerror(-s->ret[1]));
		}
	ets_wait(sub);
}

/* Nor does the first ATTACH of a namespace, which pins it too. */
TEST_F_TIMEOUT(namespace, attach_follows_no_path_of_the_caller, 60)
{
	struct ct_shm *s = ct_shm_new(NULL);
	pid_t pid;
	int k;

	ETS_REQUIRE_ROOT();
	ASSERT_NE(NULL, s);
	pid = ets_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		fifo_child(s, FIFO_ATTACH);
	for (k = 0; k < CT_TIMEOUT_MS + FIFO_WAIT_MS && !s->ready; k++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
		usleep(1000);
	}
	if (!s->ret[0] && s->ret[2] == FIFO_STEP_USERNS && s->ret[3] == EPERM) {
		ets_wait(pid);
		SKIP(return, "uid 65534 may not make a user namespace here");
	}
	EXPECT_EQ(1, s->ret[0]) {
		TH_LOG("the child could not set up: step %d, %s", s->ret[2],
		       strerror(s->ret[3]));
	}
	EXPECT_EQ(1, s->ready) TH_LOG("ATTACH did not return");
	if (s->ready)
		EXPECT_EQ(0, s->ret[1]) {
			TH_LOG("ATTACH: %s", strerror(-s->ret[1]));
		}
	if (!s->ready)
		kill(pid, SIGKILL);
	s->go = 1;
	ets_wait(pid);
}

TEST_HARNESS_MAIN
