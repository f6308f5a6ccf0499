// SPDX-License-Identifier: MIT
/* CR4 policy: which CR4 values a guest may load. A bit is allowed only when the CPUID view the
 * guest gets (vmm/cpuid.c) shows its feature; anything else, reserved bits included, raises
 * #GP as on a CPU without that feature (SDM Vol. 3 2.5, Vol. 2B MOV to CR4). Both vendors
 * ask here before a guest's MOV to CR4 takes effect. */
#include <moat/exit.h>
#include <moat/vm.h>

/* CR4 bits (SDM Vol. 3 2.5, figure 2-7). */
#define CR4_VME BIT(0)
#define CR4_PVI BIT(1)
#define CR4_TSD BIT(2)
#define CR4_DE BIT(3)
#define CR4_MCE BIT(6)
#define CR4_PGE BIT(7)
#define CR4_PCE BIT(8)
#define CR4_UMIP BIT(11)
#define CR4_LA57 BIT(12)
#define CR4_SMXE BIT(14)
#define CR4_FSGSBASE BIT(16)
#define CR4_PCIDE BIT(17)
#define CR4_OSXSAVE BIT(18)
#define CR4_KL BIT(19)
#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define CR4_PKE BIT(22)
#define CR4_CET BIT(23)
#define CR4_PKS BIT(24)

/* The CPUID bit that shows each CR4 feature (SDM Vol. 2A CPUID, tables 3-8, 3-10, 3-11). */
enum cr4_cpuid_reg { LEAF1_ECX, LEAF1_EDX, LEAF7_EBX, LEAF7_ECX };

static const struct {
	u64 cr4;
	enum cr4_cpuid_reg reg;
	u32 feature;
} cr4_features[] = {
	{ CR4_VME | CR4_PVI, LEAF1_EDX, BIT(1) },  /* VME */
	{ CR4_DE, LEAF1_EDX, BIT(2) },		    /* DE */
	{ CR4_PSE, LEAF1_EDX, BIT(3) },		    /* PSE */
	{ CR4_TSD, LEAF1_EDX, BIT(4) },		    /* TSC */
	{ CR4_PAE, LEAF1_EDX, BIT(6) },		    /* PAE */
	{ CR4_MCE, LEAF1_EDX, BIT(7) },		    /* MCE */
	{ CR4_PGE, LEAF1_EDX, BIT(13) },	    /* PGE */
	{ CR4_OSFXSR, LEAF1_EDX, BIT(24) },	    /* FXSR */
	{ CR4_OSXMMEXCPT, LEAF1_EDX, BIT(25) },	    /* SSE */
	{ CR4_VMXE, LEAF1_ECX, BIT(5) },	    /* VMX */
	{ CR4_SMXE, LEAF1_ECX, BIT(6) },	    /* SMX */
	{ CR4_PCIDE, LEAF1_ECX, BIT(17) },	    /* PCID */
	{ CR4_OSXSAVE, LEAF1_ECX, BIT(26) },	    /* XSAVE */
	{ CR4_FSGSBASE, LEAF7_EBX, BIT(0) },	    /* FSGSBASE */
	{ CR4_SMEP, LEAF7_EBX, BIT(7) },	    /* SMEP */
	{ CR4_SMAP, LEAF7_EBX, BIT(20) },	    /* SMAP */
	{ CR4_UMIP, LEAF7_ECX, BIT(2) },	    /* UMIP */
	{ CR4_PKE, LEAF7_ECX, BIT(3) },		    /* PKU */
	{ CR4_CET, LEAF7_ECX, BIT(7) },		    /* CET_SS */
	{ CR4_LA57, LEAF7_ECX, BIT(16) },	    /* LA57 */
	{ CR4_KL, LEAF7_ECX, BIT(23) },		    /* KL */
	{ CR4_PKS, LEAF7_ECX, BIT(31) },	    /* PKS */
};

u64 cr4_allowed_bits(const struct cpuid_regs *leaf1, const struct cpuid_regs *leaf7)
{
	/* PCE gates RDPMC at CPL > 0 and has no CPUID bit; RDPMC always raises #GP anyway. */
	u64 allowed = CR4_PCE;

	for (u32 i = 0; i < ARRAY_SIZE(cr4_features); i++) {
		u32 reg = cr4_features[i].reg == LEAF1_ECX   ? leaf1->ecx
			  : cr4_features[i].reg == LEAF1_EDX ? leaf1->edx
			  : cr4_features[i].reg == LEAF7_EBX ? leaf7->ebx
							     : leaf7->ecx;

		if (reg & cr4_features[i].feature)
			allowed |= cr4_features[i].cr4;
	}
	return allowed;
}

bool cr4_value_allowed(u64 value, u64 allowed, u64 efer)
{
	if (value & ~allowed)
		return false;
	/* Leaving PAE paging while in IA-32e mode is #GP (SDM Vol. 2B MOV to CR4). */
	if ((efer & EFER_LMA) && !(value & CR4_PAE))
		return false;
	return true;
}

u64 cr4_guest_allowed_bits(void)
{
	/* The host's CPU does not change: compute its guest view once (a race computes the same
	 * value twice). */
	static u64 allowed;
	struct cpuid_regs host1, host7, guest1, guest7;

	if (__atomic_load_n(&allowed, __ATOMIC_RELAXED))
		return allowed;
	host1 = x86_cpuid(1, 0);
	host7 = x86_cpuid(7, 0);
	guest1 = cpuid_filter(1, 0, &host1, 0);
	guest7 = cpuid_filter(7, 0, &host7, 0);
	__atomic_store_n(&allowed, cr4_allowed_bits(&guest1, &guest7), __ATOMIC_RELAXED);
	return allowed;
}

bool cr4_guest_write(struct vcpu *vcpu, u64 value)
{
	u64 efer = vcpu->vm->ops->read_state(vcpu, VCPU_EFER);

	if (cr4_value_allowed(value, cr4_guest_allowed_bits(), efer))
		return true;
	vm_audit(vcpu, AUDIT_CR_WRITE, 4, value, AUDIT_GP, NULL);
	return false;
}
