/* SPDX-License-Identifier: MIT */
/* What a guest's CR0 and CR8 accesses mean for IA-32e mode and the task priority under VMX
 * (vmx_long_mode.c). Pure computation over register values, so it is unit-tested on the host;
 * vmx_exit.c applies the result to the VMCS. */
#ifndef MOAT_VMX_LONG_MODE_H
#define MOAT_VMX_LONG_MODE_H

#include <moat/types.h>

/* The guest state a CR0 write is judged against, and what it changes. */
struct vmx_long_mode {
	u64 efer;	  /* the guest's IA32_EFER: LMA follows CR0.PG when LME is set */
	bool ia32e_guest; /* the "IA-32e mode guest" VM-entry control, always equal to LMA */
};

/*
 * A MOV to CR0 (or CLTS, LMSW) from old_cr0 to new_cr0, with the guest's CR4 and CS.L, on a
 * CPU that can (long_mode_allowed) or cannot enter 64-bit guests. Returns false when the CPU
 * refuses the write with #GP (SDM Vol. 2, MOV CR; Vol. 3 9.8.5, 9.8.5.4): bits 63:32 set, PG
 * without PE, PG turned on with EFER.LME but without CR4.PAE, PG turned off in 64-bit code.
 * Otherwise updates *mode: PG on with LME sets LMA, PG off clears it.
 */
bool vmx_long_mode_cr0_write(u64 old_cr0, u64 new_cr0, u64 cr4, bool cs_long,
			     bool long_mode_allowed, struct vmx_long_mode *mode);

/* CR8 as the virtual-APIC page's VTPR (SDM Vol. 3 29.3): a read gives VTPR[7:4]; a write
 * of bits 63:4 non-zero is refused (#GP), otherwise VTPR = value << 4. */
u64 vmx_cr8_read(u32 vtpr);
bool vmx_cr8_write(u64 value, u32 *vtpr);

#endif
