/* SPDX-License-Identifier: MIT */
/* What the files of the virtual local APIC share: vlapic.c (registers, IA32_APIC_BASE),
 * vlapic_ipi.c (the ICR), vlapic_priority.c (IRR/ISR/TMR, PPR, EOI), vlapic_timer.c and
 * vlapic_xapic.c (the MMIO page). */
#ifndef MOAT_VLAPIC_INTERNAL_H
#define MOAT_VLAPIC_INTERNAL_H

#include <moat/vlapic.h>
#include <moat/vm.h>
#include <moat/x2apic.h>

#define VLAPIC_BITS_PER_WORD 32

static inline bool vlapic_x2apic_mode(const struct vlapic *apic)
{
	return (apic->base & (APIC_BASE_ENABLE | APIC_BASE_EXTD)) ==
	       (APIC_BASE_ENABLE | APIC_BASE_EXTD);
}

static inline bool vlapic_xapic_mode(const struct vlapic *apic)
{
	return (apic->base & (APIC_BASE_ENABLE | APIC_BASE_EXTD)) == APIC_BASE_ENABLE;
}

/* Globally enabled (IA32_APIC_BASE) and software-enabled (SVR, 11.4.7.2). */
static inline bool vlapic_enabled(const struct vlapic *apic)
{
	return (apic->base & APIC_BASE_ENABLE) && (apic->svr & APIC_SVR_ENABLE);
}

static inline bool vlapic_bit(const u32 *words, u8 vector)
{
	return __atomic_load_n(&words[vector / VLAPIC_BITS_PER_WORD], __ATOMIC_ACQUIRE) &
	       (1u << (vector % VLAPIC_BITS_PER_WORD));
}

/* A register access by offset in the xAPIC page (x2APIC MSRs are mapped onto it); false: the
 * access is refused (#GP for an MSR, dropped with ESR bit 7 for the page). */
bool vlapic_reg_read(struct vcpu *vcpu, u32 offset, u64 *value);
bool vlapic_reg_write(struct vcpu *vcpu, u32 offset, u64 value);

/* vlapic_ipi.c: sends what was written to the ICR. */
void vlapic_send(struct vcpu *sender, u64 icr);
/* The logical ID the APIC answers to in its mode. */
u32 vlapic_logical_id(const struct vcpu *vcpu);

/* vlapic_priority.c */
u32 vlapic_ppr(struct vcpu *vcpu);
void vlapic_eoi(struct vcpu *vcpu);
/* An interrupt from the APIC's own LVT entry (timer, error, ...), if unmasked. */
void vlapic_fire_lvt(struct vcpu *vcpu, enum vlapic_lvt lvt);
/* Records an error in the ESR and raises the error LVT (11.5.3). */
void vlapic_error(struct vcpu *vcpu, u32 esr_bit);

/* vlapic_timer.c */
void vlapic_timer_reset(struct vlapic *apic);
void vlapic_timer_write_lvt(struct vcpu *vcpu, u32 value);
void vlapic_timer_write_initial(struct vcpu *vcpu, u32 value);
void vlapic_timer_write_divide(struct vcpu *vcpu, u32 value);
u32 vlapic_timer_current(struct vcpu *vcpu);
bool vlapic_timer_read_deadline(struct vcpu *vcpu, u64 *value);
bool vlapic_timer_write_deadline(struct vcpu *vcpu, u64 value);

#endif
