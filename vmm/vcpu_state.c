// SPDX-License-Identifier: MIT
/* What each vCPU of a guest waits for: HLT, INIT and start-up IPIs, and requested interrupts
 * (docs/scheduling.md, docs/guest-interface.md). Other vCPUs of the same guest, on other
 * CPUs, change these; the guest's lock orders them and a kick makes the target's CPU look. */
#include <moat/log.h>
#include <moat/string.h>
#include <moat/exit.h>
#include <moat/vlapic.h>
#include <moat/vm.h>
#include <moat/x86.h>

#define VLAPIC_BITS_PER_WORD 32
#define SIPI_VECTOR_PAGE_SHIFT 12 /* a SIPI vector is a page number (SDM Vol. 3 11.6.1) */

bool vcpu_is_runnable(struct vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->run_state, __ATOMIC_ACQUIRE) == VCPU_RUNNABLE;
}

/* With vm->lock held: can any vCPU of the guest still run, or be woken by its own APIC
 * timer (halted with interrupts on, the timer armed and unmasked)? Device interrupts come
 * from the guest's own devices, which a running vCPU drives; when none can, none ever will. */
static bool vm_any_runnable(const struct vm *vm)
{
	for (u32 i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->run_state == VCPU_RUNNABLE)
			return true;
		if (vcpu->run_state == VCPU_HALTED && vcpu->halted_with_interrupts &&
		    vlapic_timer_wake_at(vcpu) != VLAPIC_NO_TIMER)
			return true;
	}
	return false;
}

/* No vCPU of the guest can run: nothing is left to wake it, so it stops. */
static void vm_stop_stuck(struct vcpu *vcpu, u64 interrupts)
{
	vm_audit(vcpu, AUDIT_HALT, vcpu->regs.rip, interrupts, AUDIT_STOPPED, NULL);
	vm_stop(vcpu->vm,
		"halted: no vCPU can run (every vCPU halted or waiting for SIPI); vcpu %u at rip 0x%lx",
		vcpu->id, vcpu->regs.rip);
}

static void vcpu_set_state(struct vcpu *vcpu, enum vcpu_run_state state)
{
	__atomic_store_n(&vcpu->run_state, state, __ATOMIC_RELEASE);
}

void vcpu_halt(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool interrupts = vcpu->regs.rflags & RFLAGS_IF;
	bool stuck;

	vcpu->clock.halts++;
	spin_lock(&vm->lock);
	/* A request already waiting wakes the HLT at once, as on a real CPU; so does an INIT
	 * and SIPI that arrived while its exit was being handled. */
	if (vcpu->run_state == VCPU_RUNNABLE && !vcpu->sipi_pending &&
	    !(interrupts && vlapic_next_vector(vcpu) >= 0)) {
		vcpu->halted_with_interrupts = interrupts;
		vcpu_set_state(vcpu, VCPU_HALTED);
	}
	stuck = !vm_any_runnable(vm);
	spin_unlock(&vm->lock);
	if (stuck)
		vm_stop_stuck(vcpu, interrupts);
}

/* Makes target's CPU look at it soon (the kick ignores the calling CPU itself). */
static void vcpu_kick(struct vcpu *target)
{
	if (target->vm->kick)
		target->vm->kick(__atomic_load_n(&target->cpu, __ATOMIC_ACQUIRE));
}

/*
 * A request is worth a kick only when the target's CPU must act on it now: the target woke
 * (its CPU may be idle in HLT, or running another vCPU that should give way at its slice),
 * or it is runnable and may be inside the guest right now, where only an exit lets it take
 * the request. A vCPU waiting for SIPI, or halted with interrupts off, takes nothing: a kick
 * would only interrupt whoever runs on that CPU (docs/scheduling.md, "Kicks").
 */
void vcpu_post_interrupt(struct vcpu *target, u8 vector)
{
	struct vm *vm = target->vm;
	bool woke, runnable;

	__atomic_fetch_or(&target->apic.irr[vector / VLAPIC_BITS_PER_WORD],
			  1u << (vector % VLAPIC_BITS_PER_WORD), __ATOMIC_RELEASE);
	__atomic_store_n(&target->apic.pending, 1, __ATOMIC_SEQ_CST);
	spin_lock(&vm->lock);
	woke = target->run_state == VCPU_HALTED && target->halted_with_interrupts;
	if (woke)
		vcpu_set_state(target, VCPU_RUNNABLE);
	runnable = target->run_state == VCPU_RUNNABLE;
	spin_unlock(&vm->lock);
	/* One kick until the target takes its requests: it takes them all at that entry. */
	if (runnable && !__atomic_exchange_n(&target->apic.kicked, 1, __ATOMIC_SEQ_CST))
		vcpu_kick(target);
}

void vcpu_post_init(struct vcpu *target)
{
	struct vm *vm = target->vm;
	bool stuck, was_runnable;

	spin_lock(&vm->lock);
	/* Only a vCPU that may be running must be made to leave the guest. */
	was_runnable = target->run_state == VCPU_RUNNABLE;
	vcpu_set_state(target, VCPU_WAIT_SIPI);
	target->sipi_pending = false;
	/* INIT resets the local APIC, requests included (SDM Vol. 3 11.4.7.3). */
	vlapic_reset(&target->apic);
	stuck = !vm_any_runnable(vm);
	spin_unlock(&vm->lock);
	if (was_runnable)
		vcpu_kick(target);
	if (stuck)
		vm_stop_stuck(target, 0);
}

void vcpu_post_sipi(struct vcpu *target, u8 vector)
{
	struct vm *vm = target->vm;
	bool started = false;

	spin_lock(&vm->lock);
	/* A SIPI to a vCPU that is not waiting for one is ignored (SDM Vol. 3 11.6.1). */
	if (target->run_state == VCPU_WAIT_SIPI) {
		target->sipi_pending = true;
		target->sipi_vector = vector;
		vcpu_set_state(target, VCPU_RUNNABLE);
		started = true;
	}
	spin_unlock(&vm->lock);
	if (started)
		vcpu_kick(target);
}

static void vcpu_start_from_sipi(struct vcpu *vcpu, u8 vector)
{
	struct guest_entry_state entry = { .mode = GUEST_ENTRY_REAL16,
					   .cs_base = (u64)vector << SIPI_VECTOR_PAGE_SHIFT };

	vcpu->vm->ops->vcpu_reset(vcpu, &entry);
	/* INIT turned its paravirtual clock off: the started CPU registers it again. */
	memset(&vcpu->kvmclock, 0, sizeof(vcpu->kvmclock));
	log_debug("guest '%s': vcpu %u started by SIPI at 0x%lx", vcpu->vm->name, vcpu->id,
		  entry.cs_base);
}

void vcpu_take_requests(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool start = false;
	u8 vector = 0;
	int request;

	if (__atomic_load_n(&vcpu->sipi_pending, __ATOMIC_ACQUIRE)) {
		spin_lock(&vm->lock);
		start = vcpu->sipi_pending;
		vector = vcpu->sipi_vector;
		vcpu->sipi_pending = false;
		spin_unlock(&vm->lock);
	}
	if (start)
		vcpu_start_from_sipi(vcpu, vector);
	/* From here on a new request kicks again; one posted after the exchange below sets
	 * pending again, so it is never missed. Both are full barriers, so a sender that still
	 * saw kicked set has its pending seen here. */
	__atomic_exchange_n(&vcpu->apic.kicked, 0, __ATOMIC_SEQ_CST);
	if (!__atomic_exchange_n(&vcpu->apic.pending, 0, __ATOMIC_SEQ_CST))
		return;
	/* Only a vector above the processor priority is delivered (SDM Vol. 3 11.8.3); one held
	 * back stays requested, looked at again at each entry until the priority drops (an EOI,
	 * a TPR write). Injected, it is in service until the guest's EOI. */
	request = vlapic_next_vector(vcpu);
	if (request >= 0 && vm->ops->inject_interrupt(vcpu, (u8)request))
		vlapic_start_service(vcpu, (u8)request);
	if (vlapic_has_request(&vcpu->apic))
		__atomic_store_n(&vcpu->apic.pending, 1, __ATOMIC_RELEASE);
}
