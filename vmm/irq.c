// SPDX-License-Identifier: MIT
/* Interrupt routing inside a guest (include/moat/irq.h). */
#include <moat/irq.h>
#include <moat/vm.h>

/* No I/O APIC yet: lines go nowhere. */
void irq_set_line(struct vm *vm, u32 pin, bool high)
{
}

void ioapic_eoi(struct vm *vm, u8 vector)
{
}
