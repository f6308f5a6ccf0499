/* SPDX-License-Identifier: MIT */
/* Entry stubs for every vector, 0-31 the CPU's exceptions and 32-255 interrupts: each pushes a
 * uniform frame (error code, vector, general registers) and calls trap_handle(frame); trap.c
 * fills the IDT from trap_stub_table. */

#define TRAP_VECTORS 256

	.code32
	.text

/* The vectors for which the CPU pushes an error code (Intel SDM Vol. 3A, 6.13, Table 6-1);
 * an interrupt (32-255) never has one. A stub is at most 12 bytes (PUSH imm32, JMP rel32). */
.macro TRAP_STUB vector
	.balign 16
trap_stub_\vector:
	.if (\vector == 8) || ((\vector >= 10) && (\vector <= 14)) || (\vector == 17) || \
	    (\vector == 21) || (\vector == 29) || (\vector == 30)
	.else
	pushl	$0
	.endif
	pushl	$\vector
	jmp	trap_common
.endm

.altmacro
.set vector, 0
.rept TRAP_VECTORS
	TRAP_STUB %vector
	.set vector, vector + 1
.endr

trap_common:
	pushal
	cld
	pushl	%esp		/* struct trap_frame * */
	call	trap_handle
	addl	$4, %esp
	popal
	addl	$8, %esp	/* vector and error code */
	iret

.macro TRAP_STUB_ADDRESS vector
	.long	trap_stub_\vector
.endm

	.section .rodata
	.balign 4
	.globl trap_stub_table
trap_stub_table:
.set vector, 0
.rept TRAP_VECTORS
	TRAP_STUB_ADDRESS %vector
	.set vector, vector + 1
.endr

	.section .note.GNU-stack, "", @progbits
