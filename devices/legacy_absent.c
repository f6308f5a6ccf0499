// SPDX-License-Identifier: MIT
/* Legacy ports of hardware the platform does not have, answered silently: the 8259A PIC pair
 * (no interrupt is ever routed through it; the I/O APIC is the guest's controller) and the
 * POST/delay port 0x80, and PCI configuration mechanism #1 (there is no PCI bus). Reads see all ones and writes are dropped, as for an unclaimed port,
 * but without an audit record: every OS touches these while it boots. An IMR that reads 0xFF
 * after 0xFB was written is how Linux's probe_8259A tells that no PIC is there (it then uses
 * its null PIC); a PIC that existed but never delivered would fail its timer check. */
#include <moat/legacy.h>

#define LEGACY_ABSENT 0xffffffffu

enum io_result legacy_absent_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in,
				u32 *value)
{
	if (in)
		*value = LEGACY_ABSENT;
	return IO_HANDLED;
}
