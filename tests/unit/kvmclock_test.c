// SPDX-License-Identifier: MIT
/* Unit tests for the paravirtual clock (vmm/kvmclock.c) and the TSC MSRs (vmm/msr.c): the
 * tsc_to_system_mul/tsc_shift arithmetic against several TSC rates, the date conversion, and
 * the structures a guest's MSR writes fill in, in terms of the guest TSC (host TSC + offsets). */
#include "test_support.h"

#include <moat/exit.h>
#include <moat/kvmclock.h>
#include <moat/vm.h>

#define GUEST_RAM   (64 * 1024)
#define TIME_GPA    0x1000
#define WALL_GPA    0x2040
#define MSR_TSC_ADJUST 0x3b

static struct vm vm;
static struct vcpu vcpu;
static u8 *ram;
static u64 written_tsc_offset;

static void fake_write_state(struct vcpu *v, enum vcpu_state_reg reg, u64 value)
{
	assert_int_equal(reg, VCPU_TSC_OFFSET);
	written_tsc_offset = value;
}

static const struct vendor_ops fake_ops = { .name = "fake", .write_state = fake_write_state };

static int setup(void **state)
{
	ram = aligned_alloc(PAGE_SIZE, GUEST_RAM);
	memset(ram, 0, GUEST_RAM);
	memset(&vm, 0, sizeof(vm));
	vm.ops = &fake_ops;
	vm.tsc_per_ms = 2500000; /* 2.5 GHz */
	guest_memory_init(&vm.memory);
	assert_int_equal(guest_memory_add(&vm.memory, 0, GUEST_RAM, (hpa_t)(uintptr_t)ram, PT_RWX,
					  GPA_REGION_RAM), 0);
	/* The guest started 5 s of host TSC ago. */
	vm.tsc_offset = -(x86_rdtsc() - 5000 * vm.tsc_per_ms);
	vcpu = (struct vcpu){ .vm = &vm };
	test_log_capture();
	return 0;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

/* ns = scale(ticks) must be ticks / rate to within a part in 10^8, for rates from an emulator's
 * 50 MHz to 5 GHz, and mul must use 32 bits. */
static void test_scale_for_rates(void **state)
{
	static const u64 rates[] = { 50000000ull, 999999999ull, 1000000000ull, 1000000001ull,
				     2469149000ull, 3000000000ull, 5000000000ull };

	for (u32 i = 0; i < ARRAY_SIZE(rates); i++) {
		u32 mul;
		s8 shift;
		u64 ticks = rates[i] * 10; /* 10 s */
		u64 ns;

		pvclock_scale_for(rates[i], &mul, &shift);
		assert_true(mul >= 0x80000000u);
		ns = pvclock_scale(ticks, mul, shift);
		assert_true(ns <= 10 * NS_PER_SECOND);
		assert_true(10 * NS_PER_SECOND - ns <= 100);
		/* 1 s of TSC is 1 s: what Linux's pvclock_tsc_khz derives the TSC rate from. */
		ns = pvclock_scale(rates[i], mul, shift);
		assert_true(NS_PER_SECOND - ns <= 10);
	}
}

/* A product beyond 64 bits (a day at 3 GHz times a 32-bit mul) does not overflow; a 32-bit mul
 * is exact to a part in 2^31, as in KVM (20 us a day here). */
static void test_scale_large(void **state)
{
	u32 mul;
	s8 shift;
	u64 day = 86400ull * 3000000000ull;

	pvclock_scale_for(3000000000ull, &mul, &shift);
	assert_true(86400 * NS_PER_SECOND - pvclock_scale(day, mul, shift) <= 86400);
}

static void test_unix_seconds(void **state)
{
	assert_int_equal(wall_clock_unix_seconds(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(wall_clock_unix_seconds(2000, 3, 1, 0, 0, 0), 951868800ull);
	assert_int_equal(wall_clock_unix_seconds(2024, 1, 1, 0, 0, 0), 1704067200ull);
	assert_int_equal(wall_clock_unix_seconds(2024, 2, 29, 12, 30, 15), 1709209815ull);
	assert_int_equal(wall_clock_unix_seconds(2026, 12, 1, 22, 15, 1), 1796163301ull);
}

/* Enabling: the structure holds the guest TSC now, system time as the same scale of it, the
 * scale for vm.tsc_per_ms, the stable flag and an even version. */
static void test_system_time(void **state)
{
	const struct pvclock_vcpu_time_info *t = (const void *)(ram + TIME_GPA);
	u64 before, after, value = 0;
	u32 mul;
	s8 shift;

	before = x86_rdtsc() + vm.tsc_offset;
	assert_true(msr_write(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, TIME_GPA | KVMCLOCK_ENABLE));
	after = x86_rdtsc() + vm.tsc_offset;
	pvclock_scale_for(vm.tsc_per_ms * 1000, &mul, &shift);
	assert_int_equal(t->version, 2);
	assert_true(t->tsc_timestamp >= before && t->tsc_timestamp <= after);
	assert_int_equal(t->system_time, pvclock_scale(t->tsc_timestamp, mul, shift));
	/* About 5 s since the guest started. */
	assert_true(t->system_time >= 5 * NS_PER_SECOND &&
		    t->system_time < 6 * NS_PER_SECOND);
	assert_int_equal(t->tsc_to_system_mul, mul);
	assert_int_equal(t->tsc_shift, shift);
	assert_int_equal(t->flags, PVCLOCK_TSC_STABLE_BIT);
	assert_true(msr_read(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, &value));
	assert_int_equal(value, TIME_GPA | KVMCLOCK_ENABLE);
	/* Outside RAM, misaligned, crossing the end of RAM: #GP, nothing kept. */
	assert_false(msr_write(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0xfee00000u | KVMCLOCK_ENABLE));
	assert_false(msr_write(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, (TIME_GPA + 2) | KVMCLOCK_ENABLE));
	assert_false(msr_write(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, (GUEST_RAM - 16) | KVMCLOCK_ENABLE));
	assert_int_equal(vcpu.kvmclock.system_time_msr, TIME_GPA | KVMCLOCK_ENABLE);
	/* Disabled: any value, no writes. */
	assert_true(msr_write(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0xfee00000u));
	assert_int_equal(t->version, 2);
}

/* Setting the vCPU's TSC moves RDTSC's offset (the vendor field) and TSC_ADJUST by the same
 * amount, and the clock's time goes on from where it was. */
static void test_tsc_write(void **state)
{
	const struct pvclock_vcpu_time_info *t = (const void *)(ram + TIME_GPA);
	u64 tsc = 0, adjust = 0, t_before;
	const u64 target = 1ull << 40;

	assert_true(msr_write(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, TIME_GPA | KVMCLOCK_ENABLE));
	t_before = t->system_time;
	assert_true(msr_write(&vcpu, MSR_IA32_TSC, target));
	assert_int_equal(written_tsc_offset, vm.tsc_offset + vcpu.tsc_adjust);
	assert_true(msr_read(&vcpu, MSR_IA32_TSC, &tsc));
	assert_true(tsc >= target && tsc - target < vm.tsc_per_ms * 1000);
	assert_true(msr_read(&vcpu, MSR_TSC_ADJUST, &adjust));
	assert_int_equal(adjust, vcpu.tsc_adjust);
	assert_int_equal(t->version, 4);
	assert_true(t->tsc_timestamp >= target);
	assert_true(t->system_time >= t_before && t->system_time - t_before < NS_PER_SECOND);
	/* TSC_ADJUST back to 0: RDTSC is the guest's TSC again. */
	assert_true(msr_write(&vcpu, MSR_TSC_ADJUST, 0));
	assert_int_equal(written_tsc_offset, vm.tsc_offset);
	assert_true(msr_read(&vcpu, MSR_IA32_TSC, &tsc));
	assert_true(tsc < target);
}

/* The wall clock is the host's time at boot plus the host TSC from then to the guest's start. */
static void test_wall_clock(void **state)
{
	const struct pvclock_wall_clock *w = (const void *)(ram + WALL_GPA);
	u64 start_tsc = -vm.tsc_offset;

	vm.wall_clock = (struct host_wall_clock){ .unix_seconds = 1796163301ull,
						  .tsc = start_tsc - 2500 * vm.tsc_per_ms,
						  .valid = true };
	assert_true(msr_write(&vcpu, MSR_KVM_WALL_CLOCK_NEW, WALL_GPA));
	assert_int_equal(w->version, 2);
	assert_int_equal(w->sec, 1796163303u);
	assert_int_equal(w->nsec, 500000000u);
	assert_false(msr_write(&vcpu, MSR_KVM_WALL_CLOCK_NEW, GUEST_RAM));
	vm.wall_clock.valid = false;
	assert_true(msr_write(&vcpu, MSR_KVM_WALL_CLOCK_NEW, WALL_GPA));
	assert_int_equal(w->version, 4);
	assert_int_equal(w->sec, 0);
}

/* IA32_MISC_ENABLE reads fast strings, BTS and PEBS unavailable; only that value may be
 * written. The AMD legacy counters read 0 and take any write. */
static void test_misc_msrs(void **state)
{
	u64 value = 0;

	assert_true(msr_read(&vcpu, 0x1a0, &value));
	assert_int_equal(value, 0x1801);
	assert_true(msr_write(&vcpu, 0x1a0, 0x1801));
	assert_false(msr_write(&vcpu, 0x1a0, 0x1800));
	for (u32 msr = 0xc0010000u; msr <= 0xc0010007u; msr++) {
		value = 1;
		assert_true(msr_write(&vcpu, msr, 0xffff));
		assert_true(msr_read(&vcpu, msr, &value));
		assert_int_equal(value, 0);
	}
	assert_false(msr_read(&vcpu, 0xc0010008u, &value));
	/* Microcode revision 1; HWCR with TscFreqSel; writes to both are taken and change
	 * nothing. */
	assert_true(msr_write(&vcpu, 0x8b, 0));
	assert_true(msr_read(&vcpu, 0x8b, &value));
	assert_int_equal(value, 1ull << 32);
	assert_true(msr_write(&vcpu, 0xc0010015u, BIT(6)));
	assert_true(msr_read(&vcpu, 0xc0010015u, &value));
	assert_int_equal(value, BIT(24));
	/* Linux 6.1 on a family 0Fh vCPU (QEMU TCG) reads these without a fault handler. */
	assert_true(msr_read(&vcpu, 0xc0010055u, &value));
	assert_int_equal(value, 0);
	assert_true(msr_write(&vcpu, 0xc0011029u, BIT(1)));
	assert_true(msr_read(&vcpu, 0xc0011029u, &value));
	assert_int_equal(value, BIT(1));
	/* The old kvmclock MSRs are not offered (no KVM_FEATURE_CLOCKSOURCE). */
	assert_false(msr_read(&vcpu, 0x11, &value));
	assert_false(msr_write(&vcpu, 0x12, TIME_GPA | 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_for_rates),
		cmocka_unit_test(test_scale_large),
		cmocka_unit_test(test_unix_seconds),
		cmocka_unit_test_setup_teardown(test_system_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wall_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misc_msrs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
