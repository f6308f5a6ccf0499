// SPDX-License-Identifier: MIT
/* hostile_apic: tries to reach the host's local APIC, first as x2APIC MSRs (every read of
 * 0x800-0x8FF and an INIT/SIPI through the ICR must raise #GP), then through the xAPIC page:
 * a write of the ICR at 0xFEE00300, outside its RAM, must stop it. */
#include "guest.h"

/* x2APIC MSR range and ICR (SDM Vol. 3A, 11.12.1, Table 11-6; 11.12.9). */
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff
#define MSR_X2APIC_ICR 0x830
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_LEVEL_ASSERT BIT(14)
#define ICR_ALL_EXCLUDING_SELF (3u << 18)
#define SIPI_VECTOR_PAGE 0x10 /* start at 0x10000 */
/* The xAPIC page at its reset base and the ICR's low half (SDM Vol. 3A, 11.4.1, Table 11-1). */
#define XAPIC_ICR_LOW 0xfee00300u
/* About 2-3 instructions per round: some 500 ms of guest time on Bochs (50,000 instructions a
 * "ms"), tens of ms under QEMU: enough for Moat's audit rate limit (one record per 100 ms
 * after a burst of 32) to let the npf record through. See hostile_apic_let_audit_refill(). */
#define HOSTILE_APIC_SETTLE_ROUNDS 10000000u

enum hostile_apic_check {
	HOSTILE_APIC_CHECK_X2APIC_READ_GP = 1,
	HOSTILE_APIC_CHECK_ICR_INIT_GP,
	HOSTILE_APIC_CHECK_ICR_SIPI_GP,
	HOSTILE_APIC_CHECK_XAPIC_STOPPED,
};

const char guest_name[] = "hostile_apic";

static void hostile_apic_x2apic_reads(void)
{
	u32 count = 0;

	for (u32 msr = MSR_X2APIC_FIRST; msr <= MSR_X2APIC_LAST; msr++) {
		u64 value = 0;
		int vector = trap_probe_rdmsr(msr, &value);

		if (vector != VECTOR_GP)
			check_fail(HOSTILE_APIC_CHECK_X2APIC_READ_GP, "x2APIC MSR reads raise #GP",
				   "rdmsr 0x%x gave exception %d, value 0x%llx", msr, vector,
				   value);
		count++;
	}
	console_printf("hostile_apic: ok: all %u x2APIC MSR reads raised #GP\n", count);
}

static void hostile_apic_x2apic_icr(void)
{
	u64 init = ICR_ALL_EXCLUDING_SELF | ICR_LEVEL_ASSERT | ICR_DELIVERY_INIT;
	u64 sipi = ICR_ALL_EXCLUDING_SELF | ICR_DELIVERY_STARTUP | SIPI_VECTOR_PAGE;

	check_eq(HOSTILE_APIC_CHECK_ICR_INIT_GP, "x2APIC ICR write INIT to all raises #GP",
		 (u32)trap_probe_wrmsr(MSR_X2APIC_ICR, init), VECTOR_GP);
	check_eq(HOSTILE_APIC_CHECK_ICR_SIPI_GP, "x2APIC ICR write SIPI to all raises #GP",
		 (u32)trap_probe_wrmsr(MSR_X2APIC_ICR, sipi), VECTOR_GP);
}

/*
 * The 258 denied MSR accesses above use up Moat's per-guest audit burst (32 records, then about
 * one per ms of guest time). Spinning a while without exits lets it refill, so that the record
 * of the xAPIC write, the one this test is about, is printed rather than suppressed.
 */
static void hostile_apic_let_audit_refill(void)
{
	for (volatile u32 i = 0; i < HOSTILE_APIC_SETTLE_ROUNDS; i++)
		;
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	volatile u32 *icr = (volatile u32 *)XAPIC_ICR_LOW;

	hostile_apic_x2apic_reads();
	hostile_apic_x2apic_icr();
	hostile_apic_let_audit_refill();
	console_printf("hostile_apic: writing INIT to all at xAPIC ICR 0x%x\n", XAPIC_ICR_LOW);
	*icr = ICR_ALL_EXCLUDING_SELF | ICR_LEVEL_ASSERT | ICR_DELIVERY_INIT;
	check_fail(HOSTILE_APIC_CHECK_XAPIC_STOPPED, "the xAPIC write stops the guest",
		   "still running after writing the ICR at 0x%x", XAPIC_ICR_LOW);
}
