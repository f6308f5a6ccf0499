// SPDX-License-Identifier: MIT
/* sleeper: two vCPUs. AP 1 halts with interrupts on while the BSP works; a halted vCPU must
 * give its CPU away (its summary shows about no run time). The BSP then wakes it with an IPI
 * and both halt with interrupts off: no vCPU can run, so Moat stops the guest ("halted:"). */
#include "apic.h"

#define SLEEPER_AP_ID	    1
#define SLEEPER_BSP_ID	    0
#define SLEEPER_VECTOR_WAKE 0x40
#define SLEEPER_VECTOR_DONE 0x41
/* Work the BSP does while the AP sleeps: some tens of ms per round under QEMU. */
#define SLEEPER_ROUNDS	    16u
#define SLEEPER_ROUND_SPINS 2000000u

enum sleeper_check {
	SLEEPER_CHECK_AP_STARTED = 1,
	SLEEPER_CHECK_AP_HALTING,
	SLEEPER_CHECK_STOPPED,
};

const char guest_name[] = "sleeper";

static volatile u32 sleeper_halting, sleeper_woken, sleeper_done;
/* The AP's one line, printed with one hypercall rather than an exit per character, so that
 * its run time stays near zero. */
static const char sleeper_woken_line[] = "sleeper: ap 1: woken";

static void sleeper_on_wake(u32 vector)
{
	ap_atomic_inc(&sleeper_woken);
	apic_eoi();
}

static void sleeper_on_done(u32 vector)
{
	ap_atomic_inc(&sleeper_done);
	apic_eoi();
}

static void sleeper_ap_main(u32 id)
{
	sleeper_halting = 1;
	while (!sleeper_woken)
		ap_wait_for_interrupt();
	hypercall_args(HYPERCALL_CONSOLE_WRITE, (u32)sleeper_woken_line,
		       sizeof(sleeper_woken_line) - 1);
	apic_send(SLEEPER_BSP_ID, APIC_ICR_FIXED | SLEEPER_VECTOR_DONE);
	ap_halt_forever();
}

/* Busy work without exits between the progress lines. */
static void sleeper_work(void)
{
	for (u32 round = 1; round <= SLEEPER_ROUNDS; round++) {
		for (volatile u32 i = 0; i < SLEEPER_ROUND_SPINS; i++)
			;
		ap_printf("sleeper: progress %u\n", round);
	}
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	trap_set_handler(SLEEPER_VECTOR_WAKE, sleeper_on_wake);
	trap_set_handler(SLEEPER_VECTOR_DONE, sleeper_on_done);
	check_true(SLEEPER_CHECK_AP_STARTED, "ap 1 started",
		   ap_start(SLEEPER_AP_ID, sleeper_ap_main));
	check_true(SLEEPER_CHECK_AP_HALTING, "ap 1 is about to halt",
		   ap_wait_for(&sleeper_halting, 1));
	sleeper_work();
	ap_printf("sleeper: bsp: waking ap 1\n");
	apic_send(SLEEPER_AP_ID, APIC_ICR_FIXED | SLEEPER_VECTOR_WAKE);
	/* Were the IPI lost, both would be halted and Moat would stop the guest here. */
	while (!sleeper_done)
		ap_wait_for_interrupt();
	ap_printf("sleeper: bsp: halting with interrupts off, as ap 1 is\n");
	asm volatile("cli; hlt" : : : "memory");
	check_fail(SLEEPER_CHECK_STOPPED, "Moat stops a guest none of whose vCPUs can run",
		   "the BSP ran on after HLT with interrupts off");
}
