/* SPDX-License-Identifier: MIT */
/* The parts of the Multiboot 1 information structure the mbinfo guest checks, from the
 * Multiboot specification 0.6.96, section 3.3 "Boot information format". */
#ifndef MULTIBOOT_INFO_H
#define MULTIBOOT_INFO_H

#include <moat/types.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

/* multiboot_info.flags: which fields are valid. */
#define MULTIBOOT_INFO_MEMORY BIT(0)
#define MULTIBOOT_INFO_CMDLINE BIT(2)
#define MULTIBOOT_INFO_MODS BIT(3)
#define MULTIBOOT_INFO_MMAP BIT(6)
#define MULTIBOOT_INFO_BOOT_LOADER_NAME BIT(9)

#define MULTIBOOT_MEMORY_AVAILABLE 1
#define MULTIBOOT_MEMORY_RESERVED 2

struct multiboot_info {
	u32 flags;
	u32 mem_lower; /* KiB from 0 */
	u32 mem_upper; /* KiB from 1 MiB */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count;
	u32 mods_addr;
	u32 syms[4];
	u32 mmap_length;
	u32 mmap_addr;
	u32 drives_length;
	u32 drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
} __packed;
_Static_assert(__builtin_offsetof(struct multiboot_info, mmap_length) == 44, "mmap_length");
_Static_assert(__builtin_offsetof(struct multiboot_info, boot_loader_name) == 64, "loader name");

struct multiboot_module {
	u32 mod_start;
	u32 mod_end; /* exclusive */
	u32 string;
	u32 reserved;
} __packed;
_Static_assert(sizeof(struct multiboot_module) == 16, "module entry");

/* A memory map entry; 'size' counts the bytes after itself, so the next entry is at
 * (u8 *)entry + size + sizeof(size). */
struct multiboot_mmap_entry {
	u32 size;
	u64 base_addr;
	u64 length;
	u32 type;
} __packed;
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry");

#endif
