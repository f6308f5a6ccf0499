// SPDX-License-Identifier: MIT
/* Intel VMX: detection, VMXON, and a vCPU's VMCS life cycle (SDM Vol. 3 chapters 24-29).
 * Exit translation lives in vmx_exit.c, VMCS contents in vmx_vmcs.c. */
#include <moat/errno.h>
#include <moat/exit.h>
#include <moat/log.h>
#include <moat/string.h>
#include <moat/vm.h>
#include <moat/x86.h>

#include "../speculation.h"
#include "vmx.h"

#define CPUID_FEATURES 1
#define CPUID1_ECX_VMX BIT(5)
#define PT_LEAF_2M PT_LEAF_LEVEL(2)
#define PT_LEAF_1G PT_LEAF_LEVEL(3)

/* The syscall MSRs a VMCS does not switch (SDM Vol. 3 25.4.2 lists what it does). */
static const u32 vmx_swapped_msr_index[VMX_SWAPPED_MSRS] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE,
};

static struct vmx_config vmx_config;
static u32 vmx_preemption_shift; /* VMX-preemption timer rate: TSC >> shift */
static bool vmx_has_interrupt_window; /* the CPU offers interrupt-window exiting */
static struct pt_format vmx_ept_format;
/* Per-CPU state: the VMXON region and the vCPU whose VMCS is current. */
static hpa_t vmxon_region[CONFIG_MAX_CPUS];
static struct vcpu *vmx_current[CONFIG_MAX_CPUS];

static void vmx_read_caps(struct vmx_caps *caps)
{
	caps->basic = x86_rdmsr(MSR_VMX_BASIC);
	caps->pin = x86_rdmsr(MSR_VMX_PINBASED);
	caps->proc = x86_rdmsr(MSR_VMX_PROCBASED);
	caps->exit = x86_rdmsr(MSR_VMX_EXIT);
	caps->entry = x86_rdmsr(MSR_VMX_ENTRY);
	if (caps->basic & VMX_BASIC_TRUE_CONTROLS) {
		caps->true_pin = x86_rdmsr(MSR_VMX_TRUE_PINBASED);
		caps->true_proc = x86_rdmsr(MSR_VMX_TRUE_PROCBASED);
		caps->true_exit = x86_rdmsr(MSR_VMX_TRUE_EXIT);
		caps->true_entry = x86_rdmsr(MSR_VMX_TRUE_ENTRY);
	}
	/* The secondary and EPT MSRs exist only when secondary controls can be enabled. */
	if ((caps->proc >> 32) & PROC_ACTIVATE_SECONDARY) {
		caps->proc2 = x86_rdmsr(MSR_VMX_PROCBASED2);
		if ((caps->proc2 >> 32) & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID))
			caps->ept_vpid = x86_rdmsr(MSR_VMX_EPT_VPID_CAP);
	}
}

const struct vmx_config *vmx_active_config(void)
{
	return &vmx_config;
}

bool vmx_probe(void)
{
	struct vmx_caps caps = { 0 };
	char err[160];

	if (!(x86_cpuid(CPUID_FEATURES, 0).ecx & CPUID1_ECX_VMX))
		return false;
	vmx_read_caps(&caps);
	/* Allowed-1 settings are the high half of the capability MSR (SDM Vol. 3 A.3.2). */
	vmx_has_interrupt_window = ((caps.basic & VMX_BASIC_TRUE_CONTROLS ? caps.true_proc
									    : caps.proc) >>
				    32) & PROC_INTERRUPT_WINDOW_EXITING;
	if (vmx_compute_config(&caps, &vmx_config, err, sizeof(err))) {
		log_error("vmx: cannot run guests on this CPU: %s", err);
		return false;
	}
	vmx_preemption_shift = (u32)(x86_rdmsr(MSR_VMX_MISC) & VMX_MISC_PREEMPTION_RATE_MASK);
	vmx_ept_format = pt_format_ept;
	if (!vmx_config.ept_2m_pages)
		vmx_ept_format.leaf_levels &= ~PT_LEAF_2M;
	if (!vmx_config.ept_1g_pages)
		vmx_ept_format.leaf_levels &= ~PT_LEAF_1G;
	return true;
}

static int vmx_cpu_prepare(u32 cpu, struct frame_allocator *frames)
{
	vmxon_region[cpu] = frame_alloc(frames, 1, PAGE_SIZE);
	if (!vmxon_region[cpu])
		return -MOAT_ENOMEM;
	*(u32 *)hpa_to_ptr(vmxon_region[cpu]) = vmx_config.revision;
	return 0;
}

static int vmx_cpu_enable(u32 cpu)
{
	u64 feature = x86_rdmsr(MSR_IA32_FEATURE_CONTROL);
	u64 cr0, cr4;
	bool failed;

	/* Firmware that leaves the MSR unlocked (OVMF does) lets Moat enable VMX and lock it
	 * (SDM Vol. 3 24.7); locked without VMX means the firmware disabled it. */
	if (!(feature & FEATURE_CONTROL_LOCK)) {
		feature |= FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK;
		x86_wrmsr(MSR_IA32_FEATURE_CONTROL, feature);
	}
	if (!(feature & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		log_error("vmx: disabled by the firmware (IA32_FEATURE_CONTROL 0x%lx)", feature);
		return -MOAT_ENOTSUP;
	}
	if (!vmxon_region[cpu])
		return -MOAT_ENOMEM;
	guest_context_cpu_init();
	cr0 = x86_read_cr0();
	cr4 = x86_read_cr4();
	/* CR0 and CR4 must hold the fixed bits in VMX operation (SDM Vol. 3 24.8). */
	x86_write_cr0((cr0 | x86_rdmsr(MSR_VMX_CR0_FIXED0)) & x86_rdmsr(MSR_VMX_CR0_FIXED1));
	x86_write_cr4((cr4 | x86_rdmsr(MSR_VMX_CR4_FIXED0)) & x86_rdmsr(MSR_VMX_CR4_FIXED1));
	__asm__ volatile("vmxon %1; setbe %0"
			 : "=qm"(failed)
			 : "m"(vmxon_region[cpu])
			 : "cc", "memory");
	if (failed) {
		log_error("vmx: VMXON failed on cpu %u", cpu);
		return -MOAT_EIO;
	}
	if (cpu != 0)
		return 0;
	log_info("vmx: enabled, VPID %s, EPT A/D bits %s, preemption timer %s, CR8 %s",
		 vmx_config.vpid ? "yes" : "no", vmx_config.ept_accessed_dirty ? "yes" : "no",
		 vmx_config.pin & PIN_PREEMPTION_TIMER ? "yes" : "no",
		 vmx_config.tpr_shadow ? "TPR shadow" : "exits");
	return 0;
}

static bool vmx_vmclear(hpa_t vmcs)
{
	bool failed;

	__asm__ volatile("vmclear %1; setbe %0" : "=qm"(failed) : "m"(vmcs) : "cc", "memory");
	return !failed;
}

static bool vmx_vmptrld(hpa_t vmcs)
{
	bool failed;

	__asm__ volatile("vmptrld %1; setbe %0" : "=qm"(failed) : "m"(vmcs) : "cc", "memory");
	return !failed;
}

static void vmx_invept(u64 type, u64 eptp)
{
	struct {
		u64 eptp, reserved;
	} descriptor = { eptp, 0 };

	__asm__ volatile("invept %0, %1" ::"m"(descriptor), "r"(type) : "cc", "memory");
}

static void vmx_invvpid(u64 type, u16 vpid)
{
	struct {
		u64 vpid, linear;
	} descriptor = { vpid, 0 };

	__asm__ volatile("invvpid %0, %1" ::"m"(descriptor), "r"(type) : "cc", "memory");
}

/* What the VMCS does not switch stays in the CPU for the vCPU that ran there last: its
 * syscall MSRs (SDM Vol. 3 25.4.2 lists what the VMCS holds) and its guest_context. */
static void vmx_save_cpu_state(struct vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);

	for (u32 i = 0; i < VMX_SWAPPED_MSRS; i++)
		vmx->swapped_msrs[i] = x86_rdmsr(vmx_swapped_msr_index[i]);
	guest_context_save(&vmx->context);
}

static void vmx_load_cpu_state(struct vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);

	for (u32 i = 0; i < VMX_SWAPPED_MSRS; i++)
		x86_wrmsr(vmx_swapped_msr_index[i], vmx->swapped_msrs[i]);
	guest_context_load(&vmx->context);
}

static void vmx_vcpu_destroy(struct vcpu *vcpu, struct frame_allocator *frames)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);

	if (!vmx)
		return;
	if (vmx_current[vcpu->cpu] == vcpu)
		vmx_current[vcpu->cpu] = NULL;
	if (vmx->vmcs) {
		if (vmx->configured)
			vmx_vmclear(vmx->vmcs);
		frame_free(frames, vmx->vmcs, 1);
	}
	if (vmx->io_bitmaps)
		frame_free(frames, ptr_to_hpa(vmx->io_bitmaps), 2);
	if (vmx->msr_bitmap)
		frame_free(frames, ptr_to_hpa(vmx->msr_bitmap), 1);
	if (vmx->virtual_apic)
		frame_free(frames, ptr_to_hpa(vmx->virtual_apic), 1);
	guest_context_destroy(&vmx->context, frames);
	frame_free(frames, ptr_to_hpa(vmx), 1);
	vcpu->vendor = NULL;
}

/* Lets go of the VMCS on this CPU (its own): VMCLEAR writes it back to memory and makes it
 * launchable again from any CPU (SDM Vol. 3 24.11.3). */
static void vmx_vcpu_unload(struct vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);

	if (vmx->configured)
		vmx_vmclear(vmx->vmcs);
	if (vmx_current[vcpu->cpu] == vcpu) {
		/* Its registers are still in this CPU: keep them for wherever it runs next. */
		vmx_save_cpu_state(vcpu);
		vmx_current[vcpu->cpu] = NULL;
	}
	vmx->launched = false;
}

/* The VMCS is written again from entry before the vCPU next runs (vmx_load_vcpu). */
static void vmx_vcpu_reset(struct vcpu *vcpu, const struct guest_entry_state *entry)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);

	if (vmx->configured)
		vmx_vcpu_unload(vcpu);
	vmx->configured = false;
	vmx->entry = *entry;
	memset(vmx->swapped_msrs, 0, sizeof(vmx->swapped_msrs));
	memset(vmx->virtual_apic, 0, PAGE_SIZE); /* TPR 0, as after RESET and INIT */
	guest_context_reset(&vmx->context);
	vcpu->regs = (struct vcpu_regs){ .rax = entry->rax, .rbx = entry->rbx,
					 .rsi = entry->rsi, .rsp = entry->rsp, .rip = entry->rip,
					 .rflags = entry->rflags | RFLAGS_RESERVED_ONE };
}

/* Allocates the VMCS and bitmaps; the VMCS is written on first run, in VMX operation. */
static int vmx_vcpu_create(struct vcpu *vcpu, const struct guest_entry_state *entry,
			   hpa_t nested_root, struct frame_allocator *frames)
{
	struct vmx_vcpu *vmx;

	vmx = hpa_to_ptr(frame_alloc(frames, 1, PAGE_SIZE));
	if (!vmx)
		return -MOAT_ENOMEM;
	vcpu->vendor = vmx;
	vmx->vmcs = frame_alloc(frames, 1, PAGE_SIZE);
	vmx->io_bitmaps = hpa_to_ptr(frame_alloc(frames, 2, PAGE_SIZE));
	vmx->msr_bitmap = hpa_to_ptr(frame_alloc(frames, 1, PAGE_SIZE));
	vmx->virtual_apic = hpa_to_ptr(frame_alloc(frames, 1, PAGE_SIZE));
	if (!vmx->vmcs || !vmx->io_bitmaps || !vmx->msr_bitmap || !vmx->virtual_apic ||
	    guest_context_create(&vmx->context, vcpu->id,
				 GUEST_CONTEXT_DR6 | GUEST_CONTEXT_CR2, frames)) {
		vmx_vcpu_destroy(vcpu, frames);
		return -MOAT_ENOMEM;
	}
	*(u32 *)hpa_to_ptr(vmx->vmcs) = vmx_config.revision;
	vmx->ept_root = nested_root;
	vmx_vcpu_reset(vcpu, entry);
	return 0;
}


/* Makes vcpu's VMCS and registers current on its CPU, writing the VMCS the first time.
 * Returns false on failure. Out of line: an exit that resumes the same vCPU skips it. */
static __noinline_cold bool vmx_make_current(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);

	if ((!vmx->configured && !vmx_vmclear(vmx->vmcs)) || !vmx_vmptrld(vmx->vmcs)) {
		exit->kind = VM_EXIT_INVALID_STATE;
		exit->info.what = "VMCLEAR/VMPTRLD of the vCPU's VMCS failed";
		return false;
	}
	if (vmx_current[vcpu->cpu] && vmx_current[vcpu->cpu]->vendor)
		vmx_save_cpu_state(vmx_current[vcpu->cpu]);
	vmx_load_cpu_state(vcpu);
	vmx_current[vcpu->cpu] = vcpu;
	if (vmx->configured && vmx->host_cpu != vcpu->cpu) {
		/* The vCPU moved here (docs/scheduling.md): this CPU's GDT and TSS for the
		 * host-state area, and no translations it may have cached here before. */
		if (vmx_vmcs_setup_host(vcpu->cpu)) {
			exit->kind = VM_EXIT_INVALID_STATE;
			exit->info.what = "writing the host state for a new CPU failed";
			return false;
		}
		vmx->host_cpu = vcpu->cpu;
		vmx_invept(vmx_config.invept_type, vmx_read(VMCS_EPT_POINTER));
		if (vmx_config.vpid)
			vmx_invvpid(vmx_config.invvpid_type, (u16)vmx_read(VMCS_VPID));
	}
	if (!vmx->configured) {
		if (vmx_vmcs_setup(vcpu, &vmx_config)) {
			exit->kind = VM_EXIT_INVALID_STATE;
			exit->info.what = "writing the VMCS failed";
			exit->info.detail = vmx_read(VMCS_INSTRUCTION_ERROR);
			return false;
		}
		/* The EPT root and the VPID may have been used before (a restarted guest keeps
		 * its VPID): drop stale translations of both. */
		vmx_invept(vmx_config.invept_type, vmx_read(VMCS_EPT_POINTER));
		if (vmx_config.vpid)
			vmx_invvpid(vmx_config.invvpid_type, (u16)vmx_read(VMCS_VPID));
	}
	return true;
}

static inline bool vmx_load_vcpu(struct vcpu *vcpu, struct vm_exit *exit)
{
	return vmx_current[vcpu->cpu] == vcpu || vmx_make_current(vcpu, exit);
}

static void vmx_vcpu_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct vmx_vcpu *vmx = vmx_of(vcpu);
	u64 spec_ctrl;
	int failed;

	exit->vendor_reason = 0;
	exit->info.detail = 0;
	if (!vmx_load_vcpu(vcpu, exit))
		return;
	do {
		/* The VMX-preemption timer ends the slice even for a guest that never exits and
		 * keeps interrupts off (SDM Vol. 3 26.5.1). */
		if (vmx_config.pin & PIN_PREEMPTION_TIMER) {
			u64 now = x86_rdtsc();
			u64 left = vcpu->slice_end > now ? vcpu->slice_end - now : 0;

			vmx_write(VMCS_PREEMPTION_TIMER,
				  MIN(left >> vmx_preemption_shift, 0xffffffffULL));
		}
		vmx_write(VMCS_GUEST_RSP, vcpu->regs.rsp);
		vmx_write(VMCS_GUEST_RIP, vcpu->regs.rip);
		vmx_write(VMCS_GUEST_RFLAGS, vcpu->regs.rflags);
		spec_ctrl = spec_ctrl_before_entry(vcpu);
		spec_l1d_flush_before_entry();
		failed = vmx_enter_guest(&vcpu->regs, vmx->launched);
		spec_ctrl_after_exit(spec_ctrl);
		if (failed) {
			exit->kind = VM_EXIT_INVALID_STATE;
			exit->info.detail = vmx_read(VMCS_INSTRUCTION_ERROR);
			exit->info.what = vmx_instruction_error_name(exit->info.detail);
			log_error("vmx: %s failed: VM-instruction error %lu (%s)",
				  vmx->launched ? "VMRESUME" : "VMLAUNCH", exit->info.detail,
				  exit->info.what);
			vmx_log_entry_state(vcpu->vm->name);
			return;
		}
		vmx->launched = true;
		vcpu->regs.rsp = vmx_read(VMCS_GUEST_RSP);
		vcpu->regs.rip = vmx_read(VMCS_GUEST_RIP);
		vcpu->regs.rflags = vmx_read(VMCS_GUEST_RFLAGS);
	} while (!vmx_translate_exit(vcpu, exit));
	if (exit->kind == VM_EXIT_INVALID_STATE)
		vmx_log_entry_state(vcpu->vm->name);
}

static void vmx_advance_rip(struct vcpu *vcpu, const struct vm_exit *exit)
{
	u64 interruptibility = vmx_read(VMCS_GUEST_INTERRUPTIBILITY);

	vcpu->regs.rip += vmx_of(vcpu)->exit_instruction_length;
	/* The emulated instruction retired: STI/MOV SS blocking ends with it (SDM 26.3.1.5). */
	if (interruptibility & VMX_INTERRUPTIBILITY_STI_MOVSS)
		vmx_write(VMCS_GUEST_INTERRUPTIBILITY,
			  interruptibility & ~(u64)VMX_INTERRUPTIBILITY_STI_MOVSS);
}

static void vmx_inject_exception(struct vcpu *vcpu, u8 vector, bool has_error_code,
				 u32 error_code)
{
	u32 info = vector | VMX_EVENT_TYPE_HW_EXCEPTION | VMX_EVENT_VALID;
	u64 cr0 = vmx_ops.read_state(vcpu, VCPU_CR0);

	/* As svm_inject_exception: the vector and mode decide the error code, RF for faults. */
	vcpu->regs.rflags = exception_inject_rflags(vector, vcpu->regs.rflags);
	if (exception_has_error_code(vector, cr0 & CR0_PE)) {
		info |= VMX_EVENT_ERROR_VALID;
		vmx_write(VMCS_ENTRY_EXCEPTION_ERROR, error_code);
	}
	vmx_write(VMCS_ENTRY_INTERRUPTION_INFO, info);
}

/* Interrupt-window exiting (SDM Vol. 3 26.7.5) on the current VMCS: an exit as soon as the
 * guest can take the interrupt it cannot take now. */
void vmx_set_interrupt_window(bool on)
{
	if (vmx_has_interrupt_window)
		vmx_write(VMCS_PROC_CONTROLS,
			  vmx_config.proc | (on ? PROC_INTERRUPT_WINDOW_EXITING : 0));
}

static bool vmx_inject_interrupt(struct vcpu *vcpu, u8 vector)
{
	struct vm_exit ignored;

	/* Called before vmx_vcpu_run: the VMCS may not be current yet. */
	if (!vmx_load_vcpu(vcpu, &ignored))
		return false;
	if (!(vcpu->regs.rflags & RFLAGS_IF)) {
		vmx_set_interrupt_window(true);
		return false;
	}
	if ((vmx_read(VMCS_GUEST_INTERRUPTIBILITY) & VMX_INTERRUPTIBILITY_STI_MOVSS) ||
	    (vmx_read(VMCS_ENTRY_INTERRUPTION_INFO) & VMX_EVENT_VALID)) {
		vmx_set_interrupt_window(true);
		return false;
	}
	vmx_set_interrupt_window(false);
	vmx_write(VMCS_ENTRY_INTERRUPTION_INFO,
		  vector | VMX_EVENT_TYPE_EXTERNAL_INTERRUPT | VMX_EVENT_VALID);
	return true;
}

/* CS.L and CS.D/B in the access-rights form (SDM Vol. 3 25.4.1, table 25-2). */
#define VMX_ACCESS_L BIT(13)
#define VMX_ACCESS_DB BIT(14)

static u64 vmx_code_size(const struct vcpu *vcpu)
{
	u64 access = vmx_read(VMCS_GUEST_CS_ACCESS);

	if ((vmx_read(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (access & VMX_ACCESS_L))
		return 8;
	if ((vmx_read(VMCS_GUEST_CR0) & CR0_PE) && !(vcpu->regs.rflags & RFLAGS_VM) &&
	    (access & VMX_ACCESS_DB))
		return 4;
	return 2;
}

static u64 vmx_read_state(struct vcpu *vcpu, enum vcpu_state_reg reg)
{
	switch (reg) {
	case VCPU_CR0:
		return vmx_guest_cr(vcpu, VMCS_GUEST_CR0, VMCS_CR0_READ_SHADOW,
				    VMCS_CR0_GUEST_HOST_MASK);
	case VCPU_CR3:
		return vmx_read(VMCS_GUEST_CR3);
	case VCPU_CR4:
		return vmx_guest_cr(vcpu, VMCS_GUEST_CR4, VMCS_CR4_READ_SHADOW,
				    VMCS_CR4_GUEST_HOST_MASK);
	case VCPU_EFER:
		return vmx_read(VMCS_GUEST_IA32_EFER);
	case VCPU_PAT:
		return vmx_read(VMCS_GUEST_IA32_PAT);
	case VCPU_CS_BASE:
		return vmx_read(VMCS_GUEST_CS_BASE);
	case VCPU_CPL:
		return (vmx_read(VMCS_GUEST_SS_ACCESS) >> 5) & 3; /* SS.DPL is the CPL */
	case VCPU_TPR:
		return *(volatile u32 *)(vmx_of(vcpu)->virtual_apic + VMX_VIRTUAL_APIC_TPR_OFFSET);
	case VCPU_CODE_SIZE:
		return vmx_code_size(vcpu);
	case VCPU_INTERRUPT_SHADOW:
		break;
	case VCPU_XCR0:
		return vmx_of(vcpu)->context.xcr0;
	case VCPU_TSC_OFFSET:
		return vmx_read(VMCS_TSC_OFFSET);
	}
	return 0;
}

static void vmx_write_state(struct vcpu *vcpu, enum vcpu_state_reg reg, u64 value)
{
	switch (reg) {
	case VCPU_EFER:
		vmx_write(VMCS_GUEST_IA32_EFER, value);
		break;
	case VCPU_PAT:
		vmx_write(VMCS_GUEST_IA32_PAT, value);
		break;
	case VCPU_TPR:
		*(volatile u32 *)(vmx_of(vcpu)->virtual_apic + VMX_VIRTUAL_APIC_TPR_OFFSET) =
			(u32)value;
		break;
	case VCPU_INTERRUPT_SHADOW:
		if (!value)
			vmx_write(VMCS_GUEST_INTERRUPTIBILITY,
				  vmx_read(VMCS_GUEST_INTERRUPTIBILITY) &
					  ~(u64)VMX_INTERRUPTIBILITY_STI_MOVSS);
		break;
	case VCPU_XCR0:
		/* Exits are handled with the vCPU's context in the CPU (guest_context.c). */
		guest_context_set_xcr0(&vmx_of(vcpu)->context, value);
		break;
	case VCPU_TSC_OFFSET:
		vmx_write(VMCS_TSC_OFFSET, value);
		break;
	default:
		log_error("vmx: write of state %d is not supported", reg);
		break;
	}
}

static void vmx_flush_nested(struct vcpu *vcpu)
{
	if (vmx_current[vcpu->cpu] == vcpu)
		vmx_invept(vmx_config.invept_type, vmx_read(VMCS_EPT_POINTER));
}

const struct vendor_ops vmx_ops = {
	.name = "Intel VMX",
	.nested_format = &vmx_ept_format,
	/* bookkeeping page, VMCS, I/O bitmaps A and B, MSR bitmap, virtual-APIC page, XSAVE
	 * area (one page but with AMX) (vmx_vcpu_create) */
	.vcpu_control_bytes = 4 * PAGE_SIZE + 3 * VMX_BITMAP_SIZE,
	.cpu_prepare = vmx_cpu_prepare,
	.cpu_enable = vmx_cpu_enable,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_destroy = vmx_vcpu_destroy,
	.vcpu_run = vmx_vcpu_run,
	.advance_rip = vmx_advance_rip,
	.vcpu_reset = vmx_vcpu_reset,
	.vcpu_unload = vmx_vcpu_unload,
	.inject_interrupt = vmx_inject_interrupt,
	.inject_exception = vmx_inject_exception,
	.read_state = vmx_read_state,
	.write_state = vmx_write_state,
	.flush_nested = vmx_flush_nested,
};
