/* SPDX-License-Identifier: MIT */
/* A guest's I/O APIC (vmm/ioapic.c): an 82093AA-compatible register file at
 * PLATFORM_IOAPIC_BASE with 24 redirection entries, and the pin logic behind irq_set_line
 * (vmm/irq.c). One per guest, under its device_lock. */
#ifndef MOAT_IOAPIC_H
#define MOAT_IOAPIC_H

#include <moat/io.h>
#include <moat/irq.h>
#include <moat/types.h>

struct vcpu;
struct vm;

/* Memory-mapped registers (82093AA datasheet 3.0; the EOI register of version 0x20 parts). */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10
#define IOAPIC_EOI      0x40

/* Indirect registers selected by IOREGSEL (datasheet 3.1-3.2). */
#define IOAPIC_REG_ID       0x00
#define IOAPIC_REG_VERSION  0x01
#define IOAPIC_REG_ARB      0x02
#define IOAPIC_REG_REDIR    0x10 /* entry n: 0x10 + 2n (bits 31:0), 0x11 + 2n (63:32) */

#define IOAPIC_ID_SHIFT 24
#define IOAPIC_ID_MASK  0x0fu /* bits 27:24 */
/* Version 0x20 (as ICH-era I/O APICs): the EOI register exists. Max entry in bits 23:16. */
#define IOAPIC_VERSION_ID      0x20u
#define IOAPIC_MAX_ENTRY_SHIFT 16

/* Redirection entry fields (datasheet 3.2.4). */
#define IOAPIC_RTE_VECTOR        0xffULL
#define IOAPIC_RTE_DELIVERY_SHIFT 8
#define IOAPIC_RTE_DELIVERY_MASK 0x7ULL
#define IOAPIC_DELIVERY_FIXED    0
#define IOAPIC_DELIVERY_LOWEST   1
#define IOAPIC_DELIVERY_SMI      2
#define IOAPIC_DELIVERY_NMI      4
#define IOAPIC_DELIVERY_INIT     5
#define IOAPIC_DELIVERY_EXTINT   7
#define IOAPIC_RTE_LOGICAL       BIT(11)
#define IOAPIC_RTE_PENDING       BIT(12) /* delivery status, read-only */
#define IOAPIC_RTE_ACTIVE_LOW    BIT(13)
#define IOAPIC_RTE_REMOTE_IRR    BIT(14) /* read-only */
#define IOAPIC_RTE_LEVEL         BIT(15)
#define IOAPIC_RTE_MASKED        BIT(16)
#define IOAPIC_RTE_DEST_SHIFT    56
/* What a guest can write: bits 16:0 less the two read-only ones, and the destination. */
#define IOAPIC_RTE_WRITABLE ((0x1ffffULL & ~(IOAPIC_RTE_PENDING | IOAPIC_RTE_REMOTE_IRR)) | \
			     (0xffULL << IOAPIC_RTE_DEST_SHIFT))
#define IOAPIC_DEST_BROADCAST 0xffu

struct ioapic {
	u32 id;
	u32 select;             /* IOREGSEL */
	u32 lines;              /* bit per pin: the line as its device drives it (high = 1) */
	u32 refused_audited;    /* bit per pin: a refused delivery mode was recorded */
	bool unrouted_audited;  /* a destination naming none of the guest's vCPUs was recorded */
	u64 rte[IRQ_PIN_COUNT];
};

/* Reset state: every entry masked, the ID given (the guest's MADT says vcpu_count). */
void ioapic_init(struct ioapic *ioapic, u32 id);
/* mmio_handler_fn: device is the guest's struct vm. */
enum io_result ioapic_mmio(struct vcpu *vcpu, void *device, u64 offset, u8 size, bool write,
			   u64 *value);
/* vmm/irq.c: after the guest rewrote pin's entry, a level pin that is now unmasked, asserted
 * and without remote IRR delivers (an entry unmasked while its line is high). */
void ioapic_pin_update(struct vm *vm, u32 pin);

#endif
