// SPDX-License-Identifier: MIT
/* hostile_spin: disables interrupts and spins without ever exiting. Moat's own timer must
 * still preempt it so that other guests on the CPU run, and its time-limit-ms stops it. */
#include "guest.h"

const char guest_name[] = "hostile_spin";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	console_puts("hostile_spin: spinning with interrupts off\n");
	/* A jump to itself: no exit, no interrupt window, no memory access. */
	asm volatile("cli; 1: jmp 1b" : : : "memory");
	__builtin_unreachable();
}
