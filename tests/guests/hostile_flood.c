// SPDX-License-Identifier: MIT
/* hostile_flood: executes CPUID, which always exits, in a tight loop forever; Moat must stop it
 * as an exit flood once it passes its max-exits-per-second. */
#include "guest.h"

const char guest_name[] = "hostile_flood";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	console_puts("hostile_flood: executing CPUID forever\n");
	for (;;)
		cpu_cpuid(0, 0);
}
