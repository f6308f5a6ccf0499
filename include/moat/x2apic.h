/* SPDX-License-Identifier: MIT */
/* The x2APIC as the SDM lays it out: MSR indices (Vol. 3 Table 11-6), the interrupt command
 * register (11.6.1, Figure 11-28; 11.12.9) and logical IDs (11.12.10.2). Shared by the
 * virtual APIC (vmm/vlapic.c) and its tests; the values Moat chooses stay in vlapic.c. */
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

/* Interrupt command register. */
#define ICR_VECTOR_MASK 0xffu
#define ICR_DELIVERY_SHIFT 8
#define ICR_DELIVERY_MASK 7u
#define ICR_DELIVERY_FIXED 0u
#define ICR_DELIVERY_LOWEST 1u
#define ICR_DELIVERY_INIT 5u
#define ICR_DELIVERY_STARTUP 6u
#define ICR_LOGICAL BIT(11)
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
