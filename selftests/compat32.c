// SPDX-License-Identifier: GPL-2.0
/*
 * compat32: a 32-bit process's ETSMGR_IOC_INFO, for errors_test's
 * compat_process_gets_enotty. Built freestanding with -m32 (no 32-bit
 * libc needed): open /dev/etsmgr, ioctl, exit with the ioctl's errno
 * (0 when it succeeded), 100 + errno when open failed.
 */
#include <linux/etsmgr.h>

#define NR_EXIT		1
#define NR_OPEN		5
#define NR_IOCTL	54
#define O_RDWR		2

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory");
	return ret;
}

void _start(void);

void _start(void)
{
	static struct etsmgr_info info;
	long fd, ret;

	fd = sys3(NR_OPEN, (long)ETSMGR_DEVICE_PATH, O_RDWR, 0);
	if (fd < 0)
		sys3(NR_EXIT, 100 - fd, 0, 0);
	info.ref.id = 1;
	ret = sys3(NR_IOCTL, fd, (long)ETSMGR_IOC_INFO, (long)&info);
	sys3(NR_EXIT, ret < 0 ? -ret : 0, 0, 0);
	for (;;)
		;
}
