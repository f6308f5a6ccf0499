// SPDX-License-Identifier: MIT
/* Interrupt routing inside a guest (include/moat/irq.h): a device's line drives an I/O APIC
 * pin; the pin's redirection entry (vmm/ioapic.c) names a vector and vCPUs of this guest.
 * Edge pins deliver on a rising edge, level pins while asserted and remote IRR is clear
 * (82093AA datasheet 3.2.4). Callers hold the guest's device_lock. */
#include <moat/ioapic.h>
#include <moat/irq.h>
#include <moat/vm.h>
#include <moat/x2apic.h>

#include "vlapic_internal.h"

/* xAPIC cluster model: cluster in bits 7:4, members in 3:0 (SDM Vol. 3 11.6.2.2). */
#define IRQ_XAPIC_CLUSTER_SHIFT 4
#define IRQ_XAPIC_CLUSTER_MEMBERS 0xfu

static bool irq_asserted(const struct ioapic *ioapic, u32 pin)
{
	bool high = ioapic->lines & (1u << pin);

	/* An active-low entry sees its line asserted while the device holds it low. */
	return high != !!(ioapic->rte[pin] & IOAPIC_RTE_ACTIVE_LOW);
}

/*
 * Does a destination name target? Physical: its APIC ID (the vCPU index), 0xFF all of them.
 * Logical: its local APIC's logical ID as vmm/vlapic.c keeps it. In xAPIC mode the LDR's
 * bits 31:24 in the flat or cluster model its DFR selects (SDM Vol. 3 11.6.2.2); in x2APIC
 * mode the 8 bits are the member bits of cluster 0 (11.12.10.2), as KVM reads them.
 */
static bool irq_logical_matches(u32 destination, const struct vcpu *target)
{
	u32 ldr = vlapic_logical_id(target);

	if (vlapic_x2apic_mode(&target->apic))
		return !(ldr >> X2APIC_LDR_CLUSTER_BITS) && (destination & ldr & X2APIC_LDR_MEMBERS);
	ldr >>= XAPIC_ID_SHIFT;
	if ((target->apic.dfr & XAPIC_DFR_MODEL_MASK) == XAPIC_DFR_FLAT)
		return destination & ldr;
	return (destination >> IRQ_XAPIC_CLUSTER_SHIFT) == (ldr >> IRQ_XAPIC_CLUSTER_SHIFT) &&
	       (destination & ldr & IRQ_XAPIC_CLUSTER_MEMBERS);
}

static bool irq_destination_matches(u64 rte, const struct vcpu *target)
{
	u32 destination = (u32)(rte >> IOAPIC_RTE_DEST_SHIFT);

	if (destination == IOAPIC_DEST_BROADCAST)
		return true;
	if (rte & IOAPIC_RTE_LOGICAL)
		return irq_logical_matches(destination, target);
	return destination == target->id;
}

/* Records one kind of undeliverable interrupt once per guest run, not once per interrupt. */
static void irq_audit_once(struct vm *vm, bool *audited, u32 pin, u64 rte, const char *detail)
{
	if (*audited || !vm->vcpu_count)
		return;
	*audited = true;
	vm_audit(&vm->vcpus[0], AUDIT_IPI, pin, rte, AUDIT_DROPPED, detail);
}

/* Sends pin's interrupt to the vCPUs its entry names; returns whether any accepted it. */
static bool irq_deliver(struct vm *vm, u32 pin)
{
	struct ioapic *ioapic = &vm->ioapic;
	u64 rte = ioapic->rte[pin];
	u32 mode = (rte >> IOAPIC_RTE_DELIVERY_SHIFT) & IOAPIC_RTE_DELIVERY_MASK;
	u8 vector = rte & IOAPIC_RTE_VECTOR;
	bool level = rte & IOAPIC_RTE_LEVEL, delivered = false;

	/* Fixed and lowest priority only: SMI, NMI, INIT and ExtINT (no 8259 behind it) are
	 * refused, as are the vectors below 16 a local APIC rejects (SDM Vol. 3 11.5.2). */
	if ((mode != IOAPIC_DELIVERY_FIXED && mode != IOAPIC_DELIVERY_LOWEST) ||
	    vector < X86_VECTOR_FIRST_INTERRUPT) {
		bool audited = ioapic->refused_audited & (1u << pin);

		irq_audit_once(vm, &audited, pin, rte, "ioapic-delivery-mode");
		if (audited)
			ioapic->refused_audited |= 1u << pin;
		return false;
	}
	for (u32 i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *target = &vm->vcpus[i];

		if (!irq_destination_matches(rte, target))
			continue;
		vlapic_accept_interrupt(target, vector, level);
		delivered = true;
		/* Lowest priority goes to one of them: the first is as good as any. */
		if (mode == IOAPIC_DELIVERY_LOWEST)
			break;
	}
	if (!delivered)
		irq_audit_once(vm, &ioapic->unrouted_audited, pin, rte, "ioapic-no-such-vcpu");
	return delivered;
}

/* A level pin asserted, unmasked and without remote IRR delivers and sets remote IRR. */
static void irq_level_check(struct vm *vm, u32 pin)
{
	struct ioapic *ioapic = &vm->ioapic;
	u64 rte = ioapic->rte[pin];

	if (!(rte & IOAPIC_RTE_LEVEL) || (rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)) ||
	    !irq_asserted(ioapic, pin))
		return;
	if (irq_deliver(vm, pin))
		ioapic->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
}

void irq_set_line(struct vm *vm, u32 pin, bool high)
{
	struct ioapic *ioapic = &vm->ioapic;
	bool was_asserted;
	u64 rte;

	if (pin >= IRQ_PIN_COUNT)
		return;
	was_asserted = irq_asserted(ioapic, pin);
	if (high)
		ioapic->lines |= 1u << pin;
	else
		ioapic->lines &= ~(1u << pin);
	rte = ioapic->rte[pin];
	if (rte & IOAPIC_RTE_LEVEL) {
		irq_level_check(vm, pin);
		return;
	}
	/* Edge: a rising edge while masked is lost, as on the 82093AA. */
	if (!was_asserted && irq_asserted(ioapic, pin) && !(rte & IOAPIC_RTE_MASKED))
		irq_deliver(vm, pin);
}

void ioapic_pin_update(struct vm *vm, u32 pin)
{
	if (pin < IRQ_PIN_COUNT)
		irq_level_check(vm, pin);
}

void ioapic_eoi(struct vm *vm, u8 vector)
{
	struct ioapic *ioapic = &vm->ioapic;

	for (u32 pin = 0; pin < IRQ_PIN_COUNT; pin++) {
		u64 rte = ioapic->rte[pin];

		if ((rte & IOAPIC_RTE_VECTOR) != vector || !(rte & IOAPIC_RTE_REMOTE_IRR))
			continue;
		ioapic->rte[pin] = rte & ~IOAPIC_RTE_REMOTE_IRR;
		/* Still asserted: the device wants service again. */
		irq_level_check(vm, pin);
	}
}
