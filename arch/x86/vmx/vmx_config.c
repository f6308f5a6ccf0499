// SPDX-License-Identifier: MIT
/* Chooses VMX controls from the capability MSRs (SDM Vol. 3 appendix A.3-A.5 and 25.6-25.8):
 * what Moat needs, what it uses when offered, and what it cannot work with. */
#include <moat/errno.h>
#include <moat/log.h>

#include "vmx_config.h"
#include "vmx_defs.h"

bool vmx_adjust_control(u64 capability, u32 required, u32 optional, u32 forbidden, u32 *out,
			u32 *missing)
{
	u32 must_be_one = (u32)capability, may_be_one = (u32)(capability >> 32);

	*missing = (required & ~may_be_one) | (forbidden & must_be_one);
	*out = ((required | optional) & may_be_one) | must_be_one;
	return *missing == 0;
}

struct control_choice {
	const char *name;
	u64 capability;
	u32 required, optional, forbidden;
	u32 *out;
};

static int vmx_apply_choices(const struct control_choice *choices, u32 count, char *err,
			     size_t err_size)
{
	for (u32 i = 0; i < count; i++) {
		const struct control_choice *c = &choices[i];
		u32 missing;

		if (!vmx_adjust_control(c->capability, c->required, c->optional, c->forbidden,
					c->out, &missing)) {
			u32 bit = (u32)__builtin_ctz(missing);

			format(err, err_size, "%s controls: bit %u %s (capability 0x%016lx)",
			       c->name, bit,
			       (c->required >> bit) & 1 ? "is required but not available"
						       : "is forced on but Moat cannot handle it",
			       c->capability);
			return -MOAT_ENOTSUP;
		}
	}
	return 0;
}

static int vmx_check_ept(const struct vmx_caps *caps, struct vmx_config *out, char *err,
			 size_t err_size)
{
	u64 ept = caps->ept_vpid;

	if (!(ept & EPT_CAP_WALK_4) || !(ept & EPT_CAP_MEMTYPE_WB) || !(ept & EPT_CAP_INVEPT) ||
	    !(ept & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL))) {
		format(err, err_size,
		       "EPT lacks a 4-level walk, write-back tables or INVEPT (capability 0x%016lx)",
		       ept);
		return -MOAT_ENOTSUP;
	}
	out->invept_type = ept & EPT_CAP_INVEPT_SINGLE ? INVEPT_SINGLE_CONTEXT
							: INVEPT_ALL_CONTEXTS;
	out->ept_accessed_dirty = ept & EPT_CAP_ACCESSED_DIRTY;
	out->ept_2m_pages = ept & EPT_CAP_2M_PAGES;
	out->ept_1g_pages = ept & EPT_CAP_1G_PAGES;
	out->vpid = (out->proc2 & PROC2_ENABLE_VPID) && (ept & VPID_CAP_INVVPID) &&
		    (ept & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
	if (!out->vpid)
		out->proc2 &= ~(u32)PROC2_ENABLE_VPID;
	out->invvpid_type = !out->vpid				? 0
			    : ept & VPID_CAP_INVVPID_SINGLE ? INVVPID_SINGLE_CONTEXT
							    : INVVPID_ALL_CONTEXTS;
	return 0;
}

/* CR8 must never reach the physical TPR, or a guest could mask Moat's timer and kicks on its
 * CPU: the TPR shadow where the CPU offers it, CR8-load/store exiting otherwise (SDM Vol. 3
 * 29.3). Returns the processor-based controls to require and those to forbid. */
static void vmx_choose_cr8(u64 proc_capability, struct vmx_config *out, u32 *required,
			   u32 *forbidden)
{
	const u32 cr8_exiting = PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING;

	out->tpr_shadow = (proc_capability >> 32) & PROC_USE_TPR_SHADOW;
	*required = out->tpr_shadow ? PROC_USE_TPR_SHADOW : cr8_exiting;
	*forbidden = out->tpr_shadow ? cr8_exiting : 0;
}

int vmx_compute_config(const struct vmx_caps *caps, struct vmx_config *out, char *err,
		       size_t err_size)
{
	bool true_controls = caps->basic & VMX_BASIC_TRUE_CONTROLS;
	u64 proc_capability = true_controls ? caps->true_proc : caps->proc;
	u64 entry_capability = true_controls ? caps->true_entry : caps->entry;
	u32 cr8_required, cr8_forbidden;
	int ret;

	vmx_choose_cr8(proc_capability, out, &cr8_required, &cr8_forbidden);
	/* Moat emulates no CR3 accesses. "IA-32e mode guest" is off at entry and follows the
	 * guest's EFER.LMA afterwards (vmx_exit.c): a CPU forcing it on cannot start guests. */
	const u32 proc_forbidden = PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING |
				   cr8_forbidden;
	const struct control_choice choices[] = {
		{ "pin-based", true_controls ? caps->true_pin : caps->pin,
		  PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING, PIN_PREEMPTION_TIMER, 0,
		  &out->pin },
		{ "processor-based", proc_capability,
		  PROC_HLT_EXITING | PROC_USE_TSC_OFFSETTING | PROC_USE_IO_BITMAPS |
			  PROC_USE_MSR_BITMAPS |
			  PROC_ACTIVATE_SECONDARY | PROC_MWAIT_EXITING |
			  PROC_MONITOR_EXITING | PROC_RDPMC_EXITING | cr8_required,
		  0, proc_forbidden, &out->proc },
		/* WBINVD exiting came with the first CPUs that have unrestricted guest. */
		{ "secondary", caps->proc2,
		  PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_WBINVD_EXITING,
		  PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP | PROC2_ENCLS_EXITING, 0, &out->proc2 },
		/* The debug controls keep the guest's DR7 and IA32_DEBUGCTL in the VMCS; a VM
		 * exit gives Moat DR7 = 0x400 and DEBUGCTL = 0 (SDM Vol. 3 28.3.1). */
		{ "VM-exit", true_controls ? caps->true_exit : caps->exit,
		  EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_ACK_INTERRUPT | EXIT_SAVE_EFER |
			  EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_DEBUG_CONTROLS,
		  0, 0, &out->exit },
		{ "VM-entry", entry_capability,
		  ENTRY_LOAD_EFER | ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG_CONTROLS, 0,
		  ENTRY_IA32E_MODE_GUEST, &out->entry },
	};

	out->revision = (u32)(caps->basic & VMX_BASIC_REVISION_MASK);
	out->long_mode_guests = (entry_capability >> 32) & ENTRY_IA32E_MODE_GUEST;
	ret = vmx_apply_choices(choices, ARRAY_SIZE(choices), err, err_size);
	if (!ret)
		ret = vmx_check_ept(caps, out, err, err_size);
	return ret;
}
