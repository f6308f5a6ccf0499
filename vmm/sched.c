// SPDX-License-Identifier: MIT
/* The run loop on one CPU: round robin over the runnable vCPUs placed on it, a time slice
 * each (docs/scheduling.md). Moat's timer makes every guest exit at least once a slice, so a
 * vCPU that never exits on its own still gives up the CPU; a halted vCPU gives it up at
 * once. Each exit charges the vCPU's clock, which enforces the guest's time limit and
 * exit-flood limit. When a guest stops or restarts, every CPU parks its vCPUs of it; the last
 * to do so frees the guest, or takes on its restart as work done in steps between picks. */
#include <moat/exit.h>
#include <moat/hypervisor.h>
#include <moat/vlapic.h>
#include <moat/x86.h>

/* Exit floods are measured over windows of this much guest run time. */
#define SCHED_FLOOD_WINDOW_MS 100
#define MS_PER_SECOND 1000

/* Switches between vCPUs, for the benchmark: TSC from one vCPU's last exit to the next
 * one's first entry. */
struct sched_switches {
	u64 count;
	u64 ticks;
};

/* One CPU's run loop state. Which vCPUs are its own is vcpu->cpu: placement gives each
 * vCPU a CPU, and a CPU that has nothing to run takes one from a CPU with several. */
struct sched_cpu {
	struct hypervisor *hv;
	u32 cpu;
	u32 cursor;         /* index in hv->vcpus of the vCPU picked last */
	struct vm *last_vm; /* whose vCPU ran here last: predictor state may be its */
	bool restart_busy;  /* a restart here has more RAM to zero: do not sleep */
	u64 next_timer;     /* host TSC of the nearest APIC timer of another vCPU here */
	struct sched_switches switches;
};

/* Charges ticks of run time and, unless it was a host event, one exit; stops or crashes the
 * guest past its limits. A host event (Moat's timer, a kick, an NMI, an interrupt window) is
 * not the guest's doing: another guest's IPIs to a vCPU on this CPU must never make this one
 * an exit flood. Its time still counts as run time. */
static void sched_charge(struct vcpu *vcpu, u64 ticks, bool guest_exit)
{
	struct vm *vm = vcpu->vm;
	struct vcpu_clock *clock = &vcpu->clock;
	const struct guest_config *config = vm->config;
	u64 window = vm->tsc_per_ms * SCHED_FLOOD_WINDOW_MS;
	u64 guest_ticks = __atomic_add_fetch(&vm->run_ticks, ticks, __ATOMIC_RELAXED);

	clock->run_ticks += ticks;
	if (guest_exit)
		clock->window_exits++;
	if (config->time_limit_ms && guest_ticks >= (u64)config->time_limit_ms * vm->tsc_per_ms) {
		vm_audit(vcpu, AUDIT_TIME_LIMIT, config->time_limit_ms, guest_ticks, AUDIT_STOPPED,
			 NULL);
		vm_stop(vm, "time limit (%u ms) reached", config->time_limit_ms);
		return;
	}
	if (config->max_exits_per_second &&
	    clock->window_exits * MS_PER_SECOND >
		    (u64)config->max_exits_per_second * SCHED_FLOOD_WINDOW_MS) {
		vm_crash(vcpu, AUDIT_EXIT_FLOOD, clock->window_exits, SCHED_FLOOD_WINDOW_MS, NULL,
			 "exit flood: %lu exits in %u ms of run time (limit %u per second)",
			 clock->window_exits, SCHED_FLOOD_WINDOW_MS, config->max_exits_per_second);
		return;
	}
	if (clock->run_ticks - clock->window_start >= window) {
		clock->window_start = clock->run_ticks;
		clock->window_exits = 0;
	}
}

static bool vm_is_running(struct vm *vm)
{
	return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_STATE_RUNNING;
}

/* Before an entry: Moat's timer must fire by the nearest guest timer of this CPU's vCPUs. */
static void sched_arm_timer(struct hypervisor *hv, struct vcpu *vcpu, u64 others)
{
	u64 own = vlapic_timer_wake_at(vcpu);
	u64 next = own < others ? own : others;

	if (next != VLAPIC_NO_TIMER && hv->timer_wake_by)
		hv->timer_wake_by(next);
}

/* Runs vcpu until its guest stops, it halts, its slice ends or another vCPU's timer here is
 * due; returns the TSC at its last exit. Its own timer fires between its exits. */
static u64 sched_run_slice(struct sched_cpu *sc, struct vcpu *vcpu, u64 slice_ticks, u64 start)
{
	const struct vendor_ops *ops = vcpu->vm->ops;
	u64 entry = start, now;
	struct vm_exit exit;

	vcpu->slice_end = start + slice_ticks;
	vcpu->clock.slices++;
	vm_start_clock(vcpu->vm);
	if (vcpu->clock.waiting_since && start - vcpu->clock.waiting_since > vcpu->clock.longest_wait)
		vcpu->clock.longest_wait = start - vcpu->clock.waiting_since;
	do {
		sched_arm_timer(sc->hv, vcpu, sc->next_timer);
		vcpu_prepare_entry(vcpu);
		ops->vcpu_run(vcpu, &exit);
		now = x86_rdtsc();
		vcpu->clock.exits++;
		exit_stats_count(&vcpu->clock, exit.kind);
		exit_handle(vcpu, &exit);
		if (vm_is_running(vcpu->vm)) {
			sched_charge(vcpu, now - entry, exit.kind != VM_EXIT_HOST_EVENT);
			/* Its timer's interrupt is one like any other (vcpu_post_interrupt). */
			vlapic_timer_expire(vcpu, now);
		}
		entry = now;
	} while (vm_is_running(vcpu->vm) && vcpu_is_runnable(vcpu) && now - start < slice_ticks &&
		 now < sc->next_timer);
	vcpu->clock.waiting_since = vm_is_running(vcpu->vm) && vcpu_is_runnable(vcpu) ? now : 0;
	return now;
}

/* vcpu's guest is not running and this CPU has not parked vcpu in its current generation. */
static bool sched_needs_park(const struct vcpu *vcpu, u32 generation)
{
	return vcpu->parked_generation != generation + 1;
}

static u32 sched_cpu_of(struct vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->cpu, __ATOMIC_ACQUIRE);
}

/* This CPU no longer holds vcpu's state: its VMCS is cleared here, the registers the vendor
 * code keeps in the CPU for it (x87/SSE, debug registers, ...) are saved. */
static void sched_let_go(struct sched_cpu *sc, struct vcpu *vcpu)
{
	if (vcpu->vendor)
		vcpu->vm->ops->vcpu_unload(vcpu);
}

/* This CPU lets go of vcpu, whose guest has stopped or is restarting. The CPU that parks a
 * guest's last vCPU frees it, or begins its restart, which this CPU then carries on in steps
 * (sched_restart_work). */
static void sched_park(struct sched_cpu *sc, struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	enum vm_state state;
	bool last;

	sched_let_go(sc, vcpu);
	spin_lock(&vm->lock);
	vcpu->parked_generation = vm->generation + 1;
	last = ++vm->parked == vm->vcpu_count;
	state = vm->state;
	spin_unlock(&vm->lock);
	if (!last)
		return;
	if (state == VM_STATE_RESTARTING)
		hypervisor_restart_begin(sc->hv, vm, sc->cpu);
	else
		vm_destroy(vm);
}

/* One step of each restart this CPU carries (docs/scheduling.md, "Restarts"): between two
 * picks, so the CPU's other vCPUs get their slices while a large guest's RAM is zeroed. */
static void sched_restart_work(struct sched_cpu *sc)
{
	struct hypervisor *hv = sc->hv;

	sc->restart_busy = false;
	for (u32 i = 0; i < hv->vm_count; i++) {
		struct vm *vm = &hv->vms[i];

		if (__atomic_load_n(&vm->restart.active, __ATOMIC_ACQUIRE) &&
		    vm->restart.cpu == sc->cpu &&
		    hypervisor_restart_step(hv, vm) == RESTART_BUSY)
			sc->restart_busy = true;
	}
}

/*
 * Hands the vCPUs idle CPUs asked for to them (none of them is running here now). Only a vCPU
 * of a RUNNING guest is let go of and moved, checked under the guest's lock: a guest that is
 * not running may have all its vCPUs parked, and then another CPU may be building its vendor
 * state again (hypervisor_restart_step), which this CPU must not touch. Its request is
 * dropped instead; the idle CPU asks again.
 */
static void sched_hand_over(struct sched_cpu *sc)
{
	struct hypervisor *hv = sc->hv;

	if (!__atomic_exchange_n(&hv->handover_asked[sc->cpu], 0, __ATOMIC_ACQ_REL))
		return;
	for (u32 index = 0; index < hv->vcpu_total; index++) {
		struct vcpu *vcpu = hv->vcpus[index];
		struct vm *vm = vcpu->vm;
		u32 target;
		bool moved;

		if (sched_cpu_of(vcpu) != sc->cpu ||
		    __atomic_load_n(&vcpu->migrate_to, __ATOMIC_ACQUIRE) == VCPU_NO_CPU)
			continue;
		spin_lock(&vm->lock);
		target = vcpu->migrate_to;
		/* RUNNING, and not parked since it last became so: its state is this CPU's. */
		moved = vm->state == VM_STATE_RUNNING && sched_needs_park(vcpu, vm->generation);
		if (moved) {
			sched_let_go(sc, vcpu);
			__atomic_store_n(&vcpu->cpu, target, __ATOMIC_RELEASE);
			vcpu->clock.moves++;
		}
		__atomic_store_n(&vcpu->migrate_to, VCPU_NO_CPU, __ATOMIC_RELEASE);
		spin_unlock(&vm->lock);
		if (moved && hv->kick)
			hv->kick(target);
	}
}

/* Runnable vCPUs on cpu, up to limit. */
static u32 sched_runnable_on(struct hypervisor *hv, u32 cpu, u32 limit)
{
	u32 count = 0;

	for (u32 index = 0; index < hv->vcpu_total && count < limit; index++) {
		struct vcpu *vcpu = hv->vcpus[index];

		if (sched_cpu_of(vcpu) == cpu && vcpu_is_runnable(vcpu) &&
		    __atomic_load_n(&vcpu->vm->state, __ATOMIC_ACQUIRE) == VM_STATE_RUNNING)
			count++;
	}
	return count;
}

/* May vcpu's guest run it on cpu (its set, neither side dedicated, and the core's SMT
 * siblings kept for its guest where they must be)? */
static bool sched_may_run_on(const struct hypervisor *hv, const struct vcpu *vcpu, u32 cpu)
{
	const struct guest_config *config = vcpu->vm->config;

	return (config->vcpu_cpus[vcpu->id] & (1u << cpu)) && !config->dedicated &&
	       !(hv->dedicated_cpus & (1u << cpu)) && hypervisor_core_allows(hv, vcpu->vm, cpu);
}

/* This CPU has nothing to run: asks for a runnable vCPU that may run here from a CPU that
 * has more than one. Its CPU hands it over at its next pick and kicks this one. */
static void sched_ask_for_work(struct sched_cpu *sc)
{
	struct hypervisor *hv = sc->hv;
	u32 none = VCPU_NO_CPU;

	for (u32 index = 0; index < hv->vcpu_total; index++) {
		struct vcpu *vcpu = hv->vcpus[index];
		u32 owner;

		if (!vcpu_is_runnable(vcpu) || !vm_is_running(vcpu->vm) ||
		    !sched_may_run_on(hv, vcpu, sc->cpu))
			continue;
		owner = sched_cpu_of(vcpu);
		if (owner == sc->cpu || sched_runnable_on(hv, owner, 2) < 2)
			continue;
		if (__atomic_compare_exchange_n(&vcpu->migrate_to, &none, sc->cpu, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			__atomic_store_n(&hv->handover_asked[owner], 1, __ATOMIC_RELEASE);
			return;
		}
		none = VCPU_NO_CPU;
	}
}

/* Fires the due APIC timers of the vCPUs on this CPU but except (running, preempted or
 * halted: a halted one wakes) and returns the host TSC of the nearest one still armed. */
static u64 sched_timers(struct sched_cpu *sc, struct vcpu *except, u64 now)
{
	struct hypervisor *hv = sc->hv;
	u64 next = VLAPIC_NO_TIMER;

	for (u32 index = 0; index < hv->vcpu_total; index++) {
		struct vcpu *vcpu = hv->vcpus[index];
		u64 at;

		if (vcpu == except || sched_cpu_of(vcpu) != sc->cpu || !vm_is_running(vcpu->vm))
			continue;
		vlapic_timer_expire(vcpu, now);
		at = vlapic_timer_wake_at(vcpu);
		if (at < next)
			next = at;
	}
	return next;
}

/* The next runnable vCPU of this CPU after the cursor, parking those of guests that left
 * RUNNING on the way; NULL when none can run now. A step of this CPU's restarts comes first. */
static struct vcpu *sched_pick(struct sched_cpu *sc)
{
	struct hypervisor *hv = sc->hv;
	u32 total = hv->vcpu_total;

	sched_restart_work(sc);
	sched_hand_over(sc);
	sched_timers(sc, NULL, x86_rdtsc()); /* a halted vCPU whose timer is due can run now */
	for (u32 step = 1; step <= total; step++) {
		u32 index = (sc->cursor + step) % total;
		struct vcpu *vcpu = hv->vcpus[index];
		enum vm_state state;
		u32 generation;

		if (sched_cpu_of(vcpu) != sc->cpu)
			continue;
		spin_lock(&vcpu->vm->lock);
		state = vcpu->vm->state;
		generation = vcpu->vm->generation;
		spin_unlock(&vcpu->vm->lock);
		if (state == VM_STATE_RUNNING) {
			if (vcpu_is_runnable(vcpu)) {
				sc->cursor = index;
				return vcpu;
			}
		} else if (sched_needs_park(vcpu, generation)) {
			sched_park(sc, vcpu);
		}
	}
	return NULL;
}

bool sched_cpu_has_work(struct hypervisor *hv, u32 cpu)
{
	for (u32 index = 0; index < hv->vcpu_total; index++) {
		struct vcpu *vcpu = hv->vcpus[index];
		enum vm_state state;

		state = __atomic_load_n(&vcpu->vm->state, __ATOMIC_ACQUIRE);
		if (state != VM_STATE_RUNNING && state != VM_STATE_RESTARTING) {
			/* A stopped guest's vCPU here that is not parked yet. */
			if (sched_cpu_of(vcpu) == cpu && sched_needs_park(vcpu, vcpu->vm->generation))
				return true;
			continue;
		}
		if (sched_cpu_of(vcpu) == cpu || sched_may_run_on(hv, vcpu, cpu))
			return true;
	}
	return false;
}

void sched_run(struct hypervisor *hv, u32 cpu)
{
	struct sched_cpu state = { .hv = hv, .cpu = cpu }, *sc = &state;
	struct vcpu *vcpu, *last = NULL;
	u64 last_exit = 0, start;

	/* The first pick is the first vCPU in configuration order. */
	sc->cursor = hv->vcpu_total - 1;
	for (;;) {
		/* Host input reaches a guest even while its vCPUs are halted: one CPU polls
		 * the host's serial port, at least once a slice (the timer wakes an idle one). */
		if (cpu == 0)
			for (u32 i = 0; i < hv->vm_count; i++)
				vm_poll_console_input(&hv->vms[i]);
		vcpu = sched_pick(sc);
		if (!vcpu) {
			if (sc->restart_busy)
				continue; /* nothing else to run: zero on at full speed */
			if (!sched_cpu_has_work(hv, cpu))
				break;
			/* Nothing to run: ask for work, then sleep until the timer or a kick
			 * (docs/scheduling.md). */
			sched_ask_for_work(sc);
			sc->next_timer = sched_timers(sc, NULL, x86_rdtsc());
			if (sc->next_timer != VLAPIC_NO_TIMER && hv->timer_wake_by)
				hv->timer_wake_by(sc->next_timer);
			hv->idle();
			continue;
		}
		/* Another guest's branch predictions must not steer this one's (IBPB,
		 * docs/speculation.md); a guest's own vCPUs share them, as on hardware. */
		if (sc->last_vm != vcpu->vm && hv->guest_switch)
			hv->guest_switch();
		sc->last_vm = vcpu->vm;
		start = x86_rdtsc();
		/* A switch away from a vCPU whose guest just stopped includes freeing the guest:
		 * not a switch between running vCPUs. */
		if (last && last != vcpu && vm_is_running(last->vm)) {
			sc->switches.count++;
			sc->switches.ticks += start - last_exit;
		}
		sc->next_timer = sched_timers(sc, vcpu, start);
		last_exit = sched_run_slice(sc, vcpu, hv->slice_ticks, start);
		last = vcpu;
	}
	if (sc->switches.count)
		log_info("sched: cpu %u: %lu switches between vCPUs, %lu TSC ticks each on average "
			 "from one vCPU's last exit to the next one's entry",
			 cpu, sc->switches.count, sc->switches.ticks / sc->switches.count);
}

void sched_abandon_cpu(struct hypervisor *hv, u32 cpu, const char *why)
{
	struct sched_cpu state = { .hv = hv, .cpu = cpu };

	for (u32 index = 0; index < hv->vcpu_total; index++) {
		struct vcpu *vcpu = hv->vcpus[index];

		if (sched_cpu_of(vcpu) == cpu)
			vm_stop(vcpu->vm, "%s %s on cpu %u", why, hv->ops->name, cpu);
	}
	sched_pick(&state); /* parks them all: their guests are no longer running */
}
