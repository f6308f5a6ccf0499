/* SPDX-License-Identifier: MIT */
/* A guest's ACPI platform description (vmm/acpi.c, docs/guest-interface.md "The Linux
 * platform"): built per guest from one list of its vCPUs and devices into the reserved
 * [PLATFORM_ACPI_BASE, + PLATFORM_ACPI_SIZE) of its RAM. */
#ifndef MOAT_ACPI_H
#define MOAT_ACPI_H

#include <moat/config.h>
#include <moat/guest_mem.h>
#include <moat/types.h>

#define ACPI_MAX_DEVICES 16
/* The most vCPUs the MADT builder takes (x2APIC IDs above 254 included); the buffer bounds
 * it further. Moat's configuration allows CONFIG_MAX_VCPUS. */
#define ACPI_MAX_VCPUS 1024
/* The SLP_TYP value of S5 (soft off) that \_S5 names and the sleep control register takes. */
#define ACPI_S5_SLP_TYP 5

/* What the DSDT names a device as. Later devices (virtio-mmio) are one more kind here. */
enum acpi_device_kind {
	ACPI_DEVICE_COM,         /* a 16550 at an I/O port range: PNP0501 */
	ACPI_DEVICE_VIRTIO_MMIO, /* a virtio-mmio transport: LNRO0005 */
};

struct acpi_device {
	enum acpi_device_kind kind;
	u32 uid;   /* _UID, unique per kind */
	u64 base;  /* I/O port (COM) or guest-physical address (virtio-mmio) */
	u32 size;  /* ports or bytes */
	u32 gsi;   /* its I/O APIC pin */
};

struct acpi_platform {
	u32 vcpu_count;
	u32 device_count;
	struct acpi_device devices[ACPI_MAX_DEVICES];
};

/* Where each table was placed (guest-physical) and how many bytes were used. */
struct acpi_layout {
	gpa_t rsdp, xsdt, fadt, madt, dsdt;
	u64 used;
};

void acpi_platform_init(struct acpi_platform *platform, u32 vcpu_count);
/* Returns false when the list is full. */
bool acpi_platform_add(struct acpi_platform *platform, const struct acpi_device *device);
/* The platform a guest's configuration describes: its vCPUs, COM1 with "uart". */
void acpi_platform_from_config(const struct guest_config *config,
			       struct acpi_platform *platform);

/*
 * Writes the tables into buffer (size bytes, placed in the guest at base): the RSDP at its
 * start, then XSDT, FADT, MADT and DSDT. Returns 0, -MOAT_EINVAL for a platform it cannot
 * describe, or -MOAT_ENOSPC when the tables do not fit.
 */
int acpi_build(const struct acpi_platform *platform, void *buffer, u64 size, gpa_t base,
	       struct acpi_layout *layout);

/* Builds the tables of a guest whose configuration asks for them (config->acpi) into its
 * RAM at PLATFORM_ACPI_BASE. Returns 0 or a negative error with a message in err. */
int acpi_install(const struct guest_config *config, const struct guest_memory *memory,
		 char *err, size_t err_size);

/* The sum of len bytes, mod 256: zero for a valid table. */
u8 acpi_checksum(const void *data, u64 len);

#endif
