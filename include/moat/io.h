/* SPDX-License-Identifier: MIT */
/* A guest's port I/O table: port ranges to device handlers, built from its configuration. */
#ifndef MOAT_IO_H
#define MOAT_IO_H

#include <moat/types.h>

struct vcpu;

#define IO_MAX_RANGES 32

enum io_result {
	IO_HANDLED,
	IO_STOP_GUEST, /* the device stopped the guest (test-exit); do not resume */
};

/*
 * Handles one access of size 1, 2 or 4 bytes at port offset (port - range base). For an
 * input the handler stores the value in *value; for an output *value holds it.
 */
typedef enum io_result (*io_handler_fn)(struct vcpu *vcpu, void *device, u16 offset, u8 size,
					bool in, u32 *value);

struct io_range {
	u16 base;
	u16 count;
	io_handler_fn handler;
	void *device;
};

struct io_table {
	struct io_range ranges[IO_MAX_RANGES];
	u32 count;
};

void io_table_init(struct io_table *table);
/* Registers [base, base + count); refuses overlaps (-MOAT_EEXIST) and a full table. */
int io_table_add(struct io_table *table, u16 base, u16 count, io_handler_fn handler,
		 void *device);
const struct io_range *io_table_find(const struct io_table *table, u16 port);

#endif
