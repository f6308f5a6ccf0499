// SPDX-License-Identifier: MIT
/* The local APIC of the calling CPU: register access in either mode, set-up, IPIs. */
#include <moat/arch.h>
#include <moat/x86.h>

#include "lapic.h"

#define LAPIC_BASE_MASK 0x000ffffffffff000ULL
#define APIC_BASE_X2APIC_ENABLE BIT(10)
#define MSR_X2APIC_BASE 0x800
#define LAPIC_XAPIC_ID_SHIFT 24

bool lapic_is_x2apic(void)
{
	return x86_rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC_ENABLE;
}

static volatile u32 *lapic_mmio(void)
{
	return (volatile u32 *)(uintptr_t)(x86_rdmsr(MSR_IA32_APIC_BASE) & LAPIC_BASE_MASK);
}

u32 lapic_read(u32 reg)
{
	if (lapic_is_x2apic())
		return (u32)x86_rdmsr(MSR_X2APIC_BASE + reg / 16);
	return lapic_mmio()[reg / 4];
}

void lapic_write(u32 reg, u32 value)
{
	if (lapic_is_x2apic())
		x86_wrmsr(MSR_X2APIC_BASE + reg / 16, value);
	else
		lapic_mmio()[reg / 4] = value;
}

u32 lapic_id(void)
{
	u32 id = lapic_read(LAPIC_ID);

	return lapic_is_x2apic() ? id : id >> LAPIC_XAPIC_ID_SHIFT;
}

void lapic_setup_this_cpu(void)
{
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | ARCH_VECTOR_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | ARCH_VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_BY_16);
}

bool lapic_send_ipi(u32 destination, u32 icr_low, u64 timeout_ticks)
{
	u64 deadline;

	if (lapic_is_x2apic()) {
		/* One 64-bit MSR write, destination in bits 63:32; no pending bit (11.12.9). */
		x86_wrmsr(MSR_X2APIC_BASE + LAPIC_ICR_LOW / 16, (u64)destination << 32 | icr_low);
		return true;
	}
	lapic_write(LAPIC_ICR_HIGH, destination << LAPIC_XAPIC_ID_SHIFT);
	lapic_write(LAPIC_ICR_LOW, icr_low);
	deadline = x86_rdtsc() + timeout_ticks;
	while (lapic_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING) {
		if (x86_rdtsc() > deadline)
			return false;
		x86_pause();
	}
	return true;
}
