/* SPDX-License-Identifier: MIT */
/* A guest (vmm/vm.c): its memory map, nested tables, devices, vCPU and life cycle. */
#ifndef MOAT_VM_H
#define MOAT_VM_H

#include <moat/audit.h>
#include <moat/config.h>
#include <moat/console.h>
#include <moat/guest_mem.h>
#include <moat/io.h>
#include <moat/ioapic.h>
#include <moat/legacy.h>
#include <moat/mmio.h>
#include <moat/pagetable.h>
#include <moat/restart.h>
#include <moat/spinlock.h>
#include <moat/uart16550.h>
#include <moat/vcpu.h>
#include <moat/x86.h>

#define VM_STOP_REASON_MAX 352

enum vm_state {
	VM_STATE_NOT_STARTED, /* rejected before it ran: stop_reason says why */
	VM_STATE_RUNNING,
	VM_STATE_RESTARTING,  /* crashed or reset; the run loop builds it again */
	VM_STATE_STOPPED,
};

/* Asks a CPU to look at its vCPUs again (an IPI to Moat on that CPU; nothing when it is the
 * calling CPU); NULL in unit tests. */
typedef void (*vm_kick_fn)(u32 cpu);

/* A restart under way (docs/scheduling.md, "Restarts"): the CPU that parked the guest's last
 * vCPU zeroes its RAM in steps between other vCPUs' slices, waits out the backoff, then builds
 * the guest again. Only that CPU touches it while active. */
struct vm_restart {
	bool active;
	u32 cpu;                     /* the CPU doing it */
	struct restart_scrub scrub;  /* the guest's RAM, zeroed in place */
	u64 parked_tsc;              /* when its last vCPU was parked */
	u64 not_before;              /* TSC at which the backoff ends */
	u32 backoff_ms;              /* of the restart under way */
	u64 work_ticks;              /* every restart's zeroing and rebuilding, all charged */
	u64 backoff_total_ms;        /* every restart's backoff */
};

/* The host's wall clock, read once at boot (UEFI GetTime, boot/efi_main.c): UTC seconds since
 * 1970 at host TSC tsc; valid is false when the firmware gave no time. For kvmclock. */
struct host_wall_clock {
	u64 unix_seconds;
	u64 tsc;
	bool valid;
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
	struct mmio_table mmio; /* its memory-mapped devices, under device_lock too */
	struct uart16550 uart;
	struct ioapic ioapic; /* under device_lock */
	struct pit pit;   /* the legacy ports' state (include/moat/legacy.h) */
	struct cmos cmos;
	u32 vcpu_count;
	struct vcpu vcpus[CONFIG_MAX_VCPUS];

	/* state, every vCPU's run state and pending SIPI, parked, the audit trail */
	struct spinlock lock;
	struct spinlock device_lock; /* the devices in io; taken before lock, never after */
	u32 parked;     /* vCPUs parked since the guest left VM_STATE_RUNNING */
	u32 generation; /* how many times it was rebuilt (restarts that succeeded) */
	vm_kick_fn kick;

	struct audit_log audit;
	struct guest_console console; /* its console budget, kept across restarts */
	u64 tsc_per_ms;   /* measured at boot */
	struct host_wall_clock wall_clock; /* the host's, at boot */
	/* all its vCPUs' run time and its restarts' work, over all its runs, for time-limit-ms */
	u64 run_ticks;
	/* Added to the host TSC for every vCPU of the guest (one value keeps them in step):
	 * the guest's TSC counts from 0 at its first entry after each (re)start and reveals
	 * nothing of the host's. Set by vm_start_clock. */
	u64 tsc_offset;
	bool clock_started;
	bool wbinvd_audited; /* WBINVD is recorded once per guest, however often it runs */
	u32 restarts;
	struct vm_restart restart;
	uart_input_fn console_input; /* host input for this guest's UART, or NULL */
	bool has_exit_code;
	u32 exit_code;
	char stop_reason[VM_STOP_REASON_MAX];
};

/* Marks the guest stopped with a reason (printed in the log and the shutdown summary). */
void vm_stop(struct vm *vm, const char *fmt, ...) __printf(2, 3);
/* Stops the guest with an exit code written to its test-exit port. */
void vm_stop_with_code(struct vm *vm, u32 code);
/* Stops the guest as "powered off" with exit code 0: it asked for ACPI S5 (soft off). */
void vm_power_off(struct vm *vm);
/* Records a denied or contained action of vcpu in its guest's audit trail. */
void vm_audit(struct vcpu *vcpu, enum audit_event event, u64 target, u64 value,
	      enum audit_action action, const char *detail);
/* A crash: audited, then the guest restarts or stops as its on-crash policy says. */
void vm_crash(struct vcpu *vcpu, enum audit_event event, u64 target, u64 value,
	      const char *detail, const char *fmt, ...) __printf(6, 7);
/* The guest reset itself: it restarts whatever on-crash says, within max-restarts. */
void vm_reset(struct vcpu *vcpu, u64 port, u64 value);
/* Asks the CPUs of the guest's vCPUs to look at them again (a kick skips the calling CPU,
 * which looks anyway when the current exit is handled). */
void vm_kick_vcpus(struct vm *vm);

/* ---- vmm/vcpu_state.c: halting, waking, INIT and SIPI between a guest's vCPUs ---- */
/* vcpu executed HLT: it gives up its CPU until something can wake it. When no vCPU of the
 * guest can run any more, the guest stops. */
void vcpu_halt(struct vcpu *vcpu);
/* Requests interrupt vector on target; wakes it from a HLT it entered with IF set. */
void vcpu_post_interrupt(struct vcpu *target, u8 vector);
/* INIT: target waits for a start-up IPI. */
void vcpu_post_init(struct vcpu *target);
/* Start-up IPI: a vCPU waiting for one starts in real mode at vector << 12. */
void vcpu_post_sipi(struct vcpu *target, u8 vector);
/* The slow path of vcpu_prepare_entry. */
void vcpu_take_requests(struct vcpu *vcpu);

/* Before an entry, on vcpu's own CPU: applies a pending start-up and injects the highest
 * requested interrupt the guest can take now. Inline: on most entries there is neither. */
static inline void vcpu_prepare_entry(struct vcpu *vcpu)
{
	if (__atomic_load_n(&vcpu->sipi_pending, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&vcpu->apic.pending, __ATOMIC_ACQUIRE))
		vcpu_take_requests(vcpu);
}
bool vcpu_is_runnable(struct vcpu *vcpu);

/* The guest's clock at host TSC host_tsc: its TSC without any vCPU's own adjustment, which the
 * guest-wide devices (PIT, CMOS, kvmclock) count in. */
static inline u64 vm_guest_tsc(const struct vm *vm, u64 host_tsc)
{
	return host_tsc + __atomic_load_n(&vm->tsc_offset, __ATOMIC_RELAXED);
}

/* What both vendors add to the host TSC for vcpu's RDTSC: its guest's offset and its own
 * IA32_TSC_ADJUST. */
static inline u64 vcpu_tsc_offset(const struct vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->vm->tsc_offset, __ATOMIC_RELAXED) + vcpu->tsc_adjust;
}

/* Before a slice of one of the guest's vCPUs: the first one since it (re)started sets the
 * guest's TSC to 0. Only vCPU 0 can run then (the others wait for a SIPI, which it sends
 * later), so one CPU sets it; the release store publishes the offset with the flag. */
static inline void vm_start_clock(struct vm *vm)
{
	if (__atomic_load_n(&vm->clock_started, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&vm->tsc_offset, -x86_rdtsc(), __ATOMIC_RELAXED);
	__atomic_store_n(&vm->clock_started, true, __ATOMIC_RELEASE);
}

#endif
