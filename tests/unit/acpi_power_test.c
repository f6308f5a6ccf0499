// SPDX-License-Identifier: MIT
/* Unit tests for devices/acpi_power.c: S5 with SLP_EN powers the guest off, other sleep types
 * are dropped and audited, SLP_EN clear does nothing, both registers read zero. vm_power_off
 * and vm_audit are faked here to record what the device asked. */
#include "test_support.h"

#include <moat/acpi.h>
#include <moat/acpi_power.h>
#include <moat/acpi_tables.h>
#include <moat/vm.h>

static struct {
	u32 power_offs;
	u32 audits;
	u64 audit_target, audit_value;
	enum audit_action audit_action;
} calls;

/* Stand in for vmm/vm.c: the device's contract is these two calls. */
void vm_power_off(struct vm *vm)
{
	calls.power_offs++;
}

void vm_audit(struct vcpu *vcpu, enum audit_event event, u64 target, u64 value,
	      enum audit_action action, const char *detail)
{
	calls.audits++;
	calls.audit_target = target;
	calls.audit_value = value;
	calls.audit_action = action;
}

static struct vm vm;
static struct vcpu vcpu = { .vm = &vm };

#define S5_SLP_EN ((ACPI_S5_SLP_TYP << ACPI_SLEEP_CONTROL_SLP_TYP_SHIFT) | ACPI_SLEEP_CONTROL_SLP_EN)

static enum io_result out(u16 offset, u8 size, u32 value)
{
	memset(&calls, 0, sizeof(calls));
	return acpi_power_io(&vcpu, NULL, offset, size, false, &value);
}

static void test_s5_powers_off(void **state)
{
	assert_int_equal(S5_SLP_EN, 0x34);
	assert_int_equal(out(0, 1, S5_SLP_EN), IO_STOP_GUEST);
	assert_int_equal(calls.power_offs, 1);
	/* A wider write reaching the control register's byte counts as well. */
	assert_int_equal(out(0, 2, 0x8000 | S5_SLP_EN), IO_STOP_GUEST);
	assert_int_equal(calls.power_offs, 1);
	/* Reserved bits beside SLP_TYP and SLP_EN do not matter. */
	assert_int_equal(out(0, 1, S5_SLP_EN | 0xc3), IO_STOP_GUEST);
}

static void test_other_writes_do_nothing(void **state)
{
	/* SLP_TYP 5 without SLP_EN: only a type chosen, nothing entered. */
	assert_int_equal(out(0, 1, ACPI_S5_SLP_TYP << ACPI_SLEEP_CONTROL_SLP_TYP_SHIFT),
			 IO_HANDLED);
	assert_int_equal(calls.power_offs + calls.audits, 0);
	/* WAK_STS written to clear at the status register (what Linux does before sleeping). */
	assert_int_equal(out(1, 1, ACPI_SLEEP_STATUS_WAK_STS), IO_HANDLED);
	assert_int_equal(calls.power_offs + calls.audits, 0);
	/* The S5 value written to the status register is not a sleep request. */
	assert_int_equal(out(1, 1, S5_SLP_EN), IO_HANDLED);
	assert_int_equal(calls.power_offs, 0);
	/* S3 with SLP_EN: a sleep state Moat does not offer is dropped and audited. */
	assert_int_equal(out(0, 1, (3 << ACPI_SLEEP_CONTROL_SLP_TYP_SHIFT) |
					   ACPI_SLEEP_CONTROL_SLP_EN), IO_HANDLED);
	assert_int_equal(calls.power_offs, 0);
	assert_int_equal(calls.audits, 1);
	assert_int_equal(calls.audit_target, PLATFORM_SLEEP_CONTROL_PORT);
	assert_int_equal(calls.audit_value, 0x2c);
	assert_int_equal(calls.audit_action, AUDIT_DROPPED);
}

static void test_reads_are_zero(void **state)
{
	for (u16 offset = 0; offset < ACPI_POWER_PORT_COUNT; offset++) {
		u32 value = 0xffffffffu;

		assert_int_equal(acpi_power_io(&vcpu, NULL, offset, 1, true, &value), IO_HANDLED);
		assert_int_equal(value, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s5_powers_off),
		cmocka_unit_test(test_other_writes_do_nothing),
		cmocka_unit_test(test_reads_are_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
