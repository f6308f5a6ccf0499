// SPDX-License-Identifier: MIT
/* Taking memory from the firmware: pools for the frame allocator while boot services run,
 * then the final memory map and ExitBootServices (UEFI spec 7.2). */
#include <moat/host_map.h>
#include <moat/log.h>
#include <moat/string.h>

#include <moat/smp.h>

#include "boot.h"

/* Page tables, VMCBs/VMCSs, bitmaps and host state: generous for eight guests. */
#define BOOT_STRUCTURE_POOL MIB(32)
#define BOOT_MAP_SLACK_DESCRIPTORS 16
#define BOOT_EXIT_ATTEMPTS 4
#define PHYS_TOP_MIN GIB(4) /* the 32-bit MMIO hole is identity-mapped too */

/* linker.ld: the image's first and last byte, and its .text (page-aligned there), as
 * relocated to where the firmware loaded moat.efi. */
extern const char ImageBase[], ImageEnd[], _text[], _etext[];

/* The page the other CPUs start in: Moat's tables must let it run (host_map.h). */
static hpa_t boot_trampoline_page;

static bool pool_add(struct frame_allocator *frames, u64 size, const char *what)
{
	EFI_PHYSICAL_ADDRESS base = 0;
	EFI_STATUS status;

	status = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
				   size / PAGE_SIZE, &base);
	if (EFI_ERROR(status)) {
		log_error("firmware has no %lu MiB block left for %s (EFI status 0x%lx)",
			  size >> 20, what, (u64)status);
		return false;
	}
	if (frame_add_range(frames, base, size)) {
		log_error("frame allocator refused %lu MiB at 0x%lx", size >> 20, (u64)base);
		return false;
	}
	return true;
}

static EFI_STATUS allocate_page_below(u64 last_byte, hpa_t *out)
{
	EFI_PHYSICAL_ADDRESS page = last_byte;
	EFI_STATUS status;

	status = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData, 1,
				   &page);
	*out = page;
	return status;
}

void boot_reserve_ap_pages(void)
{
	hpa_t trampoline = 0, pml4 = 0;
	EFI_STATUS status = allocate_page_below(SMP_TRAMPOLINE_LAST_BYTE, &trampoline);

	/* Page 0 stays unmapped in Moat's tables: keep it taken and ask for another. */
	if (!EFI_ERROR(status) && trampoline == 0)
		status = allocate_page_below(SMP_TRAMPOLINE_LAST_BYTE, &trampoline);
	if (!EFI_ERROR(status))
		status = allocate_page_below(SMP_LOW_PML4_LAST_BYTE, &pml4);
	if (EFI_ERROR(status)) {
		log_error("smp: no free low page for the AP start-up code (EFI status 0x%lx): "
			  "only this CPU will run", (u64)status);
		trampoline = 0;
	}
	boot_trampoline_page = trampoline;
	smp_set_low_pages(trampoline, pml4);
}

void boot_reserve_memory(const struct moat_config *config, struct frame_allocator *frames)
{
	frame_init(frames);
	pool_add(frames, BOOT_STRUCTURE_POOL, "Moat's structures");
	for (u32 i = 0; i < config->guest_count; i++) {
		const struct guest_config *guest = &config->guests[i];

		/* The extra 2 MiB lets the guest's RAM start on a large-page boundary. */
		if (guest->valid)
			pool_add(frames, guest->memory_size + PAGE_SIZE_2M, guest->name);
	}
	for (u32 i = 0; i < config->shared_count; i++)
		if (config->shared[i].valid)
			pool_add(frames, config->shared[i].size + PAGE_SIZE_2M,
				 config->shared[i].name);
}

/* From the final memory map: the top to identity-map and the firmware's runtime code,
 * which ResetSystem runs in at power-off (boot/power.c) and so must stay executable. */
static void memory_map_layout(const EFI_MEMORY_DESCRIPTOR *map, UINTN map_size, UINTN desc_size,
			      struct host_layout *layout)
{
	layout->phys_top = PHYS_TOP_MIN;
	for (UINTN off = 0; off + desc_size <= map_size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)((const u8 *)map + off);
		u64 end = d->PhysicalStart + d->NumberOfPages * PAGE_SIZE;

		layout->phys_top = MAX(layout->phys_top, end);
		if (d->Type == EfiRuntimeServicesCode)
			host_layout_add_exec(layout, d->PhysicalStart, end);
	}
}

/* Moat's own image, and the AP start-up page. */
static void image_layout(struct host_layout *layout)
{
	layout->image = (struct host_range){ (u64)(uintptr_t)ImageBase, (u64)(uintptr_t)ImageEnd };
	layout->code = (struct host_range){ (u64)(uintptr_t)_text, (u64)(uintptr_t)_etext };
	if (boot_trampoline_page)
		host_layout_add_exec(layout, boot_trampoline_page,
				     boot_trampoline_page + PAGE_SIZE);
}

EFI_STATUS boot_exit_firmware(EFI_HANDLE image, struct host_layout *layout)
{
	static u8 map_buffer[64 * 1024] __aligned(16);
	EFI_MEMORY_DESCRIPTOR *map = (void *)map_buffer;
	UINTN map_size, key, desc_size;
	UINT32 desc_version;
	EFI_STATUS status = EFI_ABORTED;

	/* The map lives in Moat's own image so that no allocation changes the map key between
	 * GetMemoryMap and ExitBootServices. */
	for (u32 attempt = 0; attempt < BOOT_EXIT_ATTEMPTS; attempt++) {
		map_size = sizeof(map_buffer);
		status = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, map, &key, &desc_size,
					   &desc_version);
		if (EFI_ERROR(status)) {
			log_error("GetMemoryMap failed (EFI status 0x%lx, map needs %lu bytes)",
				  (u64)status, (u64)map_size);
			return status;
		}
		status = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (!EFI_ERROR(status)) {
			*layout = (struct host_layout){ 0 };
			image_layout(layout);
			memory_map_layout(map, map_size, desc_size, layout);
			return EFI_SUCCESS;
		}
	}
	log_error("ExitBootServices failed (EFI status 0x%lx)", (u64)status);
	return status;
}
