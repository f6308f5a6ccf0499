// SPDX-License-Identifier: MIT
/* PVH entry for an ELF vmlinux (format "linux"): its PT_LOAD segments go to their physical
 * addresses, and the kernel starts at the XEN_ELFNOTE_PHYS32_ENTRY note's address in 32-bit
 * protected mode with EBX pointing at an hvm_start_info (Xen's docs/misc/pvh.pandoc,
 * start_info.h; docs/boot-protocol.md, "PVH"). Every header is checked before anything is
 * written. */
#include <moat/boot_memmap.h>
#include <moat/errno.h>
#include <moat/linux_boot.h>
#include <moat/loader_internal.h>
#include <moat/multiboot.h>
#include <moat/platform.h>
#include <moat/string.h>

#define ELF_PT_NOTE 4
#define PVH_MAX_SEGMENTS 16
#define PVH_NOTE_ALIGN 4 /* ELF64 notes of Linux and Xen use 4-byte padding */
#define PVH_ADDRESS_LIMIT GIB(4) /* the entry is a 32-bit address; module 0 below 4 GiB */
/* hvm_start_info, the module list and the memory map share one page below 1 GiB. */
#define PVH_START_INFO PLATFORM_BOOT_PARAMS
#define PVH_MODLIST (PLATFORM_BOOT_PARAMS + 0x40)
#define PVH_MEMMAP (PLATFORM_BOOT_PARAMS + 0x80)
_Static_assert(sizeof(struct hvm_start_info) <= 0x40, "start info before the module list");
_Static_assert(PVH_MEMMAP + BOOT_MEMMAP_MAX_ENTRIES * sizeof(struct hvm_memmap_table_entry) <=
		       PLATFORM_BOOT_CMDLINE, "the PVH tables fit below the command line");

struct pvh_segment {
	u64 paddr, memsz, offset, filesz;
};

struct pvh_plan {
	struct elf64_ehdr ehdr;
	struct pvh_segment segments[PVH_MAX_SEGMENTS];
	u32 segment_count;
	u64 entry;      /* 0 until the note is found */
	u64 kernel_end; /* the end of the highest segment */
	u64 initrd;
};

/* Whether [base, base + size) ends past limit, or wraps. */
static bool pvh_ends_past(u64 base, u64 size, u64 limit)
{
	return range_wraps(base, size) || base > limit || size > limit - base;
}

static int pvh_check_header(const struct loader_context *ctx, struct pvh_plan *plan)
{
	const struct elf64_ehdr *h = &plan->ehdr;
	const u8 *ident = ctx->image->data;

	if (ctx->image->size < sizeof(*h)) {
		loader_error(ctx, 0, "ELF header (%lu bytes) is cut off by the end of the file",
			     (u64)sizeof(*h));
		return -MOAT_ENOEXEC;
	}
	memcpy(&plan->ehdr, ident, sizeof(plan->ehdr));
	if (ident[ELF_IDENT_CLASS] != ELF_CLASS_64 || ident[ELF_IDENT_DATA] != ELF_DATA_LSB ||
	    ident[ELF_IDENT_VERSION] != ELF_VERSION_CURRENT) {
		loader_error(ctx, ELF_IDENT_CLASS, "not a little-endian ELF64 version 1 file "
			     "(class %u, data %u, version %u)", ident[ELF_IDENT_CLASS],
			     ident[ELF_IDENT_DATA], ident[ELF_IDENT_VERSION]);
		return -MOAT_ENOEXEC;
	}
	if (h->e_type != ELF_TYPE_EXEC || h->e_machine != ELF_MACHINE_X86_64) {
		loader_error(ctx, offsetof(struct elf64_ehdr, e_type),
			     "ELF type %u machine %u is not an x86-64 executable (2, 62)",
			     h->e_type, h->e_machine);
		return -MOAT_ENOEXEC;
	}
	if (h->e_phnum == 0 || h->e_phnum == ELF_PN_XNUM ||
	    h->e_phentsize != sizeof(struct elf64_phdr)) {
		loader_error(ctx, offsetof(struct elf64_ehdr, e_phentsize),
			     "%u program headers of %u bytes are not supported (1 to 0xfffe of %lu)",
			     h->e_phnum, h->e_phentsize, (u64)sizeof(struct elf64_phdr));
		return -MOAT_ENOEXEC;
	}
	if (pvh_ends_past(h->e_phoff, (u64)h->e_phnum * h->e_phentsize, ctx->image->size)) {
		loader_error(ctx, offsetof(struct elf64_ehdr, e_phoff),
			     "%u program headers at 0x%lx end past the end of the file",
			     h->e_phnum, h->e_phoff);
		return -MOAT_ENOEXEC;
	}
	return 0;
}

/* One note: namesz, descsz, type, then the name and the descriptor, each padded to 4. */
static int pvh_scan_notes(const struct loader_context *ctx, struct pvh_plan *plan, u64 at,
			  u64 size)
{
	const u8 *data = ctx->image->data;
	u64 end = at + size;

	while (end - at >= 3 * sizeof(u32)) {
		u32 word[3];
		u64 name, desc, next;

		memcpy(word, data + at, sizeof(word));
		name = at + sizeof(word);
		desc = name + ALIGN_UP((u64)word[0], PVH_NOTE_ALIGN);
		next = desc + ALIGN_UP((u64)word[1], PVH_NOTE_ALIGN);
		if (desc > end || next > end || desc + word[1] > end) {
			loader_error(ctx, at, "ELF note (name %u bytes, descriptor %u bytes) runs "
				     "past its segment", word[0], word[1]);
			return -MOAT_ENOEXEC;
		}
		if (word[2] == XEN_ELFNOTE_PHYS32_ENTRY && word[0] == sizeof(XEN_ELFNOTE_NAME) &&
		    memcmp(data + name, XEN_ELFNOTE_NAME, sizeof(XEN_ELFNOTE_NAME)) == 0) {
			u64 entry = 0;

			if (word[1] != sizeof(u32) && word[1] != sizeof(u64)) {
				loader_error(ctx, desc, "PVH entry note holds %u bytes, expected 4 "
					     "or 8", word[1]);
				return -MOAT_ENOEXEC;
			}
			memcpy(&entry, data + desc, word[1]);
			if (!entry || entry >= PVH_ADDRESS_LIMIT) {
				loader_error(ctx, desc, "PVH entry 0x%lx is not a 32-bit physical "
					     "address", entry);
				return -MOAT_ENOEXEC;
			}
			plan->entry = entry;
		}
		at = next;
	}
	return 0;
}

static int pvh_check_segment(const struct loader_context *ctx, struct pvh_plan *plan,
			     const struct elf64_phdr *p, u64 at, u64 ram)
{
	struct pvh_segment *seg = &plan->segments[plan->segment_count];

	if (plan->segment_count == PVH_MAX_SEGMENTS) {
		loader_error(ctx, at, "more than %u PT_LOAD segments", PVH_MAX_SEGMENTS);
		return -MOAT_ENOEXEC;
	}
	if (p->p_filesz > p->p_memsz) {
		loader_error(ctx, at + offsetof(struct elf64_phdr, p_filesz),
			     "segment's file size 0x%lx is larger than its memory size 0x%lx",
			     p->p_filesz, p->p_memsz);
		return -MOAT_ENOEXEC;
	}
	if (pvh_ends_past(p->p_offset, p->p_filesz, ctx->image->size)) {
		loader_error(ctx, at + offsetof(struct elf64_phdr, p_offset),
			     "segment's 0x%lx bytes at file offset 0x%lx end past the end of the "
			     "file", p->p_filesz, p->p_offset);
		return -MOAT_ENOEXEC;
	}
	/* Below 1 MiB are Moat's boot data and the ACPI tables (include/moat/platform.h). */
	if (p->p_paddr < PLATFORM_RESERVED_END || pvh_ends_past(p->p_paddr, p->p_memsz, ram)) {
		loader_error(ctx, at + offsetof(struct elf64_phdr, p_paddr),
			     "segment at physical 0x%lx (0x%lx bytes) is outside guest RAM above "
			     "1 MiB (%s)", p->p_paddr, p->p_memsz, loader_size_text(ram).text);
		return -MOAT_E2BIG;
	}
	for (u32 i = 0; i < plan->segment_count; i++) {
		const struct pvh_segment *other = &plan->segments[i];

		if (p->p_paddr < other->paddr + other->memsz &&
		    other->paddr < p->p_paddr + p->p_memsz) {
			loader_error(ctx, at + offsetof(struct elf64_phdr, p_paddr),
				     "segment at physical 0x%lx (0x%lx bytes) overlaps the one at "
				     "0x%lx (0x%lx bytes)", p->p_paddr, p->p_memsz, other->paddr,
				     other->memsz);
			return -MOAT_ENOEXEC;
		}
	}
	*seg = (struct pvh_segment){ p->p_paddr, p->p_memsz, p->p_offset, p->p_filesz };
	plan->segment_count++;
	if (seg->paddr + seg->memsz > plan->kernel_end)
		plan->kernel_end = seg->paddr + seg->memsz;
	return 0;
}

static int pvh_check_program_headers(const struct loader_context *ctx, struct pvh_plan *plan,
				     u64 ram)
{
	int ret = 0;

	for (u32 i = 0; !ret && i < plan->ehdr.e_phnum; i++) {
		u64 at = plan->ehdr.e_phoff + (u64)i * sizeof(struct elf64_phdr);
		struct elf64_phdr p;

		memcpy(&p, ctx->image->data + at, sizeof(p));
		if (p.p_type == ELF_PT_LOAD && p.p_memsz) {
			ret = pvh_check_segment(ctx, plan, &p, at, ram);
		} else if (p.p_type == ELF_PT_NOTE) {
			if (pvh_ends_past(p.p_offset, p.p_filesz, ctx->image->size)) {
				loader_error(ctx, at + offsetof(struct elf64_phdr, p_offset),
					     "note segment at 0x%lx ends past the end of the file",
					     p.p_offset);
				return -MOAT_ENOEXEC;
			}
			ret = pvh_scan_notes(ctx, plan, p.p_offset, p.p_filesz);
		}
	}
	return ret;
}

/* The entry must be code the kernel brings: inside one of its segments. */
static int pvh_check_entry(const struct loader_context *ctx, const struct pvh_plan *plan)
{
	if (!plan->entry) {
		loader_error(ctx, 0, "an ELF file without a PVH entry note (Xen note type %u, "
			     "XEN_ELFNOTE_PHYS32_ENTRY)", XEN_ELFNOTE_PHYS32_ENTRY);
		return -MOAT_ENOEXEC;
	}
	for (u32 i = 0; i < plan->segment_count; i++)
		if (plan->entry - plan->segments[i].paddr < plan->segments[i].memsz)
			return 0;
	loader_error(ctx, 0, "PVH entry 0x%lx is in none of the PT_LOAD segments", plan->entry);
	return -MOAT_ENOEXEC;
}

static int pvh_write_start_info(const struct loader_context *ctx, const struct pvh_plan *plan)
{
	struct hvm_memmap_table_entry memmap[BOOT_MEMMAP_MAX_ENTRIES];
	struct hvm_modlist_entry module = { 0 };
	struct boot_memmap map;
	struct hvm_start_info info = {
		.magic = HVM_START_MAGIC,
		.version = HVM_START_VERSION,
		.cmdline_paddr = PLATFORM_BOOT_CMDLINE,
		.rsdp_paddr = PLATFORM_ACPI_RSDP,
		.memmap_paddr = PVH_MEMMAP,
	};
	int ret;

	boot_memmap_build(ctx->memory, &map);
	for (u32 i = 0; i < map.count; i++)
		memmap[i] = (struct hvm_memmap_table_entry){
			map.entries[i].base, map.entries[i].size, map.entries[i].type, 0 };
	info.memmap_entries = map.count;
	if (ctx->initrd) {
		module.paddr = plan->initrd;
		module.size = ctx->initrd->size;
		info.nr_modules = 1;
		info.modlist_paddr = PVH_MODLIST;
	}
	ret = loader_zero_guest(ctx, PLATFORM_BOOT_PARAMS, PAGE_SIZE);
	if (!ret)
		ret = loader_copy_to_guest(ctx, PVH_START_INFO, &info, sizeof(info));
	if (!ret && ctx->initrd)
		ret = loader_copy_to_guest(ctx, PVH_MODLIST, &module, sizeof(module));
	if (!ret)
		ret = loader_copy_to_guest(ctx, PVH_MEMMAP, memmap, map.count * sizeof(memmap[0]));
	return ret;
}

int loader_pvh_load(const struct loader_context *ctx, struct guest_entry_state *entry)
{
	u64 ram = loader_ram_size(ctx);
	struct pvh_plan plan;
	int ret;

	memset(&plan, 0, sizeof(plan));
	ret = pvh_check_header(ctx, &plan);
	if (!ret)
		ret = loader_linux_check_ram(ctx, ram);
	if (!ret)
		ret = pvh_check_program_headers(ctx, &plan, ram);
	if (!ret)
		ret = pvh_check_entry(ctx, &plan);
	if (!ret)
		ret = loader_linux_place_initrd(ctx, plan.kernel_end,
						ram < PVH_ADDRESS_LIMIT ? ram : PVH_ADDRESS_LIMIT,
						&plan.initrd);
	if (ret)
		return ret;
	for (u32 i = 0; !ret && i < plan.segment_count; i++) {
		const struct pvh_segment *seg = &plan.segments[i];

		ret = loader_zero_guest(ctx, seg->paddr + seg->filesz, seg->memsz - seg->filesz);
		if (!ret)
			ret = loader_copy_to_guest(ctx, seg->paddr, ctx->image->data + seg->offset,
						   seg->filesz);
	}
	if (!ret)
		ret = loader_linux_write_common(ctx, plan.initrd);
	if (!ret)
		ret = pvh_write_start_info(ctx, &plan);
	if (ret)
		return ret;
	/* pvh.pandoc: 32-bit protected mode, paging off, flat CS/DS/ES/SS, a 32-bit TSS, EBX the
	 * start info's physical address, interrupts off. */
	*entry = (struct guest_entry_state){
		.mode = GUEST_ENTRY_PROTECTED32,
		.rip = plan.entry,
		.rbx = PVH_START_INFO,
		.rsp = PLATFORM_BOOT_STACK_TOP,
		.rflags = LOADER_ENTRY_RFLAGS,
	};
	return 0;
}
