// SPDX-License-Identifier: MIT
/* libFuzzer target for the Linux loaders (vmm/loader_linux.c, vmm/loader_pvh.c). Random bytes
 * rarely make a kernel header, so the input edits a valid synthetic image instead: byte 0
 * picks a bzImage or an ELF vmlinux with the PVH note (or, with bit 1, the input is the image
 * itself), bytes 1-2 shorten or lengthen the file, and the rest overwrite its headers. Loaded
 * or refused, the error is one printable line and everything handed over lies in guest RAM. */
#include "fuzz_support.h"

#include <moat/guest_mem.h>
#include <moat/linux_boot.h>
#include <moat/loader.h>
#include <moat/multiboot.h>
#include <moat/platform.h>

#define FUZZ_LX_RAM_SIZE MIB(64)
#define FUZZ_LX_FILE_MAX 0x4000u
#define FUZZ_LX_KERNEL_SIZE 0x1000u
#define FUZZ_LX_SETUP_SIZE 0xa00u /* setup_sects 4 */
#define FUZZ_LX_PVH_PHOFF 64u
#define FUZZ_LX_PVH_NOTE 0x200u
#define FUZZ_LX_PVH_TEXT 0x1000u
#define FUZZ_LX_KIND_PVH BIT(0)
#define FUZZ_LX_KIND_RAW BIT(1)
#define FUZZ_LX_PT_NOTE 4

static u8 fuzz_lx_ram[FUZZ_LX_RAM_SIZE] __aligned(PAGE_SIZE);
static u8 fuzz_lx_file[FUZZ_LX_FILE_MAX];
static const u8 fuzz_lx_initrd_data[0x1800];
static const struct image_file fuzz_lx_initrd = { "initrd", fuzz_lx_initrd_data,
						  sizeof(fuzz_lx_initrd_data) };
static struct guest_config fuzz_lx_config = {
	.name = "fuzz", .memory_size = FUZZ_LX_RAM_SIZE, .image = "kernel",
	.format = IMAGE_FORMAT_LINUX, .cmdline = "console=ttyS0 fuzz", .initrd = "initrd",
	.valid = true,
};
static struct guest_memory fuzz_lx_memory;

static void fuzz_lx_setup(void)
{
	static bool done;

	if (done)
		return;
	guest_memory_init(&fuzz_lx_memory);
	FUZZ_CHECK(guest_memory_add(&fuzz_lx_memory, 0, FUZZ_LX_RAM_SIZE, ptr_to_hpa(fuzz_lx_ram),
				    PT_RWX, GPA_REGION_RAM) == 0);
	done = true;
}

static u64 fuzz_lx_build_bzimage(void)
{
	struct linux_setup_header h = {
		.setup_sects = 4, .syssize = FUZZ_LX_KERNEL_SIZE / LINUX_SYSSIZE_UNIT,
		.boot_flag = LINUX_BOOT_FLAG, .jump = 0x6aeb, .header = LINUX_HEADER_MAGIC,
		.version = 0x020f, .loadflags = LINUX_LOADFLAGS_LOADED_HIGH,
		.initrd_addr_max = 0x7fffffff, .kernel_alignment = 0x200000,
		.relocatable_kernel = 1, .xloadflags = LINUX_XLF_KERNEL_64, .cmdline_size = 2047,
		.pref_address = 0x1000000, .init_size = 0x200000,
	};

	memcpy(fuzz_lx_file + LINUX_SETUP_HEADER_OFFSET, &h, sizeof(h));
	return FUZZ_LX_SETUP_SIZE + FUZZ_LX_KERNEL_SIZE;
}

static u64 fuzz_lx_build_vmlinux(void)
{
	struct elf64_ehdr h = { .e_type = ELF_TYPE_EXEC, .e_machine = ELF_MACHINE_X86_64,
				.e_version = 1, .e_phoff = FUZZ_LX_PVH_PHOFF, .e_ehsize = sizeof(h),
				.e_phentsize = sizeof(struct elf64_phdr), .e_phnum = 2 };
	struct elf64_phdr load = { .p_type = ELF_PT_LOAD, .p_offset = FUZZ_LX_PVH_TEXT,
				   .p_paddr = 0x1000000, .p_filesz = 0x1000, .p_memsz = 0x3000 };
	struct elf64_phdr note = { .p_type = FUZZ_LX_PT_NOTE, .p_offset = FUZZ_LX_PVH_NOTE,
				   .p_filesz = 20 };
	u32 words[5] = { 4, 4, XEN_ELFNOTE_PHYS32_ENTRY, 0, 0x1000010 };

	memcpy(fuzz_lx_file, &h, sizeof(h));
	memcpy(fuzz_lx_file, ELF_MAGIC, ELF_MAGIC_SIZE);
	fuzz_lx_file[ELF_IDENT_CLASS] = ELF_CLASS_64;
	fuzz_lx_file[ELF_IDENT_DATA] = ELF_DATA_LSB;
	fuzz_lx_file[ELF_IDENT_VERSION] = ELF_VERSION_CURRENT;
	memcpy(fuzz_lx_file + FUZZ_LX_PVH_PHOFF, &load, sizeof(load));
	memcpy(fuzz_lx_file + FUZZ_LX_PVH_PHOFF + sizeof(load), &note, sizeof(note));
	memcpy(&words[3], "Xen", 4);
	memcpy(fuzz_lx_file + FUZZ_LX_PVH_NOTE, words, sizeof(words));
	return FUZZ_LX_PVH_TEXT + 0x1000;
}

static bool fuzz_lx_in_ram(u64 gpa, u64 len)
{
	return gpa <= FUZZ_LX_RAM_SIZE && len <= FUZZ_LX_RAM_SIZE - gpa;
}

static void fuzz_lx_check_bzimage(const struct guest_entry_state *entry)
{
	struct linux_setup_header h;

	FUZZ_CHECK(entry->mode == GUEST_ENTRY_LONG64);
	FUZZ_CHECK(fuzz_lx_in_ram(entry->rip, 1) && entry->rip >= PLATFORM_RESERVED_END);
	FUZZ_CHECK(entry->rsi == PLATFORM_BOOT_PARAMS);
	memcpy(&h, fuzz_lx_ram + PLATFORM_BOOT_PARAMS + LINUX_SETUP_HEADER_OFFSET, sizeof(h));
	FUZZ_CHECK(h.setup_data == 0 && h.type_of_loader == LINUX_TYPE_OF_LOADER_UNDEFINED);
	FUZZ_CHECK(h.ramdisk_size == fuzz_lx_initrd.size);
	FUZZ_CHECK(fuzz_lx_in_ram(h.ramdisk_image, h.ramdisk_size));
	FUZZ_CHECK(h.ramdisk_image >= entry->rip - LINUX_ENTRY64_OFFSET + h.init_size);
	FUZZ_CHECK(h.ramdisk_image + h.ramdisk_size - 1 <= h.initrd_addr_max);
	FUZZ_CHECK(h.cmd_line_ptr == PLATFORM_BOOT_CMDLINE);
}

static void fuzz_lx_check_pvh(const struct guest_entry_state *entry)
{
	struct hvm_start_info info;
	struct hvm_modlist_entry module;

	FUZZ_CHECK(entry->mode == GUEST_ENTRY_PROTECTED32);
	FUZZ_CHECK(fuzz_lx_in_ram(entry->rip, 1) && entry->rip >= PLATFORM_RESERVED_END);
	FUZZ_CHECK(entry->rbx == PLATFORM_BOOT_PARAMS);
	memcpy(&info, fuzz_lx_ram + entry->rbx, sizeof(info));
	FUZZ_CHECK(info.magic == HVM_START_MAGIC && info.version == HVM_START_VERSION);
	FUZZ_CHECK(info.nr_modules == 1 && fuzz_lx_in_ram(info.modlist_paddr, sizeof(module)));
	memcpy(&module, fuzz_lx_ram + info.modlist_paddr, sizeof(module));
	FUZZ_CHECK(module.size == fuzz_lx_initrd.size && fuzz_lx_in_ram(module.paddr, module.size));
	FUZZ_CHECK(fuzz_lx_in_ram(info.memmap_paddr,
				  info.memmap_entries * sizeof(struct hvm_memmap_table_entry)));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct image_file image = { .path = "kernel", .data = fuzz_lx_file };
	struct guest_entry_state entry;
	char err[320];
	struct loader_context ctx = { .config = &fuzz_lx_config, .memory = &fuzz_lx_memory,
				      .image = &image, .err = err, .err_size = sizeof(err),
				      .initrd = &fuzz_lx_initrd };
	u64 overlay_at;
	int rc;

	if (size < 3)
		return 0;
	fuzz_lx_setup();
	log_set_sink(fuzz_check_log_line);
	memset(fuzz_lx_file, 0, sizeof(fuzz_lx_file));
	if (data[0] & FUZZ_LX_KIND_RAW) {
		image.data = data;
		image.size = size;
	} else {
		bool pvh = data[0] & FUZZ_LX_KIND_PVH;
		u64 base = pvh ? fuzz_lx_build_vmlinux() : fuzz_lx_build_bzimage();
		s64 delta = (s16)(data[1] | data[2] << 8);

		overlay_at = pvh ? 0 : LINUX_SETUP_HEADER_OFFSET;
		if (size - 3 > FUZZ_LX_FILE_MAX - overlay_at)
			size = FUZZ_LX_FILE_MAX - overlay_at + 3;
		memcpy(fuzz_lx_file + overlay_at, data + 3, size - 3);
		/* Keep the magic: the point is the checks behind it. */
		if (!pvh)
			memcpy(fuzz_lx_file + LINUX_HDR(header), &(u32){ LINUX_HEADER_MAGIC }, 4);
		image.size = (u64)((s64)base + delta) <= FUZZ_LX_FILE_MAX ? (u64)((s64)base + delta)
									     : base;
	}
	memset(err, 0, sizeof(err));
	memset(&entry, 0, sizeof(entry));
	rc = loader_load(&ctx, &entry);
	FUZZ_CHECK(rc <= 0);
	fuzz_check_message(err, sizeof(err));
	fuzz_report("fuzz_linux", rc, err);
	if (rc < 0) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	if (entry.mode == GUEST_ENTRY_LONG64)
		fuzz_lx_check_bzimage(&entry);
	else
		fuzz_lx_check_pvh(&entry);
	return 0;
}
