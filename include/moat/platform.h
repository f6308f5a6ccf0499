/* SPDX-License-Identifier: MIT */
/* The guest platform of Linux guests (docs/guest-interface.md, "The Linux platform"): where
 * each part sits in guest-physical and port space. One place, so that the ACPI tables, the
 * memory map the loaders hand the kernel and the devices Moat registers cannot disagree. */
#ifndef MOAT_PLATFORM_H
#define MOAT_PLATFORM_H

#include <moat/types.h>

/* Low memory: conventional RAM ends at 640 KiB; [640 KiB, 1 MiB) is reserved as on a PC and
 * holds the ACPI tables (the RSDP at the start, where the legacy scan of 0xE0000-0xFFFFF
 * finds it too). */
#define PLATFORM_LOW_RAM_END 0xa0000ULL
#define PLATFORM_RESERVED_BASE 0xa0000ULL
#define PLATFORM_RESERVED_END 0x100000ULL
#define PLATFORM_ACPI_BASE 0xe0000ULL
#define PLATFORM_ACPI_SIZE 0x20000ULL
#define PLATFORM_ACPI_RSDP PLATFORM_ACPI_BASE

/* Where the Linux loaders (vmm/loader_linux.c, vmm/loader_pvh.c) put what they hand the
 * kernel, in conventional RAM below the hole and away from the 8 KiB the 64-bit decompressor
 * borrows just below 0x9d000 for its paging trampoline (and restores): the 64-bit entry's GDT,
 * its identity page tables (PML4, PDPT, four page directories: 4 GiB in 2 MiB pages), the
 * zero page or PVH start info, the command line and a small stack. */
#define PLATFORM_BOOT_GDT 0x1000ULL
#define PLATFORM_BOOT_PAGE_TABLES 0x2000ULL
#define PLATFORM_BOOT_PAGE_TABLES_SIZE 0x6000ULL
#define PLATFORM_BOOT_PARAMS 0x8000ULL
#define PLATFORM_BOOT_CMDLINE 0x9000ULL
#define PLATFORM_BOOT_CMDLINE_SIZE 0x1000ULL
#define PLATFORM_BOOT_STACK_TOP 0xb000ULL
#define PLATFORM_BOOT_DATA_END PLATFORM_BOOT_STACK_TOP

/* Interrupt controllers at their architectural addresses. */
#define PLATFORM_IOAPIC_BASE 0xfec00000ULL
#define PLATFORM_IOAPIC_SIZE 0x1000ULL
#define PLATFORM_LAPIC_BASE 0xfee00000ULL
#define PLATFORM_LAPIC_SIZE 0x1000ULL

/* Interrupt lines (I/O APIC pins = GSIs, ISA numbering, no overrides). */
#define PLATFORM_IRQ_COM1 4

/* Hardware-reduced ACPI registers (ACPI 6.4 4.8.3.7, 5.2.9): the FADT's sleep control and
 * status registers, one byte each, and its reset register (the PC reset control port). */
#define PLATFORM_SLEEP_CONTROL_PORT 0x600
#define PLATFORM_SLEEP_STATUS_PORT 0x601
#define PLATFORM_RESET_PORT 0xcf9
#define PLATFORM_RESET_VALUE 0x06

/* Legacy PC ports (docs/guest-interface.md, "Legacy ports"): the 8259A PIC pair, the 8254
 * PIT and port B (system control port, speaker gate), the CMOS RTC index/data pair, the POST
 * port and the 8042 keyboard controller (IBM PC/AT Technical Reference; Intel PCH datasheet,
 * "LPC interface" fixed I/O ranges). */
#define PLATFORM_PIC_MASTER_BASE 0x20
#define PLATFORM_PIC_SLAVE_BASE 0xa0
#define PLATFORM_PIC_PORTS 2
#define PLATFORM_PIT_BASE 0x40
#define PLATFORM_PIT_PORTS 4
#define PLATFORM_PORT_B 0x61
#define PLATFORM_CMOS_BASE 0x70
#define PLATFORM_CMOS_PORTS 2
#define PLATFORM_POST_PORT 0x80
/* PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): address 0xCF8-0xCFB and data
 * 0xCFC-0xCFF; there is no PCI bus, and 0xCF9 between them is the reset register. */
#define PLATFORM_PCI_ADDRESS_PORT 0xcf8
#define PLATFORM_PCI_ADDRESS_HIGH_PORT 0xcfa /* 0xCFA-0xCFB */
#define PLATFORM_PCI_DATA_PORT 0xcfc
#define PLATFORM_PCI_DATA_PORTS 4
#define PLATFORM_I8042_DATA_PORT 0x60
#define PLATFORM_I8042_COMMAND_PORT 0x64

#endif
