// SPDX-License-Identifier: MIT
/* The reset control register (0xCF9): a guest that resets "the machine" resets only itself
 * (vm_reset); reads see an empty bus. The 8042's pulse-reset command is devices/i8042.c. */
#include <moat/reset.h>
#include <moat/vm.h>

/* Reset control register (Intel ICH/PCH datasheets, "RST_CNT"): bit 2 starts the reset. */
#define RESET_CONTROL_RST_CPU 0x04
#define BUS_EMPTY 0xffffffffu

enum io_result reset_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value)
{
	u8 byte = (u8)*value;

	if (in) {
		*value = BUS_EMPTY;
		return IO_HANDLED;
	}
	if (byte & RESET_CONTROL_RST_CPU) {
		vm_reset(vcpu, RESET_CONTROL_PORT, byte);
		return IO_STOP_GUEST;
	}
	return IO_HANDLED;
}
