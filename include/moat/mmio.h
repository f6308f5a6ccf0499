/* SPDX-License-Identifier: MIT */
/* A guest's memory-mapped devices: GPA ranges to register handlers (vmm/mmio_table.c), and
 * the emulation of one guest access to them (vmm/mmio.c). A device range is a
 * GPA_REGION_DEVICE region of the guest's map, left unmapped in the nested tables, so every
 * access exits and arrives here (DESIGN.md, "The guest platform"). */
#ifndef MOAT_MMIO_H
#define MOAT_MMIO_H

#include <moat/io.h>
#include <moat/types.h>

struct vcpu;
struct vm;

#define MMIO_MAX_RANGES 16

/*
 * One access of size 1, 2, 4 or 8 bytes at offset (gpa - range base). A read stores the
 * value in *value (the caller zero-extends or sign-extends it); a write finds it there.
 * Per-vCPU devices (the local APIC page) use vcpu; device is what the range was added with.
 */
typedef enum io_result (*mmio_handler_fn)(struct vcpu *vcpu, void *device, u64 offset, u8 size,
					  bool write, u64 *value);

struct mmio_range {
	gpa_t base;
	u64 size;
	mmio_handler_fn handler;
	void *device;
};

struct mmio_table {
	struct mmio_range ranges[MMIO_MAX_RANGES];
	u32 count;
};

void mmio_table_init(struct mmio_table *table);
/* Registers [base, base + size); refuses overlaps (-MOAT_EEXIST), empty or wrapping ranges
 * (-MOAT_EINVAL) and a full table (-MOAT_ENOSPC). */
int mmio_table_add(struct mmio_table *table, gpa_t base, u64 size, mmio_handler_fn handler,
		   void *device);
const struct mmio_range *mmio_table_find(const struct mmio_table *table, gpa_t gpa);

/* Gives the guest a device at [base, base + size) (page-aligned): a GPA_REGION_DEVICE region
 * in its map, which the nested tables leave unmapped, and the handler in its MMIO table.
 * Returns 0 or a negative error (overlap with RAM, a shared region or another device). */
int vm_add_mmio(struct vm *vm, gpa_t base, u64 size, mmio_handler_fn handler, void *device);

/*
 * A nested fault at gpa (access: enum pt_perm) of vcpu. When gpa is in one of its guest's
 * device ranges: fetches the instruction through the guest's page tables, decodes it, calls
 * the handler, writes a read's result to the destination register and advances RIP; an
 * instruction it cannot emulate stops the guest with its bytes printed and an audit record.
 * Returns false when gpa is not a device address (the caller crashes the guest, as for any
 * unowned address).
 */
bool mmio_handle(struct vcpu *vcpu, gpa_t gpa, u32 access);

#endif
