// SPDX-License-Identifier: MIT
/* The run loop on one CPU: round-robin over running guests, a time slice each. Moat's timer
 * (arch) makes every guest exit at least once a slice, so a guest that never exits on its
 * own still gives up the CPU. Each exit also charges the guest's clock, which enforces
 * its time limit and exit-flood limit. */
#include <moat/exit.h>
#include <moat/hypervisor.h>
#include <moat/x86.h>

#define SCHED_SLICE_MS 10
/* Exit floods are measured over windows of this much guest run time. */
#define SCHED_FLOOD_WINDOW_MS 100
#define MS_PER_SECOND 1000

static struct vm *sched_next(struct hypervisor *hv, u32 cpu, u32 after)
{
	for (u32 step = 1; step <= hv->vm_count; step++) {
		struct vm *vm = &hv->vms[(after + step) % hv->vm_count];

		if (vm->vcpu.cpu == cpu && vm->state == VM_STATE_RUNNING)
			return vm;
	}
	return NULL;
}

/* Charges one exit and ticks of run time; stops or crashes the guest past its limits. */
static void sched_charge(struct vm *vm, u64 ticks)
{
	struct vm_clock *clock = &vm->clock;
	const struct guest_config *config = vm->config;
	u64 window = clock->tsc_per_ms * SCHED_FLOOD_WINDOW_MS;

	clock->run_ticks += ticks;
	clock->window_exits++;
	if (config->time_limit_ms &&
	    clock->run_ticks >= (u64)config->time_limit_ms * clock->tsc_per_ms) {
		vm_audit(vm, AUDIT_TIME_LIMIT, config->time_limit_ms, clock->run_ticks,
			 AUDIT_STOPPED, NULL);
		vm_stop(vm, "time limit (%u ms) reached", config->time_limit_ms);
		return;
	}
	if (config->max_exits_per_second &&
	    clock->window_exits * MS_PER_SECOND >
		    (u64)config->max_exits_per_second * SCHED_FLOOD_WINDOW_MS) {
		vm_crash(vm, AUDIT_EXIT_FLOOD, clock->window_exits, SCHED_FLOOD_WINDOW_MS, NULL,
			 "exit flood: %lu exits in %u ms of run time (limit %u per second)",
			 clock->window_exits, SCHED_FLOOD_WINDOW_MS, config->max_exits_per_second);
		return;
	}
	if (clock->run_ticks - clock->window_start >= window) {
		clock->window_start = clock->run_ticks;
		clock->window_exits = 0;
	}
}

/* Switches between guests, for the benchmark: TSC from one guest's last exit to the next
 * guest's first entry. */
struct sched_switches {
	u64 count;
	u64 ticks;
};

/* Runs vcpu until it stops or its slice ends; returns the TSC at its last exit. */
static u64 sched_run_slice(struct vcpu *vcpu, u64 slice_ticks, u64 start)
{
	const struct vendor_ops *ops = vcpu->vm->ops;
	u64 entry = start, now;
	struct vm_exit exit;

	vcpu->slice_end = start + slice_ticks;
	do {
		ops->vcpu_run(vcpu, &exit);
		now = x86_rdtsc();
		exit_handle(vcpu, &exit);
		if (vcpu->vm->state == VM_STATE_RUNNING)
			sched_charge(vcpu->vm, now - entry);
		entry = now;
	} while (vcpu->vm->state == VM_STATE_RUNNING && now - start < slice_ticks);
	return now;
}

void sched_run(struct hypervisor *hv, u32 cpu)
{
	u64 slice_ticks = hv->tsc_per_ms * SCHED_SLICE_MS;
	u32 last = hv->vm_count ? hv->vm_count - 1 : 0;
	struct sched_switches switches = { 0 };
	struct vcpu *loaded = NULL;
	u64 last_exit = 0, start;
	struct vm *vm;

	while ((vm = sched_next(hv, cpu, last))) {
		bool switching = loaded && loaded != &vm->vcpu;

		/* Guests' x87/SSE state is switched here; Moat itself never touches it. */
		if (loaded != &vm->vcpu) {
			if (loaded)
				x86_fxsave(&loaded->fpu);
			x86_fxrstor(&vm->vcpu.fpu);
			loaded = &vm->vcpu;
		}
		start = x86_rdtsc();
		if (switching) {
			switches.count++;
			switches.ticks += start - last_exit;
		}
		last_exit = sched_run_slice(&vm->vcpu, slice_ticks, start);
		if (vm->state == VM_STATE_RESTARTING) {
			hypervisor_restart_guest(hv, vm);
			loaded = NULL; /* its FPU state was reset with it */
		} else if (vm->state != VM_STATE_RUNNING) {
			vm_destroy(vm);
			loaded = NULL;
		}
		last = vm->id;
	}
	if (switches.count)
		log_info("sched: cpu %u: %lu switches between running guests, %lu TSC ticks each on average "
			 "from one guest's last exit to the next guest's entry",
			 cpu, switches.count, switches.ticks / switches.count);
}
