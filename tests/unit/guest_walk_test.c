// SPDX-License-Identifier: MIT
/* Guest page walks (vmm/guest_walk.c) over tables built in a host buffer that stands in for
 * guest RAM: 32-bit paging with 4 KiB and 4 MiB pages, PAE with 4 KiB and 2 MiB pages, IA-32e
 * with 4 KiB, 2 MiB and 1 GiB pages, entries not present or outside RAM, and a fetch that
 * crosses a page boundary; the access rights of SDM Vol. 3 4.6 in each mode (write with and
 * without CR0.WP, user pages, execute-disable with and without EFER.NXE, SMEP), non-canonical
 * addresses, and fetches from (and tables in) a device page. */
#include "test_support.h"

#include <moat/guest_walk.h>
#include <moat/x86.h>

#define RAM_SIZE MIB(4)
#define P 0x1ULL
#define PS 0x80ULL
#define RW 0x2ULL
#define US 0x4ULL
#define XD (1ULL << 63)
#define DEVICE_BASE 0xfec00000ULL
#define CR4_SMEP (1ULL << 20)

static struct guest_memory mem;
static u8 *ram;

static int setup(void **state)
{
	ram = aligned_alloc(PAGE_SIZE, RAM_SIZE);
	memset(ram, 0, RAM_SIZE);
	guest_memory_init(&mem);
	assert_int_equal(guest_memory_add(&mem, 0, RAM_SIZE, (hpa_t)(uintptr_t)ram, PT_RWX,
					  GPA_REGION_RAM), 0);
	return 0;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

static void put32(gpa_t gpa, u32 value)
{
	memcpy(ram + gpa, &value, sizeof(value));
}

static void put64(gpa_t gpa, u64 value)
{
	memcpy(ram + gpa, &value, sizeof(value));
}

static gpa_t walk(const struct guest_paging *p, u64 linear, bool *ok)
{
	gpa_t gpa = 0;

	*ok = guest_walk(&mem, p, linear, PT_READ, &gpa) == GUEST_WALK_OK;
	return gpa;
}

static enum guest_walk_result walk_access(const struct guest_paging *p, u64 linear, u32 access)
{
	gpa_t gpa;

	return guest_walk(&mem, p, linear, access, &gpa);
}

static void test_paging_off(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE };
	bool ok;

	assert_int_equal(walk(&p, 0x123456, &ok), 0x123456);
	assert_true(ok);
	/* Outside long mode a linear address has 32 bits. */
	assert_int_equal(walk(&p, 0x100001000ULL, &ok), 0x1000);
}

static void test_32bit(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PSE };
	bool ok;

	put32(0x1000, 0x2000 | P);		/* PDE 0 -> page table at 0x2000 */
	put32(0x1000 + 4, 0x00c00000 | P | PS); /* PDE 1: a 4 MiB page at 12 MiB */
	put32(0x2000 + 5 * 4, 0x7000 | P);	/* PTE 5 */
	assert_int_equal(walk(&p, 0x5123, &ok), 0x7123);
	assert_true(ok);
	assert_int_equal(walk(&p, 0x400000 + 0x1234, &ok), 0xc01234);
	assert_true(ok);
	walk(&p, 0x6000, &ok); /* PTE 6 is not present */
	assert_false(ok);
	walk(&p, 0x800000, &ok); /* PDE 2 is not present */
	assert_false(ok);
}

static void test_pae(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x3020, .cr4 = CR4_PAE };
	bool ok;

	put64(0x3020, 0x4000 | P);	       /* PDPTE 0 */
	put64(0x4000, 0x5000 | P);	       /* PDE 0 -> page table */
	put64(0x4000 + 8, 0x200000 | P | PS);  /* PDE 1: 2 MiB page */
	put64(0x5000 + 8, 0x9000 | P);	       /* PTE 1 */
	put64(0x4000 + 16, 0x3ff000 | P);      /* PDE 2 -> a table at the last page of RAM */
	assert_int_equal(walk(&p, 0x1abc, &ok), 0x9abc);
	assert_true(ok);
	assert_int_equal(walk(&p, 0x200010, &ok), 0x200010);
	assert_true(ok);
	walk(&p, 0x40000000, &ok); /* PDPTE 1 is not present */
	assert_false(ok);
	walk(&p, 0x400000, &ok); /* PTE 0 of the table at 0x3ff000 is empty */
	assert_false(ok);
}

static void test_long_mode(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x6000, .cr4 = CR4_PAE,
				  .efer = EFER_LME | EFER_LMA };
	bool ok;

	put64(0x6000, 0x8000 | P);		   /* PML4E 0 */
	put64(0x6000 + 511 * 8, 0x8000 | P | PS);  /* PS in a PML4E is not a page */
	put64(0x8000, 0xa000 | P);		   /* PDPTE 0 -> page directory */
	put64(0x8000 + 8, 0x40000000 | P | PS);	   /* PDPTE 1: 1 GiB page */
	put64(0xa000, 0xb000 | P);		   /* PDE 0 -> page table */
	put64(0xa000 + 2 * 8, 0x200000 | P | PS);  /* PDE 2: 2 MiB page */
	put64(0xb000 + 3 * 8, 0xc000 | P);	   /* PTE 3 */
	assert_int_equal(walk(&p, 0x3456, &ok), 0xc456);
	assert_true(ok);
	assert_int_equal(walk(&p, 0x400055, &ok), 0x200055);
	assert_true(ok);
	assert_int_equal(walk(&p, 0x40000123, &ok), 0x40000123);
	assert_true(ok);
	/* The top PML4E leads to the same PDPT: 0xffffff8000000000 + 1 GiB is the 1 GiB page. */
	assert_int_equal(walk(&p, 0xffffff8040000042ULL, &ok), 0x40000042);
	assert_true(ok);
	put64(0x8000 + 16, 0x80000000ULL | P); /* PDPTE 2 -> a directory outside RAM */
	walk(&p, 0x80000000ULL, &ok);
	assert_false(ok);
}

static void test_fetch_across_pages(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000 };
	u8 buf[6] = { 0 };
	static const u8 want[6] = { 0x0f, 0x22, 0xe0, 0x90, 0, 0 };
	enum guest_walk_result why;

	put32(0x1000, 0x2000 | P);
	put32(0x2000 + 5 * 4, 0x7000 | P);
	put32(0x2000 + 6 * 4, 0xd000 | P);
	ram[0x7ffe] = 0x0f;
	ram[0x7fff] = 0x22;
	ram[0xd000] = 0xe0;
	ram[0xd001] = 0x90;
	assert_int_equal(guest_fetch(&mem, &p, 0x5ffe, buf, 6, NULL), 6);
	assert_memory_equal(buf, want, sizeof(want));
	/* The page after 0x6000 is not mapped: a fetch stops there. */
	assert_int_equal(guest_fetch(&mem, &p, 0x6ffd, buf, 6, &why), 3);
	assert_int_equal(why, GUEST_WALK_NOT_PRESENT);
}


/* 32-bit paging: R/W and U/S from both levels; no XD exists, so execute is always allowed. */
static void test_rights_32bit(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PSE };

	put32(0x1000, 0x2000 | P | RW | US);
	put32(0x2000 + 1 * 4, 0x7000 | P | US);	     /* read-only user page */
	put32(0x2000 + 2 * 4, 0x8000 | P | RW);	     /* supervisor page */
	put32(0x1000 + 4, 0x00400000 | P | PS | US); /* 4 MiB read-only user page */
	assert_int_equal(walk_access(&p, 0x1000, PT_WRITE), GUEST_WALK_OK); /* WP clear */
	p.cr0 |= CR0_WP;
	assert_int_equal(walk_access(&p, 0x1000, PT_WRITE), GUEST_WALK_PROTECTION);
	assert_int_equal(walk_access(&p, 0x400000, PT_WRITE), GUEST_WALK_PROTECTION);
	assert_int_equal(walk_access(&p, 0x2000, PT_WRITE), GUEST_WALK_OK);
	p.cpl = 3;
	assert_int_equal(walk_access(&p, 0x1000, PT_READ), GUEST_WALK_OK);
	assert_int_equal(walk_access(&p, 0x1000, PT_EXEC), GUEST_WALK_OK);
	assert_int_equal(walk_access(&p, 0x2000, PT_READ), GUEST_WALK_PROTECTION);
	p.cr0 &= ~CR0_WP; /* WP does not matter to user writes */
	assert_int_equal(walk_access(&p, 0x1000, PT_WRITE), GUEST_WALK_PROTECTION);
	/* The PDE's U/S counts too. */
	put32(0x1000, 0x2000 | P | RW);
	assert_int_equal(walk_access(&p, 0x1000, PT_READ), GUEST_WALK_PROTECTION);
}

/* PAE: XD in a PDE or PTE forbids execution only with EFER.NXE; PDPTEs carry no rights. */
static void test_rights_pae_nx(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x3000, .cr4 = CR4_PAE };

	put64(0x3000, 0x4000 | P);
	put64(0x4000, 0x5000 | P | RW | US);
	put64(0x4000 + 8, 0x200000 | P | PS | RW | XD); /* 2 MiB, no execute */
	put64(0x5000 + 8, 0x9000 | P | RW | US | XD);
	put64(0x5000 + 16, 0xa000 | P | RW | US);
	assert_int_equal(walk_access(&p, 0x1000, PT_EXEC), GUEST_WALK_OK);
	p.efer = EFER_NXE;
	assert_int_equal(walk_access(&p, 0x1000, PT_EXEC), GUEST_WALK_PROTECTION);
	assert_int_equal(walk_access(&p, 0x1000, PT_READ), GUEST_WALK_OK);
	assert_int_equal(walk_access(&p, 0x200000, PT_EXEC), GUEST_WALK_PROTECTION);
	assert_int_equal(walk_access(&p, 0x2000, PT_EXEC), GUEST_WALK_OK);
	/* SMEP: supervisor code may not run from a user page. */
	p.cr4 |= CR4_SMEP;
	assert_int_equal(walk_access(&p, 0x2000, PT_EXEC), GUEST_WALK_PROTECTION);
	p.cpl = 3;
	assert_int_equal(walk_access(&p, 0x2000, PT_EXEC), GUEST_WALK_OK);
	assert_int_equal(walk_access(&p, 0x200000, PT_READ), GUEST_WALK_PROTECTION);
}

/* 4-level paging: XD or a clear R/W/U/S at any level, 1 GiB pages included. */
static void test_rights_long_mode(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x6000,
				  .cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA | EFER_NXE };

	put64(0x6000, 0x8000 | P | RW | US);
	put64(0x8000, 0xa000 | P | RW | US);
	put64(0x8000 + 8, 0x40000000 | P | PS | US); /* 1 GiB read-only */
	put64(0xa000, 0xb000 | P | US | XD);	     /* the whole 2 MiB below: no execute */
	put64(0xb000 + 8, 0xc000 | P | RW | US);
	assert_int_equal(walk_access(&p, 0x1000, PT_READ), GUEST_WALK_OK);
	assert_int_equal(walk_access(&p, 0x1000, PT_EXEC), GUEST_WALK_PROTECTION);
	assert_int_equal(walk_access(&p, 0x1000, PT_WRITE), GUEST_WALK_PROTECTION);
	assert_int_equal(walk_access(&p, 0x40000000, PT_EXEC), GUEST_WALK_OK);
	assert_int_equal(walk_access(&p, 0x40000000, PT_WRITE), GUEST_WALK_PROTECTION);
	put64(0x6000, 0x8000 | P | RW); /* PML4E: supervisor only */
	p.cpl = 3;
	assert_int_equal(walk_access(&p, 0x40000000, PT_READ), GUEST_WALK_PROTECTION);
	put64(0x6000, 0x8000); /* PML4E not present */
	assert_int_equal(walk_access(&p, 0x40000000, PT_READ), GUEST_WALK_NOT_PRESENT);
}

static void test_non_canonical(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x6000, .cr4 = CR4_PAE,
				  .efer = EFER_LME | EFER_LMA };
	u8 buf[4];
	enum guest_walk_result why;

	put64(0x6000 + 255 * 8, 0x8000 | P); /* the top of the lower half */
	put64(0x8000 + 511 * 8, 0x9000 | P);
	put64(0x9000 + 511 * 8, 0x200000 | P | PS); /* the last 2 MiB: RAM's top half */
	assert_int_equal(walk_access(&p, 0x0000800000000000ULL, PT_READ),
			 GUEST_WALK_NON_CANONICAL);
	assert_int_equal(walk_access(&p, 0xffff7fffffffffffULL, PT_READ),
			 GUEST_WALK_NON_CANONICAL);
	assert_int_equal(walk_access(&p, 0x00007ffffffffff0ULL, PT_READ), GUEST_WALK_OK);
	/* A fetch running off the lower half stops at the hole. */
	assert_int_equal(guest_fetch(&mem, &p, 0x00007ffffffffffeULL, buf, 4, &why), 2);
	assert_int_equal(why, GUEST_WALK_NON_CANONICAL);
}

/* A fetch across a page boundary checks the second page too. */
static void test_fetch_second_page_nx(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x6000, .cr4 = CR4_PAE,
				  .efer = EFER_LME | EFER_LMA | EFER_NXE };
	u8 buf[8];
	enum guest_walk_result why;

	put64(0x6000, 0x8000 | P);
	put64(0x8000, 0xa000 | P);
	put64(0xa000, 0xb000 | P);
	put64(0xb000 + 1 * 8, 0xc000 | P);
	put64(0xb000 + 2 * 8, 0xd000 | P | XD);
	assert_int_equal(guest_fetch(&mem, &p, 0x1ffd, buf, 8, &why), 3);
	assert_int_equal(why, GUEST_WALK_PROTECTION);
	put64(0xb000 + 2 * 8, 0xd000 | P);
	assert_int_equal(guest_fetch(&mem, &p, 0x1ffd, buf, 8, &why), 8);
	assert_int_equal(why, GUEST_WALK_OK);
}

/* Code in a device page is never read: the walk succeeds, the bytes are refused. */
static void test_fetch_from_device(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PSE };
	u8 buf[4];
	enum guest_walk_result why;
	gpa_t gpa;

	assert_int_equal(guest_memory_add(&mem, DEVICE_BASE, PAGE_SIZE, 0, 0, GPA_REGION_DEVICE),
			 0);
	put32(0x1000, 0x2000 | P);
	put32(0x2000, DEVICE_BASE | P);
	assert_int_equal(guest_walk(&mem, &p, 0x10, PT_EXEC, &gpa), GUEST_WALK_OK);
	assert_int_equal(gpa, DEVICE_BASE + 0x10);
	assert_int_equal(guest_fetch(&mem, &p, 0x10, buf, 4, &why), 0);
	assert_int_equal(why, GUEST_WALK_NOT_MEMORY);
	/* Paging off: the same. */
	p.cr0 = CR0_PE;
	assert_int_equal(guest_fetch(&mem, &p, DEVICE_BASE, buf, 4, &why), 0);
	assert_int_equal(why, GUEST_WALK_NOT_MEMORY);
}

/* A page table in a device page is not read either (nor is one outside the guest). */
static void test_table_in_device(void **state)
{
	struct guest_paging p = { .cr0 = CR0_PE | CR0_PG, .cr3 = DEVICE_BASE, .cr4 = 0 };

	assert_int_equal(guest_memory_add(&mem, DEVICE_BASE, PAGE_SIZE, 0, 0, GPA_REGION_DEVICE),
			 0);
	assert_int_equal(walk_access(&p, 0x1000, PT_READ), GUEST_WALK_NOT_MEMORY);
	p.cr3 = 0x1000;
	put32(0x1000, (u32)DEVICE_BASE | P);
	assert_int_equal(walk_access(&p, 0x1000, PT_READ), GUEST_WALK_NOT_MEMORY);
	put32(0x1000, 0x80000000u | P);
	assert_int_equal(walk_access(&p, 0x1000, PT_READ), GUEST_WALK_NOT_MEMORY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pae, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_across_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rights_32bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rights_pae_nx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rights_long_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_canonical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_second_page_nx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_from_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_in_device, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
