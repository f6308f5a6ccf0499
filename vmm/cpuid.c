// SPDX-License-Identifier: MIT
/* CPUID policy: what a guest may learn about the CPU. Leaves are passed from the host only
 * when listed here, with features Moat does not virtualize masked out. */
#include <moat/exit.h>
#include <moat/speculation.h>
#include <moat/string.h>
#include <moat/vm.h>
#include <moat/xsave.h>
#include <moat/xstate.h>

/* CPUID.1 bits (SDM Vol. 2A, CPUID, tables 3-10 and 3-11). */
#define CPUID1_ECX_DTES64 BIT(2)
#define CPUID1_ECX_MONITOR BIT(3)
#define CPUID1_ECX_DS_CPL BIT(4)
#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_SMX BIT(6)
#define CPUID1_ECX_EIST BIT(7)
#define CPUID1_ECX_TM2 BIT(8)
#define CPUID1_ECX_CNXT_ID BIT(10)
#define CPUID1_ECX_SDBG BIT(11)
#define CPUID1_ECX_FMA BIT(12)
#define CPUID1_ECX_XTPR BIT(14)
#define CPUID1_ECX_PDCM BIT(15)
#define CPUID1_ECX_PCID BIT(17)
#define CPUID1_ECX_DCA BIT(18)
#define CPUID1_ECX_X2APIC BIT(21)
#define CPUID1_ECX_TSC_DEADLINE BIT(24)
#define CPUID1_ECX_XSAVE BIT(26)
#define CPUID1_ECX_OSXSAVE BIT(27)
#define CPUID1_ECX_AVX BIT(28)
#define CPUID1_ECX_F16C BIT(29)
#define CPUID1_ECX_HYPERVISOR BIT(31)
#define CPUID1_EDX_MCE BIT(7)
#define CPUID1_EDX_APIC BIT(9)
#define CPUID1_EDX_MTRR BIT(12)
#define CPUID1_EDX_MCA BIT(14)
#define CPUID1_EDX_PSN BIT(18)
#define CPUID1_EDX_DS BIT(21)
#define CPUID1_EDX_ACPI BIT(22)
#define CPUID1_EDX_HTT BIT(28)
#define CPUID1_EDX_TM BIT(29)
#define CPUID1_EDX_PBE BIT(31)
#define CPUID1_EBX_APIC_ID_SHIFT 24
#define CPUID1_EBX_LOGICAL_COUNT_SHIFT 16
#define CPUID1_EBX_KEEP 0xffffu /* brand index, CLFLUSH line size */

/* CPUID.7.0 (SDM Vol. 2A table 3-8): features that need state Moat does not switch or
 * that reach host-wide resources. */
#define CPUID7_EBX_TSC_ADJUST BIT(1)
#define CPUID7_EBX_SGX BIT(2)
#define CPUID7_EBX_AVX2 BIT(5)
#define CPUID7_EBX_INVPCID BIT(10)
#define CPUID7_EBX_RDT_M BIT(12)
#define CPUID7_EBX_MPX BIT(14)
#define CPUID7_EBX_RDT_A BIT(15)
#define CPUID7_EBX_AVX512_MASK 0xd0230000u /* AVX512F/DQ/IFMA/PF/ER/CD/BW/VL */
#define CPUID7_EBX_PT BIT(25)
#define CPUID7_ECX_WAITPKG BIT(5)
#define CPUID7_ECX_PKU BIT(3)
#define CPUID7_ECX_OSPKE BIT(4)
#define CPUID7_ECX_SGX_LC BIT(30)
#define CPUID7_EDX_HYBRID BIT(15)

/* CPUID.6 (SDM Vol. 2A table 3-8): the APIC timer runs whatever the C-state (ARAT). The rest
 * (thermal sensors, turbo, HWP, APERF/MPERF) needs MSRs Moat does not offer. */
#define CPUID6_EAX_ARAT BIT(2)

/* CPUID.80000007:EDX (SDM Vol. 2A table 3-8, APM Vol. 3 E.4.6): the TSC runs at a constant rate in
 * every P-, C- and T-state. A guest's TSC is the host's plus an offset, so it is invariant
 * exactly when the host's is; the other bits are power-management MSRs, hidden. */
#define CPUID_EXT7_EDX_INVARIANT_TSC BIT(8)

/* The KVM-compatible leaves (Linux Documentation/virt/kvm/x86/cpuid.rst): Linux searches for
 * the signature from 0x40000000 in steps of 0x100, so Moat's own leaf stays at 0x40000000. */
#define CPUID_KVM_SIGNATURE_LEAF 0x40000100u
#define CPUID_KVM_FEATURES_LEAF 0x40000101u
#define KVM_FEATURE_CLOCKSOURCE2 BIT(3) /* MSRs 0x4b564d00/01 (vmm/kvmclock.c) */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT BIT(24)
#define MSR_IA32_TSC_DEADLINE 0x6e0

/* CPUID.80000001 (AMD APM Vol. 3 E.4.2). */
#define CPUID_EXT1_ECX_SVM BIT(2)
#define CPUID_EXT1_ECX_EXTAPIC BIT(3)
#define CPUID_EXT1_ECX_SKINIT BIT(12)
#define CPUID_EXT1_ECX_WDT BIT(13)
#define CPUID_EXT1_ECX_TOPOEXT BIT(22)
#define CPUID_EXT1_ECX_PERFCTR BIT(23)
#define CPUID_EXT1_EDX_PDPE1GB BIT(26)

static const char moat_signature[12] = { 'M', 'o', 'a', 't', 'M', 'o', 'a', 't',
					 'M', 'o', 'a', 't' };
static const char kvm_signature[12] = { 'K', 'V', 'M', 'K', 'V', 'M', 'K', 'V', 'M', 0, 0, 0 };
static const char moat_brand[48] = "Moat virtual CPU";

static struct cpuid_regs cpuid_signature(const char *signature, u32 max_leaf)
{
	struct cpuid_regs r = { .eax = max_leaf };

	memcpy(&r.ebx, signature, 4);
	memcpy(&r.ecx, signature + 4, 4);
	memcpy(&r.edx, signature + 8, 4);
	return r;
}

static struct cpuid_regs cpuid_brand(u32 leaf)
{
	struct cpuid_regs r;

	memcpy(&r, moat_brand + (leaf - 0x80000002u) * sizeof(r), sizeof(r));
	return r;
}

static struct cpuid_regs cpuid_leaf1(const struct cpuid_regs *host, u32 vcpu_id)
{
	struct cpuid_regs r = *host;

	r.ebx = (host->ebx & CPUID1_EBX_KEEP) | (vcpu_id << CPUID1_EBX_APIC_ID_SHIFT) |
		(1u << CPUID1_EBX_LOGICAL_COUNT_SHIFT);
	/* Hidden: features with MSRs or host-wide effects Moat does not offer (debug store,
	 * SpeedStep, thermal monitors, silicon debug, xTPR, DCA, PDCM, MTRRs, machine checks),
	 * and those virtualized elsewhere or not at all. OSXSAVE is the guest's CR4 bit
	 * (cpuid_handle). */
	r.ecx &= ~(CPUID1_ECX_DTES64 | CPUID1_ECX_MONITOR | CPUID1_ECX_DS_CPL | CPUID1_ECX_VMX |
		   CPUID1_ECX_SMX | CPUID1_ECX_EIST | CPUID1_ECX_TM2 | CPUID1_ECX_CNXT_ID |
		   CPUID1_ECX_SDBG | CPUID1_ECX_XTPR | CPUID1_ECX_PDCM | CPUID1_ECX_PCID |
		   CPUID1_ECX_DCA | CPUID1_ECX_TSC_DEADLINE | CPUID1_ECX_XSAVE |
		   CPUID1_ECX_OSXSAVE);
	/* XSAVE and the AVX instructions as far as the XCR0 components offered go (vmm/xsave.c). */
	if (guest_xsave.xcr0_mask)
		r.ecx |= CPUID1_ECX_XSAVE;
	if (!(guest_xsave.xcr0_mask & XSTATE_AVX))
		r.ecx &= ~(CPUID1_ECX_AVX | CPUID1_ECX_FMA | CPUID1_ECX_F16C);
	/* The TSC-deadline timer where the virtual local APIC has its MSR. */
	if (vlapic_owns_msr(MSR_IA32_TSC_DEADLINE))
		r.ecx |= CPUID1_ECX_TSC_DEADLINE;
	/* The local APIC each vCPU has is Moat's x2APIC (vmm/vlapic.c). */
	r.ecx |= CPUID1_ECX_HYPERVISOR | CPUID1_ECX_X2APIC;
	r.edx |= CPUID1_EDX_APIC;
	r.edx &= ~(CPUID1_EDX_MCE | CPUID1_EDX_MTRR | CPUID1_EDX_MCA | CPUID1_EDX_PSN |
		   CPUID1_EDX_DS | CPUID1_EDX_ACPI | CPUID1_EDX_HTT | CPUID1_EDX_TM |
		   CPUID1_EDX_PBE);
	return r;
}

static struct cpuid_regs cpuid_leaf7(u32 subleaf, const struct cpuid_regs *host)
{
	struct cpuid_regs r = { 0 };

	if (subleaf != 0)
		return r;
	r.ebx = host->ebx & ~(CPUID7_EBX_SGX | CPUID7_EBX_INVPCID | CPUID7_EBX_RDT_M |
			      CPUID7_EBX_MPX | CPUID7_EBX_RDT_A | CPUID7_EBX_PT);
	/* AVX2 and AVX-512 need the XCR0 components the guest is offered (vmm/xsave.c). */
	if (!(guest_xsave.xcr0_mask & XSTATE_AVX))
		r.ebx &= ~CPUID7_EBX_AVX2;
	if ((guest_xsave.xcr0_mask & XSTATE_AVX512) != XSTATE_AVX512)
		r.ebx &= ~CPUID7_EBX_AVX512_MASK;
	/* IA32_TSC_ADJUST is each vCPU's own (vmm/msr.c), whatever the host has. */
	r.ebx |= CPUID7_EBX_TSC_ADJUST;
	/* ECX and EDX hold mostly features with their own state or host-wide effects
	 * (PKU, WAITPKG, SGX launch control, hybrid topology): none are offered, except the
	 * speculation controls the guest may use (docs/speculation.md). */
	r.edx = host->edx & guest_speculation.leaf7_edx;
	return r;
}

struct cpuid_regs cpuid_filter(u32 leaf, u32 subleaf, const struct cpuid_regs *host,
			       u32 vcpu_id)
{
	struct cpuid_regs r = { 0 };

	switch (leaf) {
	case 0:
		r = *host;
		r.eax = MIN(host->eax, CPUID_MAX_BASIC_LEAF);
		return r;
	case 1:
		return cpuid_leaf1(host, vcpu_id);
	case 6:
		r.eax = CPUID6_EAX_ARAT;
		return r;
	case 7:
		return cpuid_leaf7(subleaf, host);
	case 0xd:
		return xsave_cpuid(subleaf, host);
	case CPUID_MOAT_SIGNATURE_LEAF:
		return cpuid_signature(moat_signature, CPUID_MOAT_VERSION_LEAF);
	case CPUID_MOAT_VERSION_LEAF:
		r.eax = MOAT_INTERFACE_VERSION;
		return r;
	case CPUID_KVM_SIGNATURE_LEAF:
		return cpuid_signature(kvm_signature, CPUID_KVM_FEATURES_LEAF);
	case CPUID_KVM_FEATURES_LEAF:
		/* EAX: the features implemented, nothing else; EDX: no hints. */
		r.eax = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
		return r;
	case 0x80000000u:
		r = *host;
		r.eax = MIN(host->eax, CPUID_MAX_EXTENDED_LEAF);
		return r;
	case 0x80000001u:
		r = *host;
		r.ebx = 0;
		r.ecx &= ~(CPUID_EXT1_ECX_SVM | CPUID_EXT1_ECX_EXTAPIC | CPUID_EXT1_ECX_SKINIT |
			   CPUID_EXT1_ECX_WDT | CPUID_EXT1_ECX_TOPOEXT | CPUID_EXT1_ECX_PERFCTR);
		return r;
	case 0x80000002u:
	case 0x80000003u:
	case 0x80000004u:
		return cpuid_brand(leaf);
	case 0x80000005u: /* L1 cache and TLB description */
	case 0x80000006u: /* L2/L3 cache description */
		return *host;
	case 0x80000007u:
		r.edx = host->edx & CPUID_EXT7_EDX_INVARIANT_TSC;
		return r;
	case 0x80000008u: /* address sizes; the core-count fields are cleared */
		r.eax = host->eax & 0xffffu;
		r.ebx = host->ebx & guest_speculation.ext8_ebx; /* AMD speculation controls */
		return r;
	default:
		return r;
	}
}

void cpuid_handle(struct vcpu *vcpu)
{
	u32 leaf = (u32)vcpu->regs.rax, subleaf = (u32)vcpu->regs.rcx;
	struct cpuid_regs host = x86_cpuid(leaf, subleaf);
	struct cpuid_regs guest = cpuid_filter(leaf, subleaf, &host, vcpu->id);

	/* OSXSAVE mirrors the guest's CR4.OSXSAVE (SDM Vol. 2A table 3-10). */
	if (leaf == 1 && (guest.ecx & CPUID1_ECX_XSAVE) &&
	    (vcpu->vm->ops->read_state(vcpu, VCPU_CR4) & CR4_OSXSAVE))
		guest.ecx |= CPUID1_ECX_OSXSAVE;

	vcpu->regs.rax = guest.eax;
	vcpu->regs.rbx = guest.ebx;
	vcpu->regs.rcx = guest.ecx;
	vcpu->regs.rdx = guest.edx;
}
