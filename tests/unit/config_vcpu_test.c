// SPDX-License-Identifier: MIT
/* Tests for vmm/config_vcpu.c, /moat/slice-us and /moat/smt-siblings: a guest's vcpu@N nodes
 * with their CPU sets, the 'cpu' shorthand, 'dedicated', the scheduling slice, and whether
 * SMT siblings may run different guests. */
#include "config_tree.h"

/* ---- vCPUs, CPU sets, dedicated ---- */


/* / { guests { NAME { required, then writer() } } }, parsed; returns that guest. */
static const struct guest_config *parse_one_guest(const char *name, guest_writer writer)
{
	tree_begin("moat,config-v1");
	node_begin("guests");
	node_begin(name);
	write_required();
	writer();
	node_end();
	node_end();
	tree_end();
	assert_int_equal(parse(), 0);
	assert_int_equal(test_config.guest_count, 1);
	return &test_config.guests[0];
}

static void write_nothing(void)
{
}

static void write_cpu_zero(void)
{
	prop_u32("cpu", 0);
}

static void write_cpu_last(void)
{
	prop_u32("cpu", CONFIG_MAX_CPUS - 1);
}

static void test_vcpu_defaults_and_cpu(void **state)
{
	const struct guest_config *guest = parse_one_guest("plain", write_nothing);

	assert_true(guest->valid);
	assert_int_equal(guest->vcpu_count, 1);
	assert_int_equal(guest->vcpu_cpus[0], CONFIG_ALL_CPUS);
	assert_int_equal(guest->vcpu_cpus[0], 0xffff);
	assert_false(guest->dedicated);
	assert_int_equal(test_config.slice_us, CONFIG_DEFAULT_SLICE_US);
	assert_int_equal(test_config.slice_us, 10000);

	guest = parse_one_guest("first", write_cpu_zero);
	assert_true(guest->valid);
	assert_int_equal(guest->vcpu_count, 1);
	assert_int_equal(guest->vcpu_cpus[0], 0x1);

	guest = parse_one_guest("last", write_cpu_last);
	assert_true(guest->valid);
	assert_int_equal(guest->vcpu_count, 1);
	assert_int_equal(guest->vcpu_cpus[0], 0x8000);
}

/* Written out of order: the unit address, not the position, says which vCPU it is. */
static void write_two_vcpus_one_free(void)
{
	static const u32 first[] = { 0 };

	prop_raw("dedicated", "", 0);
	vcpu_node(0, first, ARRAY_SIZE(first));
	vcpu_node(1, NULL, 0);
}

static void test_vcpu_two_nodes(void **state)
{
	const struct guest_config *guest = parse_one_guest("web", write_two_vcpus);

	assert_true(guest->valid);
	assert_string_equal(guest->error, "");
	assert_int_equal(guest->vcpu_count, 2);
	assert_int_equal(guest->vcpu_cpus[0], 0x2);
	assert_int_equal(guest->vcpu_cpus[1], 0xc);
	assert_false(guest->dedicated);

	guest = parse_one_guest("db", write_two_vcpus_one_free);
	assert_true(guest->valid);
	assert_int_equal(guest->vcpu_count, 2);
	assert_int_equal(guest->vcpu_cpus[0], 0x1);
	assert_int_equal(guest->vcpu_cpus[1], CONFIG_ALL_CPUS);
	assert_true(guest->dedicated);
}

/* vcpu@7 first, down to vcpu@0; vcpu@N may run on CPUs N and N + 8. */
static void write_eight_vcpus(void)
{
	for (u32 unit = CONFIG_MAX_VCPUS; unit-- > 0;) {
		u32 cpus[] = { unit, unit + 8 };

		vcpu_node(unit, cpus, ARRAY_SIZE(cpus));
	}
}

static void test_vcpu_eight_nodes(void **state)
{
	const struct guest_config *guest = parse_one_guest("big", write_eight_vcpus);

	assert_true(guest->valid);
	assert_int_equal(guest->vcpu_count, 8);
	for (u32 unit = 0; unit < 8; unit++)
		assert_int_equal(guest->vcpu_cpus[unit], (1u << unit) | (1u << (unit + 8)));
}

static void write_nine_vcpus(void)
{
	write_required();
	for (u32 unit = 0; unit < CONFIG_MAX_VCPUS + 1; unit++)
		vcpu_node(unit, NULL, 0);
}

static void write_vcpu_gap(void)
{
	write_required();
	vcpu_node(0, NULL, 0);
	vcpu_node(2, NULL, 0);
}

static void write_vcpu_alone_at_8(void)
{
	write_required();
	vcpu_node(8, NULL, 0);
}

static void write_vcpu_twice(void)
{
	write_required();
	vcpu_node(0, NULL, 0);
	vcpu_node(1, NULL, 0);
	vcpu_node(0, NULL, 0);
}

static void write_vcpu_leading_zero(void)
{
	write_required();
	node_begin("vcpu@00");
	node_end();
}

static void write_foreign_child(void)
{
	write_required();
	vcpu_node(0, NULL, 0);
	node_begin("cpu@1");
	node_end();
}

static void write_cpu_and_vcpus(void)
{
	write_required();
	prop_u32("cpu", 1);
	vcpu_node(0, NULL, 0);
}

static void test_vcpu_numbering_errors(void **state)
{
	check_bad_guest("bad", write_nine_vcpus, "/guests/bad: 9 vcpu@N nodes (max 8)");
	check_bad_guest("bad", write_vcpu_gap,
			"/guests/bad: vcpu@1 is missing (vcpu@N nodes are numbered from 0 with "
			"no gap)");
	check_bad_guest("bad", write_vcpu_alone_at_8,
			"/guests/bad: vcpu@0 is missing (vcpu@N nodes are numbered from 0 with "
			"no gap)");
	check_bad_guest("bad", write_vcpu_twice,
			"/guests/bad: node 'vcpu@0' appears more than once");
	check_bad_guest("bad", write_vcpu_leading_zero,
			"/guests/bad: unexpected child node 'vcpu@00' (only vcpu@0 to vcpu@7)");
	check_bad_guest("bad", write_foreign_child,
			"/guests/bad: unexpected child node 'cpu@1' (only vcpu@0 to vcpu@7)");
	check_bad_guest("bad", write_cpu_and_vcpus,
			"/guests/bad: property 'cpu': use either 'cpu' or vcpu@N nodes, not "
			"both");
}

static void write_cpus_out_of_range(void)
{
	static const u32 cpus[] = { 1, 19 };

	write_required();
	vcpu_node(0, NULL, 0);
	vcpu_node(1, cpus, ARRAY_SIZE(cpus));
}

static void write_cpus_first_past_last(void)
{
	static const u32 cpus[] = { CONFIG_MAX_CPUS };

	write_required();
	vcpu_node(0, cpus, ARRAY_SIZE(cpus));
}

static void write_cpus_duplicate(void)
{
	static const u32 cpus[] = { 2, 5, 2 };

	write_required();
	vcpu_node(0, cpus, ARRAY_SIZE(cpus));
}

static void write_cpus_short(void)
{
	write_required();
	node_begin("vcpu@0");
	prop_raw("cpus", "\0\0\1", 3);
	node_end();
}

static void write_cpus_empty(void)
{
	write_required();
	node_begin("vcpu@0");
	prop_raw("cpus", "", 0);
	node_end();
}

static void write_vcpu_unknown_property(void)
{
	write_required();
	node_begin("vcpu@0");
	prop_u32("cpu", 1);
	node_end();
}

static void write_vcpu_child(void)
{
	write_required();
	node_begin("vcpu@0");
	node_begin("extra");
	node_end();
	node_end();
}

static void write_dedicated_value(void)
{
	write_required();
	prop_u32("dedicated", 1);
}

static void test_vcpu_node_errors(void **state)
{
	check_bad_guest("web", write_cpus_out_of_range,
			"/guests/web/vcpu@1: property 'cpus': cpu 19 is out of range (0..15)");
	check_bad_guest("web", write_cpus_first_past_last,
			"/guests/web/vcpu@0: property 'cpus': cpu 16 is out of range (0..15)");
	check_bad_guest("web", write_cpus_duplicate,
			"/guests/web/vcpu@0: property 'cpus': cpu 2 is listed twice");
	check_bad_guest("web", write_cpus_short,
			"/guests/web/vcpu@0: property 'cpus': expected one or more 32-bit "
			"cells, found 3 bytes");
	check_bad_guest("web", write_cpus_empty,
			"/guests/web/vcpu@0: property 'cpus': expected one or more 32-bit "
			"cells, found 0 bytes");
	check_bad_guest("web", write_vcpu_unknown_property,
			"/guests/web/vcpu@0: property 'cpu': unknown property (known: cpus)");
	check_bad_guest("web", write_vcpu_child,
			"/guests/web/vcpu@0: unexpected child node 'extra'");
	check_bad_guest("web", write_dedicated_value,
			"/guests/web: property 'dedicated': takes no value (write "
			"'dedicated;'), found 4 bytes");
}

/* ---- /moat/slice-us ---- */

/* / { moat { slice-us = <slice>; }; guests { one {...} } }, parsed. */
static int parse_slice(u32 slice)
{
	tree_begin("moat,config-v1");
	node_begin("moat");
	prop_u32("slice-us", slice);
	node_end();
	node_begin("guests");
	guest_good("one");
	node_end();
	tree_end();
	return parse();
}

static void test_slice(void **state)
{
	assert_int_equal(parse_slice(CONFIG_MIN_SLICE_US), 0);
	assert_int_equal(test_config.slice_us, 1000);
	assert_int_equal(parse_slice(2500), 0);
	assert_int_equal(test_config.slice_us, 2500);
	assert_int_equal(parse_slice(CONFIG_MAX_SLICE_US), 0);
	assert_int_equal(test_config.slice_us, 1000000);

	assert_tree_error(parse_slice(999),
			  "/moat: property 'slice-us': 999 is below the minimum of 1000");
	assert_int_equal(test_config.slice_us, CONFIG_DEFAULT_SLICE_US);
	assert_tree_error(parse_slice(1000001),
			  "/moat: property 'slice-us': 1000001 is above the maximum of 1000000");
	assert_int_equal(test_config.slice_us, CONFIG_DEFAULT_SLICE_US);
}

/* ---- /moat/smt-siblings ---- */

/* / { moat { smt-siblings = value (len bytes); }; guests { one {...} } }, parsed. */
static int parse_smt(const char *value, int len)
{
	tree_begin("moat,config-v1");
	node_begin("moat");
	prop_raw("smt-siblings", value, len);
	node_end();
	node_begin("guests");
	guest_good("one");
	node_end();
	tree_end();
	return parse();
}

static void test_smt_siblings(void **state)
{
	/* Absent: siblings never run different guests. */
	assert_int_equal(parse_slice(2500), 0);
	assert_int_equal(test_config.smt_siblings, CONFIG_SMT_SAME_GUEST);
	assert_int_equal(parse_smt("any", sizeof("any")), 0);
	assert_int_equal(test_config.smt_siblings, CONFIG_SMT_ANY);
	assert_string_equal(config_smt_siblings_name(test_config.smt_siblings), "any");
	assert_int_equal(parse_smt("same-guest", sizeof("same-guest")), 0);
	assert_int_equal(test_config.smt_siblings, CONFIG_SMT_SAME_GUEST);
	assert_string_equal(config_smt_siblings_name(test_config.smt_siblings), "same-guest");

	assert_tree_error(parse_smt("never", sizeof("never")),
			  "/moat: property 'smt-siblings': unknown value \"never\" (expected "
			  "same-guest or any)");
	/* A rejected tree leaves the safe default behind. */
	assert_int_equal(test_config.smt_siblings, CONFIG_SMT_SAME_GUEST);
	assert_int_equal(parse_smt("any\0any", sizeof("any\0any")), -MOAT_EINVAL);
	assert_int_equal(parse_smt("", 0), -MOAT_EINVAL);
	assert_int_equal(test_config.smt_siblings, CONFIG_SMT_SAME_GUEST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_defaults_and_cpu),
		cmocka_unit_test(test_vcpu_two_nodes),
		cmocka_unit_test(test_vcpu_eight_nodes),
		cmocka_unit_test(test_vcpu_numbering_errors),
		cmocka_unit_test(test_vcpu_node_errors),
		cmocka_unit_test(test_slice),
		cmocka_unit_test(test_smt_siblings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
