/* SPDX-License-Identifier: MIT */
/* From VMX capability MSR values to the controls Moat runs guests with (vmx_config.c). Pure
 * computation, so it is unit-tested on the host against sample MSR values. */
#ifndef MOAT_VMX_CONFIG_H
#define MOAT_VMX_CONFIG_H

#include <moat/types.h>

/* The capability MSRs as read from the CPU (true_* are 0 when not offered). */
struct vmx_caps {
	u64 basic;
	u64 pin, proc, exit, entry;
	u64 true_pin, true_proc, true_exit, true_entry;
	u64 proc2;
	u64 ept_vpid;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

struct vmx_config {
	u32 revision;
	u32 pin, proc, proc2, exit, entry;
	bool vpid;
	bool tpr_shadow; /* CR8 is the VTPR; otherwise CR8 accesses exit (vmx_exit.c) */
	bool long_mode_guests; /* "IA-32e mode guest" can be set at run time (vmx_exit.c) */
	bool ept_accessed_dirty;
	bool ept_1g_pages;
	bool ept_2m_pages;
	u32 invept_type;  /* INVEPT_SINGLE_CONTEXT or INVEPT_ALL_CONTEXTS */
	u32 invvpid_type; /* 0 when VPID is off */
};

/*
 * Adjusts one control word: the allowed-0 settings (low 32 bits of the capability MSR) are
 * ORed in, optional bits are kept only where allowed-1 (high 32 bits) permits. Returns false
 * when a required bit cannot be 1 or a forbidden bit must be 1; *missing names those bits.
 */
bool vmx_adjust_control(u64 capability, u32 required, u32 optional, u32 forbidden, u32 *out,
			u32 *missing);

/* Computes every control; on failure writes err ("secondary controls: unrestricted guest
 * (bit 7) not available") and returns a negative error: no VM entry may be attempted. */
int vmx_compute_config(const struct vmx_caps *caps, struct vmx_config *out, char *err,
		       size_t err_size);

#endif
