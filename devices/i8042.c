// SPDX-License-Identifier: MIT
/* The 8042 keyboard controller ports, as a PC without one: the data (0x60) and status (0x64)
 * ports read all ones (a floating bus; Linux's i8042 driver then finds "no controller" and
 * moves on) and commands are dropped, except pulse-reset (0xFE to 0x64), which resets the
 * guest alone as on a PC it resets the machine. */
#include <moat/legacy.h>
#include <moat/platform.h>
#include <moat/vm.h>

/* 8042 command 0xFE: pulse output port bit 0, the CPU reset line (IBM PC/AT Technical
 * Reference, "Keyboard controller commands"). */
#define I8042_COMMAND_PULSE_RESET 0xfe
#define I8042_ABSENT 0xff

enum io_result i8042_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value)
{
	u16 port = (u16)(uintptr_t)device;

	if (in) {
		*value = I8042_ABSENT;
		return IO_HANDLED;
	}
	if (port == PLATFORM_I8042_COMMAND_PORT && (u8)*value == I8042_COMMAND_PULSE_RESET) {
		vm_reset(vcpu, port, (u8)*value);
		return IO_STOP_GUEST;
	}
	return IO_HANDLED;
}
