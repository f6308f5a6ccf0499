// SPDX-License-Identifier: MIT
/* Reset ports: a guest that resets "the machine" resets only itself. Writes that would reset
 * a PC restart the guest (vm_reset); reads see an empty bus. */
#include <moat/reset.h>
#include <moat/vm.h>

/* Reset control register (Intel ICH/PCH datasheets, "RST_CNT"): bit 2 starts the reset. */
#define RESET_CONTROL_RST_CPU 0x04
/* 8042 keyboard controller command 0xFE: pulse the CPU reset line. */
#define KBC_COMMAND_PULSE_RESET 0xfe
#define BUS_EMPTY 0xffffffffu

enum io_result reset_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value)
{
	u16 port = (u16)(uintptr_t)device;
	u8 byte = (u8)*value;

	if (in) {
		*value = BUS_EMPTY;
		return IO_HANDLED;
	}
	if ((port == RESET_CONTROL_PORT && (byte & RESET_CONTROL_RST_CPU)) ||
	    (port == RESET_KBC_COMMAND_PORT && byte == KBC_COMMAND_PULSE_RESET)) {
		vm_reset(vcpu, port, byte);
		return IO_STOP_GUEST;
	}
	return IO_HANDLED;
}
