// SPDX-License-Identifier: MIT
/* Unit tests for arch/x86/cpu_topology.c: the SMT width and core ID of a CPU from the CPUID
 * leaves of Intel and AMD parts with and without SMT, and from the legacy leaves. */
#include "test_support.h"

#include "../../arch/x86/cpu_topology.h"

/* Leaf 0xB / 0x1F sub-leaf 0 describing the SMT level: shift, threads, x2APIC ID. */
static struct cpuid_regs smt_level(u32 shift, u32 threads, u32 x2apic_id)
{
	return (struct cpuid_regs){ .eax = shift, .ebx = threads, .ecx = 1u << 8,
				    .edx = x2apic_id };
}

static struct cpu_topology decode(const struct cpu_topology_leaves *leaves)
{
	struct cpu_topology t;

	memset(&t, 0xa5, sizeof(t));
	cpu_topology_decode(leaves, &t);
	return t;
}

/* A Skylake-SP thread: leaf 0xB, two threads per core, x2APIC ID 5 is core 2's second. */
static void test_intel_leaf_b(void **state)
{
	struct cpu_topology_leaves l = { .max_basic = 0x16, .leaf_b = smt_level(1, 2, 5) };
	struct cpu_topology t = decode(&l);

	assert_int_equal(t.smt_shift, 1);
	assert_int_equal(t.apic_id, 5);
	assert_int_equal(t.core_id, 2);
	assert_string_equal(t.source, "leaf 0xb");
}

/* Leaf 0x1F wins over 0xB where it is implemented; where its sub-leaf 0 is empty, 0xB. */
static void test_intel_leaf_1f(void **state)
{
	struct cpu_topology_leaves l = { .max_basic = 0x20, .leaf_1f = smt_level(1, 2, 9),
					 .leaf_b = smt_level(0, 1, 9) };

	assert_int_equal(decode(&l).core_id, 4);
	assert_string_equal(decode(&l).source, "leaf 0x1f");
	l.leaf_1f = (struct cpuid_regs){ 0 };
	assert_int_equal(decode(&l).core_id, 9);
	assert_string_equal(decode(&l).source, "leaf 0xb");
}

/* An Intel part without Hyper-Threading: one thread per core, shift 0. */
static void test_intel_no_smt(void **state)
{
	struct cpu_topology_leaves l = { .max_basic = 0x16, .leaf_b = smt_level(0, 1, 3) };

	assert_int_equal(decode(&l).smt_shift, 0);
	assert_int_equal(decode(&l).core_id, 3);
}

/* Zen 1 has no leaf 0xB: Fn8000_001E gives two threads per core. */
static void test_amd_topology_extensions(void **state)
{
	struct cpu_topology_leaves l = {
		.amd = true, .max_basic = 0xd, .max_extended = 0x8000001f,
		.leaf_1 = { .ebx = 7u << 24 }, .ext_1 = { .ecx = 1u << 22 },
		.ext_1e = { .eax = 7, .ebx = 1u << 8 },
	};
	struct cpu_topology t = decode(&l);

	assert_int_equal(t.smt_shift, 1);
	assert_int_equal(t.core_id, 3);
	assert_string_equal(t.source, "leaf 0x8000001e");
	/* Without TopologyExtensions the leaf is not read: an Athlon X2, two logical
	 * processors that are two cores (Fn8000_0008 NC = 1), no SMT. */
	l.ext_1.ecx = 0;
	l.leaf_1 = (struct cpuid_regs){ .ebx = (7u << 24) | (2u << 16), .edx = 1u << 28 };
	l.ext_8.ecx = 1;
	t = decode(&l);
	assert_int_equal(t.smt_shift, 0);
	assert_int_equal(t.core_id, 7);
	assert_string_equal(t.source, "leaf 1");
}

/* Zen 1 with SMT: Fn8000_0008 NC counts threads there (16 logical, NC 15), so the legacy
 * ratio is 1 and Fn8000_001E says two threads per core. */
static void test_amd_zen_counts_threads(void **state)
{
	struct cpu_topology_leaves l = {
		.amd = true, .max_basic = 0xd, .max_extended = 0x8000001f,
		.leaf_1 = { .ebx = (9u << 24) | (16u << 16), .edx = 1u << 28 },
		.ext_1 = { .ecx = 1u << 22 }, .ext_8 = { .ecx = 15 },
		.ext_1e = { .eax = 9, .ebx = (1u << 8) | 4 },
	};

	assert_int_equal(decode(&l).smt_shift, 1);
	assert_int_equal(decode(&l).core_id, 4);
	assert_string_equal(decode(&l).source, "leaf 0x8000001e");
}

/* Bochs' ryzen: TopologyExtensions set, Fn8000_001E all zeros, NC 0. Its APIC ID of 0 is
 * not believed on the CPU whose CPUID.1 says 1, and the legacy counts decide the width:
 * count=2 (two packages of one thread) and count=1:1:2 (one core, two threads). */
static void test_bochs_ryzen(void **state)
{
	struct cpu_topology_leaves l = {
		.amd = true, .max_basic = 0xd, .max_extended = 0x8000001f,
		.leaf_1 = { .ebx = (1u << 24) | (1u << 16), .edx = 1u << 28 },
		.ext_1 = { .ecx = 1u << 22 },
	};

	assert_int_equal(decode(&l).apic_id, 1);
	assert_int_equal(decode(&l).smt_shift, 0);
	assert_int_equal(decode(&l).core_id, 1);
	l.leaf_1.ebx = (1u << 24) | (2u << 16);
	assert_int_equal(decode(&l).smt_shift, 1);
	assert_int_equal(decode(&l).core_id, 0);
	assert_string_equal(decode(&l).source, "leaf 1");
	l.leaf_1.ebx = (0u << 24) | (2u << 16);
	assert_int_equal(decode(&l).core_id, 0);
}

/* An old Intel part with HTT: 2 logical processors per package, 1 core (leaf 4). */
static void test_legacy_leaves(void **state)
{
	struct cpu_topology_leaves l = {
		.max_basic = 0x5,
		.leaf_1 = { .ebx = (3u << 24) | (2u << 16), .edx = 1u << 28 },
		.leaf_4 = { .eax = 0 },
	};

	assert_int_equal(decode(&l).smt_shift, 1);
	assert_int_equal(decode(&l).core_id, 1);
	/* Without HTT the logical count means nothing: a single thread. */
	l.leaf_1.edx = 0;
	assert_int_equal(decode(&l).smt_shift, 0);
	assert_int_equal(decode(&l).core_id, 3);
	/* 4 logical, 2 cores: two threads per core. */
	l.leaf_1 = (struct cpuid_regs){ .ebx = (6u << 24) | (4u << 16), .edx = 1u << 28 };
	l.leaf_4.eax = 1u << 26;
	assert_int_equal(decode(&l).smt_shift, 1);
	assert_int_equal(decode(&l).core_id, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intel_leaf_b),
		cmocka_unit_test(test_intel_leaf_1f),
		cmocka_unit_test(test_intel_no_smt),
		cmocka_unit_test(test_amd_topology_extensions),
		cmocka_unit_test(test_amd_zen_counts_threads),
		cmocka_unit_test(test_bochs_ryzen),
		cmocka_unit_test(test_legacy_leaves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
