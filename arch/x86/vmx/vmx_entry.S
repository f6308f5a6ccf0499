/* SPDX-License-Identifier: MIT */
/*
 * int vmx_enter_guest(struct vcpu_regs *regs, u64 launched)
 *
 * Loads the guest's general-purpose registers (RSP, RIP and RFLAGS are VMCS fields) and
 * enters with VMLAUNCH or VMRESUME. A VM exit arrives at vmx_exit_point with the host RSP
 * written below (SDM Vol. 3 28.5.3: RSP and RIP come from the host-state area), saves the
 * guest registers and returns 0. A failed VMLAUNCH/VMRESUME returns 1 (the VM-instruction
 * error field says why). The speculation barriers (spec_asm.h): VERW last before the
 * entry, the RSB refill first after the exit, before the first RET.
 */
#include "../guest_regs.h"
#include "../spec_asm.h"
#define VMCS_HOST_RSP 0x6c14

	.text
	.globl vmx_enter_guest
	.globl vmx_exit_point
vmx_enter_guest:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi		/* 0(%rsp): guest registers */
	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
	jbe 2f			/* VMfail: CF or ZF set */

	testq %rsi, %rsi	/* MOVs below keep the flags for the launch/resume choice */
	movq REG_RAX(%rdi), %rax
	LOAD_GUEST_GPRS_EXCEPT_RSI_RDI %rdi
	movq REG_RSI(%rdi), %rsi
	movq REG_RDI(%rdi), %rdi
	jnz 1f
	SPEC_VERW_BEFORE_ENTRY
	vmlaunch
	jmp 2f
1:	SPEC_VERW_BEFORE_ENTRY
	vmresume
2:	/* VMfail: guest values may sit in caller-saved registers; the callee-saved ones are
	 * restored from the stack. */
	addq $8, %rsp
	movl $1, %eax
	jmp 3f

vmx_exit_point:
	pushq %rax
	movq 8(%rsp), %rax
	popq REG_RAX(%rax)
	SAVE_GUEST_GPRS %rax
	SPEC_AFTER_EXIT 0
	addq $8, %rsp
	xorl %eax, %eax
3:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.section .note.GNU-stack,"",@progbits
