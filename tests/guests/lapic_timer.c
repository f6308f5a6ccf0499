// SPDX-License-Identifier: MIT
/* lapic_timer: one vCPU tries its local APIC timer (docs/guest-interface.md, "Local APIC"):
 * periodic interrupts measure a period in TSC ticks, then a one-shot count and a TSC deadline
 * of five periods must fire within 25% of that, once while the vCPU halts and once while it
 * spins; a deadline in the past fires at once; a vector at or below the TPR waits until the
 * TPR drops; and IA32_APIC_BASE goes x2APIC -> disabled -> xAPIC -> x2APIC. */
#include "apic.h"

#define LT_VECTOR	   0x40 /* class 4 */
#define LT_TPR_MASKING	   0x40 /* masks classes 0-4 */
#define LT_DIVIDE_BY_1	   0xbu
#define LT_PERIOD_COUNTS   1000000u /* 1 ms of the 1 GHz timer clock */
#define LT_PERIODS	   10u
#define LT_SHOT_PERIODS	   5u
#define LT_TOLERANCE_LOW   75u /* percent of the expected time */
#define LT_TOLERANCE_HIGH  125u
#define LT_SPIN_LIMIT	   (1ull << 34) /* TSC ticks: the timer is lost past this */
#define MSR_X2APIC_LVT_TIMER	 0x832
#define MSR_X2APIC_TIMER_INITIAL 0x838
#define MSR_X2APIC_TIMER_CURRENT 0x839
#define MSR_X2APIC_TIMER_DIVIDE	 0x83e
#define MSR_IA32_TSC_DEADLINE	 0x6e0
#define LVT_MASKED		 BIT(16)
#define LVT_PERIODIC		 (1u << 17)
#define LVT_TSC_DEADLINE	 (2u << 17)
#define APIC_BASE_DISABLED	 (APIC_BASE_BSP_VALUE & ~(APIC_BASE_ENABLE | APIC_BASE_X2APIC))
#define APIC_BASE_XAPIC		 (APIC_BASE_BSP_VALUE & ~APIC_BASE_X2APIC)

enum lt_check {
	LT_CHECK_PERIODIC = 1,
	LT_CHECK_CURRENT,
	LT_CHECK_ONE_SHOT_HALTED,
	LT_CHECK_DEADLINE_SPINNING,
	LT_CHECK_PAST,
	LT_CHECK_TPR_HOLDS,
	LT_CHECK_TPR_DROPS,
	LT_CHECK_APIC_BASE,
};

const char guest_name[] = "lapic_timer";

static volatile u32 lt_fired;
static volatile u64 lt_fired_at;

static void lt_on_timer(u32 vector)
{
	lt_fired_at = cpu_rdtsc_fenced();
	lt_fired++;
	apic_eoi();
}

/* Waits with interrupts on (halting, or spinning) until fired moves past seen. */
static bool lt_wait(u32 seen, bool halt)
{
	u64 start = cpu_rdtsc_fenced();

	while (lt_fired == seen) {
		if (cpu_rdtsc_fenced() - start > LT_SPIN_LIMIT)
			return false;
		if (halt)
			ap_wait_for_interrupt();
		else
			asm volatile("sti; pause; pause; cli" : : : "memory");
	}
	return true;
}

static void lt_within(u32 check, const char *what, u64 took, u64 want)
{
	if (took * 100 < want * LT_TOLERANCE_LOW || took * 100 > want * LT_TOLERANCE_HIGH)
		check_fail(check, what, "took %llu TSC ticks, expected %llu", took, want);
	check_ok(what);
}

/* Ten periods of 1 ms of timer counts: their TSC ticks (a 32-bit guest divides no u64s). */
static u64 lt_periodic(void)
{
	u64 start;
	u32 seen;

	cpu_wrmsr(MSR_X2APIC_TIMER_DIVIDE, LT_DIVIDE_BY_1);
	cpu_wrmsr(MSR_X2APIC_LVT_TIMER, LVT_PERIODIC | LT_VECTOR);
	cpu_wrmsr(MSR_X2APIC_TIMER_INITIAL, LT_PERIOD_COUNTS);
	if (cpu_rdmsr(MSR_X2APIC_TIMER_CURRENT) > LT_PERIOD_COUNTS)
		check_fail(LT_CHECK_CURRENT, "current count", "above the initial count");
	if (!lt_wait(lt_fired, true))
		check_fail(LT_CHECK_PERIODIC, "periodic timer fires", "never");
	start = lt_fired_at;
	seen = lt_fired;
	/* No output meanwhile: printing takes exits, and the periods must be the timer's. */
	while (lt_fired < seen + LT_PERIODS)
		if (!lt_wait(lt_fired, true))
			check_fail(LT_CHECK_PERIODIC, "periodic timer keeps firing", "after %u",
				   lt_fired - seen);
	cpu_wrmsr(MSR_X2APIC_TIMER_INITIAL, 0);
	asm volatile("sti; nop; cli" : : : "memory"); /* one already requested arrives now */
	console_printf("lapic_timer: ok: current count runs down from the initial count\n");
	console_printf("lapic_timer: ok: %u periodic interrupts\n", LT_PERIODS);
	return (lt_fired_at - start);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u64 ten_periods, start;
	u32 seen;

	trap_set_handler(LT_VECTOR, lt_on_timer);
	ten_periods = lt_periodic();

	/* One-shot of five periods, halted. */
	seen = lt_fired;
	cpu_wrmsr(MSR_X2APIC_LVT_TIMER, LT_VECTOR);
	start = cpu_rdtsc_fenced();
	cpu_wrmsr(MSR_X2APIC_TIMER_INITIAL, LT_PERIOD_COUNTS * LT_SHOT_PERIODS);
	check_true(LT_CHECK_ONE_SHOT_HALTED, "one-shot fires while halted", lt_wait(seen, true));
	lt_within(LT_CHECK_ONE_SHOT_HALTED, "one-shot of 5 ms fired on time while halted",
		  (lt_fired_at - start) * 2, ten_periods);

	/* TSC deadline five periods ahead, spinning. */
	seen = lt_fired;
	cpu_wrmsr(MSR_X2APIC_LVT_TIMER, LVT_TSC_DEADLINE | LT_VECTOR);
	start = cpu_rdtsc_fenced();
	cpu_wrmsr(MSR_IA32_TSC_DEADLINE, start + ten_periods / 2);
	check_true(LT_CHECK_DEADLINE_SPINNING, "TSC deadline fires while spinning",
		   lt_wait(seen, false));
	lt_within(LT_CHECK_DEADLINE_SPINNING, "TSC deadline 5 ms ahead fired on time while spinning",
		  (lt_fired_at - start) * 2, ten_periods);

	/* A deadline in the past: at once. */
	seen = lt_fired;
	cpu_wrmsr(MSR_IA32_TSC_DEADLINE, 1);
	asm volatile("sti; nop; cli" : : : "memory");
	check_eq(LT_CHECK_PAST, "a TSC deadline in the past fires at once", lt_fired, seen + 1);

	/* TPR 0x40 holds vector 0x40 until it drops. */
	seen = lt_fired;
	cpu_wrmsr(MSR_X2APIC_TPR, LT_TPR_MASKING);
	cpu_wrmsr(MSR_IA32_TSC_DEADLINE, 1);
	for (volatile u32 i = 0; i < 100000; i++)
		asm volatile("sti; nop; cli" : : : "memory");
	check_eq(LT_CHECK_TPR_HOLDS, "TPR 0x40 holds vector 0x40", lt_fired, seen);
	cpu_wrmsr(MSR_X2APIC_TPR, 0);
	asm volatile("sti; nop; cli" : : : "memory");
	check_eq(LT_CHECK_TPR_DROPS, "vector 0x40 arrives when the TPR drops", lt_fired, seen + 1);

	/* x2APIC -> disabled -> xAPIC -> x2APIC. */
	cpu_wrmsr(MSR_IA32_APIC_BASE, APIC_BASE_DISABLED);
	cpu_wrmsr(MSR_IA32_APIC_BASE, APIC_BASE_XAPIC);
	cpu_wrmsr(MSR_IA32_APIC_BASE, APIC_BASE_BSP_VALUE);
	check_eq(LT_CHECK_APIC_BASE, "APIC_BASE x2APIC -> disabled -> xAPIC -> x2APIC",
		 cpu_rdmsr(MSR_IA32_APIC_BASE), APIC_BASE_BSP_VALUE);
	check_eq(LT_CHECK_APIC_BASE, "the APIC came back reset (LVT timer masked)",
		 cpu_rdmsr(MSR_X2APIC_LVT_TIMER), LVT_MASKED);
}
