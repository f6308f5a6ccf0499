// SPDX-License-Identifier: MIT
/* From the memory layout to the rights of Moat's own mappings (include/moat/host_map.h):
 * W^X for Moat itself, nothing executable that is not code Moat or the firmware must run.
 * Pure computation, so host unit tests check every region. */
#include <moat/errno.h>
#include <moat/host_map.h>
#include <moat/log.h>
#include <moat/pagetable.h>

/* Moat's tables map whole 1 GiB blocks up to the top (large pages where they fit). */
#define HOST_MAP_TOP_ALIGN PAGE_SIZE_1G

static u64 host_map_top(const struct host_layout *layout)
{
	return ALIGN_UP(layout->phys_top, HOST_MAP_TOP_ALIGN);
}

void host_layout_add_exec(struct host_layout *layout, u64 start, u64 end)
{
	struct host_range range = { ALIGN_DOWN(start, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE) };
	struct host_range *last;

	if (range.start >= range.end)
		return;
	if (layout->exec_count < HOST_MAP_MAX_EXEC) {
		layout->exec[layout->exec_count++] = range;
		return;
	}
	last = &layout->exec[HOST_MAP_MAX_EXEC - 1];
	last->start = MIN(last->start, range.start);
	last->end = MAX(last->end, range.end);
	layout->exec_merged = true;
}

static bool host_range_holds(const struct host_range *r, u64 address)
{
	return address >= r->start && address < r->end;
}

static struct host_range host_map_code_pages(const struct host_layout *layout)
{
	return (struct host_range){ ALIGN_DOWN(layout->code.start, PAGE_SIZE),
				    ALIGN_UP(layout->code.end, PAGE_SIZE) };
}

/* Moat's code first: nothing may make it writable. */
u32 host_map_perms_at(const struct host_layout *layout, u64 address)
{
	struct host_range code = host_map_code_pages(layout);

	if (address < PAGE_SIZE || address >= host_map_top(layout))
		return 0;
	if (host_range_holds(&code, address))
		return PT_READ | PT_EXEC;
	for (u32 i = 0; i < layout->exec_count; i++)
		if (host_range_holds(&layout->exec[i], address))
			return PT_RWX;
	return PT_READ | PT_WRITE;
}

/* The next address above address where the rights may change. */
static u64 host_map_next_edge(const struct host_layout *layout, u64 address)
{
	struct host_range code = host_map_code_pages(layout);
	u64 next = host_map_top(layout);
	u64 edges[2 * HOST_MAP_MAX_EXEC + 2];
	u32 count = 0;

	edges[count++] = code.start;
	edges[count++] = code.end;
	for (u32 i = 0; i < layout->exec_count; i++) {
		edges[count++] = layout->exec[i].start;
		edges[count++] = layout->exec[i].end;
	}
	for (u32 i = 0; i < count; i++)
		if (edges[i] > address && edges[i] < next)
			next = edges[i];
	return next;
}

int host_map_plan(const struct host_layout *layout, struct host_region *out, u32 max)
{
	u64 top = host_map_top(layout), address = PAGE_SIZE;
	u32 count = 0;

	if (layout->code.start >= layout->code.end || layout->code.start < PAGE_SIZE ||
	    layout->code.end > top)
		return -MOAT_EINVAL;
	while (address < top) {
		u64 next = host_map_next_edge(layout, address);
		u32 perms = host_map_perms_at(layout, address);

		if (count && out[count - 1].perms == perms && out[count - 1].end == address) {
			out[count - 1].end = next;
		} else {
			if (count == max)
				return -MOAT_E2BIG;
			out[count++] = (struct host_region){ address, next, perms };
		}
		address = next;
	}
	return (int)count;
}

const char *host_map_perms_name(u32 perms)
{
	switch (perms) {
	case PT_READ | PT_EXEC:
		return "rx";
	case PT_READ | PT_WRITE:
		return "rw nx";
	case PT_RWX:
		return "rwx";
	case PT_READ:
		return "r nx";
	}
	return "?";
}

/* The rights a page should have: the plan's, plus execute everywhere without NX. */
static u32 host_map_expected(const struct host_layout *layout, u64 address, bool nx)
{
	u32 perms = host_map_perms_at(layout, address);

	return perms && !nx ? perms | PT_EXEC : perms;
}

bool host_map_verify(const struct page_table *pt, const struct host_layout *layout, bool nx,
		     char *why, size_t size)
{
	u64 top = host_map_top(layout), address = 0;
	struct pt_lookup_result leaf;

	while (address < top) {
		bool mapped = pt_lookup(pt, address, &leaf);
		u32 expected = host_map_expected(layout, address, nx);
		u64 next = mapped ? ALIGN_DOWN(address, leaf.page_size) + leaf.page_size
				  : address + PAGE_SIZE;

		if (!mapped && expected) {
			format(why, size, "0x%lx is not mapped (should be %s)", address,
			       host_map_perms_name(expected));
			return false;
		}
		if (mapped && leaf.pa != address) {
			format(why, size, "0x%lx maps 0x%lx: not the identity", address, leaf.pa);
			return false;
		}
		/* A large leaf must hold one kind of rights throughout. */
		for (u64 page = address; mapped && page < next;
		     page = host_map_next_edge(layout, page)) {
			expected = host_map_expected(layout, page, nx);
			if (leaf.perms != expected) {
				format(why, size, "0x%lx is %s, should be %s", page,
				       host_map_perms_name(leaf.perms),
				       expected ? host_map_perms_name(expected) : "unmapped");
				return false;
			}
		}
		address = next;
	}
	return true;
}
