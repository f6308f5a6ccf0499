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
/* Results from -4095 to -1 are error codes (Linux's convention, which Moat's -MOAT_E* follow). */
#define HYPERCALL_FIRST_ERROR 0xfffff001u

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

u32 hypercall_args(u32 number, u32 arg_ebx, u32 arg_ecx)
{
	u32 result = number;

	if (hypercall_vendor_is_amd())
		asm volatile(".byte 0x0f, 0x01, 0xd9"
			     : "+a"(result)
			     : "b"(arg_ebx), "c"(arg_ecx)
			     : "memory"); /* VMMCALL */
	else
		asm volatile(".byte 0x0f, 0x01, 0xc1"
			     : "+a"(result)
			     : "b"(arg_ebx), "c"(arg_ecx)
			     : "memory"); /* VMCALL */
	return result;
}

bool hypercall_restart_count(u32 *count)
{
	u32 result = hypercall(HYPERCALL_RESTART_COUNT);

	if (result >= HYPERCALL_FIRST_ERROR)
		return false;
	*count = result;
	return true;
}
