// SPDX-License-Identifier: GPL-2.0
/*
 * Writes that must get through whole (see io.h).
 */
#include <errno.h>
#include <unistd.h>

#include "io.h"

void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* nowhere left to say it */
		p += n;
		len -= (size_t)n;
	}
}
