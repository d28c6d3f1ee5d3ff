// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the etsmgr tables it holds as its children's heir (heir.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "etsmgr_records.h"
#include "heir.h"

void heir_init(struct heir *h)
{
	memset(h, 0, sizeof(*h));
	h->session = -1;
}

int heir_open(struct heir *h)
{
	h->session = open(ETSMGR_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	return h->session < 0 ? -errno : 0;
}

int heir_receive(struct heir *h, struct etsmgr_received *r)
{
	memset(r, 0, sizeof(*r));
	if (h->session < 0)
		return -EAGAIN;
	return ioctl(h->session, ETSMGR_IOC_RECEIVE, r) < 0 ? -errno : 0;
}

long long heir_check_records(struct heir *h, const struct etsmgr_received *r)
{
	struct etsmgr_set *set;
	long long ret;
	void *base;

	base = mmap(NULL, r->size, PROT_READ, MAP_SHARED, h->session,
		    (off_t)r->mmap_offset);
	if (base == MAP_FAILED)
		return -errno;
	ret = etsmgr_set_open(base, r->size, ETSMGR_SET_RDONLY, &set);
	if (!ret) {
		ret = (long long)etsmgr_set_count(set);
		etsmgr_set_close(set);
	}
	munmap(base, r->size);
	return ret;
}

int heir_hold(struct heir *h, const struct etsmgr_received *r, size_t child)
{
	struct held_table *t;

	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 4;

		t = realloc(h->held, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		h->held = t;
		h->cap = cap;
	}
	t = &h->held[h->n++];
	t->id = r->id;
	memcpy(t->name, r->name, sizeof(t->name));
	t->name[sizeof(t->name) - 1] = '\0';
	t->from = r->from_pid;
	t->child = child;
	return 0;
}

int heir_give(struct heir *h, size_t i, int pidfd)
{
	struct etsmgr_handoff give = {
		.id = h->held[i].id,
		.pidfd = pidfd,
	};

	if (ioctl(h->session, ETSMGR_IOC_GIVE, &give) < 0)
		return -errno;
	heir_forget(h, i);
	return 0;
}

void heir_forget(struct heir *h, size_t i)
{
	memmove(&h->held[i], &h->held[i + 1],
		(h->n - i - 1) * sizeof(h->held[0]));
	h->n--;
}

void heir_close(struct heir *h)
{
	if (h->session >= 0)
		close(h->session);
	free(h->held);
	heir_init(h);
}
