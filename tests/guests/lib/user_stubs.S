/* SPDX-License-Identifier: MIT */
/* Entering ring 3 and coming back (user.c): user_enter(fn) saves the callee-saved registers,
 * points TSS.ESP0 at its own stack and IRETs to fn at CPL 3; user_return_entry, reached by
 * INT 0x7e from ring 3 (Intel SDM Vol. 3A 6.12.1), drops that frame and returns. */

#define KERNEL_DATA_SELECTOR 0x10
#define USER_CODE_SELECTOR (0x18 | 3)
#define USER_DATA_SELECTOR (0x20 | 3)
#define TSS_ESP0 4
#define USER_STACK_SIZE 4096

	.code32
	.text
	.globl user_enter
user_enter:
	pushl	%ebp
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	movl	%esp, user_saved_esp
	movl	%esp, user_tss + TSS_ESP0	/* ring-3 exceptions and the return land below */
	movl	20(%esp), %eax			/* fn */
	movl	$USER_DATA_SELECTOR, %ecx
	movw	%cx, %ds
	movw	%cx, %es
	movw	%cx, %fs
	movw	%cx, %gs
	pushl	$USER_DATA_SELECTOR		/* SS */
	pushl	$user_stack_top			/* ESP */
	pushfl					/* EFLAGS: the caller's */
	pushl	$USER_CODE_SELECTOR		/* CS */
	pushl	%eax				/* EIP */
	iret

	.globl user_return_entry
user_return_entry:
	movl	$KERNEL_DATA_SELECTOR, %ecx
	movw	%cx, %ds
	movw	%cx, %es
	movw	%cx, %fs
	movw	%cx, %gs
	movl	user_saved_esp, %esp
	popl	%edi
	popl	%esi
	popl	%ebx
	popl	%ebp
	ret

	.section .bss
	.balign 16
user_stack:
	.skip	USER_STACK_SIZE
user_stack_top:

	.section .note.GNU-stack, "", @progbits
