// SPDX-License-Identifier: MIT
/* A guest's life cycle events: stopping it and recording what it was denied. */
#include <moat/log.h>
#include <moat/string.h>
#include <moat/vm.h>

static const char *const denial_kind_names[] = {
	[DENIAL_PORT_READ] = "port read",   [DENIAL_PORT_WRITE] = "port write",
	[DENIAL_MSR_READ] = "msr read",     [DENIAL_MSR_WRITE] = "msr write",
	[DENIAL_HYPERCALL] = "hypercall",   [DENIAL_INSTRUCTION] = "instruction",
};

const char *denial_kind_name(enum denial_kind kind)
{
	return kind < ARRAY_SIZE(denial_kind_names) ? denial_kind_names[kind] : "unknown";
}

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

static struct denial_slot *denial_find(struct denial_log *log, enum denial_kind kind,
				       u64 address)
{
	for (u32 i = 0; i < log->used; i++)
		if (log->slots[i].kind == kind && log->slots[i].address == address)
			return &log->slots[i];
	return NULL;
}

void vm_record_denial(struct vm *vm, enum denial_kind kind, u64 address, u64 value)
{
	struct denial_log *log = &vm->denials;
	struct denial_slot *slot = denial_find(log, kind, address);

	log->total++;
	if (slot) {
		slot->count++;
		return;
	}
	if (log->used == VM_DENIAL_SLOTS) {
		log->unrecorded++;
		return;
	}
	log->slots[log->used++] = (struct denial_slot){ .kind = kind, .address = address,
							.count = 1 };
	if (kind == DENIAL_PORT_WRITE || kind == DENIAL_MSR_WRITE)
		log_warn("guest '%s': denied %s 0x%lx (value 0x%lx)", vm->name,
			 denial_kind_name(kind), address, value);
	else
		log_warn("guest '%s': denied %s 0x%lx", vm->name, denial_kind_name(kind), address);
}
