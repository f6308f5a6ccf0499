// SPDX-License-Identifier: MIT
/* Unit tests of the PVH loader (vmm/loader_pvh.c): a synthetic ELF64 vmlinux with the Xen
 * PHYS32_ENTRY note is built in memory; every check gets its exact error and leaves guest RAM
 * untouched, and a good image's segments, hvm_start_info, memory map, module list, command
 * line and entry state are read back. */
#include "loader_linux_env.h"

#include <moat/multiboot.h>

#define T_PHOFF 64u
#define T_NOTE_OFFSET 0x200u
#define T_TEXT_OFFSET 0x1000u
#define T_TEXT_SIZE 0x2000u
#define T_PADDR 0x1000000u
#define T_MEMSZ 0x5000u /* 0x3000 bytes of BSS */
#define T_ENTRY (T_PADDR + 0x40)
#define T_FILE_SIZE (T_TEXT_OFFSET + T_TEXT_SIZE)
#define T_PT_NOTE 4

static u8 t_text_byte(u64 i)
{
	return (u8)(i * 11 + 1);
}

static struct elf64_phdr *t_phdr(u32 i)
{
	return (struct elf64_phdr *)(env->file + T_PHOFF + i * sizeof(struct elf64_phdr));
}

static struct elf64_ehdr *t_ehdr(void)
{
	return (struct elf64_ehdr *)env->file;
}

/* The note: namesz 4 "Xen", descsz, type 18, then the entry. */
static void t_put_note(u32 at, u32 type, u32 descsz, u64 entry)
{
	u32 words[3] = { 4, descsz, type };

	memcpy(env->file + at, words, sizeof(words));
	memcpy(env->file + at + 12, "Xen", 4);
	memcpy(env->file + at + 16, &entry, descsz <= 8 ? descsz : 8);
}

/* Like Linux's vmlinux: a PT_NOTE with a Xen note after another one, and a PT_LOAD. */
static void t_build_vmlinux(void)
{
	struct elf64_ehdr h = { .e_type = ELF_TYPE_EXEC, .e_machine = ELF_MACHINE_X86_64,
				.e_version = 1, .e_entry = 0xffffffff81000000ULL,
				.e_phoff = T_PHOFF, .e_ehsize = sizeof(h),
				.e_phentsize = sizeof(struct elf64_phdr), .e_phnum = 2 };
	u32 gnu[3] = { 4, 4, 3 };

	memset(env->file, 0, sizeof(env->file));
	memcpy(env->file, &h, sizeof(h));
	memcpy(env->file, ELF_MAGIC, ELF_MAGIC_SIZE);
	env->file[ELF_IDENT_CLASS] = ELF_CLASS_64;
	env->file[ELF_IDENT_DATA] = ELF_DATA_LSB;
	env->file[ELF_IDENT_VERSION] = ELF_VERSION_CURRENT;
	*t_phdr(0) = (struct elf64_phdr){ .p_type = ELF_PT_LOAD, .p_offset = T_TEXT_OFFSET,
					  .p_vaddr = 0xffffffff81000000ULL, .p_paddr = T_PADDR,
					  .p_filesz = T_TEXT_SIZE, .p_memsz = T_MEMSZ };
	*t_phdr(1) = (struct elf64_phdr){ .p_type = T_PT_NOTE, .p_offset = T_NOTE_OFFSET,
					  .p_filesz = 20 + 20 };
	memcpy(env->file + T_NOTE_OFFSET, gnu, sizeof(gnu));
	memcpy(env->file + T_NOTE_OFFSET + 12, "GNU", 4);
	t_put_note(T_NOTE_OFFSET + 20, XEN_ELFNOTE_PHYS32_ENTRY, 4, T_ENTRY);
	for (u64 i = 0; i < T_TEXT_SIZE; i++)
		env->file[T_TEXT_OFFSET + i] = t_text_byte(i);
	env->image.size = T_FILE_SIZE;
}

static void test_good_pvh(void **state)
{
	struct hvm_start_info info;
	struct hvm_modlist_entry module;
	struct hvm_memmap_table_entry map[3];

	t_build_vmlinux();
	assert_int_equal(t_load(), 0);
	assert_string_equal(env->err, "");
	for (u64 i = 0; i < T_TEXT_SIZE; i++)
		assert_int_equal(*t_gpa(T_PADDR + i), t_text_byte(i));
	for (u64 i = T_TEXT_SIZE; i < T_MEMSZ; i++)
		assert_int_equal(*t_gpa(T_PADDR + i), 0);
	/* pvh.pandoc: 32-bit protected mode, paging off, EBX = start info. */
	assert_int_equal(env->entry.mode, GUEST_ENTRY_PROTECTED32);
	assert_int_equal(env->entry.rip, T_ENTRY);
	assert_int_equal(env->entry.rbx, PLATFORM_BOOT_PARAMS);
	assert_int_equal(env->entry.rflags, 0x2);
	memcpy(&info, t_gpa(env->entry.rbx), sizeof(info));
	assert_int_equal(info.magic, HVM_START_MAGIC);
	assert_int_equal(info.version, 1);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.rsdp_paddr, PLATFORM_ACPI_RSDP);
	assert_string_equal((char *)t_gpa(info.cmdline_paddr), T_CMDLINE);
	/* Start info, module list and memory map below 1 GiB (the early page tables' reach). */
	assert_true(info.modlist_paddr < GIB(1) && info.memmap_paddr < GIB(1));
	assert_int_equal(info.nr_modules, 1);
	memcpy(&module, t_gpa(info.modlist_paddr), sizeof(module));
	assert_int_equal(module.paddr, ALIGN_DOWN(T_RAM_SIZE - T_INITRD_SIZE, PAGE_SIZE));
	assert_int_equal(module.size, T_INITRD_SIZE);
	assert_int_equal(module.cmdline_paddr, 0);
	t_assert_initrd_at(module.paddr);
	assert_int_equal(info.memmap_entries, 3);
	memcpy(map, t_gpa(info.memmap_paddr), sizeof(map));
	assert_int_equal(map[0].addr, 0);
	assert_int_equal(map[0].size, 0xa0000);
	assert_int_equal(map[0].type, 1);
	assert_int_equal(map[1].addr, 0xa0000);
	assert_int_equal(map[1].type, 2);
	assert_int_equal(map[2].addr, 0x100000);
	assert_int_equal(map[2].size, T_RAM_SIZE - 0x100000);
	assert_int_equal(map[2].type, 1);
	assert_int_equal(map[2].reserved, 0);
}

static void test_pvh_variants(void **state)
{
	struct hvm_start_info info;

	/* An 8-byte descriptor, as some toolchains emit. */
	t_build_vmlinux();
	t_put_note(T_NOTE_OFFSET + 20, XEN_ELFNOTE_PHYS32_ENTRY, 8, T_ENTRY + 4);
	t_phdr(1)->p_filesz = 20 + 24;
	assert_int_equal(t_load(), 0);
	assert_int_equal(env->entry.rip, T_ENTRY + 4);
	/* No initrd: no modules. */
	t_build_vmlinux();
	env->ctx.initrd = NULL;
	assert_int_equal(t_load(), 0);
	memcpy(&info, t_gpa(PLATFORM_BOOT_PARAMS), sizeof(info));
	assert_int_equal(info.nr_modules, 0);
	assert_int_equal(info.modlist_paddr, 0);
}

static void test_pvh_header_checks(void **state)
{
	t_build_vmlinux();
	env->image.size = 40;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x0: ELF header (64 bytes) is cut off by "
		       "the end of the file");
	t_build_vmlinux();
	env->file[ELF_IDENT_CLASS] = ELF_CLASS_32;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x4: not a little-endian ELF64 version 1 "
		       "file (class 1, data 1, version 1)");
	t_build_vmlinux();
	t_ehdr()->e_machine = ELF_MACHINE_386;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x10: ELF type 2 machine 3 is not an "
		       "x86-64 executable (2, 62)");
	t_build_vmlinux();
	t_ehdr()->e_phnum = 0;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x36: 0 program headers of 56 bytes are "
		       "not supported (1 to 0xfffe of 56)");
	t_build_vmlinux();
	t_ehdr()->e_phoff = T_FILE_SIZE - 100;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x20: 2 program headers at 0x2f9c end past "
		       "the end of the file");
	t_build_vmlinux();
	t_ehdr()->e_phoff = 0xfffffffffffffff0ULL;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x20: 2 program headers at "
		       "0xfffffffffffffff0 end past the end of the file");
}

static void test_pvh_note_checks(void **state)
{
	t_build_vmlinux();
	t_put_note(T_NOTE_OFFSET + 20, 17, 4, T_ENTRY);
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x0: an ELF file without a PVH entry note "
		       "(Xen note type 18, XEN_ELFNOTE_PHYS32_ENTRY)");
	t_build_vmlinux();
	t_put_note(T_NOTE_OFFSET + 20, XEN_ELFNOTE_PHYS32_ENTRY, 2, T_ENTRY);
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x224: PVH entry note holds 2 bytes, "
		       "expected 4 or 8");
	t_build_vmlinux();
	t_put_note(T_NOTE_OFFSET + 20, XEN_ELFNOTE_PHYS32_ENTRY, 0x100, T_ENTRY);
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x214: ELF note (name 4 bytes, descriptor "
		       "256 bytes) runs past its segment");
	t_build_vmlinux();
	t_put_note(T_NOTE_OFFSET + 20, XEN_ELFNOTE_PHYS32_ENTRY, 8, 0x100000000ULL);
	t_phdr(1)->p_filesz = 20 + 24;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x224: PVH entry 0x100000000 is not a "
		       "32-bit physical address");
	t_build_vmlinux();
	t_put_note(T_NOTE_OFFSET + 20, XEN_ELFNOTE_PHYS32_ENTRY, 4, T_PADDR + T_MEMSZ);
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x0: PVH entry 0x1005000 is in none of "
		       "the PT_LOAD segments");
	t_build_vmlinux();
	t_phdr(1)->p_offset = T_FILE_SIZE - 8;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x80: note segment at 0x2ff8 ends past the "
		       "end of the file");
}

static void test_pvh_segment_checks(void **state)
{
	t_build_vmlinux();
	t_phdr(0)->p_filesz = T_MEMSZ + 1;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x60: segment's file size 0x5001 is larger "
		       "than its memory size 0x5000");
	t_build_vmlinux();
	t_phdr(0)->p_offset = T_FILE_SIZE - 0x1000;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x48: segment's 0x2000 bytes at file "
		       "offset 0x2000 end past the end of the file");
	t_build_vmlinux();
	t_phdr(0)->p_paddr = 0x80000;
	t_expect_error(-MOAT_E2BIG, T_IMAGE ": offset 0x58: segment at physical 0x80000 (0x5000 "
		       "bytes) is outside guest RAM above 1 MiB (64 MiB)");
	t_build_vmlinux();
	t_phdr(0)->p_paddr = T_RAM_SIZE - 0x1000;
	t_expect_error(-MOAT_E2BIG, T_IMAGE ": offset 0x58: segment at physical 0x3fff000 (0x5000 "
		       "bytes) is outside guest RAM above 1 MiB (64 MiB)");
	t_build_vmlinux();
	t_phdr(0)->p_memsz = 0xfffffffffffff000ULL;
	t_expect_error(-MOAT_E2BIG, T_IMAGE ": offset 0x58: segment at physical 0x1000000 "
		       "(0xfffffffffffff000 bytes) is outside guest RAM above 1 MiB (64 MiB)");
}

static void test_pvh_overlapping_segments(void **state)
{
	t_build_vmlinux();
	*t_phdr(1) = *t_phdr(0);
	t_phdr(1)->p_paddr = T_PADDR + T_MEMSZ - 1;
	t_expect_error(-MOAT_ENOEXEC, T_IMAGE ": offset 0x90: segment at physical 0x1004fff "
		       "(0x5000 bytes) overlaps the one at 0x1000000 (0x5000 bytes)");
}

static void test_pvh_initrd_does_not_fit(void **state)
{
	t_build_vmlinux();
	t_phdr(0)->p_memsz = T_RAM_SIZE - T_PADDR - 0x1000;
	t_expect_error(-MOAT_E2BIG, T_INITRD ": 0x1800 bytes do not fit between the kernel's end "
		       "(0x3fff000) and 0x3ffffff, the highest address the initrd may reach");
}

/* Every single-byte mutation of the headers and notes loads or fails with a message. */
static void test_pvh_byte_mutations(void **state)
{
	static const u32 ranges[][2] = { { 0, T_PHOFF + 2 * 56 }, { T_NOTE_OFFSET, 40 } };

	for (u32 r = 0; r < ARRAY_SIZE(ranges); r++)
		for (u32 off = ranges[r][0]; off < ranges[r][0] + ranges[r][1]; off++)
			for (u32 v = 0; v < 256; v += 51) {
				t_build_vmlinux();
				env->file[off] = (u8)v;
				if (t_load())
					assert_true(env->err[0] != '\0');
			}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup, t_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good_pvh),
		T(test_pvh_variants),
		T(test_pvh_header_checks),
		T(test_pvh_note_checks),
		T(test_pvh_segment_checks),
		T(test_pvh_overlapping_segments),
		T(test_pvh_initrd_does_not_fit),
		T(test_pvh_byte_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
