// SPDX-License-Identifier: MIT
/* Chooses how a vCPU's x87/SSE/AVX state is switched, from CPUID (SDM Vol. 1 chapter 13):
 * XSAVE of every component the CPU supports where it has XSAVE, FXSAVE otherwise. */
#include <moat/xstate.h>

#define CPUID_XSAVE_LEAF		0xd
#define CPUID1_ECX_XSAVE		BIT(26)
#define CPUID_EXT8_EBX_RSTR_FP_ERR_PTRS BIT(2)

void xstate_choose(const struct xstate_cpuid *cpuid, struct xstate_layout *out)
{
	u64 mask = ((u64)cpuid->leafd_edx << 32) | cpuid->leafd_eax;

	bool clear = cpuid->amd && !(cpuid->ext8_ebx & CPUID_EXT8_EBX_RSTR_FP_ERR_PTRS);

	*out = (struct xstate_layout){ .xsave = false,
				       .mask = XSTATE_X87 | XSTATE_SSE,
				       .size = XSTATE_LEGACY_BYTES,
				       .clear_x87_pointers = clear };
	/* x87 and SSE are always supported with XSAVE; a CPU saying otherwise, or an area too
	 * small for the header, is not trusted with it. */
	if (!(cpuid->leaf1_ecx & CPUID1_ECX_XSAVE) || cpuid->max_basic_leaf < CPUID_XSAVE_LEAF ||
	    (mask & (XSTATE_X87 | XSTATE_SSE)) != (XSTATE_X87 | XSTATE_SSE) ||
	    cpuid->leafd_ecx < XSTATE_LEGACY_BYTES + XSTATE_HEADER_BYTES)
		return;
	out->xsave = true;
	out->mask = mask;
	out->size = cpuid->leafd_ecx;
}

static bool xstate_all_or_none(u64 value, u64 group)
{
	return (value & group) == 0 || (value & group) == group;
}

bool xstate_xcr0_valid(u64 value, u64 mask)
{
	if (!(value & XSTATE_X87) || (value & ~mask))
		return false;
	if ((value & XSTATE_AVX) && !(value & XSTATE_SSE))
		return false;
	if ((value & XSTATE_AVX512) && !(value & XSTATE_AVX))
		return false;
	return xstate_all_or_none(value, XSTATE_MPX) && xstate_all_or_none(value, XSTATE_AVX512) &&
	       xstate_all_or_none(value, XSTATE_AMX);
}
