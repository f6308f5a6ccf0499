// SPDX-License-Identifier: MIT
/* Builds a guest's ACPI tables (ACPI 6.4 chapter 5) from its platform list: RSDP, XSDT, a
 * hardware-reduced FADT whose sleep and reset registers reach Moat's devices, a MADT of its
 * vCPUs and I/O APIC, and a DSDT written by Moat's own AML writer (vmm/acpi_aml.c). */
#include <moat/acpi.h>
#include <moat/acpi_aml.h>
#include <moat/acpi_tables.h>
#include <moat/errno.h>
#include <moat/pagetable.h>
#include <moat/platform.h>
#include <moat/string.h>
#include <moat/uart16550.h>

#define ACPI_TABLE_ALIGN 16
#define ACPI_OEM_ID "MOAT  "
#define ACPI_OEM_TABLE_ID "MOATVM  "
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "MOAT"
#define ACPI_CREATOR_REVISION 1
#define ACPI_XSDT_ENTRIES 2 /* FADT, MADT; the DSDT hangs off the FADT */
#define ACPI_COM1_UID 1
#define ACPI_GAS_BYTE_BITS 8

u8 acpi_checksum(const void *data, u64 len)
{
	const u8 *bytes = data;
	u8 sum = 0;

	for (u64 i = 0; i < len; i++)
		sum = (u8)(sum + bytes[i]);
	return sum;
}

void acpi_platform_init(struct acpi_platform *platform, u32 vcpu_count)
{
	memset(platform, 0, sizeof(*platform));
	platform->vcpu_count = vcpu_count;
}

bool acpi_platform_add(struct acpi_platform *platform, const struct acpi_device *device)
{
	if (platform->device_count == ACPI_MAX_DEVICES)
		return false;
	platform->devices[platform->device_count++] = *device;
	return true;
}

void acpi_platform_from_config(const struct guest_config *config, struct acpi_platform *platform)
{
	const struct acpi_device com1 = { .kind = ACPI_DEVICE_COM, .uid = ACPI_COM1_UID,
					  .base = UART_COM1_BASE, .size = UART_PORT_COUNT,
					  .gsi = PLATFORM_IRQ_COM1 };

	acpi_platform_init(platform, config->vcpu_count);
	/* The list is empty: adding cannot fail. */
	if (config->devices & GUEST_DEVICE_UART)
		acpi_platform_add(platform, &com1);
}

/* ---- the builder: one cursor through the buffer ---- */

struct acpi_cursor {
	u8 *buffer;
	u64 size;
	u64 used;
	gpa_t base;
};

/* Reserves len bytes at the next aligned offset; NULL when they do not fit. */
static void *acpi_take(struct acpi_cursor *cursor, u64 len, gpa_t *gpa)
{
	u64 at = ALIGN_UP(cursor->used, ACPI_TABLE_ALIGN);

	if (at > cursor->size || len > cursor->size - at)
		return NULL;
	cursor->used = at + len;
	*gpa = cursor->base + at;
	return cursor->buffer + at;
}

static void acpi_header_init(struct acpi_header *header, const char *signature, u32 length,
			     u8 revision)
{
	memcpy(header->signature, signature, ACPI_NAME_SIZE);
	header->length = length;
	header->revision = revision;
	memcpy(header->oem_id, ACPI_OEM_ID, ACPI_OEM_ID_SIZE);
	memcpy(header->oem_table_id, ACPI_OEM_TABLE_ID, ACPI_OEM_TABLE_ID_SIZE);
	header->oem_revision = ACPI_OEM_REVISION;
	memcpy(header->creator_id, ACPI_CREATOR_ID, ACPI_NAME_SIZE);
	header->creator_revision = ACPI_CREATOR_REVISION;
}

static void acpi_header_finish(struct acpi_header *header)
{
	header->checksum = 0;
	header->checksum = (u8)-acpi_checksum(header, header->length);
}

static struct acpi_gas acpi_io_register(u16 port)
{
	return (struct acpi_gas){ .space_id = ACPI_GAS_SYSTEM_IO,
				  .bit_width = ACPI_GAS_BYTE_BITS,
				  .access_size = ACPI_GAS_ACCESS_BYTE,
				  .address = port };
}

/* ---- DSDT ---- */

/* A device's four-character name: COM1.., VR00.. (the DSDT names, not Linux's). */
static void acpi_device_name(const struct acpi_device *device, char name[5])
{
	static const char hex[] = "0123456789ABCDEF";

	if (device->kind == ACPI_DEVICE_COM) {
		memcpy(name, "COM", 3);
		name[3] = (char)('0' + device->uid % 10);
	} else {
		memcpy(name, "VR", 2);
		name[2] = hex[(device->uid >> 4) & 0xf];
		name[3] = hex[device->uid & 0xf];
	}
	name[4] = '\0';
}

static int acpi_dsdt_device(struct aml_builder *aml, const struct acpi_device *device)
{
	char name[5];

	acpi_device_name(device, name);
	aml_device_begin(aml, name);
	aml_name(aml, "_HID");
	switch (device->kind) {
	case ACPI_DEVICE_COM:
		if (device->base > 0xffff || device->size > 0xff || device->uid > 9)
			return -MOAT_EINVAL;
		aml_eisa_id(aml, "PNP0501"); /* 16550A-compatible COM port */
		aml_name(aml, "_UID");
		aml_integer(aml, device->uid);
		aml_name(aml, "_CRS");
		aml_resources_begin(aml);
		aml_resource_io(aml, (u16)device->base, (u8)device->size);
		/* An ISA IRQ descriptor: edge, active high, which is how a GSI below 16 behaves
		 * with no interrupt source override in the MADT; Linux's PNP layer hands it to
		 * 8250_pnp as the port's IRQ. */
		aml_resource_irq(aml, (u8)device->gsi);
		aml_end(aml);
		break;
	case ACPI_DEVICE_VIRTIO_MMIO:
		if (device->base > 0xffffffffu - device->size || device->uid > 0xff)
			return -MOAT_EINVAL;
		aml_string(aml, "LNRO0005"); /* the virtio-mmio ID Linux's driver matches */
		aml_name(aml, "_UID");
		aml_integer(aml, device->uid);
		aml_name(aml, "_CRS");
		aml_resources_begin(aml);
		aml_resource_memory32_fixed(aml, (u32)device->base, device->size, true);
		aml_resource_interrupt(aml, device->gsi,
				       AML_INTERRUPT_CONSUMER | AML_INTERRUPT_EDGE);
		aml_end(aml);
		break;
	default:
		return -MOAT_EINVAL;
	}
	aml_end(aml);
	return 0;
}

static int acpi_build_dsdt(struct acpi_cursor *cursor, const struct acpi_platform *platform,
			   gpa_t *gpa)
{
	u64 room = cursor->size - MIN(cursor->size, ALIGN_UP(cursor->used, ACPI_TABLE_ALIGN));
	struct acpi_header *dsdt;
	struct aml_builder aml;
	int ret;

	if (room < sizeof(*dsdt))
		return -MOAT_ENOSPC;
	dsdt = acpi_take(cursor, room, gpa);
	aml_init(&aml, (u8 *)(dsdt + 1), (u32)MIN(room - sizeof(*dsdt), 0xffffffffu));
	aml_scope_begin(&aml, "\\_SB");
	for (u32 i = 0; i < platform->device_count; i++) {
		ret = acpi_dsdt_device(&aml, &platform->devices[i]);
		if (ret)
			return ret;
	}
	aml_end(&aml);
	/* \_S5 (ACPI 6.4 7.4.2): SLP_TYPa, SLP_TYPb, two reserved. On a hardware-reduced
	 * platform Linux powers off only when this exists, then writes SLP_TYPa with SLP_EN to
	 * the FADT's sleep control register (devices/acpi_power.c). */
	aml_name(&aml, "\\_S5");
	aml_package_begin(&aml, 4);
	aml_integer(&aml, ACPI_S5_SLP_TYP);
	aml_integer(&aml, 0);
	aml_integer(&aml, 0);
	aml_integer(&aml, 0);
	aml_end(&aml);
	if (!aml_ok(&aml))
		return -MOAT_ENOSPC;
	cursor->used = (*gpa - cursor->base) + sizeof(*dsdt) + aml.length;
	acpi_header_init(dsdt, ACPI_DSDT_SIGNATURE, (u32)(sizeof(*dsdt) + aml.length),
			 ACPI_DSDT_REVISION);
	acpi_header_finish(dsdt);
	return 0;
}

/* ---- FADT, MADT ---- */

static int acpi_build_fadt(struct acpi_cursor *cursor, gpa_t dsdt, gpa_t *gpa)
{
	struct acpi_fadt *fadt = acpi_take(cursor, sizeof(*fadt), gpa);

	if (!fadt)
		return -MOAT_ENOSPC;
	acpi_header_init(&fadt->header, ACPI_FADT_SIGNATURE, sizeof(*fadt), ACPI_FADT_REVISION);
	fadt->minor_revision = ACPI_FADT_MINOR_REVISION;
	/* Hardware-reduced (ACPI 6.4 4.1): no PM1/GPE blocks, PM timer or SCI, so every fixed
	 * hardware field stays zero, and sleep goes through the sleep registers. */
	fadt->flags = ACPI_FADT_HW_REDUCED_ACPI | ACPI_FADT_RESET_REG_SUP |
		      ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON;
	/* No VGA and no CMOS RTC (the wall clock is kvmclock's); no 8042 either, so Linux does
	 * not probe for a keyboard: the 0x64 port keeps only its pulse-reset command. */
	fadt->iapc_boot_arch = ACPI_FADT_BOOT_VGA_NOT_PRESENT |
			       ACPI_FADT_BOOT_CMOS_RTC_NOT_PRESENT;
	fadt->reset_reg = acpi_io_register(PLATFORM_RESET_PORT);
	fadt->reset_value = PLATFORM_RESET_VALUE;
	fadt->x_dsdt = dsdt;
	/* A 32-bit DSDT pointer as well, for readers older than X_DSDT: ACPI 6.4 5.2.9 lets
	 * both be set when they agree. */
	fadt->dsdt = (u32)dsdt;
	fadt->sleep_control_reg = acpi_io_register(PLATFORM_SLEEP_CONTROL_PORT);
	fadt->sleep_status_reg = acpi_io_register(PLATFORM_SLEEP_STATUS_PORT);
	acpi_header_finish(&fadt->header);
	return 0;
}

static int acpi_build_madt(struct acpi_cursor *cursor, const struct acpi_platform *platform,
			   gpa_t *gpa)
{
	u64 length = sizeof(struct acpi_madt) + sizeof(struct acpi_madt_io_apic);
	struct acpi_madt_io_apic *io_apic;
	struct acpi_madt *madt;
	u8 *entry;

	for (u32 i = 0; i < platform->vcpu_count; i++)
		length += i > ACPI_MADT_XAPIC_ID_MAX ? sizeof(struct acpi_madt_local_x2apic) :
						       sizeof(struct acpi_madt_local_apic);
	madt = acpi_take(cursor, length, gpa);
	if (!madt)
		return -MOAT_ENOSPC;
	acpi_header_init(&madt->header, ACPI_MADT_SIGNATURE, (u32)length, ACPI_MADT_REVISION);
	madt->local_apic_address = (u32)PLATFORM_LAPIC_BASE;
	madt->flags = 0; /* no PCAT_COMPAT: there is no 8259 pair to mask */
	entry = (u8 *)(madt + 1);
	/* APIC ID = vCPU index, the ID each vCPU's local APIC reports (vmm/vlapic.c). */
	for (u32 i = 0; i < platform->vcpu_count; i++) {
		if (i <= ACPI_MADT_XAPIC_ID_MAX) {
			struct acpi_madt_local_apic *lapic = (void *)entry;

			lapic->header.type = ACPI_MADT_TYPE_LOCAL_APIC;
			lapic->header.length = sizeof(*lapic);
			lapic->processor_uid = (u8)i;
			lapic->apic_id = (u8)i;
			lapic->flags = ACPI_MADT_ENABLED;
			entry += sizeof(*lapic);
		} else {
			struct acpi_madt_local_x2apic *x2apic = (void *)entry;

			x2apic->header.type = ACPI_MADT_TYPE_LOCAL_X2APIC;
			x2apic->header.length = sizeof(*x2apic);
			x2apic->x2apic_id = i;
			x2apic->processor_uid = i;
			x2apic->flags = ACPI_MADT_ENABLED;
			entry += sizeof(*x2apic);
		}
	}
	io_apic = (void *)entry;
	io_apic->header.type = ACPI_MADT_TYPE_IO_APIC;
	io_apic->header.length = sizeof(*io_apic);
	/* The first ID after the vCPUs' APIC IDs; its pins are GSIs 0-23. Past 254 vCPUs the
	 * 8-bit field holds 255, the one ID no Processor Local APIC entry can carry. */
	io_apic->io_apic_id = (u8)MIN(platform->vcpu_count, ACPI_MADT_XAPIC_ID_MAX + 1);
	io_apic->address = (u32)PLATFORM_IOAPIC_BASE;
	io_apic->gsi_base = 0;
	acpi_header_finish(&madt->header);
	return 0;
}

/* ---- RSDP, XSDT, and the whole set ---- */

int acpi_build(const struct acpi_platform *platform, void *buffer, u64 size, gpa_t base,
	       struct acpi_layout *layout)
{
	struct acpi_cursor cursor = { .buffer = buffer, .size = size, .base = base };
	struct acpi_header *xsdt;
	struct acpi_rsdp *rsdp;
	u64 entries[ACPI_XSDT_ENTRIES];
	int ret;

	if (platform->vcpu_count == 0 || platform->vcpu_count > ACPI_MAX_VCPUS ||
	    base + size > BIT(32))
		return -MOAT_EINVAL;
	memset(buffer, 0, size);
	memset(layout, 0, sizeof(*layout));
	rsdp = acpi_take(&cursor, sizeof(*rsdp), &layout->rsdp);
	xsdt = acpi_take(&cursor, sizeof(*xsdt) + ACPI_XSDT_ENTRIES * sizeof(u64), &layout->xsdt);
	if (!rsdp || !xsdt)
		return -MOAT_ENOSPC;
	ret = acpi_build_madt(&cursor, platform, &layout->madt);
	if (!ret)
		ret = acpi_build_dsdt(&cursor, platform, &layout->dsdt);
	if (!ret)
		ret = acpi_build_fadt(&cursor, layout->dsdt, &layout->fadt);
	if (ret)
		return ret;

	acpi_header_init(xsdt, ACPI_XSDT_SIGNATURE, sizeof(*xsdt) + ACPI_XSDT_ENTRIES * sizeof(u64),
			 ACPI_XSDT_REVISION);
	entries[0] = layout->fadt;
	entries[1] = layout->madt;
	memcpy(xsdt + 1, entries, sizeof(entries)); /* 8-byte pointers at offset 36 */
	acpi_header_finish(xsdt);

	memcpy(rsdp->signature, ACPI_RSDP_SIGNATURE, ACPI_RSDP_SIGNATURE_SIZE);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, ACPI_OEM_ID_SIZE);
	rsdp->revision = ACPI_RSDP_REVISION;
	rsdp->rsdt_address = 0; /* no RSDT: readers of revision 2 use the XSDT */
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = layout->xsdt;
	rsdp->checksum = (u8)-acpi_checksum(rsdp, ACPI_RSDP_V1_LENGTH);
	rsdp->extended_checksum = (u8)-acpi_checksum(rsdp, sizeof(*rsdp));
	layout->used = cursor.used;
	return 0;
}

int acpi_install(const struct guest_config *config, const struct guest_memory *memory,
		 char *err, size_t err_size)
{
	struct acpi_platform platform;
	struct acpi_layout layout;
	void *host;
	int ret;

	host = guest_memory_translate(memory, PLATFORM_ACPI_BASE, PLATFORM_ACPI_SIZE, PT_WRITE);
	if (!host) {
		format(err, err_size, "acpi: guest RAM does not hold 0x%lx-0x%lx for the tables",
		       (u64)PLATFORM_ACPI_BASE, (u64)(PLATFORM_ACPI_BASE + PLATFORM_ACPI_SIZE - 1));
		return -MOAT_EFAULT;
	}
	acpi_platform_from_config(config, &platform);
	ret = acpi_build(&platform, host, PLATFORM_ACPI_SIZE, PLATFORM_ACPI_BASE, &layout);
	if (ret)
		format(err, err_size, "acpi: cannot build the tables (error %d)", ret);
	return ret;
}
