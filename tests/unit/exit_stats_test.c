// SPDX-License-Identifier: MIT
/* Unit tests for vmm/exit_stats.c: exits counted by kind, an out-of-range kind counted as
 * unknown, the summary text lists only kinds that occurred and never overruns its buffer. */
#include "test_support.h"

#include <moat/exit.h>

static void test_count_and_format(void **state)
{
	struct vcpu_clock clock = { 0 };
	char buf[128];

	(void)state;
	for (int i = 0; i < 3; i++)
		exit_stats_count(&clock, VM_EXIT_IO);
	exit_stats_count(&clock, VM_EXIT_CPUID);
	exit_stats_count(&clock, (enum vm_exit_kind)1000);
	assert_int_equal(clock.exit_kinds[VM_EXIT_IO], 3);
	assert_int_equal(clock.exit_kinds[VM_EXIT_UNKNOWN], 1);
	assert_int_equal(exit_stats_format(clock.exit_kinds, buf, sizeof(buf)),
			 strlen("cpuid=1 io=3 unknown=1"));
	assert_string_equal(buf, "cpuid=1 io=3 unknown=1");
}

static void test_empty(void **state)
{
	u64 counts[VM_EXIT_KIND_COUNT] = { 0 };
	char buf[8] = "garbage";

	(void)state;
	assert_int_equal(exit_stats_format(counts, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_truncated_at_an_entry(void **state)
{
	u64 counts[VM_EXIT_KIND_COUNT] = { 0 };
	char buf[12];

	(void)state;
	counts[VM_EXIT_CPUID] = 5;
	counts[VM_EXIT_MSR_WRITE] = 123456;
	assert_int_equal(exit_stats_format(counts, buf, sizeof(buf)), strlen("cpuid=5"));
	assert_string_equal(buf, "cpuid=5");
}

static void test_every_kind_named(void **state)
{
	(void)state;
	for (u32 k = 0; k < VM_EXIT_KIND_COUNT; k++)
		assert_non_null(exit_kind_name((enum vm_exit_kind)k));
	assert_null(exit_kind_name(VM_EXIT_KIND_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_and_format),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_truncated_at_an_entry),
		cmocka_unit_test(test_every_kind_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
