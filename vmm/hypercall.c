// SPDX-License-Identifier: MIT
/* Hypercalls: VMMCALL/VMCALL with the number in RAX and the result back in RAX. */
#include <moat/exit.h>
#include <moat/vm.h>

void hypercall_handle(struct vcpu *vcpu)
{
	u64 number = vcpu->regs.rax;

	/* Outside 64-bit mode only EAX is architecturally visible to the guest. */
	if (!(vcpu->vm->ops->read_state(vcpu, VCPU_EFER) & EFER_LMA))
		number = (u32)number;

	switch (number) {
	case HYPERCALL_VERSION:
		vcpu->regs.rax = MOAT_INTERFACE_VERSION;
		break;
	default:
		vm_record_denial(vcpu->vm, DENIAL_HYPERCALL, number, 0);
		vcpu->regs.rax = HYPERCALL_ENOSYS;
		break;
	}
}
