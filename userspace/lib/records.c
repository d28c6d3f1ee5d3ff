// SPDX-License-Identifier: GPL-2.0
/*
 * libetsmgr records: an ETS-like set inside one memory region, crash
 * consistent, readable without a lock, counters updated without one. See
 * etsmgr_records.h for the API.
 *
 * Layout version 2 (native endian, every offset a multiple of 8):
 *
 *   0     header (256 bytes): geometry and ABI (immutable after format,
 *         under a checksum), mutable counters, and at 128 the writers'
 *         lock in a cache line of its own;
 *   256   buckets: nbuckets 64-bit links (a power of two >= capacity);
 *   ...   slots (64-byte aligned start): nslots = capacity + spares slots
 *         of slot_size bytes (a multiple of 64: a cache line or more, so
 *         that counters of different keys never share one): a 48-byte
 *         slot header, the key (key_max bytes rounded up to 8), the value
 *         (value_max rounded up to 8). An 8-byte value (a counter) lives
 *         in the slot header's `counter`, beside `word`, so that one
 *         16-byte compare-and-swap covers both.
 *
 * A slot's `word` counts its changes in bits 0..62: even while the slot
 * is free, odd while it holds a record; each change adds one. Bit 63
 * (FROZEN) is set by a writer about to delete or replace the record: it
 * stops lock-free adds. The odd count names one incarnation of the slot,
 * whose key and value never change, except a counter's value, which only
 * changes by compare-and-swap of {word, counter}. A link is
 * (slot index + 1) << 39 | the low 39 bits of that count: it names an
 * incarnation, not just a slot, so a reader or adder holding a stale link
 * notices that the slot was freed or reused. ABA margin: a slot's count
 * goes up by 2 per reuse, so a stale link is mistaken for a live one only
 * after 2^38 reuses of that very slot while one reader sleeps on it
 * (adders compare all 63 bits). Link 0 ends a chain.
 *
 * Each bucket heads a singly linked chain of records sorted by (hash, key
 * length, key bytes). Free slots form a FIFO list through their `next`
 * field (slot index + 1, 0 ends), from header.free_head to
 * header.free_tail: a freed slot is reused only after every other free
 * slot, and there are spares (capacity / 16, 4 to 4096), so a reader still
 * copying a record that was just replaced is rarely hit by its reuse.
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
 *   I4  Writers that link or unlink hold the lock. What a killed writer
 *       can leave: one slot that is neither linked nor on the free list
 *       (taken for a record not yet linked, or unlinked and not yet
 *       freed), one reachable record left FROZEN, and a count off by one.
 *       Recovery (when the lock is taken over from a dead holder, and
 *       while the lock's `dirty` says a recovery has not finished)
 *       rebuilds the free list from the slots that are unreachable,
 *       unfreezes and recounts. It changes nothing else reachable, is
 *       idempotent, and may itself be killed and rerun.
 *   I5  A record is frozen before it is unlinked or replaced, and a
 *       counter's value changes only by a compare-and-swap that expects
 *       the unfrozen word: no add lands on a record once it is frozen, so
 *       none is lost by a replacement or a delete.
 *
 * Readers never lock and only load (atomically, word by word), so they
 * work on a read-only mapping and never fault on a torn record. A reader
 * follows a link, loads the slot's word (acquire), copies what it needs,
 * issues an acquire fence and loads the word again: if both words name
 * the link's incarnation (FROZEN aside), the copy is that record (a
 * seqlock whose write side is I3). Otherwise the slot was freed under it:
 * I3 means header.retirements moved, and the reader starts the bucket
 * again, at most ETSMGR_SET_READ_RETRIES times (-EAGAIN). If retirements
 * did not move, the memory is corrupt: -EUCLEAN, never a loop. Walks are
 * bounded by the slot count for the same reason.
 *
 * update_counter on an existing key finds it as a reader does and adds
 * by compare-and-swap of {word, counter}: the CAS succeeds only while the
 * slot still holds that incarnation, unfrozen (words only grow, so equal
 * means unchanged since the key was compared). A frozen record sends the
 * adder to the lock, where it waits for the writer (or recovers after a
 * dead one) and finds the key again. A counter handle keeps the slot and
 * the word: one CAS per add, -ESTALE once the word moved.
 * update_counter also keeps, per thread, the last counter it updated by
 * key (a private copy of the key, the slot and the word): the same key
 * again is one CAS without a walk, as if through a handle.
 *
 * The region holds no pointer and nothing the library follows without a
 * range check: a hostile writer of the region corrupts records, never the
 * processes using them. Every loop is bounded (slot count, read retries,
 * the lock's timeout, CAS retries).
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "etsmgr_records.h"

#ifdef ETSMGR_SET_TEST_HOOKS
#include "records_hooks.h"

void (*etsmgr_set_test_hook)(enum etsmgr_set_point point);

#define TEST_POINT(p)							\
	do {								\
		if (etsmgr_set_test_hook)				\
			etsmgr_set_test_hook(ETSMGR_SET_POINT_##p);	\
	} while (0)
#else
#define TEST_POINT(p)	do { } while (0)
#endif

#if !defined(__x86_64__) && \
	!(defined(__aarch64__) && defined(__ARM_FEATURE_ATOMICS))
#error "the record set needs a 16-byte compare-and-swap: x86-64, or arm64 with LSE (-march=armv8.1-a)"
#endif

#define SET_MAGIC	0x3254455352474d45ull	/* "EMGRSET2", little endian */
#define SET_MAGIC_V1	0x3154455352474d45ull	/* "EMGRSET1": pthread mutex */
#define HEADER_SIZE	256u
#define SLOT_HEADER	48u

/*
 * What the layout depends on besides the version, recorded in the header:
 * 64-bit words, 16-byte compare-and-swap of {word, counter} by every
 * writer, and the lock protocol of this file (tid | LOCK_WAITERS in a
 * futex word, the holder's identity beside it). Byte order is the magic's.
 */
#define ABI_WORD64	0x1u
#define ABI_CAS16	0x2u
#define ABI_FUTEX_LOCK	0x4u
#define SET_ABI		(ABI_WORD64 | ABI_CAS16 | ABI_FUTEX_LOCK)

#define FROZEN		(1ull << 63)
#define INC_BITS	39
#define INC_MASK	((1ull << INC_BITS) - 1)

#define LOCK_WAITERS	0x80000000u
#define LOCK_TID_MASK	0x3fffffffu

/* Bounds of the loops a hostile writer could otherwise keep spinning. */
#define CAS_RETRIES	(1u << 20)
#define LOCKFREE_TRIES	4u
#define LOCK_SPINS	128u
#define LOCK_NAP_NS	10000000l	/* a futex wait between checks */

/* The writers' lock: only data, checked before use. */
struct set_lock {
	uint32_t word;		/* 0, or holder's tid | LOCK_WAITERS */
	uint32_t holder_tid;	/* identity of the holder, stored after */
	uint32_t holder_tgid;	/*  it took the word */
	uint32_t dirty;		/* a recovery is due */
	uint64_t holder_pidns;	/* inode of its PID namespace, or 0 */
	uint64_t holder_start;	/* its start time (clock ticks), or 0 */
	unsigned char pad[32];
};

_Static_assert(sizeof(struct set_lock) == 64, "lock size");

/* The region's header; offsets are part of the layout version. */
struct set_header {
	/* Written last by format (release); checked first by open. */
	uint64_t magic;
	/* Geometry and ABI: immutable after format, under @checksum. */
	uint32_t version;
	uint32_t header_size;
	uint32_t abi;		/* SET_ABI */
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
	/* Mutable: under the lock; count and retirements read lock-free. */
	uint64_t count;
	uint64_t retirements;
	uint64_t free_head;
	uint64_t free_tail;
	uint64_t recoveries;
	struct set_lock lock;	/* at 128: a cache line of its own */
	unsigned char reserved[64];
};

_Static_assert(sizeof(struct set_header) == HEADER_SIZE, "header size");
_Static_assert(offsetof(struct set_header, lock) == 128, "lock offset");

/* The header of every slot; the key then the value follow in data[]. */
struct slot {
	uint64_t word;		/* count | FROZEN: even free, odd live */
	uint64_t counter;	/* an 8-byte value; CAS with @word */
	uint64_t next;		/* live: link; free: next free slot + 1 */
	uint64_t hash;
	uint32_t key_len;
	uint32_t value_len;
	uint32_t mark;		/* recovery: reachable */
	uint32_t __pad;
	uint64_t data[];
};

_Static_assert(sizeof(struct slot) == SLOT_HEADER, "slot header size");
_Static_assert(offsetof(struct slot, counter) == 8, "counter beside word");

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
	uint64_t serial;	/* unique to this handle in the process */
	bool readonly;
};

static uint64_t handle_serial;

/*
 * The counter each thread last updated by key: a private copy of the key
 * and where its record was. update_counter on the same key again is then
 * a compare of private memory and one CAS, which fails (and drops the
 * entry) once the record is frozen, freed or reused: the incarnation in
 * the CAS is what makes the copy safe. Keyed by the handle's serial, not
 * its address: a closed handle's address may be reused.
 */
#define HOT_KEY_MAX	32u

struct hot_counter {
	uint64_t serial;	/* 0: empty */
	uint64_t *cell;
	uint64_t word;
	uint64_t last;
	size_t key_len;
	unsigned char key[HOT_KEY_MAX];
};

static __thread struct hot_counter hot;

/* What a counter handle holds (struct etsmgr_counter_ref is its size). */
struct counter_ref {
	const struct etsmgr_set *set;
	uint64_t *cell;		/* the slot's {word, counter} */
	uint64_t word;		/* the incarnation it counts */
	uint64_t last;		/* the value last seen: the CAS's guess */
};

_Static_assert(sizeof(struct counter_ref) <= sizeof(struct etsmgr_counter_ref),
	       "counter handle size");

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

/* A writer's store to the region: a crash point of the test build. */
#define WSTORE(p, v)		do { TEST_POINT(STORE); STORE(p, v); } while (0)
#define WSTORE_REL(p, v)	do { TEST_POINT(STORE); STORE_REL(p, v); } while (0)

static inline uint64_t round8(uint64_t n)
{
	return (n + 7) & ~7ull;
}

/* ------------------------------------------------------------------ */
/* 16-byte compare-and-swap, inline                                    */
/* ------------------------------------------------------------------ */

/*
 * If the 16 bytes at @p (16-byte aligned) are {*@lo, *@hi}, store
 * {@new_lo, @new_hi} and return true; else load them into *@lo, *@hi and
 * return false. A full barrier. Inline: libatomic's fallback for 16-byte
 * atomics is a lock private to the process, useless in shared memory.
 */
static inline bool cas16(uint64_t *p, uint64_t *lo, uint64_t *hi,
			 uint64_t new_lo, uint64_t new_hi)
{
#if defined(__x86_64__)
	bool ok;

	__asm__ __volatile__("lock cmpxchg16b %1"
			     : "=@ccz"(ok), "+m"(*(unsigned __int128 *)p),
			       "+a"(*lo), "+d"(*hi)
			     : "b"(new_lo), "c"(new_hi)
			     : "memory");
	return ok;
#else
	register uint64_t x0 __asm__("x0") = *lo;
	register uint64_t x1 __asm__("x1") = *hi;
	register uint64_t x2 __asm__("x2") = new_lo;
	register uint64_t x3 __asm__("x3") = new_hi;
	uint64_t old_lo = *lo, old_hi = *hi;

	__asm__ __volatile__("caspal %0, %1, %2, %3, %4"
			     : "+r"(x0), "+r"(x1)
			     : "r"(x2), "r"(x3), "Q"(*(unsigned __int128 *)p)
			     : "memory");
	*lo = x0;
	*hi = x1;
	return x0 == old_lo && x1 == old_hi;
#endif
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * Asked once per process: cpuid traps to the hypervisor in a guest (some
 * microseconds), and the answer never changes. Threads that race store
 * the same value.
 */
static bool cpu_has_cas16(void)
{
#if defined(__x86_64__)
	static int known = -1;	/* -1 not asked yet, else 0 or 1 */
	unsigned int eax, ebx, ecx, edx;
	int has = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (has < 0) {
		has = __get_cpuid(1, &eax, &ebx, &ecx, &edx) &&
		      (ecx & bit_CMPXCHG16B);
		__atomic_store_n(&known, has, __ATOMIC_RELAXED);
	}
	return has;
#else
	return true;	/* compiled for LSE */
#endif
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

/*
 * Keys are hashed and ordered a 64-bit word at a time, as they are stored
 * (copy_in(): the last word zero-padded), so that the hot path never
 * calls memcmp() or loops over bytes.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BYTE_SHIFT(j)	(8 * (j))
#else
#define BYTE_SHIFT(j)	(56 - 8 * (j))
#endif

/* The bits of a word that hold its first @n (1..8) bytes. */
static inline uint64_t tail_mask(size_t n)
{
	if (n >= 8)
		return ~0ull;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (1ull << (8 * n)) - 1;
#else
	return ~0ull << (64 - 8 * n);
#endif
}

/* Word @i of the @len bytes at @p, as copy_in() stores it. */
static inline uint64_t byte_word(const unsigned char *p, size_t len,
				 size_t i)
{
	size_t left = len - 8 * i;
	uint64_t w = 0;

	if (left >= 8) {
		memcpy(&w, p + 8 * i, 8);
		return w;
	}
	for (size_t j = 0; j < left; j++)
		w |= (uint64_t)p[8 * i + j] << BYTE_SHIFT(j);
	return w;
}

/* Word @i of a stored key of @len bytes, its padding masked off. */
static inline uint64_t stored_word(const uint64_t *words, size_t len,
				   size_t i)
{
	uint64_t w = LOAD(&words[i]);
	size_t left = len - 8 * i;

	return left >= 8 ? w : w & tail_mask(left);
}

static inline uint64_t hash_start(uint64_t seed, size_t len)
{
	return mix64(seed + len);
}

static inline uint64_t hash_feed(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t hash_bytes(uint64_t seed, const void *data, size_t len)
{
	uint64_t h = hash_start(seed, len);

	for (size_t i = 0; 8 * i < len; i++)
		h = hash_feed(h, byte_word(data, len, i));
	return mix64(h);
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

static inline uint64_t *slot_value(const struct etsmgr_set *s,
				   struct slot *sl, uint32_t value_len)
{
	return value_len == sizeof(uint64_t) ? &sl->counter :
					       value_words(s, sl);
}

static inline uint64_t link_of(uint32_t index, uint64_t word)
{
	return (uint64_t)(index + 1) << INC_BITS | (word & INC_MASK);
}

/* The slot a link points to, or NULL when it is out of range. */
static inline struct slot *link_slot(const struct etsmgr_set *s,
				     uint64_t link)
{
	uint64_t index = (link >> INC_BITS) - 1;

	return index < s->nslots ? slot_at(s, (uint32_t)index) : NULL;
}

static inline uint32_t slot_index(const struct etsmgr_set *s,
				  const struct slot *sl)
{
	return (uint32_t)((size_t)((const unsigned char *)sl - s->slots) /
			  s->slot_size);
}

/* Does @word belong to the live incarnation @link names (FROZEN aside)? */
static inline bool link_names(uint64_t link, uint64_t word)
{
	return (word & 1) && (word & INC_MASK) == (link & INC_MASK);
}

/* The same incarnation, frozen or not. */
static inline bool same_incarnation(uint64_t a, uint64_t b)
{
	return !((a ^ b) & ~FROZEN);
}

/* Store @len bytes as whole words, the last one zero-padded. */
static void copy_in(uint64_t *dst, const void *src, size_t len)
{
	const unsigned char *p = src;

	for (size_t i = 0; len; i++) {
		size_t n = len < 8 ? len : 8;
		uint64_t w = 0;

		memcpy(&w, p, n);
		WSTORE(&dst[i], w);
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

static inline int compare_word(uint64_t a, uint64_t b)
{
	return a == b ? 0 : a < b ? -1 : 1;
}

/* A key of @len bytes as it is read: stored in words, or plain bytes. */
struct key_view {
	const void *p;
	bool stored;
};

static inline uint64_t key_view_word(struct key_view k, size_t len, size_t i)
{
	return k.stored ? stored_word(k.p, len, i) : byte_word(k.p, len, i);
}

/*
 * The key order within a hash (a total order, nothing more): word by
 * word as unsigned integers, however each side is held. Inlined with
 * constant views, so each caller gets the loop of its own pair.
 */
static inline int compare_keys(struct key_view a, struct key_view b,
			       size_t len)
{
	for (size_t i = 0; 8 * i < len; i++) {
		int cmp = compare_word(key_view_word(a, len, i),
				       key_view_word(b, len, i));

		if (cmp)
			return cmp;
	}
	return 0;
}

/* A stored key against plain bytes... */
static int compare_out(const uint64_t *words, const void *bytes, size_t len)
{
	return compare_keys((struct key_view){ words, true },
			    (struct key_view){ bytes, false }, len);
}

/* ...two stored keys... */
static int compare_words(const uint64_t *a, const uint64_t *b, size_t len)
{
	return compare_keys((struct key_view){ a, true },
			    (struct key_view){ b, true }, len);
}

/* ...and two keys copied out as bytes. */
static int compare_bytes(const void *a, const void *b, size_t len)
{
	return compare_keys((struct key_view){ a, false },
			    (struct key_view){ b, false }, len);
}

/* hash_bytes() of @len bytes held in words. */
static uint64_t hash_words(uint64_t seed, const uint64_t *words, size_t len)
{
	uint64_t h = hash_start(seed, len);

	for (size_t i = 0; 8 * i < len; i++)
		h = hash_feed(h, stored_word(words, len, i));
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
	uint32_t spares = capacity / 16;

	while (buckets < capacity)
		buckets <<= 1;
	/* Replacing never fails; reuse rarely hits a reader (FIFO). */
	if (spares < 4)
		spares = 4;
	if (spares > 4096)
		spares = 4096;
	g->capacity = capacity;
	g->nslots = capacity + spares;
	g->nbuckets = (uint32_t)buckets;
	g->key_max = key_max;
	g->value_max = value_max;
	g->slot_size = (uint32_t)((SLOT_HEADER + round8(key_max) +
				   round8(value_max) + 63) & ~63ull);
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

	if (!base || ((uintptr_t)base & 15) || size < HEADER_SIZE)
		return -EINVAL;
	magic = LOAD_ACQ(&live->magic);
	/* The other byte order, or version 1 (a pthread mutex inside). */
	if (magic == __builtin_bswap64(SET_MAGIC) || magic == SET_MAGIC_V1 ||
	    magic == __builtin_bswap64(SET_MAGIC_V1))
		return -EPROTO;
	if (magic != SET_MAGIC)
		return -ENODATA;
	/* The geometry is immutable: a plain copy is enough. */
	memcpy(&hdr, live, offsetof(struct set_header, count));
	if (hdr.version != ETSMGR_SET_VERSION ||
	    hdr.header_size != HEADER_SIZE || hdr.abi != SET_ABI)
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

int etsmgr_set_format(void *base, size_t size, uint32_t capacity,
		      uint32_t key_max, uint32_t value_max, unsigned int flags)
{
	struct set_header *hdr = base;
	unsigned char *slots;
	struct geometry g;
	uint64_t seed;
	int ret;

	if (!base || ((uintptr_t)base & 15) || (flags & ~ETSMGR_SET_FORCE))
		return -EINVAL;
	if (!cpu_has_cas16())
		return -EOPNOTSUPP;
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
	hdr->version = ETSMGR_SET_VERSION;
	hdr->header_size = HEADER_SIZE;
	hdr->abi = SET_ABI;
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
	/* Every slot free, the free list in index order; all unfrozen. */
	slots = (unsigned char *)base + g.slots_offset;
	for (uint32_t i = 0; i < g.nslots; i++) {
		struct slot *sl = (struct slot *)(slots +
						  (size_t)i * g.slot_size);

		memset(sl, 0, SLOT_HEADER);
		sl->next = i + 1 < g.nslots ? i + 2 : 0;
	}
	hdr->free_head = 1;
	hdr->free_tail = g.nslots;
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
	if (!cpu_has_cas16())
		return -EOPNOTSUPP;
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
	s->serial = __atomic_add_fetch(&handle_serial, 1, __ATOMIC_RELAXED);
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
/* The writers' lock                                                   */
/* ------------------------------------------------------------------ */

/* Who this thread is, as a holder of the lock records it. */
struct self_id {
	uint32_t tid;
	uint32_t tgid;
	uint64_t pidns;
	uint64_t start;
	unsigned int generation;	/* of fork_generation */
};

static __thread struct self_id self;
static unsigned int fork_generation = 1;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void forked(void)
{
	__atomic_add_fetch(&fork_generation, 1, __ATOMIC_RELAXED);
}

static void watch_forks(void)
{
	pthread_atfork(NULL, NULL, forked);
}

/*
 * Fields of /proc/@path/stat: the state (field 3) and the start time
 * (field 22). 0, -ENOENT (no such task), or another error (no /proc).
 */
static int task_stat(const char *path, char *state, uint64_t *start)
{
	char buf[512], *p;
	ssize_t n;
	int fd, field;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n ? -errno : -ENOENT;	/* empty: the task went */
	buf[n] = 0;
	/* The name may hold anything: fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EINVAL;
	p += 2;
	*state = *p;
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -EINVAL;
	*start = strtoull(p, NULL, 10);
	return 0;
}

static const struct self_id *self_identity(void)
{
	unsigned int generation;
	struct stat st;
	char state;

	pthread_once(&fork_once, watch_forks);
	generation = __atomic_load_n(&fork_generation, __ATOMIC_RELAXED);
	/*
	 * atfork handlers do not run in a child of _Fork() or a raw clone():
	 * the pid says whether this is still the process that cached it.
	 */
	if (self.generation == generation && self.tgid == (uint32_t)getpid())
		return &self;
	self.tid = (uint32_t)syscall(SYS_gettid);
	self.tgid = (uint32_t)getpid();
	self.pidns = stat("/proc/self/ns/pid", &st) ? 0 : (uint64_t)st.st_ino;
	if (task_stat("/proc/thread-self/stat", &state, &self.start))
		self.start = 0;
	self.generation = generation;
	return &self;
}

/*
 * Is the holder of lock word @word gone? Only a holder known to be of
 * this PID namespace is judged: a thread of its id that is missing, a
 * zombie, or that started later than the holder recorded. A holder that
 * cannot be judged is taken as alive (the caller's timeout bounds it).
 */
static bool holder_gone(const struct set_lock *lock, uint32_t word,
			const struct self_id *me)
{
	uint32_t tid = word & LOCK_TID_MASK;
	uint32_t holder_tid = LOAD(&lock->holder_tid);
	uint64_t pidns = LOAD(&lock->holder_pidns);
	uint64_t start = LOAD(&lock->holder_start);
	char path[64], state;
	uint64_t now_start;
	int ret;

	FENCE_ACQ();
	if (LOAD(&lock->word) != word || !tid)
		return false;	/* changed hands: look again */
	/* The identity is the holder's once it wrote it; else only the tid. */
	if (holder_tid == tid) {
		if (pidns && me->pidns && pidns != me->pidns)
			return false;
	} else {
		start = 0;
	}
	snprintf(path, sizeof(path), "/proc/%u/stat", tid);
	ret = task_stat(path, &state, &now_start);
	if (ret == -ENOENT || ret == -ESRCH) {
		/* Without /proc, no task means nothing: ask the kernel. */
		if (!me->start && task_stat("/proc/self/stat", &state,
					    &now_start))
			return kill((pid_t)tid, 0) && errno == ESRCH;
		return true;
	}
	if (ret)
		return kill((pid_t)tid, 0) && errno == ESRCH;
	if (state == 'Z' || state == 'X')
		return true;
	return start && now_start != start;
}

static long futex(uint32_t *word, int op, uint32_t value,
		  const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool lock_cas(uint32_t *word, uint32_t expected, uint32_t desired)
{
	TEST_POINT(STORE);
	return __atomic_compare_exchange_n(word, &expected, desired, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * The lock was held: spin a little, then sleep on the futex in naps,
 * taking the lock over when its holder is gone (recovery due), giving up
 * after ETSMGR_SET_LOCK_TIMEOUT_MS. A sleeper takes the lock with
 * LOCK_WAITERS set, as other sleepers may remain.
 */
static int lock_slow(struct set_lock *lock, uint32_t mine)
{
	const struct self_id *me = self_identity();
	uint64_t deadline = 0;
	uint32_t waiters = 0;

	for (uint32_t spins = 0;; spins++) {
		uint32_t word = LOAD(&lock->word);
		struct timespec nap = { 0, LOCK_NAP_NS };
		uint64_t now;

		if (!word) {
			if (lock_cas(&lock->word, 0, mine | waiters))
				return 0;
			continue;
		}
		if (spins < LOCK_SPINS) {
			cpu_relax();
			continue;
		}
		if (holder_gone(lock, word, me)) {
			if (lock_cas(&lock->word, word, mine | LOCK_WAITERS)) {
				WSTORE(&lock->dirty, 1);
				return 0;
			}
			continue;
		}
		now = now_ns();
		if (!deadline)
			deadline = now + ETSMGR_SET_LOCK_TIMEOUT_MS * 1000000ull;
		if (now >= deadline)
			return -ETIMEDOUT;
		if (!(word & LOCK_WAITERS)) {
			if (!lock_cas(&lock->word, word, word | LOCK_WAITERS))
				continue;
			word |= LOCK_WAITERS;
		}
		if (deadline - now < (uint64_t)nap.tv_nsec)
			nap.tv_nsec = (long)(deadline - now);
		futex(&lock->word, FUTEX_WAIT, word, &nap);
		waiters = LOCK_WAITERS;
	}
}

/* Check one reachable record, under the lock. */
static int check_record(const struct etsmgr_set *s, struct slot *sl,
			uint32_t bucket, struct slot *prev)
{
	uint32_t key_len = LOAD(&sl->key_len);
	uint64_t hash = LOAD(&sl->hash);
	int cmp;

	if (LOAD(&sl->mark) || key_len > s->key_max ||
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
	WSTORE(&sl->mark, 1);
	return 0;
}

/*
 * Free @sl, unreachable: bump retirements, make the word even (unfrozen),
 * and append the slot to the free list (I3). A free list found broken
 * (only a hostile writer does that) is left to the next recovery.
 */
static void retire(struct etsmgr_set *s, struct slot *sl)
{
	struct set_header *hdr = s->hdr;
	uint64_t word = LOAD(&sl->word);
	uint64_t index = (uint64_t)slot_index(s, sl) + 1;
	uint64_t tail = LOAD(&hdr->free_tail);

	WSTORE(&hdr->retirements, LOAD(&hdr->retirements) + 1);
	FENCE_REL();
	if (word & 1)
		WSTORE(&sl->word, ((word & ~FROZEN) + 1) & ~FROZEN);
	FENCE_REL();	/* readers see the word change before new bytes */
	WSTORE(&sl->next, 0);
	if (!tail) {
		WSTORE(&hdr->free_head, index);
	} else if (tail <= s->nslots && !(LOAD(&slot_at(s, (uint32_t)(tail - 1))->word) & 1)) {
		WSTORE(&slot_at(s, (uint32_t)(tail - 1))->next, index);
	} else {
		WSTORE(&hdr->lock.dirty, 1);
		return;
	}
	WSTORE(&hdr->free_tail, index);
}

/*
 * Under the lock: verify every chain (I1), unfreeze what is reachable,
 * free the unreachable slots, rebuild the free list and the count (I4).
 * Nothing reachable changes but FROZEN bits, and nothing but the marks
 * when the structure is found corrupt.
 */
static int recover_locked(struct etsmgr_set *s)
{
	struct set_header *hdr = s->hdr;
	uint64_t live = 0, free_head = 0, free_tail = 0;
	struct slot *last_free = NULL;
	int ret;

	for (uint32_t i = 0; i < s->nslots; i++)
		if (LOAD(&slot_at(s, i)->mark))
			WSTORE(&slot_at(s, i)->mark, 0);
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
	for (uint32_t i = 0; i < s->nslots; i++) {
		struct slot *sl = slot_at(s, i);
		uint64_t word = LOAD(&sl->word);

		if (LOAD(&sl->mark)) {
			/* A delete or replace that did not happen: undo I5. */
			if (word & FROZEN) {
				TEST_POINT(STORE);
				__atomic_fetch_and(&sl->word, ~FROZEN,
						   __ATOMIC_RELEASE);
			}
			continue;
		}
		if (word & 1) {
			/* An orphan of the crash: free it as retire() does. */
			WSTORE(&hdr->retirements, LOAD(&hdr->retirements) + 1);
			FENCE_REL();
			WSTORE(&sl->word, ((word & ~FROZEN) + 1) & ~FROZEN);
			FENCE_REL();
		}
		if (LOAD(&sl->next))
			WSTORE(&sl->next, 0);
		if (last_free)
			WSTORE(&last_free->next, (uint64_t)i + 1);
		else
			free_head = (uint64_t)i + 1;
		last_free = sl;
		free_tail = (uint64_t)i + 1;
	}
	WSTORE(&hdr->free_head, free_head);
	WSTORE(&hdr->free_tail, free_tail);
	WSTORE(&hdr->count, live);
	if (LOAD(&hdr->lock.dirty)) {
		WSTORE(&hdr->recoveries, LOAD(&hdr->recoveries) + 1);
		WSTORE(&hdr->lock.dirty, 0);
	}
	return 0;
}

static void unlock_set(struct etsmgr_set *s)
{
	struct set_lock *lock = &s->hdr->lock;
	uint32_t old;

	TEST_POINT(STORE);
	old = __atomic_exchange_n(&lock->word, 0, __ATOMIC_RELEASE);
	/* Not ours any more: forged, or wrongly taken over. Check it all. */
	if ((old & LOCK_TID_MASK) != (self.tid & LOCK_TID_MASK))
		WSTORE(&lock->dirty, 1);
	if (old & LOCK_WAITERS)
		futex(&lock->word, FUTEX_WAKE, 1, NULL);
}

/*
 * Take the writers' lock and record who holds it. After a dead holder
 * (or while a recovery is due) recover first. *@was_dirty tells whether
 * a recovery was due.
 */
static int lock_set(struct etsmgr_set *s, bool *was_dirty)
{
	struct set_lock *lock = &s->hdr->lock;
	const struct self_id *me = self_identity();
	uint32_t mine = me->tid & LOCK_TID_MASK;
	int ret;

	if (!lock_cas(&lock->word, 0, mine)) {
		ret = lock_slow(lock, mine);
		if (ret)
			return ret;
	}
	WSTORE(&lock->holder_tid, mine);
	WSTORE(&lock->holder_tgid, me->tgid);
	WSTORE(&lock->holder_pidns, me->pidns);
	WSTORE(&lock->holder_start, me->start);
	/*
	 * Order what earlier writers stored (a slot's word made even, I3)
	 * before whatever this one stores, for readers' acquire fences: a
	 * reader that copies bytes this writer put in a freed slot then sees
	 * that slot's word changed.
	 */
	FENCE_REL();
	*was_dirty = LOAD(&lock->dirty);
	if (*was_dirty) {
		ret = recover_locked(s);
		if (ret) {
			unlock_set(s);
			return ret;
		}
	}
	return 0;
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

/* I5: no lock-free add lands on @sl from here on. */
static void freeze(struct slot *sl)
{
	TEST_POINT(STORE);
	__atomic_fetch_or(&sl->word, FROZEN, __ATOMIC_SEQ_CST);
}

/* The head of the free list, or NULL when the list is broken. */
static struct slot *free_slot(const struct etsmgr_set *s)
{
	uint64_t head = LOAD(&s->hdr->free_head);
	struct slot *sl;

	if (!head || head > s->nslots)
		return NULL;
	sl = slot_at(s, (uint32_t)(head - 1));
	return LOAD(&sl->word) & 1 ? NULL : sl;
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
	struct slot *sl;
	uint64_t word, next;
	int ret;

	if (!p->found && LOAD(&hdr->count) >= s->capacity)
		return -ENOSPC;
	sl = free_slot(s);
	if (!sl) {
		/*
		 * Spares keep the list from running dry: only a hostile
		 * writer breaks it. Rebuild it (nothing reachable moves, so
		 * @p stays right) and try once more.
		 */
		WSTORE(&hdr->lock.dirty, 1);
		ret = recover_locked(s);
		if (ret)
			return ret;
		sl = free_slot(s);
		if (!sl)
			return -EUCLEAN;
	}
	word = LOAD(&sl->word);
	/* Take it off the free list: a crash from here leaks it (I4). */
	next = LOAD(&sl->next);
	WSTORE(&hdr->free_head, next);
	if (!next)
		WSTORE(&hdr->free_tail, 0);
	WSTORE(&sl->hash, hash);
	WSTORE(&sl->key_len, (uint32_t)key_len);
	WSTORE(&sl->value_len, (uint32_t)value_len);
	copy_in(sl->data, key, key_len);
	copy_in(slot_value(s, sl, (uint32_t)value_len), value, value_len);
	if (p->found) {
		freeze(p->found);
		WSTORE(&sl->next, LOAD(&p->found->next));
	} else {
		WSTORE(&sl->next, p->link);
	}
	word = (word & ~FROZEN) + 1;
	WSTORE_REL(&sl->word, word);
	/* The one store that makes the operation happen. */
	WSTORE_REL(p->pred, link_of(slot_index(s, sl), word));
	if (p->found)
		retire(s, p->found);
	else
		WSTORE(&hdr->count, LOAD(&hdr->count) + 1);
	return 0;
}

/*
 * Take the writers' lock and find where @key goes (see locate()). On
 * success the lock is held, for the caller to change the set and unlock.
 */
static int lock_and_locate(struct etsmgr_set *s, uint64_t hash,
			   const void *key, size_t key_len, struct place *p)
{
	bool dirty;
	int ret;

	ret = lock_set(s, &dirty);
	if (ret)
		return ret;
	ret = locate(s, hash, key, key_len, p);
	if (ret)
		unlock_set(s);
	return ret;
}

int etsmgr_set_insert(struct etsmgr_set *set, const void *key,
		      size_t key_len, const void *value, size_t value_len)
{
	struct place p;
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
	ret = lock_and_locate(set, hash, key, key_len, &p);
	if (ret)
		return ret;
	ret = publish(set, &p, hash, key, key_len, value, value_len);
	unlock_set(set);
	return ret;
}

int etsmgr_set_delete(struct etsmgr_set *set, const void *key,
		      size_t key_len)
{
	struct place p;
	int ret;

	ret = check_write(set, key, key_len);
	if (ret)
		return ret;
	ret = lock_and_locate(set, hash_bytes(set->seed, key, key_len), key,
			      key_len, &p);
	if (ret)
		return ret;
	if (!p.found) {
		unlock_set(set);
		return -ENOENT;
	}
	freeze(p.found);
	/* Unlinking is the one store that deletes. */
	WSTORE_REL(p.pred, LOAD(&p.found->next));
	retire(set, p.found);
	WSTORE(&set->hdr->count, LOAD(&set->hdr->count) - 1);
	unlock_set(set);
	return 0;
}

/*
 * Add @increment to the counter of the incarnation @word of the slot
 * whose {word, counter} is at @cell, guessing its value is *@value; on
 * success *@value is the new value. -ESTALE once the word is another
 * (frozen, freed, reused), -EAGAIN after CAS_RETRIES lost races.
 */
static int counter_cas(uint64_t *cell, uint64_t word, uint64_t *value,
		       int64_t increment)
{
	uint64_t lo = word, hi = *value;

	for (uint32_t tries = 0; tries < CAS_RETRIES; tries++) {
		TEST_POINT(STORE);
		if (cas16(cell, &lo, &hi, word, hi + (uint64_t)increment)) {
			*value = hi + (uint64_t)increment;
			return 0;
		}
		if (lo != word)
			return -ESTALE;
	}
	return -EAGAIN;
}

/* What a reader found: the record's slot and incarnation. */
struct hit {
	struct slot *slot;
	uint64_t word;
	uint32_t value_len;
	uint64_t counter;	/* the value, when value_len is 8 */
};

static int find_record(const struct etsmgr_set *set, uint64_t hash,
		       const void *key, size_t key_len, void *value,
		       size_t value_size, struct hit *hit, bool for_write);

/*
 * Under the lock: add to the counter p->found (a frozen one is a dead
 * writer's, undone by recovery before: here it is corruption).
 */
static int counter_add_locked(struct slot *sl, int64_t increment,
			      uint64_t *value)
{
	uint64_t word = LOAD(&sl->word);
	int ret;

	if (LOAD(&sl->value_len) != sizeof(uint64_t))
		return -EINVAL;
	if (word & FROZEN)
		return -EUCLEAN;
	*value = LOAD(&sl->counter);
	ret = counter_cas(&sl->word, word, value, increment);
	return ret == -ESTALE ? -EUCLEAN : ret;
}

static void remember_counter(const struct etsmgr_set *set, const void *key,
			     size_t key_len, const struct hit *hit,
			     uint64_t value)
{
	if (key_len > HOT_KEY_MAX)
		return;
	hot.serial = set->serial;
	hot.cell = &hit->slot->word;
	hot.word = hit->word;
	hot.last = value;
	hot.key_len = key_len;
	memcpy(hot.key, key, key_len);
}

int etsmgr_set_update_counter(struct etsmgr_set *set, const void *key,
			      size_t key_len, int64_t increment,
			      const int64_t *initial, int64_t *result)
{
	uint64_t hash, value = 0;
	struct place p;
	struct hit hit;
	int ret;

	ret = check_write(set, key, key_len);
	if (ret)
		return ret;
	if (set->value_max < sizeof(value))
		return -E2BIG;
	if (hot.serial == set->serial && hot.key_len == key_len &&
	    !memcmp(hot.key, key, key_len)) {
		value = hot.last;
		if (!counter_cas(hot.cell, hot.word, &value, increment)) {
			hot.last = value;
			goto done;
		}
		hot.serial = 0;
	}
	hash = hash_bytes(set->seed, key, key_len);
	/* Lock-free while the key exists and is not being replaced. */
	for (uint32_t tries = 0; tries < LOCKFREE_TRIES; tries++) {
		ret = find_record(set, hash, key, key_len, NULL, 0, &hit,
				  true);
		if (ret == -ENOENT && !initial)
			return ret;
		if (ret == -ENOENT)
			break;
		if (ret)
			return ret;
		if (hit.value_len != sizeof(value))
			return -EINVAL;
		if (hit.word & FROZEN)
			break;
		value = hit.counter;
		ret = counter_cas(&hit.slot->word, hit.word, &value, increment);
		if (!ret) {
			remember_counter(set, key, key_len, &hit, value);
			goto done;
		}
		if (ret != -ESTALE)
			return ret;
	}
	ret = lock_and_locate(set, hash, key, key_len, &p);
	if (ret)
		return ret;
	if (p.found) {
		ret = counter_add_locked(p.found, increment, &value);
	} else if (initial) {
		value = (uint64_t)*initial + (uint64_t)increment;
		ret = publish(set, &p, hash, key, key_len, &value,
			      sizeof(value));
	} else {
		ret = -ENOENT;
	}
	unlock_set(set);
	if (ret)
		return ret;
done:
	if (result)
		*result = (int64_t)value;
	return 0;
}

int etsmgr_set_counter_ref(struct etsmgr_set *set, const void *key,
			   size_t key_len, struct etsmgr_counter_ref *ref)
{
	struct counter_ref *r = (struct counter_ref *)ref;
	struct hit hit;
	int ret;

	if (!ref)
		return -EINVAL;
	memset(ref, 0, sizeof(*ref));
	ret = check_write(set, key, key_len);
	if (ret)
		return ret;
	ret = find_record(set, hash_bytes(set->seed, key, key_len), key,
			  key_len, NULL, 0, &hit, false);
	if (ret)
		return ret;
	if (hit.value_len != sizeof(uint64_t))
		return -EINVAL;
	r->set = set;
	r->cell = &hit.slot->word;
	r->word = hit.word & ~FROZEN;
	r->last = hit.counter;
	return 0;
}

int etsmgr_counter_add(struct etsmgr_counter_ref *ref, int64_t increment,
		       int64_t *result)
{
	struct counter_ref *r = (struct counter_ref *)ref;
	int ret;

	if (!r || !r->set || !r->cell)
		return -EINVAL;
	ret = counter_cas(r->cell, r->word, &r->last, increment);
	if (!ret && result)
		*result = (int64_t)r->last;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Readers                                                             */
/* ------------------------------------------------------------------ */

/*
 * A reader found a link naming a dead incarnation, or walked too far. If
 * a slot was freed since @retirements was read, start again (a writer
 * made progress), at most ETSMGR_SET_READ_RETRIES times in a row
 * (-EAGAIN); otherwise the region is corrupt.
 */
static int reader_restart(const struct etsmgr_set *s, uint64_t retirements,
			  uint32_t *restarts)
{
	FENCE_ACQ();
	if (LOAD(&s->hdr->retirements) == retirements)
		return -EUCLEAN;
	return ++*restarts > ETSMGR_SET_READ_RETRIES ? -EAGAIN : 0;
}

/*
 * Find @key as a reader: copy up to @value_size bytes of its value into
 * @value and fill *@hit. 0, -ENOENT, -EUCLEAN, -EAGAIN.
 */
static int find_record(const struct etsmgr_set *set, uint64_t hash,
		       const void *key, size_t key_len, void *value,
		       size_t value_size, struct hit *hit, bool for_write)
{
	const uint64_t *head = &set->buckets[hash & (set->nbuckets - 1)];
	uint32_t restarts = 0;
	int ret;

restart:;
	uint64_t retirements = LOAD_ACQ(&set->hdr->retirements);
	uint64_t link = LOAD_ACQ(head);

	for (uint32_t steps = 0; link; steps++) {
		struct slot *sl = link_slot(set, link);
		uint64_t word, next, slot_hash, counter = 0;
		uint32_t slot_key_len, slot_value_len;
		int cmp;

		if (!sl || steps >= set->nslots)
			goto inconsistent;
		/*
		 * An adder will CAS this line: ask for it exclusive now, so
		 * that a contended counter moves once per add, not twice.
		 */
		if (for_write)
			__builtin_prefetch(sl, 1, 3);
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
		if (!cmp && slot_value_len == sizeof(counter)) {
			counter = LOAD(&sl->counter);
			if (value_size)
				memcpy(value, &counter, value_size < 8 ?
				       value_size : 8);
		} else if (!cmp && value_size) {
			size_t n = slot_value_len;

			if (n > value_size)
				n = value_size;
			if (n > set->value_max)
				n = set->value_max;
			copy_out(value, value_words(set, sl), n);
		}
		TEST_POINT(READ_COPY);
		FENCE_ACQ();
		if (!same_incarnation(LOAD(&sl->word), word))
			goto inconsistent;
		/* What was read above is one record, consistent. */
		if (slot_value_len > set->value_max)
			return -EUCLEAN;
		if (!cmp) {
			hit->slot = sl;
			hit->word = word;
			hit->value_len = slot_value_len;
			hit->counter = counter;
			return 0;
		}
		if (cmp < 0)
			break;
		link = next;
	}
	return -ENOENT;
inconsistent:
	ret = reader_restart(set, retirements, &restarts);
	if (!ret)
		goto restart;
	return ret;
}

int etsmgr_set_lookup(const struct etsmgr_set *set, const void *key,
		      size_t key_len, void *value, size_t value_size,
		      size_t *value_len)
{
	struct hit hit;
	int ret;

	ret = check_key(set, key, key_len);
	if (ret)
		return ret;
	if (!value)
		value_size = 0;
	ret = find_record(set, hash_bytes(set->seed, key, key_len), key,
			  key_len, value, value_size, &hit, false);
	if (ret)
		return ret;
	if (value_len)
		*value_len = hit.value_len;
	return hit.value_len > value_size && value ? -ENOBUFS : 0;
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
	return cmp ? cmp : compare_bytes(w->key, w->last, len);
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
	uint32_t restarts = 0;
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
		copy_out(w->value, slot_value(s, sl, value_len),
			 value_len < s->value_max ? value_len : s->value_max);
		TEST_POINT(READ_COPY);
		FENCE_ACQ();
		if (!same_incarnation(LOAD(&sl->word), word))
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
	ret = reader_restart(s, retirements, &restarts);
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
