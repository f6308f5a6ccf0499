// SPDX-License-Identifier: MIT
/* Reading the configuration and guest images from the boot volume through UEFI's simple
 * file system protocol (UEFI spec 13.4, 13.5). */
#include <moat/log.h>
#include <moat/string.h>

#include "boot.h"

#define PATH_CHARS_MAX CONFIG_PATH_MAX

EFI_STATUS boot_open_volume(EFI_HANDLE image, EFI_FILE_HANDLE *root)
{
	EFI_LOADED_IMAGE *loaded;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_STATUS status;

	status = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
				   (void **)&loaded);
	if (!EFI_ERROR(status))
		status = uefi_call_wrapper(BS->HandleProtocol, 3, loaded->DeviceHandle,
					   &FileSystemProtocol, (void **)&fs);
	if (!EFI_ERROR(status))
		status = uefi_call_wrapper(fs->OpenVolume, 2, fs, root);
	if (EFI_ERROR(status))
		log_error("cannot open the boot volume (EFI status 0x%lx)", (u64)status);
	return status;
}

/* UEFI paths are UCS-2 with backslashes. */
static void path_to_ucs2(const char *path, CHAR16 *out)
{
	u32 i = 0;

	for (; path[i] && i < PATH_CHARS_MAX - 1; i++)
		out[i] = path[i] == '/' ? L'\\' : (CHAR16)path[i];
	out[i] = 0;
}

static EFI_STATUS file_size(EFI_FILE_HANDLE file, u64 *size)
{
	EFI_FILE_INFO *info = LibFileInfo(file);

	if (!info)
		return EFI_DEVICE_ERROR;
	*size = info->FileSize;
	FreePool(info);
	return EFI_SUCCESS;
}

EFI_STATUS boot_read_file(EFI_FILE_HANDLE root, const char *path, struct image_file *out)
{
	CHAR16 name[PATH_CHARS_MAX];
	EFI_FILE_HANDLE file;
	EFI_STATUS status;
	void *data = NULL;
	u64 size = 0;
	UINTN read;

	path_to_ucs2(path, name);
	status = uefi_call_wrapper(root->Open, 5, root, &file, name, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(status)) {
		log_error("%s: cannot open (EFI status 0x%lx)", path, (u64)status);
		return status;
	}
	status = file_size(file, &size);
	if (!EFI_ERROR(status) && (size == 0 || size > BOOT_FILE_MAX_SIZE)) {
		log_error("%s: size %lu is outside 1..%llu bytes", path, size, BOOT_FILE_MAX_SIZE);
		status = EFI_BAD_BUFFER_SIZE;
	}
	if (!EFI_ERROR(status))
		status = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, size, &data);
	read = size;
	if (!EFI_ERROR(status))
		status = uefi_call_wrapper(file->Read, 3, file, &read, data);
	if (!EFI_ERROR(status) && read != size)
		status = EFI_END_OF_FILE;
	uefi_call_wrapper(file->Close, 1, file);
	if (EFI_ERROR(status)) {
		log_error("%s: cannot read (EFI status 0x%lx)", path, (u64)status);
		if (data)
			uefi_call_wrapper(BS->FreePool, 1, data);
		return status;
	}
	*out = (struct image_file){ .path = path, .data = data, .size = size };
	return EFI_SUCCESS;
}

static bool read_once(EFI_FILE_HANDLE root, const char *path, struct boot_files *files)
{
	if (boot_files_find(files, path))
		return true;
	if (files->count == BOOT_MAX_FILES)
		return false;
	if (EFI_ERROR(boot_read_file(root, path, &files->files[files->count])))
		return false;
	files->count++;
	return true;
}

void boot_read_guest_files(EFI_FILE_HANDLE root, struct moat_config *config,
			   struct boot_files *files)
{
	for (u32 i = 0; i < config->guest_count; i++) {
		struct guest_config *guest = &config->guests[i];
		const char *missing = NULL;

		if (!guest->valid)
			continue;
		if (!read_once(root, guest->image, files))
			missing = guest->image;
		for (u32 m = 0; !missing && m < guest->module_count; m++)
			if (!read_once(root, guest->modules[m], files))
				missing = guest->modules[m];
		if (!missing && guest->initrd[0] && !read_once(root, guest->initrd, files))
			missing = guest->initrd;
		if (missing) {
			guest->valid = false;
			format(guest->error, sizeof(guest->error),
			       "/guests/%s: cannot read file %s from the boot volume", guest->name,
			       missing);
			log_error("config: %s", guest->error);
		}
	}
}
