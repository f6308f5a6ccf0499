// SPDX-License-Identifier: MIT
/* mbinfo: a Multiboot 1 kernel that checks the information structure Moat builds: flags,
 * loader name, memory sizes and map, command line and the one module it was given
 * (docs/guest-interface.md, "Entry states"; Multiboot spec 0.6.96, 3.3). */
#include "guest.h"
#include "multiboot_info.h"

#define KIB_SHIFT 10
#define MIB_IN_KIB 1024u
#define LOW_MEMORY_KIB 639u /* 0..0x9FC00: conventional memory below the EBDA */
#define EBDA_START 0x9fc00u
#define HIGH_MEMORY_START 0x100000u
#define PAGE_MASK 0xfffu
#define MMAP_EXPECTED_ENTRIES 3
#define MMAP_WALK_LIMIT 32
#define MMAP_ENTRY_MIN_SIZE 20 /* base, length, type after the size field */
#define DECIMAL_BASE 10

enum mbinfo_check {
	MBINFO_CHECK_MAGIC = 1,
	MBINFO_CHECK_FLAG_MEMORY,
	MBINFO_CHECK_FLAG_CMDLINE,
	MBINFO_CHECK_FLAG_MODS,
	MBINFO_CHECK_FLAG_MMAP,
	MBINFO_CHECK_FLAG_LOADER_NAME,
	MBINFO_CHECK_LOADER_NAME,
	MBINFO_CHECK_MEM_LOWER,
	MBINFO_CHECK_CMDLINE_MBTEST,
	MBINFO_CHECK_CMDLINE_MEM,
	MBINFO_CHECK_RAM_SIZE,
	MBINFO_CHECK_MODS_COUNT,
	MBINFO_CHECK_MODULE_STRING,
	MBINFO_CHECK_MODULE_ALIGNED,
	MBINFO_CHECK_MODULE_SIZE,
	MBINFO_CHECK_MODULE_IN_RAM,
	MBINFO_CHECK_MODULE_CONTENTS,
	MBINFO_CHECK_MMAP_ENTRY_SIZE,
	MBINFO_CHECK_MMAP_COUNT,
	MBINFO_CHECK_MMAP_ENTRY0,
	MBINFO_CHECK_MMAP_ENTRY1,
	MBINFO_CHECK_MMAP_ENTRY2,
};

const char guest_name[] = "mbinfo";

extern const u8 mbinfo_expected_module[];
extern const u8 mbinfo_expected_module_end[];

static void mbinfo_check_flags(const struct multiboot_info *info)
{
	check_true(MBINFO_CHECK_FLAG_MEMORY, "flags has MEM", info->flags & MULTIBOOT_INFO_MEMORY);
	check_true(MBINFO_CHECK_FLAG_CMDLINE, "flags has CMDLINE",
		   info->flags & MULTIBOOT_INFO_CMDLINE);
	check_true(MBINFO_CHECK_FLAG_MODS, "flags has MODS", info->flags & MULTIBOOT_INFO_MODS);
	check_true(MBINFO_CHECK_FLAG_MMAP, "flags has MMAP", info->flags & MULTIBOOT_INFO_MMAP);
	check_true(MBINFO_CHECK_FLAG_LOADER_NAME, "flags has BOOT_LOADER_NAME",
		   info->flags & MULTIBOOT_INFO_BOOT_LOADER_NAME);
}

/* The value of a "mem=NN" word on the command line, or 0 when there is none. */
static u32 mbinfo_cmdline_mem_mib(const char *cmdline)
{
	const char *p = cmdline;
	u32 value = 0;

	for (;;) {
		p = string_find(p, "mem=");
		if (!p)
			return 0;
		if (p == cmdline || p[-1] == ' ')
			break;
		p++;
	}
	for (p += strlen("mem="); *p >= '0' && *p <= '9'; p++)
		value = value * DECIMAL_BASE + (u32)(*p - '0');
	return value;
}

/* Returns the RAM size in KiB, from mem_upper (KiB above 1 MiB). */
static u32 mbinfo_check_memory(const struct multiboot_info *info)
{
	const char *cmdline = (const char *)info->cmdline;
	u32 ram_kib = info->mem_upper + MIB_IN_KIB;
	u32 mem_mib;

	check_eq_dec(MBINFO_CHECK_MEM_LOWER, "mem_lower is 639 KiB", info->mem_lower,
		     LOW_MEMORY_KIB);
	console_printf("mbinfo: cmdline \"%s\"\n", cmdline);
	check_true(MBINFO_CHECK_CMDLINE_MBTEST, "command line has mbtest=1",
		   string_find(cmdline, "mbtest=1") != NULL);
	mem_mib = mbinfo_cmdline_mem_mib(cmdline);
	check_true(MBINFO_CHECK_CMDLINE_MEM, "command line has mem=NN", mem_mib != 0);
	check_eq_dec(MBINFO_CHECK_RAM_SIZE, "RAM in KiB (mem_upper + 1 MiB) matches mem=NN",
		     ram_kib, mem_mib * MIB_IN_KIB);
	return ram_kib;
}

static void mbinfo_check_module(const struct multiboot_info *info, u32 ram_kib)
{
	const struct multiboot_module *module = (const struct multiboot_module *)info->mods_addr;
	u32 want_size = (u32)(mbinfo_expected_module_end - mbinfo_expected_module);
	u32 size;

	check_eq_dec(MBINFO_CHECK_MODS_COUNT, "exactly one module", info->mods_count, 1);
	console_printf("mbinfo: module 0x%x-0x%x\n", module->mod_start, module->mod_end);
	check_str(MBINFO_CHECK_MODULE_STRING, "module string is guests/module.txt",
		  (const char *)module->string, "guests/module.txt");
	check_eq(MBINFO_CHECK_MODULE_ALIGNED, "module start is page aligned",
		 module->mod_start & PAGE_MASK, 0);
	size = module->mod_end - module->mod_start;
	check_eq_dec(MBINFO_CHECK_MODULE_SIZE, "module size (mod_end exclusive)", size, want_size);
	check_true(MBINFO_CHECK_MODULE_IN_RAM, "module lies inside RAM",
		   module->mod_end > module->mod_start &&
			   module->mod_end <= (ram_kib << KIB_SHIFT));
	check_true(MBINFO_CHECK_MODULE_CONTENTS, "module contents equal tests/guests/module.txt",
		   memcmp((const void *)module->mod_start, mbinfo_expected_module, size) == 0);
}

static void mbinfo_check_mmap_entry(u32 index, const struct multiboot_mmap_entry *entry,
				    u64 base, u64 length, u32 type)
{
	static const char *const what[MMAP_EXPECTED_ENTRIES] = {
		"mmap entry 0 is 0..0x9fc00 available",
		"mmap entry 1 is 0x9fc00..0x100000 reserved",
		"mmap entry 2 is 0x100000..RAM available",
	};

	if (entry->base_addr != base || entry->length != length || entry->type != type)
		check_fail(MBINFO_CHECK_MMAP_ENTRY0 + index, what[index],
			   "got base 0x%llx length 0x%llx type %u, want base 0x%llx length 0x%llx type %u",
			   entry->base_addr, entry->length, entry->type, base, length, type);
	check_ok(what[index]);
}

static void mbinfo_check_mmap(const struct multiboot_info *info, u32 ram_kib)
{
	const struct multiboot_mmap_entry *entries[MMAP_EXPECTED_ENTRIES] = { NULL };
	u32 offset = 0;
	u32 count = 0;

	while (offset < info->mmap_length && count < MMAP_WALK_LIMIT) {
		const struct multiboot_mmap_entry *entry =
			(const struct multiboot_mmap_entry *)(info->mmap_addr + offset);

		console_printf("mbinfo: mmap[%u] base 0x%llx length 0x%llx type %u\n", count,
			       entry->base_addr, entry->length, entry->type);
		if (entry->size < MMAP_ENTRY_MIN_SIZE)
			check_fail(MBINFO_CHECK_MMAP_ENTRY_SIZE, "mmap entry size field",
				   "got %u, want at least %u", entry->size, MMAP_ENTRY_MIN_SIZE);
		if (count < MMAP_EXPECTED_ENTRIES)
			entries[count] = entry;
		count++;
		offset += entry->size + sizeof(entry->size);
	}
	check_eq_dec(MBINFO_CHECK_MMAP_COUNT, "memory map has 3 entries", count,
		     MMAP_EXPECTED_ENTRIES);
	mbinfo_check_mmap_entry(0, entries[0], 0, EBDA_START, MULTIBOOT_MEMORY_AVAILABLE);
	mbinfo_check_mmap_entry(1, entries[1], EBDA_START, HIGH_MEMORY_START - EBDA_START,
				MULTIBOOT_MEMORY_RESERVED);
	mbinfo_check_mmap_entry(2, entries[2], HIGH_MEMORY_START,
				((u64)ram_kib << KIB_SHIFT) - HIGH_MEMORY_START,
				MULTIBOOT_MEMORY_AVAILABLE);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	const struct multiboot_info *info = (const struct multiboot_info *)entry_ebx;
	u32 ram_kib;

	check_eq(MBINFO_CHECK_MAGIC, "entry EAX is 0x2badb002", entry_eax,
		 MULTIBOOT_BOOTLOADER_MAGIC);
	console_printf("mbinfo: info at 0x%x, flags 0x%x\n", entry_ebx, info->flags);
	mbinfo_check_flags(info);
	check_str(MBINFO_CHECK_LOADER_NAME, "boot loader name is Moat",
		  (const char *)info->boot_loader_name, "Moat");
	ram_kib = mbinfo_check_memory(info);
	mbinfo_check_module(info, ram_kib);
	/* Last, so that a run under QEMU's own loader (a different map) checks all else first. */
	mbinfo_check_mmap(info, ram_kib);
	test_exit(GUEST_EXIT_PASS);
}
