// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the boot id (see bootid.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bootid.h"

bool boot_id_valid(const char *s)
{
	if (strlen(s) != BOOT_ID_LEN)
		return false;
	for (int i = 0; i < BOOT_ID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' :
			   !((s[i] >= '0' && s[i] <= '9') ||
			     (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

int boot_id_read(char id[BOOT_ID_LEN + 1])
{
	char buf[BOOT_ID_LEN + 2];
	ssize_t n;
	int fd, err;

	fd = open(BOOT_ID_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	/* Exactly the id and its newline. */
	if (n != BOOT_ID_LEN + 1 || buf[BOOT_ID_LEN] != '\n')
		return -EINVAL;
	buf[BOOT_ID_LEN] = '\0';
	if (!boot_id_valid(buf))
		return -EINVAL;
	memcpy(id, buf, BOOT_ID_LEN + 1);
	return 0;
}
