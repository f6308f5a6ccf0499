/* SPDX-License-Identifier: MIT */
/* Interrupt routing inside one guest (DESIGN.md, "The guest platform"): a device raises or
 * lowers a line, the guest's I/O APIC (vmm/ioapic.c) turns a pin into a vector for one of the
 * guest's own vCPUs, the local APIC model (vmm/vlapic.c) queues it, the entry path injects it.
 * Nothing below this interface knows which device raised a line; nothing above knows vendors. */
#ifndef MOAT_IRQ_H
#define MOAT_IRQ_H

#include <moat/types.h>

struct vm;
struct vcpu;

#define IRQ_PIN_COUNT 24 /* I/O APIC pins, GSIs 0-23 */

/* A device drives its interrupt line (an I/O APIC pin, the GSI) high or low. An
 * edge-triggered pin delivers on a rising edge; a level-triggered one while it is high,
 * again after each EOI. Safe from any CPU; the caller holds the guest's device lock. */
void irq_set_line(struct vm *vm, u32 pin, bool high);

/* The local APIC of target accepts vector from the I/O APIC (or an IPI); a level-triggered
 * one sets its TMR bit so that the guest's EOI is broadcast back (ioapic_eoi). */
void vlapic_accept_interrupt(struct vcpu *target, u8 vector, bool level_triggered);

/* A vCPU's EOI of a level-triggered vector: the I/O APIC clears remote IRR of the pins
 * routed to it and redelivers the ones still high. */
void ioapic_eoi(struct vm *vm, u8 vector);

#endif
