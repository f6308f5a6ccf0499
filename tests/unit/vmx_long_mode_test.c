// SPDX-License-Identifier: MIT
/* IA-32e mode transitions and CR8 under VMX (arch/x86/vmx/vmx_long_mode.c): CR0.PG with
 * EFER.LME sets EFER.LMA and the "IA-32e mode guest" control together, clearing it from
 * compatibility mode clears both, and the writes a CPU refuses are refused (#GP). */
#include "test_support.h"

#include <moat/x86.h>

#include "../../arch/x86/vmx/vmx_defs.h"
#include "../../arch/x86/vmx/vmx_long_mode.h"

#define CR0_PROTECTED (CR0_PE | CR0_ET)
#define CR0_PAGED (CR0_PROTECTED | CR0_PG)

static void test_paging_with_lme_enters_ia32e_mode(void **state)
{
	struct vmx_long_mode mode = { .efer = EFER_LME };

	assert_true(vmx_long_mode_cr0_write(CR0_PROTECTED, CR0_PAGED, CR4_PAE, false, true, &mode));
	assert_int_equal(mode.efer, EFER_LME | EFER_LMA);
	assert_true(mode.ia32e_guest);
	/* Other CR0 writes in long mode change nothing. */
	assert_true(vmx_long_mode_cr0_write(CR0_PAGED, CR0_PAGED | BIT(16), CR4_PAE, true, true,
					    &mode));
	assert_true(mode.ia32e_guest);
}

static void test_paging_off_in_compatibility_mode_leaves_it(void **state)
{
	struct vmx_long_mode mode = { .efer = EFER_LME | EFER_LMA, .ia32e_guest = true };

	assert_true(vmx_long_mode_cr0_write(CR0_PAGED, CR0_PROTECTED, CR4_PAE, false, true,
					    &mode));
	assert_int_equal(mode.efer, EFER_LME);
	assert_false(mode.ia32e_guest);
}

static void test_paging_off_in_64_bit_code_is_refused(void **state)
{
	struct vmx_long_mode mode = { .efer = EFER_LME | EFER_LMA, .ia32e_guest = true };

	assert_false(vmx_long_mode_cr0_write(CR0_PAGED, CR0_PROTECTED, CR4_PAE, true, true,
					     &mode));
	assert_true(mode.ia32e_guest);
}

static void test_lme_without_pae_is_refused(void **state)
{
	struct vmx_long_mode mode = { .efer = EFER_LME };

	assert_false(vmx_long_mode_cr0_write(CR0_PROTECTED, CR0_PAGED, 0, false, true, &mode));
	assert_false(mode.ia32e_guest);
	/* ... and on a CPU that cannot enter 64-bit guests, with PAE too. */
	assert_false(vmx_long_mode_cr0_write(CR0_PROTECTED, CR0_PAGED, CR4_PAE, false, false,
					     &mode));
}

static void test_paging_without_lme_stays_32_bit(void **state)
{
	struct vmx_long_mode mode = { .efer = EFER_NXE };

	assert_true(vmx_long_mode_cr0_write(CR0_PROTECTED, CR0_PAGED, 0, false, false, &mode));
	assert_int_equal(mode.efer, EFER_NXE);
	assert_false(mode.ia32e_guest);
	assert_true(vmx_long_mode_cr0_write(CR0_PAGED, CR0_PROTECTED, 0, false, false, &mode));
	assert_false(mode.ia32e_guest);
}

static void test_invalid_cr0_is_refused(void **state)
{
	struct vmx_long_mode mode = { 0 };

	assert_false(vmx_long_mode_cr0_write(CR0_PROTECTED, CR0_PG | CR0_ET, CR4_PAE, false, true,
					     &mode)); /* PG without PE */
	assert_false(vmx_long_mode_cr0_write(CR0_PROTECTED, CR0_PROTECTED | BIT(32), 0, false,
					     true, &mode)); /* bits 63:32 */
}

/* CR8 is VTPR[7:4]; a write clears VTPR[3:0] (SDM Vol. 3 29.3). */
static void test_cr8_is_the_vtpr_class(void **state)
{
	u32 vtpr = 0x35;

	assert_int_equal(vmx_cr8_read(vtpr), 3);
	assert_true(vmx_cr8_write(15, &vtpr));
	assert_int_equal(vtpr, 0xf0);
	assert_int_equal(vmx_cr8_read(vtpr), 15);
	assert_false(vmx_cr8_write(16, &vtpr));
	assert_false(vmx_cr8_write(1ULL << 40, &vtpr));
	assert_int_equal(vtpr, 0xf0);
	assert_true(vmx_cr8_write(0, &vtpr));
	assert_int_equal(vtpr, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paging_with_lme_enters_ia32e_mode),
		cmocka_unit_test(test_paging_off_in_compatibility_mode_leaves_it),
		cmocka_unit_test(test_paging_off_in_64_bit_code_is_refused),
		cmocka_unit_test(test_lme_without_pae_is_refused),
		cmocka_unit_test(test_paging_without_lme_stays_32_bit),
		cmocka_unit_test(test_invalid_cr0_is_refused),
		cmocka_unit_test(test_cr8_is_the_vtpr_class),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
