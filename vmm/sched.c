// SPDX-License-Identifier: MIT
/* The run loop on one CPU: round robin over the runnable vCPUs placed on it, a time slice
 * each (docs/scheduling.md). Moat's timer makes every guest exit at least once a slice, so a
 * vCPU that never exits on its own still gives up the CPU; a halted vCPU gives it up at
 * once. Each exit charges the vCPU's clock, which enforces the guest's time limit and
 * exit-flood limit. When a guest stops or restarts, every CPU parks its vCPUs of it; the last
 * to do so frees or rebuilds the guest. */
#include <moat/exit.h>
#include <moat/hypervisor.h>
#include <moat/x86.h>

/* Exit floods are measured over windows of this much guest run time. */
#define SCHED_FLOOD_WINDOW_MS 100
#define MS_PER_SECOND 1000
#define SCHED_MAX_VCPUS (CONFIG_MAX_GUESTS * CONFIG_MAX_VCPUS)

/* Switches between vCPUs, for the benchmark: TSC from one vCPU's last exit to the next
 * one's first entry. */
struct sched_switches {
	u64 count;
	u64 ticks;
};

/* One CPU's view of the vCPUs placed on it (placement never changes). */
struct sched_cpu {
	struct hypervisor *hv;
	u32 cpu;
	u32 count;
	struct vcpu *vcpus[SCHED_MAX_VCPUS];
	/* 1 + the guest generation in which this CPU parked vcpus[i]; 0 when it never did */
	u32 parked_generation[SCHED_MAX_VCPUS];
	u32 cursor;
	struct vcpu *fpu_owner; /* whose x87/SSE state the CPU holds */
	struct sched_switches switches;
};

/* Charges one exit and ticks of run time; stops or crashes the guest past its limits. */
static void sched_charge(struct vcpu *vcpu, u64 ticks)
{
	struct vm *vm = vcpu->vm;
	struct vcpu_clock *clock = &vcpu->clock;
	const struct guest_config *config = vm->config;
	u64 window = vm->tsc_per_ms * SCHED_FLOOD_WINDOW_MS;
	u64 guest_ticks = __atomic_add_fetch(&vm->run_ticks, ticks, __ATOMIC_RELAXED);

	clock->run_ticks += ticks;
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

/* Runs vcpu until its guest stops, it halts, or its slice ends; returns the TSC at its last
 * exit. */
static u64 sched_run_slice(struct vcpu *vcpu, u64 slice_ticks, u64 start)
{
	const struct vendor_ops *ops = vcpu->vm->ops;
	u64 entry = start, now;
	struct vm_exit exit;

	vcpu->slice_end = start + slice_ticks;
	vcpu->clock.slices++;
	do {
		vcpu_prepare_entry(vcpu);
		ops->vcpu_run(vcpu, &exit);
		now = x86_rdtsc();
		vcpu->clock.exits++;
		exit_handle(vcpu, &exit);
		if (vm_is_running(vcpu->vm))
			sched_charge(vcpu, now - entry);
		entry = now;
	} while (vm_is_running(vcpu->vm) && vcpu_is_runnable(vcpu) && now - start < slice_ticks);
	return now;
}

/* This CPU lets go of vcpus[i], whose guest has stopped or is restarting. The CPU that parks
 * a guest's last vCPU frees it, or builds it again. */
static void sched_park(struct sched_cpu *sc, u32 i)
{
	struct vcpu *vcpu = sc->vcpus[i];
	struct vm *vm = vcpu->vm;
	enum vm_state state;
	bool last;

	if (vcpu->vendor)
		vm->ops->vcpu_unload(vcpu);
	if (sc->fpu_owner == vcpu)
		sc->fpu_owner = NULL;
	spin_lock(&vm->lock);
	sc->parked_generation[i] = vm->generation + 1;
	last = ++vm->parked == vm->vcpu_count;
	state = vm->state;
	spin_unlock(&vm->lock);
	if (!last)
		return;
	if (state == VM_STATE_RESTARTING)
		hypervisor_restart_guest(sc->hv, vm);
	else
		vm_destroy(vm);
}

/* The next runnable vCPU after the cursor, parking those of guests that left RUNNING on the
 * way; NULL when none can run now. */
static struct vcpu *sched_pick(struct sched_cpu *sc)
{
	for (u32 step = 1; step <= sc->count; step++) {
		u32 i = (sc->cursor + step) % sc->count;
		struct vcpu *vcpu = sc->vcpus[i];
		struct vm *vm = vcpu->vm;
		enum vm_state state;
		u32 generation;

		spin_lock(&vm->lock);
		state = vm->state;
		generation = vm->generation;
		spin_unlock(&vm->lock);
		if (state == VM_STATE_RUNNING) {
			if (vcpu_is_runnable(vcpu)) {
				sc->cursor = i;
				return vcpu;
			}
		} else if (sc->parked_generation[i] != generation + 1) {
			sched_park(sc, i);
		}
	}
	return NULL;
}

/* Whether any vCPU placed here may still run: its guest runs, or is being rebuilt. */
static bool sched_has_work(const struct sched_cpu *sc)
{
	for (u32 i = 0; i < sc->count; i++) {
		enum vm_state state = __atomic_load_n(&sc->vcpus[i]->vm->state, __ATOMIC_ACQUIRE);

		if (state == VM_STATE_RUNNING || state == VM_STATE_RESTARTING)
			return true;
	}
	return false;
}

static void sched_collect(struct sched_cpu *sc)
{
	struct hypervisor *hv = sc->hv;

	for (u32 g = 0; g < hv->vm_count; g++) {
		struct vm *vm = &hv->vms[g];

		if (vm->state != VM_STATE_RUNNING)
			continue;
		for (u32 i = 0; i < vm->vcpu_count; i++)
			if (vm->vcpus[i].cpu == sc->cpu)
				sc->vcpus[sc->count++] = &vm->vcpus[i];
	}
	sc->cursor = sc->count ? sc->count - 1 : 0;
}

/* Guests' x87/SSE state is switched here; Moat itself never touches it. */
static void sched_switch_fpu(struct sched_cpu *sc, struct vcpu *next)
{
	if (sc->fpu_owner == next)
		return;
	if (sc->fpu_owner)
		x86_fxsave(&sc->fpu_owner->fpu);
	x86_fxrstor(&next->fpu);
	sc->fpu_owner = next;
}

void sched_run(struct hypervisor *hv, u32 cpu)
{
	struct sched_cpu state = { .hv = hv, .cpu = cpu }, *sc = &state;
	struct vcpu *vcpu, *last = NULL;
	u64 last_exit = 0, start;

	sched_collect(sc);
	for (;;) {
		vcpu = sched_pick(sc);
		if (!vcpu) {
			if (!sched_has_work(sc))
				break;
			/* Nothing to run: sleep until the timer or a kick (docs/scheduling.md). */
			hv->idle();
			continue;
		}
		sched_switch_fpu(sc, vcpu);
		start = x86_rdtsc();
		/* A switch away from a vCPU whose guest just stopped includes freeing the guest:
		 * not a switch between running vCPUs. */
		if (last && last != vcpu && vm_is_running(last->vm)) {
			sc->switches.count++;
			sc->switches.ticks += start - last_exit;
		}
		last_exit = sched_run_slice(vcpu, hv->slice_ticks, start);
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

	sched_collect(&state);
	for (u32 i = 0; i < state.count; i++)
		vm_stop(state.vcpus[i]->vm, "%s %s on cpu %u", why, hv->ops->name, cpu);
	for (u32 i = 0; i < state.count; i++)
		sched_park(&state, i);
}
