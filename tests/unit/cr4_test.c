// SPDX-License-Identifier: MIT
/* CR4 policy (vmm/cr4.c): a bit is allowed only where the guest's CPUID view shows its
 * feature, reserved bits never, and PAE may not be cleared in IA-32e mode. */
#include "test_support.h"

#include <moat/exit.h>

#define CR4_DE BIT(3)
#define CR4_PGE BIT(7)
#define CR4_PCE BIT(8)
#define CR4_RESERVED_15 BIT(15)
#define CR4_FSGSBASE BIT(16)
#define CR4_OSXSAVE BIT(18)
#define CR4_SMEP BIT(20)
#define CR4_PKE BIT(22)

/* A host CPU with everything, as Moat filters it for guests (vmm/cpuid.c). */
static u64 guest_allowed(void)
{
	struct cpuid_regs host1 = { .ecx = 0xffffffffu, .edx = 0xffffffffu };
	struct cpuid_regs host7 = { .ebx = 0xffffffffu, .ecx = 0xffffffffu, .edx = 0xffffffffu };
	struct cpuid_regs guest1 = cpuid_filter(1, 0, &host1, 0);
	struct cpuid_regs guest7 = cpuid_filter(7, 0, &host7, 0);

	return cr4_allowed_bits(&guest1, &guest7);
}

static void test_hidden_features_are_refused(void **state)
{
	u64 allowed = guest_allowed();

	/* CPUID hides XSAVE, PKU, VMX and PCID from guests: their CR4 bits are #GP. */
	assert_false(allowed & CR4_OSXSAVE);
	assert_false(allowed & CR4_PKE);
	assert_false(allowed & CR4_VMXE);
	assert_false(allowed & BIT(17)); /* PCIDE */
	assert_false(cr4_value_allowed(CR4_PAE | CR4_OSXSAVE, allowed, 0));
	assert_false(cr4_value_allowed(CR4_PKE, allowed, 0));
}

static void test_shown_features_are_allowed(void **state)
{
	u64 allowed = guest_allowed();

	assert_true(cr4_value_allowed(CR4_PSE | CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT |
					      CR4_DE | CR4_PCE | CR4_FSGSBASE | CR4_SMEP,
				      allowed, 0));
}

static void test_reserved_bits_are_refused(void **state)
{
	u64 allowed = guest_allowed();

	assert_false(cr4_value_allowed(CR4_RESERVED_15, allowed, 0));
	assert_false(cr4_value_allowed(BIT(31), allowed, 0));
	assert_false(cr4_value_allowed(BIT(40), allowed, 0));
}

static void test_features_follow_cpuid(void **state)
{
	struct cpuid_regs none = { 0 }, xsave = { .ecx = BIT(26) }, pku = { .ecx = BIT(3) };

	/* Without any CPUID feature only PCE (no CPUID bit) is left. */
	assert_int_equal(cr4_allowed_bits(&none, &none), CR4_PCE);
	assert_true(cr4_allowed_bits(&xsave, &none) & CR4_OSXSAVE);
	assert_true(cr4_allowed_bits(&none, &pku) & CR4_PKE);
}

static void test_pae_stays_in_long_mode(void **state)
{
	u64 allowed = guest_allowed();

	assert_false(cr4_value_allowed(CR4_PGE, allowed, EFER_LME | EFER_LMA));
	assert_true(cr4_value_allowed(CR4_PAE | CR4_PGE, allowed, EFER_LME | EFER_LMA));
	assert_true(cr4_value_allowed(CR4_PGE, allowed, EFER_LME));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden_features_are_refused),
		cmocka_unit_test(test_shown_features_are_allowed),
		cmocka_unit_test(test_reserved_bits_are_refused),
		cmocka_unit_test(test_features_follow_cpuid),
		cmocka_unit_test(test_pae_stays_in_long_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
