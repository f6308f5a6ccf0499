// SPDX-License-Identifier: MIT
/* Writing a vCPU's VMCS: controls, host state from Moat's own tables, guest entry state
 * (SDM Vol. 3 chapter 25; the checks VM entry applies are in chapter 27.3). */
#include <moat/arch.h>
#include <moat/exit.h>
#include <moat/log.h>
#include <moat/smp.h>
#include <moat/string.h>
#include <moat/vm.h>
#include <moat/x86.h>

#include "vmx.h"

#define GUEST_SELECTOR_CODE 0x08
#define GUEST_SELECTOR_DATA 0x10
#define GUEST_TR_LIMIT 0x67
#define SEG_LIMIT_64K 0xffffu
#define REAL_MODE_SELECTOR_SHIFT 4 /* a real-mode selector is its base >> 4 */
#define SEG_LIMIT_4G 0xffffffffu
#define GUEST_DR7_INIT 0x400
#define VMCS_LINK_NONE (~0ULL)
/* MSR bitmap quarters (SDM Vol. 3 25.6.9): read-low, read-high, write-low, write-high. */
#define MSR_BITMAP_HIGH_BASE 0xc0000000u
#define MSR_BITMAP_RANGE 0x2000u
#define MSR_BITMAP_WRITE_OFFSET 2048
#define MSR_BITMAP_HIGH_OFFSET 1024

struct vmcs_write {
	enum vmcs_field field;
	u64 value;
};

static int vmcs_write_all(const struct vmcs_write *writes, u32 count)
{
	for (u32 i = 0; i < count; i++) {
		if (!vmx_write(writes[i].field, writes[i].value)) {
			log_error("vmx: VMWRITE of field 0x%x failed (VM-instruction error %lu)",
				  writes[i].field, vmx_read(VMCS_INSTRUCTION_ERROR));
			return -1;
		}
	}
	return 0;
}

/* Clears the read and write intercepts of an MSR the guest owns outright. */
static void msr_bitmap_allow(u8 *bitmap, u32 msr)
{
	u32 offset = msr >= MSR_BITMAP_HIGH_BASE ? MSR_BITMAP_HIGH_OFFSET : 0;
	u32 index = msr >= MSR_BITMAP_HIGH_BASE ? msr - MSR_BITMAP_HIGH_BASE : msr;

	if (index >= MSR_BITMAP_RANGE)
		return;
	bitmap[offset + index / 8] &= (u8) ~(1u << (index % 8));
	bitmap[MSR_BITMAP_WRITE_OFFSET + offset + index / 8] &= (u8) ~(1u << (index % 8));
}

static u64 vmx_eptp(const struct vmx_vcpu *vmx, const struct vmx_config *config)
{
	u64 eptp = vmx->ept_root | EPTP_MEMTYPE_WB | EPTP_WALK_LENGTH_4;

	return config->ept_accessed_dirty ? eptp | EPTP_ACCESSED_DIRTY : eptp;
}

static int vmcs_setup_controls(struct vcpu *vcpu, const struct vmx_config *config)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);
	/* Under unrestricted guest PE is the guest's; every other fixed bit is held by Moat
	 * and hidden behind the read shadow (SDM Vol. 3 A.7, A.8). PG exits too: turning it on
	 * or off with EFER.LME enters or leaves IA-32e mode, which VM entry must be told of
	 * (vmx_exit.c). */
	u64 cr0_mask = (x86_rdmsr(MSR_VMX_CR0_FIXED0) | ~x86_rdmsr(MSR_VMX_CR0_FIXED1) | CR0_PG) &
		       ~(u64)CR0_PE;
	/* CR4: the fixed bits, and every bit the guest may not set (vmm/cr4.c), so that setting
	 * one exits and gets #GP instead of taking effect. */
	u64 cr4_mask = x86_rdmsr(MSR_VMX_CR4_FIXED0) | ~x86_rdmsr(MSR_VMX_CR4_FIXED1) |
		       ~cr4_guest_allowed_bits();
	const struct vmcs_write writes[] = {
		{ VMCS_PIN_CONTROLS, config->pin },
		{ VMCS_PROC_CONTROLS, config->proc },
		{ VMCS_PROC2_CONTROLS, config->proc2 },
		{ VMCS_EXIT_CONTROLS, config->exit },
		{ VMCS_ENTRY_CONTROLS, vmx->entry.mode == GUEST_ENTRY_LONG64
					       ? config->entry | ENTRY_IA32E_MODE_GUEST
					       : config->entry },
		/* #DB and #AC (reflected: no delivery loop inside the CPU) and #MC (the host's). */
		{ VMCS_EXCEPTION_BITMAP, exception_intercepts() },
		{ VMCS_CR3_TARGET_COUNT, 0 },
		{ VMCS_EXIT_MSR_STORE_COUNT, 0 },
		{ VMCS_EXIT_MSR_LOAD_COUNT, 0 },
		{ VMCS_ENTRY_MSR_LOAD_COUNT, 0 },
		{ VMCS_ENTRY_INTERRUPTION_INFO, 0 },
		{ VMCS_IO_BITMAP_A, ptr_to_hpa(vmx->io_bitmaps) },
		{ VMCS_IO_BITMAP_B, ptr_to_hpa(vmx->io_bitmaps) + VMX_BITMAP_SIZE },
		{ VMCS_MSR_BITMAP, ptr_to_hpa(vmx->msr_bitmap) },
		/* RDTSC and RDTSCP add it (SDM Vol. 3 25.6.5); RDMSR IA32_TSC exits to vmm/msr.c. */
		{ VMCS_TSC_OFFSET, vcpu_tsc_offset(vcpu) },
		{ VMCS_EPT_POINTER, vmx_eptp(vmx, config) },
		{ VMCS_LINK_POINTER, VMCS_LINK_NONE },
		{ VMCS_CR0_GUEST_HOST_MASK, cr0_mask },
		{ VMCS_CR4_GUEST_HOST_MASK, cr4_mask },
		{ VMCS_CR0_READ_SHADOW, vmx->cr0_shadow },
		{ VMCS_CR4_READ_SHADOW, vmx->cr4_shadow },
	};

	/* The guest's TPR lives in its virtual-APIC page; threshold 0: no TPR-below-threshold
	 * exits (SDM Vol. 3 29.1.2). */
	if (config->tpr_shadow &&
	    (!vmx_write(VMCS_VIRTUAL_APIC_ADDRESS, ptr_to_hpa(vmx->virtual_apic)) ||
	     !vmx_write(VMCS_TPR_THRESHOLD, 0)))
		return -1;
	/* VPID 0 is the host's (SDM Vol. 3 28.1); one per vCPU, kept across restarts. */
	if (config->vpid && !vmx_write(VMCS_VPID, vcpu->vm->id * CONFIG_MAX_VCPUS + vcpu->id + 1))
		return -1;
	return vmcs_write_all(writes, ARRAY_SIZE(writes));
}

int vmx_vmcs_setup_host(u32 cpu)
{
	struct host_descriptors d;

	/* Each CPU has its own GDT and TSS (arch/x86/smp.c). */
	smp_host_descriptors(cpu, &d);
	const struct vmcs_write writes[] = {
		{ VMCS_HOST_CR0, x86_read_cr0() },
		{ VMCS_HOST_CR3, x86_read_cr3() },
		{ VMCS_HOST_CR4, x86_read_cr4() },
		{ VMCS_HOST_CS_SELECTOR, d.code_selector },
		{ VMCS_HOST_SS_SELECTOR, d.data_selector },
		{ VMCS_HOST_DS_SELECTOR, d.data_selector },
		{ VMCS_HOST_ES_SELECTOR, d.data_selector },
		{ VMCS_HOST_FS_SELECTOR, d.data_selector },
		{ VMCS_HOST_GS_SELECTOR, d.data_selector },
		{ VMCS_HOST_TR_SELECTOR, d.tr_selector },
		{ VMCS_HOST_FS_BASE, x86_rdmsr(MSR_FS_BASE) },
		{ VMCS_HOST_GS_BASE, x86_rdmsr(MSR_GS_BASE) },
		{ VMCS_HOST_TR_BASE, d.tr_base },
		{ VMCS_HOST_GDTR_BASE, d.gdt_base },
		{ VMCS_HOST_IDTR_BASE, d.idt_base },
		{ VMCS_HOST_SYSENTER_CS, 0 },
		{ VMCS_HOST_SYSENTER_ESP, 0 },
		{ VMCS_HOST_SYSENTER_EIP, 0 },
		{ VMCS_HOST_IA32_EFER, x86_rdmsr(MSR_EFER) },
		{ VMCS_HOST_IA32_PAT, x86_rdmsr(MSR_IA32_PAT) },
		{ VMCS_HOST_RIP, (u64)(uintptr_t)vmx_exit_point },
	};

	return vmcs_write_all(writes, ARRAY_SIZE(writes));
}

/* The segments and control registers of an entry state: 32-bit flat protected mode with
 * paging off (docs/guest-interface.md), 64-bit mode for the Linux boot protocol, or real mode
 * as after a start-up IPI. */
struct vmx_entry_segments {
	u16 code_selector, data_selector;
	u64 code_base;
	u32 limit, code_access, data_access, gdt_limit, idt_limit;
	u64 cr0_shadow, cr4_shadow, efer, cr3, gdt_base;
};

static struct vmx_entry_segments vmx_entry_segments(const struct guest_entry_state *entry)
{
	if (entry->mode == GUEST_ENTRY_REAL16)
		return (struct vmx_entry_segments){
			.code_selector = (u16)(entry->cs_base >> REAL_MODE_SELECTOR_SHIFT),
			.code_base = entry->cs_base, .limit = SEG_LIMIT_64K,
			.code_access = VMX_ACCESS_CODE16, .data_access = VMX_ACCESS_DATA16,
			.gdt_limit = SEG_LIMIT_64K, .idt_limit = SEG_LIMIT_64K,
			.cr0_shadow = CR0_ET,
		};
	/* IA-32e mode from the first instruction (SDM Vol. 3 27.3.1.1, 27.3.1.2): EFER.LMA and
	 * LME with CR0.PG, CR4.PAE, a 64-bit CS with D clear; the "IA-32e mode guest" entry
	 * control goes with it (vmcs_setup_controls). */
	if (entry->mode == GUEST_ENTRY_LONG64)
		return (struct vmx_entry_segments){
			.code_selector = GUEST_LONG64_CODE_SELECTOR,
			.data_selector = GUEST_LONG64_DATA_SELECTOR, .limit = SEG_LIMIT_4G,
			.code_access = VMX_ACCESS_CODE64, .data_access = VMX_ACCESS_DATA32,
			.gdt_limit = entry->gdt_limit, .gdt_base = entry->gdt_base,
			.cr0_shadow = CR0_PE | CR0_PG | CR0_ET, .cr4_shadow = CR4_PAE,
			.efer = EFER_LME | EFER_LMA, .cr3 = entry->cr3,
		};
	return (struct vmx_entry_segments){
		.code_selector = GUEST_SELECTOR_CODE, .data_selector = GUEST_SELECTOR_DATA,
		.limit = SEG_LIMIT_4G, .code_access = VMX_ACCESS_CODE32,
		.data_access = VMX_ACCESS_DATA32, .cr0_shadow = CR0_PE | CR0_ET,
	};
}

static int vmcs_setup_guest(struct vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);
	u64 cr0_fixed = x86_rdmsr(MSR_VMX_CR0_FIXED0) & ~(CR0_PE | CR0_PG);
	u64 cr4_fixed = x86_rdmsr(MSR_VMX_CR4_FIXED0);
	struct vmx_entry_segments seg = vmx_entry_segments(&vmx->entry);
	const struct vmcs_write writes[] = {
		{ VMCS_GUEST_CS_SELECTOR, seg.code_selector },
		{ VMCS_GUEST_CS_BASE, seg.code_base },
		{ VMCS_GUEST_CS_LIMIT, seg.limit },
		{ VMCS_GUEST_CS_ACCESS, seg.code_access },
#define DATA_SEGMENT(seg_name)                                          \
	{ VMCS_GUEST_##seg_name##_SELECTOR, seg.data_selector },        \
		{ VMCS_GUEST_##seg_name##_BASE, 0 },                    \
		{ VMCS_GUEST_##seg_name##_LIMIT, seg.limit },           \
		{ VMCS_GUEST_##seg_name##_ACCESS, seg.data_access }
		DATA_SEGMENT(DS), DATA_SEGMENT(ES), DATA_SEGMENT(SS), DATA_SEGMENT(FS),
		DATA_SEGMENT(GS),
#undef DATA_SEGMENT
		{ VMCS_GUEST_TR_SELECTOR, 0 },
		{ VMCS_GUEST_TR_BASE, 0 },
		{ VMCS_GUEST_TR_LIMIT, GUEST_TR_LIMIT },
		{ VMCS_GUEST_TR_ACCESS, VMX_ACCESS_TSS32_BUSY },
		{ VMCS_GUEST_LDTR_SELECTOR, 0 },
		{ VMCS_GUEST_LDTR_BASE, 0 },
		{ VMCS_GUEST_LDTR_LIMIT, 0 },
		{ VMCS_GUEST_LDTR_ACCESS, VMX_ACCESS_UNUSABLE },
		{ VMCS_GUEST_GDTR_BASE, seg.gdt_base },
		{ VMCS_GUEST_GDTR_LIMIT, seg.gdt_limit },
		{ VMCS_GUEST_IDTR_BASE, 0 },
		{ VMCS_GUEST_IDTR_LIMIT, seg.idt_limit },
		{ VMCS_GUEST_CR0, vmx->cr0_shadow | cr0_fixed },
		{ VMCS_GUEST_CR3, seg.cr3 },
		{ VMCS_GUEST_CR4, vmx->cr4_shadow | cr4_fixed },
		{ VMCS_GUEST_DR7, GUEST_DR7_INIT },
		{ VMCS_GUEST_IA32_DEBUGCTL, 0 },
		{ VMCS_GUEST_IA32_EFER, seg.efer },
		{ VMCS_GUEST_IA32_PAT, PAT_RESET_VALUE },
		{ VMCS_GUEST_SYSENTER_CS, 0 },
		{ VMCS_GUEST_SYSENTER_ESP, 0 },
		{ VMCS_GUEST_SYSENTER_EIP, 0 },
		{ VMCS_GUEST_INTERRUPTIBILITY, 0 },
		{ VMCS_GUEST_ACTIVITY_STATE, 0 },
		{ VMCS_GUEST_PENDING_DEBUG, 0 },
	};

	return vmcs_write_all(writes, ARRAY_SIZE(writes));
}

int vmx_vmcs_setup(struct vcpu *vcpu, const struct vmx_config *config)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);

	if (vmx->entry.mode == GUEST_ENTRY_LONG64 && !config->long_mode_guests) {
		log_error("vmx: guest '%s' needs a 64-bit entry, which this CPU cannot give "
			  "(no \"IA-32e mode guest\" entry control)", vcpu->vm->name);
		return -1;
	}
	/* Every port and MSR exits unless the guest owns it (vmm/msr.c). */
	memset(vmx->io_bitmaps, 0xff, 2 * VMX_BITMAP_SIZE);
	memset(vmx->msr_bitmap, 0xff, VMX_BITMAP_SIZE);
	for (u32 i = 0; i < msr_passthrough_count; i++)
		msr_bitmap_allow(vmx->msr_bitmap, msr_passthrough[i]);
	vmx->cr0_shadow = vmx_entry_segments(&vmx->entry).cr0_shadow;
	vmx->cr4_shadow = vmx_entry_segments(&vmx->entry).cr4_shadow;
	if (vmcs_setup_controls(vcpu, config) || vmx_vmcs_setup_host(vcpu->cpu) ||
	    vmcs_setup_guest(vcpu))
		return -1;
	vmx->configured = true;
	vmx->host_cpu = vcpu->cpu;
	return 0;
}
