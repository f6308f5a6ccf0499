/* SPDX-License-Identifier: MIT */
/* The local APIC of the calling CPU (arch/x86/lapic.c), in xAPIC (MMIO) or x2APIC (MSR)
 * form as the firmware left it. Register offsets: SDM Vol. 3 table 11-1; the x2APIC MSR is
 * 0x800 + offset / 16 (11.12.1.2). */
#ifndef MOAT_ARCH_X86_LAPIC_H
#define MOAT_ARCH_X86_LAPIC_H

#include <moat/types.h>

#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LAPIC_SVR_ENABLE BIT(8)
#define LAPIC_LVT_MASKED BIT(16)
#define LAPIC_LVT_PERIODIC BIT(17)
#define LAPIC_DIVIDE_BY_16 0x3

/* Interrupt command register (11.6.1). */
#define ICR_DELIVERY_FIXED (0u << 8)
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_DELIVERY_PENDING (1u << 12) /* xAPIC only; x2APIC has no such bit (11.12.9) */
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_ALL_EXCLUDING_SELF (3u << 18)

bool lapic_is_x2apic(void);
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 value);
/* This CPU's APIC ID. */
u32 lapic_id(void);
/* Enabled, every local interrupt source masked, the timer stopped: only Moat's own timer
 * and IPIs will interrupt this CPU. */
void lapic_setup_this_cpu(void);
/* Sends an IPI; false when an xAPIC did not accept it within timeout_ticks of TSC. */
bool lapic_send_ipi(u32 destination, u32 icr_low, u64 timeout_ticks);

#endif
