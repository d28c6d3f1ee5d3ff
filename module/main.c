// SPDX-License-Identifier: GPL-2.0
/*
 * etsmgr: named memory tables that survive the death of their owner.
 *
 * Module entry: the limits (module parameters), the debugfs counters, the
 * misc device /dev/etsmgr and the generic netlink family. The netlink
 * family, which only describes what the device holds, is registered after
 * the device and removed before it. See Documentation/etsmgr.rst.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <net/genetlink.h>

#include "etsmgr.h"

unsigned int etsmgr_max_tables = 65536;
module_param_named(max_tables, etsmgr_max_tables, uint, 0644);
MODULE_PARM_DESC(max_tables, "Most tables the registry holds (ENOSPC past it)");

unsigned long long etsmgr_max_table_size = SZ_1G;
module_param_named(max_table_size, etsmgr_max_table_size, ullong, 0644);
MODULE_PARM_DESC(max_table_size, "Largest table in bytes (EFBIG past it)");

unsigned long long etsmgr_max_total_size = 4ULL * SZ_1G;
module_param_named(max_total_size, etsmgr_max_total_size, ullong, 0644);
MODULE_PARM_DESC(max_total_size,
		 "Most bytes of tables in the registry (ENOSPC past it)");

/* Per IPC namespace other than the initial one: what one container gets. */
unsigned int etsmgr_max_tables_per_ns = 4096;
module_param_named(max_tables_per_ns, etsmgr_max_tables_per_ns, uint, 0644);
MODULE_PARM_DESC(max_tables_per_ns,
		 "Most tables of one IPC namespace other than the initial one (ENOSPC past it)");

unsigned long long etsmgr_max_total_size_per_ns = SZ_1G;
module_param_named(max_total_size_per_ns, etsmgr_max_total_size_per_ns,
		   ullong, 0644);
MODULE_PARM_DESC(max_total_size_per_ns,
		 "Most bytes of tables of one IPC namespace other than the initial one (ENOSPC past it)");

/* Per uid, over every namespace; CAP_SYS_RESOURCE is not bound by them. */
unsigned int etsmgr_max_tables_per_user = 4096;
module_param_named(max_tables_per_user, etsmgr_max_tables_per_user, uint,
		   0644);
MODULE_PARM_DESC(max_tables_per_user,
		 "Most tables of one uid over all namespaces, unless CAP_SYS_RESOURCE (ENOSPC past it)");

unsigned long long etsmgr_max_total_size_per_user = SZ_1G;
module_param_named(max_total_size_per_user, etsmgr_max_total_size_per_user,
		   ullong, 0644);
MODULE_PARM_DESC(max_total_size_per_user,
		 "Most bytes of tables of one uid over all namespaces, unless CAP_SYS_RESOURCE (ENOSPC past it)");

static int etsmgr_stats_show(struct seq_file *m, void *unused)
{
	struct etsmgr_counters c;

	mutex_lock(&etsmgr_lock);
	c = etsmgr_counters;
	mutex_unlock(&etsmgr_lock);

	seq_printf(m, "sessions %llu\n", c.sessions);
	seq_printf(m, "tables %llu\n", c.tables);
	seq_printf(m, "held %llu\n", c.held);
	seq_printf(m, "bytes %llu\n", c.bytes);
	seq_printf(m, "created %llu\n", c.created);
	seq_printf(m, "reclaimed %llu\n", c.reclaimed);
	seq_printf(m, "deleted %llu\n", c.deleted);
	seq_printf(m, "adopted %llu\n", c.adopted);
	seq_printf(m, "ns_reaped %llu\n", c.ns_reaped);
	seq_printf(m, "given %llu\n", c.given);
	seq_printf(m, "inherited %llu\n", c.inherited);
	seq_printf(m, "events %llu\n", c.events);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(etsmgr_stats);

static const struct file_operations etsmgr_fops = {
	.owner = THIS_MODULE,
	.open = etsmgr_open,
	.release = etsmgr_release,
	.unlocked_ioctl = etsmgr_ioctl,
	/*
	 * No compat_ioctl: ids are mmap page offsets and exceed what a
	 * 32-bit mmap can pass after 72 minutes of uptime, so a 32-bit
	 * process gets ENOTTY rather than tables it cannot map.
	 */
	.mmap = etsmgr_mmap,
	.poll = etsmgr_poll,
	.llseek = noop_llseek,
};

static struct miscdevice etsmgr_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "etsmgr",
	.fops = &etsmgr_fops,
	/* Anyone may own tables; access to each is checked per table. */
	.mode = 0666,
};

static struct dentry *etsmgr_debugfs;

static int __init etsmgr_init(void)
{
	int err;

	/* Counters are for tests and admins; the module works without them. */
	etsmgr_debugfs = debugfs_create_dir("etsmgr", NULL);
	debugfs_create_file("stats", 0444, etsmgr_debugfs, NULL,
			    &etsmgr_stats_fops);

	etsmgr_registry_init();
	err = etsmgr_pidwatch_init();
	if (err)
		goto err_pidwatch_init;
	err = misc_register(&etsmgr_miscdev);
	if (err)
		goto err_misc_register;
	err = etsmgr_genl_init();
	if (err)
		goto err_genl_init;
	return 0;

err_genl_init:
	misc_deregister(&etsmgr_miscdev);
err_misc_register:
	etsmgr_pidwatch_exit();
err_pidwatch_init:
	etsmgr_registry_exit();
	debugfs_remove_recursive(etsmgr_debugfs);
	return err;
}

static void __exit etsmgr_exit(void)
{
	etsmgr_genl_exit();
	misc_deregister(&etsmgr_miscdev);
	etsmgr_pidwatch_exit();
	etsmgr_fence_exit();
	debugfs_remove_recursive(etsmgr_debugfs);
	etsmgr_ns_exit();
	etsmgr_registry_exit();
}

module_init(etsmgr_init);
module_exit(etsmgr_exit);

MODULE_DESCRIPTION("Named memory tables that survive the death of their owner");
MODULE_AUTHOR("The etsmgr authors");
MODULE_LICENSE("GPL");
MODULE_ALIAS_GENL_FAMILY(ETSMGR_GENL_NAME);
