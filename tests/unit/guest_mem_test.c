// SPDX-License-Identifier: MIT
/* Unit tests for a guest's physical address map (vmm/guest_mem.c): regions, the checked
 * translation of guest pointers, and the nested mappings built from the map. */
#include "test_support.h"

#include <moat/errno.h>
#include <moat/guest_mem.h>

#define ARENA_SIZE MIB(64)
/* Fake host addresses: written into regions and entries, never dereferenced. */
#define RAM_HPA	   GIB(8)
#define SHARED_HPA (GIB(9) + PAGE_SIZE)
#define SHARED_GPA GIB(2)

static struct guest_memory mem;

static int setup(void **state)
{
	guest_memory_init(&mem);
	test_log_capture();
	return 0;
}

static void test_add_regions(void **state)
{
	assert_int_equal(guest_memory_add(&mem, 0, MIB(16), RAM_HPA, PT_RWX, GPA_REGION_RAM), 0);
	/* Adjacent is not overlapping. */
	assert_int_equal(
	    guest_memory_add(&mem, MIB(16), PAGE_SIZE, SHARED_HPA, PT_READ, GPA_REGION_SHARED), 0);
	assert_int_equal(mem.count, 2);
	assert_int_equal(mem.regions[1].base, MIB(16));
	assert_int_equal(mem.regions[1].hpa, SHARED_HPA);
	assert_int_equal(mem.regions[1].perms, PT_READ);
	assert_int_equal(mem.regions[1].kind, GPA_REGION_SHARED);
}

static void test_overlaps_refused(void **state)
{
	assert_int_equal(guest_memory_add(&mem, MIB(4), MIB(4), RAM_HPA, PT_RWX, GPA_REGION_RAM),
			 0);
	assert_int_equal(guest_memory_add(&mem, MIB(8) - PAGE_SIZE, MIB(1), SHARED_HPA, PT_READ,
					  GPA_REGION_SHARED),
			 -MOAT_EEXIST);
	assert_int_equal(
	    guest_memory_add(&mem, 0, MIB(4) + PAGE_SIZE, SHARED_HPA, PT_READ, GPA_REGION_SHARED),
	    -MOAT_EEXIST);
	assert_int_equal(
	    guest_memory_add(&mem, MIB(5), PAGE_SIZE, SHARED_HPA, PT_READ, GPA_REGION_SHARED),
	    -MOAT_EEXIST);
	assert_int_equal(guest_memory_add(&mem, 0, GIB(1), SHARED_HPA, PT_READ, GPA_REGION_SHARED),
			 -MOAT_EEXIST);
	assert_int_equal(mem.count, 1);
}

static void test_bad_regions_refused(void **state)
{
	assert_int_equal(guest_memory_add(&mem, 0x800, PAGE_SIZE, RAM_HPA, PT_RWX, GPA_REGION_RAM),
			 -MOAT_EINVAL);
	assert_int_equal(guest_memory_add(&mem, 0, 100, RAM_HPA, PT_RWX, GPA_REGION_RAM),
			 -MOAT_EINVAL);
	assert_int_equal(guest_memory_add(&mem, 0, PAGE_SIZE, RAM_HPA + 8, PT_RWX, GPA_REGION_RAM),
			 -MOAT_EINVAL);
	assert_int_equal(guest_memory_add(&mem, 0, 0, RAM_HPA, PT_RWX, GPA_REGION_RAM),
			 -MOAT_EINVAL);
	assert_int_equal(guest_memory_add(&mem, ~0ULL - PAGE_SIZE + 1, 2 * PAGE_SIZE, RAM_HPA,
					  PT_RWX, GPA_REGION_RAM),
			 -MOAT_EINVAL);
	assert_int_equal(
	    guest_memory_add(&mem, 0, 2 * PAGE_SIZE, ~0ULL - PAGE_SIZE + 1, PT_RWX, GPA_REGION_RAM),
	    -MOAT_EINVAL);
	assert_int_equal(mem.count, 0);
}

static void test_full(void **state)
{
	for (u32 i = 0; i < GUEST_MAX_REGIONS; i++)
		assert_int_equal(
		    guest_memory_add(&mem, i * MIB(1), PAGE_SIZE, RAM_HPA, PT_READ, GPA_REGION_RAM),
		    0);
	assert_int_equal(
	    guest_memory_add(&mem, GIB(1), PAGE_SIZE, RAM_HPA, PT_READ, GPA_REGION_RAM),
	    -MOAT_ENOSPC);
	assert_int_equal(mem.count, GUEST_MAX_REGIONS);
}

static void test_find(void **state)
{
	assert_int_equal(guest_memory_add(&mem, MIB(1), MIB(1), RAM_HPA, PT_RWX, GPA_REGION_RAM),
			 0);
	assert_int_equal(
	    guest_memory_add(&mem, SHARED_GPA, PAGE_SIZE, SHARED_HPA, PT_READ, GPA_REGION_SHARED),
	    0);
	assert_ptr_equal(guest_memory_find(&mem, MIB(1)), &mem.regions[0]);
	assert_ptr_equal(guest_memory_find(&mem, MIB(2) - 1), &mem.regions[0]);
	assert_ptr_equal(guest_memory_find(&mem, SHARED_GPA + 5), &mem.regions[1]);
	assert_null(guest_memory_find(&mem, MIB(1) - 1));
	assert_null(guest_memory_find(&mem, MIB(2)));
	assert_null(guest_memory_find(&mem, SHARED_GPA + PAGE_SIZE));
	assert_null(guest_memory_find(&mem, ~0ULL));
}

static void test_translate_bounds_and_rights(void **state)
{
	const u64 size = MIB(1);

	assert_int_equal(
	    guest_memory_add(&mem, MIB(1), size, RAM_HPA, PT_READ | PT_WRITE, GPA_REGION_RAM), 0);
	assert_int_equal(
	    guest_memory_add(&mem, MIB(2), PAGE_SIZE, SHARED_HPA, PT_READ, GPA_REGION_SHARED), 0);
	assert_ptr_equal(guest_memory_translate(&mem, MIB(1) + 0x10, 8, PT_READ),
			 (void *)(uintptr_t)(RAM_HPA + 0x10));
	/* The whole region, and its last byte. */
	assert_ptr_equal(guest_memory_translate(&mem, MIB(1), size, PT_READ | PT_WRITE),
			 (void *)(uintptr_t)RAM_HPA);
	assert_ptr_equal(guest_memory_translate(&mem, MIB(2) - 1, 1, PT_WRITE),
			 (void *)(uintptr_t)(RAM_HPA + size - 1));
	/* Crossing into the next region is refused, even though both are mapped. */
	assert_null(guest_memory_translate(&mem, MIB(2) - 1, 2, PT_READ));
	assert_null(guest_memory_translate(&mem, MIB(1), size + 1, PT_READ));
	/* Outside, len 0, rights the region does not grant. */
	assert_null(guest_memory_translate(&mem, MIB(1) - 1, 1, PT_READ));
	assert_null(guest_memory_translate(&mem, MIB(1), 0, PT_READ));
	assert_null(guest_memory_translate(&mem, MIB(1), 8, PT_EXEC));
	assert_null(guest_memory_translate(&mem, MIB(2), 8, PT_WRITE));
	assert_null(guest_memory_translate(&mem, MIB(2), 8, PT_READ | PT_WRITE));
	assert_non_null(guest_memory_translate(&mem, MIB(2), 8, PT_READ));
	/* Lengths that would wrap the address space. */
	assert_null(guest_memory_translate(&mem, MIB(1) + 8, ~0ULL, PT_READ));
	assert_null(guest_memory_translate(&mem, MIB(1) + 8, ~0ULL - 6, PT_READ));
	assert_null(guest_memory_translate(&mem, ~0ULL, 2, PT_READ));
}

static void test_translate_region_at_top(void **state)
{
	const gpa_t base = ~0ULL - MIB(1) + 1;

	assert_int_equal(guest_memory_add(&mem, base, MIB(1), RAM_HPA, PT_READ, GPA_REGION_RAM), 0);
	assert_non_null(guest_memory_translate(&mem, ~0ULL, 1, PT_READ));
	assert_null(guest_memory_translate(&mem, ~0ULL, 2, PT_READ));
	assert_null(guest_memory_translate(&mem, base, MIB(1) + 1, PT_READ));
}

/* --- map_all: the nested tables derived from the map --- */

struct nested {
	u8 *arena;
	struct frame_allocator fa;
	struct page_table pt;
};

static void nested_init(struct nested *n, const struct pt_format *format)
{
	n->arena = aligned_alloc(PAGE_SIZE_2M, ARENA_SIZE);
	assert_non_null(n->arena);
	frame_init(&n->fa);
	assert_int_equal(frame_add_range(&n->fa, ptr_to_hpa(n->arena), ARENA_SIZE), 0);
	assert_int_equal(pt_create(&n->pt, format, &n->fa), 0);
}

static void nested_fini(struct nested *n)
{
	pt_destroy(&n->pt);
	assert_int_equal(n->fa.free_pages, n->fa.total_pages);
	free(n->arena);
}

static void assert_nested(const struct nested *n, gpa_t gpa, hpa_t hpa, u32 level, u32 perms)
{
	struct pt_lookup_result r;

	if (!pt_lookup(&n->pt, gpa, &r))
		fail_msg("gpa 0x%llx not mapped", (unsigned long long)gpa);
	assert_int_equal(r.pa, hpa);
	assert_int_equal(r.level, level);
	assert_int_equal(r.perms, perms);
}

static void assert_not_nested(const struct nested *n, gpa_t gpa)
{
	struct pt_lookup_result r;

	assert_false(pt_lookup(&n->pt, gpa, &r));
}

static void test_map_all(void **state)
{
	const struct pt_format *formats[] = {&pt_format_host, &pt_format_npt, &pt_format_ept};

	for (u32 i = 0; i < ARRAY_SIZE(formats); i++) {
		struct nested n;

		guest_memory_init(&mem);
		/* RAM: 4 MiB + 4 KiB, 2 MiB aligned on both sides: two 2 MiB pages and one 4 KiB.
		 */
		assert_int_equal(
		    guest_memory_add(&mem, 0, MIB(4) + PAGE_SIZE, RAM_HPA, PT_RWX, GPA_REGION_RAM),
		    0);
		/* Shared: host side only 4 KiB aligned, so 4 KiB pages though the GPA is 1 GiB. */
		assert_int_equal(guest_memory_add(&mem, SHARED_GPA, MIB(2), SHARED_HPA, PT_READ,
						  GPA_REGION_SHARED),
				 0);
		nested_init(&n, formats[i]);
		assert_int_equal(guest_memory_map_all(&mem, &n.pt), 0);

		assert_nested(&n, 0, RAM_HPA, 2, PT_RWX);
		assert_nested(&n, MIB(3) + 0x123, RAM_HPA + MIB(3) + 0x123, 2, PT_RWX);
		assert_nested(&n, MIB(4), RAM_HPA + MIB(4), 1, PT_RWX);
		assert_not_nested(&n, MIB(4) + PAGE_SIZE);
		assert_nested(&n, SHARED_GPA, SHARED_HPA, 1, PT_READ);
		assert_nested(&n, SHARED_GPA + MIB(2) - 1, SHARED_HPA + MIB(2) - 1, 1, PT_READ);
		assert_not_nested(&n, SHARED_GPA + MIB(2));
		assert_not_nested(&n, SHARED_GPA - 1);

		/* Mapping the same map again hits the existing mappings: the first error returns.
		 */
		assert_int_equal(guest_memory_map_all(&mem, &n.pt), -MOAT_EEXIST);
		nested_fini(&n);
	}
}

#define GUEST_MEM_TEST(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    GUEST_MEM_TEST(test_add_regions),
	    GUEST_MEM_TEST(test_overlaps_refused),
	    GUEST_MEM_TEST(test_bad_regions_refused),
	    GUEST_MEM_TEST(test_full),
	    GUEST_MEM_TEST(test_find),
	    GUEST_MEM_TEST(test_translate_bounds_and_rights),
	    GUEST_MEM_TEST(test_translate_region_at_top),
	    GUEST_MEM_TEST(test_map_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
