/* SPDX-License-Identifier: MIT */
/* Guest linear addresses through the guest's own page tables (vmm/guest_walk.c), with the
 * access rights the CPU checks. */
#ifndef MOAT_GUEST_WALK_H
#define MOAT_GUEST_WALK_H

#include <moat/guest_mem.h>

/* The registers that decide how the guest translates (SDM Vol. 3 4.1) and the privilege of
 * the access (CPL 3 is a user-mode access, SDM Vol. 3 4.6). */
struct guest_paging {
	u64 cr0, cr3, cr4, efer;
	u8 cpl;
};

enum guest_walk_result {
	GUEST_WALK_OK,
	GUEST_WALK_NOT_PRESENT,	  /* an entry with P clear: #PF with P = 0 */
	GUEST_WALK_PROTECTION,	  /* write, user or execute-disable rights: #PF with P = 1 */
	GUEST_WALK_NON_CANONICAL, /* bits 63:47 differ under 4-level paging: #GP */
	GUEST_WALK_NOT_MEMORY,	  /* a table or the page is not guest RAM (a device, unowned) */
};

/*
 * linear -> guest-physical under p for an access of kind access (enum pt_perm: PT_READ,
 * PT_WRITE or PT_EXEC), checking present, R/W (with CR0.WP), U/S, XD (with EFER.NXE) and,
 * for fetches, SMEP, as SDM Vol. 3 4.6 says. Not checked: SMAP and protection keys (the
 * callers fetch instructions), reserved bits beyond "the address is guest memory".
 */
enum guest_walk_result guest_walk(const struct guest_memory *mem, const struct guest_paging *p,
				  u64 linear, u32 access, gpa_t *gpa);
/* Fetches up to len instruction bytes at linear into buf, page by page, each page walked and
 * checked for execution; returns how many it could read and, when fewer than len, why in
 * *result (may be NULL). A page that is not guest RAM (a device's) is never read. */
u32 guest_fetch(const struct guest_memory *mem, const struct guest_paging *p, u64 linear,
		u8 *buf, u32 len, enum guest_walk_result *result);
const char *guest_walk_result_name(enum guest_walk_result result);

#endif
