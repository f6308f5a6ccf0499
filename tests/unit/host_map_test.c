// SPDX-License-Identifier: MIT
/* Unit tests for mm/host_map.c: the rights of Moat's own mappings from a memory layout (code
 * rx, firmware runtime code and the AP page rwx, everything else rw nx, page 0 unmapped),
 * and the check that finds a table that grants anything else. */
#include "test_support.h"

#include <moat/errno.h>
#include <moat/host_map.h>
#include <moat/pagetable.h>

#define ARENA_SIZE MIB(4)
#define RW_NX (PT_READ | PT_WRITE)
#define RX (PT_READ | PT_EXEC)

static u8 *arena;
static struct frame_allocator fa;
static struct host_layout layout;
static struct host_region regions[HOST_MAP_MAX_REGIONS];

/* A machine like OVMF's: Moat's image at 16 MiB with its code from +0x7000, firmware
 * runtime code high in RAM, the AP page at 0x8000, 3 GiB and a bit of RAM. */
static int setup(void **state)
{
	memset(&layout, 0, sizeof(layout));
	layout.phys_top = GIB(3) + MIB(5);
	layout.image = (struct host_range){ 0x1000000, 0x1060000 };
	layout.code = (struct host_range){ 0x1007000, 0x101fff0 };
	host_layout_add_exec(&layout, 0x7f000000, 0x7f010000);
	host_layout_add_exec(&layout, 0x8000, 0x9000);
	arena = aligned_alloc(PAGE_SIZE_2M, ARENA_SIZE);
	assert_non_null(arena);
	frame_init(&fa);
	assert_int_equal(frame_add_range(&fa, ptr_to_hpa(arena), ARENA_SIZE), 0);
	test_log_capture();
	return 0;
}

static int teardown(void **state)
{
	free(arena);
	return 0;
}

static void assert_region(u32 i, u64 start, u64 end, u32 perms)
{
	assert_int_equal(regions[i].start, start);
	assert_int_equal(regions[i].end, end);
	assert_int_equal(regions[i].perms, perms);
}

static void test_plan_regions(void **state)
{
	assert_int_equal(host_map_plan(&layout, regions, HOST_MAP_MAX_REGIONS), 7);
	assert_region(0, 0x1000, 0x8000, RW_NX);
	assert_region(1, 0x8000, 0x9000, PT_RWX);        /* the AP start-up page */
	assert_region(2, 0x9000, 0x1007000, RW_NX);
	assert_region(3, 0x1007000, 0x1020000, RX);      /* code, rounded up to its page */
	assert_region(4, 0x1020000, 0x7f000000, RW_NX);  /* data, stacks, guest RAM */
	assert_region(5, 0x7f000000, 0x7f010000, PT_RWX); /* firmware runtime code */
	assert_region(6, 0x7f010000, GIB(4), RW_NX);     /* the rest, MMIO included */
	assert_int_equal(host_map_perms_at(&layout, 0), 0);
	assert_int_equal(host_map_perms_at(&layout, 0x1021000), RW_NX);
	assert_int_equal(host_map_perms_at(&layout, GIB(4)), 0);
	assert_string_equal(host_map_perms_name(RX), "rx");
	assert_string_equal(host_map_perms_name(RW_NX), "rw nx");
}

/* Nothing makes Moat's code writable, not even a firmware range around it. */
static void test_code_wins_over_exec_ranges(void **state)
{
	host_layout_add_exec(&layout, 0x1000000, 0x1100000);
	assert_int_equal(host_map_plan(&layout, regions, HOST_MAP_MAX_REGIONS), 9);
	assert_region(3, 0x1000000, 0x1007000, PT_RWX);
	assert_region(4, 0x1007000, 0x1020000, RX);
	assert_region(5, 0x1020000, 0x1100000, PT_RWX);
}

/* Adjacent ranges merge; too many executable ranges widen the last one, never drop one. */
static void test_exec_ranges_merge_and_overflow(void **state)
{
	memset(&layout.exec, 0, sizeof(layout.exec));
	layout.exec_count = 0;
	for (u32 i = 0; i < HOST_MAP_MAX_EXEC + 2; i++)
		host_layout_add_exec(&layout, MIB(64) + i * MIB(2), MIB(64) + i * MIB(2) + 10);
	assert_true(layout.exec_merged);
	assert_int_equal(layout.exec_count, HOST_MAP_MAX_EXEC);
	assert_int_equal(host_map_perms_at(&layout, MIB(64) + (HOST_MAP_MAX_EXEC + 1) * MIB(2)),
			 PT_RWX);
	assert_int_equal(host_map_perms_at(&layout, MIB(64) + MIB(1)), RW_NX);
	/* Two touching ranges are one region. */
	memset(&layout.exec, 0, sizeof(layout.exec));
	layout.exec_count = 0;
	host_layout_add_exec(&layout, 0x8000, 0x9000);
	host_layout_add_exec(&layout, 0x9000, 0xa000);
	assert_int_equal(host_map_plan(&layout, regions, HOST_MAP_MAX_REGIONS), 5);
	assert_region(1, 0x8000, 0xa000, PT_RWX);
	assert_int_equal(host_map_plan(&layout, regions, 2), -MOAT_E2BIG);
}

static void test_bad_layouts(void **state)
{
	layout.code = (struct host_range){ 0, 0 };
	assert_int_equal(host_map_plan(&layout, regions, HOST_MAP_MAX_REGIONS), -MOAT_EINVAL);
	layout.code = (struct host_range){ GIB(5), GIB(5) + PAGE_SIZE };
	assert_int_equal(host_map_plan(&layout, regions, HOST_MAP_MAX_REGIONS), -MOAT_EINVAL);
}

/* Builds host tables from the plan as cpu_setup.c does. */
static void build(struct page_table *pt, bool nx)
{
	int count = host_map_plan(&layout, regions, HOST_MAP_MAX_REGIONS);

	assert_true(count > 0);
	assert_int_equal(pt_create(pt, &pt_format_host, &fa), 0);
	for (int i = 0; i < count; i++)
		assert_int_equal(pt_map_range(pt, regions[i].start, regions[i].start,
					      regions[i].end - regions[i].start,
					      nx ? regions[i].perms : regions[i].perms | PT_EXEC,
					      PT_MEMTYPE_WB),
				 0);
}

static void test_verify_accepts_the_plan(void **state)
{
	struct page_table pt;
	char why[128] = "";

	build(&pt, true);
	assert_true(host_map_verify(&pt, &layout, true, why, sizeof(why)));
	/* Built for a CPU without NX (everything executable), checked as with NX: wrong. */
	pt_destroy(&pt);
	build(&pt, false);
	assert_true(host_map_verify(&pt, &layout, false, why, sizeof(why)));
	assert_false(host_map_verify(&pt, &layout, true, why, sizeof(why)));
	assert_string_equal(why, "0x1000 is rwx, should be rw nx");
	pt_destroy(&pt);
}

/* A code page left writable, guest RAM left executable, page 0 mapped, a hole: each found. */
static void test_verify_finds_wrong_pages(void **state)
{
	struct page_table pt;
	char why[128] = "";

	build(&pt, true);
	assert_int_equal(pt_unmap_range(&pt, 0x1010000, PAGE_SIZE), 0);
	assert_int_equal(pt_map_range(&pt, 0x1010000, 0x1010000, PAGE_SIZE, PT_RWX,
				      PT_MEMTYPE_WB),
			 0);
	assert_false(host_map_verify(&pt, &layout, true, why, sizeof(why)));
	assert_string_equal(why, "0x1010000 is rwx, should be rx");
	pt_destroy(&pt);

	build(&pt, true);
	assert_int_equal(pt_unmap_range(&pt, GIB(2), PAGE_SIZE_2M), 0);
	assert_int_equal(pt_map_range(&pt, GIB(2), GIB(2), PAGE_SIZE_2M, PT_RWX, PT_MEMTYPE_WB), 0);
	assert_false(host_map_verify(&pt, &layout, true, why, sizeof(why)));
	assert_string_equal(why, "0x80000000 is rwx, should be rw nx");
	pt_destroy(&pt);

	build(&pt, true);
	assert_int_equal(pt_map_range(&pt, 0, 0, PAGE_SIZE, RW_NX, PT_MEMTYPE_WB), 0);
	assert_false(host_map_verify(&pt, &layout, true, why, sizeof(why)));
	assert_string_equal(why, "0x0 is rw nx, should be unmapped");
	pt_destroy(&pt);

	build(&pt, true);
	assert_int_equal(pt_unmap_range(&pt, 0x7f000000, PAGE_SIZE), 0);
	assert_false(host_map_verify(&pt, &layout, true, why, sizeof(why)));
	assert_string_equal(why, "0x7f000000 is not mapped (should be rwx)");
	pt_destroy(&pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_regions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_wins_over_exec_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_ranges_merge_and_overflow, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_layouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_accepts_the_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_finds_wrong_pages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
