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
};

/* The architectural state the first vCPU starts in; everything else is at reset values. */
struct guest_entry_state {
	enum guest_entry_mode mode;
	u64 rip;
	u64 rsp;
	u64 rax;
	u64 rbx;
	u64 rflags;
	u64 cs_base; /* GUEST_ENTRY_REAL16 only */
};

struct loader_context {
	const struct guest_config *config;
	struct guest_memory *memory; /* guest RAM is the region at GPA 0 */
	const struct image_file *image;
	const struct image_file *modules; /* config->module_count of them, in order */
	char *err;                        /* on failure: "file: offset 0x..: what is wrong" */
	size_t err_size;
};

#define FLAT_ENTRY_MAGIC 0x4d4f4154u /* "MOAT" in EAX at a flat image's entry */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

/* Loads by config->format. Returns 0 or a negative error with ctx->err filled. */
int loader_load(const struct loader_context *ctx, struct guest_entry_state *entry);
int loader_flat_load(const struct loader_context *ctx, struct guest_entry_state *entry);
int loader_multiboot_load(const struct loader_context *ctx, struct guest_entry_state *entry);

#endif
