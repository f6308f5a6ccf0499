// SPDX-License-Identifier: MIT
/* Unit tests of the bzImage loader (vmm/loader_linux.c) and the boot memory map
 * (vmm/boot_memmap.c): a synthetic bzImage is built in memory, every setup-header check gets
 * its exact error and leaves guest RAM untouched, and a good image's zero page, e820 map, page
 * tables, GDT, initrd and entry state are read back. */
#include "loader_linux_env.h"

#define T_SETUP_SECTS 4
#define T_SETUP_SIZE ((T_SETUP_SECTS + 1) * 512)
#define T_KERNEL_SIZE 0x1000u
#define T_FILE_SIZE (T_SETUP_SIZE + T_KERNEL_SIZE)
#define T_LOAD 0x1000000u
#define T_INIT_SIZE 0x200000u
#define T_HEADER_END 0x26c

static struct linux_setup_header *t_hdr(void)
{
	return (struct linux_setup_header *)(env->file + LINUX_SETUP_HEADER_OFFSET);
}

static u8 t_kernel_byte(u64 i)
{
	return (u8)(i * 7 + 3);
}

/* A protocol 2.15 bzImage like Debian's, scaled down. */
static void t_build_bzimage(void)
{
	struct linux_setup_header *h = t_hdr();

	memset(env->file, 0, sizeof(env->file));
	h->setup_sects = T_SETUP_SECTS;
	h->syssize = T_KERNEL_SIZE / LINUX_SYSSIZE_UNIT;
	h->boot_flag = LINUX_BOOT_FLAG;
	h->jump = 0xeb | (T_HEADER_END - LINUX_HEADER_JUMP_END) << 8;
	h->header = LINUX_HEADER_MAGIC;
	h->version = 0x020f;
	h->loadflags = LINUX_LOADFLAGS_LOADED_HIGH;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->relocatable_kernel = 1;
	h->xloadflags = LINUX_XLF_KERNEL_64;
	h->cmdline_size = 2047;
	h->setup_data = 0x1234; /* not Moat's to follow: the loader clears it */
	h->pref_address = T_LOAD;
	h->init_size = T_INIT_SIZE;
	for (u64 i = 0; i < T_KERNEL_SIZE; i++)
		env->file[T_SETUP_SIZE + i] = t_kernel_byte(i);
	env->image.size = T_FILE_SIZE;
}

static void t_assert_kernel_at(u64 gpa)
{
	for (u64 i = 0; i < T_KERNEL_SIZE; i++)
		if (t_gpa(gpa)[i] != t_kernel_byte(i))
			fail_msg("kernel byte %lu at 0x%lx is wrong", i, gpa + i);
}

static u64 t_bp(u32 offset, u32 size)
{
	return t_read(PLATFORM_BOOT_PARAMS + offset, size);
}

#define T_BP_HDR(field) t_bp(LINUX_HDR(field), sizeof(t_hdr()->field))

static void test_good_bzimage(void **state)
{
	u64 initrd;

	t_build_bzimage();
	assert_int_equal(t_load(), 0);
	assert_string_equal(env->err, "");
	t_assert_kernel_at(T_LOAD);
	/* 64-bit entry at load + 0x200 (boot.rst, "64-bit Boot Protocol"). */
	assert_int_equal(env->entry.mode, GUEST_ENTRY_LONG64);
	assert_int_equal(env->entry.rip, T_LOAD + LINUX_ENTRY64_OFFSET);
	assert_int_equal(env->entry.rsi, PLATFORM_BOOT_PARAMS);
	assert_int_equal(env->entry.rflags, 0x2);
	assert_int_equal(env->entry.cr3, PLATFORM_BOOT_PAGE_TABLES);
	assert_int_equal(env->entry.gdt_base, PLATFORM_BOOT_GDT);
	assert_int_equal(env->entry.gdt_limit, 31);
	/* The setup header copied, then the loader's fields. */
	assert_int_equal(T_BP_HDR(boot_flag), LINUX_BOOT_FLAG);
	assert_int_equal(T_BP_HDR(header), LINUX_HEADER_MAGIC);
	assert_int_equal(T_BP_HDR(version), 0x020f);
	assert_int_equal(T_BP_HDR(init_size), T_INIT_SIZE);
	assert_int_equal(T_BP_HDR(type_of_loader), 0xff);
	assert_int_equal(T_BP_HDR(setup_data), 0);
	assert_int_equal(T_BP_HDR(cmd_line_ptr), PLATFORM_BOOT_CMDLINE);
	assert_string_equal((char *)t_gpa(PLATFORM_BOOT_CMDLINE), T_CMDLINE);
	assert_int_equal(t_bp(LINUX_BP_ACPI_RSDP_ADDR, 8), PLATFORM_ACPI_RSDP);
	assert_int_equal(t_bp(LINUX_BP_SENTINEL, 1), 0);
	/* Past the header's end: zero, not whatever followed the header in the file. */
	assert_int_equal(t_bp(T_HEADER_END, 4), 0);
	/* The initrd as high as it goes: the last page of RAM. */
	initrd = T_BP_HDR(ramdisk_image);
	assert_int_equal(initrd, ALIGN_DOWN(T_RAM_SIZE - T_INITRD_SIZE, PAGE_SIZE));
	assert_int_equal(T_BP_HDR(ramdisk_size), T_INITRD_SIZE);
	t_assert_initrd_at(initrd);
}

static void test_bzimage_e820(void **state)
{
	static const struct { u64 addr, size; u32 type; } want[] = {
		{ 0, 0xa0000, 1 },
		{ 0xa0000, 0x60000, 2 },
		{ 0x100000, T_RAM_SIZE - 0x100000, 1 },
	};

	t_build_bzimage();
	assert_int_equal(t_load(), 0);
	assert_int_equal(t_bp(LINUX_BP_E820_ENTRIES, 1), ARRAY_SIZE(want));
	for (u32 i = 0; i < ARRAY_SIZE(want); i++) {
		u32 at = LINUX_BP_E820_TABLE + i * sizeof(struct linux_e820_entry);

		assert_int_equal(t_bp(at, 8), want[i].addr);
		assert_int_equal(t_bp(at + 8, 8), want[i].size);
		assert_int_equal(t_bp(at + 16, 4), want[i].type);
	}
}

static void test_bzimage_page_tables_and_gdt(void **state)
{
	u64 pt = PLATFORM_BOOT_PAGE_TABLES;

	t_build_bzimage();
	assert_int_equal(t_load(), 0);
	/* PML4[0] -> PDPT; PDPT[i] -> PD i; PD entries map 2 MiB pages, present and writable. */
	assert_int_equal(t_read(pt, 8), (pt + PAGE_SIZE) | 3);
	assert_int_equal(t_read(pt + 8, 8), 0);
	for (u32 d = 0; d < 4; d++)
		assert_int_equal(t_read(pt + PAGE_SIZE + d * 8, 8), (pt + (2 + d) * PAGE_SIZE) | 3);
	assert_int_equal(t_read(pt + PAGE_SIZE + 4 * 8, 8), 0);
	assert_int_equal(t_read(pt + 2 * PAGE_SIZE, 8), 0x83);
	assert_int_equal(t_read(pt + 2 * PAGE_SIZE + 8 * 8, 8), 0x1000083);
	/* The last 2 MiB below 4 GiB. */
	assert_int_equal(t_read(pt + 5 * PAGE_SIZE + 511 * 8, 8), 0xffe00083);
	/* GDT: __BOOT_CS flat 64-bit code, __BOOT_DS flat data (SDM Vol. 3 3.4.5). */
	assert_int_equal(t_read(PLATFORM_BOOT_GDT, 8), 0);
	assert_int_equal(t_read(PLATFORM_BOOT_GDT + 0x10, 8), 0x00af9b000000ffffULL);
	assert_int_equal(t_read(PLATFORM_BOOT_GDT + 0x18, 8), 0x00cf93000000ffffULL);
}

static void test_bzimage_placement(void **state)
{
	/* Relocatable: pref_address aligned up to kernel_alignment. */
	t_build_bzimage();
	t_hdr()->pref_address = 0x1100000;
	assert_int_equal(t_load(), 0);
	assert_int_equal(env->entry.rip, 0x1200000 + LINUX_ENTRY64_OFFSET);
	t_assert_kernel_at(0x1200000);
	/* Not relocatable: exactly pref_address. */
	t_build_bzimage();
	t_hdr()->relocatable_kernel = 0;
	t_hdr()->pref_address = 0x1100000;
	assert_int_equal(t_load(), 0);
	assert_int_equal(env->entry.rip, 0x1100000 + LINUX_ENTRY64_OFFSET);
	/* The initrd stays below initrd_addr_max. */
	t_build_bzimage();
	t_hdr()->initrd_addr_max = 0x2000000 - 1;
	assert_int_equal(t_load(), 0);
	assert_int_equal(T_BP_HDR(ramdisk_image), 0x2000000 - 2 * PAGE_SIZE);
	/* No initrd: none announced. */
	t_build_bzimage();
	env->ctx.initrd = NULL;
	assert_int_equal(t_load(), 0);
	assert_int_equal(T_BP_HDR(ramdisk_image), 0);
	assert_int_equal(T_BP_HDR(ramdisk_size), 0);
	/* Protocol 2.12 and 2.13 do not read acpi_rsdp_addr: Moat leaves it 0. */
	t_build_bzimage();
	t_hdr()->version = 0x020c;
	assert_int_equal(t_load(), 0);
	assert_int_equal(t_bp(LINUX_BP_ACPI_RSDP_ADDR, 8), 0);
}

/* A signed kernel has bytes past syssize (the signature): they are not the kernel's. */
static void test_bzimage_oversized_file(void **state)
{
	t_build_bzimage();
	memset(env->file + T_FILE_SIZE, 0x5a, 0x1000);
	env->image.size = T_FILE_SIZE + 0x1000;
	assert_int_equal(t_load(), 0);
	t_assert_kernel_at(T_LOAD);
	assert_int_equal(*t_gpa(T_LOAD + T_KERNEL_SIZE), T_RAM_FILL);
}

static void test_bzimage_truncated(void **state)
{
	t_build_bzimage();
	env->image.size = 0x100;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x0: neither a bzImage (no \"HdrS\" at "
		       "offset 0x202) nor an ELF vmlinux (no ELF magic)");
	env->image.size = 0x250;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x0: 0x250 bytes is too short for a "
		       "Linux setup header (at least 0x26c)");
	env->image.size = T_FILE_SIZE - 1;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x1f4: syssize 0x100 (0x1000 bytes) does "
		       "not fit in the 0xfff bytes after the setup code");
	env->image.size = T_SETUP_SIZE - 1;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x1f1: setup_sects 4 puts the kernel at "
		       "0xa00, past the end of the file (0x9ff bytes)");
}

static void test_bzimage_header_checks(void **state)
{
	t_build_bzimage();
	t_hdr()->boot_flag = 0x1234;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x1fe: boot_flag is 0x1234, expected "
		       "0xaa55");
	t_build_bzimage();
	t_hdr()->version = 0x020b;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x206: boot protocol 2.11 is too old "
		       "(the 64-bit entry needs 2.12 or later)");
	t_build_bzimage();
	t_hdr()->setup_sects = 200;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x1f1: setup_sects 200 puts the kernel at "
		       "0x19200, past the end of the file (0x1a00 bytes)");
	t_build_bzimage();
	env->file[LINUX_HEADER_JUMP_OFFSET] = 0x10;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x201: the setup header ends at 0x212, "
		       "expected 0x268 to 0x290");
	t_build_bzimage();
	env->file[LINUX_HEADER_JUMP_OFFSET] = 0xa0;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x201: the setup header ends at 0x2a2, "
		       "expected 0x268 to 0x290");
	t_build_bzimage();
	t_hdr()->syssize = 0;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x1f4: syssize 0x0 (0x0 bytes) does not "
		       "fit in the 0x1000 bytes after the setup code");
	t_build_bzimage();
	t_hdr()->syssize = 0xffffffff;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x1f4: syssize 0xffffffff (0xffffffff0 "
		       "bytes) does not fit in the 0x1000 bytes after the setup code");
	t_build_bzimage();
	t_hdr()->loadflags = 0;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x211: loadflags 0x0: LOADED_HIGH is "
		       "clear (a zImage loaded below 1 MiB is not supported)");
	t_build_bzimage();
	t_hdr()->xloadflags = 0x2;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x236: xloadflags 0x2: no 64-bit entry "
		       "(XLF_KERNEL_64 is clear)");
}

static void test_bzimage_placement_checks(void **state)
{
	t_build_bzimage();
	t_hdr()->kernel_alignment = 0x300000;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x230: kernel_alignment 0x300000 is not "
		       "a power of two");
	t_build_bzimage();
	t_hdr()->kernel_alignment = 0;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x230: kernel_alignment 0x0 is not a "
		       "power of two");
	t_build_bzimage();
	t_hdr()->relocatable_kernel = 0;
	t_hdr()->pref_address = 0x80000;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x258: pref_address 0x80000 puts the "
		       "kernel at 0x80000, outside guest RAM above 1 MiB (64 MiB)");
	t_build_bzimage();
	t_hdr()->pref_address = 0xffffffffffe00000ULL;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x258: pref_address 0xffffffffffe00000 "
		       "puts the kernel at 0xffffffffffe00000, outside guest RAM above 1 MiB "
		       "(64 MiB)");
	t_build_bzimage();
	t_hdr()->init_size = 0x800;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x260: init_size 0x800 is smaller than "
		       "the kernel (0x1000 bytes)");
	t_build_bzimage();
	t_hdr()->init_size = 0x3000001;
	t_expect_error(-MOAT_E2BIG, T_IMAGE ": offset 0x260: init_size 0x3000001 at load address "
		       "0x1000000 ends past guest RAM (64 MiB)");
}

static void test_bzimage_cmdline_too_long(void **state)
{
	t_build_bzimage();
	t_hdr()->cmdline_size = 18;
	t_expect_error(-MOAT_E2BIG, T_IMAGE ": offset 0x238: cmdline_size is 18: the command line "
		       "(19 bytes) is too long");
	/* Exactly cmdline_size bytes (the NUL not counted) fit. */
	t_build_bzimage();
	t_hdr()->cmdline_size = 19;
	assert_int_equal(t_load(), 0);
}

static void test_bzimage_initrd_does_not_fit(void **state)
{
	t_build_bzimage();
	t_hdr()->init_size = 0x2fff000; /* the kernel ends one page below RAM's end */
	t_expect_error(-MOAT_E2BIG, T_INITRD ": 0x1800 bytes do not fit between the kernel's end "
		       "(0x3fff000) and 0x3ffffff, the highest address the initrd may reach");
	t_build_bzimage();
	t_hdr()->initrd_addr_max = 0x1100000;
	t_expect_error(-MOAT_E2BIG, T_INITRD ": 0x1800 bytes do not fit between the kernel's end "
		       "(0x1200000) and 0x1100000, the highest address the initrd may reach");
}

static void test_bzimage_small_ram(void **state)
{
	t_teardown(state);
	t_env_init(0x80000);
	t_build_bzimage();
	t_expect_error(-MOAT_E2BIG, T_IMAGE ": guest RAM (0x80000 bytes) ends below 1 MiB: no "
		       "room for a Linux kernel");
}

static void test_not_a_kernel(void **state)
{
	for (u32 i = 0; i < 0x1000; i++)
		env->file[i] = (u8)(i * 31);
	env->image.size = 0x1000;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x0: neither a bzImage (no \"HdrS\" at "
		       "offset 0x202) nor an ELF vmlinux (no ELF magic)");
	env->image.size = 0;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x0: neither a bzImage (no \"HdrS\" at "
		       "offset 0x202) nor an ELF vmlinux (no ELF magic)");
}

/* Every mutation of one header byte is either loaded or refused with a message, never a
 * crash or a write past RAM (the sanitizers watch). */
static void test_bzimage_byte_mutations(void **state)
{
	for (u32 off = LINUX_SETUP_HEADER_OFFSET; off < T_HEADER_END; off++) {
		for (u32 v = 0; v < 256; v += 51) {
			t_build_bzimage();
			env->file[off] = (u8)v;
			if (t_load())
				assert_true(env->err[0] != '\0');
		}
	}
}

static void test_memmap_regions(void **state)
{
	struct guest_memory mem;
	struct boot_memmap map;

	guest_memory_init(&mem);
	assert_int_equal(guest_memory_add(&mem, GIB(4), MIB(2), GIB(8), PT_READ | PT_WRITE,
					  GPA_REGION_SHARED), 0);
	assert_int_equal(guest_memory_add(&mem, 0, MIB(256), GIB(1), PT_RWX, GPA_REGION_RAM), 0);
	assert_int_equal(guest_memory_add(&mem, PLATFORM_IOAPIC_BASE, PLATFORM_IOAPIC_SIZE, 0, 0,
					  GPA_REGION_DEVICE), 0);
	boot_memmap_build(&mem, &map);
	assert_int_equal(map.count, 5);
	assert_int_equal(map.entries[0].base, 0);
	assert_int_equal(map.entries[0].size, PLATFORM_LOW_RAM_END);
	assert_int_equal(map.entries[0].type, BOOT_MEMMAP_RAM);
	assert_int_equal(map.entries[1].base, PLATFORM_RESERVED_BASE);
	assert_int_equal(map.entries[1].size, PLATFORM_RESERVED_END - PLATFORM_RESERVED_BASE);
	assert_int_equal(map.entries[1].type, BOOT_MEMMAP_RESERVED);
	assert_int_equal(map.entries[2].base, PLATFORM_RESERVED_END);
	assert_int_equal(map.entries[2].size, MIB(256) - PLATFORM_RESERVED_END);
	assert_int_equal(map.entries[2].type, BOOT_MEMMAP_RAM);
	/* Device registers and shared memory: reserved, never RAM. */
	assert_int_equal(map.entries[3].base, PLATFORM_IOAPIC_BASE);
	assert_int_equal(map.entries[3].type, BOOT_MEMMAP_RESERVED);
	assert_int_equal(map.entries[4].base, GIB(4));
	assert_int_equal(map.entries[4].size, MIB(2));
	assert_int_equal(map.entries[4].type, BOOT_MEMMAP_RESERVED);
}

/* 1 MiB of RAM: below the hole and nothing above it. */
static void test_memmap_one_mib(void **state)
{
	struct guest_memory mem;
	struct boot_memmap map;

	guest_memory_init(&mem);
	assert_int_equal(guest_memory_add(&mem, 0, MIB(1), GIB(1), PT_RWX, GPA_REGION_RAM), 0);
	boot_memmap_build(&mem, &map);
	assert_int_equal(map.count, 2);
	assert_int_equal(map.entries[0].size, PLATFORM_LOW_RAM_END);
	assert_int_equal(map.entries[1].base, PLATFORM_RESERVED_BASE);
	assert_int_equal(map.entries[1].type, BOOT_MEMMAP_RESERVED);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup, t_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good_bzimage),
		T(test_bzimage_e820),
		T(test_bzimage_page_tables_and_gdt),
		T(test_bzimage_placement),
		T(test_bzimage_oversized_file),
		T(test_bzimage_truncated),
		T(test_bzimage_header_checks),
		T(test_bzimage_placement_checks),
		T(test_bzimage_cmdline_too_long),
		T(test_bzimage_initrd_does_not_fit),
		T(test_bzimage_small_ram),
		T(test_not_a_kernel),
		T(test_bzimage_byte_mutations),
		cmocka_unit_test(test_memmap_regions),
		cmocka_unit_test(test_memmap_one_mib),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
