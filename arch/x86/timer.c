// SPDX-License-Identifier: MIT
/* Moat's own time: the TSC rate measured against the PIT, and the local APIC timer that
 * makes a running guest exit at least once per scheduling slice (SDM Vol. 3 11.5.4). */
#include <moat/arch.h>
#include <moat/log.h>
#include <moat/x86.h>

#include "descriptors.h"

/* 8254 PIT (channel 2, gated by port 0x61) as the reference clock. */
#define PIT_HZ 1193182u
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_LOHI_MODE0 0xb0
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CALIBRATE_MS 10
#define CALIBRATE_SPIN_LIMIT (1ULL << 32)
#define TSC_PER_MS_FALLBACK 1000000ULL /* 1 GHz, if there is no PIT to measure against */

/* Local APIC registers (SDM Vol. 3 table 11-1), as offsets in the xAPIC page; x2APIC MSR
 * 0x800 + offset / 16 (11.12.1.2). */
#define LAPIC_BASE_MASK 0x000ffffffffff000ULL
#define APIC_BASE_X2APIC_ENABLE BIT(10)
#define MSR_X2APIC_BASE 0x800
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LAPIC_SVR_ENABLE BIT(8)
#define LAPIC_LVT_MASKED BIT(16)
#define LAPIC_LVT_PERIODIC BIT(17)
#define LAPIC_DIVIDE_BY_16 0x3

static volatile u32 *lapic_mmio;
static bool lapic_x2apic;
static u64 lapic_ticks_per_ms;

static u32 lapic_read(u32 reg)
{
	if (lapic_x2apic)
		return (u32)x86_rdmsr(MSR_X2APIC_BASE + reg / 16);
	return lapic_mmio[reg / 4];
}

static void lapic_write(u32 reg, u32 value)
{
	if (lapic_x2apic)
		x86_wrmsr(MSR_X2APIC_BASE + reg / 16, value);
	else
		lapic_mmio[reg / 4] = value;
}

void arch_lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static void lapic_init(void)
{
	u64 base = x86_rdmsr(MSR_IA32_APIC_BASE);

	lapic_x2apic = base & APIC_BASE_X2APIC_ENABLE;
	lapic_mmio = (volatile u32 *)(uintptr_t)(base & LAPIC_BASE_MASK);
	/* Only Moat's timer may interrupt: the firmware's LINT and error sources are masked. */
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | ARCH_VECTOR_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | ARCH_VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_BY_16);
}

u64 arch_calibrate_time(void)
{
	u16 count = (u16)(PIT_HZ / 1000 * CALIBRATE_MS);
	u8 port_b = x86_inb(PORT_B);
	u64 start, end, spins = 0, tsc_per_ms;
	u32 lapic_start, lapic_end;

	lapic_init();
	/* Channel 2 in mode 0 counts down once; OUT2 (port 0x61 bit 5) rises at zero. */
	x86_outb(PORT_B, (u8)((port_b & ~(PORT_B_SPEAKER | PORT_B_GATE2))));
	x86_outb(PIT_COMMAND, PIT_CH2_LOHI_MODE0);
	x86_outb(PIT_CHANNEL2, (u8)count);
	x86_outb(PIT_CHANNEL2, (u8)(count >> 8));
	lapic_write(LAPIC_TIMER_INITIAL, 0xffffffffu);
	lapic_start = lapic_read(LAPIC_TIMER_CURRENT);
	start = x86_rdtsc();
	x86_outb(PORT_B, (u8)((port_b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	while (!(x86_inb(PORT_B) & PORT_B_OUT2) && ++spins < CALIBRATE_SPIN_LIMIT)
		x86_pause();
	end = x86_rdtsc();
	lapic_end = lapic_read(LAPIC_TIMER_CURRENT);
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	x86_outb(PORT_B, port_b);
	if (spins >= CALIBRATE_SPIN_LIMIT || end <= start) {
		log_warn("no PIT to measure time against: assuming a 1 GHz TSC");
		lapic_ticks_per_ms = 0;
		return TSC_PER_MS_FALLBACK;
	}
	tsc_per_ms = (end - start) / CALIBRATE_MS;
	lapic_ticks_per_ms = (lapic_start - lapic_end) / CALIBRATE_MS;
	log_info("time: TSC %lu kHz, local APIC timer %lu kHz", tsc_per_ms, lapic_ticks_per_ms);
	return tsc_per_ms;
}

static u32 timer_initial_count;

void arch_timer_start(u32 period_ms)
{
	if (!lapic_ticks_per_ms) {
		log_warn("no local APIC timer rate: guests that never exit are not preempted");
		return;
	}
	timer_initial_count = (u32)MIN(lapic_ticks_per_ms * period_ms, 0xffffffffULL);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_PERIODIC | ARCH_VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL, timer_initial_count);
}

void arch_interrupt_done(u32 vector)
{
	if (vector == ARCH_VECTOR_SPURIOUS)
		return; /* a spurious interrupt is not in service: no EOI (SDM Vol. 3 11.9) */
	arch_lapic_eoi();
	/* Writing the initial count again starts the next period: Bochs 2.7's local APIC does
	 * not reload a periodic timer by itself. */
	if (vector == ARCH_VECTOR_TIMER && timer_initial_count)
		lapic_write(LAPIC_TIMER_INITIAL, timer_initial_count);
}

void interrupt_dispatch(u64 vector)
{
	/* The timer's only job is to end the guest's run. */
	arch_interrupt_done((u32)vector);
}
