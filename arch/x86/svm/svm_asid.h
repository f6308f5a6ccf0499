/* SPDX-License-Identifier: MIT */
/* ASID assignment for SVM (svm_asid.c): pure computation, so it is unit-tested on the host
 * with CPUs that report few ASIDs. */
#ifndef MOAT_SVM_ASID_H
#define MOAT_SVM_ASID_H

#include <moat/types.h>

/* One physical CPU's ASIDs (APM 15.16): ASID 0 is the host's, 1 .. count-1 are handed out
 * in turn to whichever vCPU runs there next. When they run out, a new generation starts:
 * the whole TLB is flushed and every vCPU gets a new ASID the next time it runs there. */
struct svm_asid_cpu {
	u32 count;      /* ASIDs the CPU has (CPUID 0x8000000A EBX), the host's included */
	u32 next;       /* the next ASID to hand out in this generation */
	u64 generation; /* starts at 1; 0 in a vCPU means "none yet" */
};

/* A vCPU's ASID: valid only on cpu and only in that CPU's generation. */
struct svm_asid_vcpu {
	u32 asid;
	u32 cpu;
	u64 generation;
};

void svm_asid_cpu_init(struct svm_asid_cpu *cpu, u32 count);

/* Before a VMRUN of vcpu on the CPU numbered cpu_index: returns the ASID to run with and
 * sets *flush_all when every ASID's translations on this CPU must be flushed first (a new
 * generation began). An ASID is never used on a CPU by two vCPUs without such a flush
 * between them, and a vCPU that ran elsewhere meanwhile gets a fresh one, so translations
 * it cached here before cannot be stale. */
u32 svm_asid_for_run(struct svm_asid_cpu *cpu, u32 cpu_index, struct svm_asid_vcpu *vcpu,
		     bool *flush_all);

/* Forgets the vCPU's ASID (it moves, is reset or rebuilt): the next run takes a new one. */
static inline void svm_asid_forget(struct svm_asid_vcpu *vcpu)
{
	vcpu->generation = 0;
}

#endif
