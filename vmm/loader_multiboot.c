// SPDX-License-Identifier: MIT
/* The Multiboot 1 loader (spec 0.6.96 section 3): checks the header, places an ELF kernel
 * or an a.out-kludge image, the modules and the boot information, and sets the entry state.
 * Everything is validated before the first byte is written to guest RAM. */
#include <moat/errno.h>
#include <moat/loader_internal.h>
#include <moat/multiboot.h>
#include <moat/string.h>

#define MB_MAX_SEGMENTS 16
#define MB_ADDRESS_LIMIT GIB(4)    /* the information holds 32-bit addresses */
#define MB_LOW_MEMORY_END 0x9fc00u /* conventional memory ends where the EBDA begins */
#define MB_HIGH_MEMORY_START MIB(1)
#define MB_MIN_RAM MIB(2)
#define MB_MEM_MAP_ENTRIES 3
#define MB_INFO_ALIGN 8
#define MB_BOOT_LOADER_NAME "Moat"

/* One range of guest RAM the kernel occupies: filesz bytes from the file, then zeroes. */
struct mb_segment {
	u64 gpa;
	u64 memsz;
	u64 file_offset;
	u64 filesz;
	u32 index; /* program header number, for messages */
};

struct mb_kernel {
	struct mb_segment segments[MB_MAX_SEGMENTS];
	u32 count;
	u64 entry;
	u64 end; /* one past the highest kernel byte */
};

/* Where the modules and the information go, all after the kernel. */
struct mb_layout {
	gpa_t modules[CONFIG_MAX_MODULES];
	gpa_t names[CONFIG_MAX_MODULES];
	gpa_t info;
	gpa_t mmap;
	gpa_t mods;
	gpa_t cmdline;
	gpa_t loader_name;
};

/* The fields of an ELF header of either class the loader uses, widened. */
struct mb_elf {
	bool is64;
	u16 type;
	u16 machine;
	u64 entry;
	u64 phoff;
	u32 phentsize;
	u32 phnum;
};

/* File offset of a Multiboot header field, for messages. */
#define MB_FIELD(header_offset, field) ((header_offset) + offsetof(struct multiboot_header, field))

static const u32 mb_header_magic = MULTIBOOT_HEADER_MAGIC;

static bool mb_ends_past(u64 base, u64 size, u64 limit)
{
	return range_wraps(base, size) || base > limit || size > limit - base;
}

/* 3.1: the header is 32-bit aligned and lies in the first 8192 bytes. */
static int mb_find_header(const struct loader_context *ctx, u64 *offset)
{
	const struct image_file *image = ctx->image;
	u64 limit = MIN(image->size, (u64)MULTIBOOT_SEARCH_LIMIT);

	for (u64 off = 0; off + sizeof(u32) <= limit; off += MULTIBOOT_HEADER_ALIGN) {
		if (!memcmp(image->data + off, &mb_header_magic, sizeof(u32))) {
			*offset = off;
			return 0;
		}
	}
	for (u64 off = 0; off + sizeof(u32) <= limit; off++) {
		if (!memcmp(image->data + off, &mb_header_magic, sizeof(u32))) {
			loader_error(ctx, off, "Multiboot header magic is not 4-byte aligned");
			return -MOAT_ENOEXEC;
		}
	}
	loader_error_file(ctx, image->path, "no Multiboot header in the first %u bytes",
			  MULTIBOOT_SEARCH_LIMIT);
	return -MOAT_ENOEXEC;
}

/* The header must lie whole in the file and in the first 8192 bytes (3.1). */
static int mb_check_header_size(const struct loader_context *ctx, u64 off, u64 size)
{
	if (off + size > ctx->image->size) {
		loader_error(ctx, off, "Multiboot header (%lu bytes) is cut off by the end of %s",
			     size, "the file");
		return -MOAT_ENOEXEC;
	}
	if (off + size > MULTIBOOT_SEARCH_LIMIT) {
		loader_error(ctx, off, "Multiboot header (%lu bytes) ends past the first %u bytes",
			     size, MULTIBOOT_SEARCH_LIMIT);
		return -MOAT_ENOEXEC;
	}
	return 0;
}

/* 3.1.2: bits 0-15 are requirements; refuse any Moat cannot honour. */
static int mb_check_flags(const struct loader_context *ctx, u64 off, u32 flags)
{
	u32 unknown = flags & MULTIBOOT_FLAG_REQUIRED_MASK &
		      ~(u32)(MULTIBOOT_FLAG_PAGE_ALIGN | MULTIBOOT_FLAG_MEMORY_INFO |
			     MULTIBOOT_FLAG_VIDEO_MODE);
	u64 field = MB_FIELD(off, flags);

	if (flags & MULTIBOOT_FLAG_VIDEO_MODE) {
		loader_error(ctx, field, "Multiboot header requests a video mode (flag bit 2): %s",
			     "Moat gives guests no display");
		return -MOAT_ENOTSUP;
	}
	if (unknown) {
		loader_error(ctx, field, "Multiboot header requires unsupported feature bit %d",
			     __builtin_ctz(unknown));
		return -MOAT_ENOTSUP;
	}
	return 0;
}

static int mb_read_header(const struct loader_context *ctx, u64 *off, struct multiboot_header *h)
{
	int ret = mb_find_header(ctx, off);

	if (ret)
		return ret;
	ret = mb_check_header_size(ctx, *off, MULTIBOOT_HEADER_BASE_SIZE);
	if (ret)
		return ret;
	memset(h, 0, sizeof(*h));
	memcpy(h, ctx->image->data + *off, MULTIBOOT_HEADER_BASE_SIZE);
	if (h->magic + h->flags + h->checksum != 0) {
		loader_error(ctx, *off, "Multiboot header checksum is wrong");
		return -MOAT_ENOEXEC;
	}
	ret = mb_check_flags(ctx, *off, h->flags);
	if (ret || !(h->flags & MULTIBOOT_FLAG_AOUT_KLUDGE))
		return ret;
	ret = mb_check_header_size(ctx, *off, MULTIBOOT_HEADER_AOUT_SIZE);
	if (!ret)
		memcpy(h, ctx->image->data + *off, MULTIBOOT_HEADER_AOUT_SIZE);
	return ret;
}

static void mb_segment_label(char *buf, size_t size, const struct mb_segment *seg, bool aout)
{
	if (aout)
		format(buf, size, "a.out kludge image (load_addr 0x%lx, size 0x%lx)", seg->gpa,
		       seg->memsz);
	else
		format(buf, size, "program header %u (paddr 0x%lx, memsz 0x%lx)", seg->index,
		       seg->gpa, seg->memsz);
}

/* Adds a kernel range after checking it against guest RAM and every range before it. */
static int mb_add_segment(const struct loader_context *ctx, struct mb_kernel *kernel,
			  const struct mb_segment *seg, u64 field, bool aout, u64 ram)
{
	char label[96];

	mb_segment_label(label, sizeof(label), seg, aout);
	if (mb_ends_past(seg->gpa, seg->memsz, ram)) {
		loader_error(ctx, field, "%s ends past guest RAM (%s)", label,
			     loader_size_text(ram).text);
		return -MOAT_E2BIG;
	}
	for (u32 i = 0; i < kernel->count; i++) {
		const struct mb_segment *other = &kernel->segments[i];

		if (ranges_overlap(seg->gpa, seg->memsz, other->gpa, other->memsz)) {
			loader_error(ctx, field,
				     "%s overlaps program header %u (paddr 0x%lx, memsz 0x%lx)",
				     label, other->index, other->gpa, other->memsz);
			return -MOAT_ENOEXEC;
		}
	}
	if (kernel->count == MB_MAX_SEGMENTS) {
		loader_error(ctx, field, "more than %d loadable segments", MB_MAX_SEGMENTS);
		return -MOAT_E2BIG;
	}
	kernel->segments[kernel->count++] = *seg;
	kernel->end = MAX(kernel->end, seg->gpa + seg->memsz);
	return 0;
}

/* 3.1.3: the a.out kludge gives the load range in the header itself. */
static int mb_aout_kernel(const struct loader_context *ctx, u64 off,
			  const struct multiboot_header *h, struct mb_kernel *kernel, u64 ram)
{
	u64 size = ctx->image->size;
	struct mb_segment seg = { .gpa = h->load_addr };
	u64 load_end;

	if (h->load_addr > h->header_addr) {
		loader_error(ctx, MB_FIELD(off, load_addr),
			     "a.out kludge load_addr 0x%x is above header_addr 0x%x", h->load_addr,
			     h->header_addr);
		return -MOAT_ENOEXEC;
	}
	if (h->header_addr - h->load_addr > off) {
		loader_error(ctx, MB_FIELD(off, header_addr),
			     "a.out kludge header_addr 0x%x puts load_addr 0x%x before the file",
			     h->header_addr, h->load_addr);
		return -MOAT_ENOEXEC;
	}
	seg.file_offset = off - (h->header_addr - h->load_addr);
	if (h->load_end_addr && h->load_end_addr <= h->load_addr) {
		loader_error(ctx, MB_FIELD(off, load_end_addr),
			     "a.out kludge load_end_addr 0x%x is not above load_addr 0x%x",
			     h->load_end_addr, h->load_addr);
		return -MOAT_ENOEXEC;
	}
	seg.filesz = h->load_end_addr ? h->load_end_addr - h->load_addr : size - seg.file_offset;
	if (seg.filesz > size - seg.file_offset) {
		loader_error(ctx, MB_FIELD(off, load_end_addr),
			     "a.out kludge data (0x%lx bytes at file offset 0x%lx) %s", seg.filesz,
			     seg.file_offset, "ends past the end of the file");
		return -MOAT_ENOEXEC;
	}
	load_end = h->load_addr + seg.filesz;
	if (h->bss_end_addr && h->bss_end_addr < load_end) {
		loader_error(ctx, MB_FIELD(off, bss_end_addr),
			     "a.out kludge bss_end_addr 0x%x is below the end of the data 0x%lx",
			     h->bss_end_addr, load_end);
		return -MOAT_ENOEXEC;
	}
	seg.memsz = (h->bss_end_addr ? h->bss_end_addr : load_end) - h->load_addr;
	if (h->entry_addr < h->load_addr || h->entry_addr >= load_end) {
		loader_error(ctx, MB_FIELD(off, entry_addr),
			     "a.out kludge entry_addr 0x%x is outside the data [0x%x, 0x%lx)",
			     h->entry_addr, h->load_addr, load_end);
		return -MOAT_ENOEXEC;
	}
	kernel->entry = h->entry_addr;
	return mb_add_segment(ctx, kernel, &seg, MB_FIELD(off, load_addr), true, ram);
}

/* The identification bytes: magic, class, byte order, version (gABI "ELF Identification"). */
static int mb_elf_ident(const struct loader_context *ctx, bool *is64)
{
	const u8 *ident = ctx->image->data;

	if (ctx->image->size < ELF_IDENT_SIZE || memcmp(ident, ELF_MAGIC, ELF_MAGIC_SIZE)) {
		loader_error(ctx, 0, "not an ELF file, and the Multiboot header has no %s",
			     "a.out kludge (flag bit 16)");
		return -MOAT_ENOEXEC;
	}
	if (ident[ELF_IDENT_CLASS] != ELF_CLASS_32 && ident[ELF_IDENT_CLASS] != ELF_CLASS_64) {
		loader_error(ctx, ELF_IDENT_CLASS, "ELF class %u is neither %s",
			     ident[ELF_IDENT_CLASS], "32-bit (1) nor 64-bit (2)");
		return -MOAT_ENOEXEC;
	}
	if (ident[ELF_IDENT_DATA] != ELF_DATA_LSB) {
		loader_error(ctx, ELF_IDENT_DATA, "ELF data encoding %u is not little endian (1)",
			     ident[ELF_IDENT_DATA]);
		return -MOAT_ENOEXEC;
	}
	if (ident[ELF_IDENT_VERSION] != ELF_VERSION_CURRENT) {
		loader_error(ctx, ELF_IDENT_VERSION, "ELF version %u is not 1",
			     ident[ELF_IDENT_VERSION]);
		return -MOAT_ENOEXEC;
	}
	*is64 = ident[ELF_IDENT_CLASS] == ELF_CLASS_64;
	return 0;
}

/* Reads the class-specific header into elf; its fields are checked by mb_elf_check(). */
static int mb_elf_header(const struct loader_context *ctx, struct mb_elf *elf)
{
	u64 need = elf->is64 ? sizeof(struct elf64_ehdr) : sizeof(struct elf32_ehdr);
	struct elf64_ehdr h64;
	struct elf32_ehdr h32;

	if (ctx->image->size < need) {
		loader_error(ctx, 0, "ELF header (%lu bytes) is cut off by the end of the file",
			     need);
		return -MOAT_ENOEXEC;
	}
	if (elf->is64) {
		memcpy(&h64, ctx->image->data, sizeof(h64));
		*elf = (struct mb_elf){ true, h64.e_type, h64.e_machine, h64.e_entry,
					h64.e_phoff, h64.e_phentsize, h64.e_phnum };
	} else {
		memcpy(&h32, ctx->image->data, sizeof(h32));
		*elf = (struct mb_elf){ false, h32.e_type, h32.e_machine, h32.e_entry,
					h32.e_phoff, h32.e_phentsize, h32.e_phnum };
	}
	return 0;
}

/* Field offsets are the same in both classes up to e_entry; past it they differ. */
#define MB_ELF_FIELD(elf, field)                                                         \
	((elf)->is64 ? offsetof(struct elf64_ehdr, field) : offsetof(struct elf32_ehdr, field))

static int mb_elf_check(const struct loader_context *ctx, const struct mb_elf *elf, u64 ram)
{
	u16 want_machine = elf->is64 ? ELF_MACHINE_X86_64 : ELF_MACHINE_386;
	u32 want_phentsize = elf->is64 ? sizeof(struct elf64_phdr) : sizeof(struct elf32_phdr);
	int bits = elf->is64 ? 64 : 32;

	if (elf->type != ELF_TYPE_EXEC) {
		loader_error(ctx, MB_ELF_FIELD(elf, e_type),
			     "ELF type %u is not an executable (ET_EXEC, 2)", elf->type);
		return -MOAT_ENOEXEC;
	}
	if (elf->machine != want_machine) {
		loader_error(ctx, MB_ELF_FIELD(elf, e_machine),
			     "ELF%d machine %u is not %s (%u)", bits, elf->machine,
			     elf->is64 ? "EM_X86_64" : "EM_386", want_machine);
		return -MOAT_ENOEXEC;
	}
	if (elf->entry >= MB_ADDRESS_LIMIT) {
		loader_error(ctx, MB_ELF_FIELD(elf, e_entry),
			     "ELF64 entry point 0x%lx is above 4 GiB; %s", elf->entry,
			     "a Multiboot kernel starts in 32-bit mode");
		return -MOAT_ENOEXEC;
	}
	if (elf->entry >= ram) {
		loader_error(ctx, MB_ELF_FIELD(elf, e_entry),
			     "ELF entry point 0x%lx is outside guest RAM (%s)", elf->entry,
			     loader_size_text(ram).text);
		return -MOAT_ENOEXEC;
	}
	if (elf->phnum == 0 || elf->phnum == ELF_PN_XNUM) {
		loader_error(ctx, MB_ELF_FIELD(elf, e_phnum),
			     "ELF program header count %u is not supported", elf->phnum);
		return -MOAT_ENOEXEC;
	}
	if (elf->phentsize != want_phentsize) {
		loader_error(ctx, MB_ELF_FIELD(elf, e_phentsize),
			     "ELF%d program header size %u is not %u", bits, elf->phentsize,
			     want_phentsize);
		return -MOAT_ENOEXEC;
	}
	if (mb_ends_past(elf->phoff, (u64)elf->phnum * elf->phentsize, ctx->image->size)) {
		loader_error(ctx, MB_ELF_FIELD(elf, e_phoff),
			     "%u program headers at 0x%lx end past the end of the file", elf->phnum,
			     elf->phoff);
		return -MOAT_ENOEXEC;
	}
	return 0;
}

/* Reads program header i into seg and returns its type. */
static u32 mb_elf_phdr(const struct loader_context *ctx, const struct mb_elf *elf, u32 i,
		       struct mb_segment *seg)
{
	const u8 *at = ctx->image->data + elf->phoff + (u64)i * elf->phentsize;
	struct elf64_phdr p64;
	struct elf32_phdr p32;

	if (elf->is64) {
		memcpy(&p64, at, sizeof(p64));
		*seg = (struct mb_segment){ p64.p_paddr, p64.p_memsz, p64.p_offset, p64.p_filesz,
					    i };
		return p64.p_type;
	}
	memcpy(&p32, at, sizeof(p32));
	*seg = (struct mb_segment){ p32.p_paddr, p32.p_memsz, p32.p_offset, p32.p_filesz, i };
	return p32.p_type;
}

/* Every PT_LOAD goes to its physical address (3.1.4 leaves ELF loading to the ELF rules). */
static int mb_elf_segments(const struct loader_context *ctx, const struct mb_elf *elf,
			   struct mb_kernel *kernel, u64 ram)
{
	for (u32 i = 0; i < elf->phnum; i++) {
		u64 at = elf->phoff + (u64)i * elf->phentsize;
		struct mb_segment seg;
		int ret;

		if (mb_elf_phdr(ctx, elf, i, &seg) != ELF_PT_LOAD)
			continue;
		if (seg.filesz > seg.memsz) {
			loader_error(ctx, at, "program header %u filesz 0x%lx is above memsz 0x%lx",
				     i, seg.filesz, seg.memsz);
			return -MOAT_ENOEXEC;
		}
		if (seg.filesz && mb_ends_past(seg.file_offset, seg.filesz, ctx->image->size)) {
			loader_error(ctx, at,
				     "program header %u data (offset 0x%lx, filesz 0x%lx) %s", i,
				     seg.file_offset, seg.filesz, "ends past the end of the file");
			return -MOAT_ENOEXEC;
		}
		if (!seg.memsz)
			continue;
		ret = mb_add_segment(ctx, kernel, &seg, at, false, ram);
		if (ret)
			return ret;
	}
	if (!kernel->count) {
		loader_error_file(ctx, ctx->image->path, "ELF file has no loadable segment %s",
				  "(PT_LOAD)");
		return -MOAT_ENOEXEC;
	}
	return 0;
}

static int mb_elf_kernel(const struct loader_context *ctx, struct mb_kernel *kernel, u64 ram)
{
	struct mb_elf elf = { 0 };
	int ret;

	ret = mb_elf_ident(ctx, &elf.is64);
	if (!ret)
		ret = mb_elf_header(ctx, &elf);
	if (!ret)
		ret = mb_elf_check(ctx, &elf, ram);
	if (!ret)
		ret = mb_elf_segments(ctx, &elf, kernel, ram);
	kernel->entry = elf.entry;
	return ret;
}

/* Bytes a string takes in the information area, with its NUL, bounded by its config size. */
static u64 mb_string_size(const char *s, size_t max)
{
	return strnlen(s, max - 1) + 1;
}

/* Modules follow the kernel on page boundaries (satisfies flag bit 0), then the information:
 * struct multiboot_info, memory map, module list, command line, module names, loader name. */
static int mb_plan(const struct loader_context *ctx, const struct mb_kernel *kernel,
		   struct mb_layout *layout, u64 ram)
{
	u32 count = ctx->config->module_count;
	u64 cursor = kernel->end;

	for (u32 i = 0; i < count; i++) {
		const struct image_file *module = &ctx->modules[i];
		u64 start = ALIGN_UP(cursor, PAGE_SIZE);

		if (mb_ends_past(start, module->size, ram)) {
			loader_error_file(ctx, module->path,
					  "module of 0x%lx bytes at 0x%lx ends past guest RAM (%s)",
					  module->size, start, loader_size_text(ram).text);
			return -MOAT_E2BIG;
		}
		layout->modules[i] = start;
		cursor = start + module->size;
	}
	layout->info = ALIGN_UP(cursor, PAGE_SIZE);
	layout->mmap = layout->info + ALIGN_UP(sizeof(struct multiboot_info), MB_INFO_ALIGN);
	layout->mods = layout->mmap + MB_MEM_MAP_ENTRIES * sizeof(struct multiboot_mmap_entry);
	layout->cmdline = layout->mods + count * sizeof(struct multiboot_module);
	cursor = layout->cmdline + mb_string_size(ctx->config->cmdline, CONFIG_CMDLINE_MAX);
	for (u32 i = 0; i < count; i++) {
		layout->names[i] = cursor;
		cursor += mb_string_size(ctx->modules[i].path, CONFIG_PATH_MAX);
	}
	layout->loader_name = cursor;
	cursor += sizeof(MB_BOOT_LOADER_NAME);
	if (cursor > ram) {
		loader_error_file(ctx, ctx->image->path,
				  "Multiboot information (0x%lx bytes at 0x%lx) %s (%s)",
				  cursor - layout->info, layout->info, "ends past guest RAM",
				  loader_size_text(ram).text);
		return -MOAT_E2BIG;
	}
	return 0;
}

static int mb_write_string(const struct loader_context *ctx, gpa_t gpa, const char *s, size_t max)
{
	u64 len = mb_string_size(s, max) - 1;
	int ret = loader_copy_to_guest(ctx, gpa, s, len);

	return ret ? ret : loader_zero_guest(ctx, gpa + len, 1);
}

/* Segment data, then the BSS zeroed explicitly so a restarted guest finds it clean. */
static int mb_write_kernel(const struct loader_context *ctx, const struct mb_kernel *kernel)
{
	for (u32 i = 0; i < kernel->count; i++) {
		const struct mb_segment *seg = &kernel->segments[i];
		int ret = 0;

		/* An empty segment's file offset was never checked: do not form a pointer with it
		 * (found by tests/fuzz/fuzz_multiboot). */
		if (seg->filesz)
			ret = loader_copy_to_guest(ctx, seg->gpa, ctx->image->data + seg->file_offset,
						   seg->filesz);
		if (!ret)
			ret = loader_zero_guest(ctx, seg->gpa + seg->filesz,
						seg->memsz - seg->filesz);
		if (ret)
			return ret;
	}
	return 0;
}

static int mb_write_modules(const struct loader_context *ctx, const struct mb_layout *layout)
{
	for (u32 i = 0; i < ctx->config->module_count; i++) {
		const struct image_file *module = &ctx->modules[i];
		struct multiboot_module entry = {
			.mod_start = (u32)layout->modules[i],
			.mod_end = (u32)(layout->modules[i] + module->size), /* exclusive (3.3) */
			.string = (u32)layout->names[i],
		};
		int ret = loader_copy_to_guest(ctx, layout->modules[i], module->data, module->size);

		if (!ret)
			ret = loader_copy_to_guest(ctx, layout->mods + i * sizeof(entry), &entry,
						   sizeof(entry));
		if (!ret)
			ret = mb_write_string(ctx, layout->names[i], module->path, CONFIG_PATH_MAX);
		if (ret)
			return ret;
	}
	return 0;
}

/* 3.3: the memory map describes conventional memory, the legacy hole and upper memory. */
static int mb_write_info(const struct loader_context *ctx, const struct mb_layout *layout,
			 u64 ram)
{
	const struct multiboot_mmap_entry mmap[MB_MEM_MAP_ENTRIES] = {
		{ MULTIBOOT_MMAP_ENTRY_SIZE, 0, MB_LOW_MEMORY_END, MULTIBOOT_MEMORY_AVAILABLE },
		{ MULTIBOOT_MMAP_ENTRY_SIZE, MB_LOW_MEMORY_END,
		  MB_HIGH_MEMORY_START - MB_LOW_MEMORY_END, MULTIBOOT_MEMORY_RESERVED },
		{ MULTIBOOT_MMAP_ENTRY_SIZE, MB_HIGH_MEMORY_START, ram - MB_HIGH_MEMORY_START,
		  MULTIBOOT_MEMORY_AVAILABLE },
	};
	const struct multiboot_info info = {
		.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS |
			 MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_BOOT_LOADER_NAME,
		.mem_lower = MB_LOW_MEMORY_END / KIB(1),
		.mem_upper = (ram - MB_HIGH_MEMORY_START) / KIB(1),
		.cmdline = (u32)layout->cmdline,
		.mods_count = ctx->config->module_count,
		.mods_addr = (u32)layout->mods,
		.mmap_length = sizeof(mmap),
		.mmap_addr = (u32)layout->mmap,
		.boot_loader_name = (u32)layout->loader_name,
	};
	int ret = loader_copy_to_guest(ctx, layout->info, &info, sizeof(info));

	if (!ret)
		ret = loader_copy_to_guest(ctx, layout->mmap, mmap, sizeof(mmap));
	if (!ret)
		ret = mb_write_string(ctx, layout->cmdline, ctx->config->cmdline,
				      CONFIG_CMDLINE_MAX);
	if (!ret)
		ret = mb_write_string(ctx, layout->loader_name, MB_BOOT_LOADER_NAME,
				      sizeof(MB_BOOT_LOADER_NAME));
	return ret;
}

static int mb_check_guest(const struct loader_context *ctx, u64 ram)
{
	if (!ctx->image->size) {
		loader_error_file(ctx, ctx->image->path, "image is empty");
		return -MOAT_ENOEXEC;
	}
	if (ram < MB_MIN_RAM) {
		loader_error_file(ctx, ctx->image->path,
				  "a Multiboot guest needs at least 2 MiB of RAM (it has %s)",
				  loader_size_text(ram).text);
		return -MOAT_E2BIG;
	}
	if (ctx->config->module_count > CONFIG_MAX_MODULES) {
		loader_error_file(ctx, ctx->image->path, "%u modules, more than the %d allowed",
				  ctx->config->module_count, CONFIG_MAX_MODULES);
		return -MOAT_E2BIG;
	}
	return 0;
}

int loader_multiboot_load(const struct loader_context *ctx, struct guest_entry_state *entry)
{
	u64 ram = MIN(loader_ram_size(ctx), MB_ADDRESS_LIMIT);
	struct multiboot_header header;
	struct mb_kernel kernel = { 0 };
	struct mb_layout layout;
	u64 off;
	int ret;

	ret = mb_check_guest(ctx, ram);
	if (!ret)
		ret = mb_read_header(ctx, &off, &header);
	if (ret)
		return ret;
	if (header.flags & MULTIBOOT_FLAG_AOUT_KLUDGE)
		ret = mb_aout_kernel(ctx, off, &header, &kernel, ram);
	else
		ret = mb_elf_kernel(ctx, &kernel, ram);
	if (!ret)
		ret = mb_plan(ctx, &kernel, &layout, ram);
	if (!ret)
		ret = mb_write_kernel(ctx, &kernel);
	if (!ret)
		ret = mb_write_modules(ctx, &layout);
	if (!ret)
		ret = mb_write_info(ctx, &layout, ram);
	if (ret)
		return ret;
	*entry = (struct guest_entry_state){
		.mode = GUEST_ENTRY_PROTECTED32,
		.rip = kernel.entry,
		.rax = MULTIBOOT_BOOTLOADER_MAGIC,
		.rbx = layout.info,
		.rsp = ram,
		.rflags = LOADER_ENTRY_RFLAGS,
	};
	return 0;
}
