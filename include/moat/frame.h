/* SPDX-License-Identifier: MIT */
/* Host physical frame allocator (mm/frame.c): owns the free host memory Moat was given. */
#ifndef MOAT_FRAME_H
#define MOAT_FRAME_H

#include <moat/spinlock.h>
#include <moat/types.h>

#define FRAME_MAX_RANGES 128

struct frame_range {
	hpa_t base; /* page aligned */
	u64 pages;
};

/*
 * Free memory as a sorted list of disjoint page ranges. Allocation is first fit with an
 * alignment; freeing merges neighbours. Memory is identity-mapped on the machine (and is
 * plain process memory in host tests), so an hpa_t can be used as a pointer. Every function
 * takes the allocator's own lock, so any CPU may call it at any time (CPUs start while others
 * already restart guests); memory is zeroed outside the lock.
 */
struct frame_allocator {
	struct spinlock lock;
	struct frame_range free[FRAME_MAX_RANGES];
	u32 range_count;
	u64 free_pages;
	u64 total_pages;
};

void frame_init(struct frame_allocator *fa);
/* Adds [base, base + size) to the free memory; partial pages at either end are dropped.
 * Returns -MOAT_EEXIST if it overlaps memory that is free (memory already handed out is
 * not tracked, so the caller must not add it twice), -MOAT_ENOSPC if the range table is
 * full. */
int frame_add_range(struct frame_allocator *fa, hpa_t base, u64 size);
/* Removes [base, base + size) from the free memory (used for memory Moat keeps for itself);
 * the pages come off total_pages as well as free_pages. */
void frame_reserve_range(struct frame_allocator *fa, hpa_t base, u64 size);
/* Allocates pages contiguous frames aligned to align bytes (a power of two >= PAGE_SIZE)
 * and zeroes them (after the lock is dropped: only the caller can see them then). Returns 0
 * when no free range can satisfy the request. */
hpa_t frame_alloc(struct frame_allocator *fa, u64 pages, u64 align);
/* Zeroes (outside the lock) and returns frames to the allocator. Freeing memory not
 * allocated is a bug. */
void frame_free(struct frame_allocator *fa, hpa_t base, u64 pages);

static inline void *hpa_to_ptr(hpa_t hpa)
{
	return (void *)(uintptr_t)hpa;
}

static inline hpa_t ptr_to_hpa(const void *ptr)
{
	return (hpa_t)(uintptr_t)ptr;
}

#endif
