// SPDX-License-Identifier: MIT
/* x2APIC helpers for test guests: the vCPU's APIC ID, EOI and sending IPIs through the ICR,
 * all as MSRs (Intel SDM Vol. 3A, 11.12): Moat's vCPUs start in x2APIC mode. */
#include "apic.h"

u32 apic_id(void)
{
	return (u32)cpu_rdmsr(MSR_X2APIC_ID);
}

void apic_eoi(void)
{
	cpu_wrmsr(MSR_X2APIC_EOI, 0); /* a non-zero EOI write raises #GP (11.12.1.2) */
}

/* A locked add orders earlier stores before the IPI: WRMSR to the x2APIC registers is not
 * serializing (SDM Vol. 3A, 11.12.3), and SSE2's MFENCE is not ours to use under -march=i686. */
static void apic_store_fence(void)
{
	asm volatile("lock addl $0, (%%esp)" : : : "memory", "cc");
}

void apic_send(u32 destination, u32 icr_low)
{
	apic_store_fence();
	cpu_wrmsr(MSR_X2APIC_ICR, (u64)destination << APIC_ICR_DESTINATION_SHIFT | icr_low);
}

void apic_send_self(u8 vector)
{
	apic_store_fence();
	cpu_wrmsr(MSR_X2APIC_SELF_IPI, vector);
}

void apic_enable(void)
{
	cpu_wrmsr(MSR_X2APIC_SVR, APIC_SVR_ENABLE | APIC_SVR_SPURIOUS_VECTOR);
}
