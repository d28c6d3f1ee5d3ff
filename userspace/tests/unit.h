/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal TAP harness for the host-side unit tests of userspace/:
 * each UNIT_TEST() is one `ok N name` / `not ok N name` line, a failed
 * CHECK prints its file, line and values as `#` comments and fails the
 * test but lets it go on, so one run shows every wrong result. main()
 * ends with unit_done(), which prints the plan and gives the exit
 * status.
 */
#ifndef UNIT_H
#define UNIT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_count;
static int unit_failed_tests;
static bool unit_current_failed;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("# %s:%d: CHECK(%s) failed\n",		\
			       __FILE__, __LINE__, #cond);		\
			unit_current_failed = true;			\
		}							\
	} while (0)

#define CHECK_INT(got, want)						\
	do {								\
		long long unit_got = (got), unit_want = (want);		\
		if (unit_got != unit_want) {				\
			printf("# %s:%d: %s is %lld, want %lld\n",	\
			       __FILE__, __LINE__, #got, unit_got,	\
			       unit_want);				\
			unit_current_failed = true;			\
		}							\
	} while (0)

#define CHECK_STR(got, want)						\
	do {								\
		const char *unit_got = (got), *unit_want = (want);	\
		if (!unit_got || !unit_want ?				\
		    unit_got != unit_want :				\
		    strcmp(unit_got, unit_want) != 0) {			\
			printf("# %s:%d: %s is\n#   [%s]\n# want\n#   [%s]\n", \
			       __FILE__, __LINE__, #got,		\
			       unit_got ? unit_got : "(null)",		\
			       unit_want ? unit_want : "(null)");	\
			unit_current_failed = true;			\
		}							\
	} while (0)

static inline void unit_run(const char *name, void (*test)(void))
{
	unit_current_failed = false;
	test();
	unit_count++;
	if (unit_current_failed)
		unit_failed_tests++;
	printf("%sok %d %s\n", unit_current_failed ? "not " : "", unit_count,
	       name);
}

#define UNIT_TEST(fn) unit_run(#fn, fn)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed_tests ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* UNIT_H */
