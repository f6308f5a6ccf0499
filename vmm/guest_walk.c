// SPDX-License-Identifier: MIT
/* Reading guest code through the guest's own page tables (SDM Vol. 3 chapter 4): 32-bit
 * paging with 4 MiB pages, PAE paging, and 4-level IA-32e paging. Used where the CPU does not
 * tell Moat the instruction it intercepted (SVM without decode assists); every table entry
 * and every byte is read through the one checked helper, guest_memory_translate. */
#include <moat/guest_walk.h>
#include <moat/string.h>
#include <moat/x86.h>

#define PTE_PRESENT BIT(0)
#define PTE_LARGE BIT(7) /* PS: a 4 MiB, 2 MiB or 1 GiB page at this level */
#define PTE_ADDRESS_MASK 0x000ffffffffff000ULL /* bits 51:12 */
#define PDE32_4M_LOW_MASK 0xffc00000ULL	       /* bits 31:22 of a 4 MiB page */
#define PDE32_4M_HIGH_SHIFT 13		       /* PSE-36: bits 20:13 are address bits 39:32 */
#define PDE32_4M_HIGH_MASK 0xffULL
#define PAE_PDPT_MASK 0xffffffe0ULL /* CR3 bits 31:5 under PAE paging (SDM 4.4.1) */
#define TABLE_INDEX_BITS 9
#define TABLE32_INDEX_BITS 10
#define GUEST_PAGE_SHIFT 12

static bool guest_walk_entry(const struct guest_memory *mem, gpa_t table, u64 index, u32 size,
			     u64 *entry)
{
	const void *p = guest_memory_translate(mem, table + index * size, size, PT_READ);

	if (!p)
		return false;
	*entry = 0;
	memcpy(entry, p, size);
	return *entry & PTE_PRESENT;
}

/* One level of a 64-bit-entry walk: the next table, or the page when PS is set at a level
 * that allows it (page_shift > 12). */
static bool guest_walk_level(const struct guest_memory *mem, gpa_t *table, u64 linear,
			     u32 shift, bool large_ok, bool *done)
{
	u64 entry, index = (linear >> shift) & ((1u << TABLE_INDEX_BITS) - 1);

	if (!guest_walk_entry(mem, *table, index, sizeof(u64), &entry))
		return false;
	*done = shift == GUEST_PAGE_SHIFT || (large_ok && (entry & PTE_LARGE));
	if (*done) {
		u64 page_mask = (1ULL << shift) - 1;

		*table = (entry & PTE_ADDRESS_MASK & ~page_mask) | (linear & page_mask);
		return true;
	}
	*table = entry & PTE_ADDRESS_MASK;
	return true;
}

static bool guest_walk_32(const struct guest_memory *mem, const struct guest_paging *p,
			  u64 linear, gpa_t *gpa)
{
	u64 pde, pte;
	gpa_t table = p->cr3 & PTE_ADDRESS_MASK & 0xffffffffULL;

	linear &= 0xffffffffULL;
	if (!guest_walk_entry(mem, table, linear >> 22, sizeof(u32), &pde))
		return false;
	if ((pde & PTE_LARGE) && (p->cr4 & CR4_PSE)) {
		*gpa = (pde & PDE32_4M_LOW_MASK) |
		       (((pde >> PDE32_4M_HIGH_SHIFT) & PDE32_4M_HIGH_MASK) << 32) |
		       (linear & ~PDE32_4M_LOW_MASK);
		return true;
	}
	table = pde & 0xfffff000ULL;
	if (!guest_walk_entry(mem, table, (linear >> GUEST_PAGE_SHIFT) &
					      ((1u << TABLE32_INDEX_BITS) - 1),
			      sizeof(u32), &pte))
		return false;
	*gpa = (pte & 0xfffff000ULL) | (linear & (PAGE_SIZE - 1));
	return true;
}

bool guest_walk(const struct guest_memory *mem, const struct guest_paging *p, u64 linear,
		gpa_t *gpa)
{
	static const u32 long_shifts[] = { 39, 30, 21, 12 }, pae_shifts[] = { 21, 12 };
	const u32 *shifts = long_shifts;
	u32 levels = ARRAY_SIZE(long_shifts);
	gpa_t table = p->cr3 & PTE_ADDRESS_MASK;
	bool done = false;
	u64 pdpte;

	if (!(p->cr0 & CR0_PG)) {
		*gpa = p->efer & EFER_LMA ? linear : linear & 0xffffffffULL;
		return true;
	}
	if (!(p->cr4 & CR4_PAE))
		return guest_walk_32(mem, p, linear, gpa);
	if (!(p->efer & EFER_LMA)) {
		/* PAE: four PDPTEs at CR3 bits 31:5, indexed by linear bits 31:30. */
		linear &= 0xffffffffULL;
		if (!guest_walk_entry(mem, p->cr3 & PAE_PDPT_MASK, linear >> 30, sizeof(u64),
				      &pdpte))
			return false;
		table = pdpte & PTE_ADDRESS_MASK;
		shifts = pae_shifts;
		levels = ARRAY_SIZE(pae_shifts);
	}
	for (u32 i = 0; i < levels && !done; i++)
		/* PS is a page at the PDPT (1 GiB) and PD (2 MiB) levels, never in the PML4. */
		if (!guest_walk_level(mem, &table, linear, shifts[i], shifts[i] != 39, &done))
			return false;
	*gpa = table;
	return done;
}

u32 guest_fetch(const struct guest_memory *mem, const struct guest_paging *p, u64 linear,
		u8 *buf, u32 len)
{
	u32 got = 0;

	while (got < len) {
		u64 in_page = PAGE_SIZE - ((linear + got) & (PAGE_SIZE - 1));
		u32 chunk = (u32)MIN(in_page, (u64)(len - got));
		const u8 *src;
		gpa_t gpa;

		if (!guest_walk(mem, p, linear + got, &gpa))
			break;
		src = guest_memory_translate(mem, gpa, chunk, PT_READ | PT_EXEC);
		if (!src)
			break;
		memcpy(buf + got, src, chunk);
		got += chunk;
	}
	return got;
}
