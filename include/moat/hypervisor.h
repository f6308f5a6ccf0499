/* SPDX-License-Identifier: MIT */
/* The whole monitor as one value (vmm/hypervisor.c): configuration, vendor, memory and
 * guests. boot/ fills it in; the run loop (vmm/sched.c) drives it until every guest stops. */
#ifndef MOAT_HYPERVISOR_H
#define MOAT_HYPERVISOR_H

#include <moat/config.h>
#include <moat/frame.h>
#include <moat/loader.h>
#include <moat/vm.h>

/* Per guest: the image, its modules and its initrd. */
#define BOOT_MAX_FILES (CONFIG_MAX_GUESTS * (CONFIG_MAX_MODULES + 2))

/* Files read from the boot volume before Moat took the machine. */
struct boot_files {
	struct image_file files[BOOT_MAX_FILES];
	u32 count;
};

struct hypervisor {
	struct moat_config config;
	const struct vendor_ops *ops;
	struct frame_allocator *frames;
	struct vm vms[CONFIG_MAX_GUESTS];
	u32 vm_count;
	uart_input_fn console_input; /* host console input, given to the first guest UART */
	const struct boot_files *files; /* kept for restarts */
	hpa_t shared_hpa[CONFIG_MAX_SHARED]; /* host memory of config.shared[i] */
	u64 tsc_per_ms;                 /* measured at boot */
	struct host_wall_clock wall_clock; /* from boot/, before ExitBootServices */
	u64 slice_ticks;                /* config.slice_us in TSC ticks */
	u32 dedicated_cpus;             /* CPUs a dedicated guest holds (vmm/placement.c) */
	/* From arch before placement: the core of each CPU; SMT siblings share one. */
	u32 cpu_core[CONFIG_MAX_CPUS];
	/* From placement, under smt-siblings "same-guest": the CPUs that have an online
	 * sibling, and per CPU the one guest its core is kept for (NULL: none). */
	u32 smt_shared_cpus;
	const struct vm *core_owner[CONFIG_MAX_CPUS];
	/* Every vCPU of every guest that was placed, in configuration order: the run loops
	 * go through this list (it does not change once the CPUs run). */
	struct vcpu *vcpus[CONFIG_MAX_GUESTS * CONFIG_MAX_VCPUS];
	u32 vcpu_total;
	/* Per CPU: an idle CPU asked it for a vCPU (sched_ask_for_work). */
	u32 handover_asked[CONFIG_MAX_CPUS];
	/* From arch: sleep until an interrupt; make a CPU look at its vCPUs again. */
	void (*idle)(void);
	/* Makes Moat's timer interrupt the calling CPU no later than host TSC tsc (it still
	 * fires at least once a slice); NULL in unit tests. */
	void (*timer_wake_by)(u64 tsc);
	vm_kick_fn kick;
	/* From arch: run when a CPU switches from one guest's vCPU to another guest's (IBPB,
	 * docs/speculation.md); NULL when the CPU needs nothing. */
	void (*guest_switch)(void);
};

const struct image_file *boot_files_find(const struct boot_files *files, const char *path);

/*
 * Creates a VM for every configured guest: valid ones get RAM, nested tables, devices, their
 * image and a vCPU; a guest that fails any step is left NOT_STARTED with the reason logged
 * once. Returns the number of guests ready to run.
 */
u32 hypervisor_create_guests(struct hypervisor *hv, const struct boot_files *files);
/* Sets the TSC rate measured once Moat owns the machine, for every guest's clock. */
void hypervisor_set_clock(struct hypervisor *hv, u64 tsc_per_ms);
/* A crashed or reset guest whose vCPUs are all parked, on cpu, the CPU that parked the last:
 * its vCPUs and tables are released, and its restart becomes work cpu's run loop continues
 * in steps (docs/scheduling.md, "Restarts"). */
void hypervisor_restart_begin(struct hypervisor *hv, struct vm *vm, u32 cpu);
enum restart_progress {
	RESTART_BUSY,    /* more RAM to zero: call again soon */
	RESTART_WAITING, /* zeroed; waiting for the backoff to end */
	RESTART_OVER,    /* running again, or stopped (restart failed, time limit) */
};
/* One step of vm's restart on its CPU, charged to the guest: a bounded piece of zeroing, or,
 * once zeroed and past the backoff, building it again from its configuration and the boot
 * files (images loaded again, the same devices) and kicking its vCPUs' CPUs. */
enum restart_progress hypervisor_restart_step(struct hypervisor *hv, struct vm *vm);
/* Releases a guest's vCPUs, tables and RAM (zeroed) back to the frame allocator. */
void vm_destroy(struct vm *vm);
/* Places every vCPU on one online CPU of its set (docs/scheduling.md); a guest that cannot
 * be placed is not started, with the reason logged. */
void hypervisor_place_guests(struct hypervisor *hv, bool (*cpu_online)(u32 cpu));
/* Whether a vCPU of vm may run on cpu as far as SMT siblings go: under "same-guest", a CPU
 * with an online sibling runs only the guest its core was given at placement. */
bool hypervisor_core_allows(const struct hypervisor *hv, const struct vm *vm, u32 cpu);
/* Runs the vCPUs placed on cpu (the calling CPU) until all of their guests have stopped. */
void sched_run(struct hypervisor *hv, u32 cpu);
/* Whether cpu has, or may be handed, vCPUs to run: a CPU for which this is false at start
 * needs no run loop. */
bool sched_cpu_has_work(struct hypervisor *hv, u32 cpu);
/* cpu cannot run guests: stops every guest with a vCPU there and parks those vCPUs. */
void sched_abandon_cpu(struct hypervisor *hv, u32 cpu, const char *why);
/* Prints one summary line per guest. */
void hypervisor_print_summary(const struct hypervisor *hv);

#endif
