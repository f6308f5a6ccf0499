// SPDX-License-Identifier: MIT
/* hostile_mem: touches one guest-physical address outside its RAM per boot (Moat must stop and,
 * with on-crash = "restart", restart it), continuing from the restart count: the low 4 GiB in
 * 64 MiB steps, then sampled addresses up to the physical-address width. Its first boot also
 * hands MOAT_HC_CONSOLE_WRITE pointers outside its RAM. */
#include "guest.h"

#define HOSTILE_MEM_LOW_STEP MIB(64)
#define HOSTILE_MEM_LOW_END GIB(4)
#define HOSTILE_MEM_TOP_OF_4G (GIB(4) - PAGE_SIZE) /* the host's firmware flash lives here */
#define HOSTILE_MEM_MAX_ADDRESSES 80
#define HOSTILE_MEM_WRITE_VALUE 0x4d4f4154u

/* CPUID Fn8000_0008 EAX[7:0]: physical-address width (AMD APM Vol. 3, Appendix E; SDM
 * Vol. 2A, CPUID). 36 bits when the leaf is absent (SDM Vol. 3A, 4.1.4). */
#define CPUID_LEAF_EXTENDED_MAX 0x80000000u
#define CPUID_LEAF_ADDRESS_SIZES 0x80000008u
#define CPUID_ADDRESS_WIDTH_MASK 0xffu
#define HOSTILE_MEM_DEFAULT_WIDTH 36

/* PAE paging (SDM Vol. 3A, 4.4): CR4.PAE, a 4-entry PDPT, page directories of 2 MiB pages.
 * PDPT entry 0 identity-maps the first GiB (code, data, RAM); PDPT entry 3 holds the window:
 * one 2 MiB page at 3 GiB that points at the target. */
#define CR0_PG BIT(31)
#define CR4_PAE BIT(5)
#define PAE_PRESENT BIT(0)
#define PAE_WRITABLE BIT(1)
#define PAE_PAGE_SIZE BIT(7) /* PDE maps a 2 MiB page */
#define PAE_ENTRIES 512
#define PAE_PDPT_ENTRIES 4
#define PAE_PDPT_IDENTITY 0
#define PAE_PDPT_WINDOW 3
#define PAE_WINDOW_VIRTUAL 0xc0000000u

enum hostile_mem_check {
	HOSTILE_MEM_CHECK_RESTART_COUNT = 1,
	HOSTILE_MEM_CHECK_EFAULT_ABOVE_RAM,
	HOSTILE_MEM_CHECK_EFAULT_STRADDLE,
	HOSTILE_MEM_CHECK_EFAULT_WRAP,
	HOSTILE_MEM_CHECK_EFAULT_FAR,
	HOSTILE_MEM_CHECK_EINVAL_LONG,
	HOSTILE_MEM_CHECK_CONSOLE_WRITE,
	HOSTILE_MEM_CHECK_SURVIVED_ACCESS,
};

const char guest_name[] = "hostile_mem";

static u64 hostile_mem_pdpt[PAE_PDPT_ENTRIES] __aligned(32);
static u64 hostile_mem_identity_pd[PAE_ENTRIES] __aligned(4096);
static u64 hostile_mem_window_pd[PAE_ENTRIES] __aligned(4096);
static u64 hostile_mem_addresses[HOSTILE_MEM_MAX_ADDRESSES];

static u32 hostile_mem_address_width(void)
{
	u32 width = 0;

	if (cpu_cpuid(CPUID_LEAF_EXTENDED_MAX, 0).eax >= CPUID_LEAF_ADDRESS_SIZES)
		width = cpu_cpuid(CPUID_LEAF_ADDRESS_SIZES, 0).eax & CPUID_ADDRESS_WIDTH_MASK;
	return width ? width : HOSTILE_MEM_DEFAULT_WIDTH;
}

static void hostile_mem_add(u32 *count, u64 address, u32 width)
{
	if (address >= BIT(width) || *count >= HOSTILE_MEM_MAX_ADDRESSES)
		return;
	hostile_mem_addresses[(*count)++] = address;
}

/* The sweep list; the same on every boot, so the restart count indexes it. */
static u32 hostile_mem_build_list(u32 ram_size, u32 width)
{
	static const u32 high_bits[] = { 32, 36, 39 };
	u32 count = 0;

	for (u64 a = ALIGN_UP((u64)ram_size, HOSTILE_MEM_LOW_STEP); a < HOSTILE_MEM_LOW_END;
	     a += HOSTILE_MEM_LOW_STEP) {
		if (a != 0)
			hostile_mem_add(&count, a, width);
	}
	hostile_mem_add(&count, HOSTILE_MEM_TOP_OF_4G, width);
	for (u32 i = 0; i < ARRAY_SIZE(high_bits); i++)
		hostile_mem_add(&count, BIT(high_bits[i]), width);
	hostile_mem_add(&count, BIT(width) - PAGE_SIZE, width);
	return count;
}

static void hostile_mem_expect(u32 number, const char *what, u32 address, u32 length,
			       u32 want)
{
	check_eq(number, what, hypercall_args(HYPERCALL_CONSOLE_WRITE, address, length), want);
}

/* MOAT_HC_CONSOLE_WRITE with buffers outside RAM (EFAULT), too long (EINVAL), and inside. */
static void hostile_mem_console_write(u32 ram_size)
{
	static const char line[] = "hostile_mem: console write from guest memory";
	u32 length = sizeof(line) - 1;

	hostile_mem_expect(HOSTILE_MEM_CHECK_EFAULT_ABOVE_RAM,
			   "console write at the end of RAM returns -EFAULT", ram_size, 16,
			   HYPERCALL_EFAULT);
	hostile_mem_expect(HOSTILE_MEM_CHECK_EFAULT_STRADDLE,
			   "console write straddling the end of RAM returns -EFAULT",
			   ram_size - 8, 16, HYPERCALL_EFAULT);
	hostile_mem_expect(HOSTILE_MEM_CHECK_EFAULT_WRAP,
			   "console write wrapping past 4 GiB returns -EFAULT", 0xfffffff0u, 32,
			   HYPERCALL_EFAULT);
	hostile_mem_expect(HOSTILE_MEM_CHECK_EFAULT_FAR,
			   "console write at 0xfee00000 returns -EFAULT", 0xfee00000u, 4,
			   HYPERCALL_EFAULT);
	hostile_mem_expect(HOSTILE_MEM_CHECK_EINVAL_LONG,
			   "console write of 257 bytes returns -EINVAL", 0,
			   HYPERCALL_CONSOLE_WRITE_MAX + 1, HYPERCALL_EINVAL);
	hostile_mem_expect(HOSTILE_MEM_CHECK_CONSOLE_WRITE,
			   "console write inside RAM returns its length", (u32)line, length,
			   length);
}

static void hostile_mem_enable_paging(void)
{
	u32 cr;

	for (u32 i = 0; i < PAE_ENTRIES; i++)
		hostile_mem_identity_pd[i] =
			(u64)i * PAGE_SIZE_2M | PAE_PRESENT | PAE_WRITABLE | PAE_PAGE_SIZE;
	/* PDPT entries have no writable bit in PAE mode (SDM Vol. 3A, Table 4-8). */
	hostile_mem_pdpt[PAE_PDPT_IDENTITY] = (u32)hostile_mem_identity_pd | PAE_PRESENT;
	hostile_mem_pdpt[PAE_PDPT_WINDOW] = (u32)hostile_mem_window_pd | PAE_PRESENT;
	asm volatile("movl %%cr4, %0; orl %1, %0; movl %0, %%cr4"
		     : "=&r"(cr)
		     : "i"(CR4_PAE)
		     : "memory");
	asm volatile("movl %0, %%cr3" : : "r"((u32)hostile_mem_pdpt) : "memory");
	asm volatile("movl %%cr0, %0; orl %1, %0; movl %0, %%cr0"
		     : "=&r"(cr)
		     : "i"(CR0_PG)
		     : "memory");
}

/* Maps the 2 MiB page holding address at the window and returns the address's alias. */
static volatile u32 *hostile_mem_map(u64 address)
{
	hostile_mem_window_pd[0] =
		ALIGN_DOWN(address, PAGE_SIZE_2M) | PAE_PRESENT | PAE_WRITABLE | PAE_PAGE_SIZE;
	asm volatile("invlpg (%0)" : : "r"(PAE_WINDOW_VIRTUAL) : "memory");
	return (volatile u32 *)(PAE_WINDOW_VIRTUAL + (u32)(address & (PAGE_SIZE_2M - 1)));
}

static void __noreturn hostile_mem_touch(u32 boot, u64 address)
{
	volatile u32 *alias = hostile_mem_map(address);
	bool write = boot & 1;
	u32 value = 0;

	console_printf("hostile_mem: boot %u: %s 0x%llx\n", boot, write ? "write" : "read",
		       address);
	if (write)
		*alias = HOSTILE_MEM_WRITE_VALUE;
	else
		value = *alias;
	check_fail(HOSTILE_MEM_CHECK_SURVIVED_ACCESS, "the access stopped the guest",
		   "still running after the %s of 0x%llx, read 0x%x", write ? "write" : "read",
		   address, value);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u32 width = hostile_mem_address_width();
	u32 count = hostile_mem_build_list(entry_ebx, width);
	u32 boot = 0;

	if (!hypercall_restart_count(&boot))
		check_fail(HOSTILE_MEM_CHECK_RESTART_COUNT, "hypercall 1 (restart count) answers",
			   "got error 0x%x", hypercall(HYPERCALL_RESTART_COUNT));

	if (boot == 0) {
		console_printf("hostile_mem: ram 0x%x, physical-address width %u, %u addresses\n",
			       entry_ebx, width, count);
		hostile_mem_console_write(entry_ebx);
	}
	if (boot >= count) {
		console_printf("hostile_mem: sweep done, %u addresses refused\n", count);
		test_exit(GUEST_EXIT_PASS);
	}
	hostile_mem_enable_paging();
	hostile_mem_touch(boot, hostile_mem_addresses[boot]);
}
