// SPDX-License-Identifier: MIT
/* acpi_tables: a guest with `acpi;` reads its ACPI tables back from its own memory, as a
 * kernel does: the RSDP at 0xE0000, the XSDT, FADT, MADT and DSDT, every signature, length and
 * checksum. Its first run resets through the FADT's reset register; the second powers off
 * through the sleep control register (SLP_TYP of \_S5 with SLP_EN), which Moat reports as
 * "powered off" with exit code 0 (docs/guest-interface.md, "The Linux platform"). */
#include "guest.h"

#include <moat/acpi_tables.h>
#include <moat/platform.h>

/* The vCPUs its .dts gives it: the MADT must list exactly these. */
#define ACPI_TABLES_VCPUS 2
#define ACPI_TABLES_S5_SLP_TYP 5 /* \_S5's first element, as the DSDT names it */
#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define AML_BYTE_PREFIX 0x0a

enum acpi_tables_check {
	CHECK_RSDP = 1,
	CHECK_XSDT,
	CHECK_FADT,
	CHECK_MADT,
	CHECK_DSDT,
	CHECK_RESET,
	CHECK_POWER_OFF,
	CHECK_RESTART_COUNT,
};

const char guest_name[] = "acpi_tables";

static u8 sum_bytes(const void *data, u32 len)
{
	const u8 *bytes = data;
	u8 sum = 0;

	for (u32 i = 0; i < len; i++)
		sum = (u8)(sum + bytes[i]);
	return sum;
}

/* A table inside the reserved ACPI area with the right signature and a zero checksum. */
static const struct acpi_header *table(u32 number, u64 address, const char *signature)
{
	const struct acpi_header *header = (const void *)(uintptr_t)address;

	if (address < PLATFORM_ACPI_BASE || address + sizeof(*header) > PLATFORM_RESERVED_END)
		check_fail(number, signature, "at 0x%llx, outside the ACPI area", address);
	if (memcmp(header->signature, signature, ACPI_NAME_SIZE) != 0)
		check_fail(number, signature, "wrong signature at 0x%llx", address);
	if (header->length < sizeof(*header) || address + header->length > PLATFORM_RESERVED_END)
		check_fail(number, signature, "length %u does not fit", header->length);
	if (sum_bytes(header, header->length) != 0)
		check_fail(number, signature, "checksum does not sum to zero");
	console_printf("acpi_tables: %s at 0x%x, %u bytes, checksum ok\n", signature,
		       (u32)address, header->length);
	return header;
}

static const struct acpi_fadt *read_tables(void)
{
	const struct acpi_rsdp *rsdp = (const void *)(uintptr_t)PLATFORM_ACPI_RSDP;
	const struct acpi_header *xsdt, *dsdt;
	const struct acpi_fadt *fadt = NULL;
	const struct acpi_madt *madt = NULL;
	u32 lapics = 0, io_apics = 0, entries;

	check_true(CHECK_RSDP, "RSDP signature at 0xE0000",
		   memcmp(rsdp->signature, ACPI_RSDP_SIGNATURE, ACPI_RSDP_SIGNATURE_SIZE) == 0);
	check_eq(CHECK_RSDP, "RSDP revision", rsdp->revision, ACPI_RSDP_REVISION);
	check_eq(CHECK_RSDP, "RSDP checksums",
		 sum_bytes(rsdp, ACPI_RSDP_V1_LENGTH) | sum_bytes(rsdp, rsdp->length), 0);
	xsdt = table(CHECK_XSDT, rsdp->xsdt_address, ACPI_XSDT_SIGNATURE);
	entries = (xsdt->length - sizeof(*xsdt)) / sizeof(u64);
	for (u32 i = 0; i < entries; i++) {
		u64 address;
		const struct acpi_header *header;

		memcpy(&address, (const u8 *)(xsdt + 1) + i * sizeof(u64), sizeof(address));
		header = (const void *)(uintptr_t)address;
		if (memcmp(header->signature, ACPI_FADT_SIGNATURE, ACPI_NAME_SIZE) == 0)
			fadt = (const void *)table(CHECK_FADT, address, ACPI_FADT_SIGNATURE);
		else
			madt = (const void *)table(CHECK_MADT, address, ACPI_MADT_SIGNATURE);
	}
	check_true(CHECK_FADT, "XSDT lists a FADT and a MADT", fadt && madt);
	check_true(CHECK_FADT, "FADT: hardware-reduced, reset register supported",
		   (fadt->flags & ACPI_FADT_HW_REDUCED_ACPI) &&
		   (fadt->flags & ACPI_FADT_RESET_REG_SUP));
	dsdt = table(CHECK_DSDT, fadt->x_dsdt, ACPI_DSDT_SIGNATURE);

	for (const u8 *p = (const u8 *)(madt + 1); p < (const u8 *)madt + madt->header.length;) {
		const struct acpi_madt_entry_header *entry = (const void *)p;

		if (entry->length < sizeof(*entry))
			check_fail(CHECK_MADT, "MADT entries", "entry of length %u", entry->length);
		if (entry->type == ACPI_MADT_TYPE_LOCAL_APIC &&
		    ((const struct acpi_madt_local_apic *)p)->apic_id == lapics)
			lapics++;
		else if (entry->type == ACPI_MADT_TYPE_IO_APIC &&
			 ((const struct acpi_madt_io_apic *)p)->address == PLATFORM_IOAPIC_BASE)
			io_apics++;
		p += entry->length;
	}
	check_eq_dec(CHECK_MADT, "MADT: one local APIC per vCPU, IDs in order", lapics,
		     ACPI_TABLES_VCPUS);
	check_eq_dec(CHECK_MADT, "MADT: one I/O APIC at 0xFEC00000", io_apics, 1);
	check_eq(CHECK_MADT, "MADT: no PCAT_COMPAT (no 8259)", madt->flags & ACPI_MADT_PCAT_COMPAT,
		 0);
	/* Name(\_S5, Package(4){5, ...}): the sleep type to write for soft off. */
	check_true(CHECK_DSDT, "DSDT names \\_S5 with SLP_TYP 5",
		   memcmp((const u8 *)dsdt + dsdt->length - 14,
			  (const u8[]){ AML_NAME_OP, '\\', '_', 'S', '5', '_', AML_PACKAGE_OP,
					0x07, 0x04, AML_BYTE_PREFIX, ACPI_TABLES_S5_SLP_TYP },
			  11) == 0);
	return fadt;
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	const struct acpi_fadt *fadt = read_tables();
	u32 run;

	if (!hypercall_restart_count(&run))
		check_fail(CHECK_RESTART_COUNT, "restart count", "hypercall failed");
	if (run == 0) {
		check_eq(CHECK_RESET, "FADT reset register is I/O port 0xCF9",
			 fadt->reset_reg.space_id == ACPI_GAS_SYSTEM_IO ? fadt->reset_reg.address :
			 0, PLATFORM_RESET_PORT);
		console_puts("acpi_tables: run 0: writing RESET_VALUE to RESET_REG\n");
		port_outb((u16)fadt->reset_reg.address, fadt->reset_value);
		check_fail(CHECK_RESET, "reset", "the reset register did not reset the guest");
	}
	check_eq(CHECK_POWER_OFF, "FADT sleep control register is I/O port 0x600",
		 fadt->sleep_control_reg.space_id == ACPI_GAS_SYSTEM_IO ?
			 fadt->sleep_control_reg.address : 0, PLATFORM_SLEEP_CONTROL_PORT);
	check_eq(CHECK_POWER_OFF, "sleep status register reads WAK_STS clear",
		 port_inb((u16)fadt->sleep_status_reg.address) & ACPI_SLEEP_STATUS_WAK_STS, 0);
	console_printf("acpi_tables: run %u: writing S5 to the sleep control register\n", run);
	port_outb((u16)fadt->sleep_control_reg.address,
		  (u8)((ACPI_TABLES_S5_SLP_TYP << ACPI_SLEEP_CONTROL_SLP_TYP_SHIFT) |
		       ACPI_SLEEP_CONTROL_SLP_EN));
	check_fail(CHECK_POWER_OFF, "power off", "the sleep control register did not stop us");
}
