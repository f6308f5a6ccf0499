/* SPDX-License-Identifier: MIT */
/* On-disk and in-memory layouts the Multiboot loader (vmm/loader_multiboot.c) reads and
 * writes: the Multiboot 1 header and information (spec 0.6.96) and the ELF headers. */
#ifndef MOAT_MULTIBOOT_H
#define MOAT_MULTIBOOT_H

#include <stddef.h>
#include <moat/types.h>

/* ---- Multiboot 1, spec 0.6.96 section 3.1: the OS image header ---- */

#define MULTIBOOT_HEADER_MAGIC 0x1badb002u
#define MULTIBOOT_SEARCH_LIMIT 8192 /* 3.1: the header lies within the first 8192 bytes */
#define MULTIBOOT_HEADER_ALIGN 4    /* 3.1: ... and is 32-bit aligned */

/* 3.1.2: flag bits 0-15 are requirements a boot loader must honour or refuse. */
#define MULTIBOOT_FLAG_PAGE_ALIGN BIT(0)  /* modules on 4 KiB boundaries */
#define MULTIBOOT_FLAG_MEMORY_INFO BIT(1) /* mem_* and mmap_* must be given */
#define MULTIBOOT_FLAG_VIDEO_MODE BIT(2)  /* a video mode table must be given */
#define MULTIBOOT_FLAG_AOUT_KLUDGE BIT(16) /* header offsets 12-28 give load addresses */
#define MULTIBOOT_FLAG_REQUIRED_MASK 0xffffu

/* 3.1.1: fields at offsets 12-28 are valid with bit 16, 32-44 with bit 2. */
struct multiboot_header {
	u32 magic;
	u32 flags;
	u32 checksum; /* magic + flags + checksum == 0 (mod 2^32) */
	u32 header_addr;
	u32 load_addr;
	u32 load_end_addr;
	u32 bss_end_addr;
	u32 entry_addr;
	u32 mode_type;
	u32 width;
	u32 height;
	u32 depth;
} __packed;
_Static_assert(sizeof(struct multiboot_header) == 48, "Multiboot 3.1.1 header layout");
_Static_assert(offsetof(struct multiboot_header, header_addr) == 12, "Multiboot 3.1.1");
_Static_assert(offsetof(struct multiboot_header, entry_addr) == 28, "Multiboot 3.1.1");
_Static_assert(offsetof(struct multiboot_header, mode_type) == 32, "Multiboot 3.1.1");

#define MULTIBOOT_HEADER_BASE_SIZE offsetof(struct multiboot_header, header_addr)
#define MULTIBOOT_HEADER_AOUT_SIZE offsetof(struct multiboot_header, mode_type)

/* ---- 3.3: boot information the loader passes in EBX ---- */

#define MULTIBOOT_INFO_MEMORY BIT(0)
#define MULTIBOOT_INFO_CMDLINE BIT(2)
#define MULTIBOOT_INFO_MODS BIT(3)
#define MULTIBOOT_INFO_MEM_MAP BIT(6)
#define MULTIBOOT_INFO_BOOT_LOADER_NAME BIT(9)

struct multiboot_info {
	u32 flags;
	u32 mem_lower; /* KiB of memory from 0 */
	u32 mem_upper; /* KiB of memory from 1 MiB */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count;
	u32 mods_addr;
	u32 syms[4];
	u32 mmap_length; /* bytes of memory map */
	u32 mmap_addr;
	u32 drives_length;
	u32 drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
	u32 vbe_control_info;
	u32 vbe_mode_info;
	u16 vbe_mode;
	u16 vbe_interface_seg;
	u16 vbe_interface_off;
	u16 vbe_interface_len;
	u64 framebuffer_addr;
	u32 framebuffer_pitch;
	u32 framebuffer_width;
	u32 framebuffer_height;
	u8 framebuffer_bpp;
	u8 framebuffer_type;
	u8 color_info[6];
} __packed;
_Static_assert(sizeof(struct multiboot_info) == 116, "Multiboot 3.3 information layout");
_Static_assert(offsetof(struct multiboot_info, mods_addr) == 24, "Multiboot 3.3");
_Static_assert(offsetof(struct multiboot_info, mmap_length) == 44, "Multiboot 3.3");
_Static_assert(offsetof(struct multiboot_info, boot_loader_name) == 64, "Multiboot 3.3");
_Static_assert(offsetof(struct multiboot_info, framebuffer_addr) == 88, "Multiboot 3.3");

/* 3.3 memory map entry; size counts the bytes after itself, mmap_addr points at size. */
struct multiboot_mmap_entry {
	u32 size;
	u64 base_addr;
	u64 length;
	u32 type;
} __packed;
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "Multiboot 3.3 mmap entry");
_Static_assert(offsetof(struct multiboot_mmap_entry, base_addr) == 4, "Multiboot 3.3");
_Static_assert(offsetof(struct multiboot_mmap_entry, type) == 20, "Multiboot 3.3");

#define MULTIBOOT_MMAP_ENTRY_SIZE (sizeof(struct multiboot_mmap_entry) - sizeof(u32))
#define MULTIBOOT_MEMORY_AVAILABLE 1
#define MULTIBOOT_MEMORY_RESERVED 2

/* 3.3 module list entry: [mod_start, mod_end), string is a C string, reserved is 0. */
struct multiboot_module {
	u32 mod_start;
	u32 mod_end;
	u32 string;
	u32 reserved;
} __packed;
_Static_assert(sizeof(struct multiboot_module) == 16, "Multiboot 3.3 module entry");

/* ---- ELF (System V gABI, "ELF-64 Object File Format"): what the loader needs ---- */

#define ELF_IDENT_SIZE 16
#define ELF_MAGIC "\x7f" "ELF"
#define ELF_MAGIC_SIZE 4
#define ELF_IDENT_CLASS 4
#define ELF_IDENT_DATA 5
#define ELF_IDENT_VERSION 6
#define ELF_CLASS_32 1
#define ELF_CLASS_64 2
#define ELF_DATA_LSB 1
#define ELF_VERSION_CURRENT 1
#define ELF_TYPE_EXEC 2
#define ELF_MACHINE_386 3
#define ELF_MACHINE_X86_64 62
#define ELF_PT_LOAD 1
#define ELF_PN_XNUM 0xffff /* e_phnum escape to section 0: not accepted */

struct elf32_ehdr {
	u8 e_ident[ELF_IDENT_SIZE];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u32 e_entry;
	u32 e_phoff;
	u32 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
} __packed;
_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header layout");
_Static_assert(offsetof(struct elf32_ehdr, e_phoff) == 28, "ELF32 header layout");
_Static_assert(offsetof(struct elf32_ehdr, e_phentsize) == 42, "ELF32 header layout");

struct elf64_ehdr {
	u8 e_ident[ELF_IDENT_SIZE];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
} __packed;
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header layout");
_Static_assert(offsetof(struct elf64_ehdr, e_phoff) == 32, "ELF64 header layout");
_Static_assert(offsetof(struct elf64_ehdr, e_phentsize) == 54, "ELF64 header layout");

struct elf32_phdr {
	u32 p_type;
	u32 p_offset;
	u32 p_vaddr;
	u32 p_paddr;
	u32 p_filesz;
	u32 p_memsz;
	u32 p_flags;
	u32 p_align;
} __packed;
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header layout");
_Static_assert(offsetof(struct elf32_phdr, p_paddr) == 12, "ELF32 program header layout");

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
} __packed;
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header layout");
_Static_assert(offsetof(struct elf64_phdr, p_paddr) == 24, "ELF64 program header layout");

#endif
