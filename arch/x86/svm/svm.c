// SPDX-License-Identifier: MIT
/* AMD SVM: enabling it on a CPU and building, running and tearing down a vCPU's VMCB
 * (AMD APM Vol. 2 chapter 15). Exit translation lives in svm_exit.c. */
#include <moat/errno.h>
#include <moat/exit.h>
#include <moat/log.h>
#include <moat/string.h>
#include <moat/vm.h>
#include <moat/x86.h>

#include "../speculation.h"
#include "svm.h"

_Static_assert(__builtin_offsetof(struct vcpu_regs, rcx) == 8, "svm_entry.S REG_RCX");
_Static_assert(__builtin_offsetof(struct vcpu_regs, rbp) == 40, "svm_entry.S REG_RBP");
_Static_assert(__builtin_offsetof(struct vcpu_regs, r15) == 120, "svm_entry.S REG_R15");

/* Guest reset values (APM 14.1.3 and 15.5; DR6/DR7 as after RESET). */
#define GUEST_DR6_INIT 0xffff0ff0ULL
#define GUEST_DR7_INIT 0x400ULL
#define GUEST_TR_LIMIT 0x67
#define SEG_LIMIT_4G 0xffffffffu
#define SEG_LIMIT_64K 0xffffu
#define REAL_MODE_SELECTOR_SHIFT 4 /* a real-mode selector is its base >> 4 */
#define GUEST_SELECTOR_CODE 0x08
#define GUEST_SELECTOR_DATA 0x10
/* MSRPM (APM 15.11): three 2 KiB vectors, two bits (read, write) per MSR. */
#define MSRPM_RANGE_BYTES 0x800
#define MSRPM_MSRS_PER_RANGE 0x2000u

/* Per-CPU host state. */
static hpa_t host_save_area[CONFIG_MAX_CPUS];   /* VM_HSAVE_PA: where VMRUN keeps host state */
static hpa_t host_vmload_area[CONFIG_MAX_CPUS]; /* VMSAVE image of Moat's own FS/GS/TR/... */
/* The vCPU whose guest_context this CPU holds (the one that ran here last). */
static struct vcpu *svm_current[CONFIG_MAX_CPUS];
static u32 svm_asid_limit;
static struct svm_asid_cpu svm_asid_cpus[CONFIG_MAX_CPUS];
static bool svm_has_nrips;

/* NPT as this CPU supports it: 1 GiB leaves only where the CPU has 1 GiB pages. */
static struct pt_format svm_npt_format;

bool svm_probe(void)
{
	struct cpuid_regs features;

	if (!(x86_cpuid(CPUID_EXT_FEATURES, 0).ecx & CPUID_EXT1_ECX_SVM))
		return false;
	features = x86_cpuid(CPUID_SVM_FEATURES, 0);
	if (!(features.edx & CPUID_SVM_EDX_NP)) {
		log_error("svm: the CPU has SVM but no nested paging; Moat needs NPT");
		return false;
	}
	svm_asid_limit = features.ebx;
	svm_has_nrips = features.edx & CPUID_SVM_EDX_NRIPS;
	svm_npt_format = pt_format_npt;
	if (!(x86_cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT1_EDX_PDPE1GB))
		svm_npt_format.leaf_levels &= ~PT_LEAF_LEVEL(3);
	return true;
}

static int svm_cpu_prepare(u32 cpu, struct frame_allocator *frames)
{
	host_save_area[cpu] = frame_alloc(frames, 1, PAGE_SIZE);
	host_vmload_area[cpu] = frame_alloc(frames, 1, PAGE_SIZE);
	return host_save_area[cpu] && host_vmload_area[cpu] ? 0 : -MOAT_ENOMEM;
}

static int svm_cpu_enable(u32 cpu)
{
	if (!host_save_area[cpu] || !host_vmload_area[cpu])
		return -MOAT_ENOMEM;
	guest_context_cpu_init();
	x86_wrmsr(MSR_EFER, x86_rdmsr(MSR_EFER) | EFER_SVME);
	x86_wrmsr(MSR_VM_HSAVE_PA, host_save_area[cpu]);
	svm_asid_cpu_init(&svm_asid_cpus[cpu], svm_asid_limit);
	__asm__ volatile("vmsave %%rax" ::"a"(host_vmload_area[cpu]) : "memory");
	if (cpu != 0)
		return 0;
	log_info("svm: enabled, %u ASIDs, next-RIP save %s", svm_asid_limit,
		 svm_has_nrips ? "yes" : "no (instruction lengths decoded by Moat)");
	return 0;
}

/* Lets the guest use an MSR whose state lives in its VMCB without exits. */
static void msrpm_allow(u8 *msrpm, u32 msr)
{
	static const u32 range_base[] = { 0x00000000u, 0xc0000000u, 0xc0010000u };

	for (u32 r = 0; r < ARRAY_SIZE(range_base); r++) {
		if (msr - range_base[r] < MSRPM_MSRS_PER_RANGE) {
			u32 bit = (msr - range_base[r]) * 2;

			msrpm[r * MSRPM_RANGE_BYTES + bit / 8] &= (u8) ~(3u << (bit % 8));
			return;
		}
	}
}

static void svm_set_segment(struct vmcb_segment *seg, u16 selector, u16 attrib, u32 limit)
{
	*seg = (struct vmcb_segment){ .selector = selector, .attrib = attrib, .limit = limit };
}

/* The entry state: 32-bit flat protected mode with paging off (docs/guest-interface.md), 64-bit
 * mode for the Linux boot protocol, or real mode as after a start-up IPI. */
static void svm_init_save(struct vmcb_save *s, const struct guest_entry_state *entry)
{
	bool real = entry->mode == GUEST_ENTRY_REAL16;
	bool long64 = entry->mode == GUEST_ENTRY_LONG64;

	memset(s, 0, sizeof(*s));
	if (long64) {
		svm_set_segment(&s->cs, GUEST_LONG64_CODE_SELECTOR, SVM_ATTR_CODE64,
				SEG_LIMIT_4G);
		svm_set_segment(&s->ds, GUEST_LONG64_DATA_SELECTOR, SVM_ATTR_DATA32,
				SEG_LIMIT_4G);
	} else if (real) {
		svm_set_segment(&s->cs, (u16)(entry->cs_base >> REAL_MODE_SELECTOR_SHIFT),
				SVM_ATTR_CODE16, SEG_LIMIT_64K);
		s->cs.base = entry->cs_base;
		svm_set_segment(&s->ds, 0, SVM_ATTR_DATA16, SEG_LIMIT_64K);
	} else {
		svm_set_segment(&s->cs, GUEST_SELECTOR_CODE, SVM_ATTR_CODE32, SEG_LIMIT_4G);
		svm_set_segment(&s->ds, GUEST_SELECTOR_DATA, SVM_ATTR_DATA32, SEG_LIMIT_4G);
	}
	s->es = s->ss = s->fs = s->gs = s->ds;
	svm_set_segment(&s->tr, 0, SVM_ATTR_TSS32_BUSY, GUEST_TR_LIMIT);
	svm_set_segment(&s->ldtr, 0, SVM_ATTR_LDT, 0);
	/* Real mode keeps the reset IDT limit, so the guest's interrupt vectors stay usable. */
	svm_set_segment(&s->gdtr, 0, 0, real ? SEG_LIMIT_64K : 0);
	svm_set_segment(&s->idtr, 0, 0, real ? SEG_LIMIT_64K : 0);
	s->cpl = 0;
	s->efer = EFER_SVME; /* required while in guest mode (APM 15.5.1) */
	s->cr0 = real ? CR0_ET : CR0_PE | CR0_ET;
	s->cr4 = 0;
	s->cr3 = 0;
	if (long64) {
		/* Long mode active (APM 14.6.1): LMA is what the CPU would have set itself. */
		s->efer |= EFER_LME | EFER_LMA;
		s->cr0 |= CR0_PG;
		s->cr4 = CR4_PAE;
		s->cr3 = entry->cr3;
		svm_set_segment(&s->gdtr, 0, 0, entry->gdt_limit);
		s->gdtr.base = entry->gdt_base;
	}
	s->dr6 = GUEST_DR6_INIT;
	s->dr7 = GUEST_DR7_INIT;
	s->g_pat = PAT_RESET_VALUE;
	s->rflags = entry->rflags | RFLAGS_RESERVED_ONE;
	s->rip = entry->rip;
	s->rsp = entry->rsp;
	s->rax = entry->rax;
}

static void svm_init_control(struct vmcb_control *c, const struct svm_vcpu *svm,
			     hpa_t nested_root)
{
	/* CR4 writes are checked against what CPUID shows (vmm/cr4.c). */
	c->intercept_cr_write = SVM_INTERCEPT_CR4;
	/* #DB and #AC (reflected: no delivery loop inside the CPU) and #MC (the host's). */
	c->intercept_exceptions = exception_intercepts();
	c->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_CPUID |
			     SVM_INTERCEPT_RDPMC |
			     SVM_INTERCEPT_INVD | SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVLPGA |
			     SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT |
			     SVM_INTERCEPT_FERR_FREEZE | SVM_INTERCEPT_SHUTDOWN;
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL |
			     SVM_INTERCEPT_VMLOAD | SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI |
			     SVM_INTERCEPT_CLGI | SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_WBINVD |
			     SVM_INTERCEPT_MONITOR | SVM_INTERCEPT_MWAIT |
			     SVM_INTERCEPT_MWAIT_ARMED | SVM_INTERCEPT_XSETBV |
			     SVM_INTERCEPT_RDPRU;
	c->iopm_base_pa = ptr_to_hpa(svm->iopm);
	c->msrpm_base_pa = ptr_to_hpa(svm->msrpm);
	/* guest_asid and the flush it needs are chosen before every VMRUN (svm_asid.c). */
	c->tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	/* V_INTR_MASKING: the guest's CR8 is V_TPR and its RFLAGS.IF masks only virtual
	 * interrupts; the host's TPR and IF stay Moat's (APM 15.21.1, 15.21.2). */
	c->vintr = SVM_VINTR_MASKING;
	c->nested_control = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = nested_root;
}

static void svm_vcpu_destroy(struct vcpu *vcpu, struct frame_allocator *frames)
{
	struct svm_vcpu *svm = svm_of(vcpu);

	if (!svm)
		return;
	if (svm_current[vcpu->cpu] == vcpu)
		svm_current[vcpu->cpu] = NULL;
	guest_context_destroy(&svm->context, frames);
	if (svm->vmcb)
		frame_free(frames, ptr_to_hpa(svm->vmcb), 1);
	if (svm->iopm)
		frame_free(frames, ptr_to_hpa(svm->iopm), SVM_IOPM_SIZE / PAGE_SIZE);
	if (svm->msrpm)
		frame_free(frames, ptr_to_hpa(svm->msrpm), SVM_MSRPM_SIZE / PAGE_SIZE);
	frame_free(frames, ptr_to_hpa(svm), 1);
	vcpu->vendor = NULL;
}

/* Keeps the registers of vcpu, which ran on this CPU last, for wherever it runs next. */
static void svm_save_cpu_state(struct vcpu *vcpu)
{
	guest_context_save(&svm_of(vcpu)->context);
	svm_current[vcpu->cpu] = NULL;
}

static void svm_vcpu_reset(struct vcpu *vcpu, const struct guest_entry_state *entry)
{
	struct svm_vcpu *svm = svm_of(vcpu);

	if (svm_current[vcpu->cpu] == vcpu)
		svm_save_cpu_state(vcpu);
	guest_context_reset(&svm->context);

	svm_init_save(&svm->vmcb->save, entry);
	svm->vmcb->control.event_inject = 0;
	svm->vmcb->control.interrupt_shadow = 0;
	/* TPR 0, as after RESET and INIT. */
	svm->vmcb->control.vintr &= ~SVM_VINTR_TPR_MASK;
	svm->tpr_written = 0;
	/* Its old translations must not survive the reset: a fresh ASID at the next run. */
	svm_asid_forget(&svm->asid);
	vcpu->regs = (struct vcpu_regs){ .rax = entry->rax, .rbx = entry->rbx,
					 .rsi = entry->rsi, .rsp = entry->rsp, .rip = entry->rip,
					 .rflags = entry->rflags | RFLAGS_RESERVED_ONE };
}

/* A VMCB holds no per-CPU state, but ASIDs are per CPU: wherever the vCPU runs next, it
 * takes a fresh one there (svm_asid.c), never one with translations from an earlier stay. */
static void svm_vcpu_unload(struct vcpu *vcpu)
{
	if (svm_current[vcpu->cpu] == vcpu)
		svm_save_cpu_state(vcpu);
	svm_asid_forget(&svm_of(vcpu)->asid);
}

static int svm_vcpu_create(struct vcpu *vcpu, const struct guest_entry_state *entry,
			   hpa_t nested_root, struct frame_allocator *frames)
{
	struct svm_vcpu *svm;

	svm = hpa_to_ptr(frame_alloc(frames, 1, PAGE_SIZE));
	if (!svm)
		return -MOAT_ENOMEM;
	vcpu->vendor = svm;
	svm->vmcb = hpa_to_ptr(frame_alloc(frames, 1, PAGE_SIZE));
	svm->iopm = hpa_to_ptr(frame_alloc(frames, SVM_IOPM_SIZE / PAGE_SIZE, PAGE_SIZE));
	svm->msrpm = hpa_to_ptr(frame_alloc(frames, SVM_MSRPM_SIZE / PAGE_SIZE, PAGE_SIZE));
	/* VMRUN loads CR2 from the VMCB, but Bochs 2.7 does not: switching it with the other
	 * registers costs two moves per vCPU switch and keeps it the guest's own there too. */
	if (!svm->vmcb || !svm->iopm || !svm->msrpm ||
	    guest_context_create(&svm->context, vcpu->id, GUEST_CONTEXT_CR2, frames)) {
		svm_vcpu_destroy(vcpu, frames);
		return -MOAT_ENOMEM;
	}
	svm->nrips = svm_has_nrips;
	svm_asid_forget(&svm->asid);
	/* Every port and every MSR exits unless listed as the guest's own. */
	memset(svm->iopm, 0xff, SVM_IOPM_SIZE);
	memset(svm->msrpm, 0xff, SVM_MSRPM_SIZE);
	for (u32 i = 0; i < msr_passthrough_count; i++)
		msrpm_allow(svm->msrpm, msr_passthrough[i]);
	svm_init_control(&svm->vmcb->control, svm, nested_root);
	svm_vcpu_reset(vcpu, entry);
	return 0;
}

/* Another vCPU ran on this CPU last: its registers out, vcpu's in. Out of line, so that the
 * exit round trip of a vCPU that stays on its CPU pays one compare for it. */
static __noinline_cold void svm_switch_to(struct vcpu *vcpu)
{
	struct vcpu *previous = svm_current[vcpu->cpu];

	if (previous)
		svm_save_cpu_state(previous);
	guest_context_load(&svm_of(vcpu)->context);
	svm_current[vcpu->cpu] = vcpu;
}

static void svm_vcpu_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct svm_vcpu *svm = svm_of(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u64 spec_ctrl;
	bool flush_all;

	if (svm_current[vcpu->cpu] != vcpu)
		svm_switch_to(vcpu);
	vmcb->control.guest_asid = svm_asid_for_run(&svm_asid_cpus[vcpu->cpu], vcpu->cpu,
						    &svm->asid, &flush_all);
	if (flush_all)
		vmcb->control.tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	/* RDTSC and RDTSCP add it (APM table B-1, TSC_OFFSET); RDMSR of the TSC exits. */
	vmcb->control.tsc_offset = vcpu_tsc_offset(vcpu);
	vmcb->save.rax = vcpu->regs.rax;
	vmcb->save.rsp = vcpu->regs.rsp;
	vmcb->save.rip = vcpu->regs.rip;
	vmcb->save.rflags = vcpu->regs.rflags;
	spec_ctrl = spec_ctrl_before_entry(vcpu);
	svm_enter_guest(ptr_to_hpa(vmcb), &vcpu->regs, host_vmload_area[vcpu->cpu]);
	spec_ctrl_after_exit(spec_ctrl);
	vcpu->regs.rax = vmcb->save.rax;
	vcpu->regs.rsp = vmcb->save.rsp;
	vcpu->regs.rip = vmcb->save.rip;
	vcpu->regs.rflags = vmcb->save.rflags;
	vmcb->control.tlb_control = 0;
	vmcb->control.event_inject = 0;
	/* An event whose delivery the exit interrupted is delivered again (APM 15.7.2). */
	if (vmcb->control.exit_int_info & SVM_EVENT_VALID)
		vmcb->control.event_inject = vmcb->control.exit_int_info;
	svm_translate_exit(vcpu, exit);
}

/* has_error_code is what the caller's source reported; the vector and mode decide
 * (vmm/exception.c), so an injection never carries an error code the CPU would not push. */
static void svm_inject_exception(struct vcpu *vcpu, u8 vector, bool has_error_code,
				 u32 error_code)
{
	struct vmcb *vmcb = svm_of(vcpu)->vmcb;
	u64 event = vector | SVM_EVENT_TYPE_EXCEPTION | SVM_EVENT_VALID;

	vcpu->regs.rflags = exception_inject_rflags(vector, vcpu->regs.rflags);
	if (exception_has_error_code(vector, vmcb->save.cr0 & CR0_PE))
		event |= SVM_EVENT_ERROR_VALID | ((u64)error_code << SVM_EVENT_ERROR_SHIFT);
	vmcb->control.event_inject = event;
}

void svm_set_interrupt_window(struct vmcb_control *c, bool on)
{
	if (on) {
		c->vintr |= SVM_VINTR_WINDOW;
		c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
	} else {
		c->vintr &= ~SVM_VINTR_WINDOW;
		c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
	}
}

static bool svm_inject_interrupt(struct vcpu *vcpu, u8 vector)
{
	struct vmcb_control *c = &svm_of(vcpu)->vmcb->control;

	if (!(vcpu->regs.rflags & RFLAGS_IF) || (c->interrupt_shadow & SVM_INTERRUPT_SHADOW) ||
	    (c->event_inject & SVM_EVENT_VALID)) {
		svm_set_interrupt_window(c, true);
		return false;
	}
	svm_set_interrupt_window(c, false);
	c->event_inject = vector | SVM_EVENT_TYPE_INTR | SVM_EVENT_VALID;
	return true;
}

/* V_TPR is CR8, TPR[7:4] (APM 15.21.1, 16.6.4): the sub-class written through the MSR counts
 * only while the guest has not moved the class through CR8 since. */
static u64 svm_read_tpr(const struct svm_vcpu *svm)
{
	u64 class = svm->vmcb->control.vintr & SVM_VINTR_TPR_MASK;

	if (class == (u64)(svm->tpr_written >> SVM_TPR_CLASS_SHIFT))
		return svm->tpr_written;
	return class << SVM_TPR_CLASS_SHIFT;
}

/* CS.L and CS.D/B in the VMCB's attribute form (descriptor bits 53 and 54, APM B-2). */
#define SVM_ATTR_L BIT(9)
#define SVM_ATTR_DB BIT(10)

static u64 svm_code_size(const struct vcpu *vcpu, const struct vmcb_save *s)
{
	if ((s->efer & EFER_LMA) && (s->cs.attrib & SVM_ATTR_L))
		return 8;
	if ((s->cr0 & CR0_PE) && !(vcpu->regs.rflags & RFLAGS_VM) && (s->cs.attrib & SVM_ATTR_DB))
		return 4;
	return 2;
}

static u64 svm_read_state(struct vcpu *vcpu, enum vcpu_state_reg reg)
{
	const struct vmcb_save *s = &svm_of(vcpu)->vmcb->save;

	switch (reg) {
	case VCPU_CR0:
		return s->cr0;
	case VCPU_CR3:
		return s->cr3;
	case VCPU_CR4:
		return s->cr4;
	case VCPU_EFER:
		return s->efer & ~EFER_SVME; /* SVME is Moat's, not the guest's */
	case VCPU_PAT:
		return s->g_pat;
	case VCPU_CS_BASE:
		return s->cs.base;
	case VCPU_CPL:
		return s->cpl;
	case VCPU_TPR:
		return svm_read_tpr(svm_of(vcpu));
	case VCPU_CODE_SIZE:
		return svm_code_size(vcpu, s);
	case VCPU_INTERRUPT_SHADOW:
		break;
	case VCPU_XCR0:
		return svm_of(vcpu)->context.xcr0;
	case VCPU_TSC_OFFSET:
		return svm_of(vcpu)->vmcb->control.tsc_offset;
	}
	return 0;
}

static void svm_write_state(struct vcpu *vcpu, enum vcpu_state_reg reg, u64 value)
{
	struct vmcb_save *s = &svm_of(vcpu)->vmcb->save;

	switch (reg) {
	case VCPU_EFER:
		s->efer = value | EFER_SVME;
		break;
	case VCPU_PAT:
		s->g_pat = value;
		break;
	case VCPU_TPR:
		svm_of(vcpu)->tpr_written = (u8)value;
		svm_of(vcpu)->vmcb->control.vintr =
			(svm_of(vcpu)->vmcb->control.vintr & ~SVM_VINTR_TPR_MASK) |
			((value >> SVM_TPR_CLASS_SHIFT) & SVM_VINTR_TPR_MASK);
		break;
	case VCPU_INTERRUPT_SHADOW:
		if (!value)
			svm_of(vcpu)->vmcb->control.interrupt_shadow &= ~(u64)SVM_INTERRUPT_SHADOW;
		break;
	case VCPU_XCR0:
		/* Exits are handled with the vCPU's context in the CPU (guest_context.c). */
		guest_context_set_xcr0(&svm_of(vcpu)->context, value);
		break;
	case VCPU_TSC_OFFSET:
		svm_of(vcpu)->vmcb->control.tsc_offset = value;
		break;
	default:
		/* Control registers are the guest's own under SVM: Moat does not set them. */
		log_error("svm: write of state %d is not supported", reg);
		break;
	}
}

static void svm_flush_nested(struct vcpu *vcpu)
{
	svm_of(vcpu)->vmcb->control.tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
}

const struct vendor_ops svm_ops = {
	.name = "AMD SVM",
	.nested_format = &svm_npt_format,
	/* bookkeeping page, VMCB, I/O and MSR permission maps, XSAVE area (one page but with
	 * AMX) (svm_vcpu_create) */
	.vcpu_control_bytes = 3 * PAGE_SIZE + SVM_IOPM_SIZE + SVM_MSRPM_SIZE,
	.cpu_prepare = svm_cpu_prepare,
	.cpu_enable = svm_cpu_enable,
	.vcpu_create = svm_vcpu_create,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_run = svm_vcpu_run,
	.advance_rip = svm_advance_rip,
	.vcpu_reset = svm_vcpu_reset,
	.vcpu_unload = svm_vcpu_unload,
	.inject_interrupt = svm_inject_interrupt,
	.inject_exception = svm_inject_exception,
	.read_state = svm_read_state,
	.write_state = svm_write_state,
	.flush_nested = svm_flush_nested,
};
