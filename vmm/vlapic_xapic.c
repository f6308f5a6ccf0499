// SPDX-License-Identifier: MIT
/* The xAPIC page at PLATFORM_LAPIC_BASE (SDM Vol. 3 11.4.1, Table 11-1): one page for the
 * guest, each vCPU's access reaching its own APIC's registers (vlapic.c). Registers are 32
 * bits wide on 16-byte boundaries; other accesses, and any access while the APIC is not in
 * xAPIC mode (disabled, or x2APIC mode, where only the MSRs exist), read all ones and their
 * writes are dropped. */
#include <moat/mmio.h>
#include <moat/platform.h>

#include "vlapic_internal.h"

#define VLAPIC_XAPIC_REG_SIZE 4
#define VLAPIC_XAPIC_NOTHING 0xffffffffULL

enum io_result vlapic_xapic_access(struct vcpu *vcpu, void *device, u64 offset, u8 size,
				   bool write, u64 *value)
{
	struct vlapic *apic = &vcpu->apic;
	bool ok;

	if (!vlapic_xapic_mode(apic) || size != VLAPIC_XAPIC_REG_SIZE ||
	    (offset & APIC_REG_ALIGN) || offset >= APIC_PAGE_SIZE) {
		if (!write)
			*value = VLAPIC_XAPIC_NOTHING;
		return IO_HANDLED;
	}
	if (write) {
		ok = vlapic_reg_write(vcpu, (u32)offset, (u32)*value);
	} else {
		ok = vlapic_reg_read(vcpu, (u32)offset, value);
		*value = ok ? (u32)*value : 0;
	}
	/* Registers that do not exist, and writes to read-only ones, are an illegal register
	 * address (11.5.3); the access itself completes. */
	if (!ok)
		vlapic_error(vcpu, APIC_ESR_ILLEGAL_REGISTER);
	return IO_HANDLED;
}

int vlapic_add_mmio(struct vm *vm)
{
	return vm_add_mmio(vm, PLATFORM_LAPIC_BASE, PLATFORM_LAPIC_SIZE, vlapic_xapic_access, NULL);
}
