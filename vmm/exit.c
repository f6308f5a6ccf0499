// SPDX-License-Identifier: MIT
/* The generic exit dispatcher: one place where every exit, from either vendor, is decided. */
#include <moat/exit.h>
#include <moat/log.h>
#include <moat/mmio.h>
#include <moat/vm.h>
#include <moat/xsave.h>

static const char *access_name(u32 access)
{
	if (access & PT_EXEC)
		return "execute";
	return access & PT_WRITE ? "write" : "read";
}

static void exit_msr(struct vcpu *vcpu, const struct vm_exit *exit)
{
	u32 index = (u32)vcpu->regs.rcx;
	bool write = exit->kind == VM_EXIT_MSR_WRITE;
	u64 value = (vcpu->regs.rdx << 32) | (u32)vcpu->regs.rax;
	bool allowed;

	if (write) {
		allowed = msr_write(vcpu, index, value);
	} else {
		allowed = msr_read(vcpu, index, &value);
		if (allowed) {
			vcpu->regs.rax = (u32)value;
			vcpu->regs.rdx = value >> 32;
		}
	}
	if (allowed) {
		vcpu->vm->ops->advance_rip(vcpu, exit);
		return;
	}
	vm_audit(vcpu, write ? AUDIT_MSR_WRITE : AUDIT_MSR_READ, index, write ? value : 0,
		 AUDIT_GP, NULL);
	vcpu->vm->ops->inject_exception(vcpu, X86_VECTOR_GP, true, 0);
}

/* An intercepted exception: reflected into the guest, or a host machine check. The vendor
 * code has already updated what the CPU would have (DR6 for a #DB). */
static void exit_exception(struct vcpu *vcpu, const struct vm_exit *exit)
{
	u8 vector = exit->exception.vector;

	switch (exception_action(vector)) {
	case EXCEPTION_REFLECT:
		vcpu->vm->ops->inject_exception(vcpu, vector, exit->exception.has_error_code,
						exit->exception.error_code);
		break;
	case EXCEPTION_HOST:
		log_error("host machine check while guest '%s' vcpu %u ran (rip 0x%lx): not "
			  "delivered to the guest", vcpu->vm->name, vcpu->id, vcpu->regs.rip);
		break;
	case EXCEPTION_UNEXPECTED:
		vm_crash(vcpu, AUDIT_INVALID_STATE, exit->vendor_reason, vector, NULL,
			 "unexpected exception %u intercepted at rip 0x%lx", vector,
			 vcpu->regs.rip);
		break;
	}
}

/* WBINVD would write back and drop every cache of the CPU, a latency attack on the
 * other guests; guest memory is write-back and no device is passed through, so a no-op is
 * all a guest can tell apart. Recorded once: the guest asked for something it did not get. */
static void exit_wbinvd(struct vcpu *vcpu, const struct vm_exit *exit)
{
	if (!__atomic_exchange_n(&vcpu->vm->wbinvd_audited, true, __ATOMIC_RELAXED))
		vm_audit(vcpu, AUDIT_INSTRUCTION, exit->vendor_reason, vcpu->regs.rip,
			 AUDIT_SKIPPED, "WBINVD");
	vcpu->vm->ops->advance_rip(vcpu, exit);
}

void exit_handle(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct vm *vm = vcpu->vm;
	const struct vendor_ops *ops = vm->ops;

	switch (exit->kind) {
	case VM_EXIT_CPUID:
		cpuid_handle(vcpu);
		ops->advance_rip(vcpu, exit);
		break;
	case VM_EXIT_IO:
		io_handle(vcpu, &exit->io);
		if (vm->state == VM_STATE_RUNNING)
			ops->advance_rip(vcpu, exit);
		break;
	case VM_EXIT_MSR_READ:
	case VM_EXIT_MSR_WRITE:
		exit_msr(vcpu, exit);
		break;
	case VM_EXIT_HYPERCALL:
		hypercall_handle(vcpu);
		ops->advance_rip(vcpu, exit);
		break;
	case VM_EXIT_HLT:
		/* HLT completes; the vCPU then waits for an interrupt, INIT or SIPI. */
		ops->advance_rip(vcpu, exit);
		vcpu_halt(vcpu);
		break;
	case VM_EXIT_NESTED_FAULT:
		/* Guest page tables in a device region are not RAM: that walk is unowned. */
		if (!exit->fault.page_walk && mmio_handle(vcpu, exit->fault.gpa, exit->fault.access))
			break;
		vm_crash(vcpu, AUDIT_NPF, exit->fault.gpa, exit->fault.access, NULL,
			 "accessed unowned guest-physical address 0x%lx (%s) at rip 0x%lx",
			 exit->fault.gpa, access_name(exit->fault.access), vcpu->regs.rip);
		break;
	case VM_EXIT_SHUTDOWN:
		vm_crash(vcpu, AUDIT_TRIPLE_FAULT, vcpu->regs.rip, 0, NULL,
			 "triple fault (shutdown) at rip 0x%lx", vcpu->regs.rip);
		break;
	case VM_EXIT_FORBIDDEN:
		vm_crash(vcpu, AUDIT_INSTRUCTION, exit->vendor_reason, vcpu->regs.rip, exit->info.what,
			 "executed forbidden instruction %s at rip 0x%lx", exit->info.what,
			 vcpu->regs.rip);
		break;
	case VM_EXIT_INVALID_STATE:
		vm_crash(vcpu, AUDIT_INVALID_STATE, exit->vendor_reason, exit->info.detail, NULL,
			 "invalid guest state: %s (detail 0x%lx)", exit->info.what,
			 exit->info.detail);
		break;
	case VM_EXIT_HOST_EVENT:
	case VM_EXIT_COMPLETED:
		break;
	case VM_EXIT_EXCEPTION:
		exit_exception(vcpu, exit);
		break;
	case VM_EXIT_WBINVD:
		exit_wbinvd(vcpu, exit);
		break;
	case VM_EXIT_RDPMC:
		/* CPUID shows no performance counters, so every counter index is invalid: #GP,
		 * as RDPMC raises for one (SDM Vol. 2B RDPMC). */
		vm_audit(vcpu, AUDIT_INSTRUCTION, exit->vendor_reason, vcpu->regs.rip, AUDIT_GP,
			 "RDPMC");
		ops->inject_exception(vcpu, X86_VECTOR_GP, true, 0);
		break;
	case VM_EXIT_XSETBV:
		xsave_xsetbv(vcpu, exit);
		break;
	case VM_EXIT_NONE:
	case VM_EXIT_UNKNOWN:
	case VM_EXIT_KIND_COUNT: /* never a kind; the same treatment if it were */
		vm_crash(vcpu, AUDIT_INVALID_STATE, exit->vendor_reason, vcpu->regs.rip, NULL,
			 "unhandled exit %s (reason 0x%lx) at rip 0x%lx",
			 exit->info.what ? exit->info.what : "unknown", exit->vendor_reason,
			 vcpu->regs.rip);
		break;
	}
}
