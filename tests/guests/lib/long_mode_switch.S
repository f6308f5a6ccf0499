/* SPDX-License-Identifier: MIT */
/* The mode switches behind long_mode_call (long_mode.h): from 32-bit protected mode with paging
 * off into 64-bit mode and back (Intel SDM Vol. 3A, 9.8.5 and 9.8.5.4; AMD APM Vol. 2, 14.6 and
 * 14.7), and the 64-bit interrupt stubs: one per vector, 16 bytes apart, then a common part
 * that counts interrupts or records an exception and leaves 64-bit mode. */

#define CODE32_SELECTOR 0x08
#define CODE64_SELECTOR 0x18
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define MSR_X2APIC_ID 0x802
#define MSR_X2APIC_EOI 0x80b
#define VCPU_INDEX_MASK 7		/* AP_MAX_VCPUS - 1 */
#define FIRST_INTERRUPT_VECTOR 32
#define VECTORS 256
#define STUB_ALIGN 16
/* Exceptions that push an error code (SDM Vol. 3A, 6.15): 8, 10-14, 17, 21, 29, 30. */
#define ERROR_CODE_VECTORS 0x60227d00
#define FAULT_RECORD_SHIFT 5		/* struct long_mode_fault is 32 bytes */
#define FAULT_VECTOR 0
#define FAULT_ERROR_CODE 8
#define FAULT_RIP 16
/* The frame long_mode_switch builds below its saved EBP. */
#define FRAME_CR4 (-40)
#define FRAME_CR3 (-36)
#define FRAME_GDTR (-32)
#define FRAME_IDTR (-24)
#define FRAME_EFLAGS (-16)
#define FRAME_BOTTOM_TO_EBP 40
#define ARG_ROUTINE 8
#define ARG_VALUE 12
#define ARG_PML4 16

	.text
	.code32
/* u64 long_mode_switch(const void *routine, u32 arg, u32 pml4): cdecl, result in EDX:EAX. */
	.globl	long_mode_switch
long_mode_switch:
	pushl	%ebp
	movl	%esp, %ebp
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	pushfl
	cli
	subl	$16, %esp
	sgdt	(%esp)			/* FRAME_GDTR */
	sidt	8(%esp)			/* FRAME_IDTR */
	movl	%cr3, %eax
	pushl	%eax			/* FRAME_CR3 */
	movl	%cr4, %eax
	pushl	%eax			/* FRAME_CR4 */

	/* The same 0x08/0x10 descriptors as the runtime's, plus a 64-bit code segment. */
	lgdt	long_mode_gdt_pointer
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	ARG_PML4(%ebp), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	/* PG with LME set activates IA-32e mode (EFER.LMA); the far jump enters 64-bit mode. */
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	ljmp	$CODE64_SELECTOR, $1f

	.code64
	/* The upper halves of the registers are undefined after the switch: 32-bit moves clear
	 * them (SDM Vol. 1, 3.4.1.1). */
1:	movl	%esp, %esp
	movl	%ebp, %ebp
	/* Symbols through registers: an ELF32 object has no sign-extended relocation. */
	movl	$long_mode_idt_pointer, %eax
	lidt	(%rax)
	movl	$MSR_X2APIC_ID, %ecx
	rdmsr
	andl	$VCPU_INDEX_MASK, %eax
	movl	$long_mode_saved_rsp, %edx
	movq	%rsp, (%rdx, %rax, 8)
	movl	ARG_VALUE(%rbp), %edi
	movl	ARG_ROUTINE(%rbp), %eax
	andq	$-16, %rsp
	callq	*%rax

/* RAX holds the result; the stack may be anything (an exception ended the routine). */
long_mode_leave:
	movq	%rax, %r8
	movl	$MSR_X2APIC_ID, %ecx
	rdmsr
	andl	$VCPU_INDEX_MASK, %eax
	movl	$long_mode_saved_rsp, %edx
	movq	(%rdx, %rax, 8), %rsp
	leaq	FRAME_BOTTOM_TO_EBP(%rsp), %rbp
	movq	%r8, %rsi
	movq	%r8, %rdi
	shrq	$32, %rdi
	/* Compatibility mode first: paging can only be turned off from there (9.8.5.4). */
	pushq	$CODE32_SELECTOR
	movl	$2f, %eax
	pushq	%rax
	lretq

	.code32
2:	movl	%cr0, %eax
	andl	$~CR0_PG, %eax
	movl	%eax, %cr0		/* leaves IA-32e mode: EFER.LMA becomes 0 */
	movl	$MSR_EFER, %ecx
	rdmsr
	andl	$~EFER_LME, %eax
	wrmsr
	movl	FRAME_CR4(%ebp), %eax
	movl	%eax, %cr4
	movl	FRAME_CR3(%ebp), %eax
	movl	%eax, %cr3
	lgdt	FRAME_GDTR(%ebp)
	lidt	FRAME_IDTR(%ebp)
	movl	%esi, %eax
	movl	%edi, %edx
	leal	FRAME_EFLAGS(%ebp), %esp
	popfl
	popl	%edi
	popl	%esi
	popl	%ebx
	popl	%ebp
	ret

	.code64
	.balign	STUB_ALIGN
	.globl	long_mode_vector_stubs
long_mode_vector_stubs:
	vector = 0
	.rept	VECTORS
	.balign	STUB_ALIGN
	pushq	$vector
	jmp	long_mode_vector_common
	vector = vector + 1
	.endr

long_mode_vector_common:
	cmpq	$FIRST_INTERRUPT_VECTOR, (%rsp)
	jb	long_mode_exception
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	movq	24(%rsp), %rax
	movl	$long_mode_interrupt_count, %ecx
	lock incl (%rcx, %rax, 4)
	movl	$MSR_X2APIC_EOI, %ecx
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$8, %rsp		/* the vector */
	iretq

/* Records vector, error code and RIP for this vCPU, then ends the routine. */
long_mode_exception:
	movq	(%rsp), %rsi
	movq	8(%rsp), %r9		/* RIP, or the error code */
	xorl	%r10d, %r10d
	movl	$ERROR_CODE_VECTORS, %eax
	btl	%esi, %eax
	jnc	3f
	movq	%r9, %r10
	movq	16(%rsp), %r9
3:	movl	$MSR_X2APIC_ID, %ecx
	rdmsr
	andl	$VCPU_INDEX_MASK, %eax
	shll	$FAULT_RECORD_SHIFT, %eax
	incq	%rsi			/* vector + 1: 0 means no fault */
	movl	$long_mode_fault, %edx
	addq	%rdx, %rax
	movq	%rsi, FAULT_VECTOR(%rax)
	movq	%r10, FAULT_ERROR_CODE(%rax)
	movq	%r9, FAULT_RIP(%rax)
	xorl	%eax, %eax
	jmp	long_mode_leave

	.section .rodata
	.balign	8
long_mode_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: code, 32-bit, as entry.S */
	.quad	0x00cf92000000ffff	/* 0x10: data, as entry.S */
	.quad	0x00af9a000000ffff	/* 0x18: code, 64-bit (L=1, D=0; SDM Vol. 3A, 5.2.1) */
long_mode_gdt_end:
	.balign	4
long_mode_gdt_pointer:
	.word	long_mode_gdt_end - long_mode_gdt - 1
	.long	long_mode_gdt

	.section .note.GNU-stack, "", @progbits
