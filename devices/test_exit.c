// SPDX-License-Identifier: MIT
/* The test-exit port: a guest writes its exit code there and stops, as with QEMU's
 * isa-debug-exit (without its (code << 1) | 1 encoding). */
#include <moat/test_exit.h>
#include <moat/vm.h>

#define TEST_EXIT_BITS_PER_BYTE 8

/* Keeps the bytes an OUT of this size actually writes (OUT AL writes only AL). */
static u32 test_exit_value(u32 value, u8 size)
{
	if (size >= sizeof(u32))
		return value;
	return value & (u32)(BIT(size * TEST_EXIT_BITS_PER_BYTE) - 1);
}

enum io_result test_exit_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value)
{
	if (in) {
		/* Like isa-debug-exit, the port reads as zero. */
		*value = 0;
		return IO_HANDLED;
	}
	vm_stop_with_code(vcpu->vm, test_exit_value(*value, size));
	return IO_STOP_GUEST;
}
