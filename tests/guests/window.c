// SPDX-License-Identifier: MIT
/* window: an interrupt requested while the guest has interrupts off arrives right after it
 * turns them on (Moat's interrupt-window exit: VMX interrupt-window exiting, SVM VINTR), not
 * at Moat's next timer tick. The boot test sets a 1 s slice, so a tick would take ages. */
#include "apic.h"
#include "guest.h"

#define WINDOW_VECTOR 0x50
/* Spin with interrupts off long enough that a wrongly early delivery would show. */
#define WINDOW_SPIN_OFF 1000000u
/* Delivered at the window exit: after STI's one-instruction shadow, so at once. At a timer
 * tick it would be millions of rounds later. */
#define WINDOW_PROMPT_ROUNDS 1000u
#define WINDOW_GIVE_UP_ROUNDS 200000000u

enum window_check {
	WINDOW_CHECK_NOT_WHILE_OFF = 1,
	WINDOW_CHECK_DELIVERED,
	WINDOW_CHECK_PROMPT,
	WINDOW_CHECK_ONCE,
};

const char guest_name[] = "window";

static volatile u32 window_arrived;

static void window_on_vector(u32 vector)
{
	window_arrived++;
	apic_eoi();
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u32 rounds = 0;

	trap_set_handler(WINDOW_VECTOR, window_on_vector);
	/* Interrupts are off since entry: Moat cannot inject the self-IPI now. */
	apic_send_self(WINDOW_VECTOR);
	for (volatile u32 i = 0; i < WINDOW_SPIN_OFF; i++)
		;
	check_eq_dec(WINDOW_CHECK_NOT_WHILE_OFF, "nothing arrives while IF is clear",
		     window_arrived, 0);
	__asm__ volatile("sti" ::: "memory");
	while (!window_arrived && rounds < WINDOW_GIVE_UP_ROUNDS)
		rounds++;
	__asm__ volatile("cli" ::: "memory");
	check_true(WINDOW_CHECK_DELIVERED, "the interrupt arrives once IF is set",
		   window_arrived != 0);
	console_printf("window: arrived %u rounds after sti\n", rounds);
	check_true(WINDOW_CHECK_PROMPT, "it arrives at once, not at a timer tick",
		   rounds < WINDOW_PROMPT_ROUNDS);
	check_eq_dec(WINDOW_CHECK_ONCE, "exactly once", window_arrived, 1);
	test_exit(GUEST_EXIT_PASS);
}
