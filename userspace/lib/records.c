// SPDX-License-Identifier: GPL-2.0
/*
 * libetsmgr records: an ETS-like set inside one memory region, crash
 * consistent and readable without a lock. See etsmgr_records.h for the
 * API.
 *
 * Layout (native endian, every offset a multiple of 8):
 *
 *   0     header (256 bytes): geometry (immutable after format, under a
 *         checksum), mutable counters, and the writers' robust mutex;
 *   256   buckets: nbuckets 64-bit links (a power of two >= capacity);
 *   ...   slots (64-byte aligned start): nslots = capacity + 1 slots of
 *         slot_size bytes: a 40-byte slot header, the key (key_max bytes
 *         rounded up to 8), the value (value_max rounded up to 8).
 *
 * A slot's `word` counts its changes: even while the slot is free, odd
 * while it holds a record; each change adds one. The odd value names one
 * incarnation of the slot, whose key and value never change (except a
 * counter's 8-byte value, which changes by single atomic stores). A link
 * is (slot index + 1) << 32 | low 32 bits of that odd word: it names an
 * incarnation, not just a slot, so a reader holding a stale link notices
 * that the slot was freed or reused (ABA needs 2^31 reuses of one slot
 * while a reader sleeps on it). Link 0 ends a chain.
 *
 * Each bucket heads a singly linked chain of records sorted by (hash, key
 * length, key bytes). Free slots form a list through their `next` field,
 * headed by header.free_head (slot index + 1, 0 when empty).
 *
 * Invariants (hold at every instruction, so also after a crash):
 *   I1  Every link reachable from a bucket names a live incarnation, and
 *       chains are sorted, without duplicates.
 *   I2  A record becomes visible by one atomic store (release) of the
 *       link that points at it (bucket or predecessor's next), after it
 *       was written whole into a slot nobody links to. A replacement is
 *       linked in place of the old record by that same store; a delete
 *       is one store that unlinks. So every operation is visible whole or
 *       not at all, and a completed one is visible.
 *   I3  A slot is freed (word made even) only once unreachable, and
 *       header.retirements is bumped before (release fence in between).
 *       Its bytes are rewritten only while it is free.
 *   I4  Writers hold the robust mutex. What a killed writer can leave:
 *       one slot that is neither linked nor on the free list (taken for
 *       a record not yet linked, or unlinked and not yet freed), and a
 *       count off by one. Nothing else is ever half done. Recovery
 *       (when the mutex reports EOWNERDEAD, and while header.dirty says a
 *       recovery has not finished) rebuilds the free list from the slots
 *       that are unreachable and recounts. It changes nothing reachable,
 *       is idempotent, and may itself be killed and rerun.
 *
 * Readers never lock and only load (atomically, word by word), so they
 * work on a read-only mapping and never fault on a torn record. A reader
 * follows a link, loads the slot's word (acquire), copies what it needs,
 * issues an acquire fence and loads the word again: if both words equal
 * the link's incarnation, the copy is that record (a seqlock whose write
 * side is I3). Otherwise the slot was freed under it: I3 means
 * header.retirements moved, and the reader starts the bucket again. If
 * retirements did not move, the memory is corrupt: -EUCLEAN, never a
 * loop. Walks are bounded by the slot count for the same reason.
 *
 * Counters are updated under the mutex by one 8-byte atomic store: not
 * lock-free, on purpose. A lock-free add would need the slot to stay the
 * counter's until the add lands, and an updater preempted between
 * finding the slot and adding could hit another key's record after a
 * delete reused the slot (8-byte atomics cannot check the incarnation and
 * add in one step). An uncontended robust mutex costs tens of
 * nanoseconds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "etsmgr_records.h"

#define SET_MAGIC	0x3154455352474d45ull	/* "EMGRSET1", little endian */
#define SET_VERSION	1u
#define HEADER_SIZE	256u
#define SLOT_HEADER	40u

/* The region's header; offsets are part of the layout version. */
struct set_header {
	/* Written last by format (release); checked first by open. */
	uint64_t magic;
	/* Geometry: immutable after format, under @checksum. */
	uint32_t version;
	uint32_t header_size;
	uint32_t lock_size;	/* sizeof(pthread_mutex_t): the ABI */
	uint32_t capacity;
	uint32_t nslots;
	uint32_t nbuckets;
	uint32_t key_max;
	uint32_t value_max;
	uint32_t slot_size;
	uint32_t flags;		/* 0 */
	uint64_t buckets_offset;
	uint64_t slots_offset;
	uint64_t region_size;
	uint64_t seed;		/* of the key hash */
	uint64_t checksum;	/* of version .. seed */
	/* Mutable: under the mutex; count and retirements read lock-free. */
	uint64_t count;
	uint64_t retirements;
	uint64_t free_head;
	uint64_t recoveries;
	uint32_t dirty;		/* a recovery is due */
	uint32_t __pad;
	union {
		pthread_mutex_t mutex;
		unsigned char bytes[64];
	} lock;			/* at 128: a cache line of its own */
	unsigned char reserved[64];
};

_Static_assert(sizeof(struct set_header) == HEADER_SIZE, "header size");
_Static_assert(offsetof(struct set_header, lock) == 128, "lock offset");
_Static_assert(sizeof(pthread_mutex_t) <= 64, "pthread_mutex_t too big");

/* The header of every slot; the key then the value follow in data[]. */
struct slot {
	uint64_t word;		/* even: free; odd: live incarnation */
	uint64_t next;		/* live: link; free: next free slot + 1 */
	uint64_t hash;
	uint32_t key_len;
	uint32_t value_len;
	uint32_t mark;		/* recovery: reachable */
	uint32_t __pad;
	uint64_t data[];
};

_Static_assert(sizeof(struct slot) == SLOT_HEADER, "slot header size");

/* The handle: the geometry, copied from the header once validated. */
struct etsmgr_set {
	unsigned char *base;
	struct set_header *hdr;
	uint64_t *buckets;
	unsigned char *slots;
	size_t slot_size;
	uint32_t capacity;
	uint32_t nslots;
	uint32_t nbuckets;
	uint32_t key_max;
	uint32_t value_max;
	uint32_t key_words;
	uint64_t seed;
	bool readonly;
};

struct geometry {
	uint32_t capacity;
	uint32_t nslots;
	uint32_t nbuckets;
	uint32_t key_max;
	uint32_t value_max;
	uint32_t slot_size;
	uint64_t buckets_offset;
	uint64_t slots_offset;
	uint64_t region_size;
};

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define LOAD_ACQ(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define STORE_REL(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define FENCE_ACQ()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define FENCE_REL()	__atomic_thread_fence(__ATOMIC_RELEASE)

static inline uint64_t round8(uint64_t n)
{
	return (n + 7) & ~7ull;
}

/* ------------------------------------------------------------------ */
/* Hashing                                                             */
/* ------------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* Seeded FNV-1a with a final mix (keys are short), fed piecewise. */
static uint64_t hash_start(uint64_t seed, size_t len)
{
	return 0xcbf29ce484222325ull ^ mix64(seed + len);
}

static uint64_t hash_feed(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_bytes(uint64_t seed, const void *data, size_t len)
{
	return mix64(hash_feed(hash_start(seed, len), data, len));
}

static uint64_t header_checksum(const struct set_header *hdr)
{
	return hash_bytes(SET_MAGIC, &hdr->version,
			  offsetof(struct set_header, checksum) -
			  offsetof(struct set_header, version));
}

/* ------------------------------------------------------------------ */
/* Slots, links, word-wise copies                                      */
/* ------------------------------------------------------------------ */

static inline struct slot *slot_at(const struct etsmgr_set *s, uint32_t i)
{
	return (struct slot *)(s->slots + (size_t)i * s->slot_size);
}

static inline uint64_t *value_words(const struct etsmgr_set *s,
				    struct slot *sl)
{
	return sl->data + s->key_words;
}

static inline uint64_t link_of(uint32_t index, uint64_t word)
{
	return (uint64_t)(index + 1) << 32 | (uint32_t)word;
}

/* The slot a link points to, or NULL when it is out of range. */
static inline struct slot *link_slot(const struct etsmgr_set *s,
				     uint64_t link)
{
	uint64_t index = (link >> 32) - 1;

	return index < s->nslots ? slot_at(s, (uint32_t)index) : NULL;
}

static inline uint32_t slot_index(const struct etsmgr_set *s,
				  const struct slot *sl)
{
	return (uint32_t)((size_t)((const unsigned char *)sl - s->slots) /
			  s->slot_size);
}

/* Does @word belong to the live incarnation @link names? */
static inline bool link_names(uint64_t link, uint64_t word)
{
	return (word & 1) && (uint32_t)word == (uint32_t)link;
}

/* Store @len bytes as whole words, the last one zero-padded. */
static void copy_in(uint64_t *dst, const void *src, size_t len)
{
	const unsigned char *p = src;

	for (size_t i = 0; len; i++) {
		size_t n = len < 8 ? len : 8;
		uint64_t w = 0;

		memcpy(&w, p, n);
		STORE(&dst[i], w);
		p += n;
		len -= n;
	}
}

/* Load @len bytes, word by word. */
static void copy_out(void *dst, const uint64_t *src, size_t len)
{
	unsigned char *p = dst;

	for (size_t i = 0; len; i++) {
		size_t n = len < 8 ? len : 8;
		uint64_t w = LOAD(&src[i]);

		memcpy(p, &w, n);
		p += n;
		len -= n;
	}
}

/* memcmp() of @len bytes held in words against plain bytes. */
static int compare_out(const uint64_t *words, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;

	for (size_t i = 0; len; i++) {
		size_t n = len < 8 ? len : 8;
		uint64_t w = LOAD(&words[i]);
		int cmp = memcmp(&w, p, n);

		if (cmp)
			return cmp;
		p += n;
		len -= n;
	}
	return 0;
}

/* The same between two keys held in words. */
static int compare_words(const uint64_t *a, const uint64_t *b, size_t len)
{
	for (size_t i = 0; len; i++) {
		size_t n = len < 8 ? len : 8;
		uint64_t wa = LOAD(&a[i]), wb = LOAD(&b[i]);
		int cmp = memcmp(&wa, &wb, n);

		if (cmp)
			return cmp;
		len -= n;
	}
	return 0;
}

/* hash_bytes() of @len bytes held in words. */
static uint64_t hash_words(uint64_t seed, const uint64_t *words, size_t len)
{
	uint64_t h = hash_start(seed, len);

	for (size_t i = 0; len; i++) {
		size_t n = len < 8 ? len : 8;
		uint64_t w = LOAD(&words[i]);

		h = hash_feed(h, &w, n);
		len -= n;
	}
	return mix64(h);
}

/* The chain order: (hash, key length, key bytes). */
static int order(uint64_t ha, size_t la, uint64_t hb, size_t lb)
{
	if (ha != hb)
		return ha < hb ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Geometry, format, open                                              */
/* ------------------------------------------------------------------ */

static int geometry(uint32_t capacity, uint32_t key_max, uint32_t value_max,
		    struct geometry *g)
{
	uint64_t buckets = 1;

	if (capacity < 1 || capacity > ETSMGR_SET_CAPACITY_LIMIT ||
	    key_max < 1 || key_max > ETSMGR_SET_KEY_LIMIT ||
	    value_max > ETSMGR_SET_VALUE_LIMIT)
		return -EINVAL;
	while (buckets < capacity)
		buckets <<= 1;
	g->capacity = capacity;
	g->nslots = capacity + 1;	/* a spare: replacing never fails */
	g->nbuckets = (uint32_t)buckets;
	g->key_max = key_max;
	g->value_max = value_max;
	g->slot_size = (uint32_t)(SLOT_HEADER + round8(key_max) +
				  round8(value_max));
	g->buckets_offset = HEADER_SIZE;
	g->slots_offset = (HEADER_SIZE + 8 * buckets + 63) & ~63ull;
	g->region_size = g->slots_offset + (uint64_t)g->nslots * g->slot_size;
	return 0;
}

uint64_t etsmgr_set_region_size(uint32_t capacity, uint32_t key_max,
				uint32_t value_max)
{
	struct geometry g;

	return geometry(capacity, key_max, value_max, &g) ? 0 : g.region_size;
}

/* The largest capacity whose set fits in @size bytes, or 0. */
static uint32_t capacity_for(size_t size, uint32_t key_max,
			     uint32_t value_max)
{
	uint32_t low = 0, high = ETSMGR_SET_CAPACITY_LIMIT;

	while (low < high) {
		uint32_t mid = low + (high - low + 1) / 2;
		uint64_t need = etsmgr_set_region_size(mid, key_max,
						       value_max);

		if (need && need <= size)
			low = mid;
		else
			high = mid - 1;
	}
	return low;
}

/* Validate the header at @base, and fill *@g and *@seed from it. */
static int validate(const void *base, size_t size, struct geometry *g,
		    uint64_t *seed)
{
	const struct set_header *live = base;
	struct set_header hdr;
	uint64_t magic;

	if (!base || ((uintptr_t)base & 7) || size < HEADER_SIZE)
		return -EINVAL;
	magic = LOAD_ACQ(&live->magic);
	if (magic == __builtin_bswap64(SET_MAGIC))
		return -EPROTO;		/* the other byte order */
	if (magic != SET_MAGIC)
		return -ENODATA;
	/* The geometry is immutable: a plain copy is enough. */
	memcpy(&hdr, live, offsetof(struct set_header, count));
	if (hdr.version != SET_VERSION || hdr.header_size != HEADER_SIZE ||
	    hdr.lock_size != sizeof(pthread_mutex_t))
		return -EPROTO;
	if (hdr.checksum != header_checksum(&hdr) || hdr.flags ||
	    geometry(hdr.capacity, hdr.key_max, hdr.value_max, g) ||
	    hdr.nslots != g->nslots || hdr.nbuckets != g->nbuckets ||
	    hdr.slot_size != g->slot_size ||
	    hdr.buckets_offset != g->buckets_offset ||
	    hdr.slots_offset != g->slots_offset ||
	    hdr.region_size != g->region_size)
		return -EUCLEAN;
	if (g->region_size > size)
		return -ERANGE;
	*seed = hdr.seed;
	return 0;
}

static uint64_t random_seed(void)
{
	struct timespec ts;
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return mix64((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^
		     (uint64_t)getpid() << 48);
}

static int init_mutex(pthread_mutex_t *mutex)
{
	pthread_mutexattr_t attr;
	int ret;

	ret = pthread_mutexattr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (!ret)
		ret = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (!ret)
		ret = pthread_mutex_init(mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	return -ret;
}

int etsmgr_set_format(void *base, size_t size, uint32_t capacity,
		      uint32_t key_max, uint32_t value_max, unsigned int flags)
{
	struct set_header *hdr = base;
	unsigned char *slots;
	struct geometry g;
	uint64_t seed;
	int ret;

	if (!base || ((uintptr_t)base & 7) || (flags & ~ETSMGR_SET_FORCE))
		return -EINVAL;
	/*
	 * Without FORCE, only where no set exists: a set this library cannot
	 * open (another version, corrupt, larger than @size) is still
	 * someone's data.
	 */
	if (!(flags & ETSMGR_SET_FORCE)) {
		ret = validate(base, size, &g, &seed);
		if (!ret)
			return -EEXIST;
		/* -EINVAL here: smaller than a header, so no set either. */
		if (ret != -ENODATA && ret != -EINVAL)
			return ret;
	}
	if (!capacity) {
		/* Check the other parameters before searching. */
		if (geometry(1, key_max, value_max, &g))
			return -EINVAL;
		capacity = capacity_for(size, key_max, value_max);
		if (!capacity)
			return -ENOSPC;
	}
	ret = geometry(capacity, key_max, value_max, &g);
	if (ret)
		return ret;
	if (g.region_size > size)
		return -ENOSPC;

	/* Invalidate first: a format cut short leaves no valid magic. */
	STORE_REL(&hdr->magic, 0);
	memset((unsigned char *)hdr + sizeof(hdr->magic), 0,
	       HEADER_SIZE - sizeof(hdr->magic));
	ret = init_mutex(&hdr->lock.mutex);
	if (ret)
		return ret;
	hdr->version = SET_VERSION;
	hdr->header_size = HEADER_SIZE;
	hdr->lock_size = sizeof(pthread_mutex_t);
	hdr->capacity = g.capacity;
	hdr->nslots = g.nslots;
	hdr->nbuckets = g.nbuckets;
	hdr->key_max = g.key_max;
	hdr->value_max = g.value_max;
	hdr->slot_size = g.slot_size;
	hdr->buckets_offset = g.buckets_offset;
	hdr->slots_offset = g.slots_offset;
	hdr->region_size = g.region_size;
	hdr->seed = random_seed();
	hdr->checksum = header_checksum(hdr);

	memset((unsigned char *)base + g.buckets_offset, 0,
	       (size_t)g.nbuckets * 8);
	/* Every slot free, the free list in index order. */
	slots = (unsigned char *)base + g.slots_offset;
	for (uint32_t i = 0; i < g.nslots; i++) {
		struct slot *sl = (struct slot *)(slots +
						  (size_t)i * g.slot_size);

		memset(sl, 0, SLOT_HEADER);
		sl->next = i + 1 < g.nslots ? i + 2 : 0;
	}
	hdr->free_head = 1;
	STORE_REL(&hdr->magic, SET_MAGIC);
	return 0;
}

int etsmgr_set_open(void *base, size_t size, unsigned int flags,
		    struct etsmgr_set **set)
{
	struct etsmgr_set *s;
	struct geometry g;
	uint64_t seed;
	int ret;

	if (!set || (flags & ~ETSMGR_SET_RDONLY))
		return -EINVAL;
	ret = validate(base, size, &g, &seed);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base = base;
	s->hdr = base;
	s->buckets = (uint64_t *)(s->base + g.buckets_offset);
	s->slots = s->base + g.slots_offset;
	s->slot_size = g.slot_size;
	s->capacity = g.capacity;
	s->nslots = g.nslots;
	s->nbuckets = g.nbuckets;
	s->key_max = g.key_max;
	s->value_max = g.value_max;
	s->key_words = (uint32_t)(round8(g.key_max) / 8);
	s->seed = seed;
	s->readonly = flags & ETSMGR_SET_RDONLY;
	*set = s;
	return 0;
}

void etsmgr_set_close(struct etsmgr_set *set)
{
	free(set);
}

/* ------------------------------------------------------------------ */
/* Argument checks                                                     */
/* ------------------------------------------------------------------ */

static int check_key(const struct etsmgr_set *s, const void *key,
		     size_t key_len)
{
	if (!s || (!key && key_len))
		return -EINVAL;
	return key_len > s->key_max ? -E2BIG : 0;
}

static int check_write(const struct etsmgr_set *s, const void *key,
		       size_t key_len)
{
	int ret = check_key(s, key, key_len);

	if (!ret && s->readonly)
		ret = -EROFS;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Recovery and the writers' lock                                      */
/* ------------------------------------------------------------------ */

/* Free @sl, unreachable, and push it on the free list (I3). */
static void retire(struct etsmgr_set *s, struct slot *sl)
{
	struct set_header *hdr = s->hdr;
	uint64_t word = LOAD(&sl->word);

	STORE(&hdr->retirements, LOAD(&hdr->retirements) + 1);
	FENCE_REL();
	if (word & 1)
		STORE(&sl->word, word + 1);
	FENCE_REL();	/* readers see the word change before new bytes */
	STORE(&sl->next, LOAD(&hdr->free_head));
	STORE(&hdr->free_head, (uint64_t)slot_index(s, sl) + 1);
}

/* Check one reachable record, under the lock. */
static int check_record(const struct etsmgr_set *s, struct slot *sl,
			uint32_t bucket, struct slot *prev)
{
	uint32_t key_len = LOAD(&sl->key_len);
	uint64_t hash = LOAD(&sl->hash);
	int cmp;

	if (sl->mark || key_len > s->key_max ||
	    LOAD(&sl->value_len) > s->value_max ||
	    (hash & (s->nbuckets - 1)) != bucket ||
	    hash_words(s->seed, sl->data, key_len) != hash)
		return -EUCLEAN;
	if (prev) {
		cmp = order(LOAD(&prev->hash), LOAD(&prev->key_len),
			    hash, key_len);
		if (!cmp)
			cmp = compare_words(prev->data, sl->data, key_len);
		if (cmp >= 0)
			return -EUCLEAN;
	}
	sl->mark = 1;
	return 0;
}

/*
 * Under the lock: verify every chain (I1), free the unreachable slots,
 * rebuild the free list and the count (I4). Nothing reachable changes,
 * and nothing but the marks when the structure is found corrupt.
 */
static int recover_locked(struct etsmgr_set *s)
{
	struct set_header *hdr = s->hdr;
	uint64_t live = 0, free_head = 0;
	int ret;

	for (uint32_t i = 0; i < s->nslots; i++)
		slot_at(s, i)->mark = 0;
	for (uint32_t b = 0; b < s->nbuckets; b++) {
		struct slot *prev = NULL;
		uint64_t link = LOAD(&s->buckets[b]);

		while (link) {
			struct slot *sl = link_slot(s, link);

			if (!sl || !link_names(link, LOAD(&sl->word)) ||
			    ++live > s->capacity)
				return -EUCLEAN;
			ret = check_record(s, sl, b, prev);
			if (ret)
				return ret;
			prev = sl;
			link = LOAD(&sl->next);
		}
	}
	/* Descending, so that the list pops slots in index order. */
	for (uint32_t i = s->nslots; i-- > 0;) {
		struct slot *sl = slot_at(s, i);

		if (sl->mark)
			continue;
		if (LOAD(&sl->word) & 1) {
			/* An orphan of the crash: free it as retire() does. */
			STORE(&hdr->retirements, LOAD(&hdr->retirements) + 1);
			FENCE_REL();
			STORE(&sl->word, LOAD(&sl->word) + 1);
			FENCE_REL();
		}
		STORE(&sl->next, free_head);
		free_head = (uint64_t)i + 1;
	}
	STORE(&hdr->free_head, free_head);
	STORE(&hdr->count, live);
	if (hdr->dirty) {
		STORE(&hdr->recoveries, LOAD(&hdr->recoveries) + 1);
		hdr->dirty = 0;
	}
	return 0;
}

/*
 * Take the writers' lock. A holder that died makes it EOWNERDEAD: mark a
 * recovery due (so that dying during it is not forgotten), make the
 * mutex consistent, and recover. *@was_dirty tells whether a recovery
 * was due.
 */
static int lock_set(struct etsmgr_set *s, bool *was_dirty)
{
	struct set_header *hdr = s->hdr;
	int ret = pthread_mutex_lock(&hdr->lock.mutex);

	if (ret == EOWNERDEAD) {
		hdr->dirty = 1;
		pthread_mutex_consistent(&hdr->lock.mutex);
	} else if (ret) {
		return -ret;
	}
	/*
	 * Order what earlier writers stored (a slot's word made even, I3)
	 * before whatever this one stores, for readers' acquire fences: a
	 * reader that copies bytes this writer put in a freed slot then sees
	 * that slot's word changed.
	 */
	FENCE_REL();
	*was_dirty = hdr->dirty;
	if (*was_dirty) {
		ret = recover_locked(s);
		if (ret) {
			pthread_mutex_unlock(&hdr->lock.mutex);
			return ret;
		}
	}
	return 0;
}

static void unlock_set(struct etsmgr_set *s)
{
	pthread_mutex_unlock(&s->hdr->lock.mutex);
}

int etsmgr_set_recover(struct etsmgr_set *set)
{
	bool was_dirty;
	int ret;

	if (!set)
		return -EINVAL;
	if (set->readonly)
		return -EROFS;
	ret = lock_set(set, &was_dirty);
	if (ret)
		return ret;
	/* A full check even when clean (recovery just ran if it was not). */
	if (!was_dirty)
		ret = recover_locked(set);
	unlock_set(set);
	return ret ? ret : was_dirty;
}

/* ------------------------------------------------------------------ */
/* Writers                                                             */
/* ------------------------------------------------------------------ */

/* Where a key is, or would go, in its chain. */
struct place {
	uint64_t *pred;		/* the link to change */
	uint64_t link;		/* its value: found, or the successor */
	struct slot *found;
};

/* Under the lock: find @key (hash @hash). -EUCLEAN on a broken chain. */
static int locate(struct etsmgr_set *s, uint64_t hash, const void *key,
		  size_t key_len, struct place *p)
{
	uint64_t *pred = &s->buckets[hash & (s->nbuckets - 1)];
	uint64_t link = LOAD(pred);

	p->found = NULL;
	for (uint32_t steps = 0; link; steps++) {
		struct slot *sl = link_slot(s, link);
		int cmp;

		if (!sl || steps >= s->nslots ||
		    !link_names(link, LOAD(&sl->word)))
			return -EUCLEAN;
		cmp = order(hash, key_len, LOAD(&sl->hash),
			    LOAD(&sl->key_len));
		if (!cmp)
			cmp = -compare_out(sl->data, key, key_len);
		if (!cmp)
			p->found = sl;
		if (cmp <= 0)
			break;
		pred = &sl->next;
		link = LOAD(pred);
	}
	p->pred = pred;
	p->link = link;
	return 0;
}

/*
 * Under the lock: write a record into a free slot and link it at @p,
 * replacing p->found if set (I2), then retire the replaced slot (I3).
 */
static int publish(struct etsmgr_set *s, struct place *p, uint64_t hash,
		   const void *key, size_t key_len, const void *value,
		   size_t value_len)
{
	struct set_header *hdr = s->hdr;
	uint64_t head = LOAD(&hdr->free_head);
	struct slot *sl;
	uint64_t word;

	if (!p->found && LOAD(&hdr->count) >= s->capacity)
		return -ENOSPC;
	if (!head)
		return -ENOSPC;	/* only with leaked slots: cannot be */
	if (head > s->nslots)
		return -EUCLEAN;
	sl = slot_at(s, (uint32_t)(head - 1));
	if (LOAD(&sl->word) & 1)
		return -EUCLEAN;
	/* Take it off the free list: a crash from here leaks it (I4). */
	STORE(&hdr->free_head, LOAD(&sl->next));
	STORE(&sl->hash, hash);
	STORE(&sl->key_len, (uint32_t)key_len);
	STORE(&sl->value_len, (uint32_t)value_len);
	copy_in(sl->data, key, key_len);
	copy_in(value_words(s, sl), value, value_len);
	STORE(&sl->next, p->found ? LOAD(&p->found->next) : p->link);
	word = LOAD(&sl->word) + 1;
	STORE_REL(&sl->word, word);
	/* The one store that makes the operation happen. */
	STORE_REL(p->pred, link_of(slot_index(s, sl), word));
	if (p->found)
		retire(s, p->found);
	else
		STORE(&hdr->count, LOAD(&hdr->count) + 1);
	return 0;
}

int etsmgr_set_insert(struct etsmgr_set *set, const void *key,
		      size_t key_len, const void *value, size_t value_len)
{
	struct place p;
	bool dirty;
	uint64_t hash;
	int ret;

	ret = check_write(set, key, key_len);
	if (ret)
		return ret;
	if (!value && value_len)
		return -EINVAL;
	if (value_len > set->value_max)
		return -E2BIG;
	hash = hash_bytes(set->seed, key, key_len);
	ret = lock_set(set, &dirty);
	if (ret)
		return ret;
	ret = locate(set, hash, key, key_len, &p);
	if (!ret)
		ret = publish(set, &p, hash, key, key_len, value, value_len);
	unlock_set(set);
	return ret;
}

int etsmgr_set_delete(struct etsmgr_set *set, const void *key,
		      size_t key_len)
{
	struct place p;
	bool dirty;
	uint64_t hash;
	int ret;

	ret = check_write(set, key, key_len);
	if (ret)
		return ret;
	hash = hash_bytes(set->seed, key, key_len);
	ret = lock_set(set, &dirty);
	if (ret)
		return ret;
	ret = locate(set, hash, key, key_len, &p);
	if (!ret && !p.found)
		ret = -ENOENT;
	if (!ret) {
		/* Unlinking is the one store that deletes. */
		STORE_REL(p.pred, LOAD(&p.found->next));
		retire(set, p.found);
		STORE(&set->hdr->count, LOAD(&set->hdr->count) - 1);
	}
	unlock_set(set);
	return ret;
}

int etsmgr_set_update_counter(struct etsmgr_set *set, const void *key,
			      size_t key_len, int64_t increment,
			      const int64_t *initial, int64_t *result)
{
	uint64_t hash, value = 0;
	struct place p;
	bool dirty;
	int ret;

	ret = check_write(set, key, key_len);
	if (ret)
		return ret;
	if (set->value_max < sizeof(value))
		return -E2BIG;
	hash = hash_bytes(set->seed, key, key_len);
	ret = lock_set(set, &dirty);
	if (ret)
		return ret;
	ret = locate(set, hash, key, key_len, &p);
	if (ret)
		goto out;
	if (p.found) {
		uint64_t *counter = value_words(set, p.found);

		if (LOAD(&p.found->value_len) != sizeof(value)) {
			ret = -EINVAL;
			goto out;
		}
		/* One aligned 8-byte store: whole for readers and crashes. */
		value = LOAD(counter) + (uint64_t)increment;
		STORE_REL(counter, value);
	} else if (initial) {
		value = (uint64_t)*initial + (uint64_t)increment;
		ret = publish(set, &p, hash, key, key_len, &value,
			      sizeof(value));
	} else {
		ret = -ENOENT;
	}
	if (!ret && result)
		*result = (int64_t)value;
out:
	unlock_set(set);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Readers                                                             */
/* ------------------------------------------------------------------ */

/*
 * A reader found a link naming a dead incarnation, or walked too far. If
 * a slot was freed since @retirements was read, start again (a writer
 * made progress, so this terminates); otherwise the region is corrupt.
 */
static int reader_restart(const struct etsmgr_set *s, uint64_t retirements)
{
	FENCE_ACQ();
	return LOAD(&s->hdr->retirements) != retirements ? 0 : -EUCLEAN;
}

int etsmgr_set_lookup(const struct etsmgr_set *set, const void *key,
		      size_t key_len, void *value, size_t value_size,
		      size_t *value_len)
{
	const uint64_t *head;
	uint64_t hash;
	int ret;

	ret = check_key(set, key, key_len);
	if (ret)
		return ret;
	if (!value)
		value_size = 0;
	hash = hash_bytes(set->seed, key, key_len);
	head = &set->buckets[hash & (set->nbuckets - 1)];
restart:;
	uint64_t retirements = LOAD_ACQ(&set->hdr->retirements);
	uint64_t link = LOAD_ACQ(head);

	for (uint32_t steps = 0; link; steps++) {
		struct slot *sl = link_slot(set, link);
		uint64_t word, next, slot_hash;
		uint32_t slot_key_len, slot_value_len;
		int cmp;

		if (!sl || steps >= set->nslots)
			goto inconsistent;
		word = LOAD_ACQ(&sl->word);
		if (!link_names(link, word))
			goto inconsistent;
		next = LOAD(&sl->next);
		slot_hash = LOAD(&sl->hash);
		slot_key_len = LOAD(&sl->key_len);
		slot_value_len = LOAD(&sl->value_len);
		cmp = order(hash, key_len, slot_hash, slot_key_len);
		if (!cmp)	/* slot_key_len == key_len <= key_max */
			cmp = -compare_out(sl->data, key, key_len);
		if (!cmp && value_size) {
			size_t n = slot_value_len;

			if (n > value_size)
				n = value_size;
			if (n > set->value_max)
				n = set->value_max;
			copy_out(value, value_words(set, sl), n);
		}
		FENCE_ACQ();
		if (LOAD(&sl->word) != word)
			goto inconsistent;
		/* What was read above is one record, consistent. */
		if (slot_value_len > set->value_max)
			return -EUCLEAN;
		if (!cmp) {
			if (value_len)
				*value_len = slot_value_len;
			return slot_value_len > value_size && value ?
				-ENOBUFS : 0;
		}
		if (cmp < 0)
			break;
		link = next;
	}
	return -ENOENT;
inconsistent:
	ret = reader_restart(set, retirements);
	if (!ret)
		goto restart;
	return ret;
}

/* A walk of one bucket by etsmgr_set_foreach(). */
struct walk {
	unsigned char *key;
	unsigned char *value;
	unsigned char *last;	/* the last key passed to the callback */
	uint64_t last_hash;
	size_t last_len;
	bool have_last;
};

/* Order of a copied key against the last one passed on. */
static int after_last(const struct walk *w, uint64_t hash, size_t len)
{
	int cmp;

	if (!w->have_last)
		return 1;
	cmp = order(hash, len, w->last_hash, w->last_len);
	return cmp ? cmp : memcmp(w->key, w->last, len);
}

/*
 * Pass every record of @bucket to @fn, in chain order. After a restart,
 * records up to the last one passed on are skipped: the chain is sorted,
 * so each key is passed at most once.
 */
static int walk_bucket(const struct etsmgr_set *s, uint32_t bucket,
		       struct walk *w, etsmgr_set_fn fn, void *arg)
{
	uint64_t retirements, link;
	int ret;

	w->have_last = false;
restart:
	retirements = LOAD_ACQ(&s->hdr->retirements);
	link = LOAD_ACQ(&s->buckets[bucket]);
	for (uint32_t steps = 0; link; steps++) {
		struct slot *sl = link_slot(s, link);
		uint32_t key_len, value_len;
		uint64_t word, next, hash;

		if (!sl || steps >= s->nslots)
			goto inconsistent;
		word = LOAD_ACQ(&sl->word);
		if (!link_names(link, word))
			goto inconsistent;
		next = LOAD(&sl->next);
		hash = LOAD(&sl->hash);
		key_len = LOAD(&sl->key_len);
		value_len = LOAD(&sl->value_len);
		copy_out(w->key, sl->data,
			 key_len < s->key_max ? key_len : s->key_max);
		copy_out(w->value, value_words(s, sl),
			 value_len < s->value_max ? value_len : s->value_max);
		FENCE_ACQ();
		if (LOAD(&sl->word) != word)
			goto inconsistent;
		if (key_len > s->key_max || value_len > s->value_max)
			return -EUCLEAN;
		if (after_last(w, hash, key_len) > 0) {
			memcpy(w->last, w->key, key_len);
			w->last_hash = hash;
			w->last_len = key_len;
			w->have_last = true;
			ret = fn(w->key, key_len, w->value, value_len, arg);
			if (ret)
				return ret;
		}
		link = next;
	}
	return 0;
inconsistent:
	ret = reader_restart(s, retirements);
	if (!ret)
		goto restart;
	return ret;
}

int etsmgr_set_foreach(const struct etsmgr_set *set, etsmgr_set_fn fn,
		       void *arg)
{
	struct walk w = { 0 };
	size_t key_bytes, value_bytes;
	int ret = 0;

	if (!set || !fn)
		return -EINVAL;
	key_bytes = round8(set->key_max);
	value_bytes = round8(set->value_max);
	w.key = malloc(2 * key_bytes + value_bytes);
	if (!w.key)
		return -ENOMEM;
	w.last = w.key + key_bytes;
	w.value = w.last + key_bytes;
	for (uint32_t b = 0; b < set->nbuckets && !ret; b++)
		ret = walk_bucket(set, b, &w, fn, arg);
	free(w.key);
	return ret;
}

uint64_t etsmgr_set_count(const struct etsmgr_set *set)
{
	return set ? LOAD(&set->hdr->count) : 0;
}

int etsmgr_set_info(const struct etsmgr_set *set,
		    struct etsmgr_set_info *info)
{
	if (!set || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->capacity = set->capacity;
	info->key_max = set->key_max;
	info->value_max = set->value_max;
	info->count = LOAD(&set->hdr->count);
	info->region_size = (uint64_t)(set->slots - set->base) +
			    (uint64_t)set->nslots * set->slot_size;
	info->recoveries = LOAD(&set->hdr->recoveries);
	info->retirements = LOAD(&set->hdr->retirements);
	return 0;
}
