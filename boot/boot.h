/* SPDX-License-Identifier: MIT */
/* Internal interface of the UEFI boot code (boot/): files from the boot volume, memory from
 * the firmware, and leaving the firmware behind. */
#ifndef MOAT_BOOT_H
#define MOAT_BOOT_H

#include <efi.h>
#include <efilib.h>

#include <moat/frame.h>
#include <moat/hypervisor.h>

/* Largest file Moat reads from the boot volume. */
#define BOOT_FILE_MAX_SIZE (1ULL << 30)
#define BOOT_CONFIG_PATH "moat.dtb"

/* Opens the root directory of the volume moat.efi was loaded from. */
EFI_STATUS boot_open_volume(EFI_HANDLE image, EFI_FILE_HANDLE *root);
/* Reads path (ASCII, '/'-separated, relative to the volume root) into firmware memory that
 * stays Moat's after ExitBootServices. Logs and returns an error naming the file. */
EFI_STATUS boot_read_file(EFI_FILE_HANDLE root, const char *path, struct image_file *out);
/* Reads each valid guest's image and modules into files; a guest whose file cannot be read
 * is marked invalid with the reason. */
void boot_read_guest_files(EFI_FILE_HANDLE root, struct moat_config *config,
			   struct boot_files *files);

/* Gives frames enough firmware memory for every valid guest plus Moat's own structures. */
void boot_reserve_memory(const struct moat_config *config, struct frame_allocator *frames);
/* Takes the two low pages the other CPUs start from (include/moat/smp.h). */
void boot_reserve_ap_pages(void);
struct host_layout;
/* Exits boot services; describes the machine for Moat's own tables: the top of physical
 * address space to identity-map, Moat's code, and what must stay executable (the
 * firmware's runtime code, the AP start-up page). */
EFI_STATUS boot_exit_firmware(EFI_HANDLE image, struct host_layout *layout);

void boot_power_init(EFI_RUNTIME_SERVICES *runtime);
/* The host's wall clock now (UEFI GetTime, taken as UTC) and the TSC with it, for kvmclock;
 * out->valid stays false when the firmware has no time. */
void boot_read_wall_clock(EFI_RUNTIME_SERVICES *runtime, struct host_wall_clock *out);

#endif
