/* SPDX-License-Identifier: MIT */
/* One 4-level page-table builder (mm/pagetable.c) for every x86 format Moat builds: its own
 * long-mode tables, AMD NPT and Intel EPT. A format descriptor says how entries look. */
#ifndef MOAT_PAGETABLE_H
#define MOAT_PAGETABLE_H

#include <moat/frame.h>
#include <moat/types.h>

#define PT_LEVELS 4
#define PT_ENTRIES 512

/* Access rights of a mapping, as the format can express them. */
enum pt_perm {
	PT_READ = 1u << 0,
	PT_WRITE = 1u << 1,
	PT_EXEC = 1u << 2,
	PT_RWX = PT_READ | PT_WRITE | PT_EXEC,
};

/* Memory types (Intel SDM Vol. 3 11.3 / AMD APM Vol. 2 7.4 encodings). */
enum pt_memtype {
	PT_MEMTYPE_UC = 0,
	PT_MEMTYPE_WC = 1,
	PT_MEMTYPE_WT = 4,
	PT_MEMTYPE_WP = 5,
	PT_MEMTYPE_WB = 6,
};

/*
 * How one format encodes entries. Levels count from 1 (the 4 KiB page table) to 4 (the
 * PML4). leaf_levels has bit n set when level n may hold a leaf (1: 4 KiB, 2: 2 MiB,
 * 3: 1 GiB).
 */
#define PT_LEAF_LEVEL(n) (1u << (n))

struct pt_format {
	const char *name;
	u32 leaf_levels;
	/* Entry pointing at the next-level table at hpa. */
	u64 (*make_table)(hpa_t next);
	/* Leaf entry mapping hpa at the given level with perms and memtype. */
	u64 (*make_leaf)(hpa_t hpa, u32 level, u32 perms, enum pt_memtype memtype);
	bool (*is_present)(u64 entry);
	/* True when a present entry at level > 1 is a leaf (large page). */
	bool (*is_large)(u64 entry);
	hpa_t (*address)(u64 entry);
	/* Decodes a leaf's permissions (enum pt_perm). */
	u32 (*perms)(u64 entry);
};

extern const struct pt_format pt_format_host; /* x86-64 4-level paging (SDM 4.5) */
extern const struct pt_format pt_format_npt;  /* AMD nested paging (APM 15.25): U set everywhere */
extern const struct pt_format pt_format_ept;  /* Intel EPT (SDM 29.3) */

struct page_table {
	const struct pt_format *format;
	struct frame_allocator *frames;
	hpa_t root; /* the level-4 table */
	u64 table_pages; /* tables allocated, for accounting */
};

/* Allocates an empty root. Returns 0 or -MOAT_ENOMEM. */
int pt_create(struct page_table *pt, const struct pt_format *format,
	      struct frame_allocator *frames);
/* Frees every table (not the mapped memory) and zeroes them. */
void pt_destroy(struct page_table *pt);

/*
 * Maps [va, va + size) to [pa, pa + size). va, pa and size must be 4 KiB aligned; the
 * builder uses the largest pages both addresses' alignment and the format allow. Refuses
 * (-MOAT_EEXIST) to map over any existing mapping and leaves the table unchanged then.
 */
int pt_map_range(struct page_table *pt, u64 va, hpa_t pa, u64 size, u32 perms,
		 enum pt_memtype memtype);
/* Removes mappings in [va, va + size), splitting large pages at the edges as needed.
 * Tables left empty are freed. */
int pt_unmap_range(struct page_table *pt, u64 va, u64 size);

struct pt_lookup_result {
	hpa_t pa;        /* translated address of va */
	u32 perms;
	u32 level;       /* level of the leaf: 1, 2 or 3 */
	u64 page_size;
};

/* Walks the table for va. Returns false when va is not mapped. */
bool pt_lookup(const struct page_table *pt, u64 va, struct pt_lookup_result *out);

#endif
