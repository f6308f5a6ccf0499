// SPDX-License-Identifier: MIT
/* libFuzzer target for vmm/loader_multiboot.c: the input is a kernel image loaded into a
 * fixed 8 MiB guest with a command line and one module; the entry state and the Multiboot
 * information it produces must stay inside guest RAM (docs/guest-interface.md). */
#include "fuzz_support.h"

#include <moat/guest_mem.h>
#include <moat/loader.h>
#include <moat/multiboot.h>

#define FUZZ_MB_RAM_SIZE     MIB(8)
#define FUZZ_MB_ERR_SIZE     256
#define FUZZ_MB_ENTRY_RFLAGS 0x2u /* EFLAGS bit 1 is always one (SDM Vol. 1 3.4.3) */

static u8 fuzz_mb_ram[FUZZ_MB_RAM_SIZE] __aligned(PAGE_SIZE);

static const u8 fuzz_mb_module_data[] = "a small module the loader places after the kernel\n";

static const struct image_file fuzz_mb_module = {
    .path = "initrd",
    .data = fuzz_mb_module_data,
    .size = sizeof(fuzz_mb_module_data),
};

static struct guest_config fuzz_mb_config = {
    .name = "fuzz",
    .memory_size = FUZZ_MB_RAM_SIZE,
    .image = "kernel",
    .format = IMAGE_FORMAT_MULTIBOOT,
    .cmdline = "console=ttyS0 fuzz",
    .module_count = 1,
    .modules = {"initrd"},
    .devices = GUEST_DEVICE_UART | GUEST_DEVICE_TEST_EXIT,
    .valid = true,
};

static struct guest_memory fuzz_mb_memory;

static void fuzz_mb_setup(void)
{
	static bool done;

	if (done)
		return;
	guest_memory_init(&fuzz_mb_memory);
	FUZZ_CHECK(guest_memory_add(&fuzz_mb_memory, 0, FUZZ_MB_RAM_SIZE, ptr_to_hpa(fuzz_mb_ram),
				    PT_RWX, GPA_REGION_RAM) == 0);
	done = true;
}

static bool fuzz_mb_in_ram(u64 gpa, u64 len)
{
	return gpa <= FUZZ_MB_RAM_SIZE && len <= FUZZ_MB_RAM_SIZE - gpa;
}

/* A C string at gpa that ends inside guest RAM. */
static void fuzz_mb_check_string(u32 gpa)
{
	FUZZ_CHECK(fuzz_mb_in_ram(gpa, 1));
	FUZZ_CHECK(memchr(fuzz_mb_ram + gpa, '\0', FUZZ_MB_RAM_SIZE - gpa) != NULL);
}

static void fuzz_mb_check_info(const struct guest_entry_state *entry)
{
	struct multiboot_info info;

	FUZZ_CHECK(fuzz_mb_in_ram(entry->rbx, sizeof(info)));
	memcpy(&info, fuzz_mb_ram + entry->rbx, sizeof(info));
	if (info.flags & MULTIBOOT_INFO_CMDLINE)
		fuzz_mb_check_string(info.cmdline);
	if (info.flags & MULTIBOOT_INFO_BOOT_LOADER_NAME)
		fuzz_mb_check_string(info.boot_loader_name);
	if (info.flags & MULTIBOOT_INFO_MEM_MAP)
		FUZZ_CHECK(fuzz_mb_in_ram(info.mmap_addr, info.mmap_length));
	if (info.flags & MULTIBOOT_INFO_MODS) {
		struct multiboot_module module;

		FUZZ_CHECK(info.mods_count == fuzz_mb_config.module_count);
		FUZZ_CHECK(fuzz_mb_in_ram(info.mods_addr, sizeof(module)));
		memcpy(&module, fuzz_mb_ram + info.mods_addr, sizeof(module));
		FUZZ_CHECK(module.mod_start <= module.mod_end);
		FUZZ_CHECK(module.mod_end - module.mod_start == fuzz_mb_module.size);
		FUZZ_CHECK(fuzz_mb_in_ram(module.mod_start, fuzz_mb_module.size));
		fuzz_mb_check_string(module.string);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct image_file image = {.path = "kernel", .data = data, .size = size};
	struct guest_entry_state entry;
	char err[FUZZ_MB_ERR_SIZE];
	struct loader_context ctx = {
	    .config = &fuzz_mb_config,
	    .memory = &fuzz_mb_memory,
	    .image = &image,
	    .modules = &fuzz_mb_module,
	    .err = err,
	    .err_size = sizeof(err),
	};
	int rc;

	fuzz_mb_setup();
	log_set_sink(fuzz_check_log_line);
	memset(err, 0, sizeof(err));
	memset(&entry, 0, sizeof(entry));
	rc = loader_multiboot_load(&ctx, &entry);
	FUZZ_CHECK(rc <= 0);
	fuzz_check_message(err, sizeof(err));
	fuzz_report("fuzz_multiboot", rc, err);
	if (rc < 0) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(entry.mode == GUEST_ENTRY_PROTECTED32);
	FUZZ_CHECK(entry.rax == MULTIBOOT_BOOTLOADER_MAGIC);
	FUZZ_CHECK(entry.rsp == FUZZ_MB_RAM_SIZE);
	FUZZ_CHECK(entry.rflags == FUZZ_MB_ENTRY_RFLAGS);
	fuzz_mb_check_info(&entry);
	return 0;
}
