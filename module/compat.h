/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels etsmgr builds against (Debian 12's 6.1
 * and later ones up to 6.12), kept in this one place.
 */
#ifndef ETSMGR_COMPAT_H
#define ETSMGR_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/* Ids are xarray indices and mmap page offsets: they need 64 bits. */
#if BITS_PER_LONG != 64
#error "etsmgr needs a 64-bit kernel"
#endif

/* vm_flags became read-only with accessors in 6.3. */
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
static inline void etsmgr_vm_flags_clear(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#else
static inline void etsmgr_vm_flags_clear(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
	vm_flags_clear(vma, flags);
}
#endif

#endif /* ETSMGR_COMPAT_H */
