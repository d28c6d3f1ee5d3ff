// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the command hash (see commandhash.h).
 *
 * The hashed bytes are an unambiguous encoding, fixed once for all: a
 * version string, then each setting as its name, a NUL, and its value with
 * every length and count as 8 bytes little-endian, so that "a b" and "a",
 * "b" differ, as do an empty and an absent listen path. A setting added to
 * what a child is started with (as user=, group= and no-new-privs= were) is added
 * at the end; a file hashed before then no longer matches, and its
 * children are started afresh once, which is the safe side.
 */
#include <stdbool.h>
#include <string.h>

#include "commandhash.h"

#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

static void add_bytes(uint64_t *h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		*h ^= b[i];
		*h *= FNV64_PRIME;
	}
}

static void add_u64(uint64_t *h, uint64_t v)
{
	unsigned char le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	add_bytes(h, le, sizeof(le));
}

static void add_string(uint64_t *h, const char *s)
{
	size_t len = strlen(s);

	add_u64(h, len);
	add_bytes(h, s, len);
}

/* A setting's name, NUL included: the next value cannot run into it. */
static void add_name(uint64_t *h, const char *name)
{
	add_bytes(h, name, strlen(name) + 1);
}

static bool keeps(const struct child_spec *c, cap_value_t v)
{
	for (size_t i = 0; i < c->nkeep_caps; i++)
		if (c->keep_caps[i] == v)
			return true;
	return false;
}

uint64_t command_hash(const struct child_spec *c)
{
	uint64_t h = FNV64_OFFSET;
	size_t argc = 0, ncaps = 0;
	cap_value_t top = -1;

	add_name(&h, "etssup command hash 1");

	add_name(&h, "argv");
	while (c->argv && c->argv[argc])
		argc++;
	add_u64(&h, argc);
	for (size_t i = 0; i < argc; i++)
		add_string(&h, c->argv[i]);

	/* A set: in increasing order, each once, however they were given. */
	add_name(&h, "keep-caps");
	for (size_t i = 0; i < c->nkeep_caps; i++)
		if (c->keep_caps[i] > top)
			top = c->keep_caps[i];
	for (cap_value_t v = 0; v <= top; v++)
		ncaps += keeps(c, v);
	add_u64(&h, ncaps);
	for (cap_value_t v = 0; v <= top; v++)
		if (keeps(c, v))
			add_u64(&h, (uint64_t)v);

	add_name(&h, "listen");
	add_u64(&h, c->listen != NULL);
	if (c->listen)
		add_string(&h, c->listen);

	add_name(&h, "heir");
	add_u64(&h, c->heir);

	/* Who it runs as: the ids asked for (given or looked up). */
	add_name(&h, "user");
	add_u64(&h, c->identity.has_user);
	if (c->identity.has_user)
		add_u64(&h, c->identity.uid);
	add_name(&h, "group");
	add_u64(&h, c->identity.has_group);
	if (c->identity.has_group)
		add_u64(&h, c->identity.gid);
	add_name(&h, "no-new-privs");
	add_u64(&h, c->no_new_privs);
	return h;
}
