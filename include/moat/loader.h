/* SPDX-License-Identifier: MIT */
/* Guest image loaders (vmm/loader_*.c): place an image into guest RAM and say how the
 * guest's first vCPU starts. The entry states are documented in docs/boot-protocol.md. */
#ifndef MOAT_LOADER_H
#define MOAT_LOADER_H

#include <moat/config.h>
#include <moat/guest_mem.h>
#include <moat/types.h>

/* A file read from the boot volume. */
struct image_file {
	const char *path;
	const u8 *data;
	u64 size;
};

enum guest_entry_mode {
	/* 32-bit protected mode, flat 4 GiB code/data segments, paging off. */
	GUEST_ENTRY_PROTECTED32,
	/* Real mode as a start-up IPI leaves a CPU (SDM Vol. 3 9.1.1, 11.6.1): CS base
	 * cs_base, selector cs_base >> 4, IP rip, other segments 0, 64 KiB limits. */
	GUEST_ENTRY_REAL16,
	/* 64-bit mode as the Linux boot protocol's 64-bit entry asks (docs/boot-protocol.md):
	 * CR0 PE|PG, CR4 PAE, EFER LME|LMA, paging through cr3, the GDT at gdt_base with a
	 * flat 64-bit code segment at GUEST_LONG64_CODE_SELECTOR and a flat data segment at
	 * GUEST_LONG64_DATA_SELECTOR, interrupts off. */
	GUEST_ENTRY_LONG64,
};

/* The Linux boot protocol's __BOOT_CS and __BOOT_DS (Documentation/arch/x86/boot.rst,
 * "64-bit Boot Protocol"). */
#define GUEST_LONG64_CODE_SELECTOR 0x10
#define GUEST_LONG64_DATA_SELECTOR 0x18

/* The architectural state the first vCPU starts in; everything else is at reset values. */
struct guest_entry_state {
	enum guest_entry_mode mode;
	u64 rip;
	u64 rsp;
	u64 rax;
	u64 rbx;
	u64 rflags;
	u64 rsi;
	u64 cs_base; /* GUEST_ENTRY_REAL16 only */
	/* GUEST_ENTRY_LONG64 only: the page tables and the GDT, both in guest RAM. */
	u64 cr3;
	u64 gdt_base;
	u16 gdt_limit;
};

struct loader_context {
	const struct guest_config *config;
	struct guest_memory *memory; /* guest RAM is the region at GPA 0 */
	const struct image_file *image;
	const struct image_file *modules; /* config->module_count of them, in order */
	char *err;                        /* on failure: "file: offset 0x..: what is wrong" */
	size_t err_size;
	const struct image_file *initrd; /* format linux: NULL when config->initrd is "" */
};

#define FLAT_ENTRY_MAGIC 0x4d4f4154u /* "MOAT" in EAX at a flat image's entry */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

/* Loads by config->format. Returns 0 or a negative error with ctx->err filled. */
int loader_load(const struct loader_context *ctx, struct guest_entry_state *entry);
int loader_flat_load(const struct loader_context *ctx, struct guest_entry_state *entry);
int loader_multiboot_load(const struct loader_context *ctx, struct guest_entry_state *entry);
/* Format linux: a bzImage (vmm/loader_linux.c) or an ELF vmlinux with a PVH note
 * (vmm/loader_pvh.c), told apart by the image's headers. */
int loader_linux_load(const struct loader_context *ctx, struct guest_entry_state *entry);
int loader_pvh_load(const struct loader_context *ctx, struct guest_entry_state *entry);

#endif
