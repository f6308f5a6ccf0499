// SPDX-License-Identifier: MIT
/* IA-32e mode activation and deactivation as a guest's CR0.PG writes ask for them, and CR8 as
 * the task priority in the virtual-APIC page (SDM Vol. 3 9.8.5, 27.3.1.1, 29.3). VM entry
 * checks that EFER.LMA equals the "IA-32e mode guest" control and, with CR0.PG set, EFER.LME:
 * a processor in VMX non-root operation changing LMA on its own would leave them apart. */
#include <moat/x86.h>

#include "vmx_defs.h"
#include "vmx_long_mode.h"

#define CR0_RESERVED_HIGH (~0ULL << 32)

bool vmx_long_mode_cr0_write(u64 old_cr0, u64 new_cr0, u64 cr4, bool cs_long,
			     bool long_mode_allowed, struct vmx_long_mode *mode)
{
	bool paging_on = !(old_cr0 & CR0_PG) && (new_cr0 & CR0_PG);
	bool paging_off = (old_cr0 & CR0_PG) && !(new_cr0 & CR0_PG);

	if ((new_cr0 & CR0_RESERVED_HIGH) || ((new_cr0 & CR0_PG) && !(new_cr0 & CR0_PE)))
		return false;
	if (paging_on && (mode->efer & EFER_LME)) {
		if (!(cr4 & CR4_PAE) || !long_mode_allowed)
			return false;
		mode->efer |= EFER_LMA;
	} else if (paging_off && (mode->efer & EFER_LMA)) {
		/* Paging goes off only from compatibility mode (9.8.5.4). */
		if (cs_long)
			return false;
		mode->efer &= ~(u64)EFER_LMA;
	}
	mode->ia32e_guest = mode->efer & EFER_LMA;
	return true;
}

u64 vmx_cr8_read(u32 vtpr)
{
	return (vtpr >> VMX_VTPR_CLASS_SHIFT) & VMX_CR8_MASK;
}

bool vmx_cr8_write(u64 value, u32 *vtpr)
{
	if (value & ~VMX_CR8_MASK)
		return false;
	*vtpr = (u32)(value << VMX_VTPR_CLASS_SHIFT);
	return true;
}
