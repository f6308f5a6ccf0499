/* SPDX-License-Identifier: MIT */
/* Helpers the image loaders (vmm/loader*.c) share: error text, guest RAM bounds and the
 * only path by which they write into guest memory. Not for use outside the loaders. */
#ifndef MOAT_LOADER_INTERNAL_H
#define MOAT_LOADER_INTERNAL_H

#include <moat/loader.h>
#include <moat/log.h>
#include <moat/types.h>

/* EFLAGS at entry: only the always-one bit 1 (SDM Vol. 1 3.4.3), interrupts disabled. */
#define LOADER_ENTRY_RFLAGS 0x2u

/* Room for "3072 MiB" or "0x123456789 bytes". */
#define LOADER_SIZE_TEXT_MAX 32

struct loader_size_text {
	char text[LOADER_SIZE_TEXT_MAX];
};

/* Size of the guest RAM region at GPA 0, or 0 when there is none. */
u64 loader_ram_size(const struct loader_context *ctx);
/* "8 MiB" for whole MiB, else "0x... bytes": used in every "past guest RAM" message. */
struct loader_size_text loader_size_text(u64 bytes);

/* Writes "IMAGE: offset 0xOFF: message" to ctx->err. */
void loader_error(const struct loader_context *ctx, u64 offset, const char *fmt, ...)
	__printf(3, 4);
/* Writes "PATH: message" to ctx->err, for errors no file offset describes. */
void loader_error_file(const struct loader_context *ctx, const char *path, const char *fmt, ...)
	__printf(3, 4);

/* Copies len bytes to guest RAM at gpa through guest_memory_translate (len 0: nothing). */
int loader_copy_to_guest(const struct loader_context *ctx, gpa_t gpa, const void *src, u64 len);
/* Zeroes len bytes of guest RAM at gpa (len 0: nothing). */
int loader_zero_guest(const struct loader_context *ctx, gpa_t gpa, u64 len);

/* Shared by the Linux loaders (vmm/loader_linux.c, vmm/loader_pvh.c). */
/* Refuses guest RAM that ends below 1 MiB. */
int loader_linux_check_ram(const struct loader_context *ctx, u64 ram);
/* Places ctx->initrd as high as it fits below limit (exclusive) and at or above low; *gpa 0
 * without an initrd. Fails with the error written when it does not fit. */
int loader_linux_place_initrd(const struct loader_context *ctx, u64 low, u64 limit, u64 *gpa);
/* Writes the command line at PLATFORM_BOOT_CMDLINE and the initrd at initrd_gpa. */
int loader_linux_write_common(const struct loader_context *ctx, u64 initrd_gpa);

#endif
