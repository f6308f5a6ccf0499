// SPDX-License-Identifier: MIT
/* A guest's life-cycle events: stopping, crashing, resetting, and the audit trail of what it
 * was denied. */
#include <moat/log.h>
#include <moat/string.h>
#include <moat/vm.h>
#include <moat/x86.h>

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	va_list args;

	if (vm->state == VM_STATE_STOPPED)
		return;
	va_start(args, fmt);
	format_string(vm->stop_reason, sizeof(vm->stop_reason), fmt, args);
	va_end(args);
	vm->state = VM_STATE_STOPPED;
	if (vm->config->devices & GUEST_DEVICE_UART)
		uart_flush(&vm->uart);
	log_msg(vm->has_exit_code ? LOG_INFO : LOG_ERROR, "guest '%s' stopped: %s", vm->name,
		vm->stop_reason);
}

void vm_stop_with_code(struct vm *vm, u32 code)
{
	vm->has_exit_code = true;
	vm->exit_code = code;
	vm_stop(vm, "exit code 0x%x", code);
}

void vm_audit(struct vm *vm, enum audit_event event, u64 target, u64 value,
	      enum audit_action action, const char *detail)
{
	struct audit_record record = { .event = event, .target = target, .value = value,
				       .action = action, .detail = detail, .vcpu = vm->vcpu.id };

	audit_record(&vm->audit, vm->name, &record, x86_rdtsc());
}

/* Restarts the guest if its restarts are not used up; returns false when it must stop. */
static bool vm_restart(struct vm *vm, const char *reason)
{
	if (vm->restarts >= vm->config->max_restarts)
		return false;
	vm->state = VM_STATE_RESTARTING;
	strlcpy(vm->stop_reason, reason, sizeof(vm->stop_reason));
	if (vm->config->devices & GUEST_DEVICE_UART)
		uart_flush(&vm->uart);
	log_warn("guest '%s' restarting (restart %u of %u): %s", vm->name, vm->restarts + 1,
		 vm->config->max_restarts, reason);
	return true;
}

static void vm_restart_or_stop(struct vm *vm, bool wants_restart, enum audit_event event,
			       u64 target, u64 value, const char *detail, const char *reason)
{
	bool restart = wants_restart && vm->restarts < vm->config->max_restarts;

	vm_audit(vm, event, target, value, restart ? AUDIT_RESTARTED : AUDIT_STOPPED, detail);
	if (restart && vm_restart(vm, reason))
		return;
	if (wants_restart)
		vm_stop(vm, "%s; restart limit (%u) reached", reason, vm->config->max_restarts);
	else
		vm_stop(vm, "%s", reason);
}

void vm_crash(struct vm *vm, enum audit_event event, u64 target, u64 value, const char *detail,
	      const char *fmt, ...)
{
	char reason[VM_STOP_REASON_MAX];
	va_list args;

	va_start(args, fmt);
	format_string(reason, sizeof(reason), fmt, args);
	va_end(args);
	vm_restart_or_stop(vm, vm->config->on_crash == CRASH_RESTART, event, target, value,
			   detail, reason);
}

void vm_reset(struct vm *vm, u64 port, u64 value)
{
	char reason[64];

	format(reason, sizeof(reason), "reset through port 0x%lx", port);
	vm_restart_or_stop(vm, true, AUDIT_RESET, port, value, NULL, reason);
}
