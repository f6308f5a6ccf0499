/* SPDX-License-Identifier: MIT */
/* The hardware-reduced ACPI sleep registers the FADT names (devices/acpi_power.c): writing
 * S5's SLP_TYP with SLP_EN to the sleep control register powers the guest off. */
#ifndef MOAT_ACPI_POWER_H
#define MOAT_ACPI_POWER_H

#include <moat/io.h>
#include <moat/platform.h>

/* Sleep control, then sleep status, one byte each (include/moat/platform.h). */
#define ACPI_POWER_PORT_BASE PLATFORM_SLEEP_CONTROL_PORT
#define ACPI_POWER_PORT_COUNT 2
_Static_assert(PLATFORM_SLEEP_STATUS_PORT == PLATFORM_SLEEP_CONTROL_PORT + 1,
	       "the sleep status register follows the control register");

enum io_result acpi_power_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in,
			     u32 *value);

#endif
