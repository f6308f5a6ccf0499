/* SPDX-License-Identifier: MIT */
/*
 * void svm_enter_guest(u64 vmcb_pa, struct vcpu_regs *regs, u64 host_state_pa)
 *
 * VMRUN saves and restores only RAX, RSP, RIP, RFLAGS and segment/control state through
 * the VMCB and the host save area (APM 15.5); the other general-purpose registers are
 * swapped here. VMLOAD/VMSAVE move the state VMRUN leaves alone (FS/GS/TR/LDTR bases,
 * syscall and sysenter MSRs, KernelGSBase: APM 15.5.2) between the guest's VMCB and the
 * CPU, and host_state_pa keeps Moat's own copy. GIF is cleared around the switch so that
 * nothing interrupts it half-done. The speculation barriers (spec_asm.h) run after the
 * exit while GIF is still clear, before the first RET and before any host interrupt.
 */
#include "../guest_regs.h"
#include "../spec_asm.h"

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

	/* GIF=0 holds interrupts until the guest runs; with IF=1 and V_INTR_MASKING a host
	 * interrupt then ends the guest's run (INTR intercept, APM 15.21.1). */
	clgi
	sti
	LOAD_GUEST_GPRS_EXCEPT_RSI_RDI %rsi
	movq REG_RDI(%rsi), %rdi
	movq REG_RSI(%rsi), %rsi
	movq (%rsp), %rax
	vmload %rax
	vmrun %rax
	vmsave %rax

	movq 8(%rsp), %rax
	SAVE_GUEST_GPRS %rax
	movq 16(%rsp), %rax
	vmload %rax
	SPEC_AFTER_EXIT 1
	stgi			/* the pending host interrupt, if any, is taken here */
	cli

	addq $24, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.section .note.GNU-stack,"",@progbits
