/* SPDX-License-Identifier: MIT */
/* The Linux x86 boot protocol's structures (Documentation/arch/x86/boot.rst and zero-page.rst,
 * arch/x86/include/uapi/asm/bootparam.h) and Xen's PVH start info
 * (xen/include/public/arch-x86/hvm/start_info.h), as the loaders in vmm/loader_linux.c and
 * vmm/loader_pvh.c write them. Layouts only; the loaders hold the rules. */
#ifndef MOAT_LINUX_BOOT_H
#define MOAT_LINUX_BOOT_H

#include <moat/types.h>

/* ---- bzImage: the setup header (boot.rst, "The Real-Mode Kernel Header") ---- */

#define LINUX_SETUP_HEADER_OFFSET 0x1f1
#define LINUX_BOOT_FLAG 0xaa55
#define LINUX_HEADER_MAGIC 0x53726448u /* "HdrS" */
#define LINUX_SECTOR_SIZE 512
#define LINUX_SETUP_SECTS_DEFAULT 4 /* "If this field is 0, the real value is 4." */
#define LINUX_SYSSIZE_UNIT 16       /* syssize counts 16-byte paragraphs */
/* The end of the setup header is 0x202 plus the byte at 0x201 (the jump's offset). */
#define LINUX_HEADER_JUMP_END 0x202
#define LINUX_HEADER_JUMP_OFFSET 0x201
#define LINUX_ENTRY64_OFFSET 0x200 /* 64-bit entry: load address + 0x200 */
/* The version this loader requires: 2.12 added xloadflags (XLF_KERNEL_64). */
#define LINUX_PROTOCOL_MIN 0x020c
#define LINUX_PROTOCOL_RSDP 0x020e /* 2.14: acpi_rsdp_addr is read */

#define LINUX_LOADFLAGS_LOADED_HIGH BIT(0)
#define LINUX_XLF_KERNEL_64 BIT(0)
#define LINUX_TYPE_OF_LOADER_UNDEFINED 0xff /* "no assigned ID" */

struct linux_setup_header {
	u8 setup_sects;
	u16 root_flags;
	u32 syssize;
	u16 ram_size;
	u16 vid_mode;
	u16 root_dev;
	u16 boot_flag;
	u16 jump;
	u32 header;
	u16 version;
	u32 realmode_swtch;
	u16 start_sys_seg;
	u16 kernel_version;
	u8 type_of_loader;
	u8 loadflags;
	u16 setup_move_size;
	u32 code32_start;
	u32 ramdisk_image;
	u32 ramdisk_size;
	u32 bootsect_kludge;
	u16 heap_end_ptr;
	u8 ext_loader_ver;
	u8 ext_loader_type;
	u32 cmd_line_ptr;
	u32 initrd_addr_max;
	u32 kernel_alignment;
	u8 relocatable_kernel;
	u8 min_alignment;
	u16 xloadflags;
	u32 cmdline_size;
	u32 hardware_subarch;
	u64 hardware_subarch_data;
	u32 payload_offset;
	u32 payload_length;
	u64 setup_data;
	u64 pref_address;
	u32 init_size;
	u32 handover_offset;
	u32 kernel_info_offset;
} __attribute__((packed));

/* Offsets in the image file (and in the zero page, which holds the header at the same
 * place): boot.rst's table. */
#define LINUX_HDR(field) (LINUX_SETUP_HEADER_OFFSET + offsetof(struct linux_setup_header, field))
_Static_assert(LINUX_HDR(boot_flag) == 0x1fe, "boot.rst: boot_flag");
_Static_assert(LINUX_HDR(header) == 0x202, "boot.rst: header");
_Static_assert(LINUX_HDR(type_of_loader) == 0x210, "boot.rst: type_of_loader");
_Static_assert(LINUX_HDR(ramdisk_image) == 0x218, "boot.rst: ramdisk_image");
_Static_assert(LINUX_HDR(cmd_line_ptr) == 0x228, "boot.rst: cmd_line_ptr");
_Static_assert(LINUX_HDR(kernel_alignment) == 0x230, "boot.rst: kernel_alignment");
_Static_assert(LINUX_HDR(xloadflags) == 0x236, "boot.rst: xloadflags");
_Static_assert(LINUX_HDR(cmdline_size) == 0x238, "boot.rst: cmdline_size");
_Static_assert(LINUX_HDR(setup_data) == 0x250, "boot.rst: setup_data");
_Static_assert(LINUX_HDR(pref_address) == 0x258, "boot.rst: pref_address");
_Static_assert(LINUX_HDR(init_size) == 0x260, "boot.rst: init_size");
_Static_assert(LINUX_HDR(kernel_info_offset) == 0x268, "boot.rst: kernel_info_offset");

/* ---- the zero page, struct boot_params (zero-page.rst) ---- */

#define LINUX_BOOT_PARAMS_SIZE 0x1000
#define LINUX_BP_ACPI_RSDP_ADDR 0x070
#define LINUX_BP_E820_ENTRIES 0x1e8
#define LINUX_BP_SENTINEL 0x1ef
#define LINUX_BP_HDR_END 0x290 /* the setup header area ends where _pad7 does */
#define LINUX_BP_E820_TABLE 0x2d0
#define LINUX_E820_MAX_ENTRIES 128 /* E820_MAX_ENTRIES_ZEROPAGE */

struct linux_e820_entry {
	u64 addr;
	u64 size;
	u32 type;
} __attribute__((packed));
_Static_assert(sizeof(struct linux_e820_entry) == 20, "bootparam.h: boot_e820_entry");
_Static_assert(LINUX_BP_E820_TABLE + LINUX_E820_MAX_ENTRIES * sizeof(struct linux_e820_entry) <=
		       LINUX_BOOT_PARAMS_SIZE, "zero-page.rst: e820_table");

/* ---- PVH (xen/include/public/arch-x86/hvm/start_info.h, xen/include/public/elfnote.h) ---- */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define XEN_ELFNOTE_NAME "Xen" /* with its NUL: namesz 4 */
#define HVM_START_MAGIC 0x336ec578u
#define HVM_START_VERSION 1 /* version 1 adds the memory map */

struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	u64 memmap_paddr;
	u32 memmap_entries;
	u32 reserved;
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "start_info.h: hvm_start_info");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "start_info.h v1");

struct hvm_modlist_entry {
	u64 paddr;
	u64 size;
	u64 cmdline_paddr;
	u64 reserved;
};
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "start_info.h: hvm_modlist_entry");

struct hvm_memmap_table_entry {
	u64 addr;
	u64 size;
	u32 type; /* XEN_HVM_MEMMAP_TYPE_*: the E820 numbers */
	u32 reserved;
};
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "start_info.h: memmap entry");

#endif
