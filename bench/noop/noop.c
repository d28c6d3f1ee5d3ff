// SPDX-License-Identifier: GPL-2.0
/*
 * noop.ko: a module that does nothing. It is the floor of the manager
 * restart rows of `make bench` (bench/bench-vm.sh): rmmod and insmod of
 * a module with no code to run is what any reload of a module pays.
 */
#include <linux/init.h>
#include <linux/module.h>

static int __init noop_init(void)
{
	return 0;
}

static void __exit noop_exit(void)
{
}

module_init(noop_init);
module_exit(noop_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("etsmgr bench: a module that does nothing");
