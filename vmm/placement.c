// SPDX-License-Identifier: MIT
/* Placement: once the CPUs are online, each vCPU is given one CPU of its configured set, for
 * good (docs/scheduling.md). Dedicated guests go first and take CPUs no other vCPU may use,
 * with every SMT sibling of those CPUs; every other vCPU goes to the least loaded online CPU
 * of its set, the lowest on a tie. Under smt-siblings "same-guest" (the default) the vCPUs on
 * the threads of one core all belong to one guest. Decides from data only: which CPUs are
 * online and the core of each (hv->cpu_core, from arch). */
#include <moat/hypervisor.h>
#include <moat/log.h>
#include <moat/string.h>

struct placement {
	const struct hypervisor *hv;
	u32 load[CONFIG_MAX_CPUS];       /* vCPUs placed on each CPU so far */
	u32 guests[CONFIG_MAX_CPUS];     /* bit g: guest g has a vCPU placed on the CPU */
	u32 dedicated;                   /* CPUs a dedicated guest holds, siblings included */
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

static bool placement_same_guest(const struct hypervisor *hv)
{
	return hv->config.smt_siblings == CONFIG_SMT_SAME_GUEST;
}

/* The online CPUs on cpu's core, cpu included. */
static u32 placement_siblings(const struct hypervisor *hv, u32 online, u32 cpu)
{
	u32 siblings = 0;

	for (u32 other = 0; other < CONFIG_MAX_CPUS; other++)
		if ((online & (1u << other)) && hv->cpu_core[other] == hv->cpu_core[cpu])
			siblings |= 1u << other;
	return siblings;
}

/* Guests with a vCPU on cpu's core. */
static u32 placement_core_guests(const struct placement *p, u32 cpu)
{
	u32 siblings = placement_siblings(p->hv, p->online, cpu), guests = 0;

	for (u32 other = 0; other < CONFIG_MAX_CPUS; other++)
		if (siblings & (1u << other))
			guests |= p->guests[other];
	return guests;
}

/* May a vCPU of vm be placed on cpu? (cpu is online and in its set.) */
static bool placement_allows(const struct placement *p, const struct vm *vm, u32 cpu)
{
	u32 others = placement_core_guests(p, cpu) & ~(1u << vm->id);

	if ((p->dedicated & (1u << cpu)) && p->owner[cpu] != vm)
		return false;
	if (vm->config->dedicated)
		return !p->load[cpu] && !others; /* a whole core, the CPU itself unused */
	/* Guests may take turns on a core of one thread: nothing runs beside them there. */
	return !placement_same_guest(p->hv) || !others ||
	       placement_siblings(p->hv, p->online, cpu) == 1u << cpu;
}

/* Least loaded first; on a tie, under "same-guest", a core vm already has (so that a guest
 * packs onto its own cores and leaves whole cores to others); then the lowest. */
static bool placement_better(const struct placement *p, const struct vm *vm, u32 cpu, u32 best)
{
	bool mine, best_mine;

	if (best == VCPU_NO_CPU || p->load[cpu] != p->load[best])
		return best == VCPU_NO_CPU || p->load[cpu] < p->load[best];
	if (!placement_same_guest(p->hv))
		return false;
	mine = placement_core_guests(p, cpu) & (1u << vm->id);
	best_mine = placement_core_guests(p, best) & (1u << vm->id);
	return mine && !best_mine;
}

static u32 placement_choose(const struct placement *p, const struct vm *vm, u32 candidates)
{
	u32 best = VCPU_NO_CPU;

	for (u32 cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++)
		if ((candidates & (1u << cpu)) && placement_allows(p, vm, cpu) &&
		    placement_better(p, vm, cpu, best))
			best = cpu;
	return best;
}

/* The name of a guest in mask other than vm. */
static const char *placement_other_name(const struct placement *p, const struct vm *vm, u32 mask)
{
	mask &= ~(1u << vm->id);
	return mask ? p->hv->vms[__builtin_ctz(mask)].name : "?";
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

	if ((p->dedicated & (1u << cpu)) && p->owner[cpu] != vm) {
		if (p->guests[cpu] & (1u << p->owner[cpu]->id))
			format(why, size, "vcpu %u: cpu %u is dedicated to guest '%s'", index, cpu,
			       p->owner[cpu]->name);
		else
			format(why, size,
			       "vcpu %u: cpu %u shares a core with a CPU dedicated to guest '%s'",
			       index, cpu, p->owner[cpu]->name);
		return;
	}
	format(why, size, "vcpu %u: cpu %u shares a core with guest '%s' (smt-siblings \"%s\")",
	       index, cpu, placement_other_name(p, vm, placement_core_guests(p, cpu)),
	       config_smt_siblings_name(p->hv->config.smt_siblings));
}

/* Places every vCPU of vm or none: returns false with why filled in, p unchanged. */
static bool placement_place_vm(struct placement *p, struct vm *vm, char *why, size_t size)
{
	const struct guest_config *config = vm->config;
	struct placement before = *p;
	u32 chosen[CONFIG_MAX_VCPUS];

	for (u32 i = 0; i < vm->vcpu_count; i++) {
		u32 cpu = placement_choose(p, vm, config->vcpu_cpus[i] & p->online);

		if (cpu == VCPU_NO_CPU) {
			placement_explain(p, vm, i, config->vcpu_cpus[i], why, size);
			*p = before;
			return false;
		}
		chosen[i] = cpu;
		p->load[cpu]++;
		p->guests[cpu] |= 1u << vm->id;
		if (!config->dedicated)
			continue;
		/* Dedicated means the whole core: no other guest runs on its siblings. */
		u32 siblings = placement_siblings(p->hv, p->online, cpu);

		p->dedicated |= siblings;
		for (u32 s = 0; s < CONFIG_MAX_CPUS; s++)
			if (siblings & (1u << s))
				p->owner[s] = vm;
	}
	for (u32 i = 0; i < vm->vcpu_count; i++)
		vm->vcpus[i].cpu = chosen[i];
	return true;
}

/* What the run loops need to keep the rule when vCPUs move (hypervisor_core_allows): under
 * "same-guest", the one guest each core with several online threads is kept for. */
static void placement_publish_cores(struct hypervisor *hv, const struct placement *p)
{
	hv->smt_shared_cpus = 0;
	for (u32 cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
		u32 guests = placement_core_guests(p, cpu);

		hv->core_owner[cpu] = NULL;
		if (!(p->online & (1u << cpu)) || !placement_same_guest(hv) ||
		    placement_siblings(hv, p->online, cpu) == 1u << cpu)
			continue;
		hv->smt_shared_cpus |= 1u << cpu;
		if (guests)
			hv->core_owner[cpu] = &hv->vms[__builtin_ctz(guests)];
	}
}

bool hypervisor_core_allows(const struct hypervisor *hv, const struct vm *vm, u32 cpu)
{
	return cpu < CONFIG_MAX_CPUS &&
	       (!(hv->smt_shared_cpus & (1u << cpu)) || hv->core_owner[cpu] == vm);
}

void hypervisor_place_guests(struct hypervisor *hv, bool (*cpu_online)(u32 cpu))
{
	struct placement p = { .hv = hv };
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
	placement_publish_cores(hv, &p);
	hv->vcpu_total = 0;
	for (u32 g = 0; g < hv->vm_count; g++)
		for (u32 i = 0; hv->vms[g].state == VM_STATE_RUNNING && i < hv->vms[g].vcpu_count;
		     i++)
			hv->vcpus[hv->vcpu_total++] = &hv->vms[g].vcpus[i];
}
