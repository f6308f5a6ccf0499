// SPDX-License-Identifier: MIT
/* oob: reads guest-physical 0x40000000, far outside its RAM. Moat must stop it there
 * (docs/guest-interface.md, "Memory"); surviving the read is a failure. */
#include "guest.h"

#define OOB_ADDRESS 0x40000000u

enum oob_check {
	OOB_CHECK_STOPPED = 1,
};

const char guest_name[] = "oob";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u32 value;

	console_printf("oob: reading 0x%x\n", OOB_ADDRESS);
	/* A plain 32-bit load the compiler can neither drop nor move. */
	asm volatile("movl (%1), %0" : "=r"(value) : "r"(OOB_ADDRESS) : "memory");
	console_printf("oob: FAIL still running (read 0x%x)\n", value);
	test_exit(GUEST_EXIT_CHECK_BASE + OOB_CHECK_STOPPED);
}
