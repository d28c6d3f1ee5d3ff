// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of commandhash.c: the hash is pinned (a state file
 * written by one release must match under the next), and it tells apart
 * exactly the specs that run something else.
 */
#include <stdint.h>

#include "commandhash.h"
#include "unit.h"

static char *argv_ab[] = { "/bin/prog", "a", "b", NULL };
static char *argv_a_b[] = { "/bin/prog", "a b", NULL };
static char *argv_joined[] = { "/bin/prog", "ab", NULL };

static struct child_spec spec(char **argv)
{
	struct child_spec c = { .argv = argv };

	return c;
}

/*
 * FNV-1a 64 of the encoding, as computed apart from etssup (a few lines of
 * Python); a change here is a change of the state file format.
 */
static void test_pinned(void)
{
	struct child_spec c = spec(argv_ab);

	CHECK(command_hash(&c) == 0x5e760e6b7c9498e4ull);
}

static void test_argv_words(void)
{
	struct child_spec a = spec(argv_ab), b = spec(argv_a_b),
			  c = spec(argv_joined);

	CHECK(command_hash(&a) != command_hash(&b));
	CHECK(command_hash(&a) != command_hash(&c));
	CHECK(command_hash(&b) != command_hash(&c));
}

static void test_caps_are_a_set(void)
{
	cap_value_t one[] = { CAP_NET_RAW, CAP_CHOWN },
		    other[] = { CAP_CHOWN, CAP_NET_RAW, CAP_CHOWN },
		    less[] = { CAP_CHOWN };
	struct child_spec a = spec(argv_ab), b = spec(argv_ab),
			  c = spec(argv_ab), none = spec(argv_ab);

	a.keep_caps = one;
	a.nkeep_caps = 2;
	b.keep_caps = other;
	b.nkeep_caps = 3;
	c.keep_caps = less;
	c.nkeep_caps = 1;
	CHECK(command_hash(&a) == command_hash(&b));
	CHECK(command_hash(&a) != command_hash(&c));
	CHECK(command_hash(&c) != command_hash(&none));
}

static void test_listen_and_heir(void)
{
	struct child_spec plain = spec(argv_ab), empty = spec(argv_ab),
			  sock = spec(argv_ab), heir = spec(argv_ab);

	empty.listen = "";
	sock.listen = "/run/x.sock";
	heir.heir = true;
	CHECK(command_hash(&plain) != command_hash(&empty));
	CHECK(command_hash(&plain) != command_hash(&sock));
	CHECK(command_hash(&empty) != command_hash(&sock));
	CHECK(command_hash(&plain) != command_hash(&heir));
}

/* Who it runs as is part of what runs. */
static void test_identity(void)
{
	struct child_spec plain = spec(argv_ab), user = spec(argv_ab),
			  other = spec(argv_ab), group = spec(argv_ab),
			  nnp = spec(argv_ab);

	user.identity.has_user = true;
	user.identity.uid = 65534;
	other.identity.has_user = true;
	other.identity.uid = 65533;
	group.identity.has_group = true;
	group.identity.gid = 65534;
	nnp.no_new_privs = true;
	CHECK(command_hash(&plain) != command_hash(&user));
	CHECK(command_hash(&user) != command_hash(&other));
	CHECK(command_hash(&plain) != command_hash(&group));
	CHECK(command_hash(&user) != command_hash(&group));
	CHECK(command_hash(&plain) != command_hash(&nnp));
}

/* How etssup supervises it is not what runs. */
static void test_supervision_ignored(void)
{
	struct child_spec a = spec(argv_ab), b = spec(argv_ab);

	b.restart = RESTART_TEMPORARY;
	b.shutdown = SHUTDOWN_BRUTAL_KILL;
	b.shutdown_ms = 1;
	b.standby = true;
	b.backoff.first_ms = 12345;
	CHECK(command_hash(&a) == command_hash(&b));
}

int main(void)
{
	UNIT_TEST(test_pinned);
	UNIT_TEST(test_argv_words);
	UNIT_TEST(test_caps_are_a_set);
	UNIT_TEST(test_listen_and_heir);
	UNIT_TEST(test_identity);
	UNIT_TEST(test_supervision_ignored);
	return unit_done();
}
