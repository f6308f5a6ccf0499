// SPDX-License-Identifier: MIT
/* A guest's MMIO table: which device answers which guest-physical range. */
#include <moat/errno.h>
#include <moat/mmio.h>
#include <moat/string.h>
#include <moat/vm.h>

void mmio_table_init(struct mmio_table *table)
{
	memset(table, 0, sizeof(*table));
}

int mmio_table_add(struct mmio_table *table, gpa_t base, u64 size, mmio_handler_fn handler,
		   void *device)
{
	if (!size || range_wraps(base, size))
		return -MOAT_EINVAL;
	for (u32 i = 0; i < table->count; i++)
		if (ranges_overlap(base, size, table->ranges[i].base, table->ranges[i].size))
			return -MOAT_EEXIST;
	if (table->count == MMIO_MAX_RANGES)
		return -MOAT_ENOSPC;
	table->ranges[table->count++] = (struct mmio_range){ .base = base, .size = size,
							     .handler = handler, .device = device };
	return 0;
}

const struct mmio_range *mmio_table_find(const struct mmio_table *table, gpa_t gpa)
{
	for (u32 i = 0; i < table->count; i++) {
		const struct mmio_range *r = &table->ranges[i];

		if (gpa >= r->base && gpa - r->base < r->size)
			return r;
	}
	return NULL;
}

int vm_add_mmio(struct vm *vm, gpa_t base, u64 size, mmio_handler_fn handler, void *device)
{
	int ret = guest_memory_add(&vm->memory, base, size, 0, 0, GPA_REGION_DEVICE);

	if (ret)
		return ret;
	ret = mmio_table_add(&vm->mmio, base, size, handler, device);
	if (ret)
		vm->memory.count--; /* the region just added is the last one */
	return ret;
}
