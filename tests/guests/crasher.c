// SPDX-License-Identifier: MIT
/* crasher: three vCPUs, the two APs spinning with interrupts on, and one of them crashes the
 * whole guest: run 0 from vCPU 0, run 1 from AP 2, by writing an unowned guest-physical address.
 * With on-crash = "restart" Moat parks every vCPU and starts the guest again (run 2 passes);
 * with "stop" it stops all three (docs/scheduling.md, "Stopping and restarting a guest"). */
#include "apic.h"

#define CRASHER_VCPUS	     3 /* tests/boot/crasher*.dts give the guest vcpu@0 to vcpu@2 */
#define CRASHER_FIRST_AP     1
#define CRASHER_PASSING_RUN  2 /* runs 0 and 1 crash; the third boot passes */
#define CRASHER_AP_CRASH_RUN 1 /* the run whose crash comes from an AP */
#define CRASHER_CRASHING_AP  2
#define CRASHER_BSP_ID	     0
/* Far outside any RAM a boot test gives it (docs/guest-interface.md, "Memory"). */
#define CRASHER_UNOWNED_GPA  0x40000000u
#define CRASHER_UNOWNED_WORD 0xc0ffee00u
/*
 * How many of ap_wait_for's bounded waits (2^32 TSC ticks and a million PAUSEs each) a vCPU
 * survives after its guest's crash before it reports a failure. Moat stops every vCPU within a
 * kick and a slice; a vCPU still running after this has not been parked.
 */
#define CRASHER_STOP_WAITS 2u

enum crasher_check {
	CRASHER_CHECK_RESTART_COUNT = 1,
	CRASHER_CHECK_RUN_IN_RANGE,
	CRASHER_CHECK_AP_STARTED,
	CRASHER_CHECK_AP_COUNTING,
	CRASHER_CHECK_STOPPED,
};

const char guest_name[] = "crasher";

static u32 crasher_run; /* the restart count, read once by vCPU 0 before it starts the APs */
/* Each AP's spin counter; RAM comes back zeroed on a restart, so nonzero means it moved. */
static volatile u32 crasher_spins[CRASHER_VCPUS];
static volatile u32 crasher_ap_must_crash; /* set by vCPU 0 for CRASHER_CRASHING_AP */
static volatile u32 crasher_never;	   /* nobody sets it: a wait on it is a bounded delay */

/* The crash: a write Moat must refuse by stopping or restarting the whole guest. */
static void crasher_write_unowned(void)
{
	asm volatile("movl %0, (%1)"
		     :
		     : "r"(CRASHER_UNOWNED_WORD), "r"(CRASHER_UNOWNED_GPA)
		     : "memory");
}

/* Runs after a crash this guest must not survive: waits with interrupts on (so that the other
 * vCPUs of this CPU still run) and fails if Moat lets this vCPU go on. */
static void __noreturn crasher_expect_stop(u32 id, const char *cause)
{
	for (u32 i = 0; i < CRASHER_STOP_WAITS; i++)
		ap_wait_for(&crasher_never, 1);
	ap_console_lock();
	check_fail(CRASHER_CHECK_STOPPED, "a crash stops every vCPU of the guest",
		   "run %u: vcpu %u still running after %s", crasher_run, id, cause);
}

/* The crashing AP, on the run whose crash is its own. */
static void __noreturn crasher_ap_crash(u32 id)
{
	ap_printf("crasher: run %u: crashing from vcpu %u\n", crasher_run, id);
	crasher_write_unowned();
	crasher_expect_stop(id, "its own write of an unowned address");
}

/* Each AP: one line, then a spin with interrupts on and no exits, counting, until its guest
 * is stopped or restarted from another vCPU (or, for AP 2 on run 1, until it crashes). */
static void __noreturn crasher_ap_main(u32 id)
{
	ap_printf("crasher: ap %u: running (restart %u)\n", id, crasher_run);
	asm volatile("sti" : : : "memory");
	for (;;) {
		ap_atomic_inc(&crasher_spins[id]);
		if (id == CRASHER_CRASHING_AP && crasher_ap_must_crash)
			crasher_ap_crash(id);
	}
}

/* Waits (bounded, interrupts on) until every AP's counter has moved. */
static bool crasher_wait_aps_counting(void)
{
	for (u32 id = CRASHER_FIRST_AP; id < CRASHER_VCPUS; id++) {
		/* Returns as soon as it moves: on a busy emulated machine the AP may get its CPU
		 * only some slices later. */
		for (u32 i = 0; i < CRASHER_STOP_WAITS && !crasher_spins[id]; i++)
			ap_wait_for_nonzero(&crasher_spins[id]);
		if (!crasher_spins[id])
			return false;
	}
	return true;
}

static void crasher_read_run(void)
{
	if (!hypercall_restart_count(&crasher_run))
		check_fail(CRASHER_CHECK_RESTART_COUNT, "hypercall 1 (restart count) answers",
			   "got error 0x%x", hypercall(HYPERCALL_RESTART_COUNT));
	if (crasher_run > CRASHER_PASSING_RUN)
		check_fail(CRASHER_CHECK_RUN_IN_RANGE, "at most 2 restarts before the pass",
			   "restart count %u", crasher_run);
}

static void crasher_start_aps(void)
{
	for (u32 id = CRASHER_FIRST_AP; id < CRASHER_VCPUS; id++) {
		if (!ap_start(id, crasher_ap_main)) {
			ap_console_lock();
			check_fail(CRASHER_CHECK_AP_STARTED, "every AP starts", "run %u: ap %u",
				   crasher_run, id);
		}
	}
	if (!crasher_wait_aps_counting()) {
		ap_console_lock();
		check_fail(CRASHER_CHECK_AP_COUNTING, "every AP spins",
			   "run %u: counters of ap 1 and 2 are %u and %u", crasher_run,
			   crasher_spins[1], crasher_spins[2]);
	}
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	crasher_read_run();
	crasher_start_aps();
	ap_printf("crasher: run %u: all %u vCPUs running\n", crasher_run, CRASHER_VCPUS);
	if (crasher_run == CRASHER_PASSING_RUN) {
		ap_printf("crasher: run %u: ok\n", crasher_run);
		test_exit(GUEST_EXIT_PASS);
	}
	if (crasher_run == CRASHER_AP_CRASH_RUN) {
		ap_printf("crasher: run %u: asking vcpu %u to crash\n", crasher_run,
			  CRASHER_CRASHING_AP);
		crasher_ap_must_crash = 1;
		crasher_expect_stop(CRASHER_BSP_ID, "the crash of vcpu 2");
	}
	ap_printf("crasher: run %u: crashing from vcpu %u\n", crasher_run, CRASHER_BSP_ID);
	crasher_write_unowned();
	crasher_expect_stop(CRASHER_BSP_ID, "its own write of an unowned address");
}
