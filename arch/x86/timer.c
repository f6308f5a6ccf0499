// SPDX-License-Identifier: MIT
/* Moat's own time: the TSC rate measured against the PIT, and the local APIC timer that
 * makes a running guest exit at least once per scheduling slice (SDM Vol. 3 11.5.4). */
#include <moat/arch.h>
#include <moat/log.h>
#include <moat/x86.h>

#include "descriptors.h"
#include "lapic.h"

/* 8254 PIT (channel 2, gated by port 0x61) as the reference clock. */
#define PIT_HZ 1193182u
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_LOHI_MODE0 0xb0
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
/* Guests take their clock's rate from this measurement (kvmclock, docs/guest-interface.md
 * "Time"). PIT channel 2 counts down for about CALIBRATE_MS while the TSC and the local APIC
 * timer are read at both ends, each time together with the PIT's own count: a read that took
 * long (an emulator's thread descheduled on a busy host, an SMI) is retried, and the reads that
 * bracket their PIT read most tightly are kept. Waiting for OUT2 instead measured QEMU's TSC
 * 3% to 17% fast on a busy host. */
#define CALIBRATE_MS 40
#define CALIBRATE_TRIES 16
#define PIT_CH2_LATCH 0x80 /* counter latch command for channel 2 (8254 data sheet) */
#define PIT_COUNT_MAX 0xffffu
#define CALIBRATE_SPIN_LIMIT (1ULL << 32)
#define TSC_PER_MS_FALLBACK 1000000ULL /* 1 GHz, if there is no PIT to measure against */

static u64 lapic_ticks_per_ms;
static u64 timer_tsc_per_ms;

void arch_lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static u16 pit_read_channel2(void)
{
	u8 low, high;

	x86_outb(PIT_COMMAND, PIT_CH2_LATCH);
	low = x86_inb(PIT_CHANNEL2);
	high = x86_inb(PIT_CHANNEL2);
	return (u16)(low | (high << 8));
}

struct calibrate_sample {
	u64 tsc;   /* midway through the PIT read */
	u64 width; /* TSC ticks the PIT read took */
	u32 lapic;
	u16 pit;
};

/* The tightest of CALIBRATE_TRIES reads of PIT, TSC and APIC timer together. */
static struct calibrate_sample calibrate_sample(void)
{
	struct calibrate_sample best = { .width = ~0ull }, s;

	for (u32 i = 0; i < CALIBRATE_TRIES; i++) {
		u64 before = x86_rdtsc(), after;

		s.lapic = lapic_read(LAPIC_TIMER_CURRENT);
		s.pit = pit_read_channel2();
		after = x86_rdtsc();
		s.width = after - before;
		s.tsc = before + s.width / 2;
		if (s.width < best.width)
			best = s;
	}
	return best;
}

u64 arch_calibrate_time(void)
{
	u16 ticks = (u16)(PIT_HZ / 1000 * CALIBRATE_MS), pit_elapsed;
	u8 port_b = x86_inb(PORT_B);
	struct calibrate_sample start, end;
	u64 spins = 0, tsc_per_ms;

	lapic_setup_this_cpu();
	/* Channel 2 in mode 0 from the largest count, gate on: it counts down by PIT_HZ. */
	x86_outb(PORT_B, (u8)((port_b & ~(PORT_B_SPEAKER | PORT_B_GATE2))));
	x86_outb(PIT_COMMAND, PIT_CH2_LOHI_MODE0);
	x86_outb(PIT_CHANNEL2, (u8)PIT_COUNT_MAX);
	x86_outb(PIT_CHANNEL2, (u8)(PIT_COUNT_MAX >> 8));
	x86_outb(PORT_B, (u8)((port_b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	lapic_write(LAPIC_TIMER_INITIAL, 0xffffffffu);
	start = calibrate_sample();
	while ((u16)(start.pit - pit_read_channel2()) < ticks && ++spins < CALIBRATE_SPIN_LIMIT)
		x86_pause();
	end = calibrate_sample();
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	x86_outb(PORT_B, port_b);
	pit_elapsed = (u16)(start.pit - end.pit);
	if (spins >= CALIBRATE_SPIN_LIMIT || end.tsc <= start.tsc || pit_elapsed < ticks) {
		log_warn("no PIT to measure time against: assuming a 1 GHz TSC");
		lapic_ticks_per_ms = 0;
		return TSC_PER_MS_FALLBACK;
	}
	tsc_per_ms = (end.tsc - start.tsc) * PIT_HZ / (pit_elapsed * 1000ull);
	timer_tsc_per_ms = tsc_per_ms;
	lapic_ticks_per_ms = (u64)(start.lapic - end.lapic) * PIT_HZ / (pit_elapsed * 1000ull);
	log_info("time: TSC %lu kHz, local APIC timer %lu kHz", tsc_per_ms, lapic_ticks_per_ms);
	return tsc_per_ms;
}

static u32 timer_initial_count;

#define US_PER_MS 1000

void arch_timer_start(u32 period_us)
{
	if (!lapic_ticks_per_ms) {
		log_warn("no local APIC timer rate: guests that never exit are not preempted");
		return;
	}
	timer_initial_count =
		(u32)MIN(MAX(lapic_ticks_per_ms * period_us / US_PER_MS, 1), 0xffffffffULL);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_PERIODIC | ARCH_VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL, timer_initial_count);
}

/*
 * A guest timer is due at host TSC tsc: the count down in progress (the slice's, restarted at
 * each timer interrupt) is cut short when it would end later. The next interrupt restarts the
 * full period (arch_interrupt_done), so the slice tick is never lost.
 */
void arch_timer_wake_by(u64 tsc)
{
	u64 now = x86_rdtsc(), wanted;
	u32 left;

	if (!lapic_ticks_per_ms || !timer_tsc_per_ms || !timer_initial_count)
		return;
	wanted = tsc > now ? (tsc - now) * lapic_ticks_per_ms / timer_tsc_per_ms : 0;
	left = lapic_read(LAPIC_TIMER_CURRENT);
	if (left && wanted >= left)
		return;
	lapic_write(LAPIC_TIMER_INITIAL, (u32)MIN(MAX(wanted, 1), 0xffffffffULL));
}

/* Interrupts taken on any CPU: an idle CPU feeding the UART stops when this moves. */
static u32 timer_interrupts_seen;

void arch_interrupt_done(u32 vector)
{
	__atomic_fetch_add(&timer_interrupts_seen, 1, __ATOMIC_RELAXED);
	if (vector == ARCH_VECTOR_SPURIOUS)
		return; /* a spurious interrupt is not in service: no EOI (SDM Vol. 3 11.9) */
	arch_lapic_eoi();
	/* Writing the initial count again starts the next period: Bochs 2.7's local APIC does
	 * not reload a periodic timer by itself. */
	if (vector == ARCH_VECTOR_TIMER && timer_initial_count)
		lapic_write(LAPIC_TIMER_INITIAL, timer_initial_count);
	/* Every CPU passes here at least once a slice, even one whose guests never print. */
	if (vector == ARCH_VECTOR_TIMER)
		log_drain();
}

void arch_idle(void)
{
	u32 seen = __atomic_load_n(&timer_interrupts_seen, __ATOMIC_RELAXED);

	if (log_output_pending()) {
		/* Nothing to run and output waiting: feed the UART, interrupts on, until the
		 * ring is empty or an interrupt (the timer, a kick) says to look again. */
		__asm__ volatile("sti" ::: "memory");
		while (log_output_pending() &&
		       __atomic_load_n(&timer_interrupts_seen, __ATOMIC_RELAXED) == seen) {
			log_drain();
			x86_pause();
		}
		__asm__ volatile("cli" ::: "memory");
		return;
	}
	/* STI's one-instruction shadow makes STI; HLT atomic: an interrupt that arrived since
	 * the caller last looked still wakes the HLT (SDM Vol. 2B, STI). */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void interrupt_dispatch(u64 vector)
{
	/* The timer's only job is to end the guest's run. */
	arch_interrupt_done((u32)vector);
}
