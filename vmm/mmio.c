// SPDX-License-Identifier: MIT
/* Emulation of one guest access to a memory-mapped device (include/moat/mmio.h). */
#include <moat/mmio.h>
#include <moat/vm.h>

bool mmio_handle(struct vcpu *vcpu, gpa_t gpa, u32 access)
{
	/* No instruction decoder yet: an access to a device range is still an unowned one. */
	return false;
}
