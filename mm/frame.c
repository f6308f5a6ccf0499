// SPDX-License-Identifier: MIT
/* The host frame allocator: free host memory as a sorted array of disjoint page ranges, first
 * fit with alignment, zeroed on allocation and on free, neighbours merged on free. One lock
 * inside guards the table, so every caller on every CPU is covered; memory is zeroed while
 * the lock is not held, so one CPU zeroing a large range never stalls another's allocation. */
#include <moat/errno.h>
#include <moat/frame.h>
#include <moat/log.h>
#include <moat/string.h>

/* hpa 0 is frame_alloc()'s failure value, so the first page is never handed out. */
#define FRAME_FIRST_USABLE PAGE_SIZE

static u64 frame_range_end(const struct frame_range *r)
{
	return r->base + r->pages * PAGE_SIZE;
}

static void frame_insert_at(struct frame_allocator *fa, u32 index, hpa_t base, u64 pages)
{
	memmove(&fa->free[index + 1], &fa->free[index],
		(fa->range_count - index) * sizeof(fa->free[0]));
	fa->free[index] = (struct frame_range){.base = base, .pages = pages};
	fa->range_count++;
}

static void frame_remove_at(struct frame_allocator *fa, u32 index)
{
	memmove(&fa->free[index], &fa->free[index + 1],
		(fa->range_count - index - 1) * sizeof(fa->free[0]));
	fa->range_count--;
}

/* Index of the first free range that ends after addr (where [addr, ...) would go). */
static u32 frame_find_slot(const struct frame_allocator *fa, hpa_t addr)
{
	u32 i = 0;

	while (i < fa->range_count && frame_range_end(&fa->free[i]) <= addr)
		i++;
	return i;
}

static bool frame_overlaps_free(const struct frame_allocator *fa, hpa_t base, u64 size)
{
	for (u32 i = 0; i < fa->range_count; i++)
		if (ranges_overlap(base, size, fa->free[i].base, fa->free[i].pages * PAGE_SIZE))
			return true;
	return false;
}

/*
 * Puts [base, base + pages) into the sorted list, merging with the neighbours it touches.
 * The caller has checked that it overlaps no free range. Returns -MOAT_ENOSPC when a new
 * entry is needed and the table is full.
 */
static int frame_insert_merged(struct frame_allocator *fa, hpa_t base, u64 pages)
{
	u32 i = frame_find_slot(fa, base);
	u64 end = base + pages * PAGE_SIZE;
	bool joins_prev = i > 0 && frame_range_end(&fa->free[i - 1]) == base;
	bool joins_next = i < fa->range_count && fa->free[i].base == end;

	if (joins_prev && joins_next) {
		fa->free[i - 1].pages += pages + fa->free[i].pages;
		frame_remove_at(fa, i);
	} else if (joins_prev) {
		fa->free[i - 1].pages += pages;
	} else if (joins_next) {
		fa->free[i].base = base;
		fa->free[i].pages += pages;
	} else if (fa->range_count == FRAME_MAX_RANGES) {
		return -MOAT_ENOSPC;
	} else {
		frame_insert_at(fa, i, base, pages);
	}
	return 0;
}

void frame_init(struct frame_allocator *fa)
{
	memset(fa, 0, sizeof(*fa));
}

static int frame_add_range_locked(struct frame_allocator *fa, hpa_t base, u64 size)
{
	u64 start, end, pages;
	int ret;

	if (range_wraps(base, size)) {
		log_error("frame: range 0x%llx size 0x%llx wraps around", (unsigned long long)base,
			  (unsigned long long)size);
		return -MOAT_EINVAL;
	}
	start = MAX(ALIGN_UP(base, PAGE_SIZE), FRAME_FIRST_USABLE);
	end = ALIGN_DOWN(base + size, PAGE_SIZE);
	if (size == 0 || end <= start)
		return 0; /* no whole page in it */
	pages = (end - start) / PAGE_SIZE;
	if (frame_overlaps_free(fa, start, end - start)) {
		log_error("frame: range 0x%llx-0x%llx overlaps free memory already added",
			  (unsigned long long)start, (unsigned long long)end);
		return -MOAT_EEXIST;
	}
	ret = frame_insert_merged(fa, start, pages);
	if (ret) {
		log_error("frame: range table full (%u ranges), 0x%llx-0x%llx not added",
			  FRAME_MAX_RANGES, (unsigned long long)start, (unsigned long long)end);
		return ret;
	}
	fa->free_pages += pages;
	fa->total_pages += pages;
	return 0;
}

int frame_add_range(struct frame_allocator *fa, hpa_t base, u64 size)
{
	int ret;

	spin_lock(&fa->lock);
	ret = frame_add_range_locked(fa, base, size);
	spin_unlock(&fa->lock);
	return ret;
}

/* Removes the part of free range index that lies in [start, end); returns the pages removed. */
static u64 frame_carve(struct frame_allocator *fa, u32 index, hpa_t start, hpa_t end)
{
	struct frame_range *r = &fa->free[index];
	hpa_t r_end = frame_range_end(r);
	hpa_t cut_start = MAX(r->base, start);
	hpa_t cut_end = MIN(r_end, end);
	u64 head = (cut_start - r->base) / PAGE_SIZE;
	u64 tail = (r_end - cut_end) / PAGE_SIZE;
	u64 removed = r->pages - head - tail;

	if (head && tail && fa->range_count == FRAME_MAX_RANGES) {
		/* No slot for the second piece: losing free memory is safe, corrupting is not. */
		log_warn("frame: range table full, dropping 0x%llx pages at 0x%llx",
			 (unsigned long long)tail, (unsigned long long)cut_end);
		removed += tail;
		tail = 0;
	}
	if (head && tail) {
		r->pages = head;
		frame_insert_at(fa, index + 1, cut_end, tail);
	} else if (head) {
		r->pages = head;
	} else if (tail) {
		r->base = cut_end;
		r->pages = tail;
	} else {
		frame_remove_at(fa, index);
	}
	return removed;
}

static void frame_reserve_range_locked(struct frame_allocator *fa, hpa_t base, u64 size)
{
	hpa_t start = ALIGN_DOWN(base, PAGE_SIZE);
	hpa_t end;
	u32 i;

	if (size == 0)
		return;
	if (range_wraps(base, size)) {
		log_error("frame: reserved range 0x%llx size 0x%llx wraps around",
			  (unsigned long long)base, (unsigned long long)size);
		return;
	}
	end = ALIGN_UP(base + size, PAGE_SIZE);
	if (end < start)
		end = ~0ULL; /* rounded up past the top of the address space */
	/* Each pass removes the overlap of the first free range still touching [start, end). */
	while ((i = frame_find_slot(fa, start)) < fa->range_count && fa->free[i].base < end) {
		u64 removed = frame_carve(fa, i, start, end);

		fa->free_pages -= removed;
		fa->total_pages -= removed;
	}
}

void frame_reserve_range(struct frame_allocator *fa, hpa_t base, u64 size)
{
	spin_lock(&fa->lock);
	frame_reserve_range_locked(fa, base, size);
	spin_unlock(&fa->lock);
}

/*
 * Where an allocation of len bytes aligned to align fits in range r: its address, or 0 when
 * it does not fit or would need a new table slot that is not there.
 */
static hpa_t frame_fit(const struct frame_allocator *fa, const struct frame_range *r, u64 len,
		       u64 align)
{
	hpa_t r_end = frame_range_end(r);
	hpa_t at = ALIGN_UP(r->base, align);
	bool splits;

	if (at < r->base || at >= r_end || r_end - at < len)
		return 0;
	splits = at != r->base && at + len != r_end;
	if (splits && fa->range_count == FRAME_MAX_RANGES)
		return 0;
	return at;
}

hpa_t frame_alloc(struct frame_allocator *fa, u64 pages, u64 align)
{
	u64 len = pages * PAGE_SIZE;

	if (pages == 0 || len / PAGE_SIZE != pages || align < PAGE_SIZE || (align & (align - 1))) {
		log_error("frame: bad allocation request: 0x%llx pages aligned to 0x%llx",
			  (unsigned long long)pages, (unsigned long long)align);
		return 0;
	}
	spin_lock(&fa->lock);
	for (u32 i = 0; i < fa->range_count; i++) {
		hpa_t at = frame_fit(fa, &fa->free[i], len, align);

		if (!at)
			continue;
		frame_carve(fa, i, at, at + len);
		fa->free_pages -= pages;
		spin_unlock(&fa->lock);
		memset(hpa_to_ptr(at), 0, len);
		return at;
	}
	spin_unlock(&fa->lock);
	log_debug("frame: no free range for 0x%llx pages aligned to 0x%llx (0x%llx pages free)",
		  (unsigned long long)pages, (unsigned long long)align,
		  (unsigned long long)fa->free_pages);
	return 0;
}

/* Moat's own bugs (a bad or double free): refuse rather than corrupt the list or zero memory
 * someone else owns. Called with the lock held. */
static bool frame_free_is_bad(const struct frame_allocator *fa, hpa_t base, u64 pages)
{
	u64 len = pages * PAGE_SIZE;

	if (!base || !pages || !IS_ALIGNED(base, PAGE_SIZE) || len / PAGE_SIZE != pages ||
	    range_wraps(base, len) || fa->free_pages + pages > fa->total_pages) {
		log_error("frame: bad free of 0x%llx pages at 0x%llx", (unsigned long long)pages,
			  (unsigned long long)base);
		return true;
	}
	if (frame_overlaps_free(fa, base, len)) {
		log_error("frame: freeing 0x%llx pages at 0x%llx: already free (double free)",
			  (unsigned long long)pages, (unsigned long long)base);
		return true;
	}
	return false;
}

void frame_free(struct frame_allocator *fa, hpa_t base, u64 pages)
{
	bool bad;

	spin_lock(&fa->lock);
	bad = frame_free_is_bad(fa, base, pages);
	spin_unlock(&fa->lock);
	if (bad)
		return;
	/* The caller still owns the frames: zeroing them needs no lock. */
	memset(hpa_to_ptr(base), 0, pages * PAGE_SIZE);
	spin_lock(&fa->lock);
	if (frame_free_is_bad(fa, base, pages)) {
		spin_unlock(&fa->lock);
		return;
	}
	if (frame_insert_merged(fa, base, pages)) {
		log_error("frame: range table full, 0x%llx pages at 0x%llx lost",
			  (unsigned long long)pages, (unsigned long long)base);
		fa->total_pages -= pages;
	} else {
		fa->free_pages += pages;
	}
	spin_unlock(&fa->lock);
}
