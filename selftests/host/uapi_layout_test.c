// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit test of the uAPI header: the layout of every structure
 * and the encoding of every ioctl number are ABI, so any change to them
 * must be deliberate and show up here first.
 */
#include <stddef.h>
#include <string.h>
#include <linux/etsmgr.h>

#include "kselftest_harness.h"

TEST(attach_layout_is_stable)
{
	EXPECT_EQ(152, sizeof(struct etsmgr_attach));
	EXPECT_EQ(0, offsetof(struct etsmgr_attach, flags));
	EXPECT_EQ(4, offsetof(struct etsmgr_attach, access));
	EXPECT_EQ(8, offsetof(struct etsmgr_attach, size));
	EXPECT_EQ(16, offsetof(struct etsmgr_attach, name));
	EXPECT_EQ(80, offsetof(struct etsmgr_attach, id));
	EXPECT_EQ(88, offsetof(struct etsmgr_attach, generation));
	EXPECT_EQ(96, offsetof(struct etsmgr_attach, mmap_offset));
	EXPECT_EQ(104, offsetof(struct etsmgr_attach, result));
	EXPECT_EQ(108, offsetof(struct etsmgr_attach, exit_reason));
	EXPECT_EQ(112, offsetof(struct etsmgr_attach, exit_status));
	EXPECT_EQ(116, offsetof(struct etsmgr_attach, uid));
	EXPECT_EQ(120, offsetof(struct etsmgr_attach, __reserved));
}

TEST(ref_layout_is_stable)
{
	EXPECT_EQ(96, sizeof(struct etsmgr_ref));
	EXPECT_EQ(0, offsetof(struct etsmgr_ref, id));
	EXPECT_EQ(8, offsetof(struct etsmgr_ref, name));
	EXPECT_EQ(72, offsetof(struct etsmgr_ref, flags));
	EXPECT_EQ(76, offsetof(struct etsmgr_ref, uid));
	EXPECT_EQ(80, offsetof(struct etsmgr_ref, __reserved));
}

TEST(info_layout_is_stable)
{
	EXPECT_EQ(272, sizeof(struct etsmgr_info));
	EXPECT_EQ(0, offsetof(struct etsmgr_info, ref));
	EXPECT_EQ(96, offsetof(struct etsmgr_info, id));
	EXPECT_EQ(104, offsetof(struct etsmgr_info, name));
	EXPECT_EQ(168, offsetof(struct etsmgr_info, size));
	EXPECT_EQ(176, offsetof(struct etsmgr_info, generation));
	EXPECT_EQ(184, offsetof(struct etsmgr_info, mmap_offset));
	EXPECT_EQ(192, offsetof(struct etsmgr_info, create_time_ns));
	EXPECT_EQ(200, offsetof(struct etsmgr_info, transfer_time_ns));
	EXPECT_EQ(208, offsetof(struct etsmgr_info, state));
	EXPECT_EQ(212, offsetof(struct etsmgr_info, access));
	EXPECT_EQ(216, offsetof(struct etsmgr_info, uid));
	EXPECT_EQ(220, offsetof(struct etsmgr_info, owner_pid));
	EXPECT_EQ(224, offsetof(struct etsmgr_info, exit_reason));
	EXPECT_EQ(228, offsetof(struct etsmgr_info, exit_status));
	EXPECT_EQ(232, offsetof(struct etsmgr_info, owned_by_caller));
	EXPECT_EQ(240, offsetof(struct etsmgr_info, __reserved));
}

TEST(ioctl_numbers_use_own_type_and_struct_size)
{
	EXPECT_EQ(0xE7, _IOC_TYPE(ETSMGR_IOC_ATTACH));
	EXPECT_EQ(0xE7, _IOC_TYPE(ETSMGR_IOC_DELETE));
	EXPECT_EQ(0xE7, _IOC_TYPE(ETSMGR_IOC_INFO));
	EXPECT_EQ(sizeof(struct etsmgr_attach), _IOC_SIZE(ETSMGR_IOC_ATTACH));
	EXPECT_EQ(sizeof(struct etsmgr_ref), _IOC_SIZE(ETSMGR_IOC_DELETE));
	EXPECT_EQ(sizeof(struct etsmgr_info), _IOC_SIZE(ETSMGR_IOC_INFO));
	EXPECT_EQ(_IOC_READ | _IOC_WRITE, _IOC_DIR(ETSMGR_IOC_ATTACH));
	EXPECT_EQ(_IOC_WRITE, _IOC_DIR(ETSMGR_IOC_DELETE));
	EXPECT_EQ(_IOC_READ | _IOC_WRITE, _IOC_DIR(ETSMGR_IOC_INFO));
	EXPECT_NE(ETSMGR_IOC_ATTACH, ETSMGR_IOC_INFO);
}

TEST(flag_masks_cover_exactly_the_flags)
{
	EXPECT_EQ(ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL |
		  ETSMGR_ATTACH_UID, ETSMGR_ATTACH_VALID);
	EXPECT_EQ(0, ETSMGR_ATTACH_CREATE & ETSMGR_ATTACH_EXCL);
	EXPECT_EQ(0, (ETSMGR_ATTACH_CREATE | ETSMGR_ATTACH_EXCL) &
		     ETSMGR_ATTACH_UID);
	EXPECT_EQ(ETSMGR_REF_UID, ETSMGR_REF_VALID);
}

TEST(name_max_leaves_room_for_63_bytes_and_nul)
{
	EXPECT_EQ(64, ETSMGR_NAME_MAX);
	EXPECT_EQ(0, strcmp(ETSMGR_DEVICE_PATH, "/dev/etsmgr"));
}

TEST_HARNESS_MAIN
