// SPDX-License-Identifier: MIT
/* Port I/O exits: dispatch to the guest's device table; ports no device claims are denied
 * (reads see all ones, writes are dropped). */
#include <moat/exit.h>
#include <moat/vm.h>

static u32 io_all_ones(u8 size)
{
	return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static void io_store_result(struct vcpu *vcpu, u8 size, u32 value)
{
	u64 mask = io_all_ones(size);

	/* IN writes AL/AX/EAX; a 32-bit write zero-extends into RAX (SDM Vol. 1 3.4.1.1). */
	if (size == 4)
		vcpu->regs.rax = value;
	else
		vcpu->regs.rax = (vcpu->regs.rax & ~mask) | (value & mask);
}

void io_handle(struct vcpu *vcpu, const struct vm_exit_io *io)
{
	struct vm *vm = vcpu->vm;
	const struct io_range *range = io_table_find(&vm->io, io->port);
	u32 value = io->in ? 0 : (u32)vcpu->regs.rax & io_all_ones(io->size);
	enum io_result result;

	if (io->string) {
		/* INS/OUTS are not emulated yet: denied like an unclaimed port. */
		vm_audit(vcpu, AUDIT_PORT_STRING, io->port, io->in, AUDIT_SKIPPED, NULL);
		if (io->rep)
			vcpu->regs.rcx = 0;
		return;
	}
	if (!range) {
		vm_audit(vcpu, io->in ? AUDIT_PORT_READ : AUDIT_PORT_WRITE, io->port, value,
			 io->in ? AUDIT_ALL_ONES : AUDIT_DROPPED, NULL);
		if (io->in)
			io_store_result(vcpu, io->size, io_all_ones(io->size));
		return;
	}
	/* vCPUs on other CPUs may use the same device at the same time. */
	spin_lock(&vm->device_lock);
	result = range->handler(vcpu, range->device, io->port - range->base, io->size, io->in,
				&value);
	spin_unlock(&vm->device_lock);
	if (result == IO_STOP_GUEST)
		return;
	if (io->in)
		io_store_result(vcpu, io->size, value);
}
