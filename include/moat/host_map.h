/* SPDX-License-Identifier: MIT */
/* What Moat's own page tables grant where (mm/host_map.c): its code read-only and
 * executable, the firmware's runtime code and the AP start-up page executable, everything
 * else (Moat's data and stacks, guest RAM, devices) read-write and never executable. */
#ifndef MOAT_HOST_MAP_H
#define MOAT_HOST_MAP_H

#include <moat/types.h>

/* Ranges besides Moat's code that must stay executable: the UEFI runtime code ResetSystem
 * runs in at power-off, and the page the other CPUs start in. */
#define HOST_MAP_MAX_EXEC 32
/* Regions a plan can have: each executable range cuts at most two more. */
#define HOST_MAP_MAX_REGIONS (2 * (HOST_MAP_MAX_EXEC + 1) + 1)

struct host_range {
	u64 start, end; /* [start, end) */
};

/* The machine as boot/ found it (physical addresses; Moat runs identity-mapped). */
struct host_layout {
	u64 phys_top;          /* map [0, phys_top); page 0 stays unmapped */
	struct host_range code; /* Moat's .text, from the linker's symbols */
	struct host_range image; /* all of moat.efi, for the boot log */
	struct host_range exec[HOST_MAP_MAX_EXEC];
	u32 exec_count;
	bool exec_merged; /* exec overflowed: the last range was widened to hold the rest */
};

struct host_region {
	u64 start, end;
	u32 perms; /* enum pt_perm */
};

/* Adds an executable range (page-rounded outwards); past HOST_MAP_MAX_EXEC the last range
 * grows to cover it, so nothing that must run is left out. */
void host_layout_add_exec(struct host_layout *layout, u64 start, u64 end);

/*
 * Turns the layout into the mappings of Moat's own tables: sorted, non-overlapping, merged
 * where neighbours have the same rights, covering [PAGE_SIZE, phys_top rounded up to 1 GiB).
 * Moat's code (rounded out to pages) is PT_READ | PT_EXEC; an exec range PT_RWX (firmware
 * code writes its own data, the AP page holds its parameters); everything else PT_READ |
 * PT_WRITE. Returns the number of regions, or -MOAT_EINVAL for a layout that makes no sense
 * (no code, code outside the map) or -MOAT_E2BIG when out has too few slots.
 */
int host_map_plan(const struct host_layout *layout, struct host_region *out, u32 max);

/* The rights the plan gives the page holding address (0 for page 0 and beyond the top). */
u32 host_map_perms_at(const struct host_layout *layout, u64 address);

struct page_table;
/*
 * Walks every leaf of pt over [0, top) and checks it against the plan: page 0 unmapped,
 * each page the rights host_map_perms_at gives it (with PT_EXEC everywhere when the CPU
 * has no NX, nx false). Returns true, or false with the first wrong page in why.
 */
bool host_map_verify(const struct page_table *pt, const struct host_layout *layout, bool nx,
		     char *why, size_t size);
/* "rx", "rw nx", "rwx" or "r nx": how the boot log names rights. */
const char *host_map_perms_name(u32 perms);

#endif
