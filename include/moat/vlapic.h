/* SPDX-License-Identifier: MIT */
/* The virtual local APIC (vmm/vlapic*.c) as the rest of Moat uses it: its life cycle, the
 * xAPIC page, interrupt priorities for the entry path, and the APIC timer for the scheduler.
 * The MSR side is in include/moat/exit.h, acceptance of interrupts in include/moat/irq.h. */
#ifndef MOAT_VLAPIC_H
#define MOAT_VLAPIC_H

#include <moat/io.h>
#include <moat/types.h>

struct vcpu;
struct vlapic;
struct vm;

#define VLAPIC_NO_TIMER (~0ULL) /* vlapic_timer_wake_at: no timer interrupt is coming */

/* Power-on state of vcpu's APIC: xAPIC/x2APIC mode as docs/guest-interface.md says, then
 * vlapic_reset. */
void vlapic_create(struct vcpu *vcpu);
/* Gives the guest the xAPIC page at PLATFORM_LAPIC_BASE (each vCPU sees its own APIC). */
int vlapic_add_mmio(struct vm *vm);
/* One access to the xAPIC page (an mmio_handler_fn). */
enum io_result vlapic_xapic_access(struct vcpu *vcpu, void *device, u64 offset, u8 size,
				   bool write, u64 *value);

/* Does the APIC hold a requested vector (deliverable or not)? */
bool vlapic_has_request(const struct vlapic *apic);
/* The highest requested vector above the processor priority (SDM Vol. 3 11.8.3.1), or -1. */
int vlapic_next_vector(struct vcpu *vcpu);
/* vector was injected: it moves from IRR to ISR. */
void vlapic_start_service(struct vcpu *vcpu, u8 vector);

/* On the vCPU's own CPU (running it, or holding it halted or preempted): fires the timer if it
 * is due at host TSC now. Returns whether it fired. */
bool vlapic_timer_expire(struct vcpu *vcpu, u64 now);
/* Host TSC at which the vCPU's timer next raises an interrupt, or VLAPIC_NO_TIMER. */
u64 vlapic_timer_wake_at(const struct vcpu *vcpu);

#endif
