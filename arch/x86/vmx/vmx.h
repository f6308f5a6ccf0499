/* SPDX-License-Identifier: MIT */
/* Internal interface of the VMX vendor code (arch/x86/vmx). */
#ifndef MOAT_VMX_H
#define MOAT_VMX_H

#include <moat/vcpu.h>

#include "../guest_context.h"
#include "vmx_config.h"
#include "vmx_defs.h"
#include "vmx_long_mode.h"

/* MSRs a VMCS does not switch but a guest may use as its own (syscall entry points):
 * swapped by Moat whenever another vCPU is loaded on the CPU. */
#define VMX_SWAPPED_MSRS 5

struct vmx_vcpu {
	hpa_t vmcs;
	u8 *io_bitmaps;  /* A then B, 4 KiB each */
	u8 *msr_bitmap;
	u8 *virtual_apic; /* the guest's TPR (VTPR, SDM Vol. 3 29.1.1): CR8 and x2APIC MSR 0x808 */
	struct guest_entry_state entry; /* applied when the VMCS is first loaded */
	hpa_t ept_root;
	bool configured; /* VMCS fields written */
	bool launched;   /* VMLAUNCH done: next entry is VMRESUME */
	u32 host_cpu;    /* the CPU whose descriptors the host-state area holds */
	u32 exit_instruction_length;
	u64 cr0_shadow, cr4_shadow;
	u64 swapped_msrs[VMX_SWAPPED_MSRS];
	struct guest_context context; /* DR0-DR3, DR6, CR2, XCR0 and XSAVE area, TSC_AUX */
};

static inline struct vmx_vcpu *vmx_of(struct vcpu *vcpu)
{
	return vcpu->vendor;
}

static inline bool vmx_write(enum vmcs_field field, u64 value)
{
	bool ok;

	__asm__ volatile("vmwrite %2, %1; seta %0" : "=qm"(ok) : "r"((u64)field), "rm"(value)
			 : "cc", "memory");
	return ok;
}

static inline u64 vmx_read(enum vmcs_field field)
{
	u64 value = 0;

	__asm__ volatile("vmread %1, %0" : "=rm"(value) : "r"((u64)field) : "cc");
	return value;
}

int vmx_enter_guest(struct vcpu_regs *regs, u64 launched);
void vmx_exit_point(void);

/* Writes the whole VMCS of a vCPU that was just made current. */
/* Writes the host-state area for cpu (a vCPU that moved there). */
int vmx_vmcs_setup_host(u32 cpu);
/* Turns interrupt-window exiting on or off in the current VMCS. */
void vmx_set_interrupt_window(bool on);
int vmx_vmcs_setup(struct vcpu *vcpu, const struct vmx_config *config);
/* The TPR and long-mode choices of vmx_compute_config, for vmx_exit.c. */
const struct vmx_config *vmx_active_config(void);
/* Exit translation; exits Moat completes itself (CR0/CR4/CR8 accesses) return false. */
bool vmx_translate_exit(struct vcpu *vcpu, struct vm_exit *exit);
u64 vmx_guest_cr(struct vcpu *vcpu, enum vmcs_field cr, enum vmcs_field shadow,
		 enum vmcs_field mask);

const char *vmx_instruction_error_name(u64 error);
/* Logs the guest and control fields VM-entry checks (for a failed entry). */
void vmx_log_entry_state(const char *guest);

extern const struct vendor_ops vmx_ops;
bool vmx_probe(void);

#endif
