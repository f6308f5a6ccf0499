/* SPDX-License-Identifier: MIT */
/* The CPU's speculation controls as guests see them (docs/speculation.md): set once at boot
 * by arch/x86/speculation.c from the mitigation decision, read by the CPUID and MSR policy
 * (vmm/cpuid.c, vmm/msr.c). All zero means nothing is offered. */
#ifndef MOAT_SPECULATION_H
#define MOAT_SPECULATION_H

#include <moat/types.h>

/* Speculation-control MSRs (SDM Vol. 4 table 2-2). */
#define MSR_IA32_SPEC_CTRL 0x48
#define MSR_IA32_PRED_CMD 0x49
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_IA32_FLUSH_CMD 0x10b
#define PRED_CMD_IBPB BIT(0)
#define FLUSH_CMD_L1D BIT(0)

struct guest_speculation {
	u64 spec_ctrl_bits; /* IA32_SPEC_CTRL bits a guest may set; 0: the MSR raises #GP */
	bool pred_cmd;      /* a guest may write IBPB to IA32_PRED_CMD */
	u32 leaf7_edx;      /* CPUID.7.0:EDX bits passed to guests */
	u32 ext8_ebx;       /* CPUID.80000008:EBX bits passed to guests */
};

extern struct guest_speculation guest_speculation;

#endif
