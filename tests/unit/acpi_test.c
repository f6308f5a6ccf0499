// SPDX-License-Identifier: MIT
/* The ACPI tables (vmm/acpi.c, vmm/acpi_aml.c): every checksum and length, the RSDP and XSDT
 * pointers, the FADT's registers, MADT entries for 1, 2, 8 and 300 vCPUs, the DSDT's AML
 * bytes, and every table disassembled by ACPICA's iasl -d with no error or warning. */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "test_support.h"

#include <sys/stat.h>
#include <unistd.h>

#include <moat/acpi.h>
#include <moat/acpi_aml.h>
#include <moat/acpi_tables.h>
#include <moat/errno.h>
#include <moat/platform.h>

static u8 tables[PLATFORM_ACPI_SIZE];

static const void *table_at(gpa_t gpa)
{
	assert_true(gpa >= PLATFORM_ACPI_BASE && gpa < PLATFORM_ACPI_BASE + sizeof(tables));
	return tables + (gpa - PLATFORM_ACPI_BASE);
}

/* A table inside the buffer with its signature, a length that fits, and a zero sum. */
static const struct acpi_header *check_table(gpa_t gpa, const char *signature)
{
	const struct acpi_header *header = table_at(gpa);

	assert_memory_equal(header->signature, signature, ACPI_NAME_SIZE);
	assert_true(header->length >= sizeof(*header));
	assert_true(gpa + header->length <= PLATFORM_ACPI_BASE + sizeof(tables));
	assert_int_equal(acpi_checksum(header, header->length), 0);
	return header;
}

static void build(u32 vcpus, bool uart, struct acpi_layout *layout)
{
	struct guest_config config = { .vcpu_count = vcpus,
				       .devices = uart ? GUEST_DEVICE_UART : 0 };
	struct acpi_platform platform;

	acpi_platform_from_config(&config, &platform);
	assert_int_equal(acpi_build(&platform, tables, sizeof(tables), PLATFORM_ACPI_BASE,
				    layout), 0);
}

static void test_rsdp_and_xsdt(void **state)
{
	const struct acpi_header *xsdt, *fadt;
	const struct acpi_rsdp *rsdp;
	struct acpi_layout layout;
	u64 entries[2];

	build(2, true, &layout);
	assert_int_equal(layout.rsdp, PLATFORM_ACPI_RSDP);
	rsdp = table_at(layout.rsdp);
	assert_memory_equal(rsdp->signature, ACPI_RSDP_SIGNATURE, ACPI_RSDP_SIGNATURE_SIZE);
	assert_int_equal(rsdp->revision, 2);
	assert_int_equal(rsdp->length, sizeof(*rsdp));
	assert_int_equal(acpi_checksum(rsdp, ACPI_RSDP_V1_LENGTH), 0);
	assert_int_equal(acpi_checksum(rsdp, sizeof(*rsdp)), 0);
	assert_int_equal(rsdp->xsdt_address, layout.xsdt);

	xsdt = check_table(rsdp->xsdt_address, ACPI_XSDT_SIGNATURE);
	assert_int_equal(xsdt->length, sizeof(*xsdt) + sizeof(entries));
	memcpy(entries, xsdt + 1, sizeof(entries));
	fadt = check_table(entries[0], ACPI_FADT_SIGNATURE);
	check_table(entries[1], ACPI_MADT_SIGNATURE);
	assert_int_equal(entries[0], layout.fadt);
	assert_int_equal(entries[1], layout.madt);
	assert_int_equal(fadt->length, sizeof(struct acpi_fadt));
	assert_true(layout.used <= sizeof(tables));
}

static void test_fadt(void **state)
{
	const struct acpi_fadt *fadt;
	struct acpi_layout layout;

	build(1, true, &layout);
	fadt = (const void *)check_table(layout.fadt, ACPI_FADT_SIGNATURE);
	assert_int_equal(fadt->header.revision, 6);
	assert_true(fadt->flags & ACPI_FADT_HW_REDUCED_ACPI);
	assert_true(fadt->flags & ACPI_FADT_RESET_REG_SUP);
	assert_int_equal(fadt->reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(fadt->reset_reg.bit_width, 8);
	assert_int_equal(fadt->reset_reg.address, PLATFORM_RESET_PORT);
	assert_int_equal(fadt->reset_value, PLATFORM_RESET_VALUE);
	assert_int_equal(fadt->sleep_control_reg.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(fadt->sleep_control_reg.address, PLATFORM_SLEEP_CONTROL_PORT);
	assert_int_equal(fadt->sleep_status_reg.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(fadt->sleep_status_reg.address, PLATFORM_SLEEP_STATUS_PORT);
	assert_int_equal(fadt->iapc_boot_arch, ACPI_FADT_BOOT_VGA_NOT_PRESENT |
					       ACPI_FADT_BOOT_CMOS_RTC_NOT_PRESENT);
	assert_int_equal(fadt->x_dsdt, layout.dsdt);
	assert_int_equal(fadt->sci_int, 0);
	assert_int_equal(fadt->pm1a_cnt_blk, 0);
	check_table(fadt->x_dsdt, ACPI_DSDT_SIGNATURE);
}

/* Walks the MADT: each vCPU once, in order, with APIC ID = index, then one I/O APIC. */
static void check_madt(u32 vcpus)
{
	const struct acpi_madt *madt;
	struct acpi_layout layout;
	u32 lapics = 0, x2apics = 0, io_apics = 0;
	const u8 *entry, *end;

	build(vcpus, false, &layout);
	madt = (const void *)check_table(layout.madt, ACPI_MADT_SIGNATURE);
	assert_int_equal(madt->local_apic_address, PLATFORM_LAPIC_BASE);
	assert_int_equal(madt->flags & ACPI_MADT_PCAT_COMPAT, 0);
	entry = (const u8 *)(madt + 1);
	end = (const u8 *)madt + madt->header.length;
	while (entry < end) {
		const struct acpi_madt_entry_header *header = (const void *)entry;

		assert_true(header->length >= sizeof(*header) && entry + header->length <= end);
		if (header->type == ACPI_MADT_TYPE_LOCAL_APIC) {
			const struct acpi_madt_local_apic *lapic = (const void *)entry;

			assert_int_equal(header->length, sizeof(*lapic));
			assert_int_equal(lapic->apic_id, lapics);
			assert_int_equal(lapic->processor_uid, lapics);
			assert_int_equal(lapic->flags, ACPI_MADT_ENABLED);
			assert_int_equal(x2apics + io_apics, 0);
			lapics++;
		} else if (header->type == ACPI_MADT_TYPE_LOCAL_X2APIC) {
			const struct acpi_madt_local_x2apic *x2apic = (const void *)entry;

			assert_int_equal(header->length, sizeof(*x2apic));
			assert_int_equal(x2apic->x2apic_id, ACPI_MADT_XAPIC_ID_MAX + 1 + x2apics);
			assert_int_equal(x2apic->processor_uid, x2apic->x2apic_id);
			assert_int_equal(x2apic->flags, ACPI_MADT_ENABLED);
			x2apics++;
		} else {
			const struct acpi_madt_io_apic *io_apic = (const void *)entry;

			assert_int_equal(header->type, ACPI_MADT_TYPE_IO_APIC);
			assert_int_equal(header->length, sizeof(*io_apic));
			assert_int_equal(io_apic->io_apic_id, MIN(vcpus, 255u));
			assert_int_equal(io_apic->address, PLATFORM_IOAPIC_BASE);
			assert_int_equal(io_apic->gsi_base, 0);
			io_apics++;
		}
		entry += header->length;
	}
	assert_ptr_equal(entry, end);
	assert_int_equal(lapics, MIN(vcpus, ACPI_MADT_XAPIC_ID_MAX + 1));
	assert_int_equal(lapics + x2apics, vcpus);
	assert_int_equal(io_apics, 1);
}

static void test_madt_vcpus(void **state)
{
	check_madt(1);
	check_madt(2);
	check_madt(8);
	check_madt(300); /* IDs 255 and above: Local x2APIC entries */
}

/* Finds needle in the DSDT's AML. */
static bool dsdt_has(const struct acpi_layout *layout, const void *needle, size_t len)
{
	const struct acpi_header *dsdt = table_at(layout->dsdt);

	return memmem(dsdt + 1, dsdt->length - sizeof(*dsdt), needle, len) != NULL;
}

static void test_dsdt_devices(void **state)
{
	/* Name(_HID, EisaId("PNP0501")) = 0x0105D041; IO(Decode16, 0x3F8, 0x3F8, 1, 8);
	 * IRQNoFlags(){4}; Name(\_S5, Package(4){5, 0, 0, 0}). */
	static const u8 hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	static const u8 io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08 };
	static const u8 irq[] = { 0x22, 0x10, 0x00, 0x79, 0x00 };
	static const u8 s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x07, 0x04,
				 0x0a, 0x05, 0x00, 0x00, 0x00 };
	struct acpi_layout layout;

	build(2, true, &layout);
	check_table(layout.dsdt, ACPI_DSDT_SIGNATURE);
	assert_true(dsdt_has(&layout, "COM1", 4));
	assert_true(dsdt_has(&layout, hid, sizeof(hid)));
	assert_true(dsdt_has(&layout, io, sizeof(io)));
	assert_true(dsdt_has(&layout, irq, sizeof(irq)));
	assert_true(dsdt_has(&layout, s5, sizeof(s5)));

	build(2, false, &layout); /* no "uart": no COM1 */
	check_table(layout.dsdt, ACPI_DSDT_SIGNATURE);
	assert_false(dsdt_has(&layout, "COM1", 4));
	assert_true(dsdt_has(&layout, s5, sizeof(s5)));
}

/* PkgLength in one, two and three bytes (ACPI 6.4 20.2.4), and misuse failing cleanly. */
static void test_aml_lengths(void **state)
{
	static u8 out[0x20000];
	struct aml_builder aml;

	aml_init(&aml, out, sizeof(out));
	aml_package_begin(&aml, 0);
	aml_end(&aml);
	assert_true(aml_ok(&aml));
	assert_int_equal(aml.length, 3);
	assert_int_equal(out[1], 2); /* PkgLength counts itself and NumElements */

	aml_init(&aml, out, sizeof(out));
	aml_package_begin(&aml, 100);
	for (int i = 0; i < 100; i++)
		aml_integer(&aml, 0x80);
	aml_end(&aml); /* 201 bytes of body, 2 of length: 203 = 0xCB */
	assert_true(aml_ok(&aml));
	assert_int_equal(out[1], 0x40 | 0xb);
	assert_int_equal(out[2], 0x0c);

	aml_init(&aml, out, sizeof(out));
	aml_package_begin(&aml, 0xff);
	for (int i = 0; i < 0x1000; i++)
		aml_integer(&aml, 0x1234);
	aml_end(&aml); /* 1 + 0x3000 bytes of body, 3 of length: 0x3004 */
	assert_true(aml_ok(&aml));
	assert_int_equal(out[1], 0x80 | 0x4);
	assert_int_equal(out[2], 0x00);
	assert_int_equal(out[3], 0x03);

	aml_init(&aml, out, 4); /* out of room */
	aml_name(&aml, "_HID");
	aml_integer(&aml, 1);
	assert_false(aml_ok(&aml));
	aml_init(&aml, out, sizeof(out));
	aml_name(&aml, "TOOLONG"); /* a segment is at most four characters */
	assert_false(aml_ok(&aml));
	aml_init(&aml, out, sizeof(out));
	aml_end(&aml); /* nothing open */
	assert_false(aml_ok(&aml));
	aml_init(&aml, out, sizeof(out));
	aml_scope_begin(&aml, "\\_SB");
	assert_false(aml_ok(&aml)); /* still open */
}

static void test_build_errors(void **state)
{
	struct acpi_platform platform;
	struct acpi_layout layout;
	struct acpi_device bad = { .kind = ACPI_DEVICE_COM, .uid = 1, .base = 0x10000,
				   .size = 8, .gsi = 4 };

	acpi_platform_init(&platform, 0);
	assert_int_equal(acpi_build(&platform, tables, sizeof(tables), PLATFORM_ACPI_BASE,
				    &layout), -MOAT_EINVAL);
	acpi_platform_init(&platform, 1);
	assert_int_equal(acpi_build(&platform, tables, 64, PLATFORM_ACPI_BASE, &layout),
			 -MOAT_ENOSPC);
	assert_int_equal(acpi_build(&platform, tables, 300, PLATFORM_ACPI_BASE, &layout),
			 -MOAT_ENOSPC);
	assert_true(acpi_platform_add(&platform, &bad));
	assert_int_equal(acpi_build(&platform, tables, sizeof(tables), PLATFORM_ACPI_BASE,
				    &layout), -MOAT_EINVAL);
	for (u32 i = 1; i < ACPI_MAX_DEVICES; i++)
		assert_true(acpi_platform_add(&platform, &bad));
	assert_false(acpi_platform_add(&platform, &bad));
}

/* ---- iasl -d ---- */

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	file = fopen(path, "wb");
	assert_non_null(file);
	assert_int_equal(fwrite(data, 1, len, file), len);
	fclose(file);
}

static bool line_is_bad(const char *line)
{
	/* iasl's summary line ("0 Errors, 0 Warnings") is the one good mention of either. */
	if (strstr(line, " 0 Errors") && strstr(line, " 0 Warnings"))
		return false;
	return strcasestr(line, "error") || strcasestr(line, "warning") ||
	       strcasestr(line, "remark") || strcasestr(line, "invalid") ||
	       strstr(line, "****"); /* how the data-table disassembler flags a problem */
}

/* Disassembles one table: true when iasl exits 0 and neither its output nor the .dsl it
 * writes mentions an error or warning; log gets what it printed. */
static bool iasl_clean(const char *dir, const char *name, char *log, size_t log_size)
{
	char command[512], line[512];
	bool bad = false;
	FILE *out;
	int status;

	log[0] = '\0';
	snprintf(command, sizeof(command), "cd %s && iasl -d %s.dat 2>&1 && cat %s.dsl", dir,
		 name, name);
	out = popen(command, "r");
	assert_non_null(out);
	while (fgets(line, sizeof(line), out)) {
		if (strlen(log) + strlen(line) < log_size)
			strcat(log, line);
		bad = line_is_bad(line) || bad;
	}
	status = pclose(out);
	return !bad && status == 0;
}

static void assert_iasl_clean(const char *dir, const char *name)
{
	static char log[65536];

	if (!iasl_clean(dir, name, log, sizeof(log)))
		fail_msg("iasl -d %s.dat:\n%s", name, log);
}

static void check_iasl(u32 vcpus, bool uart, struct acpi_platform *extra)
{
	char dir[] = "/tmp/moat-acpi-XXXXXX";
	struct acpi_layout layout;
	const struct acpi_header *fadt, *madt, *dsdt, *xsdt;
	char command[128];

	if (extra)
		assert_int_equal(acpi_build(extra, tables, sizeof(tables), PLATFORM_ACPI_BASE,
					    &layout), 0);
	else
		build(vcpus, uart, &layout);
	assert_non_null(mkdtemp(dir));
	xsdt = table_at(layout.xsdt);
	fadt = table_at(layout.fadt);
	madt = table_at(layout.madt);
	dsdt = table_at(layout.dsdt);
	/* Not the RSDP: it has no table header, and iasl -d (20200925) refuses a file holding
	 * only an RSDP; test_rsdp_and_xsdt checks it. */
	write_file(dir, "xsdt", xsdt, xsdt->length);
	write_file(dir, "facp", fadt, fadt->length);
	write_file(dir, "apic", madt, madt->length);
	write_file(dir, "dsdt", dsdt, dsdt->length);
	assert_iasl_clean(dir, "xsdt");
	assert_iasl_clean(dir, "facp");
	assert_iasl_clean(dir, "apic");
	assert_iasl_clean(dir, "dsdt");
	snprintf(command, sizeof(command), "rm -rf %s", dir);
	assert_int_equal(system(command), 0);
}

static void test_iasl(void **state)
{
	struct acpi_platform platform;
	const struct acpi_device virtio = { .kind = ACPI_DEVICE_VIRTIO_MMIO, .uid = 0,
					    .base = 0xd0000000u, .size = 0x200, .gsi = 5 };
	const struct acpi_device com1 = { .kind = ACPI_DEVICE_COM, .uid = 1, .base = 0x3f8,
					  .size = 8, .gsi = 4 };

	if (system("command -v iasl >/dev/null") != 0)
		fail_msg("iasl is missing (Debian's acpica-tools; scripts/deps.sh installs it)");
	check_iasl(1, true, NULL);
	check_iasl(8, false, NULL);
	/* The device list as virtio-mmio devices will use it. */
	acpi_platform_init(&platform, 2);
	assert_true(acpi_platform_add(&platform, &com1));
	assert_true(acpi_platform_add(&platform, &virtio));
	check_iasl(0, false, &platform);
}

/* The check can fail: a MADT with a wrong checksum makes iasl warn. */
static void test_iasl_catches_a_bad_checksum(void **state)
{
	char dir[] = "/tmp/moat-acpi-XXXXXX", command[128], log[8192];
	struct acpi_layout layout;
	const struct acpi_header *madt;
	u8 copy[512];

	build(2, false, &layout);
	madt = table_at(layout.madt);
	assert_true(madt->length <= sizeof(copy));
	memcpy(copy, madt, madt->length);
	copy[offsetof(struct acpi_header, checksum)] ^= 1;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "apic", copy, madt->length);
	assert_false(iasl_clean(dir, "apic", log, sizeof(log)));
	assert_non_null(strstr(log, "Incorrect checksum"));
	snprintf(command, sizeof(command), "rm -rf %s", dir);
	assert_int_equal(system(command), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_and_xsdt), cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt_vcpus),    cmocka_unit_test(test_dsdt_devices),
		cmocka_unit_test(test_aml_lengths),   cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_iasl),	      cmocka_unit_test(test_iasl_catches_a_bad_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
