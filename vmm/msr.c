// SPDX-License-Identifier: MIT
/* MSR policy: an allow-list. Anything not listed is denied with #GP, as a CPU without that
 * MSR would, and recorded. */
#include <moat/exit.h>
#include <moat/kvmclock.h>
#include <moat/speculation.h>
#include <moat/vm.h>

#define MSR_IA32_TSC_ADJUST 0x3b   /* SDM Vol. 4 table 2-2; CPUID.7:EBX[1] */
#define MSR_IA32_MISC_ENABLE 0x1a0 /* SDM Vol. 4 table 2-2 */
/* What IA32_MISC_ENABLE reads: fast strings on (bit 0; Linux turns ERMS off without it), branch
 * trace storage and PEBS unavailable (bits 11, 12: no debug store, no PMU). The bits it does not
 * show (MONITOR, SpeedStep, limit CPUID maxval, XD disable, ...) are 0 as their features are
 * hidden or always on. A write must keep this value: the features it controls are Moat's. */
#define MISC_ENABLE_FAST_STRINGS BIT(0)
#define MISC_ENABLE_BTS_UNAVAILABLE BIT(11)
#define MISC_ENABLE_PEBS_UNAVAILABLE BIT(12)
#define MISC_ENABLE_GUEST_VALUE \
	(MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAILABLE | MISC_ENABLE_PEBS_UNAVAILABLE)
/* AMD legacy performance counters PerfEvtSel0-3 and PerfCtr0-3 (APM Vol. 2 13.2.1): with no PMU
 * offered (CPUID.80000001:ECX.PerfCtrExtCore hidden) they read 0 and take writes without effect,
 * which Linux reads as "PMU not available due to virtualization". */
/* IA32_BIOS_SIGN_ID / AMD PATCH_LEVEL (SDM Vol. 4 table 2-2, APM Vol. 2 A.3): the microcode
 * revision, in bits 63:32 on Intel. Linux reads it on every Intel CPU with RDMSR that is not
 * allowed to fault, after a WRMSR of 0. Moat's vCPU reads revision 1, as KVM's; writes have
 * no effect (there is no microcode to load). */
#define MSR_IA32_BIOS_SIGN_ID 0x8b
#define BIOS_SIGN_ID_GUEST_VALUE (1ull << 32)
/* AMD HWCR (APM Vol. 2 A.3): Linux reads it with a RDMSR that may not fault on CPUs with the
 * invariant TSC, to check TscFreqSel (bit 24: the TSC counts at the P0 frequency), and sets
 * bit 6 on K8. Reads TscFreqSel; writes have no effect (the controls are the host's). */
#define MSR_AMD_HWCR 0xc0010015u
#define HWCR_TSC_FREQ_SEL BIT(24)
/* AMD K8 interrupt-pending message (BKDG for family 0Fh, MSR C001_0055): Linux reads it
 * without a fault handler on CPUs with erratum 400 (families 0Fh and 10h, which a vCPU on
 * QEMU's TCG reports) to see whether C1E is on. Reads 0: C1E is not offered; writes have no
 * effect. */
#define MSR_AMD_INT_PENDING_MSG 0xc0010055u
/* AMD DE_CFG (APM Vol. 2 A.3, "LFENCE is dispatch serializing"): Linux sets bit 1 and reads it
 * back to learn whether LFENCE serializes. Reads with the bit set, as the host keeps it;
 * writes have no effect (the controls are the host's). */
#define MSR_AMD_DE_CFG 0xc0011029u
#define DE_CFG_LFENCE_SERIALIZE BIT(1)
#define MSR_AMD_PERF_FIRST 0xc0010000u
#define MSR_AMD_PERF_LAST 0xc0010007u

/* EFER bits a guest may set itself; SVME and the rest stay Moat's (APM Vol. 2 3.1.7). */
#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)
/* PAT entries may only hold defined memory types (SDM Vol. 3 11.12.2). */
#define PAT_ENTRY_VALID_MASK ((1u << 0) | (1u << 1) | (1u << 4) | (1u << 5) | (1u << 6) | \
			      (1u << 7))

const u32 msr_passthrough[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_TSC_AUX, /* switched with the vCPU by the vendor code, like the XSAVE state */
};
const u32 msr_passthrough_count = ARRAY_SIZE(msr_passthrough);

struct guest_speculation guest_speculation;

static bool pat_is_valid(u64 pat)
{
	for (u32 i = 0; i < 8; i++) {
		u64 type = (pat >> (i * 8)) & 0xff;

		if (type > 7 || !(PAT_ENTRY_VALID_MASK & (1u << type)))
			return false;
	}
	return true;
}

bool msr_read(struct vcpu *vcpu, u32 index, u64 *value)
{
	const struct vendor_ops *ops = vcpu->vm->ops;

	if (vlapic_owns_msr(index))
		return vlapic_msr_read(vcpu, index, value);
	switch (index) {
	case MSR_IA32_TSC:
		/* The same view RDTSC gives: the host TSC plus the guest's and the vCPU's offset. */
		*value = x86_rdtsc() + vcpu_tsc_offset(vcpu);
		return true;
	case MSR_IA32_TSC_ADJUST:
		*value = vcpu->tsc_adjust;
		return true;
	case MSR_IA32_MISC_ENABLE:
		*value = MISC_ENABLE_GUEST_VALUE;
		return true;
	case MSR_AMD_PERF_FIRST ... MSR_AMD_PERF_LAST:
		*value = 0;
		return true;
	case MSR_IA32_BIOS_SIGN_ID:
		*value = BIOS_SIGN_ID_GUEST_VALUE;
		return true;
	case MSR_AMD_HWCR:
		*value = HWCR_TSC_FREQ_SEL;
		return true;
	case MSR_AMD_INT_PENDING_MSG:
		*value = 0;
		return true;
	case MSR_AMD_DE_CFG:
		*value = DE_CFG_LFENCE_SERIALIZE;
		return true;
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
		return kvmclock_msr_read(vcpu, index, value);
	case MSR_IA32_PAT:
		*value = ops->read_state(vcpu, VCPU_PAT);
		return true;
	case MSR_EFER:
		*value = ops->read_state(vcpu, VCPU_EFER);
		return true;
	case MSR_IA32_SPEC_CTRL:
		/* The guest's own value, loaded around each entry (docs/speculation.md). */
		*value = vcpu->spec_ctrl;
		return guest_speculation.spec_ctrl_bits != 0;
	default:
		return false;
	}
}

/* The vCPU's TSC moved: RDTSC (both vendors' offset field) and its kvmclock follow. */
static void msr_set_tsc_adjust(struct vcpu *vcpu, u64 adjust)
{
	vcpu->tsc_adjust = adjust;
	vcpu->vm->ops->write_state(vcpu, VCPU_TSC_OFFSET, vcpu_tsc_offset(vcpu));
	kvmclock_update(vcpu);
}

bool msr_write(struct vcpu *vcpu, u32 index, u64 value)
{
	const struct vendor_ops *ops = vcpu->vm->ops;

	if (vlapic_owns_msr(index))
		return vlapic_msr_write(vcpu, index, value);
	switch (index) {
	case MSR_IA32_TSC:
		/* Sets this vCPU's TSC; TSC_ADJUST moves by as much (SDM Vol. 3 18.17.3). */
		msr_set_tsc_adjust(vcpu, value - vm_guest_tsc(vcpu->vm, x86_rdtsc()));
		return true;
	case MSR_IA32_TSC_ADJUST:
		msr_set_tsc_adjust(vcpu, value);
		return true;
	case MSR_IA32_MISC_ENABLE:
		return value == MISC_ENABLE_GUEST_VALUE;
	case MSR_AMD_PERF_FIRST ... MSR_AMD_PERF_LAST:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_AMD_HWCR:
	case MSR_AMD_INT_PENDING_MSG:
	case MSR_AMD_DE_CFG:
		return true;
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
		return kvmclock_msr_write(vcpu, index, value);
	case MSR_IA32_PAT:
		if (!pat_is_valid(value))
			return false;
		ops->write_state(vcpu, VCPU_PAT, value);
		return true;
	case MSR_EFER: {
		u64 current = ops->read_state(vcpu, VCPU_EFER);

		/* LMA is the CPU's to set; a write may repeat it but not change it. LME may not
		 * change while paging is on (SDM Vol. 3 9.8.5; APM Vol. 2 3.1.7: #GP). */
		if (value & ~(EFER_GUEST_WRITABLE | EFER_LMA) ||
		    (value & EFER_LMA) != (current & EFER_LMA) ||
		    (((value ^ current) & EFER_LME) && (ops->read_state(vcpu, VCPU_CR0) & CR0_PG)))
			return false;
		ops->write_state(vcpu, VCPU_EFER, value);
		return true;
	}
	case MSR_IA32_SPEC_CTRL:
		/* Only the bits this CPU has and CPUID shows: the rest raise #GP, as on a CPU
		 * without them (SDM Vol. 4 table 2-2). */
		if (!guest_speculation.spec_ctrl_bits || (value & ~guest_speculation.spec_ctrl_bits))
			return false;
		vcpu->spec_ctrl = value;
		return true;
	case MSR_IA32_PRED_CMD:
		/* Write-only; IBPB is the one command a guest may give. */
		if (!guest_speculation.pred_cmd || value != PRED_CMD_IBPB)
			return false;
		x86_wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		return true;
	default:
		return false;
	}
}
