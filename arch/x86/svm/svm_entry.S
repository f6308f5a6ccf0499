/* SPDX-License-Identifier: MIT */
/*
 * void svm_enter_guest(u64 vmcb_pa, struct vcpu_regs *regs, u64 host_state_pa)
 *
 * VMRUN saves and restores only RAX, RSP, RIP, RFLAGS and segment/control state through
 * the VMCB and the host save area (APM 15.5); the other general-purpose registers are
 * swapped here. VMLOAD/VMSAVE move the state VMRUN leaves alone (FS/GS/TR/LDTR bases,
 * syscall and sysenter MSRs, KernelGSBase: APM 15.5.2) between the guest's VMCB and the
 * CPU, and host_state_pa keeps Moat's own copy. GIF is cleared around the switch so that
 * nothing interrupts it half-done.
 */
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

	.text
	.globl svm_enter_guest
svm_enter_guest:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdx		/* 16(%rsp): host state area */
	pushq %rsi		/* 8(%rsp): guest registers */
	pushq %rdi		/* 0(%rsp): VMCB */

	clgi
	movq REG_RCX(%rsi), %rcx
	movq REG_RDX(%rsi), %rdx
	movq REG_RBX(%rsi), %rbx
	movq REG_RBP(%rsi), %rbp
	movq REG_RDI(%rsi), %rdi
	movq REG_R8(%rsi), %r8
	movq REG_R9(%rsi), %r9
	movq REG_R10(%rsi), %r10
	movq REG_R11(%rsi), %r11
	movq REG_R12(%rsi), %r12
	movq REG_R13(%rsi), %r13
	movq REG_R14(%rsi), %r14
	movq REG_R15(%rsi), %r15
	movq REG_RSI(%rsi), %rsi
	movq (%rsp), %rax
	vmload %rax
	vmrun %rax
	vmsave %rax

	movq 8(%rsp), %rax
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
	movq 16(%rsp), %rax
	vmload %rax
	stgi

	addq $24, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.section .note.GNU-stack,"",@progbits
