// SPDX-License-Identifier: MIT
/* bystander: an innocent guest that prints ordinary lines beside a console flooder and times,
 * with RDTSC, the exit that ends each line, where Moat writes the line out: it must cost a
 * copy, never a wait for the host's UART or for another guest's output. Reports the median
 * and worst such exit and fails when the median takes far longer than a CPUID round trip. */
#include "guest.h"

#define BYSTANDER_ROUNDS 64u
#define BYSTANDER_BASELINE_TRIES 64u
/* Bound on a line's exit: 64 CPUID round trips (about 20,000 instructions on Bochs). Copying a
 * line into Moat's console buffer is a few thousand; one byte at 115200 baud is 87 us, so an
 * exit that waits for the UART to send a 100-byte line takes 8.7 ms (about 430,000
 * instructions at Bochs' 50 million per second), and one that waits behind a flooder's
 * 256-byte line 22 ms. */
#define BYSTANDER_BOUND_FACTOR 64u
/* A line's exit may be followed by the end of its slice (other guests run before it returns),
 * and QEMU's TSC is the host's, which may deschedule the emulator for a moment: single slow
 * lines happen. The check is on the median line, which a UART wait makes slow, since every
 * line waits. */

/* Long enough that the line's own UART time is far past the bound. */
#define BYSTANDER_LINE_PADDING 80u

enum bystander_check {
	BYSTANDER_CHECK_FAST_EXITS = 1,
};

const char guest_name[] = "bystander";

static u64 bystander_cpuid_ticks(void)
{
	u64 start = cpu_rdtsc_fenced();

	cpu_cpuid(0, 0);
	return cpu_rdtsc_fenced() - start;
}

static u64 bystander_baseline(void)
{
	u64 best = ~0ull;

	for (u32 i = 0; i < BYSTANDER_BASELINE_TRIES; i++) {
		u64 ticks = bystander_cpuid_ticks();

		if (ticks < best)
			best = ticks;
	}
	return best;
}

static void bystander_puts(const char *s)
{
	for (; *s; s++)
		port_outb(UART_PORT_DATA, (u8)*s);
}

/* Ends the line: the exit in which Moat writes it out. Returns the ticks it took. Only this
 * exit is timed: one that the end of a slice happens to follow includes other guests' turns
 * on the CPU, and the more exits are timed, the more of those there are. */
static u64 bystander_timed_newline(void)
{
	u64 start = cpu_rdtsc_fenced();

	port_outb(UART_PORT_DATA, '\n');
	return cpu_rdtsc_fenced() - start;
}

/* Insertion sort: 64 values. */
static void bystander_sort(u64 *values, u32 count)
{
	for (u32 i = 1; i < count; i++) {
		u64 value = values[i];
		u32 j = i;

		for (; j && values[j - 1] > value; j--)
			values[j] = values[j - 1];
		values[j] = value;
	}
}

/* 32-bit division only: the guest links no libgcc (__udivdi3). */
static u32 bystander_ratio(u64 ticks, u64 base)
{
	return ticks >> 32 || !base ? ~0u : (u32)ticks / (u32)base;
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	char padding[BYSTANDER_LINE_PADDING + 1];
	u64 base = bystander_baseline(), bound = base * BYSTANDER_BOUND_FACTOR;
	u64 line_ticks[BYSTANDER_ROUNDS], median, worst;
	u32 slow = 0;

	for (u32 i = 0; i < BYSTANDER_LINE_PADDING; i++)
		padding[i] = (char)('A' + i % 26);
	padding[BYSTANDER_LINE_PADDING] = '\0';
	console_printf("bystander: a CPUID round trip takes %llu ticks, bound %llu\n", base,
		       bound);
	for (u32 round = 1; round <= BYSTANDER_ROUNDS; round++) {
		char number[4] = { (char)('0' + round / 10), (char)('0' + round % 10), ' ', 0 };

		bystander_puts("bystander: line ");
		bystander_puts(number);
		bystander_puts(padding);
		line_ticks[round - 1] = bystander_timed_newline();
		if (line_ticks[round - 1] > bound)
			slow++;
	}
	bystander_sort(line_ticks, BYSTANDER_ROUNDS);
	median = line_ticks[BYSTANDER_ROUNDS / 2];
	worst = line_ticks[BYSTANDER_ROUNDS - 1];
	console_printf("bystander: line exits: median %llu ticks (%u CPUID round trips), worst "
		       "%llu (%u), %u of %u over the bound\n", median,
		       bystander_ratio(median, base), worst, bystander_ratio(worst, base), slow,
		       BYSTANDER_ROUNDS);
	check_true(BYSTANDER_CHECK_FAST_EXITS, "console exits stay fast beside a flooder",
		   median <= bound);
	test_exit(GUEST_EXIT_PASS);
}
