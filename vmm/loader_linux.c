// SPDX-License-Identifier: MIT
/* Linux kernels (format "linux"): tells a bzImage from an ELF vmlinux by the image's own
 * headers, and loads a bzImage through the x86 boot protocol's 64-bit entry
 * (Documentation/arch/x86/boot.rst; docs/boot-protocol.md, "Linux"). Every header field is
 * checked before anything is written. The PVH path is vmm/loader_pvh.c. */
#include <moat/boot_memmap.h>
#include <moat/errno.h>
#include <moat/linux_boot.h>
#include <moat/loader_internal.h>
#include <moat/multiboot.h>
#include <moat/platform.h>
#include <moat/string.h>

/* The setup header must hold every field up to init_size and handover_offset (2.11+). */
#define BZ_HEADER_MIN_END (LINUX_HDR(handover_offset) + sizeof(u32))
#define BZ_FILE_MIN_SIZE (LINUX_SETUP_HEADER_OFFSET + sizeof(struct linux_setup_header))

/* Identity map for the 64-bit entry (SDM Vol. 3 4.5, Tables 4-15 and 4-17): a PML4 entry and
 * four PDPT entries pointing at page directories whose entries map 2 MiB pages. */
#define BZ_PTE_PRESENT BIT(0)
#define BZ_PTE_WRITE BIT(1)
#define BZ_PDE_LARGE BIT(7)
#define BZ_PT_ENTRIES 512
#define BZ_PAGE_DIRECTORIES 4 /* 4 GiB: covers guest RAM, which ends below 3 GiB */
#define BZ_PML4 PLATFORM_BOOT_PAGE_TABLES
#define BZ_PDPT (PLATFORM_BOOT_PAGE_TABLES + PAGE_SIZE)
#define BZ_PD(i) (PLATFORM_BOOT_PAGE_TABLES + (2 + (i)) * PAGE_SIZE)
_Static_assert((2 + BZ_PAGE_DIRECTORIES) * PAGE_SIZE == PLATFORM_BOOT_PAGE_TABLES_SIZE,
	       "platform.h: the boot page tables' size");

/* GDT descriptors (SDM Vol. 3 3.4.5): base 0, limit 0xfffff in 4 KiB units. */
#define BZ_DESC_LIMIT_LOW 0xffffULL
#define BZ_DESC_LIMIT_HIGH (0xfULL << 48)
#define BZ_DESC_ACCESS_SHIFT 40
#define BZ_DESC_ACCESS_CODE 0x9bULL /* P, S, type execute/read accessed */
#define BZ_DESC_ACCESS_DATA 0x93ULL /* P, S, type read/write accessed */
#define BZ_DESC_L BIT(53)
#define BZ_DESC_DB BIT(54)
#define BZ_DESC_G BIT(55)
#define BZ_GDT_ENTRIES 4 /* null, unused, __BOOT_CS, __BOOT_DS */

struct bz_plan {
	struct linux_setup_header hdr;
	u64 setup_size;  /* file offset of the protected-mode kernel */
	u64 kernel_size; /* syssize in bytes */
	u64 header_end;  /* the setup header's bytes end here in the file */
	u64 load;        /* GPA of the protected-mode kernel */
	u64 initrd;      /* GPA of the initrd, 0 without one */
};

static u64 bz_min(u64 a, u64 b)
{
	return a < b ? a : b;
}

static int bz_check_magic(const struct loader_context *ctx, struct bz_plan *plan)
{
	const struct image_file *image = ctx->image;
	const struct linux_setup_header *hdr = &plan->hdr;

	if (image->size < BZ_FILE_MIN_SIZE) {
		loader_error(ctx, 0, "0x%lx bytes is too short for a Linux setup header "
			     "(at least 0x%lx)", image->size, (u64)BZ_FILE_MIN_SIZE);
		return -MOAT_ENOEXEC;
	}
	memcpy(&plan->hdr, image->data + LINUX_SETUP_HEADER_OFFSET, sizeof(plan->hdr));
	if (hdr->boot_flag != LINUX_BOOT_FLAG) {
		loader_error(ctx, LINUX_HDR(boot_flag), "boot_flag is 0x%x, expected 0x%x",
			     hdr->boot_flag, LINUX_BOOT_FLAG);
		return -MOAT_ENOEXEC;
	}
	if (hdr->header != LINUX_HEADER_MAGIC) {
		loader_error(ctx, LINUX_HDR(header), "no \"HdrS\" magic (found 0x%x)", hdr->header);
		return -MOAT_ENOEXEC;
	}
	if (hdr->version < LINUX_PROTOCOL_MIN) {
		loader_error(ctx, LINUX_HDR(version),
			     "boot protocol %u.%02u is too old (the 64-bit entry needs 2.12 or "
			     "later)", hdr->version >> 8, hdr->version & 0xff);
		return -MOAT_ENOEXEC;
	}
	return 0;
}

/* setup_sects, the header's own length and syssize against the file. */
static int bz_check_layout(const struct loader_context *ctx, struct bz_plan *plan)
{
	const struct linux_setup_header *hdr = &plan->hdr;
	u64 size = ctx->image->size;
	u32 sects = hdr->setup_sects ? hdr->setup_sects : LINUX_SETUP_SECTS_DEFAULT;

	plan->setup_size = (u64)(sects + 1) * LINUX_SECTOR_SIZE;
	if (plan->setup_size > size) {
		loader_error(ctx, LINUX_HDR(setup_sects),
			     "setup_sects %u puts the kernel at 0x%lx, past the end of the file "
			     "(0x%lx bytes)", hdr->setup_sects, plan->setup_size, size);
		return -MOAT_ENOEXEC;
	}
	plan->header_end = LINUX_HEADER_JUMP_END + ctx->image->data[LINUX_HEADER_JUMP_OFFSET];
	if (plan->header_end < BZ_HEADER_MIN_END || plan->header_end > LINUX_BP_HDR_END ||
	    plan->header_end > plan->setup_size) {
		loader_error(ctx, LINUX_HEADER_JUMP_OFFSET,
			     "the setup header ends at 0x%lx, expected 0x%lx to 0x%x",
			     plan->header_end, (u64)BZ_HEADER_MIN_END, LINUX_BP_HDR_END);
		return -MOAT_ENOEXEC;
	}
	/* The file may be longer (a signature appended for Secure Boot), never shorter. */
	plan->kernel_size = (u64)hdr->syssize * LINUX_SYSSIZE_UNIT;
	if (!hdr->syssize || plan->kernel_size > size - plan->setup_size) {
		loader_error(ctx, LINUX_HDR(syssize),
			     "syssize 0x%x (0x%lx bytes) does not fit in the 0x%lx bytes after "
			     "the setup code", hdr->syssize, plan->kernel_size,
			     size - plan->setup_size);
		return -MOAT_ENOEXEC;
	}
	return 0;
}

/* What the kernel says it can do: be loaded high, enter in 64-bit mode. */
static int bz_check_capabilities(const struct loader_context *ctx, const struct bz_plan *plan)
{
	const struct linux_setup_header *hdr = &plan->hdr;

	if (!(hdr->loadflags & LINUX_LOADFLAGS_LOADED_HIGH)) {
		loader_error(ctx, LINUX_HDR(loadflags),
			     "loadflags 0x%x: LOADED_HIGH is clear (a zImage loaded below 1 MiB "
			     "is not supported)", hdr->loadflags);
		return -MOAT_ENOEXEC;
	}
	if (!(hdr->xloadflags & LINUX_XLF_KERNEL_64)) {
		loader_error(ctx, LINUX_HDR(xloadflags),
			     "xloadflags 0x%x: no 64-bit entry (XLF_KERNEL_64 is clear)",
			     hdr->xloadflags);
		return -MOAT_ENOEXEC;
	}
	return 0;
}

/* Where the protected-mode kernel goes: pref_address, aligned up to kernel_alignment for a
 * relocatable kernel (boot.rst, "relocatable_kernel"), and its init_size must fit in RAM. */
static int bz_place_kernel(const struct loader_context *ctx, struct bz_plan *plan, u64 ram)
{
	const struct linux_setup_header *hdr = &plan->hdr;
	u64 align = hdr->kernel_alignment;

	plan->load = hdr->pref_address;
	if (hdr->relocatable_kernel) {
		if (!align || (align & (align - 1))) {
			loader_error(ctx, LINUX_HDR(kernel_alignment),
				     "kernel_alignment 0x%x is not a power of two",
				     hdr->kernel_alignment);
			return -MOAT_ENOEXEC;
		}
		if (plan->load < PLATFORM_RESERVED_END)
			plan->load = PLATFORM_RESERVED_END;
		plan->load = ALIGN_UP(plan->load, align);
	}
	if (plan->load < PLATFORM_RESERVED_END || plan->load >= ram) {
		loader_error(ctx, LINUX_HDR(pref_address),
			     "pref_address 0x%lx puts the kernel at 0x%lx, outside guest RAM above "
			     "1 MiB (%s)", hdr->pref_address, plan->load,
			     loader_size_text(ram).text);
		return -MOAT_ENOEXEC;
	}
	if (hdr->init_size < plan->kernel_size) {
		loader_error(ctx, LINUX_HDR(init_size),
			     "init_size 0x%x is smaller than the kernel (0x%lx bytes)",
			     hdr->init_size, plan->kernel_size);
		return -MOAT_ENOEXEC;
	}
	if (hdr->init_size > ram - plan->load) {
		loader_error(ctx, LINUX_HDR(init_size),
			     "init_size 0x%x at load address 0x%lx ends past guest RAM (%s)",
			     hdr->init_size, plan->load, loader_size_text(ram).text);
		return -MOAT_E2BIG;
	}
	return 0;
}

static int bz_plan(const struct loader_context *ctx, struct bz_plan *plan, u64 ram)
{
	const struct linux_setup_header *hdr = &plan->hdr;
	u64 cmdline = strlen(ctx->config->cmdline);
	u64 initrd_limit;
	int ret;

	ret = bz_check_magic(ctx, plan);
	if (!ret)
		ret = bz_check_layout(ctx, plan);
	if (!ret)
		ret = bz_check_capabilities(ctx, plan);
	if (!ret)
		ret = loader_linux_check_ram(ctx, ram);
	if (!ret)
		ret = bz_place_kernel(ctx, plan, ram);
	if (ret)
		return ret;
	/* cmdline_size excludes the terminating NUL (boot.rst, "cmdline_size"). */
	if (cmdline > hdr->cmdline_size) {
		loader_error(ctx, LINUX_HDR(cmdline_size),
			     "cmdline_size is %u: the command line (%lu bytes) is too long",
			     hdr->cmdline_size, cmdline);
		return -MOAT_E2BIG;
	}
	/* initrd_addr_max is the highest address the initrd's last byte may have. */
	initrd_limit = bz_min((u64)hdr->initrd_addr_max + 1, ram);
	return loader_linux_place_initrd(ctx, plan->load + hdr->init_size, initrd_limit,
					 &plan->initrd);
}

/* ---- writing ---- */

static int bz_put(const struct loader_context *ctx, u64 offset, const void *value, u64 size)
{
	return loader_copy_to_guest(ctx, PLATFORM_BOOT_PARAMS + offset, value, size);
}

#define BZ_PUT_FIELD(ctx, field, value)                                              \
	({                                                                           \
		__typeof__(((struct linux_setup_header *)0)->field) v_ = (value);    \
		bz_put(ctx, LINUX_HDR(field), &v_, sizeof(v_));                      \
	})

static int bz_write_e820(const struct loader_context *ctx)
{
	struct linux_e820_entry e820[BOOT_MEMMAP_MAX_ENTRIES];
	struct boot_memmap map;
	u8 count;

	_Static_assert(BOOT_MEMMAP_MAX_ENTRIES <= LINUX_E820_MAX_ENTRIES, "zero page e820");
	boot_memmap_build(ctx->memory, &map);
	for (u32 i = 0; i < map.count; i++)
		e820[i] = (struct linux_e820_entry){ map.entries[i].base, map.entries[i].size,
						     map.entries[i].type };
	count = (u8)map.count;
	return bz_put(ctx, LINUX_BP_E820_ENTRIES, &count, sizeof(count)) ||
	       bz_put(ctx, LINUX_BP_E820_TABLE, e820, map.count * sizeof(e820[0]));
}

/* The zero page (zero-page.rst): the setup header copied from the file, then the fields a
 * boot loader fills in, the e820 map and the RSDP's address. */
static int bz_write_zero_page(const struct loader_context *ctx, const struct bz_plan *plan)
{
	const struct image_file *initrd = ctx->initrd;
	u64 rsdp = PLATFORM_ACPI_RSDP;
	int ret;

	ret = loader_zero_guest(ctx, PLATFORM_BOOT_PARAMS, LINUX_BOOT_PARAMS_SIZE);
	if (!ret)
		ret = bz_put(ctx, LINUX_SETUP_HEADER_OFFSET,
			     ctx->image->data + LINUX_SETUP_HEADER_OFFSET,
			     plan->header_end - LINUX_SETUP_HEADER_OFFSET);
	if (ret)
		return ret;
	ret = BZ_PUT_FIELD(ctx, type_of_loader, LINUX_TYPE_OF_LOADER_UNDEFINED) ||
	      BZ_PUT_FIELD(ctx, cmd_line_ptr, PLATFORM_BOOT_CMDLINE) ||
	      BZ_PUT_FIELD(ctx, ramdisk_image, (u32)plan->initrd) ||
	      BZ_PUT_FIELD(ctx, ramdisk_size, initrd ? (u32)initrd->size : 0) ||
	      /* No setup_data chain: whatever the file holds there is not Moat's. */
	      BZ_PUT_FIELD(ctx, setup_data, 0) ||
	      BZ_PUT_FIELD(ctx, code32_start, (u32)plan->load) ||
	      bz_write_e820(ctx);
	if (!ret && plan->hdr.version >= LINUX_PROTOCOL_RSDP)
		ret = bz_put(ctx, LINUX_BP_ACPI_RSDP_ADDR, &rsdp, sizeof(rsdp));
	return ret ? -MOAT_EFAULT : 0;
}

static int bz_write_page_tables(const struct loader_context *ctx)
{
	u64 entry = BZ_PDPT | BZ_PTE_PRESENT | BZ_PTE_WRITE;
	int ret = loader_zero_guest(ctx, PLATFORM_BOOT_PAGE_TABLES, PLATFORM_BOOT_PAGE_TABLES_SIZE);

	if (!ret)
		ret = loader_copy_to_guest(ctx, BZ_PML4, &entry, sizeof(entry));
	for (u32 d = 0; !ret && d < BZ_PAGE_DIRECTORIES; d++) {
		entry = BZ_PD(d) | BZ_PTE_PRESENT | BZ_PTE_WRITE;
		ret = loader_copy_to_guest(ctx, BZ_PDPT + d * sizeof(u64), &entry, sizeof(entry));
		for (u32 i = 0; !ret && i < BZ_PT_ENTRIES; i++) {
			entry = ((u64)d * BZ_PT_ENTRIES + i) * PAGE_SIZE_2M | BZ_PTE_PRESENT |
				BZ_PTE_WRITE | BZ_PDE_LARGE;
			ret = loader_copy_to_guest(ctx, BZ_PD(d) + i * sizeof(u64), &entry,
						   sizeof(entry));
		}
	}
	return ret;
}

static int bz_write_gdt(const struct loader_context *ctx)
{
	const u64 flat = BZ_DESC_LIMIT_LOW | BZ_DESC_LIMIT_HIGH | BZ_DESC_G;
	const u64 gdt[BZ_GDT_ENTRIES] = {
		[GUEST_LONG64_CODE_SELECTOR / 8] =
			flat | BZ_DESC_L | BZ_DESC_ACCESS_CODE << BZ_DESC_ACCESS_SHIFT,
		[GUEST_LONG64_DATA_SELECTOR / 8] =
			flat | BZ_DESC_DB | BZ_DESC_ACCESS_DATA << BZ_DESC_ACCESS_SHIFT,
	};

	return loader_copy_to_guest(ctx, PLATFORM_BOOT_GDT, gdt, sizeof(gdt));
}

static int bz_load(const struct loader_context *ctx, struct guest_entry_state *entry)
{
	const struct image_file *image = ctx->image;
	struct bz_plan plan;
	int ret;

	memset(&plan, 0, sizeof(plan));
	ret = bz_plan(ctx, &plan, loader_ram_size(ctx));
	if (ret)
		return ret;
	ret = loader_copy_to_guest(ctx, plan.load, image->data + plan.setup_size,
				   plan.kernel_size);
	if (!ret)
		ret = loader_linux_write_common(ctx, plan.initrd);
	if (!ret)
		ret = bz_write_zero_page(ctx, &plan);
	if (!ret)
		ret = bz_write_page_tables(ctx);
	if (!ret)
		ret = bz_write_gdt(ctx);
	if (ret)
		return ret;
	*entry = (struct guest_entry_state){
		.mode = GUEST_ENTRY_LONG64,
		.rip = plan.load + LINUX_ENTRY64_OFFSET,
		.rsi = PLATFORM_BOOT_PARAMS,
		.rsp = PLATFORM_BOOT_STACK_TOP,
		.rflags = LOADER_ENTRY_RFLAGS,
		.cr3 = BZ_PML4,
		.gdt_base = PLATFORM_BOOT_GDT,
		.gdt_limit = BZ_GDT_ENTRIES * sizeof(u64) - 1,
	};
	return 0;
}

/* ---- shared with the PVH loader ---- */

int loader_linux_check_ram(const struct loader_context *ctx, u64 ram)
{
	if (ram < PLATFORM_RESERVED_END) {
		loader_error_file(ctx, ctx->image->path,
				  "guest RAM (%s) ends below 1 MiB: no room for a Linux kernel",
				  loader_size_text(ram).text);
		return -MOAT_E2BIG;
	}
	return 0;
}

int loader_linux_place_initrd(const struct loader_context *ctx, u64 low, u64 limit, u64 *gpa)
{
	const struct image_file *initrd = ctx->initrd;
	u64 size = initrd ? initrd->size : 0;

	*gpa = 0;
	if (!initrd)
		return 0;
	low = ALIGN_UP(low, PAGE_SIZE);
	/* As high as it goes, page aligned: the kernel's own allocations start low. */
	if (!size || size > limit || ALIGN_DOWN(limit - size, PAGE_SIZE) < low) {
		loader_error_file(ctx, initrd->path,
				  "0x%lx bytes do not fit between the kernel's end (0x%lx) and "
				  "0x%lx, the highest address the initrd may reach", size, low,
				  limit - 1);
		return -MOAT_E2BIG;
	}
	*gpa = ALIGN_DOWN(limit - size, PAGE_SIZE);
	return 0;
}

int loader_linux_write_common(const struct loader_context *ctx, u64 initrd_gpa)
{
	const char *cmdline = ctx->config->cmdline;
	int ret = loader_zero_guest(ctx, PLATFORM_BOOT_CMDLINE, PLATFORM_BOOT_CMDLINE_SIZE);

	_Static_assert(CONFIG_CMDLINE_MAX <= PLATFORM_BOOT_CMDLINE_SIZE, "platform.h");
	if (!ret)
		ret = loader_copy_to_guest(ctx, PLATFORM_BOOT_CMDLINE, cmdline, strlen(cmdline));
	if (!ret && ctx->initrd)
		ret = loader_copy_to_guest(ctx, initrd_gpa, ctx->initrd->data, ctx->initrd->size);
	return ret;
}

int loader_linux_load(const struct loader_context *ctx, struct guest_entry_state *entry)
{
	const struct image_file *image = ctx->image;
	u32 magic = 0;

	if (image->size >= ELF_MAGIC_SIZE && memcmp(image->data, ELF_MAGIC, ELF_MAGIC_SIZE) == 0)
		return loader_pvh_load(ctx, entry);
	if (image->size >= LINUX_HDR(header) + sizeof(magic))
		memcpy(&magic, image->data + LINUX_HDR(header), sizeof(magic));
	if (magic == LINUX_HEADER_MAGIC)
		return bz_load(ctx, entry);
	loader_error(ctx, 0, "neither a bzImage (no \"HdrS\" at offset 0x%lx) nor an ELF vmlinux "
		     "(no ELF magic)", (u64)LINUX_HDR(header));
	return -MOAT_ENOEXEC;
}
