// SPDX-License-Identifier: MIT
/* SVM ASID assignment (arch/x86/svm/svm_asid.c) on CPUs with few ASIDs (QEMU TCG reports 16):
 * a model TLB per CPU remembers which vCPU last filled each ASID, and no vCPU may ever run
 * with an ASID whose cached translations belong to another vCPU, or to itself from before it
 * ran on another CPU. */
#include "test_support.h"

#include "../../arch/x86/svm/svm_asid.h"

#define MODEL_CPUS 2
#define MODEL_VCPUS 24 /* e.g. three guests of eight vCPUs */
#define MODEL_ASIDS 64
#define NOBODY (-1)

struct tlb_model {
	int owner[MODEL_ASIDS];     /* vCPU whose translations the ASID holds, or NOBODY */
	u32 stay[MODEL_ASIDS];      /* which stay of that vCPU filled it */
};

struct model {
	struct svm_asid_cpu cpus[MODEL_CPUS];
	struct tlb_model tlb[MODEL_CPUS];
	struct svm_asid_vcpu vcpus[MODEL_VCPUS];
	u32 last_cpu[MODEL_VCPUS];
	u32 stays[MODEL_VCPUS]; /* counts moves: translations from an older stay are stale */
	u32 flushes;
};

static void model_init(struct model *m, u32 asids)
{
	memset(m, 0, sizeof(*m));
	for (u32 c = 0; c < MODEL_CPUS; c++) {
		svm_asid_cpu_init(&m->cpus[c], asids);
		for (u32 a = 0; a < MODEL_ASIDS; a++)
			m->tlb[c].owner[a] = NOBODY;
	}
	for (u32 v = 0; v < MODEL_VCPUS; v++) {
		svm_asid_forget(&m->vcpus[v]);
		m->last_cpu[v] = MODEL_CPUS;
	}
}

/* One VMRUN of vCPU v on CPU c, checked against the model TLB. */
static void model_run(struct model *m, u32 v, u32 c, u32 asids)
{
	bool flush_all;
	u32 asid;
	struct tlb_model *tlb = &m->tlb[c];

	if (m->last_cpu[v] != c) {
		/* What the vendor code does when a vCPU leaves a CPU (svm_vcpu_unload). */
		if (m->last_cpu[v] != MODEL_CPUS)
			svm_asid_forget(&m->vcpus[v]);
		m->stays[v]++;
		m->last_cpu[v] = c;
	}
	asid = svm_asid_for_run(&m->cpus[c], c, &m->vcpus[v], &flush_all);
	if (flush_all) {
		m->flushes++;
		for (u32 a = 0; a < MODEL_ASIDS; a++)
			tlb->owner[a] = NOBODY;
	}
	assert_true(asid >= 1);   /* ASID 0 is the host's */
	assert_true(asid < asids);
	if (tlb->owner[asid] != NOBODY) {
		assert_int_equal(tlb->owner[asid], (int)v);
		assert_int_equal(tlb->stay[asid], m->stays[v]);
	}
	tlb->owner[asid] = (int)v;
	tlb->stay[asid] = m->stays[v];
}

/* A fixed pseudo-random schedule: vCPUs run on both CPUs, move between them, restart. */
static void run_schedule(u32 asids, u32 vcpus, u32 rounds)
{
	struct model m;
	u32 seed = 12345;

	model_init(&m, asids);
	for (u32 i = 0; i < rounds; i++) {
		u32 v, c;

		seed = seed * 1103515245u + 12345u;
		v = (seed >> 8) % vcpus;
		c = (seed >> 20) % 8 == 0 ? (m.last_cpu[v] + 1) % MODEL_CPUS
		    : m.last_cpu[v] == MODEL_CPUS ? v % MODEL_CPUS : m.last_cpu[v];
		if ((seed >> 4) % 97 == 0)
			svm_asid_forget(&m.vcpus[v]); /* reset by INIT/SIPI or a guest restart */
		model_run(&m, v, c, asids);
	}
	/* More vCPUs than ASIDs on a CPU means new generations, each with a flush. */
	if (vcpus > 2 * (asids - 1))
		assert_true(m.flushes > 2);
}

static void test_sixteen_asids_three_guests(void **state)
{
	run_schedule(16, 24, 20000);
}

static void test_eight_asids(void **state)
{
	run_schedule(8, 12, 20000);
}

static void test_two_asids_flushes_on_every_switch(void **state)
{
	struct model m;

	/* One guest ASID: each change of vCPU on the CPU needs a flush. */
	model_init(&m, 2);
	model_run(&m, 0, 0, 2);
	model_run(&m, 0, 0, 2);
	assert_int_equal(m.flushes, 1); /* the first run on the CPU */
	model_run(&m, 1, 0, 2);
	assert_int_equal(m.flushes, 2);
	model_run(&m, 0, 0, 2);
	assert_int_equal(m.flushes, 3);
	run_schedule(2, 6, 5000);
}

static void test_same_vcpu_keeps_its_asid(void **state)
{
	struct model m;
	u32 first;
	bool flush;

	model_init(&m, 16);
	model_run(&m, 3, 0, 16);
	first = m.vcpus[3].asid;
	for (u32 i = 0; i < 100; i++) {
		assert_int_equal(svm_asid_for_run(&m.cpus[0], 0, &m.vcpus[3], &flush), first);
		assert_false(flush);
	}
}

static void test_distinct_asids_without_flush(void **state)
{
	struct model m;
	bool flush;
	u32 seen = 0;

	/* 15 vCPUs fit 16 ASIDs: each gets its own, one flush (the first run) in all. */
	model_init(&m, 16);
	for (u32 round = 0; round < 3; round++) {
		for (u32 v = 0; v < 15; v++) {
			u32 asid = svm_asid_for_run(&m.cpus[0], 0, &m.vcpus[v], &flush);

			assert_true(asid >= 1 && asid < 16);
			if (round == 0) {
				assert_false(seen & (1u << asid));
				seen |= 1u << asid;
			}
			assert_true(!flush || (round == 0 && v == 0));
		}
	}
}

static void test_moved_vcpu_gets_fresh_asid(void **state)
{
	struct model m;

	/* vCPU 0 runs on CPU 0, moves to 1 and back: its old ASID on 0 may hold translations
	 * that the guest has since changed on CPU 1 (the model checks this). */
	model_init(&m, 16);
	model_run(&m, 0, 0, 16);
	model_run(&m, 0, 1, 16);
	model_run(&m, 0, 0, 16);
	model_run(&m, 1, 0, 16);
	assert_int_not_equal(m.vcpus[0].asid, m.vcpus[1].asid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sixteen_asids_three_guests),
		cmocka_unit_test(test_eight_asids),
		cmocka_unit_test(test_two_asids_flushes_on_every_switch),
		cmocka_unit_test(test_same_vcpu_keeps_its_asid),
		cmocka_unit_test(test_distinct_asids_without_flush),
		cmocka_unit_test(test_moved_vcpu_gets_fresh_asid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
