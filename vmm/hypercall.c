// SPDX-License-Identifier: MIT
/* Hypercalls: VMMCALL/VMCALL with the number in RAX, arguments in RBX and RCX, the result
 * back in RAX (docs/guest-interface.md). Guest pointers go through the one checked
 * translation helper. */
#include <moat/errno.h>
#include <moat/exit.h>
#include <moat/log.h>
#include <moat/vm.h>
#include <moat/x86.h>

#define HYPERCALL_CONSOLE_MAX 256

/* Outside 64-bit mode only the low 32 bits of a register are the guest's. */
static u64 hypercall_arg(const struct vcpu *vcpu, u64 value, bool long_mode)
{
	return long_mode ? value : (u32)value;
}

static u64 hypercall_console_write(struct vcpu *vcpu, gpa_t gpa, u64 len)
{
	struct vm *vm = vcpu->vm;
	const char *text;

	if (len > HYPERCALL_CONSOLE_MAX)
		return (u64)-MOAT_EINVAL;
	if (!len)
		return 0;
	text = guest_memory_translate(&vm->memory, gpa, len, PT_READ);
	if (!text) {
		vm_audit(vcpu, AUDIT_HYPERCALL_FAULT, gpa, len, AUDIT_EFAULT, "console-write");
		return (u64)-MOAT_EFAULT;
	}
	/* Past the guest's console budget the line is dropped and counted, not refused: a
	 * console that is too slow loses output, it does not fail the write. */
	console_write_line(&vm->console, vm->name, text, len, x86_rdtsc(), vm->tsc_per_ms);
	return len;
}

void hypercall_handle(struct vcpu *vcpu)
{
	bool long_mode = vcpu->vm->ops->read_state(vcpu, VCPU_EFER) & EFER_LMA;
	u64 number = hypercall_arg(vcpu, vcpu->regs.rax, long_mode);
	u64 arg0 = hypercall_arg(vcpu, vcpu->regs.rbx, long_mode);
	u64 arg1 = hypercall_arg(vcpu, vcpu->regs.rcx, long_mode);
	u64 cpl = vcpu->vm->ops->read_state(vcpu, VCPU_CPL);

	/* VMMCALL and VMCALL exit at any CPL: a guest's user programs must not reach Moat (they
	 * could have any of the guest's memory printed). */
	if (cpl != 0) {
		vm_audit(vcpu, AUDIT_HYPERCALL, number, cpl, AUDIT_EPERM, NULL);
		vcpu->regs.rax = HYPERCALL_EPERM;
		return;
	}
	switch (number) {
	case HYPERCALL_VERSION:
		vcpu->regs.rax = MOAT_INTERFACE_VERSION;
		break;
	case HYPERCALL_RESTART_COUNT:
		vcpu->regs.rax = vcpu->vm->restarts;
		break;
	case HYPERCALL_CONSOLE_WRITE:
		vcpu->regs.rax = hypercall_console_write(vcpu, arg0, arg1);
		break;
	default:
		vm_audit(vcpu, AUDIT_HYPERCALL, number, 0, AUDIT_ENOSYS, NULL);
		vcpu->regs.rax = HYPERCALL_ENOSYS;
		break;
	}
}
