// SPDX-License-Identifier: MIT
/* Finds which hardware threads are SMT siblings of one core, so that placement can keep
 * guests off each other's cores (docs/scheduling.md). The APIC ID of a thread is its core's
 * ID shifted left by a per-package SMT width plus the thread's number in its core; CPUID
 * gives that width through one of several leaves, tried from the most precise. */
#include "cpu_topology.h"

/* CPUID leaf 0x1F / 0xB, sub-leaf 0 (Intel SDM Vol. 2A CPUID "V2 Extended Topology" and
 * "Extended Topology Enumeration"; SDM Vol. 3A 10.9.1; AMD APM Vol. 3 E.3 Fn0000_000B):
 * EAX[4:0] the bits to shift the x2APIC ID right to get the next level's ID, EBX[15:0] the
 * logical processors at this level (0: leaf not usable), ECX[15:8] the level type (1: SMT),
 * EDX the x2APIC ID. */
#define CPUID_TOPOLOGY_LEAF_B 0xbu
#define CPUID_TOPOLOGY_LEAF_1F 0x1fu
#define TOPOLOGY_SHIFT_MASK 0x1fu
#define TOPOLOGY_COUNT_MASK 0xffffu
#define TOPOLOGY_TYPE_SHIFT 8
#define TOPOLOGY_TYPE_MASK 0xffu
#define TOPOLOGY_TYPE_SMT 1u

/* CPUID.1 (SDM Vol. 2A table 3-8; APM Vol. 3 E.3.2): EBX[31:24] the initial APIC ID,
 * EBX[23:16] the addressable logical processors per package, EDX[28] HTT (that field is
 * valid). CPUID.4:EAX[31:26] + 1: addressable cores per package (Intel only). */
#define CPUID1_EBX_APIC_ID_SHIFT 24
#define CPUID1_EBX_LOGICAL_SHIFT 16
#define CPUID1_BYTE_MASK 0xffu
#define CPUID1_EDX_HTT BIT(28)
#define CPUID_CACHE_LEAF 4u
#define CPUID4_EAX_CORES_SHIFT 26
#define CPUID4_EAX_CORES_MASK 0x3fu

/* AMD APM Vol. 3 E.4.2 Fn8000_0001_ECX[22] TopologyExtensions, E.4.15 Fn8000_001E: EAX the
 * extended APIC ID, EBX[15:8] threads per core (compute unit) minus one. */
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT1_ECX_TOPOEXT BIT(22)
#define CPUID_AMD_TOPOLOGY 0x8000001eu
#define AMD_TOPOLOGY_THREADS_SHIFT 8
#define AMD_TOPOLOGY_THREADS_MASK 0xffu
/* AMD APM Vol. 3 E.4.7 Fn8000_0008_ECX[7:0] NC: threads (Zen) or cores (earlier) per
 * package, minus one. */
#define CPUID_AMD_SIZES 0x80000008u
#define AMD_SIZES_NC_MASK 0xffu

/* Bits needed to number count things: ceil(log2(count)). */
static u32 topology_bits_for(u32 count)
{
	u32 bits = 0;

	while (bits < 32 && (1ull << bits) < count)
		bits++;
	return bits;
}

/* Sub-leaf 0 of leaf 0xB or 0x1F is the SMT level when the leaf is implemented. */
static bool topology_from_extended_leaf(const struct cpuid_regs *r, struct cpu_topology *out)
{
	u32 type = (r->ecx >> TOPOLOGY_TYPE_SHIFT) & TOPOLOGY_TYPE_MASK;

	if (!(r->ebx & TOPOLOGY_COUNT_MASK) || type != TOPOLOGY_TYPE_SMT)
		return false;
	out->apic_id = r->edx;
	out->smt_shift = r->eax & TOPOLOGY_SHIFT_MASK;
	return true;
}

/* CPUID.1 (and Intel's leaf 4, AMD's Fn8000_0008) give per-package counts: logical
 * processors over cores is the threads per core. AMD's NC counts cores on older parts and
 * threads on Zen (APM Vol. 3 E.4.7), so there the ratio is 1 and the topology leaf decides. */
static u32 topology_legacy_shift(const struct cpu_topology_leaves *l)
{
	u32 logical = (l->leaf_1.ebx >> CPUID1_EBX_LOGICAL_SHIFT) & CPUID1_BYTE_MASK, cores = 1;

	if (!(l->leaf_1.edx & CPUID1_EDX_HTT))
		return 0;
	if (l->amd && l->max_extended >= CPUID_AMD_SIZES)
		cores = (l->ext_8.ecx & AMD_SIZES_NC_MASK) + 1;
	else if (!l->amd && l->max_basic >= CPUID_CACHE_LEAF)
		cores = ((l->leaf_4.eax >> CPUID4_EAX_CORES_SHIFT) & CPUID4_EAX_CORES_MASK) + 1;
	return logical > cores ? topology_bits_for(logical / cores) : 0;
}

static u32 topology_legacy_apic_id(const struct cpu_topology_leaves *l)
{
	return (l->leaf_1.ebx >> CPUID1_EBX_APIC_ID_SHIFT) & CPUID1_BYTE_MASK;
}

/* AMD's Fn8000_001E. Bochs' ryzen model sets TopologyExtensions but answers the leaf with
 * zeros on every CPU, so its APIC ID is believed only where it agrees with CPUID.1's, and
 * the wider of its SMT width and the legacy one is kept: a wrong answer can only make more
 * CPUs siblings, which costs sharing, never isolation. */
static bool topology_from_amd_leaf(const struct cpu_topology_leaves *l, struct cpu_topology *out)
{
	u32 threads, legacy = topology_legacy_shift(l);

	if (!l->amd || l->max_extended < CPUID_AMD_TOPOLOGY ||
	    !(l->ext_1.ecx & CPUID_EXT1_ECX_TOPOEXT))
		return false;
	threads = ((l->ext_1e.ebx >> AMD_TOPOLOGY_THREADS_SHIFT) & AMD_TOPOLOGY_THREADS_MASK) + 1;
	out->apic_id = (l->ext_1e.eax & CPUID1_BYTE_MASK) == topology_legacy_apic_id(l)
			       ? l->ext_1e.eax
			       : topology_legacy_apic_id(l);
	out->smt_shift = MAX(topology_bits_for(threads), legacy);
	out->source = out->smt_shift > legacy || !legacy ? "leaf 0x8000001e" : "leaf 1";
	return true;
}

void cpu_topology_decode(const struct cpu_topology_leaves *l, struct cpu_topology *out)
{
	/* Intel recommends 0x1F over 0xB where both exist (SDM Vol. 2A CPUID leaf 0BH note). */
	if (l->max_basic >= CPUID_TOPOLOGY_LEAF_1F && topology_from_extended_leaf(&l->leaf_1f, out))
		out->source = "leaf 0x1f";
	else if (l->max_basic >= CPUID_TOPOLOGY_LEAF_B &&
		 topology_from_extended_leaf(&l->leaf_b, out))
		out->source = "leaf 0xb";
	else if (!topology_from_amd_leaf(l, out)) {
		out->apic_id = topology_legacy_apic_id(l);
		out->smt_shift = topology_legacy_shift(l);
		out->source = "leaf 1";
	}
	out->core_id = out->smt_shift >= 32 ? 0 : out->apic_id >> out->smt_shift;
}

#ifndef MOAT_HOST
/* CPUID.0:EBX,EDX,ECX spell the vendor: "Auth" "enti" "cAMD". */
#define CPUID_VENDOR_AMD_EBX 0x68747541u
#define CPUID_VENDOR_AMD_EDX 0x69746e65u
#define CPUID_VENDOR_AMD_ECX 0x444d4163u
#define CPUID_EXT_MAX 0x80000000u

void cpu_topology_read(struct cpu_topology *out)
{
	struct cpuid_regs vendor = x86_cpuid(0, 0);
	struct cpu_topology_leaves l = {
		.amd = vendor.ebx == CPUID_VENDOR_AMD_EBX && vendor.edx == CPUID_VENDOR_AMD_EDX &&
		       vendor.ecx == CPUID_VENDOR_AMD_ECX,
		.max_basic = vendor.eax,
		.max_extended = x86_cpuid(CPUID_EXT_MAX, 0).eax,
		.leaf_1 = x86_cpuid(1, 0),
	};

	if (l.max_basic >= CPUID_CACHE_LEAF)
		l.leaf_4 = x86_cpuid(CPUID_CACHE_LEAF, 0);
	if (l.max_basic >= CPUID_TOPOLOGY_LEAF_B)
		l.leaf_b = x86_cpuid(CPUID_TOPOLOGY_LEAF_B, 0);
	if (l.max_basic >= CPUID_TOPOLOGY_LEAF_1F)
		l.leaf_1f = x86_cpuid(CPUID_TOPOLOGY_LEAF_1F, 0);
	if (l.max_extended >= CPUID_EXT_FEATURES)
		l.ext_1 = x86_cpuid(CPUID_EXT_FEATURES, 0);
	if (l.max_extended >= CPUID_AMD_SIZES)
		l.ext_8 = x86_cpuid(CPUID_AMD_SIZES, 0);
	if (l.max_extended >= CPUID_AMD_TOPOLOGY)
		l.ext_1e = x86_cpuid(CPUID_AMD_TOPOLOGY, 0);
	cpu_topology_decode(&l, out);
}
#endif
