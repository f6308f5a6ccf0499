// SPDX-License-Identifier: MIT
/* victim: the guest a hostile neighbour must not disturb. Fills its RAM above the image with
 * a pattern that is a function of the address, then verifies it forever, printing progress;
 * a single changed word ends it with a failure. Only its time-limit-ms stops it otherwise. */
#include "guest.h"

/* Knuth's multiplicative hash constant: odd, so address -> pattern is a bijection and no two
 * words (and no zeroed word, but for one address) look alike. */
#define VICTIM_PATTERN_MULTIPLIER 0x9e3779b1u
#define VICTIM_PATTERN_SEED 0x5a5aa5a5u
#define VICTIM_WORD_SIZE 4
/* Progress is printed for rounds 1, 2, 4, ... 64 and then every 64th round: early lines on
 * Bochs (tens of ms per round), few lines on QEMU (a few ms per round). */
#define VICTIM_PRINT_EVERY 64u

enum victim_check {
	VICTIM_CHECK_ENTRY_MAGIC = 1,
	VICTIM_CHECK_RAM_ABOVE_IMAGE,
	VICTIM_CHECK_PATTERN_INTACT,
};

const char guest_name[] = "victim";

/* The end of the image including .bss and its stack (flat.ld). */
extern char __bss_end[];

static u32 victim_pattern(u32 address)
{
	return (address * VICTIM_PATTERN_MULTIPLIER) ^ VICTIM_PATTERN_SEED;
}

static void victim_fill(volatile u32 *first, volatile u32 *end)
{
	for (volatile u32 *word = first; word < end; word++)
		*word = victim_pattern((u32)word);
}

/* Returns the first word that differs from the pattern, or NULL. */
static volatile u32 *victim_verify(volatile u32 *first, volatile u32 *end)
{
	for (volatile u32 *word = first; word < end; word++) {
		if (*word != victim_pattern((u32)word))
			return word;
	}
	return NULL;
}

static bool victim_should_print(u32 progress)
{
	bool power_of_two = (progress & (progress - 1)) == 0;

	return (power_of_two && progress <= VICTIM_PRINT_EVERY) ||
	       progress % VICTIM_PRINT_EVERY == 0;
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u32 first_address = (u32)ALIGN_UP((u32)__bss_end, PAGE_SIZE);
	volatile u32 *first = (volatile u32 *)first_address;
	volatile u32 *end = (volatile u32 *)entry_ebx;
	volatile u32 *broken;
	u32 progress = 0;

	check_eq(VICTIM_CHECK_ENTRY_MAGIC, "entry EAX is 0x4d4f4154 (MOAT)", entry_eax,
		 FLAT_ENTRY_MAGIC);
	check_true(VICTIM_CHECK_RAM_ABOVE_IMAGE, "RAM reaches above the image",
		   entry_ebx > first_address);
	console_printf("victim: pattern over 0x%x..0x%x (%u KiB)\n", first_address, entry_ebx,
		       (entry_ebx - first_address) >> 10);
	victim_fill(first, end);
	for (;;) {
		broken = victim_verify(first, end);
		if (broken) {
			console_printf("victim: pattern BROKEN at 0x%x after %u rounds\n",
				       (u32)broken, progress);
			check_fail(VICTIM_CHECK_PATTERN_INTACT, "pattern intact",
				   "got 0x%x, want 0x%x", *broken, victim_pattern((u32)broken));
		}
		progress++;
		if (victim_should_print(progress))
			console_printf("victim: progress %u, pattern intact\n", progress);
	}
}
