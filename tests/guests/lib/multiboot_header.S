/* SPDX-License-Identifier: MIT */
/* The Multiboot 1 header (Multiboot spec 0.6.96, 3.1.1), linked first so that it sits within
 * the first 8192 bytes of the ELF file. Flags: page-align modules, provide memory info. */

#define MULTIBOOT_HEADER_MAGIC 0x1badb002
#define MULTIBOOT_HEADER_PAGE_ALIGN (1 << 0)
#define MULTIBOOT_HEADER_MEMORY_INFO (1 << 1)
#define MULTIBOOT_HEADER_FLAGS (MULTIBOOT_HEADER_PAGE_ALIGN | MULTIBOOT_HEADER_MEMORY_INFO)

	.section .multiboot, "a"
	.balign 4
	.long	MULTIBOOT_HEADER_MAGIC
	.long	MULTIBOOT_HEADER_FLAGS
	.long	-(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

	.section .note.GNU-stack, "", @progbits
