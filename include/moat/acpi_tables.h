/* SPDX-License-Identifier: MIT */
/* The ACPI table layouts Moat builds (ACPI 6.4 chapter 5), as packed structs checked against
 * the spec's offsets. Shared by the builder (vmm/acpi.c), its unit test and the test guest
 * that reads the tables back, so that all three agree on one layout. */
#ifndef MOAT_ACPI_TABLES_H
#define MOAT_ACPI_TABLES_H

#include <moat/types.h>

#define ACPI_NAME_SIZE 4
#define ACPI_OEM_ID_SIZE 6
#define ACPI_OEM_TABLE_ID_SIZE 8

/* Root System Description Pointer (ACPI 6.4 5.2.5.3). */
#define ACPI_RSDP_SIGNATURE "RSD PTR "
#define ACPI_RSDP_SIGNATURE_SIZE 8
#define ACPI_RSDP_REVISION 2 /* ACPI 2.0 and later: XsdtAddress and the extended checksum */
#define ACPI_RSDP_V1_LENGTH 20 /* the bytes the first checksum covers */

struct acpi_rsdp {
	char signature[ACPI_RSDP_SIGNATURE_SIZE];
	u8 checksum; /* the first 20 bytes */
	char oem_id[ACPI_OEM_ID_SIZE];
	u8 revision;
	u32 rsdt_address;
	u32 length;
	u64 xsdt_address;
	u8 extended_checksum; /* the whole structure */
	u8 reserved[3];
} __packed;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes (ACPI 6.4 Table 5.3)");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP XsdtAddress at 24");

/* System Description Table Header (ACPI 6.4 5.2.6). */
struct acpi_header {
	char signature[ACPI_NAME_SIZE];
	u32 length;
	u8 revision;
	u8 checksum; /* the whole table sums to zero */
	char oem_id[ACPI_OEM_ID_SIZE];
	char oem_table_id[ACPI_OEM_TABLE_ID_SIZE];
	u32 oem_revision;
	char creator_id[ACPI_NAME_SIZE];
	u32 creator_revision;
} __packed;
_Static_assert(sizeof(struct acpi_header) == 36, "table header is 36 bytes (ACPI 6.4 5.2.6)");

/* Extended System Description Table (ACPI 6.4 5.2.8): the header, then 64-bit pointers. */
#define ACPI_XSDT_SIGNATURE "XSDT"
#define ACPI_XSDT_REVISION 1

/* Generic Address Structure (ACPI 6.4 5.2.3.2). */
#define ACPI_GAS_SYSTEM_IO 1
#define ACPI_GAS_ACCESS_BYTE 1

struct acpi_gas {
	u8 space_id;
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} __packed;
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes (ACPI 6.4 Table 5.1)");

/* Fixed ACPI Description Table (ACPI 6.4 5.2.9, Table 5.9), revision 6. */
#define ACPI_FADT_SIGNATURE "FACP"
#define ACPI_FADT_REVISION 6
#define ACPI_FADT_MINOR_REVISION 4 /* ACPI 6.4 */
/* Fixed feature flags (Table 5.10). */
#define ACPI_FADT_PWR_BUTTON BIT(4)      /* no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON BIT(5)      /* no fixed-feature sleep button */
#define ACPI_FADT_RESET_REG_SUP BIT(10)  /* RESET_REG/RESET_VALUE are valid */
#define ACPI_FADT_HW_REDUCED_ACPI BIT(20) /* no fixed hardware: no PM1, GPE, PM timer, SCI */
/* IA-PC boot architecture flags (5.2.9.3, Table 5.11); a flag clear says "not there". */
#define ACPI_FADT_BOOT_8042 BIT(1)
#define ACPI_FADT_BOOT_VGA_NOT_PRESENT BIT(2)
#define ACPI_FADT_BOOT_CMOS_RTC_NOT_PRESENT BIT(5)
/* Sleep control and status registers (4.8.3.7, 4.8.3.8). */
#define ACPI_SLEEP_CONTROL_SLP_TYP_SHIFT 2
#define ACPI_SLEEP_CONTROL_SLP_TYP_MASK 0x1c
#define ACPI_SLEEP_CONTROL_SLP_EN BIT(5)
#define ACPI_SLEEP_STATUS_WAK_STS BIT(7)

struct acpi_fadt {
	struct acpi_header header;
	u32 firmware_ctrl;
	u32 dsdt;
	u8 reserved0;
	u8 preferred_pm_profile;
	u16 sci_int;
	u32 smi_cmd;
	u8 acpi_enable;
	u8 acpi_disable;
	u8 s4bios_req;
	u8 pstate_cnt;
	u32 pm1a_evt_blk;
	u32 pm1b_evt_blk;
	u32 pm1a_cnt_blk;
	u32 pm1b_cnt_blk;
	u32 pm2_cnt_blk;
	u32 pm_tmr_blk;
	u32 gpe0_blk;
	u32 gpe1_blk;
	u8 pm1_evt_len;
	u8 pm1_cnt_len;
	u8 pm2_cnt_len;
	u8 pm_tmr_len;
	u8 gpe0_blk_len;
	u8 gpe1_blk_len;
	u8 gpe1_base;
	u8 cst_cnt;
	u16 p_lvl2_lat;
	u16 p_lvl3_lat;
	u16 flush_size;
	u16 flush_stride;
	u8 duty_offset;
	u8 duty_width;
	u8 day_alrm;
	u8 mon_alrm;
	u8 century;
	u16 iapc_boot_arch;
	u8 reserved1;
	u32 flags;
	struct acpi_gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;
	u8 minor_revision;
	u64 x_firmware_ctrl;
	u64 x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	u64 hypervisor_vendor_id;
} __packed;
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 is 276 bytes (Table 5.9)");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "IAPC_BOOT_ARCH at 109");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags at 112");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "RESET_REG at 116");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "X_DSDT at 140");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "SLEEP_CONTROL_REG at 244");

/* Multiple APIC Description Table (ACPI 6.4 5.2.12). */
#define ACPI_MADT_SIGNATURE "APIC"
#define ACPI_MADT_REVISION 5
#define ACPI_MADT_PCAT_COMPAT BIT(0) /* a dual 8259 is present: never set by Moat */
#define ACPI_MADT_TYPE_LOCAL_APIC 0
#define ACPI_MADT_TYPE_IO_APIC 1
#define ACPI_MADT_TYPE_LOCAL_X2APIC 9
#define ACPI_MADT_ENABLED BIT(0) /* Local APIC flags (Table 5.47) */
/* The highest APIC ID a Processor Local APIC entry may carry: 0xFF is the broadcast ID, and
 * IDs of 255 and above use Local x2APIC entries (5.2.12.12). */
#define ACPI_MADT_XAPIC_ID_MAX 254

struct acpi_madt {
	struct acpi_header header;
	u32 local_apic_address;
	u32 flags;
} __packed;
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT fixed part is 44 bytes (Table 5.43)");

struct acpi_madt_entry_header {
	u8 type;
	u8 length;
} __packed;

struct acpi_madt_local_apic {
	struct acpi_madt_entry_header header;
	u8 processor_uid;
	u8 apic_id;
	u32 flags;
} __packed;
_Static_assert(sizeof(struct acpi_madt_local_apic) == 8, "Local APIC entry (Table 5.46)");

struct acpi_madt_io_apic {
	struct acpi_madt_entry_header header;
	u8 io_apic_id;
	u8 reserved;
	u32 address;
	u32 gsi_base;
} __packed;
_Static_assert(sizeof(struct acpi_madt_io_apic) == 12, "I/O APIC entry (Table 5.48)");

struct acpi_madt_local_x2apic {
	struct acpi_madt_entry_header header;
	u16 reserved;
	u32 x2apic_id;
	u32 flags;
	u32 processor_uid;
} __packed;
_Static_assert(sizeof(struct acpi_madt_local_x2apic) == 16, "Local x2APIC entry (Table 5.61)");

/* Differentiated System Description Table (ACPI 6.4 5.2.11.1): the header, then AML.
 * Revision 2 makes AML integers 64 bits wide. */
#define ACPI_DSDT_SIGNATURE "DSDT"
#define ACPI_DSDT_REVISION 2

#endif
