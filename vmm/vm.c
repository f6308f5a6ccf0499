// SPDX-License-Identifier: MIT
/* A guest's life-cycle events: stopping, crashing, resetting, and the audit trail of what it
 * was denied. Any of its vCPUs' CPUs may get here at once: the guest's lock orders them, and
 * the first decision wins. */
#include <moat/log.h>
#include <moat/string.h>
#include <moat/vm.h>
#include <moat/x86.h>

void vm_kick_vcpus(struct vm *vm)
{
	u32 kicked = 0;

	if (!vm->kick)
		return;
	for (u32 i = 0; i < vm->vcpu_count; i++) {
		u32 cpu = __atomic_load_n(&vm->vcpus[i].cpu, __ATOMIC_ACQUIRE);

		if (!(kicked & (1u << cpu))) {
			kicked |= 1u << cpu;
			vm->kick(cpu);
		}
	}
}

/* Called with vm->lock held. Returns false when an earlier decision already ended its run. */
static bool vm_leave_running(struct vm *vm, enum vm_state state, const char *reason)
{
	if (vm->state != VM_STATE_RUNNING)
		return false;
	strlcpy(vm->stop_reason, reason, sizeof(vm->stop_reason));
	vm->state = state;
	vm->parked = 0;
	return true;
}

static void vm_stop_reason(struct vm *vm, const char *reason)
{
	bool stopped;

	spin_lock(&vm->lock);
	stopped = vm_leave_running(vm, VM_STATE_STOPPED, reason);
	spin_unlock(&vm->lock);
	if (!stopped)
		return;
	log_msg(vm->has_exit_code ? LOG_INFO : LOG_ERROR, "guest '%s' stopped: %s", vm->name,
		vm->stop_reason);
	vm_kick_vcpus(vm);
}

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	char reason[VM_STOP_REASON_MAX];
	va_list args;

	va_start(args, fmt);
	format_string(reason, sizeof(reason), fmt, args);
	va_end(args);
	vm_stop_reason(vm, reason);
}

void vm_stop_with_code(struct vm *vm, u32 code)
{
	vm->has_exit_code = true;
	vm->exit_code = code;
	vm_stop(vm, "exit code 0x%x", code);
}

void vm_power_off(struct vm *vm)
{
	vm->has_exit_code = true;
	vm->exit_code = 0;
	vm_stop(vm, "powered off");
}

void vm_audit(struct vcpu *vcpu, enum audit_event event, u64 target, u64 value,
	      enum audit_action action, const char *detail)
{
	struct vm *vm = vcpu->vm;
	struct audit_record record = { .event = event, .target = target, .value = value,
				       .action = action, .detail = detail, .vcpu = vcpu->id };

	spin_lock(&vm->lock);
	audit_record(&vm->audit, vm->name, &record, x86_rdtsc());
	spin_unlock(&vm->lock);
}

/* Restarts the guest if its restarts are not used up; returns false when it must stop. */
static bool vm_restart(struct vcpu *vcpu, const char *reason)
{
	struct vm *vm = vcpu->vm;
	bool restarting;

	spin_lock(&vm->lock);
	restarting = vm->restarts < vm->config->max_restarts &&
		     vm_leave_running(vm, VM_STATE_RESTARTING, reason);
	spin_unlock(&vm->lock);
	if (!restarting)
		return false;
	log_warn("guest '%s' restarting (restart %u of %u): %s", vm->name, vm->restarts + 1,
		 vm->config->max_restarts, reason);
	vm_kick_vcpus(vm);
	return true;
}

static void vm_restart_or_stop(struct vcpu *vcpu, bool wants_restart, enum audit_event event,
			       u64 target, u64 value, const char *detail, const char *reason)
{
	struct vm *vm = vcpu->vm;
	bool restart = wants_restart && vm->restarts < vm->config->max_restarts;
	char full[VM_STOP_REASON_MAX];

	if (vm->state != VM_STATE_RUNNING)
		return; /* another vCPU already ended this run */
	vm_audit(vcpu, event, target, value, restart ? AUDIT_RESTARTED : AUDIT_STOPPED, detail);
	if (restart && vm_restart(vcpu, reason))
		return;
	if (wants_restart) {
		format(full, sizeof(full), "%s; restart limit (%u) reached", reason,
		       vm->config->max_restarts);
		vm_stop_reason(vm, full);
	} else {
		vm_stop_reason(vm, reason);
	}
}

void vm_crash(struct vcpu *vcpu, enum audit_event event, u64 target, u64 value,
	      const char *detail, const char *fmt, ...)
{
	char reason[VM_STOP_REASON_MAX];
	va_list args;

	va_start(args, fmt);
	format_string(reason, sizeof(reason), fmt, args);
	va_end(args);
	vm_restart_or_stop(vcpu, vcpu->vm->config->on_crash == CRASH_RESTART, event, target,
			   value, detail, reason);
}

void vm_reset(struct vcpu *vcpu, u64 port, u64 value)
{
	char reason[64];

	format(reason, sizeof(reason), "reset through port 0x%lx", port);
	vm_restart_or_stop(vcpu, true, AUDIT_RESET, port, value, NULL, reason);
}
