// SPDX-License-Identifier: MIT
/* The local APIC timer (SDM Vol. 3 11.5.4): one-shot, periodic and TSC-deadline modes. The
 * timer's input clock is a 1 GHz bus clock (as KVM's), divided by the divide configuration;
 * deadlines are kept in the vCPU's TSC terms (host TSC + vcpu_tsc_offset: its guest's offset
 * and its own IA32_TSC writes) and fired by the scheduler on the vCPU's own CPU
 * (vlapic_timer_expire), whose host timer is armed for them. */
#include <moat/vlapic.h>

#include "vlapic_internal.h"

#define VLAPIC_TIMER_KHZ 1000000ULL /* counts per ms of the timer's input clock */
/* A periodic timer shorter than this runs at this period: the host timer must not be made to
 * fire without end (KVM has the same floor). */
#define VLAPIC_TIMER_MIN_PERIOD_US 100
#define US_PER_MS 1000

static u64 vlapic_guest_tsc(const struct vcpu *vcpu, u64 host)
{
	return host + vcpu_tsc_offset(vcpu);
}

static u32 vlapic_timer_mode(const struct vlapic *apic)
{
	return (apic->lvt[VLAPIC_LVT_TIMER] & APIC_LVT_TIMER_MODE_MASK) >> APIC_LVT_TIMER_MODE_SHIFT;
}

/* The divide configuration as a divisor: code (bit 3 << 2 | bits 1:0) + 1 is the power of 2,
 * 0b111 (register 0b1011) dividing by 1 (Figure 11-10). */
static u64 vlapic_timer_divisor(const struct vlapic *apic)
{
	u32 d = apic->timer.divide;
	u32 code = ((d & APIC_TIMER_DIVIDE_HIGH_BIT) >> APIC_TIMER_DIVIDE_HIGH_SHIFT) |
		   (d & APIC_TIMER_DIVIDE_LOW_MASK);

	return 1ULL << ((code + 1) & APIC_TIMER_DIVIDE_CODE_MASK);
}

/* TSC ticks of count timer counts: count * divisor < 2^39, tsc_per_ms < 2^24. */
static u64 vlapic_counts_to_tsc(const struct vcpu *vcpu, u64 counts)
{
	u64 ticks = counts * vlapic_timer_divisor(&vcpu->apic) * vcpu->vm->tsc_per_ms /
		    VLAPIC_TIMER_KHZ;

	return ticks ? ticks : 1;
}

static u64 vlapic_tsc_to_counts(const struct vcpu *vcpu, u64 ticks)
{
	u64 per_ms = vcpu->vm->tsc_per_ms ? vcpu->vm->tsc_per_ms : 1;
	u64 counts = ticks / per_ms * VLAPIC_TIMER_KHZ + ticks % per_ms * VLAPIC_TIMER_KHZ / per_ms;

	return counts / vlapic_timer_divisor(&vcpu->apic);
}

void vlapic_timer_reset(struct vlapic *apic)
{
	apic->timer.armed = false;
	apic->timer.deadline = 0;
	apic->timer.period = 0;
	apic->timer.initial = 0;
	apic->timer.divide = 0;
}

/* Arms at guest TSC deadline; one already past fires at once. */
static void vlapic_timer_arm(struct vcpu *vcpu, u64 deadline)
{
	vcpu->apic.timer.deadline = deadline;
	__atomic_store_n(&vcpu->apic.timer.armed, true, __ATOMIC_RELEASE);
	vlapic_timer_expire(vcpu, x86_rdtsc());
}

static void vlapic_timer_stop(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->apic.timer.armed, false, __ATOMIC_RELEASE);
}

void vlapic_timer_write_lvt(struct vcpu *vcpu, u32 value)
{
	struct vlapic *apic = &vcpu->apic;
	u32 old_mode = vlapic_timer_mode(apic);

	apic->lvt[VLAPIC_LVT_TIMER] = value;
	/* Switching to or from TSC-deadline mode disarms the timer (11.5.4.1). */
	if (old_mode != vlapic_timer_mode(apic) &&
	    (old_mode == APIC_TIMER_TSC_DEADLINE || vlapic_timer_mode(apic) == APIC_TIMER_TSC_DEADLINE)) {
		vlapic_timer_stop(vcpu);
		apic->timer.initial = 0;
	}
}

void vlapic_timer_write_initial(struct vcpu *vcpu, u32 value)
{
	struct vlapic *apic = &vcpu->apic;
	u64 period, min;

	if (vlapic_timer_mode(apic) == APIC_TIMER_TSC_DEADLINE)
		return; /* ignored in TSC-deadline mode */
	apic->timer.initial = value;
	if (!value) {
		vlapic_timer_stop(vcpu); /* a zero count stops the timer */
		return;
	}
	period = vlapic_counts_to_tsc(vcpu, value);
	min = vcpu->vm->tsc_per_ms * VLAPIC_TIMER_MIN_PERIOD_US / US_PER_MS;
	if (vlapic_timer_mode(apic) == APIC_TIMER_PERIODIC && period < min)
		period = min;
	apic->timer.period = period;
	vlapic_timer_arm(vcpu, vlapic_guest_tsc(vcpu, x86_rdtsc()) + period);
}

void vlapic_timer_write_divide(struct vcpu *vcpu, u32 value)
{
	vcpu->apic.timer.divide = value; /* applies from the next count down */
}

u32 vlapic_timer_current(struct vcpu *vcpu)
{
	const struct vlapic *apic = &vcpu->apic;
	u64 now, left;

	if (vlapic_timer_mode(apic) == APIC_TIMER_TSC_DEADLINE || !apic->timer.armed)
		return 0;
	vlapic_timer_expire(vcpu, x86_rdtsc()); /* a periodic one reloads */
	if (!apic->timer.armed)
		return 0;
	now = vlapic_guest_tsc(vcpu, x86_rdtsc());
	left = (s64)(apic->timer.deadline - now) > 0 ? apic->timer.deadline - now : 0;
	left = vlapic_tsc_to_counts(vcpu, left);
	return left > apic->timer.initial ? apic->timer.initial : (u32)left;
}

/* IA32_TSC_DEADLINE reads 0 unless armed in TSC-deadline mode (11.5.4.1). */
bool vlapic_timer_read_deadline(struct vcpu *vcpu, u64 *value)
{
	const struct vlapic *apic = &vcpu->apic;

	*value = vlapic_timer_mode(apic) == APIC_TIMER_TSC_DEADLINE && apic->timer.armed
			 ? apic->timer.deadline
			 : 0;
	return true;
}

bool vlapic_timer_write_deadline(struct vcpu *vcpu, u64 value)
{
	if (vlapic_timer_mode(&vcpu->apic) != APIC_TIMER_TSC_DEADLINE)
		return true; /* ignored in the other modes */
	if (!value) {
		vlapic_timer_stop(vcpu);
		return true;
	}
	vcpu->apic.timer.period = 0;
	vlapic_timer_arm(vcpu, value);
	return true;
}

bool vlapic_timer_expire(struct vcpu *vcpu, u64 now)
{
	struct vlapic *apic = &vcpu->apic;
	u64 guest_now = vlapic_guest_tsc(vcpu, now);

	if (!__atomic_load_n(&apic->timer.armed, __ATOMIC_ACQUIRE) ||
	    (s64)(guest_now - apic->timer.deadline) < 0)
		return false;
	/* The interrupt first: a halted vCPU is runnable before its timer reads disarmed, so no
	 * other vCPU's HLT ever sees the guest with nothing left to wake it. */
	vlapic_fire_lvt(vcpu, VLAPIC_LVT_TIMER);
	if (vlapic_timer_mode(apic) == APIC_TIMER_PERIODIC && apic->timer.period) {
		apic->timer.deadline += apic->timer.period;
		if ((s64)(guest_now - apic->timer.deadline) >= 0) /* periods missed: one interrupt */
			apic->timer.deadline = guest_now + apic->timer.period;
	} else {
		vlapic_timer_stop(vcpu);
	}
	return true;
}

u64 vlapic_timer_wake_at(const struct vcpu *vcpu)
{
	const struct vlapic *apic = &vcpu->apic;

	if (!__atomic_load_n(&apic->timer.armed, __ATOMIC_ACQUIRE) ||
	    (__atomic_load_n(&apic->lvt[VLAPIC_LVT_TIMER], __ATOMIC_RELAXED) & APIC_LVT_MASKED))
		return VLAPIC_NO_TIMER;
	return apic->timer.deadline - vcpu_tsc_offset(vcpu);
}
