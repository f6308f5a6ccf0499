// SPDX-License-Identifier: MIT
/* Unit tests for vmm/placement.c: every vCPU goes to the least loaded online CPU of its set,
 * dedicated guests first and alone on whole cores, SMT siblings kept for one guest under
 * "same-guest", and a guest that cannot be placed is not started with a reason naming the
 * vCPU and the CPU. Topologies: no SMT, 2 threads per core, 4 CPUs on 2 cores. */
#include "test_support.h"

#include <moat/hypervisor.h>

static struct hypervisor hv;
static u32 online_mask;

static bool fake_online(u32 cpu)
{
	return online_mask & (1u << cpu);
}

static void fake_vcpu_destroy(struct vcpu *vcpu, struct frame_allocator *frames)
{
	vcpu->vendor = NULL;
}

static const struct vendor_ops fake_ops = { .name = "fake", .vcpu_destroy = fake_vcpu_destroy };

/* Adds a running guest whose vCPU i may run on sets[i]. */
static struct vm *add_guest(const char *name, u32 count, const u32 *sets, bool dedicated)
{
	u32 i = hv.vm_count++;
	struct guest_config *config = &hv.config.guests[i];
	struct vm *vm = &hv.vms[i];

	snprintf(config->name, sizeof(config->name), "%s", name);
	config->vcpu_count = count;
	config->dedicated = dedicated;
	memcpy(config->vcpu_cpus, sets, count * sizeof(u32));
	*vm = (struct vm){ .id = i, .config = config, .name = config->name, .ops = &fake_ops,
			   .state = VM_STATE_RUNNING, .vcpu_count = count };
	return vm;
}

/* No SMT: every CPU is a core of its own. */
static int setup(void **state)
{
	memset(&hv, 0, sizeof(hv));
	for (u32 cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++)
		hv.cpu_core[cpu] = cpu;
	test_log_capture();
	return 0;
}

/* Two threads per core, numbered as many firmwares do: the first thread of every core,
 * then the second ones (cpu c and cpu c + cores share core c). */
static void two_threads_per_core(u32 cores)
{
	for (u32 cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++)
		hv.cpu_core[cpu] = cpu % cores;
}

static void test_least_loaded_lowest_first(void **state)
{
	const u32 any[] = { CONFIG_ALL_CPUS, CONFIG_ALL_CPUS, CONFIG_ALL_CPUS };
	struct vm *a, *b;

	online_mask = 0x3;
	a = add_guest("a", 3, any, false);
	b = add_guest("b", 1, any, false);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(a->vcpus[0].cpu, 0);
	assert_int_equal(a->vcpus[1].cpu, 1);
	assert_int_equal(a->vcpus[2].cpu, 0);
	assert_int_equal(b->vcpus[0].cpu, 1);
	assert_int_equal(b->state, VM_STATE_RUNNING);
	/* The run loops' list: every placed vCPU, in configuration order. */
	assert_int_equal(hv.vcpu_total, 4);
	assert_ptr_equal(hv.vcpus[0], &a->vcpus[0]);
	assert_ptr_equal(hv.vcpus[3], &b->vcpus[0]);
}

static void test_sets_are_respected(void **state)
{
	const u32 sets[] = { 1u << 2, (1u << 1) | (1u << 2) };
	struct vm *a;

	online_mask = 0x7;
	a = add_guest("a", 2, sets, false);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(a->vcpus[0].cpu, 2);
	assert_int_equal(a->vcpus[1].cpu, 1);
}

static void test_offline_set_rejects_the_guest(void **state)
{
	const u32 ok[] = { CONFIG_ALL_CPUS }, nowhere[] = { CONFIG_ALL_CPUS, 1u << 5 };
	struct vm *a, *b;

	online_mask = 0x1;
	a = add_guest("a", 1, ok, false);
	b = add_guest("nowhere", 2, nowhere, false);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(a->state, VM_STATE_RUNNING);
	assert_int_equal(b->state, VM_STATE_NOT_STARTED);
	assert_string_equal(b->stop_reason, "vcpu 1: none of its CPUs is online (1 online)");
	assert_int_equal(hv.vcpu_total, 1); /* a guest not started has no vCPU to run */
	assert_log_contains("guest 'nowhere': vcpu 1: none of its CPUs is online");
}

static void test_dedicated_goes_first_and_alone(void **state)
{
	const u32 any[] = { CONFIG_ALL_CPUS }, one[] = { 1u << 1 }, pair[] = { 0x3, 0x3 };
	struct vm *shared, *solo, *intruder;

	online_mask = 0x3;
	shared = add_guest("shared", 2, pair, false);
	intruder = add_guest("intruder", 1, one, false);
	solo = add_guest("solo", 1, one, true);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(solo->state, VM_STATE_RUNNING);
	assert_int_equal(solo->vcpus[0].cpu, 1);
	assert_int_equal(shared->vcpus[0].cpu, 0);
	assert_int_equal(shared->vcpus[1].cpu, 0);
	assert_int_equal(intruder->state, VM_STATE_NOT_STARTED);
	assert_string_equal(intruder->stop_reason, "vcpu 0: cpu 1 is dedicated to guest 'solo'");
	(void)any;
}

static void test_dedicated_vcpus_do_not_share(void **state)
{
	const u32 pair[] = { 0x3, 0x3, 0x3 };
	struct vm *greedy;

	online_mask = 0x3;
	greedy = add_guest("greedy", 3, pair, true);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(greedy->state, VM_STATE_NOT_STARTED);
	assert_string_equal(greedy->stop_reason,
			    "vcpu 2: no CPU of its set is free to dedicate to it");
}

/* -smp 2,threads=2: two guests pinned to the two threads of one core. */
static void test_siblings_refuse_a_second_guest(void **state)
{
	const u32 first[] = { 1u << 0 }, second[] = { 1u << 1 };
	struct vm *a, *b;

	online_mask = 0x3;
	two_threads_per_core(1);
	a = add_guest("a", 1, first, false);
	b = add_guest("b", 1, second, false);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(a->state, VM_STATE_RUNNING);
	assert_int_equal(b->state, VM_STATE_NOT_STARTED);
	assert_string_equal(b->stop_reason, "vcpu 0: cpu 1 shares a core with guest 'a' "
					    "(smt-siblings \"same-guest\")");
	assert_log_contains("guest 'b': vcpu 0: cpu 1 shares a core with guest 'a'");
	/* Neither may a vCPU of b be moved there later, nor of anyone but a. */
	assert_true(hypervisor_core_allows(&hv, a, 0));
	assert_true(hypervisor_core_allows(&hv, a, 1));
	assert_false(hypervisor_core_allows(&hv, b, 1));
}

static void test_siblings_any_runs_both(void **state)
{
	const u32 first[] = { 1u << 0 }, second[] = { 1u << 1 };
	struct vm *a, *b;

	online_mask = 0x3;
	two_threads_per_core(1);
	hv.config.smt_siblings = CONFIG_SMT_ANY;
	a = add_guest("a", 1, first, false);
	b = add_guest("b", 1, second, false);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(a->state, VM_STATE_RUNNING);
	assert_int_equal(b->state, VM_STATE_RUNNING);
	assert_int_equal(b->vcpus[0].cpu, 1);
	assert_true(hypervisor_core_allows(&hv, b, 0));
	assert_int_equal(hv.smt_shared_cpus, 0);
}

/* Without SMT the rule changes nothing: a one-thread core may be shared and moved to. */
static void test_no_smt_shares_cpus(void **state)
{
	const u32 zero[] = { 1u << 0 };
	struct vm *a, *b;

	online_mask = 0x3;
	a = add_guest("a", 1, zero, false);
	b = add_guest("b", 1, zero, false);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(a->state, VM_STATE_RUNNING);
	assert_int_equal(b->state, VM_STATE_RUNNING);
	assert_int_equal(b->vcpus[0].cpu, 0);
	assert_true(hypervisor_core_allows(&hv, a, 1));
	assert_true(hypervisor_core_allows(&hv, b, 0));
}

/* 4 CPUs on 2 cores: each guest packs onto a core of its own, vCPUs spread over its threads. */
static void test_guests_pack_onto_their_own_cores(void **state)
{
	const u32 any[] = { CONFIG_ALL_CPUS, CONFIG_ALL_CPUS, CONFIG_ALL_CPUS };
	struct vm *a, *b, *c;

	online_mask = 0xf;
	two_threads_per_core(2); /* core 0: cpus 0 and 2; core 1: cpus 1 and 3 */
	a = add_guest("a", 2, any, false);
	b = add_guest("b", 2, any, false);
	c = add_guest("c", 1, any, false);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(a->vcpus[0].cpu, 0);
	assert_int_equal(a->vcpus[1].cpu, 2);
	assert_int_equal(b->vcpus[0].cpu, 1);
	assert_int_equal(b->vcpus[1].cpu, 3);
	assert_int_equal(c->state, VM_STATE_NOT_STARTED);
	assert_string_equal(c->stop_reason, "vcpu 0: cpu 0 shares a core with guest 'a' "
					    "(smt-siblings \"same-guest\")");
	assert_int_equal(hv.smt_shared_cpus, 0xf);
	assert_ptr_equal(hv.core_owner[2], a);
	assert_ptr_equal(hv.core_owner[3], b);
	assert_false(hypervisor_core_allows(&hv, a, 1));
	assert_false(hypervisor_core_allows(&hv, b, 2));
}

/* A guest that fails half-way leaves no claim on the cores it tried. */
static void test_failed_guest_leaves_cores_free(void **state)
{
	const u32 half[] = { 1u << 0, 1u << 5 }, zero[] = { 1u << 0 };
	struct vm *a, *b;

	online_mask = 0x3;
	two_threads_per_core(1);
	a = add_guest("a", 2, half, false);
	b = add_guest("b", 1, zero, false);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(a->state, VM_STATE_NOT_STARTED);
	assert_int_equal(b->state, VM_STATE_RUNNING);
	assert_ptr_equal(hv.core_owner[1], b);
}

/* dedicated takes the whole core even where siblings may run different guests. */
static void test_dedicated_reserves_the_core(void **state)
{
	const u32 one[] = { 1u << 1 }, zero[] = { 1u << 0 }, any[] = { CONFIG_ALL_CPUS };
	struct vm *solo, *neighbour, *other;

	online_mask = 0xf;
	two_threads_per_core(2); /* core 1: cpus 1 and 3 */
	hv.config.smt_siblings = CONFIG_SMT_ANY;
	neighbour = add_guest("neighbour", 1, (const u32[]){ 1u << 3 }, false);
	other = add_guest("other", 1, any, false);
	solo = add_guest("solo", 1, one, true);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(solo->state, VM_STATE_RUNNING);
	assert_int_equal(neighbour->state, VM_STATE_NOT_STARTED);
	assert_string_equal(neighbour->stop_reason,
			    "vcpu 0: cpu 3 shares a core with a CPU dedicated to guest 'solo'");
	assert_int_equal(other->vcpus[0].cpu, 0);
	assert_int_equal(hv.dedicated_cpus, (1u << 1) | (1u << 3));
	(void)zero;
}

/* A dedicated guest's own vCPUs may use both threads; a second dedicated guest may not. */
static void test_dedicated_siblings_stay_with_their_guest(void **state)
{
	const u32 pair[] = { 0x3, 0x3 }, zero[] = { 1u << 0 };
	struct vm *both, *late;

	online_mask = 0x3;
	two_threads_per_core(1);
	both = add_guest("both", 2, pair, true);
	late = add_guest("late", 1, (const u32[]){ 0x3 }, true);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(both->state, VM_STATE_RUNNING);
	assert_int_equal(both->vcpus[0].cpu, 0);
	assert_int_equal(both->vcpus[1].cpu, 1);
	assert_int_equal(late->state, VM_STATE_NOT_STARTED);
	assert_string_equal(late->stop_reason,
			    "vcpu 0: no CPU of its set is free to dedicate to it");
	(void)zero;
}

/* A dedicated guest cannot take a thread whose sibling another dedicated guest uses. */
static void test_dedicated_needs_a_free_core(void **state)
{
	struct vm *first, *second;

	online_mask = 0x3;
	two_threads_per_core(1);
	hv.config.smt_siblings = CONFIG_SMT_ANY;
	first = add_guest("first", 1, (const u32[]){ 1u << 0 }, true);
	second = add_guest("second", 1, (const u32[]){ 1u << 1 }, true);
	hypervisor_place_guests(&hv, fake_online);
	assert_int_equal(first->state, VM_STATE_RUNNING);
	assert_int_equal(second->state, VM_STATE_NOT_STARTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_least_loaded_lowest_first, setup),
		cmocka_unit_test_setup(test_sets_are_respected, setup),
		cmocka_unit_test_setup(test_offline_set_rejects_the_guest, setup),
		cmocka_unit_test_setup(test_dedicated_goes_first_and_alone, setup),
		cmocka_unit_test_setup(test_dedicated_vcpus_do_not_share, setup),
		cmocka_unit_test_setup(test_siblings_refuse_a_second_guest, setup),
		cmocka_unit_test_setup(test_siblings_any_runs_both, setup),
		cmocka_unit_test_setup(test_no_smt_shares_cpus, setup),
		cmocka_unit_test_setup(test_guests_pack_onto_their_own_cores, setup),
		cmocka_unit_test_setup(test_failed_guest_leaves_cores_free, setup),
		cmocka_unit_test_setup(test_dedicated_reserves_the_core, setup),
		cmocka_unit_test_setup(test_dedicated_siblings_stay_with_their_guest, setup),
		cmocka_unit_test_setup(test_dedicated_needs_a_free_core, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
