// SPDX-License-Identifier: MIT
/* The memory map both Linux loaders hand over (include/moat/boot_memmap.h): the guest's
 * physical map as the kernel should see it, with the platform's low hole reserved. */
#include <moat/boot_memmap.h>
#include <moat/platform.h>

static void boot_memmap_add(struct boot_memmap *map, u64 base, u64 end,
			    enum boot_memmap_type type)
{
	u32 i;

	if (end <= base || map->count == BOOT_MEMMAP_MAX_ENTRIES)
		return;
	/* Insertion in address order: the regions of a guest map are disjoint. */
	for (i = map->count; i > 0 && map->entries[i - 1].base > base; i--)
		map->entries[i] = map->entries[i - 1];
	map->entries[i] = (struct boot_memmap_entry){ base, end - base, type };
	map->count++;
}

static u64 boot_memmap_min(u64 a, u64 b)
{
	return a < b ? a : b;
}

static u64 boot_memmap_max(u64 a, u64 b)
{
	return a > b ? a : b;
}

void boot_memmap_build(const struct guest_memory *mem, struct boot_memmap *map)
{
	map->count = 0;
	for (u32 i = 0; i < mem->count; i++) {
		const struct gpa_region *r = &mem->regions[i];
		u64 end = r->base + r->size;

		if (r->kind != GPA_REGION_RAM) {
			/* Shared memory and device registers: there, but not the kernel's to
			 * allocate. */
			boot_memmap_add(map, r->base, end, BOOT_MEMMAP_RESERVED);
			continue;
		}
		/* RAM below and above the hole; the hole itself is added once, below. */
		boot_memmap_add(map, r->base, boot_memmap_min(end, PLATFORM_RESERVED_BASE),
				BOOT_MEMMAP_RAM);
		boot_memmap_add(map, boot_memmap_max(r->base, PLATFORM_RESERVED_END), end,
				BOOT_MEMMAP_RAM);
	}
	boot_memmap_add(map, PLATFORM_RESERVED_BASE, PLATFORM_RESERVED_END, BOOT_MEMMAP_RESERVED);
}
