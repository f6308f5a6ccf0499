// SPDX-License-Identifier: MIT
/* The guest's local APIC, in x2APIC mode only: its ID and the registers an OS touches to send
 * IPIs between its own vCPUs (SDM Vol. 3 11.12, Table 11-6). An IPI only ever reaches vCPUs
 * of the same guest; nothing is passed to a physical APIC. The xAPIC page is not mapped. */
#include <moat/exit.h>
#include <moat/irq.h>
#include <moat/vm.h>
#include <moat/x2apic.h>

/* IA32_APIC_BASE (SDM Vol. 3 11.4.4): the reset base, enabled, in x2APIC mode. */
#define APIC_BASE_DEFAULT 0xfee00000ULL
#define APIC_BASE_BSP BIT(8)
#define APIC_BASE_X2APIC BIT(10)
#define APIC_BASE_ENABLE BIT(11)

/* Version register: version 0x14, six LVT entries (max LVT entry 5 in bits 23:16). */
#define X2APIC_VERSION_VALUE 0x00050014u
#define X2APIC_SVR_RESET 0xffu /* SDM Vol. 3 11.9: spurious vector 0xFF, APIC software-disabled */
#define X2APIC_TPR_MASK 0xffu
#define X2APIC_SVR_WRITABLE 0x11ffu /* vector, APIC enable, EOI broadcast suppression */

/* Bits a guest may set in the ICR; the rest are reserved (SDM Vol. 3 Figure 11-28). */
#define ICR_WRITABLE 0xffffffff000ccfffULL

static u32 vlapic_ldr(u32 apic_id)
{
	return ((apic_id >> X2APIC_LDR_CLUSTER_SHIFT) << X2APIC_LDR_CLUSTER_BITS) |
	       (1u << (apic_id & ((1u << X2APIC_LDR_CLUSTER_SHIFT) - 1)));
}

static u64 vlapic_base(const struct vcpu *vcpu)
{
	return APIC_BASE_DEFAULT | APIC_BASE_ENABLE | APIC_BASE_X2APIC |
	       (vcpu->id == 0 ? APIC_BASE_BSP : 0);
}

bool vlapic_owns_msr(u32 index)
{
	return index == MSR_IA32_APIC_BASE || (index >= X2APIC_FIRST && index <= X2APIC_LAST);
}

bool vlapic_msr_read(struct vcpu *vcpu, u32 index, u64 *value)
{
	const struct vlapic *apic = &vcpu->apic;

	switch (index) {
	case MSR_IA32_APIC_BASE:
		*value = vlapic_base(vcpu);
		return true;
	case X2APIC_ID:
		*value = vcpu->id;
		return true;
	case X2APIC_VERSION:
		*value = X2APIC_VERSION_VALUE;
		return true;
	case X2APIC_TPR:
		*value = vcpu->vm->ops->read_state(vcpu, VCPU_TPR);
		return true;
	case X2APIC_PPR:
	case X2APIC_ESR:
		*value = 0;
		return true;
	case X2APIC_LDR:
		*value = vlapic_ldr(vcpu->id);
		return true;
	case X2APIC_SVR:
		*value = apic->svr;
		return true;
	case X2APIC_ICR:
		*value = apic->icr;
		return true;
	default:
		return false; /* write-only, reserved, or not emulated: #GP */
	}
}

/* Does the ICR's destination (without shorthand) name target? */
static bool vlapic_destination_matches(u64 icr, const struct vcpu *target)
{
	u32 destination = (u32)(icr >> ICR_DESTINATION_SHIFT);
	u32 ldr = vlapic_ldr(target->id);

	if (destination == ICR_BROADCAST)
		return true;
	if (icr & ICR_LOGICAL) /* the same cluster, and the target's member bit set */
		return (destination >> X2APIC_LDR_CLUSTER_BITS) == (ldr >> X2APIC_LDR_CLUSTER_BITS) &&
		       (destination & ldr & X2APIC_LDR_MEMBERS);
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
		return vlapic_destination_matches(icr, target);
	}
}

static void vlapic_deliver(struct vcpu *target, u32 mode, u8 vector, u64 icr)
{
	switch (mode) {
	case ICR_DELIVERY_FIXED:
	case ICR_DELIVERY_LOWEST:
		vlapic_accept_interrupt(target, vector, false);
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

/* Sends the IPI the guest wrote; what Moat does not deliver is audited and dropped. */
static void vlapic_send(struct vcpu *sender, u64 icr)
{
	struct vm *vm = sender->vm;
	u32 mode = (icr >> ICR_DELIVERY_SHIFT) & ICR_DELIVERY_MASK;
	u8 vector = icr & ICR_VECTOR_MASK;
	bool fixed = mode == ICR_DELIVERY_FIXED || mode == ICR_DELIVERY_LOWEST;
	u32 delivered = 0;

	if (!fixed && mode != ICR_DELIVERY_INIT && mode != ICR_DELIVERY_STARTUP) {
		vm_audit(sender, AUDIT_IPI, icr >> ICR_DESTINATION_SHIFT, icr, AUDIT_DROPPED,
			 "delivery-mode");
		return;
	}
	if (fixed && vector < X86_VECTOR_FIRST_INTERRUPT) {
		vm_audit(sender, AUDIT_IPI, icr >> ICR_DESTINATION_SHIFT, icr, AUDIT_DROPPED,
			 "illegal-vector");
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
	if (!delivered && ((icr >> ICR_SHORTHAND_SHIFT) & ICR_SHORTHAND_MASK) == ICR_SHORTHAND_NONE &&
	    (u32)(icr >> ICR_DESTINATION_SHIFT) != ICR_BROADCAST)
		vm_audit(sender, AUDIT_IPI, icr >> ICR_DESTINATION_SHIFT, icr, AUDIT_DROPPED,
			 "no-such-vcpu");
}

bool vlapic_msr_write(struct vcpu *vcpu, u32 index, u64 value)
{
	struct vlapic *apic = &vcpu->apic;

	switch (index) {
	case MSR_IA32_APIC_BASE:
		/* Moving, disabling or leaving x2APIC mode is not offered. */
		return value == vlapic_base(vcpu);
	case X2APIC_TPR:
		if (value & ~(u64)X2APIC_TPR_MASK)
			return false;
		vcpu->vm->ops->write_state(vcpu, VCPU_TPR, value);
		return true;
	case X2APIC_EOI:
	case X2APIC_ESR:
		return value == 0; /* non-zero writes #GP in x2APIC mode (11.12.1.2) */
	case X2APIC_SVR:
		if (value & ~(u64)X2APIC_SVR_WRITABLE)
			return false;
		apic->svr = (u32)value;
		return true;
	case X2APIC_ICR:
		if (value & ~ICR_WRITABLE)
			return false;
		apic->icr = value;
		vlapic_send(vcpu, value);
		return true;
	case X2APIC_SELF_IPI:
		if (value & ~(u64)ICR_VECTOR_MASK)
			return false;
		vlapic_send(vcpu, (u64)ICR_SHORTHAND_SELF << ICR_SHORTHAND_SHIFT | value);
		return true;
	default:
		return false;
	}
}

void vlapic_reset(struct vlapic *apic)
{
	/* Other CPUs set request bits without the lock: clear them the same way. */
	for (u32 i = 0; i < VLAPIC_VECTOR_WORDS; i++)
		__atomic_store_n(&apic->irr[i], 0, __ATOMIC_RELEASE);
	__atomic_store_n(&apic->pending, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&apic->kicked, 0, __ATOMIC_RELEASE);
	/* The TPR (CR8) is reset with the vCPU's registers, by the vendor's vcpu_reset. */
	apic->svr = X2APIC_SVR_RESET;
	apic->icr = 0;
}

/* Until the TMR and EOI broadcast exist, every vector is taken as edge-triggered. */
void vlapic_accept_interrupt(struct vcpu *target, u8 vector, bool level_triggered)
{
	vcpu_post_interrupt(target, vector);
}
