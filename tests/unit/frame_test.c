// SPDX-License-Identifier: MIT
/* Unit tests for the host frame allocator (mm/frame.c) over a 64 MiB heap arena. */
#include "test_support.h"

#include <pthread.h>

#include <moat/errno.h>
#include <moat/frame.h>

#define ARENA_SIZE MIB(64)
#define PATTERN	   0xa5

static u8 *arena;
static struct frame_allocator fa;

static hpa_t at(u64 offset)
{
	return ptr_to_hpa(arena) + offset;
}

static int setup(void **state)
{
	arena = aligned_alloc(PAGE_SIZE_2M, ARENA_SIZE);
	assert_non_null(arena);
	memset(arena, PATTERN, ARENA_SIZE);
	frame_init(&fa);
	test_log_capture();
	return 0;
}

static int teardown(void **state)
{
	free(arena);
	return 0;
}

static bool all_bytes(hpa_t base, u64 len, u8 value)
{
	const u8 *p = hpa_to_ptr(base);

	for (u64 i = 0; i < len; i++)
		if (p[i] != value)
			return false;
	return true;
}

static void assert_range(u32 index, hpa_t base, u64 pages)
{
	assert_true(index < fa.range_count);
	assert_int_equal(fa.free[index].base, base);
	assert_int_equal(fa.free[index].pages, pages);
}

static void test_add_drops_partial_pages(void **state)
{
	assert_int_equal(frame_add_range(&fa, at(100), 3 * PAGE_SIZE + 200), 0);
	assert_int_equal(fa.range_count, 1);
	assert_range(0, at(PAGE_SIZE), 2);
	assert_int_equal(fa.free_pages, 2);
	assert_int_equal(fa.total_pages, 2);

	/* Less than a whole page: nothing added, not an error. */
	assert_int_equal(frame_add_range(&fa, at(MIB(1) + 8), PAGE_SIZE), 0);
	assert_int_equal(fa.range_count, 1);
	assert_int_equal(fa.total_pages, 2);
}

static void test_add_never_hands_out_page_zero(void **state)
{
	/* Fake addresses: only recorded, never touched. */
	assert_int_equal(frame_add_range(&fa, 0, 3 * PAGE_SIZE), 0);
	assert_range(0, PAGE_SIZE, 2);
}

static void test_add_sorts_and_merges(void **state)
{
	assert_int_equal(frame_add_range(&fa, at(MIB(8)), MIB(1)), 0);
	assert_int_equal(frame_add_range(&fa, at(MIB(2)), MIB(1)), 0);
	assert_int_equal(frame_add_range(&fa, at(MIB(16)), MIB(1)), 0);
	assert_int_equal(fa.range_count, 3);
	assert_range(0, at(MIB(2)), 256);
	assert_range(1, at(MIB(8)), 256);
	assert_range(2, at(MIB(16)), 256);
	/* Adjacent to the first on its right: merged, not a new entry. */
	assert_int_equal(frame_add_range(&fa, at(MIB(3)), MIB(1)), 0);
	assert_int_equal(fa.range_count, 3);
	assert_range(0, at(MIB(2)), 512);
	assert_int_equal(fa.total_pages, 1024);
}

static void test_add_refuses_overlap(void **state)
{
	struct frame_allocator before;

	assert_int_equal(frame_add_range(&fa, at(MIB(1)), MIB(1)), 0);
	before = fa;
	assert_int_equal(frame_add_range(&fa, at(KIB(1536)), MIB(1)), -MOAT_EEXIST);
	assert_int_equal(frame_add_range(&fa, at(0), MIB(4)), -MOAT_EEXIST);
	assert_memory_equal(&fa, &before, sizeof(fa));
	assert_log_contains("overlaps free memory already added");
}

static void test_add_table_full(void **state)
{
	for (u32 i = 0; i < FRAME_MAX_RANGES; i++)
		assert_int_equal(frame_add_range(&fa, at(2 * i * PAGE_SIZE), PAGE_SIZE), 0);
	assert_int_equal(fa.range_count, FRAME_MAX_RANGES);
	assert_int_equal(frame_add_range(&fa, at(MIB(32)), PAGE_SIZE), -MOAT_ENOSPC);
	assert_int_equal(fa.total_pages, FRAME_MAX_RANGES);
	assert_log_contains("range table full");
	/* Merging needs no new entry, so it still works. */
	assert_int_equal(frame_add_range(&fa, at(PAGE_SIZE), PAGE_SIZE), 0);
	assert_int_equal(fa.range_count, FRAME_MAX_RANGES - 1);
	assert_range(0, at(0), 3);
}

static void test_reserve_carves(void **state)
{
	assert_int_equal(frame_add_range(&fa, at(0), MIB(8)), 0);
	/* Partial pages round outwards: the reserved bytes must never be handed out. */
	frame_reserve_range(&fa, at(MIB(1) + 10), MIB(1) - 20);
	assert_int_equal(fa.range_count, 2);
	assert_range(0, at(0), 256);
	assert_range(1, at(MIB(2)), 1536);
	assert_int_equal(fa.free_pages, 1792);
	assert_int_equal(fa.total_pages, 1792);

	/* Across the gap and into both neighbours. */
	frame_reserve_range(&fa, at(KIB(1020)), MIB(1) + KIB(8));
	assert_range(0, at(0), 255);
	assert_range(1, at(MIB(2) + KIB(4)), 1535);
	assert_int_equal(fa.free_pages, 1790);

	/* All of the first range, and the tail of the last. */
	frame_reserve_range(&fa, at(0), MIB(1));
	frame_reserve_range(&fa, at(MIB(7)), MIB(4));
	assert_int_equal(fa.range_count, 1);
	assert_range(0, at(MIB(2) + KIB(4)), 1279);
	assert_int_equal(fa.free_pages, 1279);
	assert_int_equal(fa.total_pages, 1279);

	/* Outside every range: nothing changes. */
	frame_reserve_range(&fa, at(MIB(20)), MIB(1));
	assert_int_equal(fa.free_pages, 1279);
}

static void test_alloc_alignment_splits(void **state)
{
	hpa_t a, b;

	assert_int_equal(frame_add_range(&fa, at(PAGE_SIZE), MIB(8) - PAGE_SIZE), 0);
	a = frame_alloc(&fa, 2, PAGE_SIZE_2M);
	assert_int_equal(a, at(MIB(2)));
	assert_true(IS_ALIGNED(a, PAGE_SIZE_2M));
	assert_int_equal(fa.range_count, 2);
	assert_range(0, at(PAGE_SIZE), 511);
	assert_range(1, at(MIB(2) + 2 * PAGE_SIZE), 1534);
	assert_int_equal(fa.free_pages, 2045);
	assert_int_equal(fa.total_pages, 2047);

	/* First fit: the lowest free page. */
	b = frame_alloc(&fa, 1, PAGE_SIZE);
	assert_int_equal(b, at(PAGE_SIZE));
	assert_range(0, at(2 * PAGE_SIZE), 510);
}

static void test_alloc_exhaustion(void **state)
{
	assert_int_equal(frame_add_range(&fa, at(PAGE_SIZE), 4 * PAGE_SIZE), 0);
	assert_int_equal(frame_alloc(&fa, 5, PAGE_SIZE), 0);
	/* Four pages are free but none is 2 MiB aligned. */
	assert_int_equal(frame_alloc(&fa, 1, PAGE_SIZE_2M), 0);
	assert_int_equal(frame_alloc(&fa, 4, PAGE_SIZE), at(PAGE_SIZE));
	assert_int_equal(fa.range_count, 0);
	assert_int_equal(fa.free_pages, 0);
	assert_int_equal(frame_alloc(&fa, 1, PAGE_SIZE), 0);
}

static void test_alloc_refuses_bad_requests(void **state)
{
	assert_int_equal(frame_add_range(&fa, at(0), MIB(4)), 0);
	assert_int_equal(frame_alloc(&fa, 0, PAGE_SIZE), 0);
	assert_int_equal(frame_alloc(&fa, 1, 3 * PAGE_SIZE), 0);
	assert_int_equal(frame_alloc(&fa, 1, 512), 0);
	assert_int_equal(frame_alloc(&fa, ~0ULL, PAGE_SIZE), 0);
	assert_int_equal(fa.free_pages, 1024);
	assert_log_contains("bad allocation request");
}

static void test_alloc_and_free_zero(void **state)
{
	hpa_t a;

	assert_int_equal(frame_add_range(&fa, at(0), MIB(1)), 0);
	assert_true(all_bytes(at(0), MIB(1), PATTERN));
	a = frame_alloc(&fa, 3, PAGE_SIZE);
	assert_true(all_bytes(a, 3 * PAGE_SIZE, 0));
	/* Only what was allocated is zeroed. */
	assert_true(all_bytes(a + 3 * PAGE_SIZE, PAGE_SIZE, PATTERN));
	memset(hpa_to_ptr(a), 0x5a, 3 * PAGE_SIZE);
	frame_free(&fa, a, 3);
	assert_true(all_bytes(a, 3 * PAGE_SIZE, 0));
}

static void test_free_merges_neighbours(void **state)
{
	hpa_t a, b, c;

	assert_int_equal(frame_add_range(&fa, at(PAGE_SIZE), 3 * PAGE_SIZE), 0);
	a = frame_alloc(&fa, 1, PAGE_SIZE);
	b = frame_alloc(&fa, 1, PAGE_SIZE);
	c = frame_alloc(&fa, 1, PAGE_SIZE);
	assert_int_equal(b, a + PAGE_SIZE);
	assert_int_equal(c, b + PAGE_SIZE);
	assert_int_equal(fa.range_count, 0);

	frame_free(&fa, a, 1);
	frame_free(&fa, c, 1);
	assert_int_equal(fa.range_count, 2);
	assert_int_equal(fa.free_pages, 2);
	frame_free(&fa, b, 1);
	assert_int_equal(fa.range_count, 1);
	assert_range(0, a, 3);
	assert_int_equal(fa.free_pages, 3);
	assert_int_equal(fa.total_pages, 3);
}

static void test_double_free_refused(void **state)
{
	struct frame_allocator before;
	hpa_t a, b;

	assert_int_equal(frame_add_range(&fa, at(0), MIB(1)), 0);
	a = frame_alloc(&fa, 2, PAGE_SIZE);
	b = frame_alloc(&fa, 4, PAGE_SIZE);
	frame_free(&fa, a, 2);
	before = fa;
	frame_free(&fa, a, 2);
	assert_memory_equal(&fa, &before, sizeof(fa));
	assert_log_contains("already free (double free)");

	/* Overlapping a free range only partly is refused as well. */
	frame_free(&fa, b - PAGE_SIZE, 2);
	assert_memory_equal(&fa, &before, sizeof(fa));
	frame_free(&fa, b + 3 * PAGE_SIZE, 2);
	assert_memory_equal(&fa, &before, sizeof(fa));

	frame_free(&fa, b, 4);
	assert_int_equal(fa.free_pages, fa.total_pages);
	assert_int_equal(fa.range_count, 1);
}

static void test_free_more_than_added_refused(void **state)
{
	struct frame_allocator before;

	assert_int_equal(frame_add_range(&fa, at(0), MIB(1)), 0);
	before = fa;
	frame_free(&fa, at(MIB(2)), 1);
	frame_free(&fa, at(MIB(2) + 1), 0);
	assert_memory_equal(&fa, &before, sizeof(fa));
	assert_log_contains("bad free");
}

/* Two threads allocating and freeing at once, as two CPUs do when one restarts a guest while
 * another starts (boot/efi_main.c, arch/x86/smp.c): the allocator's own lock keeps the table
 * whole. Without it, this corrupts the counts or the ranges (seen in every run tried). */
#define CONCURRENT_ROUNDS 50000

static pthread_barrier_t concurrent_start;

static void *alloc_free_loop(void *arg)
{
	u64 pages = (u64)(uintptr_t)arg;

	pthread_barrier_wait(&concurrent_start);
	for (u32 i = 0; i < CONCURRENT_ROUNDS; i++) {
		hpa_t a = frame_alloc(&fa, pages, PAGE_SIZE);

		if (!a)
			return (void *)1;
		frame_free(&fa, a, pages);
	}
	return NULL;
}

static void test_concurrent_alloc_and_free(void **state)
{
	pthread_t one, two;
	void *r1, *r2;

	assert_int_equal(frame_add_range(&fa, at(0), MIB(4)), 0);
	assert_int_equal(pthread_barrier_init(&concurrent_start, NULL, 2), 0);
	assert_int_equal(pthread_create(&one, NULL, alloc_free_loop, (void *)(uintptr_t)1), 0);
	assert_int_equal(pthread_create(&two, NULL, alloc_free_loop, (void *)(uintptr_t)3), 0);
	assert_int_equal(pthread_join(one, &r1), 0);
	assert_int_equal(pthread_join(two, &r2), 0);
	pthread_barrier_destroy(&concurrent_start);
	assert_null(r1);
	assert_null(r2);
	assert_int_equal(fa.range_count, 1);
	assert_int_equal(fa.free_pages, fa.total_pages);
	assert_range(0, at(0), MIB(4) / PAGE_SIZE);
	assert_true(all_bytes(at(0), 4 * PAGE_SIZE, 0)); /* the pages both used */
}

#define FRAME_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FRAME_TEST(test_add_drops_partial_pages),
	    FRAME_TEST(test_add_never_hands_out_page_zero),
	    FRAME_TEST(test_add_sorts_and_merges),
	    FRAME_TEST(test_add_refuses_overlap),
	    FRAME_TEST(test_add_table_full),
	    FRAME_TEST(test_reserve_carves),
	    FRAME_TEST(test_alloc_alignment_splits),
	    FRAME_TEST(test_alloc_exhaustion),
	    FRAME_TEST(test_alloc_refuses_bad_requests),
	    FRAME_TEST(test_alloc_and_free_zero),
	    FRAME_TEST(test_free_merges_neighbours),
	    FRAME_TEST(test_double_free_refused),
	    FRAME_TEST(test_free_more_than_added_refused),
	    FRAME_TEST(test_concurrent_alloc_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
