// SPDX-License-Identifier: MIT
/* Unit tests for vmm/placement.c: every vCPU goes to the least loaded online CPU of its set,
 * dedicated guests first and alone, and a guest that cannot be placed is not started with a
 * reason naming the vCPU and the CPU. */
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

static int setup(void **state)
{
	memset(&hv, 0, sizeof(hv));
	test_log_capture();
	return 0;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_least_loaded_lowest_first, setup),
		cmocka_unit_test_setup(test_sets_are_respected, setup),
		cmocka_unit_test_setup(test_offline_set_rejects_the_guest, setup),
		cmocka_unit_test_setup(test_dedicated_goes_first_and_alone, setup),
		cmocka_unit_test_setup(test_dedicated_vcpus_do_not_share, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
