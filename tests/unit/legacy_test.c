// SPDX-License-Identifier: MIT
/* Unit tests for devices/pit.c and devices/cmos.c: PIT ticks from the TSC, channel 2 in mode
 * 0 with its gate and OUT2 in port B, latches and read-back; the RTC's clock registers in
 * BCD from a wall clock, its status registers and its RAM. Guest time is set through the
 * VM's TSC offset, with a TSC rate so slow that the real TSC's drift is far below a tick. */
#include "test_support.h"

#include <moat/legacy.h>
#include <moat/vm.h>

#define SLOW_TSC_PER_MS (1ULL << 40)
#define PIT_HZ 1193182ULL
#define PORT_B_GATE2 0x01
#define PORT_B_OUT2 0x20

static struct vm vm;
static struct vcpu vcpu = { .vm = &vm };

/* The guest TSC that shows PIT tick `tick` (the middle of that tick). */
static void set_tick(u64 tick)
{
	u64 tsc = (tick * 2 + 1) * SLOW_TSC_PER_MS * 1000 / (PIT_HZ * 2);

	vm.tsc_offset = tsc - x86_rdtsc();
}

static void set_seconds(u64 seconds)
{
	vm.tsc_offset = seconds * SLOW_TSC_PER_MS * 1000 + SLOW_TSC_PER_MS / 2 - x86_rdtsc();
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.tsc_per_ms = SLOW_TSC_PER_MS;
	set_tick(0);
	pit_init(&vm.pit, &vm);
	return 0;
}

static void out(u16 port, u8 value)
{
	u32 v = value;

	if (port == 0x61)
		assert_int_equal(pit_port_b_io(&vcpu, &vm.pit, 0, 1, false, &v), IO_HANDLED);
	else
		assert_int_equal(pit_io(&vcpu, &vm.pit, port - 0x40, 1, false, &v), IO_HANDLED);
}

static u8 in(u16 port)
{
	u32 v = 0;

	if (port == 0x61)
		pit_port_b_io(&vcpu, &vm.pit, 0, 1, true, &v);
	else
		pit_io(&vcpu, &vm.pit, port - 0x40, 1, true, &v);
	return (u8)v;
}

static void test_ticks(void **state)
{
	assert_int_equal(pit_ticks(3000000ULL * 1000, 3000000), PIT_HZ);
	assert_int_equal(pit_ticks(12345, 0), 0);
	assert_int_equal(pit_ticks(0, 3000000), 0);
	/* An hour of a 5 GHz TSC does not overflow. */
	assert_int_equal(pit_ticks(5000000ULL * 3600 * 1000, 5000000), PIT_HZ * 3600);
}

static void program_channel2(u16 count)
{
	out(0x61, PORT_B_GATE2);
	out(0x43, 0xb0); /* channel 2, LSB then MSB, mode 0 */
	out(0x42, count & 0xff);
	out(0x42, count >> 8);
}

static u16 latch_channel2(void)
{
	u8 lsb, msb;

	out(0x43, 0x80);
	lsb = in(0x42);
	msb = in(0x42);
	return (u16)(msb << 8 | lsb);
}

static void test_mode0_out2(void **state)
{
	set_tick(100);
	program_channel2(1000);
	assert_false(in(0x61) & PORT_B_OUT2);
	assert_int_equal(latch_channel2(), 1000);
	set_tick(500);
	assert_int_equal(latch_channel2(), 600);
	assert_false(in(0x61) & PORT_B_OUT2);
	set_tick(1100);
	assert_true(in(0x61) & PORT_B_OUT2);
	/* Mode 0 wraps past terminal count and OUT2 stays high. */
	set_tick(1101);
	assert_int_equal(latch_channel2(), 0xffff);
	assert_true(in(0x61) & PORT_B_OUT2);
}

static void test_latch_holds(void **state)
{
	set_tick(0);
	program_channel2(5000);
	set_tick(1000);
	out(0x43, 0x80);
	set_tick(3000);
	/* A second latch before the read is ignored; the first value is read. */
	out(0x43, 0x80);
	assert_int_equal(in(0x42), 4000 & 0xff);
	assert_int_equal(in(0x42), 4000 >> 8);
	/* Then the live count again. */
	assert_int_equal(latch_channel2(), 2000);
}

static void test_gate_low_stops(void **state)
{
	set_tick(0);
	program_channel2(100);
	out(0x61, 0);
	set_tick(500);
	assert_false(in(0x61) & PORT_B_OUT2);
	assert_int_equal(latch_channel2(), 100);
	/* A rising gate starts the count from the top. */
	out(0x61, PORT_B_GATE2);
	set_tick(550);
	assert_int_equal(latch_channel2(), 50);
	assert_int_equal(in(0x61) & 0x0f, PORT_B_GATE2);
}

static void test_read_back_status(void **state)
{
	set_tick(0);
	program_channel2(10);
	set_tick(20);
	/* Read-back: latch status only (COUNT# set), counter 2. */
	out(0x43, 0xc0 | 0x20 | 0x08);
	assert_int_equal(in(0x42), 0x80 | 0x30); /* OUT high, RW = LSB then MSB, mode 0 */
	assert_int_equal(in(0x43), 0xff);
}

static u8 cmos(struct cmos *c, u8 index)
{
	u32 v = index;

	cmos_io(&vcpu, c, 0, 1, false, &v);
	cmos_io(&vcpu, c, 1, 1, true, &v);
	return (u8)v;
}

static void test_cmos_clock(void **state)
{
	struct cmos c;
	u32 v;

	/* 1700000000 is Tuesday 2023-11-14 22:13:20 UTC. */
	cmos_init(&c, &vm, 1700000000ULL - 20);
	set_seconds(20);
	assert_int_equal(cmos(&c, 0x00), 0x20);
	assert_int_equal(cmos(&c, 0x02), 0x13);
	assert_int_equal(cmos(&c, 0x04), 0x22);
	assert_int_equal(cmos(&c, 0x06), 3);
	assert_int_equal(cmos(&c, 0x07), 0x14);
	assert_int_equal(cmos(&c, 0x08), 0x11);
	assert_int_equal(cmos(&c, 0x09), 0x23);
	assert_int_equal(cmos(&c, 0x32), 0x20);
	/* The default wall clock: Saturday 2000-01-01 00:00:00. */
	cmos_init(&c, &vm, CMOS_DEFAULT_WALL_CLOCK);
	set_seconds(0);
	assert_int_equal(cmos(&c, 0x09), 0x00);
	assert_int_equal(cmos(&c, 0x08), 0x01);
	assert_int_equal(cmos(&c, 0x07), 0x01);
	assert_int_equal(cmos(&c, 0x06), 7);
	/* A leap day. */
	cmos_init(&c, &vm, 951782400ULL); /* 2000-02-29 */
	assert_int_equal(cmos(&c, 0x08), 0x02);
	assert_int_equal(cmos(&c, 0x07), 0x29);
	/* Writes to the clock are ignored. */
	v = 0x00;
	cmos_io(&vcpu, &c, 0, 1, false, &v);
	v = 0x59;
	cmos_io(&vcpu, &c, 1, 1, false, &v);
	assert_int_equal(cmos(&c, 0x00), 0x00);
}

static void test_cmos_status_and_ram(void **state)
{
	struct cmos c;
	u32 v;

	cmos_init(&c, &vm, CMOS_DEFAULT_WALL_CLOCK);
	assert_int_equal(cmos(&c, 0x0a), 0x26);
	assert_int_equal(cmos(&c, 0x0b), 0x02);
	assert_int_equal(cmos(&c, 0x0c), 0x00);
	/* Bit 7 of the index (NMI mask) does not change the register. */
	assert_int_equal(cmos(&c, 0x8d), 0x80);
	v = 0x40;
	cmos_io(&vcpu, &c, 0, 1, false, &v);
	v = 0xa5;
	cmos_io(&vcpu, &c, 1, 1, false, &v);
	assert_int_equal(cmos(&c, 0x40), 0xa5);
	assert_int_equal(cmos(&c, 0x41), 0x00);
	/* The status registers are Moat's. */
	v = 0x0b;
	cmos_io(&vcpu, &c, 0, 1, false, &v);
	v = 0xff;
	cmos_io(&vcpu, &c, 1, 1, false, &v);
	assert_int_equal(cmos(&c, 0x0b), 0x02);
	/* The index port reads as an empty bus. */
	cmos_io(&vcpu, &c, 0, 1, true, &v);
	assert_int_equal(v, 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ticks),
		cmocka_unit_test_setup(test_mode0_out2, setup),
		cmocka_unit_test_setup(test_latch_holds, setup),
		cmocka_unit_test_setup(test_gate_low_stops, setup),
		cmocka_unit_test_setup(test_read_back_status, setup),
		cmocka_unit_test_setup(test_cmos_clock, setup),
		cmocka_unit_test_setup(test_cmos_status_and_ram, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
