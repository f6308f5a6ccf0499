/* SPDX-License-Identifier: MIT */
/* Interrupt entry stubs. Exceptions (vectors 0-31) get one frame (struct exception_frame)
 * and go to exception_dispatch, which stops Moat except for an NMI; vectors 32-255 are
 * device interrupts, handed to interrupt_dispatch. Vectors with a CPU-pushed error code:
 * SDM Vol. 3 table 6-1. */
	.text
.macro ISR_NOERR vector
isr_\vector:
	pushq $0
	pushq $\vector
	jmp isr_common
.endm
.macro ISR_ERR vector
isr_\vector:
	pushq $\vector
	jmp isr_common
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR 29
ISR_ERR 30
ISR_NOERR 31

isr_common:
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
	movq %rsp, %rdi
	movq %rsp, %rbx		/* callee-saved: the frame, across the aligned call */
	andq $-16, %rsp
	call exception_dispatch
	movq %rbx, %rsp		/* only an NMI comes back */
	popq %rax
	popq %rbx
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
	addq $16, %rsp		/* vector and error code */
	iretq

/* Device interrupts: one IRQ_STUB_SIZE-byte stub per vector pushes the vector; the
 * interrupted code's caller-saved registers (and RBX, used here) are kept. */
	.balign 16
irq_stubs:
	.set vector, 32
	.rept 224
	pushq $vector
	jmp irq_common
	.balign 16
	.set vector, vector + 1
	.endr

irq_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	movq 80(%rsp), %rdi	/* the vector, above the ten saved registers */
	movq %rsp, %rbx
	andq $-16, %rsp
	call interrupt_dispatch
	movq %rbx, %rsp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $8, %rsp		/* the vector */
	iretq

	.section .data
	.balign 8
	.globl isr_stub_table
isr_stub_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr_\v
	.endr
	.globl irq_stub_base
irq_stub_base:
	.quad irq_stubs
	.section .note.GNU-stack,"",@progbits
