// SPDX-License-Identifier: MIT
/* forbidden: executes VMRUN, which Moat never lets a guest run; Moat must stop it
 * (docs/guest-interface.md, "Instructions a guest may not run"). */
#include "guest.h"

enum forbidden_check {
	FORBIDDEN_CHECK_STOPPED = 1,
};

const char guest_name[] = "forbidden";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	console_puts("forbidden: executing VMRUN\n");
	/* VMRUN (0F 01 D8) with rAX = 0 as the VMCB address (AMD APM Vol. 3, VMRUN). */
	asm volatile(".byte 0x0f, 0x01, 0xd8" : : "a"(0) : "memory");
	console_puts("forbidden: FAIL still running after VMRUN\n");
	test_exit(GUEST_EXIT_CHECK_BASE + FORBIDDEN_CHECK_STOPPED);
}
