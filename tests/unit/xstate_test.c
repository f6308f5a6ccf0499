// SPDX-License-Identifier: MIT
/* Which x87/SSE/AVX state Moat switches per vCPU (arch/x86/xstate.c), from the CPUID values
 * of several CPUs, and which XCR0 values a guest may have: never a bit the host lacks. */
#include "test_support.h"

#include <moat/xstate.h>

#define CPUID1_ECX_XSAVE (1u << 26)

/* CPUID.(0DH,0) as these CPUs report it (EAX = supported XCR0 bits, ECX = area size). */
static const struct xstate_cpuid skylake_server = {
	.max_basic_leaf = 0x16,
	.leaf1_ecx = CPUID1_ECX_XSAVE,
	.leafd_eax = 0x2ff,
	.leafd_ecx = 0xa88, /* x87..AVX-512, PKRU: 2696 bytes */
};
static const struct xstate_cpuid sapphire_rapids = {
	.max_basic_leaf = 0x20,
	.leaf1_ecx = CPUID1_ECX_XSAVE,
	.leafd_eax = 0x602e7,
	.leafd_ecx = 0x2b00, /* with AMX tiles: 11008 bytes */
};
static const struct xstate_cpuid zen3 = {
	.max_basic_leaf = 0x10,
	.leaf1_ecx = CPUID1_ECX_XSAVE,
	.leafd_eax = 0x207,
	.leafd_ecx = 0x988, /* x87, SSE, AVX, PKRU */
	.amd = true,
	.ext8_ebx = 0x0300d205, /* RstrFpErrPtrs (bit 2) set */
};
static const struct xstate_cpuid piledriver = {
	.max_basic_leaf = 0xd,
	.leaf1_ecx = CPUID1_ECX_XSAVE,
	.leafd_eax = 0x7,
	.leafd_edx = 0x40000000, /* LWP, XCR0 bit 62 */
	.leafd_ecx = 0x3c0,
	.amd = true,
	.ext8_ebx = 0,
};
static const struct xstate_cpuid nehalem = { .max_basic_leaf = 0xb, .leaf1_ecx = 0 };

static void test_xsave_cpus_switch_every_component(void **state)
{
	struct xstate_layout layout;

	xstate_choose(&skylake_server, &layout);
	assert_true(layout.xsave);
	assert_int_equal(layout.mask, 0x2ff);
	assert_int_equal(layout.size, 2696);
	xstate_choose(&sapphire_rapids, &layout);
	assert_true(layout.xsave);
	assert_int_equal(layout.mask, 0x602e7);
	assert_int_equal(layout.size, 11008);
	xstate_choose(&zen3, &layout);
	assert_true(layout.xsave);
	assert_int_equal(layout.mask, 0x207);
	assert_int_equal(layout.size, 0x988);
}

static void test_without_xsave_fxsave_is_used(void **state)
{
	struct xstate_layout layout;
	struct xstate_cpuid no_leaf = zen3;
	struct xstate_cpuid tiny = zen3;

	xstate_choose(&nehalem, &layout);
	assert_false(layout.xsave);
	assert_int_equal(layout.size, XSTATE_LEGACY_BYTES);
	/* XSAVE in CPUID.1 but no leaf 0xD, or an area too small for the header: FXSAVE */
	no_leaf.max_basic_leaf = 0xc;
	xstate_choose(&no_leaf, &layout);
	assert_false(layout.xsave);
	tiny.leafd_ecx = XSTATE_LEGACY_BYTES;
	xstate_choose(&tiny, &layout);
	assert_false(layout.xsave);
}

/* Older AMD CPUs restore the x87 error pointers only with an exception pending: Moat clears
 * them before each restore so that a vCPU cannot read the previous one's. */
static void test_x87_pointers_cleared_where_the_cpu_keeps_them(void **state)
{
	struct xstate_layout layout;
	struct xstate_cpuid k8 = nehalem;

	xstate_choose(&piledriver, &layout);
	assert_true(layout.xsave);
	assert_int_equal(layout.mask, 0x4000000000000007ull);
	assert_true(layout.clear_x87_pointers);
	k8.amd = true;
	xstate_choose(&k8, &layout);
	assert_false(layout.xsave);
	assert_true(layout.clear_x87_pointers);
	xstate_choose(&zen3, &layout);
	assert_false(layout.clear_x87_pointers);
	xstate_choose(&skylake_server, &layout);
	assert_false(layout.clear_x87_pointers);
}

static void test_xcr0_never_gets_a_bit_the_host_lacks(void **state)
{
	assert_true(xstate_xcr0_valid(XSTATE_XCR0_RESET, 0x207));
	assert_true(xstate_xcr0_valid(0x207, 0x207));
	assert_true(xstate_xcr0_valid(0x7, 0x207));
	/* AVX-512 on a Zen 3, AMX on a Skylake: not there */
	assert_false(xstate_xcr0_valid(0xe7, 0x207));
	assert_false(xstate_xcr0_valid(0x60007, 0x2ff));
	assert_false(xstate_xcr0_valid(1ull << 63, ~0ull));
}

static void test_xcr0_rules_of_xsetbv(void **state)
{
	u64 all = 0x602ff;

	assert_false(xstate_xcr0_valid(0, all)); /* x87 is always on */
	assert_false(xstate_xcr0_valid(0x2, all));
	assert_false(xstate_xcr0_valid(0x5, all)); /* AVX without SSE */
	assert_false(xstate_xcr0_valid(0x9, all) || xstate_xcr0_valid(0x13, all)); /* MPX half */
	assert_true(xstate_xcr0_valid(0x1b, all));
	assert_false(xstate_xcr0_valid(0x67, all)); /* AVX-512 incomplete */
	assert_false(xstate_xcr0_valid(0xe3, all)); /* AVX-512 without AVX */
	assert_true(xstate_xcr0_valid(0xe7, all));
	assert_false(xstate_xcr0_valid(0x20007, all)); /* TILECFG without TILEDATA */
	assert_true(xstate_xcr0_valid(0x60007, all));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xsave_cpus_switch_every_component),
		cmocka_unit_test(test_without_xsave_fxsave_is_used),
		cmocka_unit_test(test_x87_pointers_cleared_where_the_cpu_keeps_them),
		cmocka_unit_test(test_xcr0_never_gets_a_bit_the_host_lacks),
		cmocka_unit_test(test_xcr0_rules_of_xsetbv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
