// SPDX-License-Identifier: MIT
/* spinner: spins with interrupts on and never exits, so only Moat's timer ends its slices
 * and only its time-limit-ms stops it. Unlike hostile_spin (interrupts off), every machine,
 * svm-bochs included, can preempt it: the slice test counts its slices. */
#include "guest.h"

const char guest_name[] = "spinner";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	console_puts("spinner: spinning with interrupts on\n");
	/* No exit, no memory access; no interrupt source of the guest's own can fire. */
	asm volatile("sti; 1: jmp 1b" : : : "memory");
	__builtin_unreachable();
}
