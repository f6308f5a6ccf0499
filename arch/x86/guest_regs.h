/* SPDX-License-Identifier: MIT */
/* Offsets into struct vcpu_regs for the world-switch assembly of both vendors, and macros
 * that move the general-purpose registers RAX is not part of between the CPU and that
 * struct (include/moat/vcpu.h; the C side asserts the offsets). */
#ifndef MOAT_ARCH_X86_GUEST_REGS_H
#define MOAT_ARCH_X86_GUEST_REGS_H

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

#ifdef __ASSEMBLER__
/* Stores RBX, RCX, RDX, RBP, RSI, RDI and R8-R15 at \base (which must not be one of them). */
.macro SAVE_GUEST_GPRS base
	movq %rcx, REG_RCX(\base)
	movq %rdx, REG_RDX(\base)
	movq %rbx, REG_RBX(\base)
	movq %rbp, REG_RBP(\base)
	movq %rsi, REG_RSI(\base)
	movq %rdi, REG_RDI(\base)
	movq %r8, REG_R8(\base)
	movq %r9, REG_R9(\base)
	movq %r10, REG_R10(\base)
	movq %r11, REG_R11(\base)
	movq %r12, REG_R12(\base)
	movq %r13, REG_R13(\base)
	movq %r14, REG_R14(\base)
	movq %r15, REG_R15(\base)
.endm

/* Loads the same registers from \base except RSI and RDI (one of them is \base): the
 * caller loads those two last. */
.macro LOAD_GUEST_GPRS_EXCEPT_RSI_RDI base
	movq REG_RCX(\base), %rcx
	movq REG_RDX(\base), %rdx
	movq REG_RBX(\base), %rbx
	movq REG_RBP(\base), %rbp
	movq REG_R8(\base), %r8
	movq REG_R9(\base), %r9
	movq REG_R10(\base), %r10
	movq REG_R11(\base), %r11
	movq REG_R12(\base), %r12
	movq REG_R13(\base), %r13
	movq REG_R14(\base), %r14
	movq REG_R15(\base), %r15
.endm
#endif

#endif
