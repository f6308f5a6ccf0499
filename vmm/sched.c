// SPDX-License-Identifier: MIT
/* The run loop on one CPU: round-robin over running guests, switching after a slice of
 * exits or TSC time. A guest that never exits is not preempted yet (that needs Moat's own
 * timer). */
#include <moat/exit.h>
#include <moat/hypervisor.h>
#include <moat/x86.h>

/* Exits and TSC ticks a vCPU may use before the next running guest gets the CPU. */
#define SCHED_SLICE_EXITS 256
#define SCHED_SLICE_TSC (10ULL * 1000 * 1000)

static struct vm *sched_next(struct hypervisor *hv, u32 after)
{
	for (u32 step = 1; step <= hv->vm_count; step++) {
		struct vm *vm = &hv->vms[(after + step) % hv->vm_count];

		if (vm->state == VM_STATE_RUNNING)
			return vm;
	}
	return NULL;
}

/* Runs vcpu until it stops or its slice ends. */
static void sched_run_slice(struct vcpu *vcpu)
{
	const struct vendor_ops *ops = vcpu->vm->ops;
	u64 start = x86_rdtsc();
	struct vm_exit exit;

	for (u32 n = 0; n < SCHED_SLICE_EXITS; n++) {
		ops->vcpu_run(vcpu, &exit);
		exit_handle(vcpu, &exit);
		if (vcpu->vm->state != VM_STATE_RUNNING ||
		    x86_rdtsc() - start > SCHED_SLICE_TSC)
			return;
	}
}

void sched_run(struct hypervisor *hv)
{
	struct vm *vm;
	struct vcpu *loaded = NULL;
	u32 last = hv->vm_count ? hv->vm_count - 1 : 0;

	while ((vm = sched_next(hv, last))) {
		/* Guests' x87/SSE state is switched here; Moat itself never touches it. */
		if (loaded != &vm->vcpu) {
			if (loaded)
				x86_fxsave(&loaded->fpu);
			x86_fxrstor(&vm->vcpu.fpu);
			loaded = &vm->vcpu;
		}
		sched_run_slice(&vm->vcpu);
		if (vm->state != VM_STATE_RUNNING)
			vm_destroy(vm);
		last = vm->id;
	}
}
