/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libetsmgr records: an ETS-like `set` (unique keys) inside one region of
 * memory, typically an etsmgr table mapped MAP_SHARED; any memory works
 * (a memfd in the tests). No kernel module is needed by this layer.
 *
 * Keys and values are byte strings with lengths. The limits (largest key,
 * largest value) and the capacity (number of records) are chosen when the
 * region is formatted and recorded in it.
 *
 * Guarantees:
 *   - Crash consistency: a writer killed at any instruction leaves the set
 *     readable; every operation that returned is visible afterwards, the
 *     one that was in flight is either wholly visible or not at all, and a
 *     half-written record is never visible. The next writer (or
 *     etsmgr_set_recover()) repairs the little a crash can leave behind:
 *     an orphaned slot, a frozen counter and the record count.
 *   - Readers (lookup, foreach, count) take no lock and only load from the
 *     region, so they work through a read-only mapping (PROT_READ) of a
 *     protected table, in other processes, while a writer runs; they never
 *     see a torn record.
 *   - Counters on existing keys are updated without a lock, by one 16-byte
 *     compare-and-swap of the record's incarnation and value
 *     (etsmgr_set_update_counter(), and etsmgr_counter_add() through a
 *     handle). Inserts, replacements and deletes serialise on a lock of
 *     the library's own (below).
 *   - A hostile writer of the region (any process that can write it) may
 *     corrupt the set's records, but never makes a process using the set
 *     crash, hang or store outside the region: the region holds only data
 *     that the library validates (no pointers; the lock is a futex word
 *     with its holder's thread id); every loop is bounded; what cannot be
 *     trusted is reported (-EUCLEAN, -EAGAIN, -ETIMEDOUT).
 *
 * The writers' lock: a futex word in the region holding the holder's
 * thread id, beside the holder's process id, PID namespace and start time
 * (data the library checks, nothing it follows). A writer that finds the
 * lock held waits on the futex; when the holder is gone (no such thread,
 * a zombie, or a thread of that id started later than the holder) it
 * takes the lock over and repairs the set. A holder that cannot be
 * checked (another PID namespace) or that lives but does not let go
 * (stopped, or the word forged) makes the writer give up after
 * ETSMGR_SET_LOCK_TIMEOUT_MS with -ETIMEDOUT. Processes that write one set
 * from different PID namespaces still work; only a dead holder is then
 * noticed by the timeout, not at once.
 *
 * Every function that can fail returns 0 (or a documented non-negative
 * value) on success and a negative errno; the layer never prints. Common
 * errors: -EINVAL (bad argument), -E2BIG (key or value longer than the
 * set's limits), -EROFS (a write through a read-only handle), -EUCLEAN
 * (the region's contents are corrupt: not something a crash can cause),
 * -EAGAIN (a reader saw the record it wanted replaced under it
 * ETSMGR_SET_READ_RETRIES times in a row: try again), -ETIMEDOUT (the
 * writers' lock, above).
 *
 * A handle is immutable once opened: threads may share it. None of these
 * functions is async-signal-safe.
 *
 * Layout version 2 (libetsmgr 0.2). The layout is native-endian, with
 * 64-bit words, 16-byte compare-and-swap (x86-64 cmpxchg16b; arm64 LSE
 * casp) and the lock protocol above; the header records each of these,
 * and a set made under other ones is refused (-EPROTO), as are version 1
 * sets (libetsmgr 0.1: a process-shared pthread mutex in the region):
 * they are not migrated; format the region again (etscounter stop
 * deletes the counter's table; the next start makes a new one).
 */
#ifndef ETSMGR_RECORDS_H
#define ETSMGR_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Upper bounds of the format parameters. */
#define ETSMGR_SET_CAPACITY_LIMIT	(1u << 24)	/* records */
#define ETSMGR_SET_KEY_LIMIT		65536u		/* bytes */
#define ETSMGR_SET_VALUE_LIMIT		(1u << 24)	/* bytes */

/* The layout version etsmgr_set_format() writes. */
#define ETSMGR_SET_VERSION		2u

/* How long a writer waits for a live holder of the lock: -ETIMEDOUT. */
#define ETSMGR_SET_LOCK_TIMEOUT_MS	5000u

/*
 * How many times in a row a reader starts again because the record it
 * was copying was replaced or deleted under it: -EAGAIN.
 */
#define ETSMGR_SET_READ_RETRIES		1000u

/* etsmgr_set_format() flags. */
#define ETSMGR_SET_FORCE	0x1u	/* overwrite a valid set */

/* etsmgr_set_open() flags. */
#define ETSMGR_SET_RDONLY	0x1u	/* read-only handle: loads only */

/* An open set: opaque; it points into the caller's mapping. */
struct etsmgr_set;

/*
 * Bytes of region needed by a set of @capacity records with keys up to
 * @key_max bytes and values up to @value_max bytes, or 0 when a parameter
 * is out of range (capacity 1..ETSMGR_SET_CAPACITY_LIMIT, key_max
 * 1..ETSMGR_SET_KEY_LIMIT, value_max 0..ETSMGR_SET_VALUE_LIMIT). Round it
 * up to pages for a table's size.
 */
uint64_t etsmgr_set_region_size(uint32_t capacity, uint32_t key_max,
				uint32_t value_max);

/*
 * Initialise an empty set in the @size bytes at @base (16-byte aligned,
 * mapped read-write; a mapping is page aligned). @capacity 0 means as many records as fit.
 * Without ETSMGR_SET_FORCE in @flags it writes only where no set exists
 * (etsmgr_set_open() would say -ENODATA): a valid set is -EEXIST, and a
 * set it cannot open is that error (-EPROTO, -EUCLEAN, -ERANGE, as for
 * etsmgr_set_open()), the region untouched; only format a region no other
 * process is using. Errors: -EINVAL (parameters out of range, bad flags,
 * misaligned base), -ENOSPC (the region is too small for the geometry),
 * -EEXIST, -EPROTO, -EUCLEAN, -ERANGE, -EOPNOTSUPP (the CPU has no
 * 16-byte compare-and-swap).
 * A format interrupted by a crash leaves a region that open refuses with
 * -ENODATA: format it again.
 */
int etsmgr_set_format(void *base, size_t size, uint32_t capacity,
		      uint32_t key_max, uint32_t value_max, unsigned int flags);

/*
 * Open the set in the @size bytes mapped at @base and set *@set to a new
 * handle (free it with etsmgr_set_close()). With ETSMGR_SET_RDONLY the
 * handle never stores to the region (so @base may be mapped PROT_READ)
 * and refuses writes with -EROFS. Opening does not lock or repair; the
 * first write, or etsmgr_set_recover(), does. Errors:
 *   -EINVAL   bad argument: NULL, @base not 16-byte aligned, unknown
 *             flags, or @size smaller than a set's header;
 *   -ENODATA  the region holds no set (never formatted, garbage, or a
 *             format that did not complete);
 *   -EPROTO   a set of another layout version (a version 1 set) or ABI
 *             (byte order, word size, compare-and-swap, lock protocol);
 *   -EUCLEAN  the header is corrupt (checksum, inconsistent geometry);
 *   -ERANGE   @size is smaller than the set recorded in the header;
 *   -EOPNOTSUPP  the CPU has no 16-byte compare-and-swap;
 *   -ENOMEM.
 */
int etsmgr_set_open(void *base, size_t size, unsigned int flags,
		    struct etsmgr_set **set);

/* Free the handle (NULL is fine). The region is not touched. */
void etsmgr_set_close(struct etsmgr_set *set);

/*
 * Insert a record, replacing the value of an existing @key (ets:insert/2).
 * Errors: -EROFS, -EINVAL (NULL with a non-zero length), -E2BIG,
 * -ENOSPC (a new key when the set holds capacity records; replacing is
 * always possible), -EUCLEAN, or an error of the writers' lock.
 */
int etsmgr_set_insert(struct etsmgr_set *set, const void *key,
		      size_t key_len, const void *value, size_t value_len);

/*
 * Copy the value of @key into @value (@value_size bytes). *@value_len
 * (unless NULL) receives the value's length. @value may be NULL: then
 * nothing is copied (an existence test). Returns 0, -ENOENT, -ENOBUFS
 * (@value_size is less than the value's length: the first @value_size
 * bytes were copied, *@value_len tells the length), -EINVAL, -E2BIG or
 * -EUCLEAN, -EAGAIN. Lock-free; the value is the one of a single moment.
 */
int etsmgr_set_lookup(const struct etsmgr_set *set, const void *key,
		      size_t key_len, void *value, size_t value_size,
		      size_t *value_len);

/*
 * Delete the record of @key. 0, -ENOENT, -EROFS, -EINVAL, -E2BIG,
 * -EUCLEAN, -ETIMEDOUT. Counter handles on it fail with -ESTALE.
 */
int etsmgr_set_delete(struct etsmgr_set *set, const void *key,
		      size_t key_len);

/*
 * ets:update_counter/4: add @increment to the counter @key and set
 * *@result (unless NULL) to the new value. A counter is a record whose
 * value is exactly 8 bytes, an int64_t in native byte order (so
 * etsmgr_set_lookup() reads it as such); arithmetic wraps. When @key is
 * missing and @initial is not NULL, the record is created with the value
 * *@initial + @increment; when it is missing and @initial is NULL:
 * -ENOENT. Atomic across all processes sharing the set; a crash leaves
 * either the old or the new value. On an existing key it takes no lock:
 * the key is found as etsmgr_set_lookup() finds it, then one 16-byte
 * compare-and-swap adds (retried while other adders race it); creating
 * the record takes the writers' lock. Errors: -EINVAL (the value of @key
 * is not 8 bytes long), -E2BIG (also: the set's value_max is below 8),
 * -ENOSPC, -EROFS, -EUCLEAN, -EAGAIN, -ETIMEDOUT.
 */
int etsmgr_set_update_counter(struct etsmgr_set *set, const void *key,
			      size_t key_len, int64_t increment,
			      const int64_t *initial, int64_t *result);

/*
 * A counter handle: one counter record found once, for a hot loop, as
 * Erlang's `counters` module is used. Opaque; the caller owns the memory
 * (a local variable will do). It stays usable while its set's handle is
 * open. A handle is for one thread at a time: threads counting the same
 * key take a handle each.
 */
struct etsmgr_counter_ref {
	uint64_t __opaque[4];
};

/*
 * Find the counter @key (its value 8 bytes long) and fill *@ref.
 * Errors: -ENOENT, -EINVAL (not an 8-byte value; NULL arguments), -E2BIG,
 * -EROFS, -EUCLEAN, -EAGAIN.
 */
int etsmgr_set_counter_ref(struct etsmgr_set *set, const void *key,
			   size_t key_len, struct etsmgr_counter_ref *ref);

/*
 * Add @increment to the counter of @ref and set *@result (unless NULL) to
 * the new value: one 16-byte compare-and-swap while the record lives.
 * -ESTALE once the record was deleted or replaced (or a writer was killed
 * while replacing it): nothing was added; take a new handle (or call
 * etsmgr_set_update_counter()). -EINVAL for a handle never filled; -EAGAIN
 * after 2^20 compare-and-swaps in a row lost to other adders.
 */
int etsmgr_counter_add(struct etsmgr_counter_ref *ref, int64_t increment,
		       int64_t *result);

/*
 * Called by etsmgr_set_foreach() once per record, with copies of its key
 * and value (valid until the callback returns). Return 0 to go on; any
 * other value stops the walk and is returned by etsmgr_set_foreach().
 * The callback may use the set, including writing to it.
 */
typedef int (*etsmgr_set_fn)(const void *key, size_t key_len,
			     const void *value, size_t value_len, void *arg);

/*
 * Call @fn for every record, in no particular order. Lock-free. Each
 * record is passed whole, as it was at one moment. Each key is passed at
 * most once per walk; a record present during the whole walk is passed
 * exactly once; one inserted, replaced or deleted during the walk may or
 * may not be. Returns 0, @fn's non-zero value, -ENOMEM, -EUCLEAN or
 * -EAGAIN.
 */
int etsmgr_set_foreach(const struct etsmgr_set *set, etsmgr_set_fn fn,
		       void *arg);

/*
 * The number of records. Lock-free; exact after every completed write,
 * it may be off by one while a writer is stopped or dead in mid-operation
 * (until the next write or etsmgr_set_recover()).
 */
uint64_t etsmgr_set_count(const struct etsmgr_set *set);

/* The geometry and counters of a set. */
struct etsmgr_set_info {
	uint32_t capacity;	/* records */
	uint32_t key_max;	/* bytes */
	uint32_t value_max;	/* bytes */
	uint32_t __pad;
	uint64_t count;		/* records now (see etsmgr_set_count()) */
	uint64_t region_size;	/* bytes used at the start of the region */
	uint64_t recoveries;	/* repairs after a writer died */
	uint64_t retirements;	/* slots freed, ever: deletes, replacements,
				 * repairs */
};

/* Fill *@info. 0 or -EINVAL. */
int etsmgr_set_info(const struct etsmgr_set *set,
		    struct etsmgr_set_info *info);

/*
 * Take the writers' lock, check the whole structure, repair what a writer
 * killed in mid-operation left (free a slot it had taken, recount), and
 * release the lock. Writers do the same by themselves when needed, so
 * calling this is optional: a restarted owner may call it to know. Returns
 * 1 when a writer had died in mid-operation (and its leftovers are now
 * repaired), 0 when there was nothing to repair, -EROFS, -EUCLEAN (the
 * structure is corrupt; nothing was changed, and writes keep failing
 * until the region is formatted again), -ETIMEDOUT.
 */
int etsmgr_set_recover(struct etsmgr_set *set);

/*
 * A record as the text of an Erlang tuple, as ETS shows objects:
 * {count,3}. A key that reads as an atom (a lower-case letter, then
 * letters, digits, _ or @) is one; an 8-byte value is a counter
 * (etsmgr_set_update_counter(), a native int64_t); anything else is a
 * binary, <<"text">> when printable ASCII, else <<1,2,3>>. Writes at most
 * @size bytes, NUL included, into @buf and returns the length of the
 * whole text, as snprintf(3) does (a result >= @size means it was cut).
 */
size_t etsmgr_record_text(char *buf, size_t size, const void *key,
			  size_t key_len, const void *value, size_t value_len);

#ifdef __cplusplus
}
#endif

#endif /* ETSMGR_RECORDS_H */
