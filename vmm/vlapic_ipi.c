// SPDX-License-Identifier: MIT
/* IPIs a guest sends through its local APIC's ICR (SDM Vol. 3 11.6): destinations in xAPIC
 * form (8-bit IDs, flat and cluster logical mode) or x2APIC form (32-bit IDs, clusters of 16),
 * shorthands, and the delivery modes Moat offers (fixed, lowest priority as fixed, INIT,
 * start-up). An IPI only ever reaches vCPUs of the same guest; nothing is passed to a physical
 * APIC; what is dropped is audited. */
#include <moat/exit.h>
#include <moat/irq.h>

#include "vlapic_internal.h"

#define XAPIC_CLUSTER_SHIFT 4 /* xAPIC cluster model: cluster in bits 7:4, members in 3:0 */
#define XAPIC_CLUSTER_MEMBERS 0xfu

/* Does a logical destination in the sender's format name target (11.6.2.2, 11.12.10.2)? */
static bool vlapic_logical_matches(bool x2apic, u32 destination, const struct vcpu *target)
{
	u32 ldr = vlapic_logical_id(target);

	if (x2apic)
		return (destination >> X2APIC_LDR_CLUSTER_BITS) == (ldr >> X2APIC_LDR_CLUSTER_BITS) &&
		       (destination & ldr & X2APIC_LDR_MEMBERS);
	ldr >>= XAPIC_ID_SHIFT;
	if (destination == XAPIC_BROADCAST)
		return true;
	if ((target->apic.dfr & XAPIC_DFR_MODEL_MASK) == XAPIC_DFR_FLAT)
		return destination & ldr;
	return (destination >> XAPIC_CLUSTER_SHIFT) == (ldr >> XAPIC_CLUSTER_SHIFT) &&
	       (destination & ldr & XAPIC_CLUSTER_MEMBERS);
}

/* Does the ICR's destination (without shorthand) name target? */
static bool vlapic_destination_matches(const struct vcpu *sender, u64 icr,
				       const struct vcpu *target)
{
	bool x2apic = vlapic_x2apic_mode(&sender->apic);
	u32 destination = (u32)(icr >> ICR_DESTINATION_SHIFT);

	if (!x2apic)
		destination >>= XAPIC_DESTINATION_SHIFT;
	if (destination == (x2apic ? ICR_BROADCAST : XAPIC_BROADCAST))
		return true;
	if (icr & ICR_LOGICAL)
		return vlapic_logical_matches(x2apic, destination, target);
	return destination == target->id;
}

static bool vlapic_targets(u64 icr, const struct vcpu *sender, const struct vcpu *target)
{
	switch ((icr >> ICR_SHORTHAND_SHIFT) & ICR_SHORTHAND_MASK) {
	case ICR_SHORTHAND_SELF:
		return target == sender;
	case ICR_SHORTHAND_ALL:
		return true;
	case ICR_SHORTHAND_OTHERS:
		return target != sender;
	default:
		return vlapic_destination_matches(sender, icr, target);
	}
}

static void vlapic_deliver(struct vcpu *target, u32 mode, u8 vector, u64 icr)
{
	/* A globally disabled APIC takes nothing, INIT and SIPI included (11.4.3). */
	if (!(__atomic_load_n(&target->apic.base, __ATOMIC_ACQUIRE) & APIC_BASE_ENABLE))
		return;
	switch (mode) {
	case ICR_DELIVERY_FIXED:
	case ICR_DELIVERY_LOWEST:
		vlapic_accept_interrupt(target, vector, icr & ICR_TRIGGER_LEVEL);
		break;
	case ICR_DELIVERY_INIT:
		/* INIT level de-assert only synchronises arbitration IDs: nothing to do. */
		if ((icr & ICR_LEVEL_ASSERT) || !(icr & ICR_TRIGGER_LEVEL))
			vcpu_post_init(target);
		break;
	case ICR_DELIVERY_STARTUP:
		vcpu_post_sipi(target, vector);
		break;
	}
}

/* The destination as audit records show it: the 8-bit xAPIC one or the 32-bit x2APIC one. */
static u64 vlapic_audit_destination(const struct vcpu *sender, u64 icr)
{
	u32 destination = (u32)(icr >> ICR_DESTINATION_SHIFT);

	return vlapic_x2apic_mode(&sender->apic) ? destination
						 : destination >> XAPIC_DESTINATION_SHIFT;
}

void vlapic_send(struct vcpu *sender, u64 icr)
{
	struct vm *vm = sender->vm;
	u32 mode = (icr >> ICR_DELIVERY_SHIFT) & ICR_DELIVERY_MASK;
	u8 vector = icr & ICR_VECTOR_MASK;
	bool fixed = mode == ICR_DELIVERY_FIXED || mode == ICR_DELIVERY_LOWEST;
	u64 destination = vlapic_audit_destination(sender, icr);
	u32 delivered = 0;

	if (!fixed && mode != ICR_DELIVERY_INIT && mode != ICR_DELIVERY_STARTUP) {
		vm_audit(sender, AUDIT_IPI, destination, icr, AUDIT_DROPPED, "delivery-mode");
		return;
	}
	if (fixed && vector < X86_VECTOR_FIRST_INTERRUPT) {
		vm_audit(sender, AUDIT_IPI, destination, icr, AUDIT_DROPPED, "illegal-vector");
		vlapic_error(sender, APIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	for (u32 i = 0; i < vm->vcpu_count; i++) {
		if (!vlapic_targets(icr, sender, &vm->vcpus[i]))
			continue;
		vlapic_deliver(&vm->vcpus[i], mode, vector, icr);
		delivered++;
	}
	/* A destination naming no vCPU (a physical ID or another guest's CPU) is the one worth
	 * recording; a broadcast to a guest with one vCPU legitimately reaches nobody. */
	if (!delivered && ((icr >> ICR_SHORTHAND_SHIFT) & ICR_SHORTHAND_MASK) == ICR_SHORTHAND_NONE)
		vm_audit(sender, AUDIT_IPI, destination, icr, AUDIT_DROPPED, "no-such-vcpu");
}
