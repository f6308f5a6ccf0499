// SPDX-License-Identifier: MIT
/* Unit tests for vmm/ioapic.c and vmm/irq.c: the I/O APIC's register window and read-only
 * fields, edge and level pins, remote IRR and EOI (broadcast and the EOI register), masking,
 * an entry unmasked while its line is high, physical and logical destinations, and the
 * delivery modes Moat refuses (docs/guest-interface.md, "I/O APIC"). */
#include "test_support.h"

#include <moat/exit.h>
#include <moat/ioapic.h>
#include <moat/vm.h>

#define TEST_VCPUS 4
#define TEST_BITS_PER_WORD 32
#define TEST_PIN 4
#define TEST_VECTOR 0x31
#define TEST_VECTOR2 0x42

#define RTE_LEVEL	(1u << 15)
#define RTE_MASKED	(1u << 16)
#define RTE_REMOTE_IRR	(1u << 14)
#define RTE_PENDING	(1u << 12)
#define RTE_ACTIVE_LOW	(1u << 13)
#define RTE_LOGICAL	(1u << 11)
#define RTE_LOWEST	(1u << 8)
#define RTE_NMI		(4u << 8)
#define RTE_EXTINT	(7u << 8)
#define RTE_INIT	(5u << 8)
#define TEST_APIC_BASE_X2APIC 0xfee00c00ULL /* enable (11), x2APIC (10) */
#define TEST_SVR_ENABLED 0x1ffu             /* software enable (8), vector 0xFF */
#define DEST(d)		((u32)(d) << 24)

static struct vm vm;
static struct guest_config config;

static bool fake_inject(struct vcpu *vcpu, u8 vector)
{
	return false;
}

static const struct vendor_ops fake_ops = { .name = "fake", .inject_interrupt = fake_inject };

static void fake_kick(u32 cpu)
{
}

static int setup(void **state)
{
	test_log_capture();
	memset(&vm, 0, sizeof(vm));
	memset(&config, 0, sizeof(config));
	snprintf(config.name, sizeof(config.name), "ioapic");
	config.vcpu_count = TEST_VCPUS;
	vm.config = &config;
	vm.name = config.name;
	vm.ops = &fake_ops;
	vm.state = VM_STATE_RUNNING;
	vm.vcpu_count = TEST_VCPUS;
	vm.kick = fake_kick;
	audit_init(&vm.audit, 1);
	for (u32 i = 0; i < TEST_VCPUS; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].run_state = VCPU_RUNNABLE;
		vlapic_reset(&vm.vcpus[i].apic);
		/* Enabled, in x2APIC mode (logical IDs: cluster 0, bit per vCPU), and software
		 * enabled: a disabled local APIC takes no interrupt. */
		vm.vcpus[i].apic.base = TEST_APIC_BASE_X2APIC;
		vm.vcpus[i].apic.svr = TEST_SVR_ENABLED;
	}
	ioapic_init(&vm.ioapic, TEST_VCPUS);
	return 0;
}

static u32 reg_read(u32 index)
{
	u64 value = index;

	assert_int_equal(ioapic_mmio(&vm.vcpus[0], &vm, IOAPIC_IOREGSEL, 4, true, &value),
			 IO_HANDLED);
	value = ~0ULL;
	ioapic_mmio(&vm.vcpus[0], &vm, IOAPIC_IOWIN, 4, false, &value);
	return (u32)value;
}

static void reg_write(u32 index, u32 data)
{
	u64 value = index;

	ioapic_mmio(&vm.vcpus[0], &vm, IOAPIC_IOREGSEL, 4, true, &value);
	value = data;
	ioapic_mmio(&vm.vcpus[0], &vm, IOAPIC_IOWIN, 4, true, &value);
}

static void rte_write(u32 pin, u32 low, u32 high)
{
	reg_write(IOAPIC_REG_REDIR + 2 * pin + 1, high);
	reg_write(IOAPIC_REG_REDIR + 2 * pin, low);
}

static u32 rte_low(u32 pin)
{
	return reg_read(IOAPIC_REG_REDIR + 2 * pin);
}

/* Which vCPUs (bit per id) have vector requested; clears the requests. */
static u32 take(u8 vector)
{
	u32 got = 0;

	for (u32 i = 0; i < TEST_VCPUS; i++) {
		u32 *word = &vm.vcpus[i].apic.irr[vector / TEST_BITS_PER_WORD];

		if (*word & (1u << (vector % TEST_BITS_PER_WORD)))
			got |= 1u << i;
		*word &= ~(1u << (vector % TEST_BITS_PER_WORD));
	}
	return got;
}

static void test_registers(void **state)
{
	u64 value;

	/* ID = the vCPU count (the MADT's I/O APIC ID), writable bits 27:24 only. */
	assert_int_equal(reg_read(IOAPIC_REG_ID), DEST(TEST_VCPUS));
	reg_write(IOAPIC_REG_ID, 0xffffffffu);
	assert_int_equal(reg_read(IOAPIC_REG_ID), 0x0f000000u);
	reg_write(IOAPIC_REG_ID, DEST(TEST_VCPUS));
	/* Version 0x20, max redirection entry 23; read-only. */
	assert_int_equal(reg_read(IOAPIC_REG_VERSION), 0x00170020u);
	reg_write(IOAPIC_REG_VERSION, 0);
	assert_int_equal(reg_read(IOAPIC_REG_VERSION), 0x00170020u);
	assert_int_equal(reg_read(IOAPIC_REG_ARB), DEST(TEST_VCPUS));
	reg_write(IOAPIC_REG_ARB, 0);
	assert_int_equal(reg_read(IOAPIC_REG_ARB), DEST(TEST_VCPUS));
	/* IOREGSEL keeps bits 7:0; an undecoded index reads 0. */
	value = 0x1234;
	ioapic_mmio(&vm.vcpus[0], &vm, IOAPIC_IOREGSEL, 4, true, &value);
	ioapic_mmio(&vm.vcpus[0], &vm, IOAPIC_IOREGSEL, 4, false, &value);
	assert_int_equal(value, 0x34);
	assert_int_equal(reg_read(0x03), 0);
	assert_int_equal(reg_read(IOAPIC_REG_REDIR + 2 * IRQ_PIN_COUNT), 0);
	/* Every entry masked at reset. */
	for (u32 pin = 0; pin < IRQ_PIN_COUNT; pin++) {
		assert_int_equal(rte_low(pin), RTE_MASKED);
		assert_int_equal(reg_read(IOAPIC_REG_REDIR + 2 * pin + 1), 0);
	}
	/* Delivery status and remote IRR are read-only; reserved bits read 0. */
	rte_write(7, 0xffffffffu, 0xffffffffu);
	assert_int_equal(rte_low(7), 0x1ffffu & ~(RTE_PENDING | RTE_REMOTE_IRR));
	assert_int_equal(reg_read(IOAPIC_REG_REDIR + 2 * 7 + 1), 0xff000000u);
	/* Offsets other than the three registers read 0 and ignore writes. */
	value = 5;
	ioapic_mmio(&vm.vcpus[0], &vm, 0x20, 4, true, &value);
	ioapic_mmio(&vm.vcpus[0], &vm, 0x20, 4, false, &value);
	assert_int_equal(value, 0);
}

static void test_edge(void **state)
{
	rte_write(TEST_PIN, TEST_VECTOR, DEST(2));
	irq_set_line(&vm, TEST_PIN, true);
	assert_int_equal(take(TEST_VECTOR), 1u << 2);
	/* Staying high, or going low, delivers nothing; the next rising edge does. */
	irq_set_line(&vm, TEST_PIN, true);
	irq_set_line(&vm, TEST_PIN, false);
	assert_int_equal(take(TEST_VECTOR), 0);
	irq_set_line(&vm, TEST_PIN, true);
	assert_int_equal(take(TEST_VECTOR), 1u << 2);
	assert_int_equal(rte_low(TEST_PIN) & RTE_REMOTE_IRR, 0);
}

static void test_edge_masked_is_lost(void **state)
{
	rte_write(TEST_PIN, TEST_VECTOR | RTE_MASKED, DEST(0));
	irq_set_line(&vm, TEST_PIN, true);
	rte_write(TEST_PIN, TEST_VECTOR, DEST(0));
	assert_int_equal(take(TEST_VECTOR), 0);
}

static void test_active_low(void **state)
{
	rte_write(TEST_PIN, TEST_VECTOR | RTE_ACTIVE_LOW, DEST(1));
	irq_set_line(&vm, TEST_PIN, true);
	assert_int_equal(take(TEST_VECTOR), 0);
	irq_set_line(&vm, TEST_PIN, false); /* asserted */
	assert_int_equal(take(TEST_VECTOR), 1u << 1);
}

static void test_level_remote_irr_and_eoi(void **state)
{
	rte_write(TEST_PIN, TEST_VECTOR | RTE_LEVEL, DEST(1));
	irq_set_line(&vm, TEST_PIN, true);
	assert_int_equal(take(TEST_VECTOR), 1u << 1);
	assert_true(rte_low(TEST_PIN) & RTE_REMOTE_IRR);
	/* Remote IRR holds further deliveries back. */
	irq_set_line(&vm, TEST_PIN, false);
	irq_set_line(&vm, TEST_PIN, true);
	assert_int_equal(take(TEST_VECTOR), 0);
	/* An EOI of another vector changes nothing; of this one redelivers (still high). */
	ioapic_eoi(&vm, TEST_VECTOR2);
	assert_int_equal(take(TEST_VECTOR), 0);
	ioapic_eoi(&vm, TEST_VECTOR);
	assert_int_equal(take(TEST_VECTOR), 1u << 1);
	assert_true(rte_low(TEST_PIN) & RTE_REMOTE_IRR);
	/* Low at the EOI: remote IRR clears and nothing is sent. */
	irq_set_line(&vm, TEST_PIN, false);
	ioapic_eoi(&vm, TEST_VECTOR);
	assert_int_equal(take(TEST_VECTOR), 0);
	assert_int_equal(rte_low(TEST_PIN) & RTE_REMOTE_IRR, 0);
}

static void test_eoi_register(void **state)
{
	u64 value = TEST_VECTOR;

	rte_write(TEST_PIN, TEST_VECTOR | RTE_LEVEL, DEST(0));
	irq_set_line(&vm, TEST_PIN, true);
	assert_int_equal(take(TEST_VECTOR), 1);
	ioapic_mmio(&vm.vcpus[0], &vm, IOAPIC_EOI, 4, true, &value);
	assert_int_equal(take(TEST_VECTOR), 1);
	/* Switching the entry to edge clears remote IRR (the version 0x11 way to EOI). */
	rte_write(TEST_PIN, TEST_VECTOR, DEST(0));
	assert_int_equal(rte_low(TEST_PIN) & RTE_REMOTE_IRR, 0);
}

static void test_level_masked_then_unmasked_while_high(void **state)
{
	rte_write(TEST_PIN, TEST_VECTOR | RTE_LEVEL | RTE_MASKED, DEST(3));
	irq_set_line(&vm, TEST_PIN, true);
	assert_int_equal(take(TEST_VECTOR), 0);
	assert_int_equal(rte_low(TEST_PIN) & RTE_REMOTE_IRR, 0);
	rte_write(TEST_PIN, TEST_VECTOR | RTE_LEVEL, DEST(3));
	assert_int_equal(take(TEST_VECTOR), 1u << 3);
	assert_true(rte_low(TEST_PIN) & RTE_REMOTE_IRR);
}

static void test_destinations(void **state)
{
	/* Physical broadcast, logical sets, logical broadcast, lowest priority: one of them. */
	rte_write(TEST_PIN, TEST_VECTOR, DEST(0xff));
	irq_set_line(&vm, TEST_PIN, true);
	irq_set_line(&vm, TEST_PIN, false);
	assert_int_equal(take(TEST_VECTOR), 0xf);
	rte_write(TEST_PIN, TEST_VECTOR | RTE_LOGICAL, DEST(0x0a));
	irq_set_line(&vm, TEST_PIN, true);
	irq_set_line(&vm, TEST_PIN, false);
	assert_int_equal(take(TEST_VECTOR), 0xa);
	rte_write(TEST_PIN, TEST_VECTOR | RTE_LOGICAL | RTE_LOWEST, DEST(0x0c));
	irq_set_line(&vm, TEST_PIN, true);
	irq_set_line(&vm, TEST_PIN, false);
	assert_int_equal(take(TEST_VECTOR), 0x4);
	assert_int_equal(vm.audit.by_event[AUDIT_IPI], 0);
}

static void test_no_such_vcpu_audited_once(void **state)
{
	/* APIC ID 5 and logical bit 6 name no vCPU of a 4-vCPU guest: dropped, one record. */
	rte_write(TEST_PIN, TEST_VECTOR, DEST(5));
	for (u32 i = 0; i < 3; i++) {
		irq_set_line(&vm, TEST_PIN, true);
		irq_set_line(&vm, TEST_PIN, false);
	}
	rte_write(TEST_PIN, TEST_VECTOR | RTE_LOGICAL, DEST(0x40));
	irq_set_line(&vm, TEST_PIN, true);
	assert_int_equal(take(TEST_VECTOR), 0);
	assert_int_equal(vm.audit.by_event[AUDIT_IPI], 1);
	/* A level entry nobody took does not set remote IRR. */
	rte_write(TEST_PIN, TEST_VECTOR | RTE_LEVEL, DEST(5));
	assert_int_equal(rte_low(TEST_PIN) & RTE_REMOTE_IRR, 0);
}

static void test_refused_modes(void **state)
{
	const u32 modes[] = { RTE_NMI, RTE_EXTINT, RTE_INIT, 2u << 8, 3u << 8, 6u << 8 };

	for (u32 i = 0; i < ARRAY_SIZE(modes); i++) {
		rte_write(i, TEST_VECTOR | modes[i], DEST(0));
		irq_set_line(&vm, i, true);
		irq_set_line(&vm, i, false);
		irq_set_line(&vm, i, true);
	}
	/* A vector below 16 too. */
	rte_write(10, 0x0e, DEST(0));
	irq_set_line(&vm, 10, true);
	assert_int_equal(take(TEST_VECTOR), 0);
	assert_int_equal(take(0x0e), 0);
	/* One record per pin, not per interrupt. */
	assert_int_equal(vm.audit.by_event[AUDIT_IPI], ARRAY_SIZE(modes) + 1);
	/* The entries read back what was written. */
	assert_int_equal(rte_low(0), TEST_VECTOR | RTE_NMI);
}

static void test_bad_pins_ignored(void **state)
{
	irq_set_line(&vm, IRQ_PIN_COUNT, true);
	irq_set_line(&vm, 0xffffffffu, true);
	ioapic_pin_update(&vm, IRQ_PIN_COUNT);
	assert_int_equal(vm.ioapic.lines, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_registers, setup),
		cmocka_unit_test_setup(test_edge, setup),
		cmocka_unit_test_setup(test_edge_masked_is_lost, setup),
		cmocka_unit_test_setup(test_active_low, setup),
		cmocka_unit_test_setup(test_level_remote_irr_and_eoi, setup),
		cmocka_unit_test_setup(test_eoi_register, setup),
		cmocka_unit_test_setup(test_level_masked_then_unmasked_while_high, setup),
		cmocka_unit_test_setup(test_destinations, setup),
		cmocka_unit_test_setup(test_no_such_vcpu_audited_once, setup),
		cmocka_unit_test_setup(test_refused_modes, setup),
		cmocka_unit_test_setup(test_bad_pins_ignored, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
