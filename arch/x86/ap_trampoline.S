/* SPDX-License-Identifier: MIT */
/* Where an application processor starts after INIT-SIPI-SIPI: real mode -> protected mode ->
 * long mode (SDM Vol. 3 8.4.4, 10.8.5), then ap_main on a stack of its own. smp.c copies
 * this code to a page below 1 MiB and fills the parameter block (ap_trampoline.h); the code
 * uses no absolute addresses of its own, so it runs wherever it is copied. */
#include "ap_trampoline.h"

#define PARAM(field) (AP_PARAMS_OFFSET + AP_PARAM_##field)

	.section .text
	.balign 16
	.globl ap_trampoline_start, ap_trampoline_end
	.globl ap_trampoline_protected, ap_trampoline_long

	.code16
ap_trampoline_start:
.Lbase:
	cli
	cld
	/* CS = SIPI vector << 8, IP = 0: the page's physical base is CS * 16. */
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx
	lgdtl PARAM(GDT_POINTER)
	movl %cr0, %eax
	orl $AP_CR0_PE, %eax
	movl %eax, %cr0
	/* A far jump loads the 32-bit code segment (SDM Vol. 3 10.9.1). */
	ljmpl *PARAM(PM_ENTRY)

	.code32
ap_trampoline_protected:
	movw $AP_SELECTOR_DATA32, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	/* Long mode needs PAE, EFER.LME, a PML4 in CR3 (a 32-bit register here, hence the low
	 * copy), then CR0.PG (SDM Vol. 3 10.8.5). CR0.CD/NW are still set from INIT: clear
	 * them so the AP caches like the BSP. */
	movl %cr4, %eax
	orl $AP_CR4_PAE, %eax
	movl %eax, %cr4
	movl PARAM(LOW_CR3)(%ebx), %eax
	movl %eax, %cr3
	movl $AP_MSR_EFER, %ecx
	movl PARAM(EFER)(%ebx), %eax
	xorl %edx, %edx
	wrmsr
	movl %cr0, %eax
	andl $~(AP_CR0_CD | AP_CR0_NW), %eax
	orl $AP_CR0_PG, %eax
	movl %eax, %cr0
	/* Now in compatibility mode: a far jump to the 64-bit code segment enters long mode. */
	ljmpl *PARAM(LM_ENTRY)(%ebx)

	.code64
ap_trampoline_long:
	/* Register upper halves are undefined after the switch: take the base from RIP (a
	 * local label, so that the assembler leaves no relocation for the linker). */
	leaq .Lbase(%rip), %rbx
	/* Moat's own control registers and page tables, as on the BSP. */
	movq PARAM(CR4)(%rbx), %rax
	movq %rax, %cr4
	movq PARAM(CR3)(%rbx), %rax
	movq %rax, %cr3
	movq PARAM(CR0)(%rbx), %rax
	movq %rax, %cr0
	/* One ticket per AP: tickets below the slot count index the stack table. */
	movl $1, %eax
	lock xaddl %eax, PARAM(NEXT_TICKET)(%rbx)
	cmpl PARAM(SLOTS)(%rbx), %eax
	jae ap_trampoline_park
	movq PARAM(STACKS)(%rbx), %rcx
	movq (%rcx, %rax, 8), %rsp
	xorl %ebp, %ebp
	leal 1(%rax), %edi	/* cpu index: ticket + 1, the BSP is cpu 0 */
	movq PARAM(ENTRY)(%rbx), %rax
	callq *%rax		/* ap_main never returns */
ap_trampoline_park:
	/* No slot (more CPUs than SMP_MAX_CPUS, or too late): park without a stack. */
	lock incl PARAM(PARKED)(%rbx)
1:	cli
	hlt
	jmp 1b
ap_trampoline_end:

	.section .note.GNU-stack,"",@progbits
