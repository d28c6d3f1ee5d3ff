/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A group given on a command line, by name or number as chown(1) takes
 * it: etscounter's and etscounterd's --socket-group.
 */
#ifndef ETSMGR_GROUP_H
#define ETSMGR_GROUP_H

#include <sys/types.h>

/*
 * @text as a group name from the group database, else as a decimal gid
 * below (gid_t)-1, into *@gid; 0, or -1 when it is neither.
 */
int parse_group(const char *text, gid_t *gid);

#endif
