// SPDX-License-Identifier: MIT
/* vcpus: a guest with VCPUS_EXPECTED vCPUs. The BSP starts each AP with INIT-SIPI-SIPI; every
 * vCPU checks its x2APIC ID, CPUID and APIC_BASE; each AP halts until the BSP's IPI wakes it
 * and answers with one that wakes the halted BSP; then an IPI to a missing APIC ID (dropped)
 * and self-IPIs through SELF IPI and the ICR (docs/guest-interface.md, "Local APIC"). */
#include "apic.h"

#define VCPUS_EXPECTED	      4 /* tests/boot/vcpus.dts gives the guest vcpu@0 to vcpu@3 */
#define VCPUS_BSP_ID	      0
#define VCPUS_MISSING_ID      9 /* no vCPU of this guest: the IPI is dropped and audited */
#define VCPUS_VECTOR_WAKE     0x40
#define VCPUS_VECTOR_DONE     0x41
#define VCPUS_VECTOR_SELF_MSR 0x42
#define VCPUS_VECTOR_SELF_ICR 0x43
/* Gives an AP time to reach HLT after saying it is about to, so that the wake-up IPI finds it
 * halted rather than on its way there (a pending IPI would wake it either way). */
#define VCPUS_HALT_SETTLE_SPINS 100000u
/* A window with interrupts on in which a stray IPI would show: a pending interrupt is
 * delivered at the latest one scheduler slice after IF is set again. */
#define VCPUS_STRAY_WINDOW_ROUNDS 2000000u

enum vcpus_check {
	VCPUS_CHECK_APIC_ID_MSR = 1,
	VCPUS_CHECK_APIC_ID_CPUID,
	VCPUS_CHECK_CPUID_X2APIC,
	VCPUS_CHECK_CPUID_APIC,
	VCPUS_CHECK_APIC_BASE,
	VCPUS_CHECK_APIC_VERSION,
	VCPUS_CHECK_APIC_LDR,
	VCPUS_CHECK_APIC_BASE_WRITE_BACK,
	VCPUS_CHECK_AP_STARTED,
	VCPUS_CHECK_AP_ID_AS_STARTED,
	VCPUS_CHECK_APS_CHECKED,
	VCPUS_CHECK_AP_HALTING,
	VCPUS_CHECK_AP_WOKEN_ONCE,
	VCPUS_CHECK_BSP_WOKEN,
	VCPUS_CHECK_MISSING_ID_NO_FAULT,
	VCPUS_CHECK_MISSING_ID_NOT_DELIVERED,
	VCPUS_CHECK_SELF_IPI_MSR,
	VCPUS_CHECK_SELF_IPI_ICR,
};

const char guest_name[] = "vcpus";

/* Written by one vCPU, read by others: volatile, and counters only change by LOCK INC. */
static volatile u32 vcpus_checked;		    /* APs that passed their checks */
static volatile u32 vcpus_halting[VCPUS_EXPECTED];  /* 1: the AP is about to halt */
static volatile u32 vcpus_wakes[VCPUS_EXPECTED];    /* VCPUS_VECTOR_WAKE per vCPU */
static volatile u32 vcpus_done;			    /* VCPUS_VECTOR_DONE seen by the BSP */
static volatile u32 vcpus_self_msr, vcpus_self_icr; /* the BSP's self-IPIs */

/* check_eq, with the vCPU named, under the console lock (a failure ends the whole guest). */
static void vcpus_check_eq(u32 id, u32 number, const char *what, u64 got, u64 want)
{
	ap_console_lock();
	if (got != want)
		check_fail(number, what, "vcpu %u: got 0x%llx, want 0x%llx", id, got, want);
	console_printf("vcpus: ok: vcpu %u: %s\n", id, what);
	ap_console_unlock();
}

static void vcpus_check_true(u32 id, u32 number, const char *what, bool condition)
{
	vcpus_check_eq(id, number, what, condition, true);
}

/* What every vCPU must see of itself; id is the APIC ID it was started as. */
static void vcpus_check_identity(u32 id)
{
	struct cpuid_regs r = cpu_cpuid(CPUID_LEAF_FEATURES, 0);
	u64 base = id == VCPUS_BSP_ID ? APIC_BASE_BSP_VALUE : APIC_BASE_AP_VALUE;

	vcpus_check_eq(id, VCPUS_CHECK_APIC_ID_MSR, "x2APIC ID (MSR 0x802) is its number",
		       apic_id(), id);
	vcpus_check_eq(id, VCPUS_CHECK_APIC_ID_CPUID, "CPUID 1 EBX[31:24] is its number",
		       r.ebx >> CPUID_1_EBX_APIC_ID_SHIFT, id);
	vcpus_check_true(id, VCPUS_CHECK_CPUID_X2APIC, "CPUID 1 ECX[21] (x2APIC) set",
			 r.ecx & CPUID_1_ECX_X2APIC);
	vcpus_check_true(id, VCPUS_CHECK_CPUID_APIC, "CPUID 1 EDX[9] (APIC) set",
			 r.edx & CPUID_1_EDX_APIC);
	vcpus_check_eq(id, VCPUS_CHECK_APIC_BASE,
		       id == VCPUS_BSP_ID ? "APIC_BASE is 0xfee00d00 (x2APIC, enabled, BSP)"
					  : "APIC_BASE is 0xfee00c00 (x2APIC, enabled, not BSP)",
		       cpu_rdmsr(MSR_IA32_APIC_BASE), base);
	vcpus_check_eq(id, VCPUS_CHECK_APIC_VERSION, "x2APIC version (MSR 0x803) is 0x50014",
		       cpu_rdmsr(MSR_X2APIC_VERSION), APIC_VERSION_VALUE);
	vcpus_check_eq(id, VCPUS_CHECK_APIC_LDR, "x2APIC LDR (MSR 0x80d) follows its ID",
		       cpu_rdmsr(MSR_X2APIC_LDR), APIC_LDR(id));
}

static void vcpus_on_wake(u32 vector)
{
	ap_atomic_inc(&vcpus_wakes[apic_id() % VCPUS_EXPECTED]);
	apic_eoi();
}

static void vcpus_on_done(u32 vector)
{
	ap_atomic_inc(&vcpus_done);
	apic_eoi();
}

static void vcpus_on_self(u32 vector)
{
	ap_atomic_inc(vector == VCPUS_VECTOR_SELF_MSR ? &vcpus_self_msr : &vcpus_self_icr);
	apic_eoi();
}

/* Each AP: its checks, a halt the BSP's IPI ends, an IPI back, then halted for good. */
static void vcpus_ap_main(u32 id)
{
	vcpus_check_identity(id);
	ap_printf("vcpus: ap %u: started, apic id %u\n", id, apic_id());
	ap_atomic_inc(&vcpus_checked);
	vcpus_halting[id] = 1;
	while (!vcpus_wakes[id])
		ap_wait_for_interrupt();
	ap_printf("vcpus: ap %u: woken by ipi\n", id);
	apic_send(VCPUS_BSP_ID, APIC_ICR_FIXED | VCPUS_VECTOR_DONE);
	ap_halt_forever();
}

static void vcpus_bsp_identity(void)
{
	u64 base = cpu_rdmsr(MSR_IA32_APIC_BASE);

	vcpus_check_identity(VCPUS_BSP_ID);
	/* Still alone: the global fault probes are safe to use. */
	check_no_fault(VCPUS_CHECK_APIC_BASE_WRITE_BACK, "writing APIC_BASE back unchanged",
		       trap_probe_wrmsr(MSR_IA32_APIC_BASE, base));
}

static void vcpus_start_aps(void)
{
	for (u32 id = 1; id < VCPUS_EXPECTED; id++)
		vcpus_check_true(VCPUS_BSP_ID, VCPUS_CHECK_AP_STARTED,
				 "ap_start: INIT-SIPI-SIPI, the AP checked in",
				 ap_start(id, vcpus_ap_main));
	vcpus_check_true(VCPUS_BSP_ID, VCPUS_CHECK_APS_CHECKED, "every AP passed its checks",
			 ap_wait_for(&vcpus_checked, VCPUS_EXPECTED - 1));
}

/* One AP at a time, so that no two DONE IPIs are pending at once (they would merge into one
 * request, as on a real APIC): wake it, then halt until its answer wakes the BSP. */
static void vcpus_wake_aps(void)
{
	for (u32 id = 1; id < VCPUS_EXPECTED; id++) {
		vcpus_check_true(VCPUS_BSP_ID, VCPUS_CHECK_AP_HALTING, "the AP is about to halt",
				 ap_wait_for(&vcpus_halting[id], 1));
		for (u32 i = 0; i < VCPUS_HALT_SETTLE_SPINS; i++)
			asm volatile("pause");
		apic_send(id, APIC_ICR_FIXED | VCPUS_VECTOR_WAKE);
		/* Were the IPI lost, every vCPU would be halted and Moat would stop the guest. */
		while (vcpus_done < id)
			ap_wait_for_interrupt();
		vcpus_check_eq(id, VCPUS_CHECK_AP_WOKEN_ONCE, "the wake-up IPI arrived once",
			       vcpus_wakes[id], 1);
	}
	vcpus_check_eq(VCPUS_BSP_ID, VCPUS_CHECK_BSP_WOKEN, "halted BSP woken by each AP's IPI",
		       vcpus_done, VCPUS_EXPECTED - 1);
	ap_printf("vcpus: bsp: woken by %u aps\n", vcpus_done);
}

static void vcpus_stray_window(void)
{
	asm volatile("sti" : : : "memory");
	for (volatile u32 i = 0; i < VCPUS_STRAY_WINDOW_ROUNDS; i++)
		;
	asm volatile("cli" : : : "memory");
}

/* The APs are halted for good with interrupts off: the fault probe is safe again. */
static void vcpus_missing_destination(void)
{
	u64 icr = (u64)VCPUS_MISSING_ID << APIC_ICR_DESTINATION_SHIFT | APIC_ICR_FIXED |
		  VCPUS_VECTOR_WAKE;

	check_no_fault(VCPUS_CHECK_MISSING_ID_NO_FAULT, "IPI to APIC ID 9 (no such vCPU) accepted",
		       trap_probe_wrmsr(MSR_X2APIC_ICR, icr));
	vcpus_stray_window();
	check_eq(VCPUS_CHECK_MISSING_ID_NOT_DELIVERED, "IPI to APIC ID 9 reached nobody here",
		 vcpus_wakes[VCPUS_BSP_ID], 0);
}

static void vcpus_self_ipis(void)
{
	apic_send_self(VCPUS_VECTOR_SELF_MSR);
	while (!vcpus_self_msr)
		ap_wait_for_interrupt();
	check_eq(VCPUS_CHECK_SELF_IPI_MSR, "SELF IPI (MSR 0x83f) delivered once", vcpus_self_msr,
		 1);
	apic_send(0, APIC_ICR_SELF | APIC_ICR_FIXED | VCPUS_VECTOR_SELF_ICR);
	while (!vcpus_self_icr)
		ap_wait_for_interrupt();
	check_eq(VCPUS_CHECK_SELF_IPI_ICR, "ICR self shorthand delivered once", vcpus_self_icr, 1);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	trap_set_handler(VCPUS_VECTOR_WAKE, vcpus_on_wake);
	trap_set_handler(VCPUS_VECTOR_DONE, vcpus_on_done);
	trap_set_handler(VCPUS_VECTOR_SELF_MSR, vcpus_on_self);
	trap_set_handler(VCPUS_VECTOR_SELF_ICR, vcpus_on_self);
	vcpus_bsp_identity();
	vcpus_start_aps();
	vcpus_wake_aps();
	vcpus_missing_destination();
	vcpus_self_ipis();
	console_puts("vcpus: every vCPU started, woke and was woken\n");
	test_exit(GUEST_EXIT_PASS);
}
