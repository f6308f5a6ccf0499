/* SPDX-License-Identifier: MIT */
/*
 * int vmx_enter_guest(struct vcpu_regs *regs, u64 launched)
 *
 * Loads the guest's general-purpose registers (RSP, RIP and RFLAGS are VMCS fields) and
 * enters with VMLAUNCH or VMRESUME. A VM exit arrives at vmx_exit_point with the host RSP
 * written below (SDM Vol. 3 28.5.3: RSP and RIP come from the host-state area), saves the
 * guest registers and returns 0. A failed VMLAUNCH/VMRESUME returns 1 (the VM-instruction
 * error field says why).
 */
#define REG_RAX 0
#define REG_RCX 8
#define REG_RDX 16
#define REG_RBX 24
#define REG_RBP 40
#define REG_RSI 48
#define REG_RDI 56
#define REG_R8 64
#define REG_R9 72
#define REG_R10 80
#define REG_R11 88
#define REG_R12 96
#define REG_R13 104
#define REG_R14 112
#define REG_R15 120
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
	movq REG_RCX(%rdi), %rcx
	movq REG_RDX(%rdi), %rdx
	movq REG_RBX(%rdi), %rbx
	movq REG_RBP(%rdi), %rbp
	movq REG_RSI(%rdi), %rsi
	movq REG_R8(%rdi), %r8
	movq REG_R9(%rdi), %r9
	movq REG_R10(%rdi), %r10
	movq REG_R11(%rdi), %r11
	movq REG_R12(%rdi), %r12
	movq REG_R13(%rdi), %r13
	movq REG_R14(%rdi), %r14
	movq REG_R15(%rdi), %r15
	movq REG_RDI(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	/* VMfail: guest values may sit in caller-saved registers; the callee-saved ones are
	 * restored from the stack. */
	addq $8, %rsp
	movl $1, %eax
	jmp 3f

vmx_exit_point:
	pushq %rax
	movq 8(%rsp), %rax
	popq REG_RAX(%rax)
	movq %rcx, REG_RCX(%rax)
	movq %rdx, REG_RDX(%rax)
	movq %rbx, REG_RBX(%rax)
	movq %rbp, REG_RBP(%rax)
	movq %rsi, REG_RSI(%rax)
	movq %rdi, REG_RDI(%rax)
	movq %r8, REG_R8(%rax)
	movq %r9, REG_R9(%rax)
	movq %r10, REG_R10(%rax)
	movq %r11, REG_R11(%rax)
	movq %r12, REG_R12(%rax)
	movq %r13, REG_R13(%rax)
	movq %r14, REG_R14(%rax)
	movq %r15, REG_R15(%rax)
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
