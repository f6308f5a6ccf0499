// SPDX-License-Identifier: MIT
/* hostile_halt: halts with interrupts off, a state no interrupt can end; Moat must stop it
 * ("halted at rip ...", docs/guest-interface.md) and keep running the others. */
#include "guest.h"

enum hostile_halt_check {
	HOSTILE_HALT_CHECK_STOPPED = 1,
};

const char guest_name[] = "hostile_halt";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	console_puts("hostile_halt: halting with interrupts off\n");
	asm volatile("cli; hlt" : : : "memory");
	check_fail(HOSTILE_HALT_CHECK_STOPPED, "HLT stops the guest", "still running after HLT");
}
