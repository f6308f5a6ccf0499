// SPDX-License-Identifier: MIT
/* The one 4-level page-table builder: maps, unmaps (splitting large pages at the edges),
 * looks up and destroys tables of any format described by a struct pt_format. */
#include <moat/errno.h>
#include <moat/log.h>
#include <moat/pagetable.h>
#include <moat/string.h>

#define PT_INDEX_BITS 9
#define PT_INDEX_MASK (PT_ENTRIES - 1)
/* Four levels translate 48 bits of address (SDM Vol. 3 4.5). */
#define PT_VA_LIMIT BIT(PAGE_SHIFT + PT_LEVELS * PT_INDEX_BITS)
/* Entries hold address bits 51:12 (SDM Vol. 3 4.5, 29.3.2; APM Vol. 2 5.3). */
#define PT_PA_LIMIT BIT(52)

static u32 pt_shift(u32 level)
{
	return PAGE_SHIFT + (level - 1) * PT_INDEX_BITS;
}

static u64 pt_level_size(u32 level)
{
	return BIT(pt_shift(level));
}

static u32 pt_index(u64 va, u32 level)
{
	return (va >> pt_shift(level)) & PT_INDEX_MASK;
}

static u64 *pt_table(hpa_t table)
{
	return hpa_to_ptr(table);
}

static bool pt_is_leaf(const struct pt_format *f, u64 entry, u32 level)
{
	return level == 1 || f->is_large(entry);
}

/* End of the level-sized block holding va, clipped to end. */
static u64 pt_block_end(u64 va, u64 end, u32 level)
{
	return MIN(ALIGN_DOWN(va, pt_level_size(level)) + pt_level_size(level), end);
}

static hpa_t pt_alloc_table(struct page_table *pt)
{
	hpa_t table = frame_alloc(pt->frames, 1, PAGE_SIZE);

	if (table)
		pt->table_pages++;
	return table;
}

static void pt_free_table(struct page_table *pt, hpa_t table)
{
	frame_free(pt->frames, table, 1);
	pt->table_pages--;
}

/* Frees table (of the given level) and every table below it. */
static void pt_free_tree(struct page_table *pt, hpa_t table, u32 level)
{
	const struct pt_format *f = pt->format;
	u64 *entries = pt_table(table);

	for (u32 i = 0; level > 1 && i < PT_ENTRIES; i++)
		if (f->is_present(entries[i]) && !f->is_large(entries[i]))
			pt_free_tree(pt, f->address(entries[i]), level - 1);
	pt_free_table(pt, table);
}

static bool pt_table_empty(const struct pt_format *f, hpa_t table)
{
	const u64 *entries = pt_table(table);

	for (u32 i = 0; i < PT_ENTRIES; i++)
		if (f->is_present(entries[i]))
			return false;
	return true;
}

/* True when nothing in [va, end) is mapped below table (of the given level). */
static bool pt_range_free(const struct pt_format *f, hpa_t table, u32 level, u64 va, u64 end)
{
	const u64 *entries = pt_table(table);

	for (u64 next; va < end; va = next) {
		u64 entry = entries[pt_index(va, level)];

		next = pt_block_end(va, end, level);
		if (!f->is_present(entry))
			continue;
		if (pt_is_leaf(f, entry, level))
			return false;
		if (!pt_range_free(f, f->address(entry), level - 1, va, next))
			return false;
	}
	return true;
}

struct pt_mapping {
	u32 perms;
	enum pt_memtype memtype;
};

/* A leaf at this level fits [va, end) when the format allows it and everything is aligned. */
static bool pt_leaf_fits(const struct pt_format *f, u32 level, u64 va, hpa_t pa, u64 end)
{
	u64 size = pt_level_size(level);

	return (f->leaf_levels & BIT(level)) && IS_ALIGNED(va | pa, size) && end - va >= size;
}

/*
 * Maps [va, end) to pa below table (of the given level), which the caller has found free.
 * Returns -MOAT_ENOMEM when a table cannot be allocated; what was built stays linked in.
 */
static int pt_map_level(struct page_table *pt, hpa_t table, u32 level, u64 va, hpa_t pa, u64 end,
			const struct pt_mapping *m)
{
	const struct pt_format *f = pt->format;
	u64 *entries = pt_table(table);

	for (u64 next; va < end; pa += next - va, va = next) {
		u64 *entry = &entries[pt_index(va, level)];
		int ret;

		next = pt_block_end(va, end, level);
		if (pt_leaf_fits(f, level, va, pa, next)) {
			*entry = f->make_leaf(pa, level, m->perms, m->memtype);
			continue;
		}
		if (!f->is_present(*entry)) {
			hpa_t child = pt_alloc_table(pt);

			if (!child)
				return -MOAT_ENOMEM;
			*entry = f->make_table(child);
		}
		ret = pt_map_level(pt, f->address(*entry), level - 1, va, pa, next, m);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Clears every mapping in [va, end) below table and frees tables that become empty. The
 * caller has split large pages at the edges, so every leaf met lies wholly inside.
 */
static void pt_clear_level(struct page_table *pt, hpa_t table, u32 level, u64 va, u64 end)
{
	const struct pt_format *f = pt->format;
	u64 *entries = pt_table(table);

	for (u64 next; va < end; va = next) {
		u64 *entry = &entries[pt_index(va, level)];
		hpa_t child;

		next = pt_block_end(va, end, level);
		if (!f->is_present(*entry))
			continue;
		if (pt_is_leaf(f, *entry, level)) {
			*entry = 0;
			continue;
		}
		child = f->address(*entry);
		pt_clear_level(pt, child, level - 1, va, next);
		if (pt_table_empty(f, child)) {
			*entry = 0;
			pt_free_table(pt, child);
		}
	}
}

/*
 * The memory type of a leaf, found by re-encoding: the format has no decoder for it, so the
 * bits that differ between memory types are compared with each candidate's encoding.
 * Hardware-set bits (accessed, dirty) lie outside those bits and do not disturb it.
 */
static enum pt_memtype pt_leaf_memtype(const struct pt_format *f, u64 entry, u32 level)
{
	static const enum pt_memtype types[] = {PT_MEMTYPE_UC, PT_MEMTYPE_WC, PT_MEMTYPE_WT,
						PT_MEMTYPE_WP, PT_MEMTYPE_WB};
	hpa_t pa = f->address(entry);
	u32 perms = f->perms(entry);
	u64 base = f->make_leaf(pa, level, perms, PT_MEMTYPE_WB);
	u64 type_bits = 0;

	for (u32 i = 0; i < ARRAY_SIZE(types); i++)
		type_bits |= f->make_leaf(pa, level, perms, types[i]) ^ base;
	for (u32 i = 0; i < ARRAY_SIZE(types); i++)
		if (((f->make_leaf(pa, level, perms, types[i]) ^ entry) & type_bits) == 0)
			return types[i];
	return PT_MEMTYPE_UC;
}

/*
 * Replaces the large leaf *entry at level (mapping the block that starts at va) with a table
 * mapping the same memory with the same rights and type at finer levels. The translation
 * does not change; the caller flushes TLBs for the final result.
 */
static int pt_split_large(struct page_table *pt, u64 *entry, u32 level, u64 va)
{
	const struct pt_format *f = pt->format;
	struct pt_mapping m = {.perms = f->perms(*entry),
			       .memtype = pt_leaf_memtype(f, *entry, level)};
	hpa_t child = pt_alloc_table(pt);
	int ret;

	if (!child)
		return -MOAT_ENOMEM;
	ret = pt_map_level(pt, child, level - 1, va, f->address(*entry), va + pt_level_size(level),
			   &m);
	if (ret) {
		pt_free_tree(pt, child, level - 1);
		return ret;
	}
	*entry = f->make_table(child);
	return 0;
}

/* Makes sure no large page straddles addr, splitting the ones that do. */
static int pt_split_at(struct page_table *pt, u64 addr)
{
	const struct pt_format *f = pt->format;
	hpa_t table = pt->root;

	for (u32 level = PT_LEVELS; level > 1; level--) {
		u64 *entry = &pt_table(table)[pt_index(addr, level)];
		int ret;

		/* At a block boundary nothing below can straddle addr. */
		if (!f->is_present(*entry) || IS_ALIGNED(addr, pt_level_size(level)))
			return 0;
		if (f->is_large(*entry)) {
			u64 block = ALIGN_DOWN(addr, pt_level_size(level));

			ret = pt_split_large(pt, entry, level, block);
			if (ret)
				return ret;
		}
		table = f->address(*entry);
	}
	return 0;
}

static bool pt_range_valid(u64 va, u64 size)
{
	return size && IS_ALIGNED(va | size, PAGE_SIZE) && va < PT_VA_LIMIT &&
	       size <= PT_VA_LIMIT - va;
}

static bool pt_memtype_valid(enum pt_memtype memtype)
{
	return memtype == PT_MEMTYPE_UC || memtype == PT_MEMTYPE_WC || memtype == PT_MEMTYPE_WT ||
	       memtype == PT_MEMTYPE_WP || memtype == PT_MEMTYPE_WB;
}

int pt_create(struct page_table *pt, const struct pt_format *format, struct frame_allocator *frames)
{
	*pt = (struct page_table){.format = format, .frames = frames};
	/* The builder always ends a walk in a 4 KiB leaf and never puts a leaf in the root. */
	if (!(format->leaf_levels & BIT(1)) || (format->leaf_levels & BIT(PT_LEVELS))) {
		log_error("pt: %s: unsupported leaf levels 0x%x", format->name,
			  format->leaf_levels);
		return -MOAT_EINVAL;
	}
	pt->root = pt_alloc_table(pt);
	if (!pt->root) {
		log_error("pt: %s: no free frame for the root table", format->name);
		return -MOAT_ENOMEM;
	}
	return 0;
}

void pt_destroy(struct page_table *pt)
{
	if (pt->root)
		pt_free_tree(pt, pt->root, PT_LEVELS);
	pt->root = 0;
}

int pt_map_range(struct page_table *pt, u64 va, hpa_t pa, u64 size, u32 perms,
		 enum pt_memtype memtype)
{
	const struct pt_format *f = pt->format;
	struct pt_mapping m = {.perms = perms, .memtype = memtype};
	int ret;

	if (!pt_range_valid(va, size) || !IS_ALIGNED(pa, PAGE_SIZE) || pa >= PT_PA_LIMIT ||
	    size > PT_PA_LIMIT - pa || !perms || (perms & ~PT_RWX) || !pt_memtype_valid(memtype)) {
		log_error("pt: %s: bad mapping 0x%llx -> 0x%llx size 0x%llx perms 0x%x type %u",
			  f->name, (unsigned long long)va, (unsigned long long)pa,
			  (unsigned long long)size, perms, (unsigned)memtype);
		return -MOAT_EINVAL;
	}
	if (!pt_range_free(f, pt->root, PT_LEVELS, va, va + size)) {
		log_error("pt: %s: 0x%llx-0x%llx overlaps an existing mapping", f->name,
			  (unsigned long long)va, (unsigned long long)(va + size));
		return -MOAT_EEXIST;
	}
	ret = pt_map_level(pt, pt->root, PT_LEVELS, va, pa, va + size, &m);
	if (ret) {
		/* The range was free, so clearing all of it restores the table exactly. */
		pt_clear_level(pt, pt->root, PT_LEVELS, va, va + size);
		log_error("pt: %s: out of frames for tables mapping 0x%llx size 0x%llx", f->name,
			  (unsigned long long)va, (unsigned long long)size);
	}
	return ret;
}

int pt_unmap_range(struct page_table *pt, u64 va, u64 size)
{
	const struct pt_format *f = pt->format;
	int ret;

	if (!pt_range_valid(va, size)) {
		log_error("pt: %s: bad unmap 0x%llx size 0x%llx", f->name, (unsigned long long)va,
			  (unsigned long long)size);
		return -MOAT_EINVAL;
	}
	/* Splitting first keeps every translation as it was if a split runs out of frames. */
	ret = pt_split_at(pt, va);
	if (!ret)
		ret = pt_split_at(pt, va + size);
	if (ret) {
		log_error("pt: %s: out of frames splitting a large page, 0x%llx size 0x%llx kept",
			  f->name, (unsigned long long)va, (unsigned long long)size);
		return ret;
	}
	pt_clear_level(pt, pt->root, PT_LEVELS, va, va + size);
	return 0;
}

bool pt_lookup(const struct page_table *pt, u64 va, struct pt_lookup_result *out)
{
	const struct pt_format *f = pt->format;
	hpa_t table = pt->root;

	if (va >= PT_VA_LIMIT)
		return false;
	for (u32 level = PT_LEVELS; level >= 1; level--) {
		u64 entry = pt_table(table)[pt_index(va, level)];
		u64 size = pt_level_size(level);

		if (!f->is_present(entry))
			return false;
		if (pt_is_leaf(f, entry, level)) {
			out->pa = f->address(entry) + (va & (size - 1));
			out->perms = f->perms(entry);
			out->level = level;
			out->page_size = size;
			return true;
		}
		table = f->address(entry);
	}
	return false;
}
