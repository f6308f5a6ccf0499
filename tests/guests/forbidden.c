// SPDX-License-Identifier: MIT
/* forbidden: executes the host vendor's VM-launch instruction (VMRUN on AMD, VMLAUNCH on
 * Intel), which Moat never lets a guest run; Moat must stop it (docs/guest-interface.md,
 * "Instructions a guest may not run"). */
#include "guest.h"

enum forbidden_check {
	FORBIDDEN_CHECK_STOPPED = 1,
};

const char guest_name[] = "forbidden";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	if (hypercall_vendor_is_amd()) {
		console_puts("forbidden: executing VMRUN\n");
		/* VMRUN (0F 01 D8) with rAX = 0 as the VMCB address (AMD APM Vol. 3, VMRUN). */
		asm volatile(".byte 0x0f, 0x01, 0xd8" : : "a"(0) : "memory");
	} else {
		console_puts("forbidden: executing VMLAUNCH\n");
		/* VMLAUNCH (0F 01 C2): in VMX non-root operation it always exits (SDM Vol. 3
		 * 26.1.2). */
		asm volatile(".byte 0x0f, 0x01, 0xc2" : : : "memory");
	}
	console_puts("forbidden: FAIL still running after the VM instruction\n");
	test_exit(GUEST_EXIT_CHECK_BASE + FORBIDDEN_CHECK_STOPPED);
}
