// SPDX-License-Identifier: MIT
/* Unit tests of the image loaders (vmm/loader*.c): images are built in memory, loaded into a
 * malloc'd guest RAM, and the placed bytes, the entry state and the exact errors are checked. */
#include "test_support.h"

#include <moat/errno.h>
#include <moat/guest_mem.h>
#include <moat/loader.h>
#include <moat/multiboot.h>

#define T_RAM_SIZE MIB(8)
#define T_RAM_FILL 0xcc /* stands for stale data: loaders must zero BSS themselves */
#define T_FILE_MAX 0x10000
#define T_KERNEL "guests/k.elf"
#define T_FLAT "guests/a.bin"
#define T_MB_OFFSET 0x400u   /* where the builders put the Multiboot header */
#define T_DATA_OFFSET 0x1000u /* segment i's data is at T_DATA_OFFSET + i * 0x1000 */
#define T_ELF32_PHOFF 52u
#define T_ELF64_PHOFF 64u

struct t_env {
	struct guest_memory mem;
	u8 *ram;
	u64 ram_size;
	struct guest_config config;
	struct image_file image;
	struct image_file modules[CONFIG_MAX_MODULES];
	struct loader_context ctx;
	struct guest_entry_state entry;
	char err[256];
	u8 file[T_FILE_MAX];
};

struct t_segment {
	u32 type;
	u64 paddr;
	u64 filesz;
	u64 memsz;
};

static struct t_env *env;

static void t_env_init(u64 ram_size, enum image_format format)
{
	env = calloc(1, sizeof(*env));
	assert_non_null(env);
	env->ram_size = ram_size;
	env->ram = aligned_alloc(PAGE_SIZE, ram_size);
	assert_non_null(env->ram);
	memset(env->ram, T_RAM_FILL, ram_size);
	guest_memory_init(&env->mem);
	assert_int_equal(guest_memory_add(&env->mem, 0, ram_size, (hpa_t)(uintptr_t)env->ram,
					  PT_RWX, GPA_REGION_RAM), 0);
	env->config.memory_size = ram_size;
	env->config.format = format;
	env->config.load_address = MIB(1);
	env->config.entry = MIB(1);
	env->image = (struct image_file){ format == IMAGE_FORMAT_FLAT ? T_FLAT : T_KERNEL,
					  env->file, 0 };
	env->ctx = (struct loader_context){ &env->config, &env->mem, &env->image, env->modules,
					    env->err, sizeof(env->err), NULL };
}

static int t_teardown(void **state)
{
	if (env) {
		free(env->ram);
		free(env);
		env = NULL;
	}
	return 0;
}

static int t_load(void)
{
	env->err[0] = '\0';
	return loader_load(&env->ctx, &env->entry);
}

static void t_expect_error(int code, const char *message)
{
	assert_int_equal(t_load(), code);
	assert_string_equal(env->err, message);
}

static u8 *t_gpa(u64 gpa)
{
	assert_true(gpa < env->ram_size);
	return env->ram + gpa;
}

static u32 t_read32(u64 gpa)
{
	u32 value;

	memcpy(&value, t_gpa(gpa), sizeof(value));
	return value;
}

static void t_assert_filled(u64 gpa, u64 len, u8 value)
{
	for (u64 i = 0; i < len; i++)
		if (t_gpa(gpa)[i] != value)
			fail_msg("byte at 0x%lx is 0x%x, expected 0x%x", gpa + i, t_gpa(gpa)[i],
				 value);
}

static u8 t_pattern(u32 seed, u64 i)
{
	return (u8)(seed * 0x25 + i * 7 + 1);
}

static void t_assert_pattern(u64 gpa, u32 seed, u64 len)
{
	for (u64 i = 0; i < len; i++)
		if (t_gpa(gpa)[i] != t_pattern(seed, i))
			fail_msg("byte at 0x%lx is 0x%x, expected 0x%x", gpa + i, t_gpa(gpa)[i],
				 t_pattern(seed, i));
}

/* ---- image builders ---- */

static void t_put_mb_header(u64 off, u32 flags)
{
	struct multiboot_header h = { .magic = MULTIBOOT_HEADER_MAGIC, .flags = flags,
				      .checksum = -(MULTIBOOT_HEADER_MAGIC + flags) };

	memcpy(env->file + off, &h, MULTIBOOT_HEADER_BASE_SIZE);
}

static void t_put_ident(bool is64)
{
	memcpy(env->file, ELF_MAGIC, ELF_MAGIC_SIZE);
	env->file[ELF_IDENT_CLASS] = is64 ? ELF_CLASS_64 : ELF_CLASS_32;
	env->file[ELF_IDENT_DATA] = ELF_DATA_LSB;
	env->file[ELF_IDENT_VERSION] = ELF_VERSION_CURRENT;
}

static void t_put_headers(bool is64, u64 entry, u32 n)
{
	if (is64) {
		struct elf64_ehdr h = { .e_type = ELF_TYPE_EXEC, .e_machine = ELF_MACHINE_X86_64,
					.e_version = 1, .e_entry = entry, .e_phoff = T_ELF64_PHOFF,
					.e_ehsize = sizeof(h),
					.e_phentsize = sizeof(struct elf64_phdr),
					.e_phnum = n };

		memcpy(env->file + ELF_IDENT_SIZE, (u8 *)&h + ELF_IDENT_SIZE,
		       sizeof(h) - ELF_IDENT_SIZE);
	} else {
		struct elf32_ehdr h = { .e_type = ELF_TYPE_EXEC, .e_machine = ELF_MACHINE_386,
					.e_version = 1, .e_entry = entry, .e_phoff = T_ELF32_PHOFF,
					.e_ehsize = sizeof(h),
					.e_phentsize = sizeof(struct elf32_phdr),
					.e_phnum = n };

		memcpy(env->file + ELF_IDENT_SIZE, (u8 *)&h + ELF_IDENT_SIZE,
		       sizeof(h) - ELF_IDENT_SIZE);
	}
	t_put_ident(is64);
}

static void t_put_phdr(bool is64, u32 i, const struct t_segment *s, u64 data_off)
{
	if (is64) {
		struct elf64_phdr p = { .p_type = s->type, .p_offset = data_off,
					.p_vaddr = s->paddr, .p_paddr = s->paddr,
					.p_filesz = s->filesz, .p_memsz = s->memsz };

		memcpy(env->file + T_ELF64_PHOFF + i * sizeof(p), &p, sizeof(p));
	} else {
		struct elf32_phdr p = { .p_type = s->type, .p_offset = (u32)data_off,
					.p_vaddr = (u32)s->paddr, .p_paddr = (u32)s->paddr,
					.p_filesz = (u32)s->filesz, .p_memsz = (u32)s->memsz };

		memcpy(env->file + T_ELF32_PHOFF + i * sizeof(p), &p, sizeof(p));
	}
}

/* An ELF Multiboot kernel: headers, the Multiboot header at T_MB_OFFSET, segment i's data
 * (t_pattern(i, ...)) at T_DATA_OFFSET + i * 0x1000. Sets the image size. */
static void t_build_elf(bool is64, u64 entry, const struct t_segment *segs, u32 n)
{
	u64 end = T_DATA_OFFSET;

	memset(env->file, 0, sizeof(env->file));
	t_put_headers(is64, entry, n);
	for (u32 i = 0; i < n; i++) {
		u64 data_off = T_DATA_OFFSET + i * PAGE_SIZE;
		u64 len = MIN(segs[i].filesz, PAGE_SIZE);

		t_put_phdr(is64, i, &segs[i], data_off);
		for (u64 k = 0; k < len; k++)
			env->file[data_off + k] = t_pattern(i, k);
		end = MAX(end, data_off + len);
	}
	t_put_mb_header(T_MB_OFFSET, MULTIBOOT_FLAG_PAGE_ALIGN | MULTIBOOT_FLAG_MEMORY_INFO);
	env->image.size = end;
}

static const struct t_segment t_two_segments[] = {
	{ ELF_PT_LOAD, 0x100000, 0x1800 / 2, 0x1800 },
	{ 4 /* PT_NOTE: ignored */, 0x0, 0x10, 0x10 },
	{ ELF_PT_LOAD, 0x102000, 0x100, 0x3000 },
};

static void t_build_default_elf(void)
{
	t_build_elf(false, 0x100040, t_two_segments, ARRAY_SIZE(t_two_segments));
}

/* A file whose Multiboot header at 0x40 uses the a.out kludge (flag bit 16). */
static void t_build_aout(u32 header_addr, u32 load_addr, u32 load_end, u32 bss_end, u32 entry)
{
	struct multiboot_header h = { .magic = MULTIBOOT_HEADER_MAGIC,
				      .flags = MULTIBOOT_FLAG_AOUT_KLUDGE,
				      .checksum = -(MULTIBOOT_HEADER_MAGIC +
						    (u32)MULTIBOOT_FLAG_AOUT_KLUDGE),
				      .header_addr = header_addr, .load_addr = load_addr,
				      .load_end_addr = load_end, .bss_end_addr = bss_end,
				      .entry_addr = entry };

	for (u32 i = 0; i < 0x1000; i++)
		env->file[i] = t_pattern(9, i);
	memcpy(env->file + 0x40, &h, MULTIBOOT_HEADER_AOUT_SIZE);
	env->image.size = 0x1000;
}

static void t_add_module(const char *path, u8 *data, u64 size, u32 seed)
{
	u32 i = env->config.module_count++;

	for (u64 k = 0; k < size; k++)
		data[k] = t_pattern(seed, k);
	env->modules[i] = (struct image_file){ path, data, size };
}

/* ---- flat binaries ---- */

static void test_flat_good(void **state)
{
	static u8 image[3000];

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_FLAT);
	for (u32 i = 0; i < sizeof(image); i++)
		image[i] = t_pattern(3, i);
	env->image.data = image;
	env->image.size = sizeof(image);
	env->config.load_address = 0x200000;
	env->config.entry = 0x200010;
	assert_int_equal(t_load(), 0);
	assert_string_equal(env->err, "");
	t_assert_pattern(0x200000, 3, sizeof(image));
	assert_int_equal(t_gpa(0x200000 + sizeof(image))[0], T_RAM_FILL);
	assert_int_equal(t_gpa(0x1fffff)[0], T_RAM_FILL);
	assert_int_equal(env->entry.mode, GUEST_ENTRY_PROTECTED32);
	assert_int_equal(env->entry.rip, 0x200010);
	assert_int_equal(env->entry.rax, 0x4d4f4154);
	assert_int_equal(env->entry.rbx, T_RAM_SIZE);
	assert_int_equal(env->entry.rsp, T_RAM_SIZE);
	assert_int_equal(env->entry.rflags, 0x2);
}

static void test_flat_fills_ram_exactly(void **state)
{
	static u8 image[0x1000];

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_FLAT);
	env->image.data = image;
	env->image.size = sizeof(image);
	env->config.load_address = T_RAM_SIZE - sizeof(image);
	assert_int_equal(loader_flat_load(&env->ctx, &env->entry), 0);
	t_assert_filled(T_RAM_SIZE - sizeof(image), sizeof(image), 0);
}

static void test_flat_empty(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_FLAT);
	t_expect_error(-MOAT_ENOEXEC, "guests/a.bin: image is empty");
}

static void test_flat_oversized(void **state)
{
	t_env_init(MIB(2), IMAGE_FORMAT_FLAT);
	env->image.size = 0x200000;
	env->config.load_address = 0x100000;
	t_expect_error(-MOAT_E2BIG,
		       "guests/a.bin: 0x200000 bytes at 0x100000 end past guest RAM (2 MiB)");
	env->image.size = 0x1000;
	env->config.load_address = 0xfffffffffffff800ull; /* wraps */
	t_expect_error(-MOAT_E2BIG, "guests/a.bin: 0x1000 bytes at 0xfffffffffffff800 end past "
				    "guest RAM (2 MiB)");
	env->config.load_address = MIB(2);
	t_expect_error(-MOAT_E2BIG, "guests/a.bin: 0x1000 bytes at 0x200000 end past guest RAM "
				    "(2 MiB)");
	t_assert_filled(0, MIB(2), T_RAM_FILL);
}

static void test_flat_entry_outside(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_FLAT);
	env->image.size = 16;
	env->config.entry = T_RAM_SIZE;
	t_expect_error(-MOAT_EINVAL, "guests/a.bin: entry 0x800000 is outside guest RAM (8 MiB)");
}

static void test_unknown_format(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_FLAT);
	env->config.format = (enum image_format)7;
	t_expect_error(-MOAT_EINVAL, "guests/a.bin: unknown image format 7");
}

/* ---- Multiboot ELF ---- */

static void t_assert_mmap(u64 gpa, u64 ram)
{
	const struct multiboot_mmap_entry want[] = {
		{ 20, 0, 0x9fc00, 1 },
		{ 20, 0x9fc00, 0x100000 - 0x9fc00, 2 },
		{ 20, 0x100000, ram - 0x100000, 1 },
	};

	assert_memory_equal(t_gpa(gpa), want, sizeof(want));
}

static const struct multiboot_info *t_info(void)
{
	return (const struct multiboot_info *)t_gpa(env->entry.rbx);
}

static void test_multiboot_elf_good(void **state)
{
	static u8 initrd[0x1234], small[0x10];
	const struct multiboot_info *info;
	const struct multiboot_module *mods;

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_default_elf();
	strcpy(env->config.cmdline, "console=ttyS0 debug");
	t_add_module("guests/initrd.img", initrd, sizeof(initrd), 5);
	t_add_module("guests/m2", small, sizeof(small), 6);
	assert_int_equal(t_load(), 0);

	/* Segments at their paddr, BSS zeroed, nothing else touched around them. */
	t_assert_pattern(0x100000, 0, 0xc00);
	t_assert_filled(0x100c00, 0xc00, 0);
	t_assert_filled(0x101800, 0x800, T_RAM_FILL);
	t_assert_pattern(0x102000, 2, 0x100);
	t_assert_filled(0x102100, 0x2f00, 0);
	t_assert_filled(0xff000, 0x1000, T_RAM_FILL);

	/* Modules page aligned after the kernel's end (0x105000), the info after them. */
	t_assert_pattern(0x105000, 5, sizeof(initrd));
	t_assert_filled(0x106234, 0x107000 - 0x106234, T_RAM_FILL);
	t_assert_pattern(0x107000, 6, sizeof(small));

	assert_int_equal(env->entry.mode, GUEST_ENTRY_PROTECTED32);
	assert_int_equal(env->entry.rip, 0x100040);
	assert_int_equal(env->entry.rax, 0x2badb002);
	assert_int_equal(env->entry.rbx, 0x108000);
	assert_int_equal(env->entry.rsp, T_RAM_SIZE);
	assert_int_equal(env->entry.rflags, 0x2);

	info = t_info();
	assert_int_equal(info->flags, BIT(0) | BIT(2) | BIT(3) | BIT(6) | BIT(9));
	assert_int_equal(info->mem_lower, 639);
	assert_int_equal(info->mem_upper, 7 * 1024);
	assert_int_equal(info->mmap_length, 72);
	t_assert_mmap(info->mmap_addr, T_RAM_SIZE);
	assert_string_equal((char *)t_gpa(info->cmdline), "console=ttyS0 debug");
	assert_string_equal((char *)t_gpa(info->boot_loader_name), "Moat");
	assert_int_equal(info->mods_count, 2);
	mods = (const struct multiboot_module *)t_gpa(info->mods_addr);
	assert_int_equal(mods[0].mod_start, 0x105000);
	assert_int_equal(mods[0].mod_end, 0x106234);
	assert_string_equal((char *)t_gpa(mods[0].string), "guests/initrd.img");
	assert_int_equal(mods[0].reserved, 0);
	assert_int_equal(mods[1].mod_start, 0x107000);
	assert_int_equal(mods[1].mod_end, 0x107010);
	assert_string_equal((char *)t_gpa(mods[1].string), "guests/m2");
	assert_int_equal(info->syms[0] | info->drives_length | info->vbe_mode, 0);
}

static void test_multiboot_no_modules_no_cmdline(void **state)
{
	const struct multiboot_info *info;

	t_env_init(MIB(16), IMAGE_FORMAT_MULTIBOOT);
	t_build_default_elf();
	assert_int_equal(t_load(), 0);
	assert_int_equal(env->entry.rbx, 0x105000);
	assert_int_equal(env->entry.rsp, MIB(16));
	info = t_info();
	assert_true(info->flags & MULTIBOOT_INFO_MODS);
	assert_true(info->flags & MULTIBOOT_INFO_CMDLINE);
	assert_int_equal(info->mods_count, 0);
	assert_int_equal(info->mods_addr, info->mmap_addr + 72);
	assert_int_equal(info->mem_upper, 15 * 1024);
	t_assert_mmap(info->mmap_addr, MIB(16));
	assert_string_equal((char *)t_gpa(info->cmdline), "");
	assert_int_equal(t_read32(0x105000), info->flags);
}

static void test_multiboot_elf64_good(void **state)
{
	const struct t_segment segs[] = { { ELF_PT_LOAD, 0x200000, 0x800, 0x1000 } };

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_elf(true, 0x200000, segs, 1);
	assert_int_equal(t_load(), 0);
	t_assert_pattern(0x200000, 0, 0x800);
	t_assert_filled(0x200800, 0x800, 0);
	assert_int_equal(env->entry.rip, 0x200000);
	assert_int_equal(env->entry.rbx, 0x201000);
}

static void test_multiboot_elf64_entry_above_4g(void **state)
{
	const struct t_segment segs[] = { { ELF_PT_LOAD, 0x200000, 0x800, 0x1000 } };

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_elf(true, 0xffffffff80200000ull, segs, 1);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x18: ELF64 entry point "
				      "0xffffffff80200000 is above 4 GiB; a Multiboot kernel "
				      "starts in 32-bit mode");
}

static void test_multiboot_entry_outside_ram(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_elf(false, T_RAM_SIZE, t_two_segments, ARRAY_SIZE(t_two_segments));
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x18: ELF entry point 0x800000 is "
				      "outside guest RAM (8 MiB)");
}

/* ---- a.out kludge ---- */

static void test_multiboot_aout_good(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_aout(0x100040, 0x100000, 0x100800, 0x102000, 0x100080);
	assert_int_equal(t_load(), 0);
	assert_memory_equal(t_gpa(0x100000), env->file, 0x800);
	t_assert_filled(0x100800, 0x1800, 0);
	assert_int_equal(env->entry.rip, 0x100080);
	assert_int_equal(env->entry.rbx, 0x102000);
	assert_int_equal(t_info()->mem_lower, 639);

	/* load_end_addr 0: the whole file from load_addr's offset; bss_end_addr 0: no BSS. */
	t_build_aout(0x300020, 0x300000, 0, 0, 0x300fd0);
	assert_int_equal(t_load(), 0);
	assert_memory_equal(t_gpa(0x300000), env->file + 0x20, 0x1000 - 0x20);
	assert_int_equal(env->entry.rbx, 0x301000);
}

static void test_multiboot_aout_bad(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_aout(0x100040, 0x100044, 0x100800, 0, 0x100080);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x50: a.out kludge load_addr "
				      "0x100044 is above header_addr 0x100040");
	t_build_aout(0x100041, 0x100000, 0x100800, 0, 0x100080);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x4c: a.out kludge header_addr "
				      "0x100041 puts load_addr 0x100000 before the file");
	t_build_aout(0x100040, 0x100000, 0x100000, 0, 0x100080);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x54: a.out kludge load_end_addr "
				      "0x100000 is not above load_addr 0x100000");
	t_build_aout(0x100040, 0x100000, 0x101001, 0, 0x100080);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x54: a.out kludge data (0x1001 bytes "
				      "at file offset 0x0) ends past the end of the file");
	t_build_aout(0x100040, 0x100000, 0x100800, 0x1007ff, 0x100080);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x58: a.out kludge bss_end_addr "
				      "0x1007ff is below the end of the data 0x100800");
	t_build_aout(0x100040, 0x100000, 0x100800, 0, 0x100800);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x5c: a.out kludge entry_addr "
				      "0x100800 is outside the data [0x100000, 0x100800)");
	t_build_aout(0x7ff040, 0x7ff000, 0x7ff800, 0x801000, 0x7ff080);
	t_expect_error(-MOAT_E2BIG, "guests/k.elf: offset 0x50: a.out kludge image (load_addr "
				    "0x7ff000, size 0x2000) ends past guest RAM (8 MiB)");
	t_assert_filled(0, T_RAM_SIZE, T_RAM_FILL);
}

/* ---- malformed images ---- */

static void test_multiboot_truncated(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	/* Header past the end: the magic is there, flags and checksum are not. */
	t_put_mb_header(0x20, 0);
	env->image.size = 0x28;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x20: Multiboot header (12 bytes) is "
				      "cut off by the end of the file");
	/* The a.out kludge needs 32 bytes of header. */
	t_build_aout(0x100040, 0x100000, 0x100800, 0, 0x100080);
	env->image.size = 0x40 + 31;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x40: Multiboot header (32 bytes) is "
				      "cut off by the end of the file");
	/* Program headers past the end. */
	t_build_default_elf();
	env->image.size = T_MB_OFFSET + MULTIBOOT_HEADER_BASE_SIZE;
	memset(env->file + 0x1c, 0, 4);
	env->file[0x1d] = 0x3;  /* e_phoff 0x300 */
	env->file[0x2c] = 0x10; /* e_phnum 16: 0x300 + 16 * 32 = 0x500 > 0x40c */
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x1c: 16 program headers at 0x300 "
				      "end past the end of the file");
	/* Segment data past the end. */
	t_build_default_elf();
	env->image.size = 0x3000 - 1;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x74: program header 2 data (offset "
				      "0x3000, filesz 0x100) ends past the end of the file");
	/* ELF header itself cut off: Multiboot header right after the identification. */
	memset(env->file, 0, T_FILE_MAX);
	t_put_ident(false);
	t_put_mb_header(ELF_IDENT_SIZE, 0);
	env->image.size = 40;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x0: ELF header (52 bytes) is cut off "
				      "by the end of the file");
	t_assert_filled(0, T_RAM_SIZE, T_RAM_FILL);
}

static void test_multiboot_overlapping_segments(void **state)
{
	const struct t_segment segs[] = {
		{ ELF_PT_LOAD, 0x100000, 0x100, 0x2000 },
		{ ELF_PT_LOAD, 0x101fff, 0x100, 0x100 },
	};

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_elf(false, 0x100000, segs, 2);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x54: program header 1 (paddr "
				      "0x101fff, memsz 0x100) overlaps program header 0 (paddr "
				      "0x100000, memsz 0x2000)");
	t_assert_filled(0, T_RAM_SIZE, T_RAM_FILL);
}

static void test_multiboot_segment_past_ram(void **state)
{
	const struct t_segment segs[] = {
		{ ELF_PT_LOAD, 0x100000, 0x100, 0x100 },
		{ ELF_PT_LOAD, 0x7ff000, 0x100, 0x3000 },
	};
	const struct t_segment wraps[] = {
		{ ELF_PT_LOAD, 0xfffffffffffff000ull, 0x100, 0x2000 },
	};

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_elf(false, 0x100000, segs, 2);
	t_expect_error(-MOAT_E2BIG, "guests/k.elf: offset 0x54: program header 1 (paddr 0x7ff000, "
				    "memsz 0x3000) ends past guest RAM (8 MiB)");
	t_build_elf(true, 0x100000, wraps, 1);
	t_expect_error(-MOAT_E2BIG, "guests/k.elf: offset 0x40: program header 0 (paddr "
				    "0xfffffffffffff000, memsz 0x2000) ends past guest RAM "
				    "(8 MiB)");
}

static void test_multiboot_bad_program_headers(void **state)
{
	const struct t_segment big_file[] = { { ELF_PT_LOAD, 0x100000, 0x200, 0x100 } };
	const struct t_segment note_only[] = { { 4, 0x100000, 0x10, 0x10 },
					       { ELF_PT_LOAD, 0x100000, 0, 0 } };

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_elf(false, 0x100000, big_file, 1);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x34: program header 0 filesz 0x200 "
				      "is above memsz 0x100");
	t_build_elf(false, 0x100000, note_only, 2);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: ELF file has no loadable segment (PT_LOAD)");
	t_build_elf(false, 0x100000, note_only, 0);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x2c: ELF program header count 0 is "
				      "not supported");
	t_build_default_elf();
	env->file[0x2a] = 40; /* e_phentsize */
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x2a: ELF32 program header size 40 "
				      "is not 32");
}

static void test_multiboot_too_many_segments(void **state)
{
	struct t_segment segs[17];

	for (u32 i = 0; i < ARRAY_SIZE(segs); i++)
		segs[i] = (struct t_segment){ ELF_PT_LOAD, 0x100000 + i * PAGE_SIZE, 0, PAGE_SIZE };
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_elf(false, 0x100000, segs, 16);
	assert_int_equal(t_load(), 0);
	t_assert_filled(0x100000, 16 * PAGE_SIZE, 0);
	assert_int_equal(env->entry.rbx, 0x110000);
	t_build_elf(false, 0x100000, segs, 17);
	t_expect_error(-MOAT_E2BIG, "guests/k.elf: offset 0x234: more than 16 loadable segments");
}

static void test_multiboot_does_not_fit(void **state)
{
	static u8 initrd[0x100];
	const struct t_segment top[] = { { ELF_PT_LOAD, 0x7ff000, 0x100, 0x1000 } };

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_default_elf();
	t_add_module("guests/initrd.img", initrd, sizeof(initrd), 1);
	env->modules[0].size = MIB(7); /* only the size matters: the check comes first */
	t_expect_error(-MOAT_E2BIG, "guests/initrd.img: module of 0x700000 bytes at 0x105000 ends "
				    "past guest RAM (8 MiB)");
	/* The kernel ends exactly at the top: the information has no room. */
	env->config.module_count = 0;
	t_build_elf(false, 0x7ff000, top, 1);
	t_expect_error(-MOAT_E2BIG, "guests/k.elf: Multiboot information (0xc6 bytes at "
				    "0x800000) ends past guest RAM (8 MiB)");
	t_assert_filled(0, T_RAM_SIZE, T_RAM_FILL);
}

static void test_multiboot_ram_too_small(void **state)
{
	t_env_init(MIB(1), IMAGE_FORMAT_MULTIBOOT);
	t_build_default_elf();
	t_expect_error(-MOAT_E2BIG, "guests/k.elf: a Multiboot guest needs at least 2 MiB of RAM "
				    "(it has 1 MiB)");
}

static void test_multiboot_header_errors(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_default_elf();
	env->file[T_MB_OFFSET + 8] ^= 1;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x400: Multiboot header checksum is "
				      "wrong");
	t_build_default_elf();
	memset(env->file + T_MB_OFFSET, 0, MULTIBOOT_HEADER_BASE_SIZE);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: no Multiboot header in the first 8192 bytes");
	/* A header past the first 8192 bytes does not count (spec 3.1). */
	t_put_mb_header(MULTIBOOT_SEARCH_LIMIT, 0);
	env->image.size = MULTIBOOT_SEARCH_LIMIT + MULTIBOOT_HEADER_BASE_SIZE;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: no Multiboot header in the first 8192 bytes");
	/* ... nor does one that starts inside them but ends outside. */
	memset(env->file, 0, T_FILE_MAX);
	t_put_mb_header(MULTIBOOT_SEARCH_LIMIT - 8, 0);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x1ff8: Multiboot header (12 bytes) "
				      "ends past the first 8192 bytes");
	t_build_default_elf();
	memset(env->file + T_MB_OFFSET, 0, MULTIBOOT_HEADER_BASE_SIZE);
	t_put_mb_header(T_MB_OFFSET + 2, 0);
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x402: Multiboot header magic is not "
				      "4-byte aligned");
	env->image.size = 0;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: image is empty");
}

static void test_multiboot_flags(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_default_elf();
	t_put_mb_header(T_MB_OFFSET, MULTIBOOT_FLAG_PAGE_ALIGN | BIT(3));
	t_expect_error(-MOAT_ENOTSUP, "guests/k.elf: offset 0x404: Multiboot header requires "
				      "unsupported feature bit 3");
	t_put_mb_header(T_MB_OFFSET, BIT(15));
	t_expect_error(-MOAT_ENOTSUP, "guests/k.elf: offset 0x404: Multiboot header requires "
				      "unsupported feature bit 15");
	t_put_mb_header(T_MB_OFFSET, MULTIBOOT_FLAG_VIDEO_MODE);
	t_expect_error(-MOAT_ENOTSUP, "guests/k.elf: offset 0x404: Multiboot header requests a "
				      "video mode (flag bit 2): Moat gives guests no display");
	/* Optional bits 17-31 may be ignored (3.1.2). */
	t_put_mb_header(T_MB_OFFSET, BIT(17) | BIT(31));
	assert_int_equal(t_load(), 0);
}

static void test_multiboot_wrong_elf(void **state)
{
	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_default_elf();
	env->file[0x12] = 40; /* EM_ARM */
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x12: ELF32 machine 40 is not EM_386 "
				      "(3)");
	t_build_default_elf();
	env->file[0x12] = ELF_MACHINE_X86_64; /* a 64-bit machine in a 32-bit file */
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x12: ELF32 machine 62 is not EM_386 "
				      "(3)");
	t_build_default_elf();
	env->file[0x10] = 3; /* ET_DYN */
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x10: ELF type 3 is not an "
				      "executable (ET_EXEC, 2)");
	t_build_default_elf();
	env->file[ELF_IDENT_DATA] = 2;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x5: ELF data encoding 2 is not "
				      "little endian (1)");
	t_build_default_elf();
	env->file[ELF_IDENT_VERSION] = 0;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x6: ELF version 0 is not 1");
	t_build_default_elf();
	env->file[ELF_IDENT_CLASS] = 3;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x4: ELF class 3 is neither 32-bit "
				      "(1) nor 64-bit (2)");
	t_build_default_elf();
	env->file[0] = 0;
	t_expect_error(-MOAT_ENOEXEC, "guests/k.elf: offset 0x0: not an ELF file, and the "
				      "Multiboot header has no a.out kludge (flag bit 16)");
}

/* Hostile bytes: mutate a good image at random; every load must succeed or fail with a
 * message, and ASan/UBSan watch every access. */
static void test_multiboot_mutations(void **state)
{
	static u8 initrd[0x300];
	u8 pristine[0x4000];
	u64 pristine_size;
	u32 seed = 12345;

	t_env_init(T_RAM_SIZE, IMAGE_FORMAT_MULTIBOOT);
	t_build_default_elf();
	t_add_module("guests/initrd.img", initrd, sizeof(initrd), 1);
	pristine_size = env->image.size;
	memcpy(pristine, env->file, sizeof(pristine));
	for (u32 round = 0; round < 20000; round++) {
		u32 flips;
		int ret;

		memcpy(env->file, pristine, sizeof(pristine));
		seed = seed * 1103515245u + 12345u;
		flips = 1 + (seed >> 16) % 4;
		for (u32 i = 0; i < flips; i++) {
			/* Even flips hit the headers, where the interesting fields are. */
			u64 span = i & 1 ? pristine_size : 0x100;

			seed = seed * 1103515245u + 12345u;
			env->file[(seed >> 8) % span] = (u8)(seed >> 24);
		}
		if (round % 7 == 0)
			env->image.size = (seed >> 4) % (pristine_size + 1);
		else
			env->image.size = pristine_size;
		if (round % 11 == 0) /* keep a valid checksum after flipping flags */
			t_put_mb_header(T_MB_OFFSET, (seed >> 3) & 0x1ffff);
		ret = t_load();
		if (ret)
			assert_true(ret < 0 && env->err[0] != '\0');
		else
			assert_true(env->entry.rbx < T_RAM_SIZE && env->entry.rip < T_RAM_SIZE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_flat_good, t_teardown),
		cmocka_unit_test_teardown(test_flat_fills_ram_exactly, t_teardown),
		cmocka_unit_test_teardown(test_flat_empty, t_teardown),
		cmocka_unit_test_teardown(test_flat_oversized, t_teardown),
		cmocka_unit_test_teardown(test_flat_entry_outside, t_teardown),
		cmocka_unit_test_teardown(test_unknown_format, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_elf_good, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_no_modules_no_cmdline, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_elf64_good, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_elf64_entry_above_4g, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_entry_outside_ram, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_aout_good, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_aout_bad, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_truncated, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_overlapping_segments, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_segment_past_ram, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_bad_program_headers, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_too_many_segments, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_does_not_fit, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_ram_too_small, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_header_errors, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_flags, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_wrong_elf, t_teardown),
		cmocka_unit_test_teardown(test_multiboot_mutations, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
