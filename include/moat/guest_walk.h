/* SPDX-License-Identifier: MIT */
/* Guest linear addresses through the guest's own page tables (vmm/guest_walk.c). */
#ifndef MOAT_GUEST_WALK_H
#define MOAT_GUEST_WALK_H

#include <moat/guest_mem.h>

/* The registers that decide how the guest translates (SDM Vol. 3 4.1). */
struct guest_paging {
	u64 cr0, cr3, cr4, efer;
};

/* linear -> guest-physical under p: false when an entry is not present or not in the guest's
 * memory. Access rights are not checked: the callers read code the guest just ran. */
bool guest_walk(const struct guest_memory *mem, const struct guest_paging *p, u64 linear,
		gpa_t *gpa);
/* Copies up to len bytes at linear into buf, page by page; returns how many it could read. */
u32 guest_fetch(const struct guest_memory *mem, const struct guest_paging *p, u64 linear,
		u8 *buf, u32 len);

#endif
