// SPDX-License-Identifier: MIT
/* The sleep control and status registers of a hardware-reduced ACPI platform (ACPI 6.4
 * 4.8.3.7-4.8.3.8): S5 (soft off) stops the guest as "powered off" with exit code 0. Moat
 * offers no other sleep state (the DSDT names only \_S5), so those requests are dropped. */
#include <moat/acpi.h>
#include <moat/acpi_power.h>
#include <moat/acpi_tables.h>
#include <moat/vm.h>

#define ACPI_POWER_CONTROL_OFFSET 0
#define ACPI_POWER_STATUS_OFFSET 1

/* One byte of an access of size bytes at offset: the byte that lands on register reg. */
static bool acpi_power_byte(u16 offset, u8 size, u16 reg, u32 value, u8 *byte)
{
	if (reg < offset || reg >= offset + size)
		return false;
	*byte = (u8)(value >> (8 * (reg - offset)));
	return true;
}

enum io_result acpi_power_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in,
			     u32 *value)
{
	u8 control;

	if (in) {
		/* SLP_EN reads as zero; WAK_STS is never set because nothing ever sleeps and
		 * wakes. The reserved bits read as zero too. */
		*value = 0;
		return IO_HANDLED;
	}
	/* Writes to the status register clear WAK_STS (write 1 to clear): there is nothing
	 * to clear, so only the control register's byte matters. */
	if (!acpi_power_byte(offset, size, ACPI_POWER_CONTROL_OFFSET, *value, &control) ||
	    !(control & ACPI_SLEEP_CONTROL_SLP_EN))
		return IO_HANDLED;
	if (((control & ACPI_SLEEP_CONTROL_SLP_TYP_MASK) >> ACPI_SLEEP_CONTROL_SLP_TYP_SHIFT) ==
	    ACPI_S5_SLP_TYP) {
		vm_power_off(vcpu->vm);
		return IO_STOP_GUEST;
	}
	vm_audit(vcpu, AUDIT_PORT_WRITE, ACPI_POWER_PORT_BASE + offset, control, AUDIT_DROPPED,
		 "sleep type not offered");
	return IO_HANDLED;
}
