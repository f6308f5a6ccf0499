// SPDX-License-Identifier: MIT
/* hostile_ipiflood: two vCPUs, and vCPU 1 is never started. vCPU 0 floods fixed IPIs at it:
 * a vCPU waiting for a start-up IPI takes none of them, so Moat must not disturb the CPU
 * vCPU 1 is placed on (where an innocent guest with a low max-exits-per-second runs), nor
 * charge that guest for exits it did not cause. Then it exits 0x600d: the flood must not get
 * the sender itself stopped either. */
#include "apic.h"

#define IPIFLOOD_TARGET_ID 1 /* tests/boot/hostile-ipiflood.dts: vcpu@1, never started */
#define IPIFLOOD_VECTOR	   0x40
#define IPIFLOOD_ROUNDS	   8
#define IPIFLOOD_PER_ROUND 5000u /* 40000 IPIs: under a second of its run time on Bochs */

const char guest_name[] = "hostile_ipiflood";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	console_puts("hostile_ipiflood: flooding fixed IPIs at its never-started vcpu 1\n");
	for (u32 round = 1; round <= IPIFLOOD_ROUNDS; round++) {
		for (u32 i = 0; i < IPIFLOOD_PER_ROUND; i++)
			apic_send(IPIFLOOD_TARGET_ID, APIC_ICR_FIXED | IPIFLOOD_VECTOR);
		console_printf("hostile_ipiflood: round %u: %u IPIs sent\n", round,
			       round * IPIFLOOD_PER_ROUND);
	}
	test_exit(GUEST_EXIT_PASS);
}
