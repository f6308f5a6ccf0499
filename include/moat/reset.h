/* SPDX-License-Identifier: MIT */
/* The PC reset control register at 0xCF9, through which a guest resets itself
 * (devices/reset.c; the keyboard controller's pulse-reset command is devices/i8042.c). */
#ifndef MOAT_RESET_H
#define MOAT_RESET_H

#include <moat/io.h>

#define RESET_CONTROL_PORT 0xcf9

enum io_result reset_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value);

#endif
