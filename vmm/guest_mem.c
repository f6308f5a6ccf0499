// SPDX-License-Identifier: MIT
/* A guest's physical address map and the one helper that turns guest pointers into host
 * pointers after checking them against it. */
#include <moat/errno.h>
#include <moat/guest_mem.h>
#include <moat/string.h>

void guest_memory_init(struct guest_memory *mem)
{
	memset(mem, 0, sizeof(*mem));
}

int guest_memory_add(struct guest_memory *mem, gpa_t base, u64 size, hpa_t hpa, u32 perms,
		     enum gpa_region_kind kind)
{
	struct gpa_region *region;

	if (!size || !IS_ALIGNED(base | size | hpa, PAGE_SIZE) || range_wraps(base, size) ||
	    range_wraps(hpa, size))
		return -MOAT_EINVAL;
	for (u32 i = 0; i < mem->count; i++)
		if (ranges_overlap(base, size, mem->regions[i].base, mem->regions[i].size))
			return -MOAT_EEXIST;
	if (mem->count == GUEST_MAX_REGIONS)
		return -MOAT_ENOSPC;
	region = &mem->regions[mem->count++];
	*region = (struct gpa_region){ .base = base, .size = size, .hpa = hpa, .perms = perms,
				       .kind = kind };
	return 0;
}

const struct gpa_region *guest_memory_find(const struct guest_memory *mem, gpa_t gpa)
{
	for (u32 i = 0; i < mem->count; i++) {
		const struct gpa_region *r = &mem->regions[i];

		if (gpa >= r->base && gpa - r->base < r->size)
			return r;
	}
	return NULL;
}

void *guest_memory_translate(const struct guest_memory *mem, gpa_t gpa, u64 len, u32 access)
{
	const struct gpa_region *r = guest_memory_find(mem, gpa);
	u64 offset;

	if (!r || r->kind == GPA_REGION_DEVICE || len == 0 || (r->perms & access) != access)
		return NULL;
	offset = gpa - r->base;
	if (len > r->size - offset)
		return NULL;
	return (void *)(uintptr_t)(r->hpa + offset);
}

int guest_memory_map_all(const struct guest_memory *mem, struct page_table *pt)
{
	for (u32 i = 0; i < mem->count; i++) {
		const struct gpa_region *r = &mem->regions[i];
		int ret;

		if (r->kind == GPA_REGION_DEVICE)
			continue; /* every access exits to the device's handler */
		ret = pt_map_range(pt, r->base, r->hpa, r->size, r->perms, PT_MEMTYPE_WB);

		if (ret)
			return ret;
	}
	return 0;
}
