/* SPDX-License-Identifier: MIT */
/* A guest (vmm/vm.c): its memory map, nested tables, devices, vCPU and life cycle. */
#ifndef MOAT_VM_H
#define MOAT_VM_H

#include <moat/audit.h>
#include <moat/config.h>
#include <moat/guest_mem.h>
#include <moat/io.h>
#include <moat/pagetable.h>
#include <moat/uart16550.h>
#include <moat/vcpu.h>

#define VM_STOP_REASON_MAX 352

enum vm_state {
	VM_STATE_NOT_STARTED, /* rejected before it ran: stop_reason says why */
	VM_STATE_RUNNING,
	VM_STATE_RESTARTING,  /* crashed or reset; the run loop builds it again */
	VM_STATE_STOPPED,
};

/* A guest's use of its CPU time, for time limits and exit-flood detection. */
struct vm_clock {
	u64 tsc_per_ms;    /* measured at boot */
	u64 run_ticks;     /* TSC ticks spent in the guest since it (re)started */
	u64 window_start;  /* run_ticks at the start of the current flood window */
	u64 window_exits;
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
	u32 shared_count;
	const struct shared_config *shared[CONFIG_MAX_SHARED];
	hpa_t shared_hpa[CONFIG_MAX_SHARED];
	struct page_table nested;
	struct io_table io;
	struct uart16550 uart;
	struct vcpu vcpu;

	struct audit_log audit;
	struct vm_clock clock;
	u32 restarts;
	uart_input_fn console_input; /* host input for this guest's UART, or NULL */
	bool has_exit_code;
	u32 exit_code;
	char stop_reason[VM_STOP_REASON_MAX];
};

/* Marks the guest stopped with a reason (printed in the log and the shutdown summary). */
void vm_stop(struct vm *vm, const char *fmt, ...) __printf(2, 3);
/* Stops the guest with an exit code written to its test-exit port. */
void vm_stop_with_code(struct vm *vm, u32 code);
/* Records a denied or contained action in the guest's audit trail. */
void vm_audit(struct vm *vm, enum audit_event event, u64 target, u64 value,
	      enum audit_action action, const char *detail);
/* A crash: audited, then the guest restarts or stops as its on-crash policy says. */
void vm_crash(struct vm *vm, enum audit_event event, u64 target, u64 value, const char *detail,
	      const char *fmt, ...) __printf(6, 7);
/* The guest reset itself: it restarts whatever on-crash says, within max-restarts. */
void vm_reset(struct vm *vm, u64 port, u64 value);

#endif
