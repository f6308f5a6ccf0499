/* SPDX-License-Identifier: MIT */
/* Guest entry stub: keeps the entry EAX/EBX, zeroes .bss, loads the runtime's own GDT (Moat
 * enters with GDTR limit 0, docs/guest-interface.md), switches to a stack inside the image,
 * and calls runtime_start(entry_eax, entry_ebx). */

#define CODE_SELECTOR 0x08
#define DATA_SELECTOR 0x10
#define STACK_SIZE 16384

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl	%eax, %esi		/* entry EAX: the boot magic */
	movl	%ebx, %ebp		/* entry EBX: RAM size or the Multiboot info address */

	/* Segment reloads need our own descriptors (Intel SDM Vol. 3A, 3.4.3). */
	lgdt	gdt_pointer
	ljmp	$CODE_SELECTOR, $1f
1:	movl	$DATA_SELECTOR, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss

	/* Guest RAM arrives zeroed, but a loader need not clear .bss of a flat image. */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb

	movl	$stack_top, %esp
	pushl	%ebp
	pushl	%esi
	call	runtime_start
2:	cli
	hlt
	jmp	2b

	.section .rodata
	.balign 8
/* Flat 4 GiB ring-0 code and data, the same selectors Moat enters with. */
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: code, base 0, limit 4 GiB, 32-bit */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, limit 4 GiB, writable */
gdt_end:
	.balign 4
gdt_pointer:
	.word	gdt_end - gdt - 1
	.long	gdt

	.section .bss
	.balign 16
stack_bottom:
	.skip	STACK_SIZE
stack_top:

	.section .note.GNU-stack, "", @progbits
