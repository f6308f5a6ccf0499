// SPDX-License-Identifier: MIT
/* The three page-table entry formats Moat builds: x86-64 4-level paging for itself, AMD nested
 * paging (NPT) and Intel EPT. Each is a struct pt_format the one builder (pagetable.c) uses. */
#include <moat/pagetable.h>

/* x86-64 paging entries (Intel SDM Vol. 3 4.5, tables 4-15 to 4-20; AMD APM Vol. 2 5.3). */
#define X86_PTE_PRESENT	 BIT(0)
#define X86_PTE_WRITABLE BIT(1)
#define X86_PTE_USER	 BIT(2)
#define X86_PTE_PWT	 BIT(3) /* page-level write-through */
#define X86_PTE_PCD	 BIT(4) /* page-level cache disable */
#define X86_PTE_ACCESSED BIT(5)
#define X86_PTE_DIRTY	 BIT(6)
#define X86_PTE_LARGE	 BIT(7)	 /* PS: a 2 MiB or 1 GiB leaf (levels 2, 3) */
#define X86_PTE_NX	 BIT(63) /* execute disable, honoured with EFER.NXE */
/* Bits 51:12 hold the address; 2 MiB / 1 GiB leaves keep bits 20:12 / 29:12 zero (PAT at bit
 * 12 is never set by Moat), so one mask serves every level. */
#define X86_PTE_ADDRESS_MASK 0x000ffffffffff000ULL

/*
 * PAT index bits for a memory type (SDM Vol. 3 11.12.3). With the power-on PAT, PCD|PWT
 * selects UC and no bits select WB. WC, WT and WP would need a PAT layout Moat does not
 * program, so they fall back to UC, the type that is never wrong for device memory.
 */
static u64 x86_memtype_bits(enum pt_memtype memtype)
{
	return memtype == PT_MEMTYPE_WB ? 0 : X86_PTE_PCD | X86_PTE_PWT;
}

static u64 x86_leaf_bits(hpa_t hpa, u32 level, u32 perms, enum pt_memtype memtype)
{
	u64 entry = X86_PTE_PRESENT | (hpa & X86_PTE_ADDRESS_MASK) | x86_memtype_bits(memtype);

	if (perms & PT_WRITE)
		entry |= X86_PTE_WRITABLE;
	if (!(perms & PT_EXEC))
		entry |= X86_PTE_NX;
	if (level > 1)
		entry |= X86_PTE_LARGE;
	return entry;
}

static bool x86_is_present(u64 entry)
{
	return entry & X86_PTE_PRESENT;
}

static bool x86_is_large(u64 entry)
{
	return entry & X86_PTE_LARGE;
}

static hpa_t x86_address(u64 entry)
{
	return entry & X86_PTE_ADDRESS_MASK;
}

/* A present x86 entry is always readable. */
static u32 x86_perms(u64 entry)
{
	u32 perms = PT_READ;

	if (entry & X86_PTE_WRITABLE)
		perms |= PT_WRITE;
	if (!(entry & X86_PTE_NX))
		perms |= PT_EXEC;
	return perms;
}

/* Moat's own tables are supervisor-only: U/S stays clear everywhere. */
static u64 host_make_table(hpa_t next)
{
	return X86_PTE_PRESENT | X86_PTE_WRITABLE | (next & X86_PTE_ADDRESS_MASK);
}

static u64 host_make_leaf(hpa_t hpa, u32 level, u32 perms, enum pt_memtype memtype)
{
	return x86_leaf_bits(hpa, level, perms, memtype);
}

/* AMD APM Vol. 2 15.25.5: nested table walks are user accesses, so U/S must be set in every
 * entry at every level or the guest faults. Rights are restricted at the leaf only. */
static u64 npt_make_table(hpa_t next)
{
	return X86_PTE_PRESENT | X86_PTE_WRITABLE | X86_PTE_USER | (next & X86_PTE_ADDRESS_MASK);
}

static u64 npt_make_leaf(hpa_t hpa, u32 level, u32 perms, enum pt_memtype memtype)
{
	return x86_leaf_bits(hpa, level, perms, memtype) | X86_PTE_USER;
}

/* EPT entries (Intel SDM Vol. 3 29.3.2, tables 29-1 to 29-6). */
#define EPT_READ	  BIT(0)
#define EPT_WRITE	  BIT(1)
#define EPT_EXEC	  BIT(2) /* supervisor-mode execute without mode-based control */
#define EPT_RWX		  (EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_SHIFT 3	 /* leaf bits 5:3: memory type, same encodings as the PAT */
#define EPT_IGNORE_PAT	  BIT(6) /* left clear: the guest's PAT combines with the EPT type */
#define EPT_LARGE	  BIT(7) /* the entry maps a 2 MiB or 1 GiB page (levels 2, 3) */
#define EPT_ADDRESS_MASK  0x000ffffffffff000ULL

static u64 ept_make_table(hpa_t next)
{
	return EPT_RWX | (next & EPT_ADDRESS_MASK);
}

/*
 * SDM Vol. 3 29.3.3.1: a present entry that is write-only, or writable and executable but
 * not readable, is an EPT misconfiguration. Any write or execute right therefore brings read
 * with it, so no caller can build such an entry.
 */
static u64 ept_make_leaf(hpa_t hpa, u32 level, u32 perms, enum pt_memtype memtype)
{
	u64 entry = (hpa & EPT_ADDRESS_MASK) | ((u64)memtype << EPT_MEMTYPE_SHIFT);

	if (perms & (PT_READ | PT_WRITE | PT_EXEC))
		entry |= EPT_READ;
	if (perms & PT_WRITE)
		entry |= EPT_WRITE;
	if (perms & PT_EXEC)
		entry |= EPT_EXEC;
	if (level > 1)
		entry |= EPT_LARGE;
	return entry;
}

/* SDM Vol. 3 29.3.2: an entry with bits 2:0 all clear is not present. */
static bool ept_is_present(u64 entry)
{
	return entry & EPT_RWX;
}

static bool ept_is_large(u64 entry)
{
	return entry & EPT_LARGE;
}

static hpa_t ept_address(u64 entry)
{
	return entry & EPT_ADDRESS_MASK;
}

static u32 ept_perms(u64 entry)
{
	u32 perms = 0;

	if (entry & EPT_READ)
		perms |= PT_READ;
	if (entry & EPT_WRITE)
		perms |= PT_WRITE;
	if (entry & EPT_EXEC)
		perms |= PT_EXEC;
	return perms;
}

/* Leaves at 4 KiB, 2 MiB and 1 GiB; the PML4 (level 4) only points at tables. */
#define PT_FORMAT_LEAF_LEVELS (BIT(1) | BIT(2) | BIT(3))

const struct pt_format pt_format_host = {
    .name = "host",
    .leaf_levels = PT_FORMAT_LEAF_LEVELS,
    .make_table = host_make_table,
    .make_leaf = host_make_leaf,
    .is_present = x86_is_present,
    .is_large = x86_is_large,
    .address = x86_address,
    .perms = x86_perms,
};

const struct pt_format pt_format_npt = {
    .name = "npt",
    .leaf_levels = PT_FORMAT_LEAF_LEVELS,
    .make_table = npt_make_table,
    .make_leaf = npt_make_leaf,
    .is_present = x86_is_present,
    .is_large = x86_is_large,
    .address = x86_address,
    .perms = x86_perms,
};

const struct pt_format pt_format_ept = {
    .name = "ept",
    .leaf_levels = PT_FORMAT_LEAF_LEVELS,
    .make_table = ept_make_table,
    .make_leaf = ept_make_leaf,
    .is_present = ept_is_present,
    .is_large = ept_is_large,
    .address = ept_address,
    .perms = ept_perms,
};
