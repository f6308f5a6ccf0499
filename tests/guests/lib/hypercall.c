// SPDX-License-Identifier: MIT
/* Moat hypercalls: VMMCALL on AMD, VMCALL elsewhere, number in EAX, result in EAX
 * (docs/guest-interface.md, "Hypercalls"). */
#include "guest.h"

#define CPUID_LEAF_VENDOR 0
/* "AuthenticAMD" as CPUID leaf 0 returns it in EBX, EDX, ECX
 * (AMD APM Vol. 3, Appendix E, CPUID Fn0000_0000). */
#define CPUID_VENDOR_AMD_EBX 0x68747541u /* "Auth" */
#define CPUID_VENDOR_AMD_EDX 0x69746e65u /* "enti" */
#define CPUID_VENDOR_AMD_ECX 0x444d4163u /* "cAMD" */

bool hypercall_vendor_is_amd(void)
{
	struct cpuid_regs r = cpu_cpuid(CPUID_LEAF_VENDOR, 0);

	return r.ebx == CPUID_VENDOR_AMD_EBX && r.edx == CPUID_VENDOR_AMD_EDX &&
	       r.ecx == CPUID_VENDOR_AMD_ECX;
}

u32 hypercall(u32 number)
{
	u32 result = number;

	if (hypercall_vendor_is_amd())
		asm volatile(".byte 0x0f, 0x01, 0xd9" : "+a"(result) : : "memory"); /* VMMCALL */
	else
		asm volatile(".byte 0x0f, 0x01, 0xc1" : "+a"(result) : : "memory"); /* VMCALL */
	return result;
}
