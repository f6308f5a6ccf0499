/* SPDX-License-Identifier: MIT */
/* The local APIC as the SDM lays it out: register offsets in the xAPIC page (Vol. 3 Table
 * 11-1) and the x2APIC MSR indices (Table 11-6: MSR 0x800 + offset / 16), the LVT entries
 * (11.5.1, Figure 11-8), the timer (11.5.4), the interrupt command register (11.6.1, Figure
 * 11-28; 11.12.9) and logical IDs (11.6.2.2, 11.12.10.2). Shared by the virtual APIC
 * (vmm/vlapic*.c) and its tests; the values Moat chooses stay in vmm/vlapic*.c. */
#ifndef MOAT_X2APIC_H
#define MOAT_X2APIC_H

#include <moat/types.h>

/* x2APIC MSRs. */
#define X2APIC_FIRST 0x800u
#define X2APIC_LAST 0x8ffu
#define X2APIC_ID 0x802u
#define X2APIC_VERSION 0x803u
#define X2APIC_TPR 0x808u
#define X2APIC_PPR 0x80au
#define X2APIC_EOI 0x80bu
#define X2APIC_LDR 0x80du
#define X2APIC_SVR 0x80fu
#define X2APIC_ESR 0x828u
#define X2APIC_ICR 0x830u
#define X2APIC_SELF_IPI 0x83fu

/* xAPIC register offsets in the 4 KiB page; each register is 32 bits on a 16-byte line. */
#define APIC_REG_ID 0x20
#define APIC_REG_VERSION 0x30
#define APIC_REG_TPR 0x80
#define APIC_REG_APR 0x90
#define APIC_REG_PPR 0xa0
#define APIC_REG_EOI 0xb0
#define APIC_REG_RRD 0xc0
#define APIC_REG_LDR 0xd0
#define APIC_REG_DFR 0xe0
#define APIC_REG_SVR 0xf0
#define APIC_REG_ISR 0x100 /* 8 registers, 32 vectors each, 0x100-0x170 */
#define APIC_REG_TMR 0x180
#define APIC_REG_IRR 0x200
#define APIC_REG_ESR 0x280
#define APIC_REG_LVT_CMCI 0x2f0
#define APIC_REG_ICR_LOW 0x300
#define APIC_REG_ICR_HIGH 0x310
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_LVT_THERMAL 0x330
#define APIC_REG_LVT_PERF 0x340
#define APIC_REG_LVT_LINT0 0x350
#define APIC_REG_LVT_LINT1 0x360
#define APIC_REG_LVT_ERROR 0x370
#define APIC_REG_TIMER_INITIAL 0x380
#define APIC_REG_TIMER_CURRENT 0x390
#define APIC_REG_TIMER_DIVIDE 0x3e0
#define APIC_REG_SELF_IPI 0x3f0 /* x2APIC only */
#define APIC_REG_SHIFT 4        /* x2APIC MSR = X2APIC_FIRST + (offset >> APIC_REG_SHIFT) */
#define APIC_REG_ALIGN 0xfu
#define APIC_PAGE_SIZE 0x1000u
#define APIC_VECTOR_REG_COUNT 8 /* ISR, TMR, IRR: 256 bits in 8 registers */

/* xAPIC ID and logical destination: the ID in bits 31:24 (11.4.6, 11.6.2.2). */
#define XAPIC_ID_SHIFT 24
#define XAPIC_LDR_MASK 0xff000000u
#define XAPIC_DFR_MODEL_MASK 0xf0000000u
#define XAPIC_DFR_RESET 0xffffffffu
#define XAPIC_DFR_FLAT 0xf0000000u
#define XAPIC_DFR_CLUSTER 0x00000000u
#define XAPIC_DESTINATION_SHIFT 24 /* in ICR_HIGH, 8 bits */
#define XAPIC_BROADCAST 0xffu

/* IA32_APIC_BASE (11.4.4, Figure 11-5; 11.12.1). */
#define APIC_BASE_BSP BIT(8)
#define APIC_BASE_EXTD BIT(10) /* x2APIC mode */
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_ADDRESS_MASK 0x0000fffffffff000ULL

/* Priorities (11.8.3.1): a vector's class is its bits 7:4. */
#define APIC_PRIORITY_CLASS_MASK 0xf0u
#define APIC_TPR_MASK 0xffu

/* Spurious-interrupt vector register (11.9, Figure 11-23). */
#define APIC_SVR_VECTOR_MASK 0xffu
#define APIC_SVR_ENABLE BIT(8)
#define APIC_SVR_FOCUS_DISABLE BIT(9)
#define APIC_SVR_EOI_SUPPRESS BIT(12)

/* LVT entries (Figure 11-8). */
#define APIC_LVT_VECTOR_MASK 0xffu
#define APIC_LVT_DELIVERY_MASK (7u << 8)
#define APIC_LVT_DELIVERY_STATUS BIT(12)
#define APIC_LVT_POLARITY BIT(13)
#define APIC_LVT_REMOTE_IRR BIT(14)
#define APIC_LVT_TRIGGER_LEVEL BIT(15)
#define APIC_LVT_MASKED BIT(16)
#define APIC_LVT_TIMER_MODE_SHIFT 17
#define APIC_LVT_TIMER_MODE_MASK (3u << APIC_LVT_TIMER_MODE_SHIFT)
#define APIC_TIMER_ONE_SHOT 0u
#define APIC_TIMER_PERIODIC 1u
#define APIC_TIMER_TSC_DEADLINE 2u
/* What each LVT keeps of a write; the rest is reserved or read-only. */
#define APIC_LVT_TIMER_WRITABLE (APIC_LVT_VECTOR_MASK | APIC_LVT_MASKED | APIC_LVT_TIMER_MODE_MASK)
#define APIC_LVT_LOCAL_WRITABLE (APIC_LVT_VECTOR_MASK | APIC_LVT_DELIVERY_MASK | APIC_LVT_MASKED)
#define APIC_LVT_LINT_WRITABLE                                                                     \
	(APIC_LVT_LOCAL_WRITABLE | APIC_LVT_POLARITY | APIC_LVT_TRIGGER_LEVEL)
#define APIC_LVT_ERROR_WRITABLE (APIC_LVT_VECTOR_MASK | APIC_LVT_MASKED)

/* Divide configuration register (Figure 11-10): bits 0, 1 and 3; 0b1011 divides by 1. */
#define APIC_TIMER_DIVIDE_WRITABLE 0xbu
#define APIC_TIMER_DIVIDE_HIGH_BIT 0x8u
#define APIC_TIMER_DIVIDE_HIGH_SHIFT 1
#define APIC_TIMER_DIVIDE_LOW_MASK 0x3u
#define APIC_TIMER_DIVIDE_CODE_MASK 0x7u

/* Error status register (11.5.3, Figure 11-9). */
#define APIC_ESR_SEND_ILLEGAL_VECTOR BIT(5)
#define APIC_ESR_RECEIVE_ILLEGAL_VECTOR BIT(6)
#define APIC_ESR_ILLEGAL_REGISTER BIT(7)

/* IA32_TSC_DEADLINE (11.5.4.1). */
#define MSR_IA32_TSC_DEADLINE 0x6e0u

/* Interrupt command register. */
#define ICR_VECTOR_MASK 0xffu
#define ICR_DELIVERY_SHIFT 8
#define ICR_DELIVERY_MASK 7u
#define ICR_DELIVERY_FIXED 0u
#define ICR_DELIVERY_LOWEST 1u
#define ICR_DELIVERY_INIT 5u
#define ICR_DELIVERY_STARTUP 6u
#define ICR_LOGICAL BIT(11)
#define ICR_DELIVERY_STATUS BIT(12) /* xAPIC only: never set, delivery is immediate */
#define ICR_LEVEL_ASSERT BIT(14)
#define ICR_TRIGGER_LEVEL BIT(15)
#define ICR_SHORTHAND_SHIFT 18
#define ICR_SHORTHAND_MASK 3u
#define ICR_SHORTHAND_NONE 0u
#define ICR_SHORTHAND_SELF 1u
#define ICR_SHORTHAND_ALL 2u
#define ICR_SHORTHAND_OTHERS 3u
#define ICR_DESTINATION_SHIFT 32
#define ICR_BROADCAST 0xffffffffu

/* Logical x2APIC ID: cluster in bits 31:16, one bit per member in 15:0. */
#define X2APIC_LDR_CLUSTER_SHIFT 4
#define X2APIC_LDR_CLUSTER_BITS 16
#define X2APIC_LDR_MEMBERS ((1u << X2APIC_LDR_CLUSTER_BITS) - 1)

#endif
