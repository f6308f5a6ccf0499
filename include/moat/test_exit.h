/* SPDX-License-Identifier: MIT */
/* The test-exit port (devices/test_exit.c), compatible with QEMU's isa-debug-exit: a write
 * of a code stops the guest that wrote it and records the code. */
#ifndef MOAT_TEST_EXIT_H
#define MOAT_TEST_EXIT_H

#include <moat/io.h>

#define TEST_EXIT_PORT 0xf4
#define TEST_EXIT_PORT_COUNT 4

enum io_result test_exit_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in,
			    u32 *value);

#endif
