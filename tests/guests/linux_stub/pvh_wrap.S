/* SPDX-License-Identifier: MIT */
/* pvh-stub: wraps the 32-bit kernel (pvh_stub.c, linked at 0x1000000) into the ELF64 file a
 * PVH loader expects: one PT_LOAD at its physical address and a PT_NOTE holding the Xen
 * XEN_ELFNOTE_PHYS32_ENTRY note (type 18) with the entry, the image's first byte. */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_STUB_LOAD 0x1000000
#define PVH_STUB_BSS 0x20000 /* room for the 32-bit kernel's .bss and stack */

	.section .pvh_image, "ax"
	.globl pvh_stub_start
pvh_stub_start:
	.incbin "pvh-stub.bin"

	.section .pvh_bss, "aw", @nobits
	.skip PVH_STUB_BSS

	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen" and its NUL */
	.long 4				/* descsz: a 32-bit entry address */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long PVH_STUB_LOAD
