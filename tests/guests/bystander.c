// SPDX-License-Identifier: MIT
/* bystander: an innocent guest that prints ordinary lines beside a console flooder and times,
 * with RDTSC, the exit that ends each line, where Moat writes the line out: it must cost a
 * copy, never a wait for the host's UART or for another guest's output. Reports the worst
 * such exit and fails when lines often take far longer than a CPUID round trip. */
#include "guest.h"

#define BYSTANDER_ROUNDS 64u
#define BYSTANDER_BASELINE_TRIES 64u
/* Bound on one exit: 64 CPUID round trips (about 20,000 instructions on Bochs). Copying a
 * line into Moat's console buffer is a few thousand; one byte at 115200 baud is 87 us, so an
 * exit that waits for the UART to send a 100-byte line takes 8.7 ms (about 430,000
 * instructions at Bochs' 50 million per second), and one that waits behind a flooder's
 * 256-byte line 22 ms. */
#define BYSTANDER_BOUND_FACTOR 64u
/* A line's exit may be followed by the end of its slice (other guests run before it returns),
 * and QEMU's TSC is the host's, which may deschedule the emulator for a moment: one line in
 * eight may be over the bound. A UART wait makes every line slow. */
#define BYSTANDER_SLOW_SHARE 8u
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

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	char padding[BYSTANDER_LINE_PADDING + 1];
	u64 base = bystander_baseline(), bound = base * BYSTANDER_BOUND_FACTOR, worst = 0;
	u32 slow = 0;

	for (u32 i = 0; i < BYSTANDER_LINE_PADDING; i++)
		padding[i] = (char)('A' + i % 26);
	padding[BYSTANDER_LINE_PADDING] = '\0';
	console_printf("bystander: a CPUID round trip takes %llu ticks, bound %llu\n", base,
		       bound);
	for (u32 round = 1; round <= BYSTANDER_ROUNDS; round++) {
		char number[4] = { (char)('0' + round / 10), (char)('0' + round % 10), ' ', 0 };
		u64 line_worst;

		bystander_puts("bystander: line ");
		bystander_puts(number);
		bystander_puts(padding);
		line_worst = bystander_timed_newline();
		if (line_worst > bound)
			slow++;
		if (line_worst > worst)
			worst = line_worst;
	}
	/* 32-bit division only: the guest links no libgcc (__udivdi3). */
	console_printf("bystander: worst exit %llu ticks (%u CPUID round trips), %u of %u "
		       "lines over the bound\n", worst,
		       worst >> 32 || !base ? ~0u : (u32)worst / (u32)base, slow, BYSTANDER_ROUNDS);
	check_true(BYSTANDER_CHECK_FAST_EXITS, "console exits stay fast beside a flooder",
		   slow * BYSTANDER_SLOW_SHARE <= BYSTANDER_ROUNDS);
	test_exit(GUEST_EXIT_PASS);
}
