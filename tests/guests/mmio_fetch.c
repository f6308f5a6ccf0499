// SPDX-License-Identifier: MIT
/* mmio_fetch: jumps to the I/O APIC's page at 0xFEC00000. Code cannot run from a device page
 * (docs/guest-interface.md, "Memory-mapped devices"): Moat must stop it there, with the fetch
 * told apart from a read or write; surviving is a failure. */
#include "guest.h"

#define IOAPIC_BASE 0xfec00000u

enum mmio_fetch_check {
	MMIO_FETCH_CHECK_STOPPED = 1,
};

const char guest_name[] = "mmio_fetch";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	console_printf("mmio_fetch: jumping to 0x%x\n", IOAPIC_BASE);
	asm volatile("call *%0" : : "r"(IOAPIC_BASE) : "memory");
	check_fail(MMIO_FETCH_CHECK_STOPPED, "the fetch from a device page stopped the guest",
		   "still running");
}
