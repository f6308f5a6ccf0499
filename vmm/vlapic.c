// SPDX-License-Identifier: MIT
/* The guest's local APIC registers (SDM Vol. 3 11.4-11.9, 11.12): one model behind the
 * xAPIC page (vlapic_xapic.c) and the x2APIC MSRs, with the differences 11.12.1.2 lists, and
 * IA32_APIC_BASE with the mode transitions of 11.12.5. Nothing written here reaches a
 * physical APIC or another guest. */
#include <moat/exit.h>
#include <moat/irq.h>
#include <moat/platform.h>

#include "vlapic_internal.h"

/* Version register: version 0x14, six LVT entries (max LVT entry 5 in bits 23:16), no EOI
 * broadcast suppression (bit 24 clear): every level-triggered EOI reaches the I/O APIC. */
#define VLAPIC_VERSION_VALUE 0x00050014u
#define VLAPIC_SVR_RESET 0xffu /* 11.9: spurious vector 0xFF, APIC software-disabled */
/* Focus checking (bit 9) is reserved in x2APIC mode; EOI suppression (12) is not offered. */
#define VLAPIC_SVR_WRITABLE (APIC_SVR_VECTOR_MASK | APIC_SVR_ENABLE)
/* Bits a guest may set in the ICR; the rest are reserved (Figure 11-28). */
#define VLAPIC_ICR_WRITABLE 0xffffffff000ccfffULL
#define VLAPIC_ICR_LOW_MASK 0xffffffffULL
/* The x2APIC's 32-bit registers: a write with bits 63:32 set is a #GP (11.12.1.2). */
#define VLAPIC_REG32_MASK 0xffffffffULL
/*
 * Reset mode. The SDM's reset state is xAPIC mode; Moat's vCPUs start in x2APIC mode, as
 * Moat's test guests and earlier versions expect (docs/guest-interface.md "Local APIC"), and
 * may leave it through the disabled state for xAPIC mode as on hardware.
 */
#define VLAPIC_BASE_RESET (PLATFORM_LAPIC_BASE | APIC_BASE_ENABLE | APIC_BASE_EXTD)
/* Bits a write to IA32_APIC_BASE may set; BSP is read-only here (kept per vCPU). */
#define VLAPIC_BASE_WRITABLE (APIC_BASE_ADDRESS_MASK | APIC_BASE_ENABLE | APIC_BASE_EXTD)

static const u32 vlapic_lvt_writable[VLAPIC_LVT_COUNT] = {
	[VLAPIC_LVT_TIMER] = APIC_LVT_TIMER_WRITABLE,
	[VLAPIC_LVT_THERMAL] = APIC_LVT_LOCAL_WRITABLE,
	[VLAPIC_LVT_PERF] = APIC_LVT_LOCAL_WRITABLE,
	[VLAPIC_LVT_LINT0] = APIC_LVT_LINT_WRITABLE,
	[VLAPIC_LVT_LINT1] = APIC_LVT_LINT_WRITABLE,
	[VLAPIC_LVT_ERROR] = APIC_LVT_ERROR_WRITABLE,
};

/* x2APIC logical ID (11.12.10.2): cluster ID >> 4 in bits 31:16, bit ID & 15 below. */
static u32 vlapic_x2apic_ldr(u32 apic_id)
{
	return ((apic_id >> X2APIC_LDR_CLUSTER_SHIFT) << X2APIC_LDR_CLUSTER_BITS) |
	       (1u << (apic_id & ((1u << X2APIC_LDR_CLUSTER_SHIFT) - 1)));
}

u32 vlapic_logical_id(const struct vcpu *vcpu)
{
	return vlapic_x2apic_mode(&vcpu->apic) ? vlapic_x2apic_ldr(vcpu->id) : vcpu->apic.ldr;
}

static u64 vlapic_base_value(const struct vcpu *vcpu)
{
	return vcpu->apic.base | (vcpu->id == 0 ? APIC_BASE_BSP : 0);
}

/* ISR, TMR or IRR register n of the 8, as the guest reads it. */
static u32 vlapic_vector_reg(const u32 *words, u32 n)
{
	return __atomic_load_n(&words[n], __ATOMIC_ACQUIRE);
}

static int vlapic_lvt_of(u32 offset)
{
	switch (offset) {
	case APIC_REG_LVT_TIMER:
		return VLAPIC_LVT_TIMER;
	case APIC_REG_LVT_THERMAL:
		return VLAPIC_LVT_THERMAL;
	case APIC_REG_LVT_PERF:
		return VLAPIC_LVT_PERF;
	case APIC_REG_LVT_LINT0:
		return VLAPIC_LVT_LINT0;
	case APIC_REG_LVT_LINT1:
		return VLAPIC_LVT_LINT1;
	case APIC_REG_LVT_ERROR:
		return VLAPIC_LVT_ERROR;
	default:
		return -1;
	}
}

bool vlapic_reg_read(struct vcpu *vcpu, u32 offset, u64 *value)
{
	const struct vlapic *apic = &vcpu->apic;
	bool x2apic = vlapic_x2apic_mode(apic);
	int lvt = vlapic_lvt_of(offset);

	if (lvt >= 0) {
		*value = apic->lvt[lvt];
		return true;
	}
	if (offset >= APIC_REG_ISR && offset < APIC_REG_ESR) {
		u32 n = ((offset - APIC_REG_ISR) >> APIC_REG_SHIFT) % APIC_VECTOR_REG_COUNT;
		const u32 *words = offset < APIC_REG_TMR ? apic->isr
				   : offset < APIC_REG_IRR ? apic->tmr
							   : apic->irr;

		*value = vlapic_vector_reg(words, n);
		return true;
	}
	switch (offset) {
	case APIC_REG_ID:
		*value = x2apic ? vcpu->id : vcpu->id << XAPIC_ID_SHIFT;
		return true;
	case APIC_REG_VERSION:
		*value = VLAPIC_VERSION_VALUE;
		return true;
	case APIC_REG_TPR:
		*value = vcpu->vm->ops->read_state(vcpu, VCPU_TPR);
		return true;
	case APIC_REG_PPR:
		*value = vlapic_ppr(vcpu);
		return true;
	case APIC_REG_APR:
	case APIC_REG_RRD:
		*value = 0; /* no arbitration, no remote reads (11.6.3): reserved in x2APIC */
		return !x2apic;
	case APIC_REG_LDR:
		*value = vlapic_logical_id(vcpu);
		return true;
	case APIC_REG_DFR:
		*value = apic->dfr;
		return !x2apic; /* no DFR in x2APIC mode (11.12.10.1) */
	case APIC_REG_SVR:
		*value = apic->svr;
		return true;
	case APIC_REG_ESR:
		*value = apic->esr;
		return true;
	case APIC_REG_ICR_LOW:
		*value = x2apic ? apic->icr : apic->icr & VLAPIC_ICR_LOW_MASK;
		return true;
	case APIC_REG_ICR_HIGH:
		*value = apic->icr >> ICR_DESTINATION_SHIFT;
		return !x2apic; /* MSR 0x831 does not exist: the ICR is one 64-bit MSR */
	case APIC_REG_TIMER_INITIAL:
		*value = apic->timer.initial;
		return true;
	case APIC_REG_TIMER_CURRENT:
		*value = vlapic_timer_current(vcpu);
		return true;
	case APIC_REG_TIMER_DIVIDE:
		*value = apic->timer.divide;
		return true;
	default:
		return false; /* write-only (EOI, SELF IPI) or reserved */
	}
}

/* 11.4.7.2: while software-disabled every LVT stays masked. */
static u32 vlapic_lvt_value(const struct vlapic *apic, enum vlapic_lvt lvt, u32 value)
{
	value &= vlapic_lvt_writable[lvt];
	if (!(apic->svr & APIC_SVR_ENABLE))
		value |= APIC_LVT_MASKED;
	return value;
}

static bool vlapic_write_svr(struct vcpu *vcpu, u64 value)
{
	struct vlapic *apic = &vcpu->apic;

	if (value & ~(u64)VLAPIC_SVR_WRITABLE) {
		if (vlapic_x2apic_mode(apic))
			return false;
		value &= VLAPIC_SVR_WRITABLE;
	}
	apic->svr = (u32)value;
	if (!(value & APIC_SVR_ENABLE)) /* software disable masks every LVT (11.4.7.2) */
		for (u32 i = 0; i < VLAPIC_LVT_COUNT; i++)
			apic->lvt[i] |= APIC_LVT_MASKED;
	return true;
}

static bool vlapic_write_lvt(struct vcpu *vcpu, enum vlapic_lvt lvt, u64 value)
{
	struct vlapic *apic = &vcpu->apic;
	u32 kept = vlapic_lvt_value(apic, lvt, (u32)value);

	if (lvt == VLAPIC_LVT_TIMER) {
		u32 mode = (kept & APIC_LVT_TIMER_MODE_MASK) >> APIC_LVT_TIMER_MODE_SHIFT;

		if (mode > APIC_TIMER_TSC_DEADLINE) /* 11b is reserved: refused, nothing kept */
			return !vlapic_x2apic_mode(apic);
		vlapic_timer_write_lvt(vcpu, kept);
		return true;
	}
	apic->lvt[lvt] = kept;
	return true;
}

bool vlapic_reg_write(struct vcpu *vcpu, u32 offset, u64 value)
{
	struct vlapic *apic = &vcpu->apic;
	bool x2apic = vlapic_x2apic_mode(apic);
	int lvt = vlapic_lvt_of(offset);

	if (x2apic && offset != APIC_REG_ICR_LOW && (value & ~VLAPIC_REG32_MASK))
		return false;
	if (lvt >= 0)
		return vlapic_write_lvt(vcpu, (enum vlapic_lvt)lvt, value);
	switch (offset) {
	case APIC_REG_ID:
		return !x2apic; /* read-only in x2APIC mode; the xAPIC ID keeps the vCPU number */
	case APIC_REG_TPR:
		if (value & ~(u64)APIC_TPR_MASK) {
			if (x2apic)
				return false;
			value &= APIC_TPR_MASK;
		}
		vcpu->vm->ops->write_state(vcpu, VCPU_TPR, value);
		return true;
	case APIC_REG_EOI:
		if (x2apic && value) /* a non-zero EOI write #GPs in x2APIC mode (11.12.1.2) */
			return false;
		vlapic_eoi(vcpu);
		return true;
	case APIC_REG_LDR:
		if (x2apic)
			return false; /* read-only in x2APIC mode */
		apic->ldr = (u32)value & XAPIC_LDR_MASK;
		return true;
	case APIC_REG_DFR:
		if (x2apic)
			return false;
		apic->dfr = ((u32)value & XAPIC_DFR_MODEL_MASK) | ~XAPIC_DFR_MODEL_MASK;
		return true;
	case APIC_REG_SVR:
		return vlapic_write_svr(vcpu, value);
	case APIC_REG_ESR:
		if (x2apic && value)
			return false;
		/* A write latches the errors since the last one (11.5.3). */
		apic->esr = __atomic_exchange_n(&apic->esr_pending, 0, __ATOMIC_ACQ_REL);
		return true;
	case APIC_REG_ICR_LOW:
		if (x2apic) {
			if (value & ~VLAPIC_ICR_WRITABLE)
				return false;
			apic->icr = value;
		} else {
			apic->icr = (apic->icr & ~VLAPIC_ICR_LOW_MASK) |
				    ((u32)value & VLAPIC_ICR_WRITABLE);
		}
		vlapic_send(vcpu, apic->icr);
		return true;
	case APIC_REG_ICR_HIGH:
		if (x2apic)
			return false;
		apic->icr = (apic->icr & VLAPIC_ICR_LOW_MASK) |
			    ((u64)((u32)value & ((u32)XAPIC_BROADCAST << XAPIC_DESTINATION_SHIFT))
			     << ICR_DESTINATION_SHIFT);
		return true;
	case APIC_REG_TIMER_INITIAL:
		vlapic_timer_write_initial(vcpu, (u32)value);
		return true;
	case APIC_REG_TIMER_DIVIDE:
		if (x2apic && (value & ~(u64)APIC_TIMER_DIVIDE_WRITABLE))
			return false;
		vlapic_timer_write_divide(vcpu, (u32)value & APIC_TIMER_DIVIDE_WRITABLE);
		return true;
	case APIC_REG_SELF_IPI:
		if (!x2apic || (value & ~(u64)ICR_VECTOR_MASK))
			return false; /* SELF IPI exists only in x2APIC mode (11.12.11) */
		vlapic_send(vcpu, (u64)ICR_SHORTHAND_SELF << ICR_SHORTHAND_SHIFT | value);
		return true;
	default:
		return false; /* read-only (version, PPR, ISR/TMR/IRR, current count) or reserved */
	}
}

/*
 * IA32_APIC_BASE writes (11.4.4, 11.12.5 and Figure 11-27): xAPIC <-> disabled, disabled ->
 * xAPIC, xAPIC -> x2APIC and x2APIC -> disabled; x2APIC -> xAPIC, disabled -> x2APIC and
 * EXTD without EN (invalid) #GP, as do reserved bits. The base stays at PLATFORM_LAPIC_BASE:
 * moving the page is refused with #GP (docs/guest-interface.md).
 */
static bool vlapic_write_base(struct vcpu *vcpu, u64 value)
{
	struct vlapic *apic = &vcpu->apic;
	u64 old_mode = apic->base & (APIC_BASE_ENABLE | APIC_BASE_EXTD);
	u64 mode = value & (APIC_BASE_ENABLE | APIC_BASE_EXTD);

	value &= ~(u64)APIC_BASE_BSP;
	if ((value & ~VLAPIC_BASE_WRITABLE) ||
	    (value & APIC_BASE_ADDRESS_MASK) != PLATFORM_LAPIC_BASE || mode == APIC_BASE_EXTD)
		return false;
	if (old_mode == (APIC_BASE_ENABLE | APIC_BASE_EXTD) && mode == APIC_BASE_ENABLE)
		return false;
	if (!old_mode && mode == (APIC_BASE_ENABLE | APIC_BASE_EXTD))
		return false;
	apic->base = value;
	if (!mode && old_mode) {
		/* A disabled APIC is as one without an APIC; enabling it again finds the reset
		 * state (11.4.3). */
		vlapic_reset(apic);
	} else if (mode == APIC_BASE_ENABLE && !old_mode) {
		apic->ldr = 0;
		apic->dfr = XAPIC_DFR_RESET;
	}
	return true;
}

bool vlapic_owns_msr(u32 index)
{
	return index == MSR_IA32_APIC_BASE || index == MSR_IA32_TSC_DEADLINE ||
	       (index >= X2APIC_FIRST && index <= X2APIC_LAST);
}

bool vlapic_msr_read(struct vcpu *vcpu, u32 index, u64 *value)
{
	if (index == MSR_IA32_APIC_BASE) {
		*value = vlapic_base_value(vcpu);
		return true;
	}
	if (index == MSR_IA32_TSC_DEADLINE)
		return vlapic_timer_read_deadline(vcpu, value);
	/* The x2APIC MSRs exist only in x2APIC mode (11.12.1.2). */
	if (!vlapic_x2apic_mode(&vcpu->apic))
		return false;
	return vlapic_reg_read(vcpu, (index - X2APIC_FIRST) << APIC_REG_SHIFT, value);
}

bool vlapic_msr_write(struct vcpu *vcpu, u32 index, u64 value)
{
	if (index == MSR_IA32_APIC_BASE)
		return vlapic_write_base(vcpu, value);
	if (index == MSR_IA32_TSC_DEADLINE)
		return vlapic_timer_write_deadline(vcpu, value);
	if (!vlapic_x2apic_mode(&vcpu->apic))
		return false;
	return vlapic_reg_write(vcpu, (index - X2APIC_FIRST) << APIC_REG_SHIFT, value);
}

void vlapic_reset(struct vlapic *apic)
{
	/* Other CPUs set request bits without the lock: clear them the same way. */
	for (u32 i = 0; i < VLAPIC_VECTOR_WORDS; i++) {
		__atomic_store_n(&apic->irr[i], 0, __ATOMIC_RELEASE);
		__atomic_store_n(&apic->tmr[i], 0, __ATOMIC_RELEASE);
		apic->isr[i] = 0;
	}
	__atomic_store_n(&apic->pending, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&apic->kicked, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&apic->esr_pending, 0, __ATOMIC_RELEASE);
	/* The TPR (CR8) is reset with the vCPU's registers, by the vendor's vcpu_reset. INIT
	 * keeps IA32_APIC_BASE and the mode (11.4.7.3, 11.12.5.1). */
	apic->svr = VLAPIC_SVR_RESET;
	apic->icr = 0;
	apic->esr = 0;
	apic->ldr = 0;
	apic->dfr = XAPIC_DFR_RESET;
	for (u32 i = 0; i < VLAPIC_LVT_COUNT; i++)
		apic->lvt[i] = APIC_LVT_MASKED;
	vlapic_timer_reset(apic);
}

void vlapic_create(struct vcpu *vcpu)
{
	vcpu->apic.base = VLAPIC_BASE_RESET;
	vlapic_reset(&vcpu->apic);
}
