// SPDX-License-Identifier: MIT
/* A guest's port I/O table: which device answers which port. */
#include <moat/errno.h>
#include <moat/io.h>
#include <moat/string.h>

void io_table_init(struct io_table *table)
{
	memset(table, 0, sizeof(*table));
}

int io_table_add(struct io_table *table, u16 base, u16 count, io_handler_fn handler,
		 void *device)
{
	if (!count || (u32)base + count > 0x10000)
		return -MOAT_EINVAL;
	for (u32 i = 0; i < table->count; i++)
		if (ranges_overlap(base, count, table->ranges[i].base, table->ranges[i].count))
			return -MOAT_EEXIST;
	if (table->count == IO_MAX_RANGES)
		return -MOAT_ENOSPC;
	table->ranges[table->count++] =
		(struct io_range){ .base = base, .count = count, .handler = handler,
				   .device = device };
	return 0;
}

const struct io_range *io_table_find(const struct io_table *table, u16 port)
{
	for (u32 i = 0; i < table->count; i++) {
		const struct io_range *r = &table->ranges[i];

		if (port >= r->base && port - r->base < r->count)
			return &table->ranges[i];
	}
	return NULL;
}
