/* SPDX-License-Identifier: MIT */
/* A guest's physical address map (vmm/guest_mem.c): the single truth of what a guest owns.
 * Nested page tables are derived from it, and every guest pointer is checked against it. */
#ifndef MOAT_GUEST_MEM_H
#define MOAT_GUEST_MEM_H

#include <moat/pagetable.h>
#include <moat/types.h>

#define GUEST_MAX_REGIONS 16

enum gpa_region_kind {
	GPA_REGION_RAM,
	GPA_REGION_SHARED,
	/* A device's registers (vm_add_mmio, include/moat/mmio.h): no host memory behind it,
	 * never mapped in the nested tables, never a target of guest_memory_translate. */
	GPA_REGION_DEVICE,
};

struct gpa_region {
	gpa_t base;
	u64 size;
	hpa_t hpa;
	u32 perms; /* enum pt_perm */
	enum gpa_region_kind kind;
};

struct guest_memory {
	struct gpa_region regions[GUEST_MAX_REGIONS];
	u32 count;
};

void guest_memory_init(struct guest_memory *mem);
/* Adds a region; refuses (-MOAT_EEXIST) one that overlaps another, -MOAT_EINVAL for
 * unaligned or wrapping ranges, -MOAT_ENOSPC when full. */
int guest_memory_add(struct guest_memory *mem, gpa_t base, u64 size, hpa_t hpa, u32 perms,
		     enum gpa_region_kind kind);
/* Finds the region holding gpa, or NULL. */
const struct gpa_region *guest_memory_find(const struct guest_memory *mem, gpa_t gpa);
/*
 * The one translate-and-check helper for guest pointers: returns a host pointer to
 * [gpa, gpa + len) when that whole range lies in one region that grants every right in
 * access (enum pt_perm), else NULL. len 0 is refused.
 */
void *guest_memory_translate(const struct guest_memory *mem, gpa_t gpa, u64 len, u32 access);
/* Maps every region into pt (write-back). Returns 0 or the first error. */
int guest_memory_map_all(const struct guest_memory *mem, struct page_table *pt);

#endif
