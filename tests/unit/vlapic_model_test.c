// SPDX-License-Identifier: MIT
/* Unit tests for the local APIC model (vmm/vlapic*.c): priorities and PPR masking, EOI with
 * the TMR, the LVT timer in every mode (and a deadline in the past), IA32_APIC_BASE mode
 * transitions and the xAPIC page's register offsets. Vendor ops are fakes. */
#include "test_support.h"

#include <moat/exit.h>
#include <moat/irq.h>
#include <moat/vlapic.h>
#include <moat/vm.h>
#include <moat/x2apic.h>

#define TEST_TSC_PER_MS 1000000ULL /* 1 GHz: one APIC timer count (1 GHz bus) is a tick */
#define TEST_INJECTS_MAX 8
#define TEST_VECTOR_LOW 0x31
#define TEST_VECTOR_HIGH 0x51
#define TEST_TIMER_VECTOR 0xec
#define TEST_SVR_ON (APIC_SVR_ENABLE | 0xff)
#define TEST_FAR_TICKS (1000ULL * TEST_TSC_PER_MS) /* a second: never reached in a test */
#define TEST_DIVIDE_BY_1 0xbu

static struct vm vm;
static struct guest_config config;
static struct vcpu *cpu0;

static struct {
	u64 tpr;
	u32 injects;
	u8 inject[TEST_INJECTS_MAX];
} fake;

static bool fake_inject_interrupt(struct vcpu *vcpu, u8 vector)
{
	if (fake.injects < TEST_INJECTS_MAX)
		fake.inject[fake.injects] = vector;
	fake.injects++;
	return true;
}

static u64 fake_read_state(struct vcpu *vcpu, enum vcpu_state_reg reg)
{
	return reg == VCPU_TPR ? fake.tpr : 0;
}

static void fake_write_state(struct vcpu *vcpu, enum vcpu_state_reg reg, u64 value)
{
	fake.tpr = value;
}

static const struct vendor_ops fake_ops = {
	.name = "fake",
	.inject_interrupt = fake_inject_interrupt,
	.read_state = fake_read_state,
	.write_state = fake_write_state,
};

static int setup(void **state)
{
	test_log_capture();
	memset(&vm, 0, sizeof(vm));
	memset(&config, 0, sizeof(config));
	memset(&fake, 0, sizeof(fake));
	config.vcpu_count = 1;
	vm.config = &config;
	vm.name = "apic";
	vm.ops = &fake_ops;
	vm.state = VM_STATE_RUNNING;
	vm.vcpu_count = 1;
	vm.tsc_per_ms = TEST_TSC_PER_MS;
	audit_init(&vm.audit, 1);
	cpu0 = &vm.vcpus[0];
	cpu0->vm = &vm;
	cpu0->run_state = VCPU_RUNNABLE;
	cpu0->regs.rflags = RFLAGS_RESERVED_ONE | RFLAGS_IF;
	vlapic_create(cpu0);
	assert_true(vlapic_msr_write(cpu0, X2APIC_SVR, TEST_SVR_ON));
	return 0;
}

static u64 msr(u32 reg)
{
	u64 value = 0;

	assert_true(vlapic_msr_read(cpu0, X2APIC_FIRST + (reg >> APIC_REG_SHIFT), &value));
	return value;
}

static void wr(u32 reg, u64 value)
{
	assert_true(vlapic_msr_write(cpu0, X2APIC_FIRST + (reg >> APIC_REG_SHIFT), value));
}

static void self_ipi(u8 vector)
{
	wr(APIC_REG_SELF_IPI, vector);
}

static void test_priority_order_and_isr(void **state)
{
	self_ipi(TEST_VECTOR_LOW);
	self_ipi(TEST_VECTOR_HIGH);
	vcpu_prepare_entry(cpu0);
	assert_int_equal(fake.injects, 1);
	assert_int_equal(fake.inject[0], TEST_VECTOR_HIGH);
	/* In service: the PPR is its class, and the lower one waits. */
	assert_int_equal(msr(APIC_REG_PPR), TEST_VECTOR_HIGH & APIC_PRIORITY_CLASS_MASK);
	assert_int_equal(msr(APIC_REG_ISR + 0x20), 1u << (TEST_VECTOR_HIGH - 0x40));
	vcpu_prepare_entry(cpu0);
	assert_int_equal(fake.injects, 1);
	wr(APIC_REG_EOI, 0);
	assert_int_equal(msr(APIC_REG_PPR), 0);
	vcpu_prepare_entry(cpu0);
	assert_int_equal(fake.injects, 2);
	assert_int_equal(fake.inject[1], TEST_VECTOR_LOW);
	wr(APIC_REG_EOI, 0);
	wr(APIC_REG_EOI, 0); /* nothing in service: ignored */
	assert_false(vlapic_msr_write(cpu0, X2APIC_EOI, 1)); /* non-zero: #GP */
}

static void test_tpr_masks_until_it_drops(void **state)
{
	wr(APIC_REG_TPR, 0x30); /* class 3 masks vectors 0x00-0x3F */
	self_ipi(TEST_VECTOR_LOW);
	vcpu_prepare_entry(cpu0);
	assert_int_equal(fake.injects, 0);
	assert_int_equal(msr(APIC_REG_PPR), 0x30);
	assert_int_equal(msr(APIC_REG_IRR + 0x10), 1u << (TEST_VECTOR_LOW - 0x20));
	wr(APIC_REG_TPR, 0x20);
	vcpu_prepare_entry(cpu0);
	assert_int_equal(fake.injects, 1);
	assert_int_equal(fake.inject[0], TEST_VECTOR_LOW);
}

static void test_level_sets_tmr_until_eoi(void **state)
{
	vlapic_accept_interrupt(cpu0, TEST_VECTOR_LOW, true);
	assert_int_equal(msr(APIC_REG_TMR + 0x10), 1u << (TEST_VECTOR_LOW - 0x20));
	vcpu_prepare_entry(cpu0);
	wr(APIC_REG_EOI, 0); /* broadcast to ioapic_eoi (a stub here) */
	assert_int_equal(msr(APIC_REG_ISR + 0x10), 0);
	vlapic_accept_interrupt(cpu0, TEST_VECTOR_LOW, false); /* edge clears it */
	assert_int_equal(msr(APIC_REG_TMR + 0x10), 0);
}

static void test_software_disabled_accepts_nothing(void **state)
{
	wr(APIC_REG_SVR, 0xff);
	assert_int_equal(msr(APIC_REG_LVT_LINT0) & APIC_LVT_MASKED, APIC_LVT_MASKED);
	wr(APIC_REG_LVT_LINT0, 0x40); /* the mask cannot be cleared while disabled */
	assert_int_equal(msr(APIC_REG_LVT_LINT0), APIC_LVT_MASKED | 0x40);
	vlapic_accept_interrupt(cpu0, TEST_VECTOR_LOW, false);
	assert_false(vlapic_has_request(&cpu0->apic));
	/* Illegal vectors are recorded in the ESR at its next write. */
	wr(APIC_REG_SVR, TEST_SVR_ON);
	vlapic_accept_interrupt(cpu0, 3, false);
	assert_int_equal(msr(APIC_REG_ESR), 0);
	wr(APIC_REG_ESR, 0);
	assert_int_equal(msr(APIC_REG_ESR), APIC_ESR_RECEIVE_ILLEGAL_VECTOR);
}

static void test_timer_one_shot(void **state)
{
	wr(APIC_REG_TIMER_DIVIDE, TEST_DIVIDE_BY_1);
	wr(APIC_REG_LVT_TIMER, TEST_TIMER_VECTOR);
	wr(APIC_REG_TIMER_INITIAL, TEST_FAR_TICKS);
	assert_true(msr(APIC_REG_TIMER_CURRENT) <= TEST_FAR_TICKS);
	assert_true(msr(APIC_REG_TIMER_CURRENT) > TEST_FAR_TICKS / 2);
	assert_int_not_equal(vlapic_timer_wake_at(cpu0), VLAPIC_NO_TIMER);
	assert_false(vlapic_timer_expire(cpu0, x86_rdtsc()));
	assert_true(vlapic_timer_expire(cpu0, x86_rdtsc() + TEST_FAR_TICKS));
	assert_true(vlapic_has_request(&cpu0->apic));
	assert_int_equal(vlapic_timer_wake_at(cpu0), VLAPIC_NO_TIMER); /* one shot */
	assert_int_equal(msr(APIC_REG_TIMER_CURRENT), 0);
	/* Divide by 2 (0): twice the ticks per count. */
	wr(APIC_REG_TIMER_DIVIDE, 0);
	wr(APIC_REG_TIMER_INITIAL, 1000);
	assert_true(cpu0->apic.timer.period == 2000);
	wr(APIC_REG_TIMER_INITIAL, 0); /* stops it */
	assert_int_equal(vlapic_timer_wake_at(cpu0), VLAPIC_NO_TIMER);
}

static void test_timer_periodic_rearms(void **state)
{
	u64 first;

	wr(APIC_REG_TIMER_DIVIDE, TEST_DIVIDE_BY_1);
	wr(APIC_REG_LVT_TIMER, (APIC_TIMER_PERIODIC << APIC_LVT_TIMER_MODE_SHIFT) | TEST_TIMER_VECTOR);
	wr(APIC_REG_TIMER_INITIAL, TEST_FAR_TICKS);
	first = vlapic_timer_wake_at(cpu0);
	assert_true(vlapic_timer_expire(cpu0, first));
	assert_int_equal(vlapic_timer_wake_at(cpu0), first + TEST_FAR_TICKS);
	/* Far behind: one interrupt, the next period from now. */
	assert_true(vlapic_timer_expire(cpu0, first + 10 * TEST_FAR_TICKS));
	assert_int_equal(vlapic_timer_wake_at(cpu0), first + 11 * TEST_FAR_TICKS);
	/* A tiny period is held at the floor (100 us). */
	wr(APIC_REG_TIMER_INITIAL, 1);
	assert_int_equal(cpu0->apic.timer.period, TEST_TSC_PER_MS / 10);
	/* Masked: it counts on but raises nothing and wakes nobody. */
	wr(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | (APIC_TIMER_PERIODIC << APIC_LVT_TIMER_MODE_SHIFT));
	assert_int_equal(vlapic_timer_wake_at(cpu0), VLAPIC_NO_TIMER);
}

static void test_timer_tsc_deadline(void **state)
{
	u64 value, guest_now;

	/* Ignored outside TSC-deadline mode. */
	assert_true(vlapic_msr_write(cpu0, MSR_IA32_TSC_DEADLINE, 5));
	assert_true(vlapic_msr_read(cpu0, MSR_IA32_TSC_DEADLINE, &value));
	assert_int_equal(value, 0);
	wr(APIC_REG_LVT_TIMER, (APIC_TIMER_TSC_DEADLINE << APIC_LVT_TIMER_MODE_SHIFT) |
				       TEST_TIMER_VECTOR);
	vm.tsc_offset = 12345; /* deadlines are guest TSC values */
	guest_now = x86_rdtsc() + vm.tsc_offset;
	assert_true(vlapic_msr_write(cpu0, MSR_IA32_TSC_DEADLINE, guest_now + TEST_FAR_TICKS));
	assert_true(vlapic_msr_read(cpu0, MSR_IA32_TSC_DEADLINE, &value));
	assert_int_equal(value, guest_now + TEST_FAR_TICKS);
	assert_int_equal(vlapic_timer_wake_at(cpu0), guest_now + TEST_FAR_TICKS - 12345);
	wr(APIC_REG_TIMER_INITIAL, 1000); /* ignored in this mode */
	assert_int_equal(msr(APIC_REG_TIMER_INITIAL), 0);
	assert_false(vlapic_has_request(&cpu0->apic));
	/* A deadline in the past fires at once and disarms (the MSR reads 0). */
	assert_true(vlapic_msr_write(cpu0, MSR_IA32_TSC_DEADLINE, 1));
	assert_true(vlapic_has_request(&cpu0->apic));
	assert_true(vlapic_msr_read(cpu0, MSR_IA32_TSC_DEADLINE, &value));
	assert_int_equal(value, 0);
	vcpu_prepare_entry(cpu0);
	assert_int_equal(fake.inject[0], TEST_TIMER_VECTOR);
	/* Leaving the mode disarms. */
	assert_true(vlapic_msr_write(cpu0, MSR_IA32_TSC_DEADLINE, guest_now + TEST_FAR_TICKS));
	wr(APIC_REG_LVT_TIMER, TEST_TIMER_VECTOR);
	assert_int_equal(vlapic_timer_wake_at(cpu0), VLAPIC_NO_TIMER);
	/* Mode 11b is reserved. */
	assert_false(vlapic_msr_write(cpu0, X2APIC_FIRST + (APIC_REG_LVT_TIMER >> APIC_REG_SHIFT),
				      APIC_LVT_TIMER_MODE_MASK));
}

static bool base_write(u64 value)
{
	return vlapic_msr_write(cpu0, MSR_IA32_APIC_BASE, value);
}

static u64 xapic(u32 offset)
{
	u64 value = 0;

	assert_int_equal(vlapic_xapic_access(cpu0, NULL, offset, 4, false, &value), IO_HANDLED);
	return value;
}

static void xapic_write(u32 offset, u32 value)
{
	u64 v = value;

	assert_int_equal(vlapic_xapic_access(cpu0, NULL, offset, 4, true, &v), IO_HANDLED);
}

static void test_apic_base_transitions(void **state)
{
	const u64 base = 0xfee00000ULL | APIC_BASE_BSP;
	u64 value;

	/* x2APIC -> xAPIC directly is illegal; x2APIC -> disabled -> xAPIC is the way. */
	assert_false(base_write(base | APIC_BASE_ENABLE));
	assert_int_equal(xapic(APIC_REG_VERSION), 0xffffffffu); /* page unused in x2APIC mode */
	assert_true(base_write(base));
	assert_false(vlapic_msr_read(cpu0, X2APIC_VERSION, &value)); /* no MSRs when disabled */
	assert_false(base_write(base | APIC_BASE_EXTD));                    /* invalid */
	assert_false(base_write(base | APIC_BASE_ENABLE | APIC_BASE_EXTD)); /* disabled -> x2 */
	assert_true(base_write(base | APIC_BASE_ENABLE));
	assert_false(vlapic_msr_read(cpu0, X2APIC_VERSION, &value)); /* xAPIC: the page only */
	assert_int_equal(xapic(APIC_REG_VERSION), 0x00050014u);
	/* Disabling reset it: software-disabled again. */
	assert_int_equal(xapic(APIC_REG_SVR), 0xff);
	assert_false(base_write(0x1000000ULL | APIC_BASE_ENABLE)); /* moving: refused */
	/* xAPIC -> x2APIC is legal. */
	assert_true(base_write(base | APIC_BASE_ENABLE | APIC_BASE_EXTD));
	assert_true(vlapic_msr_read(cpu0, X2APIC_VERSION, &value));
}

static void test_xapic_registers(void **state)
{
	assert_true(base_write(0xfee00000ULL));
	assert_true(base_write(0xfee00000ULL | APIC_BASE_ENABLE));
	cpu0->id = 0;
	assert_int_equal(xapic(APIC_REG_ID), 0);
	xapic_write(APIC_REG_SVR, TEST_SVR_ON);
	assert_int_equal(xapic(APIC_REG_SVR), TEST_SVR_ON);
	/* TPR is the vendor's register, as in x2APIC mode. */
	xapic_write(APIC_REG_TPR, 0x20);
	assert_int_equal(fake.tpr, 0x20);
	/* DFR and LDR are writable in xAPIC mode. */
	assert_int_equal(xapic(APIC_REG_DFR), XAPIC_DFR_RESET);
	xapic_write(APIC_REG_LDR, 0x01000000u);
	assert_int_equal(xapic(APIC_REG_LDR), 0x01000000u);
	/* The ICR in two halves: a self IPI by physical destination 0 (low half sends). */
	xapic_write(APIC_REG_TPR, 0);
	xapic_write(APIC_REG_ICR_HIGH, 0);
	xapic_write(APIC_REG_ICR_LOW, TEST_VECTOR_HIGH);
	assert_int_equal(xapic(APIC_REG_IRR + 0x20), 1u << (TEST_VECTOR_HIGH - 0x40));
	assert_int_equal(xapic(APIC_REG_ICR_LOW), TEST_VECTOR_HIGH);
	/* Logical flat: LDR bit 0 set above, destination 0x01 reaches it. */
	xapic_write(APIC_REG_ICR_HIGH, 0x01000000u);
	xapic_write(APIC_REG_ICR_LOW, ICR_LOGICAL | TEST_VECTOR_LOW);
	assert_int_equal(xapic(APIC_REG_IRR + 0x10), 1u << (TEST_VECTOR_LOW - 0x20));
	vcpu_prepare_entry(cpu0);
	assert_int_equal(fake.inject[0], TEST_VECTOR_HIGH);
	xapic_write(APIC_REG_EOI, 0x1234); /* any value in xAPIC mode */
	assert_int_equal(xapic(APIC_REG_ISR + 0x20), 0);
	/* SELF IPI is x2APIC only; unaligned and odd-sized accesses do nothing. */
	xapic_write(APIC_REG_SELF_IPI, TEST_VECTOR_HIGH);
	assert_int_equal(xapic(APIC_REG_IRR + 0x20), 0);
	assert_int_equal(xapic(APIC_REG_SVR + 4), 0xffffffffu);
	xapic_write(APIC_REG_ESR, 0);
	assert_int_equal(xapic(APIC_REG_ESR), APIC_ESR_ILLEGAL_REGISTER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_priority_order_and_isr, setup),
		cmocka_unit_test_setup(test_tpr_masks_until_it_drops, setup),
		cmocka_unit_test_setup(test_level_sets_tmr_until_eoi, setup),
		cmocka_unit_test_setup(test_software_disabled_accepts_nothing, setup),
		cmocka_unit_test_setup(test_timer_one_shot, setup),
		cmocka_unit_test_setup(test_timer_periodic_rearms, setup),
		cmocka_unit_test_setup(test_timer_tsc_deadline, setup),
		cmocka_unit_test_setup(test_apic_base_transitions, setup),
		cmocka_unit_test_setup(test_xapic_registers, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
