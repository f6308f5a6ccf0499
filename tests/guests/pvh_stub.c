// SPDX-License-Identifier: MIT
/* pvh-stub: a 32-bit kernel wrapped in an ELF64 file with the Xen PHYS32_ENTRY note
 * (linux_stub/pvh_wrap.S), entered the PVH way by Moat's vmm/loader_pvh.c. It checks the
 * entry state and the hvm_start_info: magic, version 1, the memory map, the command line, the
 * initrd as module 0 and rsdp_paddr (docs/boot-protocol.md, "PVH"). */
#include "guest.h"

#include <moat/linux_boot.h>

#define EXPECT_CMDLINE "pvh-stub check=7 console=ttyS0"
#define EXPECT_MODULE "moat-module-ok\n" /* tests/guests/module.txt */
#define EXPECT_RAM_END 0x4000000u        /* memory-mib = <64> in tests/boot/linux-pvh.dts */
#define EXPECT_RSDP 0xe0000u
#define TABLES_LIMIT 0x40000000u /* 1 GiB: what the kernel's early page tables map */
#define CR0_PE 0x1u
#define CR0_PG 0x80000000u

enum pvh_check {
	PVH_CHECK_PAGING = 1,
	PVH_CHECK_MAGIC,
	PVH_CHECK_VERSION,
	PVH_CHECK_RSDP,
	PVH_CHECK_CMDLINE,
	PVH_CHECK_BELOW_1G,
	PVH_CHECK_MODULES,
	PVH_CHECK_MODULE_SIZE,
	PVH_CHECK_MODULE_BYTES,
	PVH_CHECK_MEMMAP_COUNT,
	PVH_CHECK_MEMMAP_LOW,
	PVH_CHECK_MEMMAP_HOLE,
	PVH_CHECK_MEMMAP_HIGH,
};

const char guest_name[] = "pvh-stub";

static bool memmap_is(const struct hvm_memmap_table_entry *e, u64 addr, u64 end, u32 type)
{
	return e->addr == addr && e->size == end - addr && e->type == type;
}

static void pvh_check_module(const struct hvm_start_info *info)
{
	const struct hvm_modlist_entry *module = (const void *)(u32)info->modlist_paddr;

	check_eq_dec(PVH_CHECK_MODULES, "one module (the initrd)", info->nr_modules, 1);
	check_eq(PVH_CHECK_MODULE_SIZE, "module 0 size", module->size, sizeof(EXPECT_MODULE) - 1);
	check_true(PVH_CHECK_MODULE_BYTES, "module 0 bytes equal tests/guests/module.txt",
		   module->paddr < EXPECT_RAM_END && !(module->paddr & 0xfff) &&
			   memcmp((const void *)(u32)module->paddr, EXPECT_MODULE,
				  sizeof(EXPECT_MODULE) - 1) == 0);
}

static void pvh_check_memmap(const struct hvm_start_info *info)
{
	const struct hvm_memmap_table_entry *map = (const void *)(u32)info->memmap_paddr;

	check_true(PVH_CHECK_MEMMAP_COUNT, "memory map has at least 3 entries",
		   info->memmap_entries >= 3);
	check_true(PVH_CHECK_MEMMAP_LOW, "memmap entry 0 is RAM 0..0xa0000",
		   memmap_is(&map[0], 0, 0xa0000, 1));
	check_true(PVH_CHECK_MEMMAP_HOLE, "memmap entry 1 reserves 0xa0000..0x100000",
		   memmap_is(&map[1], 0xa0000, 0x100000, 2));
	check_true(PVH_CHECK_MEMMAP_HIGH, "memmap entry 2 is RAM 1 MiB..64 MiB",
		   memmap_is(&map[2], 0x100000, EXPECT_RAM_END, 1));
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	const struct hvm_start_info *info = (const void *)entry_ebx;

	check_true(PVH_CHECK_PAGING, "32-bit protected mode with paging off",
		   (cpu_read_cr0() & (CR0_PE | CR0_PG)) == CR0_PE);
	check_eq(PVH_CHECK_MAGIC, "hvm_start_info magic", info->magic, HVM_START_MAGIC);
	check_eq_dec(PVH_CHECK_VERSION, "hvm_start_info version", info->version, 1);
	check_eq(PVH_CHECK_RSDP, "rsdp_paddr is 0xe0000", info->rsdp_paddr, EXPECT_RSDP);
	/* A Linux guest has ACPI tables (vmm/acpi.c): the RSDP is really there. */
	check_true(PVH_CHECK_RSDP, "RSD PTR signature at rsdp_paddr",
		   memcmp((const void *)(u32)info->rsdp_paddr, "RSD PTR ", 8) == 0);
	check_str(PVH_CHECK_CMDLINE, "command line", (const char *)(u32)info->cmdline_paddr,
		  EXPECT_CMDLINE);
	check_true(PVH_CHECK_BELOW_1G, "start info, module list and memory map below 1 GiB",
		   entry_ebx < TABLES_LIMIT && info->modlist_paddr < TABLES_LIMIT &&
			   info->memmap_paddr < TABLES_LIMIT);
	pvh_check_module(info);
	pvh_check_memmap(info);
}
