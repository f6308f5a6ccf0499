// SPDX-License-Identifier: MIT
/* When a VM entry fails: the VM-instruction error in words (SDM Vol. 3 31.4) and the guest
 * and control fields entry checks look at (SDM Vol. 3 27.2, 27.3), so the log says what
 * was refused. */
#include <moat/log.h>

#include "vmx.h"

static const char *const vmx_instruction_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control fields",
	[8] = "VM entry with invalid host-state fields",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(u64 error)
{
	if (error < ARRAY_SIZE(vmx_instruction_errors) && vmx_instruction_errors[error])
		return vmx_instruction_errors[error];
	return "unknown VM-instruction error";
}

void vmx_log_entry_state(const char *guest)
{
	log_error("vmx: guest '%s' entry state: cr0 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%lx "
		  "rflags 0x%lx rip 0x%lx",
		  guest, vmx_read(VMCS_GUEST_CR0), vmx_read(VMCS_GUEST_CR3),
		  vmx_read(VMCS_GUEST_CR4), vmx_read(VMCS_GUEST_IA32_EFER),
		  vmx_read(VMCS_GUEST_RFLAGS), vmx_read(VMCS_GUEST_RIP));
	log_error("vmx: guest '%s' segments: cs %lx/%lx ss %lx/%lx ds %lx/%lx tr %lx/%lx/%lx "
		  "ldtr access %lx (selector/access[/limit])",
		  guest, vmx_read(VMCS_GUEST_CS_SELECTOR), vmx_read(VMCS_GUEST_CS_ACCESS),
		  vmx_read(VMCS_GUEST_SS_SELECTOR), vmx_read(VMCS_GUEST_SS_ACCESS),
		  vmx_read(VMCS_GUEST_DS_SELECTOR), vmx_read(VMCS_GUEST_DS_ACCESS),
		  vmx_read(VMCS_GUEST_TR_SELECTOR), vmx_read(VMCS_GUEST_TR_ACCESS),
		  vmx_read(VMCS_GUEST_TR_LIMIT), vmx_read(VMCS_GUEST_LDTR_ACCESS));
	log_error("vmx: guest '%s' controls: pin 0x%lx proc 0x%lx proc2 0x%lx exit 0x%lx "
		  "entry 0x%lx interruptibility 0x%lx activity 0x%lx",
		  guest, vmx_read(VMCS_PIN_CONTROLS), vmx_read(VMCS_PROC_CONTROLS),
		  vmx_read(VMCS_PROC2_CONTROLS), vmx_read(VMCS_EXIT_CONTROLS),
		  vmx_read(VMCS_ENTRY_CONTROLS), vmx_read(VMCS_GUEST_INTERRUPTIBILITY),
		  vmx_read(VMCS_GUEST_ACTIVITY_STATE));
}
