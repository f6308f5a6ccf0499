// SPDX-License-Identifier: MIT
/* Per-CPU ASID generations for SVM (the scheme KVM used before flush-by-ASID was common):
 * ASIDs are handed out per CPU as vCPUs run there, and a full TLB flush starts a new round
 * when they run out, so two vCPUs never share cached translations (APM 15.16). */
#include "svm_asid.h"

#define SVM_ASID_FIRST 1 /* ASID 0 is the host's */

void svm_asid_cpu_init(struct svm_asid_cpu *cpu, u32 count)
{
	/* A CPU with SVM has at least one guest ASID; treat anything less as one. */
	cpu->count = count > SVM_ASID_FIRST ? count : SVM_ASID_FIRST + 1;
	/* The first run on the CPU starts a generation with a full flush: nothing cached
	 * before Moat took the CPU is trusted. */
	cpu->next = cpu->count;
	cpu->generation = 1;
}

u32 svm_asid_for_run(struct svm_asid_cpu *cpu, u32 cpu_index, struct svm_asid_vcpu *vcpu,
		     bool *flush_all)
{
	*flush_all = false;
	if (vcpu->generation == cpu->generation && vcpu->cpu == cpu_index)
		return vcpu->asid;
	if (cpu->next >= cpu->count) {
		/* Every ASID of this generation is taken: drop all their translations. */
		cpu->generation++;
		cpu->next = SVM_ASID_FIRST;
		*flush_all = true;
	}
	vcpu->asid = cpu->next++;
	vcpu->cpu = cpu_index;
	vcpu->generation = cpu->generation;
	return vcpu->asid;
}
