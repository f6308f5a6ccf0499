/* SPDX-License-Identifier: MIT */
/* The PC reset ports a guest may use to reset itself (devices/reset.c): the reset control
 * register at 0xCF9 and the keyboard controller's pulse-reset command at 0x64. */
#ifndef MOAT_RESET_H
#define MOAT_RESET_H

#include <moat/io.h>

#define RESET_CONTROL_PORT 0xcf9
#define RESET_KBC_COMMAND_PORT 0x64

enum io_result reset_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value);

#endif
