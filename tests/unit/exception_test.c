// SPDX-License-Identifier: MIT
/* Which exceptions Moat intercepts and how it reflects them (vmm/exception.c): the emulators
 * cannot show a #DB or #AC delivery loop locking a CPU (CVE-2015-8104, CVE-2015-5307), so this
 * checks the decision: both are intercepted and reflected, #MC is intercepted and the host's,
 * and DR6 after a reflected #DB is what the CPU would have written. */
#include "test_support.h"

#include <moat/exit.h>

#define DR6_INIT 0xffff0ff0ULL
#define DR6_B0 BIT(0)
#define DR6_B1 BIT(1)
#define DR6_BD BIT(13)
#define DR6_BS BIT(14)
#define DR6_RTM BIT(16)

static void test_intercepted_set(void **state)
{
	u32 set = exception_intercepts();

	assert_true(set & BIT(X86_VECTOR_DB));
	assert_true(set & BIT(X86_VECTOR_AC));
	assert_true(set & BIT(X86_VECTOR_MC));
	/* Nothing else: #PF, #GP, #UD, #BP stay the guest's, at no cost per exception. */
	assert_int_equal(set, BIT(X86_VECTOR_DB) | BIT(X86_VECTOR_AC) | BIT(X86_VECTOR_MC));
}

static void test_actions(void **state)
{
	assert_int_equal(exception_action(X86_VECTOR_DB), EXCEPTION_REFLECT);
	assert_int_equal(exception_action(X86_VECTOR_AC), EXCEPTION_REFLECT);
	assert_int_equal(exception_action(X86_VECTOR_MC), EXCEPTION_HOST);
	assert_int_equal(exception_action(X86_VECTOR_GP), EXCEPTION_UNEXPECTED);
	assert_int_equal(exception_action(X86_VECTOR_PF), EXCEPTION_UNEXPECTED);
	/* Every intercepted vector has an action other than "unexpected". */
	for (u32 v = 0; v < 32; v++)
		if (exception_intercepts() & BIT(v))
			assert_int_not_equal(exception_action((u8)v), EXCEPTION_UNEXPECTED);
}

static void test_dr6_single_step(void **state)
{
	assert_int_equal(exception_debug_dr6(DR6_INIT, DR6_BS), DR6_INIT | DR6_BS);
}

static void test_dr6_breakpoints_replace_sticky_bits_stay(void **state)
{
	/* B0-B3 report this #DB only; BS from an earlier one stays until software clears it. */
	u64 dr6 = exception_debug_dr6(DR6_INIT | DR6_B1 | DR6_BS, DR6_B0);

	assert_int_equal(dr6, DR6_INIT | DR6_B0 | DR6_BS);
}

static void test_dr6_active_low_and_reserved(void **state)
{
	/* RTM reads 0 only when this #DB reports it; bit 12 is always 0, bits 63:32 too. */
	assert_int_equal(exception_debug_dr6(DR6_INIT, DR6_B0 | DR6_RTM),
			 (DR6_INIT & ~DR6_RTM) | DR6_B0);
	assert_int_equal(exception_debug_dr6(DR6_INIT & ~DR6_RTM, DR6_BD), DR6_INIT | DR6_BD);
	assert_int_equal(exception_debug_dr6(~0ULL, 0), 0xffffeff0ULL); /* BD, BS, BT stay */
}

/* Error codes: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP (SDM Vol. 3 table 6-1), never in real
 * mode, never for other vectors. */
static void test_error_codes(void **state)
{
	const u8 with[] = { 8, 10, 11, 12, 13, 14, 17, 21 };
	u32 mask = 0;

	for (u32 i = 0; i < sizeof(with); i++) {
		assert_true(exception_has_error_code(with[i], true));
		assert_false(exception_has_error_code(with[i], false));
		mask |= 1u << with[i];
	}
	for (u32 v = 0; v < 32; v++)
		if (!(mask & (1u << v)))
			assert_false(exception_has_error_code((u8)v, true));
	assert_false(exception_has_error_code(0x80, true));
}

/* RF is set for faults only: not for #DB, #BP, #OF (traps), #DF and #MC (aborts), NMI. */
static void test_rf_for_faults(void **state)
{
	const u8 faults[] = { 0, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17, 19, 20, 21 };
	const u8 others[] = { 1, 2, 3, 4, 8, 18 };

	for (u32 i = 0; i < sizeof(faults); i++)
		assert_int_equal(exception_inject_rflags(faults[i], 0x2), 0x2 | RFLAGS_RF);
	for (u32 i = 0; i < sizeof(others); i++)
		assert_int_equal(exception_inject_rflags(others[i], 0x2), 0x2);
	assert_int_equal(exception_inject_rflags(X86_VECTOR_GP, 0x202 | RFLAGS_RF),
			 0x202 | RFLAGS_RF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intercepted_set),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_dr6_single_step),
		cmocka_unit_test(test_dr6_breakpoints_replace_sticky_bits_stay),
		cmocka_unit_test(test_dr6_active_low_and_reserved),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_rf_for_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
