// SPDX-License-Identifier: MIT
/* Moat's entry point: read and check everything while the firmware still runs, build the
 * guests, take the machine, run the guests until they all stop, report, power off. */
#include <moat/arch.h>
#include <moat/host_map.h>
#include <moat/log.h>
#include <moat/pagetable.h>
#include <moat/smp.h>
#include <moat/string.h>
#include <moat/x86.h>
#include <moat/xsave.h>

#include "boot.h"

#define MOAT_VERSION "0.1"
/* Moat's timer makes every guest exit at least this often (one scheduling slice). */

/* Everything Moat keeps lives here, in the image's own data. */
static struct hypervisor hypervisor;
static struct boot_files boot_files;
static struct frame_allocator frames;
/* Application processors still running guests. */
static u32 cpus_running;

static __noreturn void finish(struct hypervisor *hv)
{
	/* No guest runs any more: what they printed goes out before the summary, which is
	 * written out line by line. */
	log_set_buffered(false);
	log_flush();
	hypervisor_print_summary(hv);
	log_info("all guests stopped, powering off");
	platform_power_off();
}

/* Marks every guest not started with one reason (nothing can run on this machine). */
static __noreturn void finish_without_guests(struct hypervisor *hv, const char *reason)
{
	hv->vm_count = hv->config.guest_count;
	for (u32 i = 0; i < hv->vm_count; i++) {
		struct vm *vm = &hv->vms[i];

		vm->name = hv->config.guests[i].name;
		vm->state = VM_STATE_NOT_STARTED;
		if (hv->config.guests[i].valid)
			strlcpy(vm->stop_reason, reason, sizeof(vm->stop_reason));
		else
			format(vm->stop_reason, sizeof(vm->stop_reason), "config: %s",
			       hv->config.guests[i].error);
	}
	finish(hv);
}

static bool load_config(EFI_FILE_HANDLE root, struct moat_config *config)
{
	struct image_file dtb;
	char err[CONFIG_ERROR_MAX];

	if (EFI_ERROR(boot_read_file(root, BOOT_CONFIG_PATH, &dtb)))
		return false;
	if (config_parse(dtb.data, dtb.size, config, err, sizeof(err))) {
		log_error("config: %s", err);
		return false;
	}
	log_set_level(config->log_level);
	for (u32 i = 0; i < config->shared_count; i++)
		if (!config->shared[i].valid)
			log_error("config: %s", config->shared[i].error);
	for (u32 i = 0; i < config->guest_count; i++)
		if (!config->guests[i].valid)
			log_error("config: %s", config->guests[i].error);
	return true;
}

/* Guest RAM is data to Moat: never executable in its own tables (docs/architecture.md). */
static void check_guest_ram_mappings(const struct hypervisor *hv)
{
	/* As Moat's own data (rw nx, or rwx on a CPU without NX: host_paging.c says so). */
	u32 data = arch_host_mapping_perms((u64)(uintptr_t)hv), checked = 0;

	for (u32 i = 0; i < hv->vm_count; i++) {
		const struct vm *vm = &hv->vms[i];
		u64 last = vm->ram_hpa + vm->config->memory_size - PAGE_SIZE;

		if (vm->state != VM_STATE_RUNNING || !vm->ram_hpa)
			continue;
		if (!(data & PT_WRITE) || arch_host_mapping_perms(vm->ram_hpa) != data ||
		    arch_host_mapping_perms(last) != data)
			panic("host mappings: guest '%s' RAM at 0x%lx is not rw nx for Moat",
			      vm->name, vm->ram_hpa);
		checked++;
	}
	log_info("host mappings: guest RAM of %u guests rw nx, checked", checked);
}

/* What each application processor runs: its own VMX/SVM, timer and run loop. */
static void cpu_main(void *arg)
{
	struct hypervisor *hv = arg;
	u32 cpu = smp_this_cpu();

	x86_cli();
	arch_speculation_cpu_enable();
	if (hv->ops->cpu_enable(cpu)) {
		sched_abandon_cpu(hv, cpu, "cannot enable");
	} else {
		arch_timer_start(hv->config.slice_us);
		sched_run(hv, cpu);
	}
	__atomic_fetch_sub(&cpus_running, 1, __ATOMIC_RELEASE);
}

/* Hands every other CPU that has vCPUs, or may be handed some, its own run loop. */
static void start_other_cpus(struct hypervisor *hv)
{
	smp_log_topology();
	for (u32 cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		hv->cpu_core[cpu] = smp_cpu_core(cpu);
	hypervisor_place_guests(hv, smp_cpu_online);
	for (u32 cpu = 1; cpu < SMP_MAX_CPUS; cpu++) {
		if (!smp_cpu_online(cpu) || !sched_cpu_has_work(hv, cpu))
			continue;
		if (hv->ops->cpu_prepare(cpu, &frames)) {
			sched_abandon_cpu(hv, cpu, "no memory to enable");
			continue;
		}
		__atomic_fetch_add(&cpus_running, 1, __ATOMIC_RELEASE);
		if (smp_run_on(cpu, cpu_main, hv)) {
			__atomic_fetch_sub(&cpus_running, 1, __ATOMIC_RELEASE);
			sched_abandon_cpu(hv, cpu, "could not start");
		}
	}
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	struct hypervisor *hv = &hypervisor;
	EFI_FILE_HANDLE root;
	struct host_layout layout;

	InitializeLib(image, system_table);
	arch_set_fs_canary_block();
	boot_power_init(system_table->RuntimeServices);
	serial_init();
	log_set_transmitter(serial_transmit);
	log_info("Moat %s starting", MOAT_VERSION);
	log_info("console: COM1, %u byte%s per transmit burst", serial_fifo_bytes(),
		 serial_fifo_bytes() == 1 ? "" : "s");

	if (EFI_ERROR(boot_open_volume(image, &root)) || !load_config(root, &hv->config))
		finish_without_guests(hv, "no usable configuration");
	hv->ops = vendor_select();
	if (!hv->ops)
		finish_without_guests(hv, "no usable virtualization extension");
	log_info("using %s", hv->ops->name);
	xsave_init(arch_guest_xstate_mask());
	boot_read_wall_clock(system_table->RuntimeServices, &hv->wall_clock);
	arch_speculation_init();
	boot_read_guest_files(root, &hv->config, &boot_files);
	boot_reserve_memory(&hv->config, &frames);
	hv->frames = &frames;
	hv->console_input = serial_read_byte;
	hv->idle = arch_idle;
	hv->timer_wake_by = arch_timer_wake_by;
	hv->kick = smp_kick;
	hv->guest_switch = arch_speculation_switch_barrier();
	if (!hypervisor_create_guests(hv, &boot_files))
		finish(hv);

	boot_reserve_ap_pages();
	if (EFI_ERROR(boot_exit_firmware(image, &layout)))
		panic("could not take the machine from the firmware");
	arch_mask_legacy_interrupts();
	if (arch_cpu_init(&frames, &layout))
		panic("could not build Moat's own page tables");
	arch_speculation_cpu_enable();
	check_guest_ram_mappings(hv);
	if (hv->ops->cpu_prepare(0, &frames) || hv->ops->cpu_enable(0))
		panic("could not enable %s", hv->ops->name);
	hypervisor_set_clock(hv, arch_calibrate_time());
	log_info("sched: slice %u us", hv->config.slice_us);
	/* From here on guests run: Moat's lines are queued and written to COM1 as it takes them,
	 * never waited for in an exit (docs/architecture.md, "The console"). */
	log_set_buffered(true);
	/* The other CPUs start, park, and get the guests placed on them (docs/scheduling.md). */
	smp_start_aps(&frames, hv->tsc_per_ms);
	start_other_cpus(hv);
	arch_timer_start(hv->config.slice_us);
	sched_run(hv, 0);
	while (__atomic_load_n(&cpus_running, __ATOMIC_ACQUIRE))
		x86_pause();
	finish(hv);
}
