/* SPDX-License-Identifier: MIT */
/* The XSAVE state a guest may use (vmm/xsave.c): which XCR0 components it is offered, what
 * CPUID leaf 0xD tells it, and its XSETBV. The vendor code switches every component the host
 * has with the vCPU (arch/x86/guest_context.c); a guest is offered a subset of those. */
#ifndef MOAT_XSAVE_H
#define MOAT_XSAVE_H

#include <moat/vcpu.h>
#include <moat/x86.h>

/* The XCR0 components a guest may enable: x87, SSE, AVX and AVX-512 where the host switches
 * them; MPX, PKRU, AMX and the supervisor components are never offered. */
#define XSAVE_GUEST_COMPONENTS 0xe7ull /* x87 | SSE | AVX | opmask | ZMM_Hi256 | Hi16_ZMM */

struct guest_xsave {
	u64 xcr0_mask;	/* what a guest may set in XCR0; 0: XSAVE is not offered */
	u32 max_bytes;	/* CPUID.(0DH,0):ECX for that mask */
};
/* Set once at boot (xsave_init); unit tests set it directly. */
extern struct guest_xsave guest_xsave;

/* The guest mask for host components switched (0 without XSAVE): XSAVE_GUEST_COMPONENTS that
 * the host has, each group whole (AVX-512 only with all three parts and AVX). */
u64 xsave_guest_mask(u64 switched);
/* The standard-format area size for mask, given the host's leaf 0xD sub-leaves (component i's
 * size in components[i].eax, offset in .ebx; 64 entries). */
u32 xsave_area_bytes(u64 mask, const struct cpuid_regs *components);
/* Reads the host's leaf 0xD and sets guest_xsave for the components the vendor switches. */
void xsave_init(u64 switched);
/* CPUID leaf 0xD for subleaf as the guest sees it; host is the host's answer. */
struct cpuid_regs xsave_cpuid(u32 subleaf, const struct cpuid_regs *host);
/* The guest executed XSETBV: loads its new XCR0, or raises #UD / #GP as the CPU would. */
void xsave_xsetbv(struct vcpu *vcpu, const struct vm_exit *exit);

#endif
