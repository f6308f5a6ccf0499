// SPDX-License-Identifier: MIT
/* VMX exits in generic terms (SDM Vol. 3 chapter 28 and appendix C). Guest writes to the
 * CR0/CR4 bits Moat holds, and CR8 accesses where there is no TPR shadow, are completed here:
 * the generic core never sees them. */
#include <moat/arch.h>
#include <moat/exit.h>
#include <moat/string.h>
#include <moat/vm.h>
#include <moat/x86.h>

#include "vmx.h"

struct vmx_exit_name {
	u32 reason;
	const char *name;
};

/* Instructions a guest may never run: each stops the guest. */
static const struct vmx_exit_name vmx_forbidden[] = {
	{ VMX_EXIT_GETSEC, "GETSEC" },	   { VMX_EXIT_INVD, "INVD" },
	{ VMX_EXIT_VMCLEAR, "VMCLEAR" },
	{ VMX_EXIT_VMLAUNCH, "VMLAUNCH" }, { VMX_EXIT_VMPTRLD, "VMPTRLD" },
	{ VMX_EXIT_VMPTRST, "VMPTRST" },   { VMX_EXIT_VMREAD, "VMREAD" },
	{ VMX_EXIT_VMRESUME, "VMRESUME" }, { VMX_EXIT_VMWRITE, "VMWRITE" },
	{ VMX_EXIT_VMXOFF, "VMXOFF" },	   { VMX_EXIT_VMXON, "VMXON" },
	{ VMX_EXIT_MWAIT, "MWAIT" },	   { VMX_EXIT_MONITOR, "MONITOR" },
	{ VMX_EXIT_INVEPT, "INVEPT" },	   { VMX_EXIT_INVVPID, "INVVPID" },
	{ VMX_EXIT_VMFUNC, "VMFUNC" },	   { VMX_EXIT_ENCLS, "ENCLS" },
	{ VMX_EXIT_TASK_SWITCH, "task switch" },
};

static const char *vmx_forbidden_name(u32 reason)
{
	for (u32 i = 0; i < ARRAY_SIZE(vmx_forbidden); i++)
		if (vmx_forbidden[i].reason == reason)
			return vmx_forbidden[i].name;
	return NULL;
}

u64 vmx_guest_cr(struct vcpu *vcpu, enum vmcs_field cr, enum vmcs_field shadow,
		 enum vmcs_field mask)
{
	u64 held = vmx_read(mask);

	return (vmx_read(cr) & ~held) | (vmx_read(shadow) & held);
}

static u64 *vmx_gpr(struct vcpu *vcpu, u32 index)
{
	/* struct vcpu_regs is in x86 encoding order (RAX=0 ... R15=15). */
	return &vcpu->regs.rax + index;
}

/* CR8 accesses when the CPU has no TPR shadow (CR8-load/store exiting): the guest's TPR is
 * kept where the TPR shadow would keep it, the virtual-APIC page (SDM Vol. 3 29.3). */
static bool vmx_emulate_cr8(struct vcpu *vcpu, u32 access, u64 *gpr)
{
	u32 *vtpr = (u32 *)(vmx_of(vcpu)->virtual_apic + VMX_VIRTUAL_APIC_TPR_OFFSET);

	if (access == VMX_CR_ACCESS_FROM_CR) {
		*gpr = vmx_cr8_read(*vtpr);
		return true;
	}
	return vmx_cr8_write(*gpr, vtpr);
}

/* Keeps EFER.LMA and the "IA-32e mode guest" entry control in step with a CR0 write
 * (vmx_long_mode.c). Returns false for a write the CPU refuses with #GP. */
static bool vmx_update_long_mode(struct vcpu *vcpu, u64 old_cr0, u64 new_cr0)
{
	struct vmx_long_mode mode = { .efer = vmx_read(VMCS_GUEST_IA32_EFER) };
	u64 entry = vmx_read(VMCS_ENTRY_CONTROLS);
	u64 cr4 = vmx_guest_cr(vcpu, VMCS_GUEST_CR4, VMCS_CR4_READ_SHADOW,
			       VMCS_CR4_GUEST_HOST_MASK);
	bool cs_long = vmx_read(VMCS_GUEST_CS_ACCESS) & VMX_ACCESS_LONG_MODE;

	if (!vmx_long_mode_cr0_write(old_cr0, new_cr0, cr4, cs_long,
				     vmx_active_config()->long_mode_guests, &mode))
		return false;
	vmx_write(VMCS_GUEST_IA32_EFER, mode.efer);
	vmx_write(VMCS_ENTRY_CONTROLS, mode.ia32e_guest ? entry | ENTRY_IA32E_MODE_GUEST
							: entry & ~(u64)ENTRY_IA32E_MODE_GUEST);
	return true;
}

/* PAE paging (SDM Vol. 3 4.4): CR3[31:5] points at four 8-byte PDPTEs; a present one must
 * have bits 2:1, 8:5 and those at or above MAXPHYADDR clear (4.4.1). */
#define PAE_PDPT_ADDRESS_MASK 0xffffffe0u
#define PAE_PDPTE_COUNT 4
#define PAE_PDPTE_PRESENT BIT(0)
#define PAE_PDPTE_RESERVED_LOW (BIT(1) | BIT(2) | BIT(5) | BIT(6) | BIT(7) | BIT(8))
#define CPUID_ADDRESS_SIZES 0x80000008u
#define CPUID_PHYSICAL_BITS_MASK 0xffu
#define VMCS_PDPTE_FIELD_STRIDE 2

/* With EPT, VM entry takes the PDPTEs of a PAE-paging guest from the VMCS, not from memory
 * (SDM Vol. 3 27.3.2.4), so a MOV to CR0 that Moat completes must load them as the CPU's own
 * would (SDM Vol. 3 4.4.1). Returns false where the CPU raises #GP: the table is outside the
 * guest's RAM or a present entry has reserved bits set. */
static bool vmx_load_pdptes(struct vcpu *vcpu)
{
	u32 physical_bits = x86_cpuid(CPUID_ADDRESS_SIZES, 0).eax & CPUID_PHYSICAL_BITS_MASK;
	u64 reserved = PAE_PDPTE_RESERVED_LOW | ~((1ULL << physical_bits) - 1);
	gpa_t table = vmx_read(VMCS_GUEST_CR3) & PAE_PDPT_ADDRESS_MASK;
	const u64 *pdpt = guest_memory_translate(&vcpu->vm->memory, table,
						 PAE_PDPTE_COUNT * sizeof(u64), PT_READ);
	u64 entries[PAE_PDPTE_COUNT];

	if (!pdpt)
		return false;
	for (u32 i = 0; i < PAE_PDPTE_COUNT; i++) {
		entries[i] = pdpt[i];
		if ((entries[i] & PAE_PDPTE_PRESENT) && (entries[i] & reserved))
			return false;
	}
	for (u32 i = 0; i < PAE_PDPTE_COUNT; i++)
		vmx_write(VMCS_GUEST_PDPTE0 + i * VMCS_PDPTE_FIELD_STRIDE, entries[i]);
	return true;
}

/* Does a CR0 write from old_cr0 to new_cr0 turn on PAE paging (not IA-32e paging)? */
static bool vmx_enables_pae_paging(struct vcpu *vcpu, u64 old_cr0, u64 new_cr0)
{
	u64 cr4 = vmx_guest_cr(vcpu, VMCS_GUEST_CR4, VMCS_CR4_READ_SHADOW,
			       VMCS_CR4_GUEST_HOST_MASK);

	return (new_cr0 & CR0_PG) && !(old_cr0 & CR0_PG) && (cr4 & CR4_PAE) &&
	       !(vmx_read(VMCS_GUEST_IA32_EFER) & EFER_LME);
}

/* Completes MOV to CR0/CR4, CLTS and LMSW on bits Moat holds, and CR8 accesses: the guest's
 * value goes to the read shadow, the fixed bits stay set in the real register. Returns false
 * when the access is refused (the guest gets #GP). */
static bool vmx_emulate_cr(struct vcpu *vcpu, u64 qualification)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);
	u32 cr = qualification & VMX_CR_NUMBER_MASK;
	u32 access = (qualification >> VMX_CR_ACCESS_SHIFT) & VMX_CR_ACCESS_MASK;
	u64 *gpr = vmx_gpr(vcpu, (qualification >> VMX_CR_GPR_SHIFT) & VMX_CR_GPR_MASK);
	u64 value, fixed0, fixed1;

	if (cr == 8 && (access == VMX_CR_ACCESS_TO_CR || access == VMX_CR_ACCESS_FROM_CR))
		return vmx_emulate_cr8(vcpu, access, gpr);
	if (access == VMX_CR_ACCESS_TO_CR)
		value = *gpr;
	else if (access == VMX_CR_ACCESS_CLTS)
		value = vmx->cr0_shadow & ~(u64)BIT(3); /* CR0.TS */
	else if (access == VMX_CR_ACCESS_LMSW)
		value = (vmx->cr0_shadow & ~0xeULL) |
			((qualification >> VMX_CR_LMSW_SOURCE_SHIFT) & 0xf);
	else
		return false;
	if (cr == 0) {
		if (vmx_enables_pae_paging(vcpu, vmx->cr0_shadow, value) && !vmx_load_pdptes(vcpu))
			return false;
		if (!vmx_update_long_mode(vcpu, vmx->cr0_shadow, value))
			return false;
		fixed0 = x86_rdmsr(MSR_VMX_CR0_FIXED0) & ~(CR0_PE | CR0_PG);
		fixed1 = x86_rdmsr(MSR_VMX_CR0_FIXED1);
		vmx->cr0_shadow = value;
		vmx_write(VMCS_CR0_READ_SHADOW, value);
		vmx_write(VMCS_GUEST_CR0, (value | fixed0) & fixed1);
		return true;
	}
	if (cr == 4) {
		/* Hidden features (VMXE, OSXSAVE, PKE, ...) and reserved bits are #GP. */
		if (!cr4_guest_write(vcpu, value))
			return false;
		fixed0 = x86_rdmsr(MSR_VMX_CR4_FIXED0);
		fixed1 = x86_rdmsr(MSR_VMX_CR4_FIXED1);
		vmx->cr4_shadow = value;
		vmx_write(VMCS_CR4_READ_SHADOW, value);
		vmx_write(VMCS_GUEST_CR4, (value | fixed0) & fixed1);
		return true;
	}
	return false;
}

static void vmx_translate_io(u64 qualification, struct vm_exit_io *io)
{
	io->port = (u16)(qualification >> VMX_IO_PORT_SHIFT);
	io->size = (u8)((qualification & VMX_IO_SIZE_MASK) + 1);
	io->in = qualification & VMX_IO_IN;
	io->string = qualification & VMX_IO_STRING;
	io->rep = qualification & VMX_IO_REP;
}

/* Delivers an event whose delivery the exit interrupted again (SDM Vol. 3 28.2.4). */
static void vmx_requeue_event(void)
{
	u64 info = vmx_read(VMCS_IDT_VECTORING_INFO);

	if (!(info & VMX_EVENT_VALID))
		return;
	if (info & VMX_EVENT_ERROR_VALID)
		vmx_write(VMCS_ENTRY_EXCEPTION_ERROR, vmx_read(VMCS_IDT_VECTORING_ERROR));
	vmx_write(VMCS_ENTRY_INTERRUPTION_INFO, info);
}

/* A #DB that exits has not touched DR6 or DR7 (SDM Vol. 3 28.1); VM entry's injection does
 * not either (27.6.1.2). So Moat does what delivery would have: DR6 from the qualification,
 * DR7.GD cleared for a general-detect #DB. The guest's DR6 is the CPU's own while it runs. */
static void vmx_prepare_debug_exception(struct vcpu *vcpu, u32 info, u64 qualification)
{
	u64 dr6;

	if ((info & VMX_EVENT_TYPE_MASK) == VMX_EVENT_TYPE_PRIV_SW_EXCEPTION) {
		/* INT1 (ICEBP) exits as a fault on itself: a trap-like #DB after it, DR6 as is. */
		vmx_ops.advance_rip(vcpu, NULL);
		return;
	}
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	dr6 = exception_debug_dr6(dr6, qualification);
	__asm__ volatile("mov %0, %%dr6" ::"r"(dr6));
	if (qualification & VMX_DEBUG_BD)
		vmx_write(VMCS_GUEST_DR7, vmx_read(VMCS_GUEST_DR7) & ~(u64)DR7_GD);
	/* An exit for a #DB does not record a single-step trap still due after an STI or MOV SS;
	 * VM entry requires it to be pending then (SDM Vol. 3 27.3.1.5). */
	if ((vcpu->regs.rflags & RFLAGS_TF) &&
	    (vmx_read(VMCS_GUEST_INTERRUPTIBILITY) & VMX_INTERRUPTIBILITY_STI_MOVSS))
		vmx_write(VMCS_GUEST_PENDING_DEBUG,
			  vmx_read(VMCS_GUEST_PENDING_DEBUG) | VMX_DEBUG_BS);
}

/* Exit reason 0: a host NMI, or an exception the exception bitmap intercepts (#DB, #AC, #MC:
 * vmm/exception.c decides). The saved RFLAGS.RF is already what delivery would push (SDM
 * Vol. 3 28.3.3), and injection pushes it unchanged (27.6.1.2). */
static void vmx_translate_exception(struct vcpu *vcpu, u64 qualification, struct vm_exit *exit)
{
	u32 info = (u32)vmx_read(VMCS_EXIT_INTERRUPTION_INFO);
	u8 vector = info & VMX_EVENT_VECTOR_MASK;

	if ((info & VMX_EVENT_TYPE_MASK) == VMX_EVENT_TYPE_NMI) {
		exit->kind = VM_EXIT_HOST_EVENT;
		return;
	}
	if (vector == X86_VECTOR_DB)
		vmx_prepare_debug_exception(vcpu, info, qualification);
	exit->kind = VM_EXIT_EXCEPTION;
	exit->exception.vector = vector;
	exit->exception.has_error_code = info & VMX_EVENT_ERROR_VALID;
	exit->exception.error_code = exit->exception.has_error_code
					     ? (u32)vmx_read(VMCS_EXIT_INTERRUPTION_ERROR)
					     : 0;
}

static void vmx_translate_other(u32 reason, u64 qualification, struct vm_exit *exit)
{
	const char *forbidden = vmx_forbidden_name(reason);

	exit->info.detail = qualification;
	if (forbidden) {
		exit->kind = VM_EXIT_FORBIDDEN;
		exit->info.what = forbidden;
	} else if (reason == VMX_EXIT_INVALID_GUEST_STATE || reason == VMX_EXIT_MSR_LOADING) {
		exit->kind = VM_EXIT_INVALID_STATE;
		exit->info.what = reason == VMX_EXIT_INVALID_GUEST_STATE
					  ? "VM entry failed: invalid guest state"
					  : "VM entry failed";
	} else if (reason == VMX_EXIT_EPT_MISCONFIG) {
		exit->kind = VM_EXIT_INVALID_STATE;
		exit->info.what = "EPT misconfiguration";
		exit->info.detail = vmx_read(VMCS_GUEST_PHYSICAL_ADDRESS);
	} else {
		exit->kind = VM_EXIT_UNKNOWN;
		exit->info.what = "vmx";
	}
}

bool vmx_translate_exit(struct vcpu *vcpu, struct vm_exit *exit)
{
	u32 raw = (u32)vmx_read(VMCS_EXIT_REASON);
	u32 reason = raw & VMX_EXIT_REASON_MASK;
	u64 qualification = vmx_read(VMCS_EXIT_QUALIFICATION);

	exit->vendor_reason = raw;
	vmx_of(vcpu)->exit_instruction_length = (u32)vmx_read(VMCS_EXIT_INSTRUCTION_LENGTH);
	if (raw & VMX_EXIT_ENTRY_FAILURE) {
		if (reason == VMX_EXIT_MACHINE_CHECK) {
			/* A machine check during VM entry is the host's, not the guest's doing
			 * (SDM Vol. 3 27.8): logged as a host #MC, and the entry is tried again. */
			exit->kind = VM_EXIT_EXCEPTION;
			exit->exception.vector = X86_VECTOR_MC;
			exit->exception.has_error_code = false;
			return true;
		}
		vmx_translate_other(reason, qualification, exit);
		return true;
	}
	vmx_requeue_event();
	switch (reason) {
	case VMX_EXIT_CPUID:
		exit->kind = VM_EXIT_CPUID;
		break;
	case VMX_EXIT_IO:
		exit->kind = VM_EXIT_IO;
		vmx_translate_io(qualification, &exit->io);
		break;
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		exit->kind = reason == VMX_EXIT_WRMSR ? VM_EXIT_MSR_WRITE : VM_EXIT_MSR_READ;
		exit->msr.index = (u32)vcpu->regs.rcx;
		break;
	case VMX_EXIT_HLT:
		exit->kind = VM_EXIT_HLT;
		break;
	case VMX_EXIT_WBINVD:
		exit->kind = VM_EXIT_WBINVD;
		break;
	case VMX_EXIT_RDPMC:
		exit->kind = VM_EXIT_RDPMC;
		break;
	case VMX_EXIT_XSETBV:
		exit->kind = VM_EXIT_XSETBV;
		break;
	case VMX_EXIT_VMCALL:
		exit->kind = VM_EXIT_HYPERCALL;
		break;
	case VMX_EXIT_EPT_VIOLATION:
		exit->kind = VM_EXIT_NESTED_FAULT;
		exit->fault.gpa = vmx_read(VMCS_GUEST_PHYSICAL_ADDRESS);
		exit->fault.access = qualification & VMX_EPT_FETCH   ? PT_EXEC
				     : qualification & VMX_EPT_WRITE ? PT_WRITE
								     : PT_READ;
		exit->fault.page_walk = (qualification & VMX_EPT_LINEAR_VALID) &&
					!(qualification & VMX_EPT_TRANSLATED);
		break;
	case VMX_EXIT_TRIPLE_FAULT:
		exit->kind = VM_EXIT_SHUTDOWN;
		break;
	case VMX_EXIT_EXTERNAL_INTERRUPT:
		/* The exit acknowledged the interrupt (EXIT_ACK_INTERRUPT): only EOI is left. */
		arch_interrupt_done(vmx_read(VMCS_EXIT_INTERRUPTION_INFO) & 0xff);
		exit->kind = VM_EXIT_HOST_EVENT;
		break;
	case VMX_EXIT_INTERRUPT_WINDOW:
		/* The guest can take the requested interrupt now: the next entry injects it. */
		vmx_set_interrupt_window(false);
		exit->kind = VM_EXIT_HOST_EVENT;
		break;
	case VMX_EXIT_EXCEPTION_NMI:
		vmx_translate_exception(vcpu, qualification, exit);
		break;
	case VMX_EXIT_PREEMPTION_TIMER:
		exit->kind = VM_EXIT_HOST_EVENT;
		break;
	case VMX_EXIT_CR_ACCESS:
		if (vmx_emulate_cr(vcpu, qualification)) {
			vcpu->regs.rip += vmx_of(vcpu)->exit_instruction_length;
			return false;
		}
		vmx_of(vcpu)->exit_instruction_length = 0;
		vmx_ops.inject_exception(vcpu, X86_VECTOR_GP, true, 0);
		return false;
	default:
		vmx_translate_other(reason, qualification, exit);
		break;
	}
	return true;
}
