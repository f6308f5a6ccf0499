// SPDX-License-Identifier: MIT
/* Placement: once the CPUs are online, each vCPU is given one CPU of its configured set, for
 * good (docs/scheduling.md). Dedicated guests go first and take CPUs no other vCPU may use;
 * every other vCPU goes to the least loaded online CPU of its set, the lowest on a tie. */
#include <moat/hypervisor.h>
#include <moat/log.h>
#include <moat/string.h>

struct placement {
	u32 load[CONFIG_MAX_CPUS];       /* vCPUs placed on each CPU so far */
	u32 dedicated;                   /* CPUs a dedicated guest holds */
	const struct vm *owner[CONFIG_MAX_CPUS]; /* which guest holds a dedicated CPU */
	u32 online;
};

/* Counted by hand: __builtin_popcount would call libgcc, which the image does not link. */
static u32 placement_count_cpus(u32 set)
{
	u32 count = 0;

	for (; set; set &= set - 1)
		count++;
	return count;
}

static u32 placement_least_loaded(const struct placement *p, u32 candidates)
{
	u32 best = VCPU_NO_CPU;

	for (u32 cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++)
		if ((candidates & (1u << cpu)) &&
		    (best == VCPU_NO_CPU || p->load[cpu] < p->load[best]))
			best = cpu;
	return best;
}

/* Writes why vCPU index of vm has no CPU among set into why. */
static void placement_explain(const struct placement *p, const struct vm *vm, u32 index,
			      u32 set, char *why, size_t size)
{
	u32 online = set & p->online;

	if (!online) {
		format(why, size, "vcpu %u: none of its CPUs is online (%u online)", index,
		       placement_count_cpus(p->online));
		return;
	}
	if (vm->config->dedicated) {
		format(why, size, "vcpu %u: no CPU of its set is free to dedicate to it", index);
		return;
	}
	u32 cpu = (u32)__builtin_ctz(online);

	format(why, size, "vcpu %u: cpu %u is dedicated to guest '%s'", index, cpu,
	       p->owner[cpu] ? p->owner[cpu]->name : "?");
}

/* Places every vCPU of vm or none: returns false with why filled in. */
static bool placement_place_vm(struct placement *p, struct vm *vm, char *why, size_t size)
{
	const struct guest_config *config = vm->config;
	u32 chosen[CONFIG_MAX_VCPUS];

	for (u32 i = 0; i < vm->vcpu_count; i++) {
		u32 set = config->vcpu_cpus[i] & p->online & ~p->dedicated;

		if (config->dedicated)
			for (u32 cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++)
				if (p->load[cpu])
					set &= ~(1u << cpu);
		chosen[i] = placement_least_loaded(p, set);
		if (chosen[i] == VCPU_NO_CPU) {
			placement_explain(p, vm, i, config->vcpu_cpus[i], why, size);
			while (i--)
				p->load[chosen[i]]--;
			return false;
		}
		p->load[chosen[i]]++;
		if (config->dedicated) {
			p->dedicated |= 1u << chosen[i];
			p->owner[chosen[i]] = vm;
		}
	}
	for (u32 i = 0; i < vm->vcpu_count; i++)
		vm->vcpus[i].cpu = chosen[i];
	return true;
}

void hypervisor_place_guests(struct hypervisor *hv, bool (*cpu_online)(u32 cpu))
{
	struct placement p = { 0 };
	char why[VM_STOP_REASON_MAX];

	for (u32 cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++)
		if (cpu_online(cpu))
			p.online |= 1u << cpu;
	/* Dedicated guests first, so that a shared guest cannot take their CPUs. */
	for (u32 pass = 0; pass < 2; pass++) {
		for (u32 g = 0; g < hv->vm_count; g++) {
			struct vm *vm = &hv->vms[g];

			if (vm->state != VM_STATE_RUNNING || vm->config->dedicated != (pass == 0))
				continue;
			if (placement_place_vm(&p, vm, why, sizeof(why))) {
				for (u32 i = 0; i < vm->vcpu_count; i++)
					log_info("guest '%s': vcpu %u placed on cpu %u%s", vm->name,
						 i, vm->vcpus[i].cpu,
						 vm->config->dedicated ? " (dedicated)" : "");
				continue;
			}
			vm_destroy(vm);
			vm->state = VM_STATE_NOT_STARTED;
			strlcpy(vm->stop_reason, why, sizeof(vm->stop_reason));
			log_error("guest '%s': %s", vm->name, why);
		}
	}
	hv->dedicated_cpus = p.dedicated;
	hv->vcpu_total = 0;
	for (u32 g = 0; g < hv->vm_count; g++)
		for (u32 i = 0; hv->vms[g].state == VM_STATE_RUNNING && i < hv->vms[g].vcpu_count;
		     i++)
			hv->vcpus[hv->vcpu_total++] = &hv->vms[g].vcpus[i];
}
