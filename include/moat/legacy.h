/* SPDX-License-Identifier: MIT */
/* The legacy PC ports every guest's platform has (docs/guest-interface.md, "Legacy ports"):
 * the 8254 PIT and port B (devices/pit.c), the CMOS RTC (devices/cmos.c), the 8042 keyboard
 * controller (devices/i8042.c) and the ports that answer as absent hardware, the 8259A PICs
 * and the POST port (devices/legacy_absent.c). */
#ifndef MOAT_LEGACY_H
#define MOAT_LEGACY_H

#include <moat/io.h>

struct vm;

#define PIT_CHANNELS 3

struct pit_channel {
	u16 reload;      /* the count written; 0 counts as 65536 (82C54 data sheet) */
	u64 start_tick;  /* PIT tick at which counting began */
	u16 latch;       /* a latched count or status, read before the live count */
	u8 mode;         /* bits 3:1 of the control word */
	u8 access;       /* bits 5:4: latch, LSB, MSB, LSB then MSB */
	u8 status;       /* the read-back status byte */
	bool counting;   /* a count was loaded and (channel 2) the gate is high */
	bool count_latched, status_latched;
	bool read_msb, write_msb; /* the flip-flops of access mode LSB then MSB */
	u8 write_lsb;
};

struct pit {
	struct vm *vm;
	struct pit_channel channel[PIT_CHANNELS];
	u8 port_b; /* the writable bits of port 0x61 */
};

#define CMOS_SIZE 128
/* The RTC's wall clock at a guest's time 0 until the host's (UEFI GetTime) is passed on:
 * 2000-01-01 00:00:00 UTC, in seconds since 1970. */
#define CMOS_DEFAULT_WALL_CLOCK 946684800ULL

struct cmos {
	struct vm *vm;
	u64 base_seconds; /* wall clock (seconds since 1970) at the guest's time 0 */
	u8 index;
	u8 ram[CMOS_SIZE];
};

void pit_init(struct pit *pit, struct vm *vm);
enum io_result pit_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value);
enum io_result pit_port_b_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in,
			     u32 *value);
/* The guest's time in PIT ticks (1,193,182 Hz) from its TSC. */
u64 pit_ticks(u64 guest_tsc, u64 tsc_per_ms);

void cmos_init(struct cmos *cmos, struct vm *vm, u64 base_seconds);
enum io_result cmos_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value);

enum io_result i8042_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value);
enum io_result legacy_absent_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in,
				u32 *value);

#endif
