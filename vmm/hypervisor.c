// SPDX-License-Identifier: MIT
/* Turns the configuration and the files read at boot into guests ready to run, and reports
 * how each one ended. */
#include <moat/acpi.h>
#include <moat/acpi_power.h>
#include <moat/errno.h>
#include <moat/exit.h>
#include <moat/hypervisor.h>
#include <moat/platform.h>
#include <moat/log.h>
#include <moat/string.h>
#include <moat/reset.h>
#include <moat/test_exit.h>
#include <moat/vlapic.h>
#include <moat/x86.h>

#define US_PER_MS 1000

const struct image_file *boot_files_find(const struct boot_files *files, const char *path)
{
	for (u32 i = 0; i < files->count; i++)
		if (strcmp(files->files[i].path, path) == 0)
			return &files->files[i];
	return NULL;
}

static void vm_reject(struct vm *vm, const char *fmt, ...) __printf(2, 3);
static void vm_reject(struct vm *vm, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	format_string(vm->stop_reason, sizeof(vm->stop_reason), fmt, args);
	va_end(args);
	vm->state = VM_STATE_NOT_STARTED;
	log_error("guest '%s': %s", vm->name, vm->stop_reason);
}

/* RAM is taken once, when the guest is first built: a restart zeroes it in place
 * (docs/scheduling.md, "Restarts"), so it is never zeroed twice nor lost to another guest. */
static int vm_setup_memory(struct vm *vm)
{
	u64 size = vm->config->memory_size;
	/* 2 MiB alignment lets the nested tables use large pages. */
	u64 align = IS_ALIGNED(size, PAGE_SIZE_2M) ? PAGE_SIZE_2M : PAGE_SIZE;
	int ret;

	if (!vm->ram_hpa)
		vm->ram_hpa = frame_alloc(vm->frames, size / PAGE_SIZE, align);
	if (!vm->ram_hpa) {
		vm_reject(vm, "not enough host memory for %lu MiB of RAM", size >> 20);
		return -MOAT_ENOMEM;
	}
	guest_memory_init(&vm->memory);
	ret = guest_memory_add(&vm->memory, 0, size, vm->ram_hpa, PT_RWX, GPA_REGION_RAM);
	for (u32 i = 0; !ret && i < vm->shared_count; i++)
		ret = guest_memory_add(&vm->memory, vm->shared[i]->address, vm->shared[i]->size,
				       vm->shared_hpa[i], PT_READ | PT_WRITE, GPA_REGION_SHARED);
	if (!ret)
		ret = pt_create(&vm->nested, vm->ops->nested_format, vm->frames);
	if (!ret)
		ret = guest_memory_map_all(&vm->memory, &vm->nested);
	if (ret)
		vm_reject(vm, "cannot build the nested page tables (error %d)", ret);
	return ret;
}

/* The legacy PC ports; the i8042 handler is told which of its two ports it answers. */
static void vm_setup_legacy_ports(struct vm *vm)
{
	pit_init(&vm->pit, vm);
	cmos_init(&vm->cmos, vm, CMOS_DEFAULT_WALL_CLOCK);
	io_table_add(&vm->io, PLATFORM_PIC_MASTER_BASE, PLATFORM_PIC_PORTS, legacy_absent_io, NULL);
	io_table_add(&vm->io, PLATFORM_PIC_SLAVE_BASE, PLATFORM_PIC_PORTS, legacy_absent_io, NULL);
	io_table_add(&vm->io, PLATFORM_POST_PORT, 1, legacy_absent_io, NULL);
	/* No PCI bus: Linux probes configuration mechanism #1 at boot (then says so once). */
	io_table_add(&vm->io, PLATFORM_PCI_ADDRESS_PORT, 1, legacy_absent_io, NULL);
	io_table_add(&vm->io, PLATFORM_PCI_ADDRESS_HIGH_PORT, 2, legacy_absent_io, NULL);
	io_table_add(&vm->io, PLATFORM_PCI_DATA_PORT, PLATFORM_PCI_DATA_PORTS, legacy_absent_io, NULL);
	io_table_add(&vm->io, PLATFORM_PIT_BASE, PLATFORM_PIT_PORTS, pit_io, &vm->pit);
	io_table_add(&vm->io, PLATFORM_PORT_B, 1, pit_port_b_io, &vm->pit);
	io_table_add(&vm->io, PLATFORM_CMOS_BASE, PLATFORM_CMOS_PORTS, cmos_io, &vm->cmos);
	io_table_add(&vm->io, PLATFORM_I8042_DATA_PORT, 1, i8042_io,
		     (void *)PLATFORM_I8042_DATA_PORT);
	io_table_add(&vm->io, PLATFORM_I8042_COMMAND_PORT, 1, i8042_io,
		     (void *)PLATFORM_I8042_COMMAND_PORT);
}

static int vm_setup_devices(struct vm *vm)
{
	const struct guest_config *config = vm->config;
	int ret;

	io_table_init(&vm->io);
	mmio_table_init(&vm->mmio);
	/* The table is empty and the ranges are disjoint: adding cannot fail. */
	if (config->devices & GUEST_DEVICE_UART) {
		/* Under the lock CPU 0's input poll takes (vm_poll_console_input). */
		spin_lock(&vm->device_lock);
		uart_init(&vm->uart, vm, vm_console_line, vm->console_input);
		uart_connect_irq(&vm->uart, vm_console_irq);
		spin_unlock(&vm->device_lock);
		io_table_add(&vm->io, UART_COM1_BASE, UART_PORT_COUNT, uart_io, &vm->uart);
	}
	if (config->devices & GUEST_DEVICE_TEST_EXIT)
		io_table_add(&vm->io, TEST_EXIT_PORT, TEST_EXIT_PORT_COUNT, test_exit_io, NULL);
	/* The sleep registers the guest's FADT names (poweroff). */
	if (config->acpi)
		io_table_add(&vm->io, ACPI_POWER_PORT_BASE, ACPI_POWER_PORT_COUNT, acpi_power_io,
			     NULL);
	/* Every guest may reset itself, and has the legacy ports (docs/guest-interface.md). */
	io_table_add(&vm->io, RESET_CONTROL_PORT, 1, reset_io, NULL);
	vm_setup_legacy_ports(vm);
	/* Every guest's platform has the I/O APIC; its ID follows the vCPUs' APIC IDs. */
	ioapic_init(&vm->ioapic, config->vcpu_count);
	ret = vm_add_mmio(vm, PLATFORM_IOAPIC_BASE, PLATFORM_IOAPIC_SIZE, ioapic_mmio, vm);
	if (ret) {
		vm_reject(vm, "the I/O APIC at 0x%lx overlaps its memory (error %d)",
			  (u64)PLATFORM_IOAPIC_BASE, ret);
		return ret;
	}
	/* And its local APICs' page (each vCPU's access reaching its own APIC). */
	ret = vlapic_add_mmio(vm);
	if (ret)
		vm_reject(vm, "the local APIC page at 0x%lx overlaps its memory (error %d)",
			  (u64)PLATFORM_LAPIC_BASE, ret);
	return ret;
}

static int vm_load_image(struct vm *vm, const struct boot_files *files,
			 struct guest_entry_state *entry)
{
	const struct guest_config *config = vm->config;
	struct image_file modules[CONFIG_MAX_MODULES];
	const struct image_file *image = boot_files_find(files, config->image);
	char err[CONFIG_ERROR_MAX];
	struct loader_context ctx = { .config = config, .memory = &vm->memory, .image = image,
				      .modules = modules, .err = err, .err_size = sizeof(err) };
	int ret;

	if (!image) {
		vm_reject(vm, "image %s: not found on the boot volume", config->image);
		return -MOAT_ENOENT;
	}
	for (u32 i = 0; i < config->module_count; i++) {
		const struct image_file *module = boot_files_find(files, config->modules[i]);

		if (!module) {
			vm_reject(vm, "module %s: not found on the boot volume",
				  config->modules[i]);
			return -MOAT_ENOENT;
		}
		modules[i] = *module;
	}
	if (config->initrd[0]) {
		ctx.initrd = boot_files_find(files, config->initrd);
		if (!ctx.initrd) {
			vm_reject(vm, "initrd %s: not found on the boot volume", config->initrd);
			return -MOAT_ENOENT;
		}
	}
	ret = loader_load(&ctx, entry);
	if (ret) {
		vm_reject(vm, "image %s", err);
		return ret;
	}
	/* After the image: the tables sit in RAM its memory map reserves. */
	ret = config->acpi ? acpi_install(config, &vm->memory, err, sizeof(err)) : 0;
	if (ret)
		vm_reject(vm, "%s", err);
	return ret;
}

/* Every vCPU but the first waits for a start-up IPI from the guest (SDM Vol. 3 9.1). */
static const struct guest_entry_state vcpu_wait_for_sipi = { .mode = GUEST_ENTRY_REAL16 };

/* Sets up the guest's vCPUs; their placement (cpu) is kept across restarts. */
static int vm_create_vcpus(struct hypervisor *hv, struct vm *vm,
			   const struct guest_entry_state *entry)
{
	int ret;

	vm->vcpu_count = vm->config->vcpu_count;
	for (u32 i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->id = i;
		vcpu->vendor = NULL;
		vcpu->slice_end = 0;
		vcpu->run_state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
		vcpu->halted_with_interrupts = false;
		vcpu->sipi_pending = false;
		vcpu->migrate_to = VCPU_NO_CPU;
		vcpu->spec_ctrl = 0; /* its reset value: a restart does not inherit it */
		vcpu->tsc_adjust = 0;
		memset(&vcpu->kvmclock, 0, sizeof(vcpu->kvmclock));
		memset(&vcpu->clock, 0, sizeof(vcpu->clock));
		vlapic_create(vcpu);
		ret = hv->ops->vcpu_create(vcpu, i == 0 ? entry : &vcpu_wait_for_sipi,
					   vm->nested.root, vm->frames);
		if (ret) {
			vm_reject(vm, "cannot create vCPU %u (error %d)", i, ret);
			return ret;
		}
	}
	return 0;
}

/* Builds the guest: memory, image, devices, vCPUs. Its state is the caller's to set. */
static int vm_create(struct hypervisor *hv, struct vm *vm, const struct boot_files *files)
{
	struct guest_entry_state entry;
	int ret;

	vm->kick = hv->kick;
	vm->clock_started = false; /* its TSC starts at its first entry (vm_start_clock) */
	ret = vm_setup_memory(vm);
	if (ret)
		return ret;
	/* Devices first: their regions are part of the memory map a Linux loader hands over
	 * (vmm/boot_memmap.c). */
	ret = vm_setup_devices(vm);
	if (!ret)
		ret = vm_load_image(vm, files, &entry);
	if (!ret)
		ret = vm_create_vcpus(hv, vm, &entry);
	if (ret)
		return ret;
	/* A restart says so in one line of its own (hypervisor_restart_step). */
	log_msg(vm->restarts ? LOG_DEBUG : LOG_INFO,
		"guest '%s': %lu MiB at host 0x%lx, %s image %s, entry 0x%lx, %u vCPU%s",
		vm->name, vm->config->memory_size >> 20, vm->ram_hpa,
		config_format_name(vm->config->format), vm->config->image, entry.rip,
		vm->vcpu_count, vm->vcpu_count == 1 ? "" : "s");
	log_msg(vm->restarts ? LOG_DEBUG : LOG_INFO,
		"guest '%s': Moat's own memory for it: nested tables %lu B, vCPU control %lu B, "
		"guest record %lu B", vm->name, vm->nested.table_pages * PAGE_SIZE,
		hv->ops->vcpu_control_bytes * vm->vcpu_count, (u64)sizeof(*vm));
	return 0;
}

/* With every vCPU parked: a console line the guest left unfinished is printed, and its
 * vCPUs and tables go back (zeroed) to the frame allocator, which takes its own lock. */
static void vm_release_control(struct vm *vm)
{
	if (vm->ram_hpa && (vm->config->devices & GUEST_DEVICE_UART))
		uart_flush(&vm->uart);
	for (u32 i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].vendor)
			vm->ops->vcpu_destroy(&vm->vcpus[i], vm->frames);
	if (vm->nested.root)
		pt_destroy(&vm->nested);
	memset(&vm->memory, 0, sizeof(vm->memory));
	memset(&vm->nested, 0, sizeof(vm->nested));
}

void vm_destroy(struct vm *vm)
{
	vm_release_control(vm);
	if (vm->ram_hpa)
		frame_free(vm->frames, vm->ram_hpa, vm->config->memory_size / PAGE_SIZE);
	vm->ram_hpa = 0;
}

/* Takes host memory for every valid shared region; a region without memory rejects the
 * guests that name it. */
static void hypervisor_create_shared(struct hypervisor *hv)
{
	struct moat_config *config = &hv->config;

	for (u32 r = 0; r < config->shared_count; r++) {
		struct shared_config *region = &config->shared[r];

		if (!region->valid)
			continue;
		hv->shared_hpa[r] = frame_alloc(hv->frames, region->size / PAGE_SIZE,
						IS_ALIGNED(region->size, PAGE_SIZE_2M) ? PAGE_SIZE_2M
											: PAGE_SIZE);
		if (hv->shared_hpa[r]) {
			log_info("shared region '%s': %lu KiB at guest-physical 0x%lx", region->name,
				 region->size >> 10, region->address);
			continue;
		}
		region->valid = false;
		format(region->error, sizeof(region->error),
		       "/shared/%s: not enough host memory for %lu KiB", region->name,
		       region->size >> 10);
		config_reject_sharing_guests(config, region);
	}
}

/* Gives vm the shared regions its configuration names (their memory outlives restarts). */
static void vm_attach_shared(struct hypervisor *hv, struct vm *vm)
{
	for (u32 r = 0; r < hv->config.shared_count; r++) {
		const struct shared_config *region = &hv->config.shared[r];

		if (region->valid && (region->guest_mask & (1u << vm->id))) {
			vm->shared[vm->shared_count] = region;
			vm->shared_hpa[vm->shared_count++] = hv->shared_hpa[r];
		}
	}
}

u32 hypervisor_create_guests(struct hypervisor *hv, const struct boot_files *files)
{
	hv->files = files;
	hypervisor_create_shared(hv);
	uart_input_fn input = hv->console_input;
	u32 ready = 0;

	hv->vm_count = hv->config.guest_count;
	for (u32 i = 0; i < hv->vm_count; i++) {
		const struct guest_config *config = &hv->config.guests[i];
		struct vm *vm = &hv->vms[i];

		memset(vm, 0, sizeof(*vm));
		*vm = (struct vm){ .id = i, .config = config, .name = config->name,
				   .ops = hv->ops, .frames = hv->frames,
				   .state = VM_STATE_NOT_STARTED };
		vm->tsc_per_ms = hv->tsc_per_ms;
		vm->wall_clock = hv->wall_clock;
		audit_init(&vm->audit, hv->tsc_per_ms * AUDIT_REFILL_MS);
		console_init(&vm->console, config->console_bytes_per_second);
		if (!config->valid) {
			format(vm->stop_reason, sizeof(vm->stop_reason), "config: %s",
			       config->error);
			continue;
		}
		vm_attach_shared(hv, vm);
		/* Host console input goes to the first guest with a console. */
		if (config->devices & GUEST_DEVICE_UART) {
			vm->console_input = input;
			input = NULL;
		}
		if (vm_create(hv, vm, files)) {
			vm_destroy(vm);
			continue;
		}
		vm->state = VM_STATE_RUNNING;
		ready++;
	}
	return ready;
}

void hypervisor_set_clock(struct hypervisor *hv, u64 tsc_per_ms)
{
	hv->tsc_per_ms = tsc_per_ms;
	hv->slice_ticks = tsc_per_ms * hv->config.slice_us / US_PER_MS;
	for (u32 i = 0; i < hv->vm_count; i++) {
		hv->vms[i].tsc_per_ms = tsc_per_ms;
		hv->vms[i].audit.refill_ticks = tsc_per_ms * AUDIT_REFILL_MS;
	}
}

static u64 vm_ticks_to_ms(const struct vm *vm, u64 ticks)
{
	return vm->tsc_per_ms ? ticks / vm->tsc_per_ms : 0;
}

/* The restart's work since start is the guest's own time (docs/scheduling.md, "Restarts"):
 * charged to its run time; past its time limit the guest stops instead of restarting. */
static bool vm_restart_charge(struct vm *vm, u64 start)
{
	const struct guest_config *config = vm->config;
	u64 ticks = x86_rdtsc() - start;
	u64 total = __atomic_add_fetch(&vm->run_ticks, ticks, __ATOMIC_RELAXED);

	vm->restart.work_ticks += ticks;
	if (!config->time_limit_ms || total < (u64)config->time_limit_ms * vm->tsc_per_ms)
		return true;
	vm_audit(&vm->vcpus[0], AUDIT_TIME_LIMIT, config->time_limit_ms, total, AUDIT_STOPPED,
		 "restarting");
	spin_lock(&vm->lock);
	format(vm->stop_reason, sizeof(vm->stop_reason),
	       "time limit (%u ms) reached while restarting", config->time_limit_ms);
	vm->state = VM_STATE_STOPPED;
	spin_unlock(&vm->lock);
	log_error("guest '%s' stopped: %s", vm->name, vm->stop_reason);
	__atomic_store_n(&vm->restart.active, false, __ATOMIC_RELEASE);
	vm_destroy(vm);
	return false;
}

void hypervisor_restart_begin(struct hypervisor *hv, struct vm *vm, u32 cpu)
{
	struct vm_restart *restart = &vm->restart;
	u64 start = x86_rdtsc();

	vm_release_control(vm);
	vm->restarts++;
	restart->cpu = cpu;
	restart->parked_tsc = start;
	restart->backoff_ms = restart_backoff_ms(vm->restarts, vm->config->restart_backoff_max_ms);
	restart->not_before = start + restart->backoff_ms * vm->tsc_per_ms;
	restart->backoff_total_ms += restart->backoff_ms;
	restart_scrub_init(&restart->scrub, vm->ram_hpa, vm->config->memory_size);
	/* Other CPUs' run loops look at active and cpu to see whose work it is. */
	__atomic_store_n(&restart->active, true, __ATOMIC_RELEASE);
	log_info("guest '%s': restart %u: zeroing %lu MiB of RAM in steps on cpu %u, backoff %u ms",
		 vm->name, vm->restarts, vm->config->memory_size >> 20, cpu, restart->backoff_ms);
	vm_restart_charge(vm, start);
}

/* Zeroing and backoff are over: the guest is built again over its zeroed RAM. */
static void vm_restart_rebuild(struct hypervisor *hv, struct vm *vm, u64 start)
{
	bool rebuilt = !vm_create(hv, vm, hv->files);

	if (!rebuilt)
		vm_destroy(vm);
	__atomic_store_n(&vm->restart.active, false, __ATOMIC_RELEASE);
	if (rebuilt && !vm_restart_charge(vm, start))
		return;
	spin_lock(&vm->lock);
	vm->state = rebuilt ? VM_STATE_RUNNING : VM_STATE_STOPPED;
	vm->generation++;
	spin_unlock(&vm->lock);
	if (!rebuilt) {
		log_error("guest '%s' stopped: restart failed: %s", vm->name, vm->stop_reason);
		return;
	}
	log_info("guest '%s': restart %u: running again %lu ms after its crash (%lu ms of restart "
		 "work charged to it so far)", vm->name, vm->restarts,
		 vm_ticks_to_ms(vm, x86_rdtsc() - vm->restart.parked_tsc),
		 vm_ticks_to_ms(vm, vm->restart.work_ticks));
	vm_kick_vcpus(vm);
}

enum restart_progress hypervisor_restart_step(struct hypervisor *hv, struct vm *vm)
{
	struct vm_restart *restart = &vm->restart;
	u64 start = x86_rdtsc();

	if (!restart_scrub_done(&restart->scrub)) {
		restart_scrub_step(&restart->scrub, vm->tsc_per_ms * RESTART_STEP_US / US_PER_MS,
				   x86_rdtsc);
		return vm_restart_charge(vm, start) ? RESTART_BUSY : RESTART_OVER;
	}
	if (start < restart->not_before)
		return RESTART_WAITING;
	vm_restart_rebuild(hv, vm, start);
	return RESTART_OVER;
}

void hypervisor_print_summary(const struct hypervisor *hv)
{
	for (u32 i = 0; i < hv->vm_count; i++) {
		const struct vm *vm = &hv->vms[i];

		if (vm->state == VM_STATE_NOT_STARTED) {
			log_info("summary: guest '%s': not started: %s", vm->name,
				 vm->stop_reason);
			continue;
		}
		log_info("summary: guest '%s': %s", vm->name, vm->stop_reason);
		if (vm->restarts)
			log_info("summary: guest '%s': restarted %u times, restart work %lu ms "
				 "(charged to it), backoff %lu ms in all", vm->name, vm->restarts,
				 vm_ticks_to_ms(vm, vm->restart.work_ticks),
				 vm->restart.backoff_total_ms);
		for (u32 v = 0; v < vm->vcpu_count; v++) {
			const struct vcpu *vcpu = &vm->vcpus[v];
			const struct vcpu_clock *clock = &vcpu->clock;

			log_info("summary: guest '%s': vcpu %u on cpu %u: ran %lu ms in %lu slices, "
				 "%lu exits, %lu halts, %lu moves, longest wait %lu ms", vm->name, v,
				 vcpu->cpu, vm_ticks_to_ms(vm, clock->run_ticks), clock->slices,
				 clock->exits, clock->halts, clock->moves,
				 vm_ticks_to_ms(vm, clock->longest_wait));
			char kinds[256];

			if (exit_stats_format(clock->exit_kinds, kinds, sizeof(kinds)))
				log_info("summary: guest '%s': vcpu %u exits by kind: %s", vm->name,
					 v, kinds);
		}
		audit_summary(&vm->audit, vm->name);
		console_summary(&vm->console, vm->name);
	}
}
