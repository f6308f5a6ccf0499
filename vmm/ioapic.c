// SPDX-License-Identifier: MIT
/* The guest's I/O APIC register file (82093AA datasheet, 3.0-3.2; the EOI register of
 * version 0x20 I/O APICs): IOREGSEL/IOWIN, the ID, version and arbitration registers and 24
 * redirection entries. What a pin does with its entry is vmm/irq.c's job. */
#include <moat/ioapic.h>
#include <moat/string.h>
#include <moat/vm.h>

#define IOAPIC_SELECT_MASK 0xffu /* IOREGSEL bits 7:0; the rest are reserved */
#define IOAPIC_RTE_LOW_MASK 0xffffffffULL
#define IOAPIC_RTE_HIGH_SHIFT 32

void ioapic_init(struct ioapic *ioapic, u32 id)
{
	memset(ioapic, 0, sizeof(*ioapic));
	ioapic->id = id & IOAPIC_ID_MASK;
	/* Datasheet 3.2.4: every entry's mask bit is set at reset. */
	for (u32 pin = 0; pin < IRQ_PIN_COUNT; pin++)
		ioapic->rte[pin] = IOAPIC_RTE_MASKED;
}

static u32 ioapic_read_window(const struct ioapic *ioapic)
{
	u32 index = ioapic->select;

	switch (index) {
	case IOAPIC_REG_ID:
		return ioapic->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VERSION:
		return (u32)(IRQ_PIN_COUNT - 1) << IOAPIC_MAX_ENTRY_SHIFT | IOAPIC_VERSION_ID;
	case IOAPIC_REG_ARB:
		/* The arbitration ID is loaded from the ID (datasheet 3.2.3); read-only. */
		return ioapic->id << IOAPIC_ID_SHIFT;
	}
	if (index >= IOAPIC_REG_REDIR && index < IOAPIC_REG_REDIR + 2 * IRQ_PIN_COUNT) {
		u64 rte = ioapic->rte[(index - IOAPIC_REG_REDIR) / 2];

		return (u32)((index & 1) ? rte >> IOAPIC_RTE_HIGH_SHIFT : rte);
	}
	return 0; /* an index the I/O APIC does not decode */
}

static void ioapic_write_window(struct vm *vm, struct ioapic *ioapic, u32 value)
{
	u32 index = ioapic->select, pin;
	u64 rte, written;

	if (index == IOAPIC_REG_ID) {
		ioapic->id = (value >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
		return;
	}
	/* Version and arbitration are read-only; other indexes are not decoded. */
	if (index < IOAPIC_REG_REDIR || index >= IOAPIC_REG_REDIR + 2 * IRQ_PIN_COUNT)
		return;
	pin = (index - IOAPIC_REG_REDIR) / 2;
	rte = ioapic->rte[pin];
	if (index & 1)
		written = (rte & IOAPIC_RTE_LOW_MASK) | (u64)value << IOAPIC_RTE_HIGH_SHIFT;
	else
		written = (rte & ~IOAPIC_RTE_LOW_MASK) | value;
	rte = (rte & ~IOAPIC_RTE_WRITABLE) | (written & IOAPIC_RTE_WRITABLE);
	/* Remote IRR is undefined for edge entries: cleared, as Linux's edge-then-level EOI of
	 * version 0x11 parts and KVM expect. */
	if (!(rte & IOAPIC_RTE_LEVEL))
		rte &= ~IOAPIC_RTE_REMOTE_IRR;
	ioapic->rte[pin] = rte;
	ioapic_pin_update(vm, pin);
}

/* Registers are 32 bits wide and accessed as such (datasheet 3.0); a narrower or wider
 * access reaches the same register, a read zero-extended, a write truncated. */
enum io_result ioapic_mmio(struct vcpu *vcpu, void *device, u64 offset, u8 size, bool write,
			   u64 *value)
{
	struct vm *vm = device;
	struct ioapic *ioapic = &vm->ioapic;

	switch (offset) {
	case IOAPIC_IOREGSEL:
		if (write)
			ioapic->select = (u32)*value & IOAPIC_SELECT_MASK;
		else
			*value = ioapic->select;
		break;
	case IOAPIC_IOWIN:
		if (write)
			ioapic_write_window(vm, ioapic, (u32)*value);
		else
			*value = ioapic_read_window(ioapic);
		break;
	case IOAPIC_EOI:
		/* Version 0x20: a write of a vector is a directed EOI; reads return 0. */
		if (write)
			ioapic_eoi(vm, (u8)*value);
		else
			*value = 0;
		break;
	default:
		if (!write)
			*value = 0;
		break;
	}
	return IO_HANDLED;
}
