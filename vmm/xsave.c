// SPDX-License-Identifier: MIT
/* The XSAVE policy: the guest is offered XSAVE and XSAVEOPT with x87, SSE, AVX and, where the
 * host has it, AVX-512; its XSETBV is checked here and its XCR0 switched with the vCPU by the
 * vendor code. XSAVEC, XSAVES (IA32_XSS), XFD and the components the guest is not offered stay
 * hidden (SDM Vol. 1 chapter 13, Vol. 2B XSETBV). */
#include <moat/exit.h>
#include <moat/vm.h>
#include <moat/xsave.h>
#include <moat/xstate.h>

#define CPUID_XSAVE_LEAF	   0xd
#define XSAVE_COMPONENTS	   64
#define XSAVE_FIRST_EXTENDED	   2 /* components 0 and 1 live in the legacy region */
#define CPUID_D1_EAX_XSAVEOPT	   BIT(0)
#define CPUID_D_COMPONENT_ALIGNED  BIT(1) /* ECX of sub-leaf i >= 2: 64-byte aligned if compacted */

struct guest_xsave guest_xsave;

u64 xsave_guest_mask(u64 switched)
{
	u64 mask = switched & XSAVE_GUEST_COMPONENTS;

	if ((mask & (XSTATE_X87 | XSTATE_SSE)) != (XSTATE_X87 | XSTATE_SSE))
		return 0;
	if ((mask & XSTATE_AVX512) != XSTATE_AVX512 || !(mask & XSTATE_AVX))
		mask &= ~XSTATE_AVX512;
	return mask;
}

u32 xsave_area_bytes(u64 mask, const struct cpuid_regs *components)
{
	u32 bytes = XSTATE_LEGACY_BYTES + XSTATE_HEADER_BYTES;

	for (u32 i = XSAVE_FIRST_EXTENDED; i < XSAVE_COMPONENTS; i++)
		if ((mask & BIT(i)) && components[i].ebx + components[i].eax > bytes)
			bytes = components[i].ebx + components[i].eax;
	return bytes;
}

void xsave_init(u64 switched)
{
	struct cpuid_regs components[XSAVE_COMPONENTS] = { 0 };
	u64 mask = xsave_guest_mask(switched);

	for (u32 i = XSAVE_FIRST_EXTENDED; i < XSAVE_COMPONENTS; i++)
		if (mask & BIT(i))
			components[i] = x86_cpuid(CPUID_XSAVE_LEAF, i);
	guest_xsave = (struct guest_xsave){ .xcr0_mask = mask,
					    .max_bytes = mask ? xsave_area_bytes(mask, components)
							      : 0 };
}

struct cpuid_regs xsave_cpuid(u32 subleaf, const struct cpuid_regs *host)
{
	struct cpuid_regs r = { 0 };
	u64 mask = guest_xsave.xcr0_mask;

	if (!mask)
		return r;
	switch (subleaf) {
	case 0:
		/* EBX is the size for the XCR0 in the CPU, which is the guest's own while Moat
		 * handles its exits (arch/x86/guest_context.c): the host's answer is the guest's. */
		r.eax = (u32)mask;
		r.edx = (u32)(mask >> 32);
		r.ebx = host->ebx;
		r.ecx = guest_xsave.max_bytes;
		return r;
	case 1:
		r.eax = host->eax & CPUID_D1_EAX_XSAVEOPT;
		return r;
	default:
		if (subleaf >= XSAVE_COMPONENTS || !(mask & BIT(subleaf)))
			return r;
		/* A user component: its size and offset, never the supervisor bit. */
		r.eax = host->eax;
		r.ebx = host->ebx;
		r.ecx = host->ecx & CPUID_D_COMPONENT_ALIGNED;
		return r;
	}
}

void xsave_xsetbv(struct vcpu *vcpu, const struct vm_exit *exit)
{
	const struct vendor_ops *ops = vcpu->vm->ops;
	u32 index = (u32)vcpu->regs.rcx;
	u64 value = (vcpu->regs.rdx << 32) | (u32)vcpu->regs.rax;

	/* #UD without CR4.OSXSAVE; #GP at CPL > 0, for an XCR other than 0 and for an XCR0 the
	 * rules or the offered components refuse (SDM Vol. 2B XSETBV). */
	if (!(ops->read_state(vcpu, VCPU_CR4) & CR4_OSXSAVE)) {
		ops->inject_exception(vcpu, X86_VECTOR_UD, false, 0);
		return;
	}
	if (ops->read_state(vcpu, VCPU_CPL) != 0 || index != 0 ||
	    !xstate_xcr0_valid(value, guest_xsave.xcr0_mask)) {
		vm_audit(vcpu, AUDIT_INSTRUCTION, index, value, AUDIT_GP, "XSETBV");
		ops->inject_exception(vcpu, X86_VECTOR_GP, true, 0);
		return;
	}
	ops->write_state(vcpu, VCPU_XCR0, value);
	ops->advance_rip(vcpu, exit);
}
