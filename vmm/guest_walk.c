// SPDX-License-Identifier: MIT
/* Reading guest code through the guest's own page tables (SDM Vol. 3 chapter 4): 32-bit
 * paging with 4 MiB pages, PAE paging, and 4-level IA-32e paging, with the access rights of
 * 4.6. Used where the CPU does not tell Moat the instruction it intercepted (SVM without
 * decode assists, MMIO emulation); every table entry and every byte is read through the one
 * checked helper, guest_memory_translate, so a table in a device page is never read. */
#include <moat/guest_walk.h>
#include <moat/string.h>
#include <moat/x86.h>

#define PTE_PRESENT BIT(0)
#define PTE_WRITABLE BIT(1) /* R/W */
#define PTE_USER BIT(2)	    /* U/S */
#define PTE_LARGE BIT(7)    /* PS: a 4 MiB, 2 MiB or 1 GiB page at this level */
#define PTE_XD BIT(63)	    /* execute-disable, with EFER.NXE (not in 32-bit paging) */
#define PTE_ADDRESS_MASK 0x000ffffffffff000ULL /* bits 51:12 */
#define PDE32_4M_LOW_MASK 0xffc00000ULL	       /* bits 31:22 of a 4 MiB page */
#define PDE32_4M_HIGH_SHIFT 13		       /* PSE-36: bits 20:13 are address bits 39:32 */
#define PDE32_4M_HIGH_MASK 0xffULL
#define TABLE32_ADDRESS_MASK 0xfffff000ULL
#define PAE_PDPT_MASK 0xffffffe0ULL /* CR3 bits 31:5 under PAE paging (SDM 4.4.1) */
#define PAE_PDPTE_SHIFT 30
#define PDE32_SHIFT 22
#define TABLE_INDEX_BITS 9
#define TABLE32_INDEX_BITS 10
#define GUEST_PAGE_SHIFT 12
#define PML4_SHIFT 39
#define CANONICAL_BITS 48 /* 4-level paging; LA57 is never offered */
#define CR4_SMEP BIT(20)
#define USER_CPL 3

/* The rights accumulated over a walk (SDM Vol. 3 4.6.1): a page is writable or
 * user-accessible only when every entry on the way says so, execute-disabled when any does. */
struct walk_rights {
	bool writable, user, no_execute;
};

static void walk_rights_add(struct walk_rights *r, u64 entry, bool has_xd)
{
	r->writable &= !!(entry & PTE_WRITABLE);
	r->user &= !!(entry & PTE_USER);
	r->no_execute |= has_xd && (entry & PTE_XD);
}

static enum guest_walk_result walk_check(const struct guest_paging *p,
					 const struct walk_rights *r, u32 access)
{
	bool user_access = p->cpl == USER_CPL;

	if (user_access && !r->user)
		return GUEST_WALK_PROTECTION;
	if ((access & PT_WRITE) && !r->writable && (user_access || (p->cr0 & CR0_WP)))
		return GUEST_WALK_PROTECTION;
	if (access & PT_EXEC) {
		if (r->no_execute && (p->efer & EFER_NXE))
			return GUEST_WALK_PROTECTION;
		/* SMEP: supervisor code may not run from a user-mode page (SDM 4.6.1). */
		if (!user_access && r->user && (p->cr4 & CR4_SMEP))
			return GUEST_WALK_PROTECTION;
	}
	return GUEST_WALK_OK;
}

static enum guest_walk_result walk_entry(const struct guest_memory *mem, gpa_t table, u64 index,
					 u32 size, u64 *entry)
{
	const void *p = guest_memory_translate(mem, table + index * size, size, PT_READ);

	if (!p)
		return GUEST_WALK_NOT_MEMORY;
	*entry = 0;
	memcpy(entry, p, size);
	return *entry & PTE_PRESENT ? GUEST_WALK_OK : GUEST_WALK_NOT_PRESENT;
}

static enum guest_walk_result walk_32(const struct guest_memory *mem,
				      const struct guest_paging *p, u64 linear,
				      struct walk_rights *r, gpa_t *gpa)
{
	enum guest_walk_result result;
	u64 pde, pte;

	linear &= 0xffffffffULL;
	result = walk_entry(mem, p->cr3 & TABLE32_ADDRESS_MASK, linear >> PDE32_SHIFT,
			    sizeof(u32), &pde);
	if (result != GUEST_WALK_OK)
		return result;
	walk_rights_add(r, pde, false);
	if ((pde & PTE_LARGE) && (p->cr4 & CR4_PSE)) {
		*gpa = (pde & PDE32_4M_LOW_MASK) |
		       (((pde >> PDE32_4M_HIGH_SHIFT) & PDE32_4M_HIGH_MASK) << 32) |
		       (linear & ~PDE32_4M_LOW_MASK);
		return GUEST_WALK_OK;
	}
	result = walk_entry(mem, pde & TABLE32_ADDRESS_MASK,
			    (linear >> GUEST_PAGE_SHIFT) & ((1u << TABLE32_INDEX_BITS) - 1),
			    sizeof(u32), &pte);
	if (result != GUEST_WALK_OK)
		return result;
	walk_rights_add(r, pte, false);
	*gpa = (pte & TABLE32_ADDRESS_MASK) | (linear & (PAGE_SIZE - 1));
	return GUEST_WALK_OK;
}

/* PAE and 4-level paging: 64-bit entries from table down, PS a page at the PDPT (1 GiB,
 * 4-level only) and PD (2 MiB) levels, never in the PML4 (SDM 4.4, 4.5). */
static enum guest_walk_result walk_64(const struct guest_memory *mem, gpa_t table, u64 linear,
				      u32 top_shift, struct walk_rights *r, gpa_t *gpa)
{
	for (u32 shift = top_shift;; shift -= TABLE_INDEX_BITS) {
		u64 entry, index = (linear >> shift) & ((1u << TABLE_INDEX_BITS) - 1);
		enum guest_walk_result result =
			walk_entry(mem, table, index, sizeof(u64), &entry);

		if (result != GUEST_WALK_OK)
			return result;
		walk_rights_add(r, entry, true);
		if (shift == GUEST_PAGE_SHIFT || (shift != PML4_SHIFT && (entry & PTE_LARGE))) {
			u64 page_mask = (1ULL << shift) - 1;

			*gpa = (entry & PTE_ADDRESS_MASK & ~page_mask) | (linear & page_mask);
			return GUEST_WALK_OK;
		}
		table = entry & PTE_ADDRESS_MASK;
	}
}

static bool is_canonical(u64 linear)
{
	s64 extended = (s64)(linear << (64 - CANONICAL_BITS)) >> (64 - CANONICAL_BITS);

	return (u64)extended == linear;
}

enum guest_walk_result guest_walk(const struct guest_memory *mem, const struct guest_paging *p,
				  u64 linear, u32 access, gpa_t *gpa)
{
	struct walk_rights rights = { .writable = true, .user = true };
	enum guest_walk_result result;
	u64 pdpte;

	if (!(p->cr0 & CR0_PG)) {
		*gpa = p->efer & EFER_LMA ? linear : linear & 0xffffffffULL;
		return GUEST_WALK_OK;
	}
	if (!(p->cr4 & CR4_PAE)) {
		result = walk_32(mem, p, linear, &rights, gpa);
	} else if (p->efer & EFER_LMA) {
		if (!is_canonical(linear))
			return GUEST_WALK_NON_CANONICAL;
		result = walk_64(mem, p->cr3 & PTE_ADDRESS_MASK, linear, PML4_SHIFT, &rights, gpa);
	} else {
		/* PAE: four PDPTEs at CR3 bits 31:5, indexed by linear bits 31:30; they hold no
		 * rights (SDM 4.4.1: R/W, U/S and XD are reserved there). */
		linear &= 0xffffffffULL;
		result = walk_entry(mem, p->cr3 & PAE_PDPT_MASK, linear >> PAE_PDPTE_SHIFT,
				    sizeof(u64), &pdpte);
		if (result == GUEST_WALK_OK)
			result = walk_64(mem, pdpte & PTE_ADDRESS_MASK, linear,
					 PAE_PDPTE_SHIFT - TABLE_INDEX_BITS, &rights, gpa);
	}
	return result == GUEST_WALK_OK ? walk_check(p, &rights, access) : result;
}

u32 guest_fetch(const struct guest_memory *mem, const struct guest_paging *p, u64 linear,
		u8 *buf, u32 len, enum guest_walk_result *result)
{
	enum guest_walk_result why = GUEST_WALK_OK;
	u32 got = 0;

	while (got < len) {
		u64 in_page = PAGE_SIZE - ((linear + got) & (PAGE_SIZE - 1));
		u32 chunk = (u32)MIN(in_page, (u64)(len - got));
		const u8 *src;
		gpa_t gpa;

		why = guest_walk(mem, p, linear + got, PT_EXEC, &gpa);
		if (why != GUEST_WALK_OK)
			break;
		src = guest_memory_translate(mem, gpa, chunk, PT_READ | PT_EXEC);
		if (!src) {
			why = GUEST_WALK_NOT_MEMORY;
			break;
		}
		memcpy(buf + got, src, chunk);
		got += chunk;
	}
	if (result)
		*result = why;
	return got;
}

const char *guest_walk_result_name(enum guest_walk_result result)
{
	switch (result) {
	case GUEST_WALK_OK:
		return "ok";
	case GUEST_WALK_NOT_PRESENT:
		return "page not present";
	case GUEST_WALK_PROTECTION:
		return "page protection (write, user or execute-disable)";
	case GUEST_WALK_NON_CANONICAL:
		return "non-canonical address";
	case GUEST_WALK_NOT_MEMORY:
		return "not guest RAM (a device page or unowned)";
	}
	return "unknown";
}
