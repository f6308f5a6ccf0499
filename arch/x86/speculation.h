/* SPDX-License-Identifier: MIT */
/* The per-entry part of the speculation mitigations (speculation.c, docs/speculation.md):
 * what both vendors' run functions do around the world switch in C. */
#ifndef MOAT_ARCH_X86_SPECULATION_H
#define MOAT_ARCH_X86_SPECULATION_H

#include <moat/speculation.h>
#include <moat/vcpu.h>
#include <moat/x86.h>

#include "spec_asm.h"

/* Read by the world-switch assembly (spec_asm.h); set once at boot. */
struct spec_entry_flags {
	u8 rsb_full, rsb_lite, ibpb_exit, verw, l1d_flush;
};
extern struct spec_entry_flags spec_entry __attribute__((visibility("hidden")));
extern u16 spec_verw_selector __attribute__((visibility("hidden")));
/* IA32_SPEC_CTRL while Moat runs, and the bits kept set while a guest runs. */
extern u64 spec_host_spec_ctrl, spec_guest_forced_bits;

/* Loads the guest's IA32_SPEC_CTRL where it differs from Moat's; returns the value loaded,
 * for spec_ctrl_after_exit. Writes to the MSR exit (vmm/msr.c), so the hardware value is
 * the one loaded here until the next exit. Without the MSR both sides stay 0. */
static inline u64 spec_ctrl_before_entry(const struct vcpu *vcpu)
{
	u64 guest = vcpu->spec_ctrl | spec_guest_forced_bits;

	if (guest != spec_host_spec_ctrl)
		x86_wrmsr(MSR_IA32_SPEC_CTRL, guest);
	return guest;
}

/* Moat's own IA32_SPEC_CTRL back, first thing after the exit: only the RET out of the
 * world-switch assembly runs before it, and that is predicted from the RSB just refilled. */
static inline void spec_ctrl_after_exit(u64 guest)
{
	if (guest != spec_host_spec_ctrl)
		x86_wrmsr(MSR_IA32_SPEC_CTRL, spec_host_spec_ctrl);
}

/* L1TF: no guest-visible data of Moat's or another guest's in the L1D at entry. */
static inline void spec_l1d_flush_before_entry(void)
{
	if (spec_entry.l1d_flush)
		x86_wrmsr(MSR_IA32_FLUSH_CMD, FLUSH_CMD_L1D);
}

#endif
