// SPDX-License-Identifier: MIT
/* Interrupt priorities in the guest's local APIC (SDM Vol. 3 11.8): vectors requested in the
 * IRR (by any CPU), in service in the ISR, level-triggered ones in the TMR; the processor
 * priority from the TPR and the ISR; EOI, broadcast to the I/O APIC for level-triggered
 * vectors; the LVT interrupts and the error status of the APIC itself. */
#include <moat/irq.h>

#include "vlapic_internal.h"

/* The highest vector set in words, or -1; words may be changed by other CPUs meanwhile. */
static int vlapic_highest(const u32 *words)
{
	for (int i = VLAPIC_VECTOR_WORDS - 1; i >= 0; i--) {
		u32 word = __atomic_load_n(&words[i], __ATOMIC_ACQUIRE);

		if (word)
			return i * VLAPIC_BITS_PER_WORD + (VLAPIC_BITS_PER_WORD - 1 - __builtin_clz(word));
	}
	return -1;
}

static void vlapic_set_bit(u32 *words, u8 vector)
{
	__atomic_fetch_or(&words[vector / VLAPIC_BITS_PER_WORD],
			  1u << (vector % VLAPIC_BITS_PER_WORD), __ATOMIC_RELEASE);
}

static void vlapic_clear_bit(u32 *words, u8 vector)
{
	__atomic_fetch_and(&words[vector / VLAPIC_BITS_PER_WORD],
			   ~(1u << (vector % VLAPIC_BITS_PER_WORD)), __ATOMIC_RELEASE);
}

bool vlapic_has_request(const struct vlapic *apic)
{
	return vlapic_highest(apic->irr) >= 0;
}

/* 11.8.3.1: PPR = TPR when TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with a zero sub-class. */
u32 vlapic_ppr(struct vcpu *vcpu)
{
	u32 tpr = (u32)vcpu->vm->ops->read_state(vcpu, VCPU_TPR) & APIC_TPR_MASK;
	int isrv = vlapic_highest(vcpu->apic.isr);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & APIC_PRIORITY_CLASS_MASK;

	return (tpr & APIC_PRIORITY_CLASS_MASK) >= isr_class ? tpr : isr_class;
}

int vlapic_next_vector(struct vcpu *vcpu)
{
	int request = vlapic_highest(vcpu->apic.irr);

	/* 11.8.3: delivered only when its class is above the processor priority's class. */
	if (request < 0 ||
	    ((u32)request & APIC_PRIORITY_CLASS_MASK) <= (vlapic_ppr(vcpu) & APIC_PRIORITY_CLASS_MASK))
		return -1;
	return request;
}

void vlapic_start_service(struct vcpu *vcpu, u8 vector)
{
	vlapic_clear_bit(vcpu->apic.irr, vector);
	vlapic_set_bit(vcpu->apic.isr, vector);
}

/* 11.8.5: EOI ends the highest vector in service; a level-triggered one is broadcast to the
 * I/O APIC (this model offers no broadcast suppression: the version register says so). */
void vlapic_eoi(struct vcpu *vcpu)
{
	struct vlapic *apic = &vcpu->apic;
	int vector = vlapic_highest(apic->isr);

	if (vector < 0)
		return; /* nothing in service: ignored */
	vlapic_clear_bit(apic->isr, (u8)vector);
	if (vlapic_bit(apic->tmr, (u8)vector))
		ioapic_eoi(vcpu->vm, (u8)vector);
	/* The priority dropped: a vector held back by it may be delivered now. */
	if (vlapic_has_request(apic))
		__atomic_store_n(&apic->pending, 1, __ATOMIC_RELEASE);
}

/*
 * From the I/O APIC or an IPI. A globally or software-disabled APIC accepts no fixed
 * interrupt (11.4.7.2: only INIT, SIPI, NMI and SMI, which do not come this way); a vector
 * below 16 is an illegal one the APIC refuses (11.5.3). The TMR records the trigger mode
 * (11.8.4) so that the EOI is broadcast for level-triggered vectors.
 */
void vlapic_accept_interrupt(struct vcpu *target, u8 vector, bool level_triggered)
{
	struct vlapic *apic = &target->apic;

	if (!(__atomic_load_n(&apic->base, __ATOMIC_ACQUIRE) & APIC_BASE_ENABLE) ||
	    !(__atomic_load_n(&apic->svr, __ATOMIC_ACQUIRE) & APIC_SVR_ENABLE))
		return;
	if (vector < X86_VECTOR_FIRST_INTERRUPT) {
		__atomic_fetch_or(&apic->esr_pending, APIC_ESR_RECEIVE_ILLEGAL_VECTOR,
				  __ATOMIC_RELEASE);
		return;
	}
	if (level_triggered)
		vlapic_set_bit(apic->tmr, vector);
	else
		vlapic_clear_bit(apic->tmr, vector);
	vcpu_post_interrupt(target, vector);
}

void vlapic_fire_lvt(struct vcpu *vcpu, enum vlapic_lvt lvt)
{
	u32 entry = vcpu->apic.lvt[lvt];
	u8 vector = entry & APIC_LVT_VECTOR_MASK;

	if (entry & APIC_LVT_MASKED)
		return;
	if (vector < X86_VECTOR_FIRST_INTERRUPT) {
		if (lvt != VLAPIC_LVT_ERROR) /* no error loop from an illegal error vector */
			vlapic_error(vcpu, APIC_ESR_RECEIVE_ILLEGAL_VECTOR);
		return;
	}
	vlapic_accept_interrupt(vcpu, vector, false);
}

void vlapic_error(struct vcpu *vcpu, u32 esr_bit)
{
	__atomic_fetch_or(&vcpu->apic.esr_pending, esr_bit, __ATOMIC_RELEASE);
	vlapic_fire_lvt(vcpu, VLAPIC_LVT_ERROR);
}
