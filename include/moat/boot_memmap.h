/* SPDX-License-Identifier: MIT */
/* The memory map a Linux guest is told about (vmm/boot_memmap.c): built in one place from the
 * guest's physical map and the platform's reserved hole, and handed over by both Linux loaders
 * (the bzImage e820 table, the PVH memory map), so the two cannot disagree. */
#ifndef MOAT_BOOT_MEMMAP_H
#define MOAT_BOOT_MEMMAP_H

#include <moat/guest_mem.h>
#include <moat/types.h>

/* Range types, numbered as E820 (ACPI 6.4 15.1, Table 15.312) and as Xen's
 * hvm_memmap_table_entry (xen/include/public/arch-x86/hvm/start_info.h), which use the
 * same values. */
enum boot_memmap_type {
	BOOT_MEMMAP_RAM = 1,
	BOOT_MEMMAP_RESERVED = 2,
};

/* Every region can be split around the hole once, plus the hole itself. */
#define BOOT_MEMMAP_MAX_ENTRIES (2 * GUEST_MAX_REGIONS + 1)

struct boot_memmap_entry {
	u64 base;
	u64 size;
	enum boot_memmap_type type;
};

struct boot_memmap {
	struct boot_memmap_entry entries[BOOT_MEMMAP_MAX_ENTRIES];
	u32 count;
};

/*
 * Fills map in ascending address order: RAM regions are usable except where they cross the
 * platform's reserved hole [PLATFORM_RESERVED_BASE, PLATFORM_RESERVED_END) (the ACPI tables
 * live there), which is reserved; shared and device regions are reserved, never RAM.
 */
void boot_memmap_build(const struct guest_memory *mem, struct boot_memmap *map);

#endif
