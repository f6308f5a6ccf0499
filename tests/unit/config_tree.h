/* SPDX-License-Identifier: MIT */
/* Building device trees for the config unit tests (config_test.c, config_vcpu_test.c) with
 * libfdt's sequential-write API, so each test shows exactly the tree it feeds the parser. */
#ifndef MOAT_TEST_CONFIG_TREE_H
#define MOAT_TEST_CONFIG_TREE_H

#include "test_support.h"

#include <libfdt.h>
#include <moat/config.h>
#include <moat/errno.h>

#define TEST_BLOB_SIZE 65536
#define TEST_GOOD_IMAGE "guests/hello.bin"

static char test_blob[TEST_BLOB_SIZE] __attribute__((aligned(8)));
static struct moat_config test_config;
static char test_err[256];

/* ---- tree building ---- */

static inline void tree_begin(const char *compatible)
{
	assert_int_equal(fdt_create(test_blob, sizeof(test_blob)), 0);
	assert_int_equal(fdt_finish_reservemap(test_blob), 0);
	assert_int_equal(fdt_begin_node(test_blob, ""), 0);
	if (compatible)
		assert_int_equal(fdt_property_string(test_blob, "compatible", compatible), 0);
}

static inline void node_begin(const char *name)
{
	assert_int_equal(fdt_begin_node(test_blob, name), 0);
}

static inline void node_end(void)
{
	assert_int_equal(fdt_end_node(test_blob), 0);
}

static inline void tree_end(void)
{
	node_end();
	assert_int_equal(fdt_finish(test_blob), 0);
}

static inline void prop_string(const char *name, const char *value)
{
	assert_int_equal(fdt_property_string(test_blob, name, value), 0);
}

static inline void prop_u32(const char *name, u32 value)
{
	assert_int_equal(fdt_property_u32(test_blob, name, value), 0);
}

static inline void prop_u64(const char *name, u64 value)
{
	assert_int_equal(fdt_property_u64(test_blob, name, value), 0);
}

/* Raw bytes: string lists ("a\0b\0", pass sizeof) and malformed values. */
static inline void prop_raw(const char *name, const void *value, int len)
{
	assert_int_equal(fdt_property(test_blob, name, value, len), 0);
}

/* A guest with the three required properties; add more, then node_end(). */
static inline void guest_begin(const char *name, u32 mib, const char *format)
{
	node_begin(name);
	prop_u32("memory-mib", mib);
	prop_string("image", TEST_GOOD_IMAGE);
	prop_string("format", format);
}

static inline void guest_good(const char *name)
{
	guest_begin(name, 16, "flat");
	node_end();
}

static inline int parse(void)
{
	return config_parse(test_blob, fdt_totalsize(test_blob), &test_config, test_err,
			    sizeof(test_err));
}

/* ---- a bad guest between two good ones ---- */

typedef void (*guest_writer)(void);

/* Builds / { guests { first {...}; NAME { writer() }; last {...}; }; }, parses it and checks
 * that only NAME is rejected, with exactly the expected error. */
static inline void check_bad_guest(const char *name, guest_writer writer, const char *expected)
{
	tree_begin("moat,config-v1");
	node_begin("guests");
	guest_good("first");
	node_begin(name);
	writer();
	node_end();
	guest_good("last");
	node_end();
	tree_end();

	assert_int_equal(parse(), 0);
	assert_string_equal(test_err, "");
	assert_int_equal(test_config.guest_count, 3);
	assert_true(test_config.guests[0].valid);
	assert_string_equal(test_config.guests[0].name, "first");
	assert_true(test_config.guests[2].valid);
	assert_string_equal(test_config.guests[2].name, "last");
	assert_false(test_config.guests[1].valid);
	assert_string_equal(test_config.guests[1].error, expected);
}

static inline void required(const char *format)
{
	prop_u32("memory-mib", 64);
	prop_string("image", TEST_GOOD_IMAGE);
	prop_string("format", format);
}

/* The properties every guest needs, for a flat image. */
static inline void write_required(void)
{
	prop_u32("memory-mib", 16);
	prop_string("image", TEST_GOOD_IMAGE);
	prop_string("format", "flat");
}

/* The whole tree is refused with exactly expected. */
static inline void assert_tree_error(int rc, const char *expected)
{
	assert_int_equal(rc, -MOAT_EINVAL);
	assert_string_equal(test_err, expected);
	assert_int_equal(test_config.guest_count, 0);
}

#define TEST_MAX_CELLS 20

/* A vcpu@UNIT node with cpus = <cpus...> (none: no cpus property). */
static inline void vcpu_node(u32 unit, const u32 *cpus, u32 count)
{
	fdt32_t cells[TEST_MAX_CELLS];
	char name[16];

	assert_true(count <= TEST_MAX_CELLS);
	snprintf(name, sizeof(name), "vcpu@%x", unit);
	node_begin(name);
	for (u32 i = 0; i < count; i++)
		cells[i] = cpu_to_fdt32(cpus[i]);
	if (count)
		prop_raw("cpus", cells, (int)(count * sizeof(cells[0])));
	node_end();
}

/* Two vcpu nodes, written out of order. */
static inline void write_two_vcpus(void)
{
	static const u32 second[] = { 3, 2 }, first[] = { 1 };

	vcpu_node(1, second, ARRAY_SIZE(second));
	vcpu_node(0, first, ARRAY_SIZE(first));
}

#endif
