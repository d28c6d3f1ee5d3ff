/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the command line. One child from the command itself, or several
 * from --config FILE; supervisor options given on the command line
 * override the file's.
 */
#ifndef ETSSUP_CLI_H
#define ETSSUP_CLI_H

#include "spec.h"

enum cli_result {
	CLI_RUN,	/* spec is complete and checked */
	CLI_DONE,	/* --help was printed: exit 0 */
	CLI_USAGE,	/* a message was printed: exit 2 */
};

enum cli_result cli_parse(int argc, char **argv, struct sup_spec *spec);

#endif
