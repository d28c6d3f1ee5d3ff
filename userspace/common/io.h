/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writes that must get through whole: reports and answers on descriptors
 * that may be slow (a pipe, a log file, a socket).
 */
#ifndef ETSMGR_IO_H
#define ETSMGR_IO_H

#include <stddef.h>

/*
 * Write all of @buf, again after EINTR or a short write; give up silently
 * at an error (a report with nowhere left to go is not worth dying for).
 */
void write_all(int fd, const void *buf, size_t len);

#endif
