// SPDX-License-Identifier: MIT
/* The C side of the entry stub: installs the IDT, runs the guest and reports a guest that
 * returns from guest_main without exiting as a pass. */
#include "guest.h"

void __noreturn runtime_start(u32 entry_eax, u32 entry_ebx);

void runtime_start(u32 entry_eax, u32 entry_ebx)
{
	trap_init();
	guest_main(entry_eax, entry_ebx);
	test_exit(GUEST_EXIT_PASS);
}
