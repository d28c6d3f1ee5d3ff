/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test hooks of the record layer: compiled in only when records.c is
 * built with -DETSMGR_SET_TEST_HOOKS (the tests' own copy; never the
 * library that is installed). A test sets etsmgr_set_test_hook and is
 * called at each point below, in the thread that reaches it.
 *
 *   ETSMGR_SET_POINT_STORE      before each store to the region by a
 *                               writer (insert, delete, replace,
 *                               update_counter, counter_add, recover):
 *                               a test that SIGKILLs itself at the n-th
 *                               one crashes the writer at each store in
 *                               turn (CRASH_AT(n));
 *   ETSMGR_SET_POINT_READ_COPY  in a reader, after it copied a record and
 *                               before it checks that the record did not
 *                               change: a test may replace the record
 *                               there to make the reader start again.
 */
#ifndef ETSMGR_RECORDS_HOOKS_H
#define ETSMGR_RECORDS_HOOKS_H

enum etsmgr_set_point {
	ETSMGR_SET_POINT_STORE,
	ETSMGR_SET_POINT_READ_COPY,
};

extern void (*etsmgr_set_test_hook)(enum etsmgr_set_point point);

#endif /* ETSMGR_RECORDS_HOOKS_H */
