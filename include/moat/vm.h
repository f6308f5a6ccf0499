/* SPDX-License-Identifier: MIT */
/* A guest (vmm/vm.c): its memory map, nested tables, devices, vCPU and life cycle. */
#ifndef MOAT_VM_H
#define MOAT_VM_H

#include <moat/config.h>
#include <moat/guest_mem.h>
#include <moat/io.h>
#include <moat/pagetable.h>
#include <moat/uart16550.h>
#include <moat/vcpu.h>

#define VM_STOP_REASON_MAX 352
#define VM_DENIAL_SLOTS 32

enum vm_state {
	VM_STATE_NOT_STARTED, /* rejected before it ran: stop_reason says why */
	VM_STATE_RUNNING,
	VM_STATE_STOPPED,
};

enum denial_kind {
	DENIAL_PORT_READ,
	DENIAL_PORT_WRITE,
	DENIAL_MSR_READ,
	DENIAL_MSR_WRITE,
	DENIAL_HYPERCALL,
	DENIAL_INSTRUCTION,
};

/* Denied accesses seen, so each (kind, address) is logged once with a running count. */
struct denial_slot {
	enum denial_kind kind;
	u64 address;
	u64 count;
};

struct denial_log {
	struct denial_slot slots[VM_DENIAL_SLOTS];
	u32 used;
	u64 total;
	u64 unrecorded; /* denials of new addresses after the slots filled up */
};

struct vm {
	u32 id;
	const struct guest_config *config;
	const char *name;
	const struct vendor_ops *ops;
	struct frame_allocator *frames;
	enum vm_state state;

	struct guest_memory memory;
	hpa_t ram_hpa;
	struct page_table nested;
	struct io_table io;
	struct uart16550 uart;
	struct vcpu vcpu;

	struct denial_log denials;
	u64 exits;
	bool has_exit_code;
	u32 exit_code;
	char stop_reason[VM_STOP_REASON_MAX];
};

/* Marks the guest stopped with a reason (printed in the log and the shutdown summary). */
void vm_stop(struct vm *vm, const char *fmt, ...) __printf(2, 3);
/* Stops the guest with an exit code written to its test-exit port. */
void vm_stop_with_code(struct vm *vm, u32 code);
/* Records a denied access, logging it the first time this (kind, address) is seen. */
void vm_record_denial(struct vm *vm, enum denial_kind kind, u64 address, u64 value);
const char *denial_kind_name(enum denial_kind kind);

#endif
