// SPDX-License-Identifier: MIT
/* The 8254 programmable interval timer (Intel 82C54 data sheet) and port B (0x61), counting
 * in guest time, so that a guest can calibrate its TSC through channel 2 and OUT2 as on a PC
 * (Moat does the same on the host). No channel raises an interrupt: the platform routes
 * nothing from the PIT (the MADT has no IRQ 0 override and no I/O APIC pin is wired to it). */
#include <moat/legacy.h>
#include <moat/string.h>
#include <moat/vm.h>

#define PIT_HZ 1193182ULL /* the 8254 input clock, 14.31818 MHz / 12 */
#define PIT_CONTROL_OFFSET 3
#define PIT_COUNT_WRAP 0x10000ULL /* a count of 0 means 65536 */

/* Control word (82C54 data sheet, "Control Word Format"). */
#define PIT_CW_SELECT_SHIFT 6
#define PIT_CW_SELECT_READ_BACK 3
#define PIT_CW_ACCESS_SHIFT 4
#define PIT_CW_ACCESS_MASK 3
#define PIT_CW_MODE_SHIFT 1
#define PIT_CW_MODE_MASK 7
#define PIT_CW_LOW_BITS 0x3f /* RW, M and BCD: what the status byte repeats */
enum pit_access { PIT_ACCESS_LATCH, PIT_ACCESS_LSB, PIT_ACCESS_MSB, PIT_ACCESS_WORD };
/* Read-back command: COUNT# and STATUS# (active low), then one select bit per counter. */
#define PIT_RB_NO_COUNT BIT(5)
#define PIT_RB_NO_STATUS BIT(4)
#define PIT_RB_COUNTER_SHIFT 1
/* Status byte: OUT and NULL COUNT above the control word's low bits. */
#define PIT_STATUS_OUT BIT(7)
#define PIT_STATUS_NULL_COUNT BIT(6)
/* Modes 2 and 3 are also encoded as 6 and 7 (bit 2 of M is a don't-care for them). */
#define PIT_MODE_RATE 2
#define PIT_MODE_SQUARE 3
#define PIT_MODE_SW_STROBE 4
#define PIT_MODE_HW_STROBE 5
#define PIT_MODE_ALIAS_MASK 3

/* Port B, read (IBM PC/AT Technical Reference, "System control port B"): bit 0 gates
 * channel 2, bit 1 enables the speaker, bits 2-3 the parity/channel check enables (kept),
 * bit 4 toggles with every DRAM refresh (15.09 us), bit 5 is OUT2. */
#define PORT_B_GATE2 BIT(0)
#define PORT_B_WRITABLE 0x0f
#define PORT_B_REFRESH BIT(4)
#define PORT_B_OUT2 BIT(5)
#define PORT_B_REFRESH_TICKS 18 /* 15.09 us at PIT_HZ */
#define PIT_SPEAKER_CHANNEL 2

u64 pit_ticks(u64 guest_tsc, u64 tsc_per_ms)
{
	u64 ms, rem;

	if (!tsc_per_ms)
		return 0;
	ms = guest_tsc / tsc_per_ms;
	rem = guest_tsc % tsc_per_ms;
	/* Both products stay far below 2^64 for centuries of guest time. */
	return (ms * PIT_HZ + rem * PIT_HZ / tsc_per_ms) / 1000;
}

static u64 pit_now(const struct pit *pit)
{
	const struct vm *vm = pit->vm;

	return pit_ticks(vm_guest_tsc(vm, x86_rdtsc()), vm->tsc_per_ms);
}

static u8 pit_mode(const struct pit_channel *ch)
{
	return ch->mode > PIT_MODE_HW_STROBE ? ch->mode & PIT_MODE_ALIAS_MASK : ch->mode;
}

static bool pit_gate(const struct pit *pit, u32 index)
{
	return index != PIT_SPEAKER_CHANNEL || (pit->port_b & PORT_B_GATE2);
}

/* The counting element and OUT at tick now. Modes 0 and 1 count down once and OUT goes
 * high at terminal count; 4 and 5 pulse OUT low there; 2 and 3 reload and repeat (mode 3's
 * count is shown as one decrement per tick; the half-period of OUT is exact). */
static u16 pit_count(const struct pit *pit, u32 index, u64 now, bool *out)
{
	const struct pit_channel *ch = &pit->channel[index];
	u64 n = ch->reload ? ch->reload : PIT_COUNT_WRAP;
	u64 elapsed = now - ch->start_tick;
	u8 mode = pit_mode(ch);

	if (!ch->counting || !pit_gate(pit, index)) {
		*out = mode != 0;
		return ch->reload;
	}
	switch (mode) {
	case PIT_MODE_RATE:
		*out = elapsed % n != n - 1;
		return (u16)(n - elapsed % n);
	case PIT_MODE_SQUARE:
		*out = elapsed % n < (n + 1) / 2;
		return (u16)(n - elapsed % n);
	case PIT_MODE_SW_STROBE:
	case PIT_MODE_HW_STROBE:
		*out = elapsed != n;
		return (u16)(n - elapsed);
	default:
		*out = elapsed >= n;
		return (u16)(n - elapsed);
	}
}

void pit_init(struct pit *pit, struct vm *vm)
{
	memset(pit, 0, sizeof(*pit));
	pit->vm = vm;
}

static void pit_control(struct pit *pit, u8 value, u64 now)
{
	u32 select = value >> PIT_CW_SELECT_SHIFT;
	u8 access = (value >> PIT_CW_ACCESS_SHIFT) & PIT_CW_ACCESS_MASK;
	struct pit_channel *ch;
	bool out;

	if (select == PIT_CW_SELECT_READ_BACK) {
		for (u32 i = 0; i < PIT_CHANNELS; i++) {
			u16 count = pit_count(pit, i, now, &out);

			ch = &pit->channel[i];
			if (!(value & BIT(PIT_RB_COUNTER_SHIFT + i)))
				continue;
			if (!(value & PIT_RB_NO_STATUS) && !ch->status_latched) {
				ch->status = (ch->status & ~(u8)PIT_STATUS_OUT) |
					     (out ? PIT_STATUS_OUT : 0);
				ch->status_latched = true;
			}
			if (!(value & PIT_RB_NO_COUNT) && !ch->count_latched) {
				ch->latch = count;
				ch->count_latched = true;
			}
		}
		return;
	}
	ch = &pit->channel[select];
	if (access == PIT_ACCESS_LATCH) {
		/* Counter latch command: a second one before the read is ignored. */
		if (!ch->count_latched) {
			ch->latch = pit_count(pit, select, now, &out);
			ch->count_latched = true;
		}
		return;
	}
	ch->access = access;
	ch->mode = (value >> PIT_CW_MODE_SHIFT) & PIT_CW_MODE_MASK;
	ch->status = (value & PIT_CW_LOW_BITS) | PIT_STATUS_NULL_COUNT;
	ch->counting = false;
	ch->count_latched = ch->status_latched = false;
	ch->read_msb = ch->write_msb = false;
}

static void pit_write_count(struct pit_channel *ch, u8 value, u64 now)
{
	switch (ch->access) {
	case PIT_ACCESS_LSB:
		ch->reload = value;
		break;
	case PIT_ACCESS_MSB:
		ch->reload = (u16)(value << 8);
		break;
	case PIT_ACCESS_WORD:
		if (!ch->write_msb) {
			ch->write_lsb = value;
			ch->write_msb = true;
			return;
		}
		ch->write_msb = false;
		ch->reload = (u16)(ch->write_lsb | value << 8);
		break;
	default:
		return; /* no control word yet: the 8254's access mode is undefined */
	}
	ch->start_tick = now;
	ch->counting = true;
	ch->status &= ~(u8)PIT_STATUS_NULL_COUNT;
}

static u8 pit_read_count(struct pit *pit, u32 index, u64 now)
{
	struct pit_channel *ch = &pit->channel[index];
	bool out, msb;
	u16 count;

	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->status;
	}
	count = ch->count_latched ? ch->latch : pit_count(pit, index, now, &out);
	msb = ch->access == PIT_ACCESS_MSB || (ch->access == PIT_ACCESS_WORD && ch->read_msb);
	if (ch->access == PIT_ACCESS_WORD)
		ch->read_msb = !ch->read_msb;
	/* A latched count is held until all of it was read. */
	if (ch->count_latched && (ch->access != PIT_ACCESS_WORD || msb))
		ch->count_latched = false;
	return msb ? (u8)(count >> 8) : (u8)count;
}

enum io_result pit_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value)
{
	struct pit *pit = device;
	u64 now = pit_now(pit);

	if (offset == PIT_CONTROL_OFFSET) {
		/* The control register is write-only: a read sees an empty bus. */
		if (in)
			*value = 0xff;
		else
			pit_control(pit, (u8)*value, now);
		return IO_HANDLED;
	}
	if (in)
		*value = pit_read_count(pit, offset, now);
	else
		pit_write_count(&pit->channel[offset], (u8)*value, now);
	return IO_HANDLED;
}

enum io_result pit_port_b_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in,
			     u32 *value)
{
	struct pit *pit = device;
	u64 now = pit_now(pit);
	bool out2;
	u8 old = pit->port_b;

	if (in) {
		pit_count(pit, PIT_SPEAKER_CHANNEL, now, &out2);
		*value = pit->port_b | (out2 ? PORT_B_OUT2 : 0) |
			 ((now / PORT_B_REFRESH_TICKS) & 1 ? PORT_B_REFRESH : 0);
		return IO_HANDLED;
	}
	pit->port_b = (u8)*value & PORT_B_WRITABLE;
	/* A rising gate (re)starts channel 2's count (82C54 data sheet, gate behaviour). */
	if (!(old & PORT_B_GATE2) && (pit->port_b & PORT_B_GATE2))
		pit->channel[PIT_SPEAKER_CHANNEL].start_tick = now;
	return IO_HANDLED;
}
