// SPDX-License-Identifier: MIT
/* Unit tests for the page-table builder (mm/pagetable.c) with each format (mm/pt_formats.c).
 * Tables come from a 64 MiB heap arena; mapped addresses are fake and never dereferenced. */
#include "test_support.h"

#include <moat/errno.h>
#include <moat/pagetable.h>

#define ARENA_SIZE	    MIB(64)
#define MAX_SNAPSHOT_TABLES 64

/* Entry bits the tests check, named as in mm/pt_formats.c (SDM Vol. 3 4.5, 29.3.2). */
#define X86_P	       BIT(0)
#define X86_RW	       BIT(1)
#define X86_US	       BIT(2)
#define X86_PWT	       BIT(3)
#define X86_PCD	       BIT(4)
#define X86_PS	       BIT(7)
#define X86_NX	       BIT(63)
#define EPT_R	       BIT(0)
#define EPT_W	       BIT(1)
#define EPT_X	       BIT(2)
#define EPT_MEMTYPE(e) (((e) >> 3) & 7)
#define EPT_IPAT       BIT(6)
#define EPT_LARGE      BIT(7)
#define LOW_BITS       0xfffULL

#define FAKE_PA GIB(4) /* 1 GiB aligned, beyond the arena */

static u8 *arena;
static struct frame_allocator fa;
static struct page_table pt;
static u64 free_before_create;

static int setup(void **state)
{
	const struct pt_format *format = *state;

	arena = aligned_alloc(PAGE_SIZE_2M, ARENA_SIZE);
	assert_non_null(arena);
	memset(arena, 0, ARENA_SIZE); /* so that destroy can be checked to zero what it frees */
	frame_init(&fa);
	assert_int_equal(frame_add_range(&fa, ptr_to_hpa(arena), ARENA_SIZE), 0);
	free_before_create = fa.free_pages;
	test_log_capture();
	assert_int_equal(pt_create(&pt, format, &fa), 0);
	assert_int_equal(pt.table_pages, 1);
	return 0;
}

static int teardown(void **state)
{
	pt_destroy(&pt);
	assert_int_equal(pt.table_pages, 0);
	assert_int_equal(fa.free_pages, free_before_create);
	free(arena);
	return 0;
}

static u32 index_of(u64 va, u32 level)
{
	return (va >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

/* The raw entry for va at level, walking tables that must exist above it. */
static u64 raw_entry(u64 va, u32 level)
{
	hpa_t table = pt.root;

	for (u32 l = PT_LEVELS; l > level; l--) {
		u64 e = ((u64 *)hpa_to_ptr(table))[index_of(va, l)];

		assert_true(pt.format->is_present(e));
		assert_false(pt.format->is_large(e));
		table = pt.format->address(e);
	}
	return ((u64 *)hpa_to_ptr(table))[index_of(va, level)];
}

static void assert_maps(u64 va, hpa_t pa, u32 level, u32 perms)
{
	struct pt_lookup_result r;

	if (!pt_lookup(&pt, va, &r))
		fail_msg("va 0x%llx not mapped", (unsigned long long)va);
	assert_int_equal(r.pa, pa);
	assert_int_equal(r.level, level);
	assert_int_equal(r.page_size, PAGE_SIZE << (9 * (level - 1)));
	assert_int_equal(r.perms, perms);
}

static void assert_unmapped(u64 va)
{
	struct pt_lookup_result r;

	assert_false(pt_lookup(&pt, va, &r));
}

/* Every table reachable from the root, copied in walk order. */
struct snapshot {
	u32 count;
	u64 tables[MAX_SNAPSHOT_TABLES][PT_ENTRIES];
};

static void snapshot_walk(struct snapshot *s, hpa_t table, u32 level)
{
	const u64 *entries = hpa_to_ptr(table);

	assert_true(s->count < MAX_SNAPSHOT_TABLES);
	memcpy(s->tables[s->count++], entries, sizeof(s->tables[0]));
	for (u32 i = 0; level > 1 && i < PT_ENTRIES; i++)
		if (pt.format->is_present(entries[i]) && !pt.format->is_large(entries[i]))
			snapshot_walk(s, pt.format->address(entries[i]), level - 1);
}

static struct snapshot *snapshot_take(void)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	snapshot_walk(s, pt.root, PT_LEVELS);
	return s;
}

static void test_page_size_choice(void **state)
{
	/* 1 GiB: va, pa and size all 1 GiB aligned. */
	assert_int_equal(pt_map_range(&pt, GIB(1), FAKE_PA, GIB(1), PT_RWX, PT_MEMTYPE_WB), 0);
	assert_maps(GIB(1) + 0x1234000, FAKE_PA + 0x1234000, 3, PT_RWX);
	assert_true(pt.format->is_large(raw_entry(GIB(1), 3)));
	assert_int_equal(pt.table_pages, 2);

	/* 2 MiB then one 4 KiB page for the tail. */
	assert_int_equal(
	    pt_map_range(&pt, MIB(2), FAKE_PA + GIB(2), MIB(2) + PAGE_SIZE, PT_RWX, PT_MEMTYPE_WB),
	    0);
	assert_maps(MIB(2), FAKE_PA + GIB(2), 2, PT_RWX);
	assert_maps(MIB(4), FAKE_PA + GIB(2) + MIB(2), 1, PT_RWX);
	assert_unmapped(MIB(4) + PAGE_SIZE);
	assert_true(pt.format->is_large(raw_entry(MIB(2), 2)));
	assert_true(pt.format->is_present(raw_entry(MIB(4), 1)));

	/* pa not 2 MiB aligned: 4 KiB pages only, though va and size are. */
	assert_int_equal(
	    pt_map_range(&pt, MIB(8), FAKE_PA + PAGE_SIZE, MIB(2), PT_RWX, PT_MEMTYPE_WB), 0);
	assert_maps(MIB(8), FAKE_PA + PAGE_SIZE, 1, PT_RWX);
	assert_maps(MIB(10) - PAGE_SIZE, FAKE_PA + MIB(2), 1, PT_RWX);
	assert_false(pt.format->is_large(raw_entry(MIB(8), 2)));

	/* 2 MiB + 1 GiB + 2 MiB: the middle gets a 1 GiB leaf. */
	assert_int_equal(pt_map_range(&pt, GIB(3) - MIB(2), FAKE_PA + GIB(3) - MIB(2),
				      GIB(1) + MIB(4), PT_READ, PT_MEMTYPE_WB),
			 0);
	assert_maps(GIB(3) - MIB(2), FAKE_PA + GIB(3) - MIB(2), 2, PT_READ);
	assert_maps(GIB(3), FAKE_PA + GIB(3), 3, PT_READ);
	assert_maps(GIB(4) + MIB(1), FAKE_PA + GIB(4) + MIB(1), 2, PT_READ);
}

static void test_top_of_address_space(void **state)
{
	u64 top = BIT(48);

	assert_int_equal(pt_map_range(&pt, top - GIB(1), FAKE_PA, GIB(1), PT_READ, PT_MEMTYPE_WB),
			 0);
	assert_maps(top - PAGE_SIZE, FAKE_PA + GIB(1) - PAGE_SIZE, 3, PT_READ);
	assert_int_equal(pt_unmap_range(&pt, top - PAGE_SIZE, PAGE_SIZE), 0);
	assert_unmapped(top - PAGE_SIZE);
	assert_maps(top - 2 * PAGE_SIZE, FAKE_PA + GIB(1) - 2 * PAGE_SIZE, 1, PT_READ);
	assert_unmapped(top);
}

static void test_bad_arguments(void **state)
{
	struct snapshot *before = snapshot_take(), *after;

	assert_int_equal(pt_map_range(&pt, 0x1800, FAKE_PA, PAGE_SIZE, PT_READ, PT_MEMTYPE_WB),
			 -MOAT_EINVAL);
	assert_int_equal(pt_map_range(&pt, 0, FAKE_PA + 8, PAGE_SIZE, PT_READ, PT_MEMTYPE_WB),
			 -MOAT_EINVAL);
	assert_int_equal(pt_map_range(&pt, 0, FAKE_PA, 100, PT_READ, PT_MEMTYPE_WB), -MOAT_EINVAL);
	assert_int_equal(pt_map_range(&pt, 0, FAKE_PA, 0, PT_READ, PT_MEMTYPE_WB), -MOAT_EINVAL);
	assert_int_equal(pt_map_range(&pt, 0, FAKE_PA, PAGE_SIZE, 0, PT_MEMTYPE_WB), -MOAT_EINVAL);
	assert_int_equal(pt_map_range(&pt, 0, FAKE_PA, PAGE_SIZE, 1u << 3, PT_MEMTYPE_WB),
			 -MOAT_EINVAL);
	assert_int_equal(pt_map_range(&pt, 0, FAKE_PA, PAGE_SIZE, PT_READ, (enum pt_memtype)2),
			 -MOAT_EINVAL);
	assert_int_equal(
	    pt_map_range(&pt, BIT(48) - PAGE_SIZE, FAKE_PA, 2 * PAGE_SIZE, PT_READ, PT_MEMTYPE_WB),
	    -MOAT_EINVAL);
	assert_int_equal(
	    pt_map_range(&pt, 0, BIT(52) - PAGE_SIZE, 2 * PAGE_SIZE, PT_READ, PT_MEMTYPE_WB),
	    -MOAT_EINVAL);
	assert_int_equal(pt_map_range(&pt, ~0ULL - PAGE_SIZE + 1, FAKE_PA, 2 * PAGE_SIZE, PT_READ,
				      PT_MEMTYPE_WB),
			 -MOAT_EINVAL);
	assert_int_equal(pt_unmap_range(&pt, 0x10, PAGE_SIZE), -MOAT_EINVAL);
	assert_int_equal(pt_unmap_range(&pt, 0, PAGE_SIZE + 1), -MOAT_EINVAL);
	assert_int_equal(pt_unmap_range(&pt, 0, 0), -MOAT_EINVAL);
	assert_log_contains("bad mapping");
	assert_int_equal(pt.table_pages, 1);
	after = snapshot_take();
	assert_memory_equal(before, after, sizeof(*before));
	free(before);
	free(after);
}

static void test_overlap_refused_unchanged(void **state)
{
	struct snapshot *before, *after;
	u64 free_pages;

	assert_int_equal(pt_map_range(&pt, GIB(1) + MIB(2), FAKE_PA, MIB(2), PT_RWX, PT_MEMTYPE_WB),
			 0);
	assert_int_equal(
	    pt_map_range(&pt, GIB(1) + MIB(8), FAKE_PA, PAGE_SIZE, PT_RWX, PT_MEMTYPE_WB), 0);
	before = snapshot_take();
	free_pages = fa.free_pages;

	/* Over the start of the 2 MiB page, inside it, around it, onto the 4 KiB page. */
	assert_int_equal(pt_map_range(&pt, GIB(1) + MIB(2) - PAGE_SIZE, FAKE_PA, 2 * PAGE_SIZE,
				      PT_RWX, PT_MEMTYPE_WB),
			 -MOAT_EEXIST);
	assert_int_equal(
	    pt_map_range(&pt, GIB(1) + MIB(3), FAKE_PA, PAGE_SIZE, PT_RWX, PT_MEMTYPE_WB),
	    -MOAT_EEXIST);
	assert_int_equal(pt_map_range(&pt, GIB(1), FAKE_PA, MIB(6), PT_RWX, PT_MEMTYPE_WB),
			 -MOAT_EEXIST);
	assert_int_equal(
	    pt_map_range(&pt, GIB(1) + MIB(8), FAKE_PA, PAGE_SIZE, PT_RWX, PT_MEMTYPE_WB),
	    -MOAT_EEXIST);
	/* A range that needs new tables before it reaches the conflict at its far end. */
	assert_int_equal(
	    pt_map_range(&pt, 0, 0, GIB(1) + MIB(8) + PAGE_SIZE, PT_RWX, PT_MEMTYPE_WB),
	    -MOAT_EEXIST);
	assert_log_contains("overlaps an existing mapping");

	after = snapshot_take();
	assert_int_equal(after->count, before->count);
	assert_memory_equal(before, after, sizeof(*before));
	assert_int_equal(fa.free_pages, free_pages);
	free(before);
	free(after);
}

static void test_unmap_splits_2m(void **state)
{
	const u64 va = GIB(1) + MIB(2);
	const u32 perms = PT_READ | PT_WRITE;
	u64 big;

	assert_int_equal(pt_map_range(&pt, va, FAKE_PA, MIB(2), perms, PT_MEMTYPE_UC), 0);
	big = raw_entry(va, 2);
	assert_int_equal(pt.table_pages, 3);

	assert_int_equal(pt_unmap_range(&pt, va + MIB(1), PAGE_SIZE), 0);
	assert_int_equal(pt.table_pages, 4); /* the new 4 KiB table */
	assert_unmapped(va + MIB(1));
	assert_maps(va, FAKE_PA, 1, perms);
	assert_maps(va + MIB(1) - PAGE_SIZE, FAKE_PA + MIB(1) - PAGE_SIZE, 1, perms);
	assert_maps(va + MIB(1) + PAGE_SIZE + 0x10, FAKE_PA + MIB(1) + PAGE_SIZE + 0x10, 1, perms);
	assert_maps(va + MIB(2) - PAGE_SIZE, FAKE_PA + MIB(2) - PAGE_SIZE, 1, perms);
	assert_unmapped(va + MIB(2));

	/* The pieces keep the memory type and rights bit for bit: only the size bit and the
	 * address differ from the original 2 MiB entry. */
	for (u64 off = 0; off < MIB(2); off += PAGE_SIZE) {
		u64 e = raw_entry(va + off, 1);

		if (off == MIB(1)) {
			assert_false(pt.format->is_present(e));
			continue;
		}
		assert_int_equal(e & LOW_BITS, big & LOW_BITS & ~BIT(7));
		assert_int_equal(e & X86_NX, big & X86_NX);
		assert_int_equal(pt.format->address(e), FAKE_PA + off);
	}

	/* Unmapping the rest frees the 4 KiB table and the tables above that became empty. */
	assert_int_equal(pt_unmap_range(&pt, va, MIB(2)), 0);
	assert_int_equal(pt.table_pages, 1);
	assert_unmapped(va);
}

static void test_unmap_splits_1g(void **state)
{
	const u64 va = GIB(2);

	assert_int_equal(pt_map_range(&pt, va, FAKE_PA, GIB(1), PT_READ | PT_EXEC, PT_MEMTYPE_WB),
			 0);
	assert_int_equal(pt_unmap_range(&pt, va + MIB(3) + PAGE_SIZE, PAGE_SIZE), 0);
	/* 1 GiB -> 512 x 2 MiB -> the one holding the hole -> 512 x 4 KiB. */
	assert_int_equal(pt.table_pages, 4);
	assert_maps(va, FAKE_PA, 2, PT_READ | PT_EXEC);
	assert_maps(va + GIB(1) - 1, FAKE_PA + GIB(1) - 1, 2, PT_READ | PT_EXEC);
	assert_maps(va + MIB(3), FAKE_PA + MIB(3), 1, PT_READ | PT_EXEC);
	assert_unmapped(va + MIB(3) + PAGE_SIZE);
	assert_maps(va + MIB(3) + 2 * PAGE_SIZE, FAKE_PA + MIB(3) + 2 * PAGE_SIZE, 1,
		    PT_READ | PT_EXEC);

	/* Unmapping across the edge of two large pages splits both ends. */
	assert_int_equal(pt_unmap_range(&pt, va + MIB(10) - PAGE_SIZE, 2 * PAGE_SIZE), 0);
	assert_unmapped(va + MIB(10) - PAGE_SIZE);
	assert_unmapped(va + MIB(10));
	assert_maps(va + MIB(10) - 2 * PAGE_SIZE, FAKE_PA + MIB(10) - 2 * PAGE_SIZE, 1,
		    PT_READ | PT_EXEC);
	assert_maps(va + MIB(10) + PAGE_SIZE, FAKE_PA + MIB(10) + PAGE_SIZE, 1, PT_READ | PT_EXEC);
	assert_maps(va + MIB(12), FAKE_PA + MIB(12), 2, PT_READ | PT_EXEC);
	assert_int_equal(pt.table_pages, 6);
}

static void test_unmap_frees_empty_tables(void **state)
{
	const u64 va = 0x7f1234567000ULL;
	u64 free_after_create = fa.free_pages;

	assert_int_equal(pt_map_range(&pt, va, FAKE_PA, PAGE_SIZE, PT_READ, PT_MEMTYPE_WB), 0);
	assert_int_equal(pt_map_range(&pt, va + MIB(2), FAKE_PA, PAGE_SIZE, PT_READ, PT_MEMTYPE_WB),
			 0);
	assert_int_equal(pt.table_pages, 5);
	assert_int_equal(pt_unmap_range(&pt, va, PAGE_SIZE), 0);
	assert_int_equal(pt.table_pages, 4); /* the other page still needs its tables */
	assert_maps(va + MIB(2), FAKE_PA, 1, PT_READ);
	/* Unmapping where nothing is mapped is harmless. */
	assert_int_equal(pt_unmap_range(&pt, 0, GIB(8)), 0);
	assert_int_equal(pt_unmap_range(&pt, va + MIB(2), PAGE_SIZE), 0);
	assert_int_equal(pt.table_pages, 1);
	assert_int_equal(fa.free_pages, free_after_create);
	assert_int_equal(raw_entry(va, PT_LEVELS), 0);
}

static void test_lookup_unmapped(void **state)
{
	assert_unmapped(0);
	assert_unmapped(BIT(48));
	assert_unmapped(~0ULL);
	assert_int_equal(pt_map_range(&pt, MIB(4), FAKE_PA, PAGE_SIZE, PT_READ, PT_MEMTYPE_WB), 0);
	assert_unmapped(MIB(4) - 1);
	assert_unmapped(MIB(4) + PAGE_SIZE);
	assert_maps(MIB(4) + PAGE_SIZE - 1, FAKE_PA + PAGE_SIZE - 1, 1, PT_READ);
}

static void test_destroy_returns_every_frame(void **state)
{
	assert_int_equal(
	    pt_map_range(&pt, 0, FAKE_PA, GIB(2) + MIB(6) + PAGE_SIZE, PT_RWX, PT_MEMTYPE_WB), 0);
	assert_int_equal(
	    pt_map_range(&pt, 0x500000000000ULL, FAKE_PA, MIB(1), PT_READ, PT_MEMTYPE_UC), 0);
	assert_int_equal(pt_unmap_range(&pt, GIB(1) + PAGE_SIZE, PAGE_SIZE), 0);
	assert_true(pt.table_pages > 5);
	pt_destroy(&pt);
	assert_int_equal(pt.table_pages, 0);
	assert_int_equal(fa.free_pages, free_before_create);
	assert_int_equal(fa.range_count, 1);
	/* Returned tables are zeroed. */
	for (u64 i = 0; i < ARENA_SIZE; i++)
		if (arena[i])
			fail_msg("arena byte 0x%llx not zero", (unsigned long long)i);
}

/* Leaves only a few frames free so that building tables runs out. */
static void exhaust_frames(u64 leave)
{
	while (fa.free_pages > leave)
		assert_int_not_equal(frame_alloc(&fa, 1, PAGE_SIZE), 0);
}

static void test_out_of_frames(void **state)
{
	struct snapshot *before, *after;
	u64 free_pages;

	assert_int_equal(pt_map_range(&pt, GIB(1), FAKE_PA, MIB(2), PT_RWX, PT_MEMTYPE_WB), 0);
	before = snapshot_take();
	exhaust_frames(2);
	free_pages = fa.free_pages;

	/* Needs three new tables (level 3, 2, 1): the two it got are given back. */
	assert_int_equal(pt_map_range(&pt, GIB(600), FAKE_PA, PAGE_SIZE, PT_READ, PT_MEMTYPE_WB),
			 -MOAT_ENOMEM);
	assert_int_equal(fa.free_pages, free_pages);
	assert_int_equal(pt.table_pages, 3);
	assert_log_contains("out of frames");

	/* A split needs one table: with none left the 2 MiB page stays whole. */
	exhaust_frames(0);
	assert_int_equal(pt_unmap_range(&pt, GIB(1) + MIB(1), PAGE_SIZE), -MOAT_ENOMEM);
	assert_maps(GIB(1) + MIB(1), FAKE_PA + MIB(1), 2, PT_RWX);
	after = snapshot_take();
	assert_memory_equal(before, after, sizeof(*before));
	free(before);
	free(after);
	/* The frames taken above stay allocated; teardown checks only what the table owns. */
	free_before_create = fa.free_pages + pt.table_pages;
}

/* The host format without 2 MiB leaves, so that splitting a 1 GiB page needs many tables. */
static struct pt_format format_without_2m;

static void test_split_without_2m_leaves(void **state)
{
	u64 free_pages;

	assert_int_equal(pt_map_range(&pt, GIB(1), FAKE_PA, GIB(1), PT_READ, PT_MEMTYPE_WB), 0);
	assert_maps(GIB(1) + MIB(2), FAKE_PA + MIB(2), 3, PT_READ);
	/* The split needs 1 + 512 tables: half-way it runs out and gives back what it took. */
	exhaust_frames(300);
	free_pages = fa.free_pages;
	assert_int_equal(pt_unmap_range(&pt, GIB(1) + PAGE_SIZE, PAGE_SIZE), -MOAT_ENOMEM);
	assert_int_equal(fa.free_pages, free_pages);
	assert_int_equal(pt.table_pages, 2);
	assert_maps(GIB(1) + PAGE_SIZE, FAKE_PA + PAGE_SIZE, 3, PT_READ);
	free_before_create = fa.free_pages + pt.table_pages;
}

static void test_split_without_2m_leaves_succeeds(void **state)
{
	assert_int_equal(pt_map_range(&pt, GIB(1), FAKE_PA, GIB(1), PT_READ, PT_MEMTYPE_WB), 0);
	assert_int_equal(pt_unmap_range(&pt, GIB(1) + PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(pt.table_pages, 2 + 1 + 512);
	assert_maps(GIB(1) + MIB(2), FAKE_PA + MIB(2), 1, PT_READ);
	assert_maps(GIB(2) - PAGE_SIZE, FAKE_PA + GIB(1) - PAGE_SIZE, 1, PT_READ);
	assert_unmapped(GIB(1) + PAGE_SIZE);
}

/* --- format-specific encodings --- */

static void test_host_bits(void **state)
{
	u64 leaf;

	assert_int_equal(
	    pt_map_range(&pt, 0, FAKE_PA, PAGE_SIZE, PT_READ | PT_WRITE, PT_MEMTYPE_WB), 0);
	assert_int_equal(
	    pt_map_range(&pt, MIB(2), FAKE_PA, MIB(2), PT_READ | PT_EXEC, PT_MEMTYPE_UC), 0);
	assert_int_equal(pt_map_range(&pt, MIB(4), FAKE_PA, PAGE_SIZE, PT_READ, PT_MEMTYPE_WC), 0);
	/* Tables: P|RW, supervisor only, executable. */
	for (u32 level = PT_LEVELS; level > 1; level--) {
		u64 e = raw_entry(0, level);

		assert_int_equal(e & LOW_BITS, X86_P | X86_RW);
		assert_int_equal(e & X86_NX, 0);
	}
	leaf = raw_entry(0, 1);
	assert_int_equal(leaf & LOW_BITS, X86_P | X86_RW);
	assert_int_equal(leaf & X86_NX, X86_NX);
	assert_int_equal(leaf & ~LOW_BITS & ~X86_NX, FAKE_PA);

	leaf = raw_entry(MIB(2), 2);
	assert_int_equal(leaf & LOW_BITS, X86_P | X86_PS | X86_PCD | X86_PWT);
	assert_int_equal(leaf & X86_NX, 0);

	/* Types the host PAT does not offer fall back to UC. */
	assert_int_equal(raw_entry(MIB(4), 1) & LOW_BITS, X86_P | X86_PCD | X86_PWT);
}

static void test_npt_user_bit_everywhere(void **state)
{
	const u64 vas[] = {0, MIB(2), GIB(1)};

	assert_int_equal(pt_map_range(&pt, 0, FAKE_PA, PAGE_SIZE, PT_READ, PT_MEMTYPE_WB), 0);
	assert_int_equal(pt_map_range(&pt, MIB(2), FAKE_PA, MIB(2), PT_RWX, PT_MEMTYPE_UC), 0);
	assert_int_equal(
	    pt_map_range(&pt, GIB(1), FAKE_PA, GIB(1), PT_READ | PT_WRITE, PT_MEMTYPE_WB), 0);
	for (u32 level = PT_LEVELS; level > 1; level--)
		assert_int_equal(raw_entry(0, level) & LOW_BITS, X86_P | X86_RW | X86_US);
	for (u32 i = 0; i < ARRAY_SIZE(vas); i++) {
		struct pt_lookup_result r;

		assert_true(pt_lookup(&pt, vas[i], &r));
		assert_true(raw_entry(vas[i], r.level) & X86_US);
	}
	assert_int_equal(raw_entry(0, 1) & LOW_BITS, X86_P | X86_US);
	assert_int_equal(raw_entry(0, 1) & X86_NX, X86_NX);
	assert_int_equal(raw_entry(MIB(2), 2) & LOW_BITS,
			 X86_P | X86_RW | X86_US | X86_PS | X86_PCD | X86_PWT);
	assert_int_equal(raw_entry(MIB(2), 2) & X86_NX, 0);
	assert_int_equal(raw_entry(GIB(1), 3) & LOW_BITS, X86_P | X86_RW | X86_US | X86_PS);
	assert_int_equal(raw_entry(GIB(1), 3) & X86_NX, X86_NX);
}

static void test_ept_bits(void **state)
{
	assert_int_equal(pt_map_range(&pt, 0, FAKE_PA, PAGE_SIZE, PT_READ | PT_EXEC, PT_MEMTYPE_WB),
			 0);
	assert_int_equal(
	    pt_map_range(&pt, MIB(2), FAKE_PA, MIB(2), PT_READ | PT_WRITE, PT_MEMTYPE_UC), 0);
	for (u32 level = PT_LEVELS; level > 1; level--)
		assert_int_equal(raw_entry(0, level) & LOW_BITS, EPT_R | EPT_W | EPT_X);
	assert_int_equal(raw_entry(0, 1) & LOW_BITS, EPT_R | EPT_X | (6 << 3));
	assert_int_equal(EPT_MEMTYPE(raw_entry(0, 1)), PT_MEMTYPE_WB);
	assert_int_equal(raw_entry(MIB(2), 2) & LOW_BITS, EPT_R | EPT_W | EPT_LARGE);
	assert_int_equal(EPT_MEMTYPE(raw_entry(MIB(2), 2)), PT_MEMTYPE_UC);
	assert_int_equal(raw_entry(MIB(2), 2) & EPT_IPAT, 0);
	assert_int_equal(raw_entry(MIB(2), 2) & ~LOW_BITS, FAKE_PA);
}

static void assert_ept_leaf_valid(u64 e, u32 asked)
{
	/* SDM Vol. 3 29.3.3.1: write without read is a misconfiguration. */
	assert_false((e & EPT_W) && !(e & EPT_R));
	assert_true(e & EPT_R);
	assert_int_equal(!!(e & EPT_W), !!(asked & PT_WRITE));
	assert_int_equal(!!(e & EPT_X), !!(asked & PT_EXEC));
}

static void test_ept_never_write_without_read(void **state)
{
	for (u32 perms = 1; perms <= PT_RWX; perms++) {
		u64 va = GIB(perms);
		struct pt_lookup_result r;

		/* A 1 GiB, a 2 MiB and a 4 KiB leaf for every combination of rights. */
		assert_int_equal(pt_map_range(&pt, va, FAKE_PA, GIB(1), perms, PT_MEMTYPE_WB), 0);
		assert_ept_leaf_valid(raw_entry(va, 3), perms);
		/* Splitting by unmap must not lose read either. */
		assert_int_equal(pt_unmap_range(&pt, va + PAGE_SIZE, PAGE_SIZE), 0);
		assert_ept_leaf_valid(raw_entry(va, 1), perms);
		assert_ept_leaf_valid(raw_entry(va + MIB(2), 2), perms);
		assert_true(pt_lookup(&pt, va, &r));
		assert_int_equal(r.perms, perms | PT_READ);
	}
	/* And the format's own constructor, at every leaf level. */
	for (u32 perms = 1; perms <= PT_RWX; perms++)
		for (u32 level = 1; level <= 3; level++)
			assert_ept_leaf_valid(
			    pt_format_ept.make_leaf(FAKE_PA, level, perms, PT_MEMTYPE_WB), perms);
}

#define FORMAT_TEST(fn, format)                                                                    \
	cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)&(format))
#define EVERY_FORMAT(fn)                                                                           \
	FORMAT_TEST(fn, pt_format_host), FORMAT_TEST(fn, pt_format_npt),                           \
	    FORMAT_TEST(fn, pt_format_ept)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    EVERY_FORMAT(test_page_size_choice),
	    EVERY_FORMAT(test_top_of_address_space),
	    EVERY_FORMAT(test_bad_arguments),
	    EVERY_FORMAT(test_overlap_refused_unchanged),
	    EVERY_FORMAT(test_unmap_splits_2m),
	    EVERY_FORMAT(test_unmap_splits_1g),
	    EVERY_FORMAT(test_unmap_frees_empty_tables),
	    EVERY_FORMAT(test_lookup_unmapped),
	    EVERY_FORMAT(test_destroy_returns_every_frame),
	    EVERY_FORMAT(test_out_of_frames),
	    FORMAT_TEST(test_split_without_2m_leaves, format_without_2m),
	    FORMAT_TEST(test_split_without_2m_leaves_succeeds, format_without_2m),
	    FORMAT_TEST(test_host_bits, pt_format_host),
	    FORMAT_TEST(test_npt_user_bit_everywhere, pt_format_npt),
	    FORMAT_TEST(test_ept_bits, pt_format_ept),
	    FORMAT_TEST(test_ept_never_write_without_read, pt_format_ept),
	};

	format_without_2m = pt_format_host;
	format_without_2m.name = "host-without-2m";
	format_without_2m.leaf_levels = BIT(1) | BIT(3);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
