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

#endif
