/* SPDX-License-Identifier: MIT */
/* The application processors' way in: a real-mode trampoline that ap.c copies to a page below
 * 1 MiB (a start-up IPI starts a vCPU there, CS = page << 8, IP = 0), and the 32-bit code in
 * the image it jumps to, which takes the mailbox's IDT and stack and calls ap_entry(apic_id). */

#define AP_CODE_SELECTOR 0x08 /* the same selectors entry.S and Moat use */
#define AP_DATA_SELECTOR 0x10
#define CR0_PE 0x1

	.section .text.ap_trampoline, "ax"
	.code16
	.globl ap_trampoline_start
	.globl ap_trampoline_end
ap_trampoline_start:
	cli
	cld
	/* The copy runs at CS base = its page, so its own labels are CS-relative offsets; the
	 * 32-bit operand size loads all 32 bits of the GDT base (SDM Vol. 2A, LGDT). */
	lgdtl	%cs:(ap_trampoline_gdt_pointer - ap_trampoline_start)
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	/* A far jump right after setting PE loads CS from the GDT (SDM Vol. 3A, 9.9.1). The
	 * target is an absolute address in the image, so the copy needs no relocation. */
	ljmpl	$AP_CODE_SELECTOR, $ap_protected_entry

	.balign 4
ap_trampoline_gdt_pointer:
	.word	ap_gdt_end - ap_gdt - 1
	.long	ap_gdt		/* the image's copy: LGDT takes a linear address */
ap_trampoline_end:

	.text
	.code32
ap_protected_entry:
	movl	$AP_DATA_SELECTOR, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss
	/* ap.c filled these in before the start-up IPI and keeps them until ap_entry checks in. */
	lidt	ap_boot_idtr
	movl	ap_boot_stack_top, %esp
	pushl	ap_boot_apic_id
	call	ap_entry
1:	cli
	hlt
	jmp	1b

	.section .rodata
	.balign 8
/* Flat 4 GiB ring-0 code and data, as entry.S's GDT. */
ap_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: code, base 0, limit 4 GiB, 32-bit */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, limit 4 GiB, writable */
ap_gdt_end:

	.section .note.GNU-stack, "", @progbits
