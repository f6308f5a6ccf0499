/* SPDX-License-Identifier: MIT */
/* Which hardware threads share a core, from CPUID (cpu_topology.c). The decoding is pure
 * computation over the leaves read on the CPU itself, so it is unit-tested on the host. */
#ifndef MOAT_CPU_TOPOLOGY_H
#define MOAT_CPU_TOPOLOGY_H

#include <moat/x86.h>

/* The CPUID leaves the decoding needs, as read on one CPU (zero where not offered). */
struct cpu_topology_leaves {
	bool amd;                   /* "AuthenticAMD" (AMD's leaves 0x80000008, 0x8000001E) */
	u32 max_basic, max_extended; /* CPUID.0:EAX, CPUID.80000000h:EAX */
	struct cpuid_regs leaf_1, leaf_4, leaf_b, leaf_1f; /* sub-leaf 0 each */
	struct cpuid_regs ext_1, ext_8, ext_1e;            /* 0x80000001, 0x80000008, 0x8000001E */
};

/* One CPU's place: its APIC ID, how many low bits of it number the threads of a core,
 * and the core ID (the APIC ID without those bits) that SMT siblings share. */
struct cpu_topology {
	u32 apic_id;
	u32 smt_shift;
	u32 core_id;
	const char *source; /* which leaf said so, for the boot log */
};

void cpu_topology_decode(const struct cpu_topology_leaves *leaves, struct cpu_topology *out);
/* Reads the leaves on the calling CPU and decodes them. */
void cpu_topology_read(struct cpu_topology *out);

#endif
