// SPDX-License-Identifier: MIT
/* Starting the application processors: a trampoline page below 1 MiB, INIT-SIPI-SIPI from the
 * BSP's local APIC (SDM Vol. 3 8.4.4.1, 11.6), and each AP's own stack, GDT and TSS. The APs
 * then sleep until smp_run_on leaves work in their mailbox. */

#include <moat/errno.h>
#include <moat/log.h>
#include <moat/smp.h>
#include <moat/string.h>
#include <moat/x86.h>

#include "ap_trampoline.h"
#include "cpu_topology.h"
#include "descriptors.h"
#include "lapic.h"

#define SMP_CR3_ADDRESS_MASK 0x000ffffffffff000ULL
#define APIC_BASE_GLOBAL_ENABLE BIT(11) /* IA32_APIC_BASE (SDM Vol. 3 11.4.4) */

/* Per-AP memory: the C stack, then the stack for NMI, #DF and #MC (IST 1). */
#define SMP_STACK_PAGES 4
#define SMP_CRITICAL_STACK_PAGES 2
#define SMP_AP_PAGES (SMP_STACK_PAGES + SMP_CRITICAL_STACK_PAGES)

/* INIT-SIPI-SIPI delays (SDM Vol. 3 8.4.4.1) and how long the BSP waits for APs. */
#define SMP_INIT_DELAY_US 10000
#define SMP_SIPI_DELAY_US 200
#define SMP_IPI_SEND_TIMEOUT_US 1000
#define SMP_WAIT_US 100000
/* Stop waiting early once every started AP checked in and none started for this long. */
#define SMP_SETTLE_US 10000
#define SMP_MAILBOX_TIMEOUT_US SMP_WAIT_US
#define US_PER_MS 1000
/* Added to the ticket counter when the BSP stops waiting: later APs get no slot. */
#define SMP_TICKETS_CLOSED 0x10000u
/* The boot log's topology line lists every CPU's core. */
#define SMP_TOPOLOGY_LINE_MAX 256

/* Local APIC (SDM Vol. 3 table 11-1 and 11.6.1): xAPIC MMIO offsets, x2APIC MSR 0x800 +
 * offset / 16. These copy timer.c's private accessors until it exports them. */

typedef void (*smp_work_fn)(void *);

/* One CPU's own state. The mailbox (work, work_arg) is written by smp_run_on and read by
 * the AP's park loop. */
struct smp_cpu {
	u64 gdt[GDT_ENTRIES];
	struct tss64 tss __aligned(16);
	smp_work_fn work;
	void *work_arg;
	hpa_t pages; /* SMP_AP_PAGES: stack and critical stack */
	u64 online_tsc; /* when it checked in, for the start-up time report */
	u32 apic_id;
	u32 core_id; /* SMT siblings share one (cpu_topology.c) */
	bool online;
} __aligned(64);

static struct smp_cpu smp_cpus[SMP_MAX_CPUS];
static u64 smp_stack_tops[SMP_MAX_CPUS - 1]; /* indexed by ticket (cpu - 1) */
static u32 smp_online = 1;
static hpa_t smp_trampoline_page, smp_low_pml4;
static u64 smp_tsc_per_ms;
static u64 smp_sipi_tsc;
static u64 smp_bsp_pat;
static u32 smp_mailbox_acks;
static const char *smp_topology_source = "none";

/* ---- time ---- */

static u64 smp_us_to_tsc(u64 us)
{
	return smp_tsc_per_ms * us / US_PER_MS;
}

static u64 smp_tsc_to_us(u64 ticks)
{
	return ticks * US_PER_MS / smp_tsc_per_ms;
}

static void smp_delay_us(u64 us)
{
	u64 end = x86_rdtsc() + smp_us_to_tsc(us);

	while (x86_rdtsc() < end)
		x86_pause();
}

/* Sends an IPI; logs and returns false if the xAPIC never accepted it. */
static bool smp_send_ipi(u32 destination, u32 icr_low)
{
	if (lapic_send_ipi(destination, icr_low, smp_us_to_tsc(SMP_IPI_SEND_TIMEOUT_US)))
		return true;
	log_error("smp: local APIC never sent IPI 0x%x to APIC id %u", icr_low, destination);
	return false;
}

static bool smp_send_to_others(u32 icr_low)
{
	return smp_send_ipi(0, icr_low | ICR_ALL_EXCLUDING_SELF);
}

/* ---- the two low pages, taken by boot/ while the firmware runs ---- */

void smp_set_low_pages(hpa_t trampoline_page, hpa_t low_pml4)
{
	smp_trampoline_page = trampoline_page;
	smp_low_pml4 = low_pml4;
}

/* ---- before the SIPI: trampoline, parameters, stacks, descriptor tables ---- */

static void smp_fill_params(struct ap_params *p, u32 slots)
{
	u64 base = smp_trampoline_page, efer = x86_rdmsr(MSR_EFER);

	*p = (struct ap_params){
		.gdt = {
			0,
			SEG_LIMIT_MAX | SEG_TYPE_CODE_READ | SEG_ACCESS_CODE_DATA |
				SEG_ACCESS_PRESENT | SEG_FLAG_DB | SEG_FLAG_GRANULARITY,
			SEG_LIMIT_MAX | SEG_TYPE_DATA_WRITE | SEG_ACCESS_CODE_DATA |
				SEG_ACCESS_PRESENT | SEG_FLAG_DB | SEG_FLAG_GRANULARITY,
			SEG_LIMIT_MAX | SEG_TYPE_CODE_READ | SEG_ACCESS_CODE_DATA |
				SEG_ACCESS_PRESENT | SEG_FLAG_LONG | SEG_FLAG_GRANULARITY,
		},
		.gdt_limit = sizeof(p->gdt) - 1,
		.gdt_base = (u32)(base + AP_PARAMS_OFFSET + AP_PARAM_GDT),
		.pm_entry_offset = (u32)(base + (ap_trampoline_protected - ap_trampoline_start)),
		.pm_entry_selector = AP_SELECTOR_CODE32,
		.lm_entry_offset = (u32)(base + (ap_trampoline_long - ap_trampoline_start)),
		.lm_entry_selector = AP_SELECTOR_CODE64,
		.low_cr3 = (u32)smp_low_pml4,
		.efer = (u32)(EFER_LME | (efer & EFER_NXE)),
		.cr3 = x86_read_cr3(),
		.cr0 = x86_read_cr0(),
		/* VMXE belongs to the vendor code, which enables VMX on each CPU itself. */
		.cr4 = x86_read_cr4() & ~CR4_VMXE,
		.entry = (u64)(uintptr_t)ap_main,
		.stacks = (u64)(uintptr_t)smp_stack_tops,
		.slots = slots,
	};
}

static int smp_prepare_trampoline(struct ap_params **out, u32 slots)
{
	u64 code_size = (u64)(ap_trampoline_end - ap_trampoline_start);
	u8 *page = hpa_to_ptr(smp_trampoline_page);

	if (code_size > AP_PARAMS_OFFSET) {
		log_error("smp: trampoline code is %lu bytes, more than the %u before its data",
			  code_size, AP_PARAMS_OFFSET);
		return -MOAT_E2BIG;
	}
	memset(page, 0, PAGE_SIZE);
	memcpy(page, ap_trampoline_start, code_size);
	/* Only the top level must sit below 4 GiB: the lower tables are found through 64-bit
	 * entries. The APs switch to Moat's own CR3 as soon as they reach long mode. */
	memcpy(hpa_to_ptr(smp_low_pml4), hpa_to_ptr(x86_read_cr3() & SMP_CR3_ADDRESS_MASK),
	       PAGE_SIZE);
	*out = (struct ap_params *)(page + AP_PARAMS_OFFSET);
	smp_fill_params(*out, slots);
	return 0;
}

/* Gives each slot its pages; returns how many slots got them. */
static u32 smp_allocate_slots(struct frame_allocator *frames)
{
	u32 slot;

	for (slot = 0; slot < SMP_MAX_CPUS - 1; slot++) {
		struct smp_cpu *cpu = &smp_cpus[slot + 1];

		cpu->pages = frame_alloc(frames, SMP_AP_PAGES, PAGE_SIZE);
		if (!cpu->pages) {
			log_warn("smp: no memory for the stacks of cpu %u and later", slot + 1);
			break;
		}
		smp_stack_tops[slot] = cpu->pages + SMP_AP_PAGES * PAGE_SIZE;
		descriptors_build(cpu->gdt, &cpu->tss,
				  cpu->pages + SMP_CRITICAL_STACK_PAGES * PAGE_SIZE);
	}
	return slot;
}

static void smp_free_slots(struct frame_allocator *frames, u32 from, u32 to)
{
	for (u32 slot = from; slot < to; slot++) {
		frame_free(frames, smp_cpus[slot + 1].pages, SMP_AP_PAGES);
		smp_cpus[slot + 1].pages = 0;
	}
}

/* ---- on each AP ---- */

/* Each CPU reads its own place in the topology: CPUID answers for the CPU executing it. */
static void smp_read_topology(struct smp_cpu *cpu)
{
	struct cpu_topology topology;

	cpu_topology_read(&topology);
	cpu->core_id = topology.core_id;
	smp_topology_source = topology.source;
}

static bool smp_mailbox_claimed(smp_work_fn fn)
{
	return fn == (smp_work_fn)(uintptr_t)1;
}

/* Runs mailbox work; sleeps in HLT between requests, woken by ARCH_VECTOR_WAKEUP (an AP
 * spinning here would take cycles from the BSP on emulators that share one host thread). */
static __noreturn void smp_park(struct smp_cpu *cpu)
{
	for (;;) {
		smp_work_fn fn = __atomic_load_n(&cpu->work, __ATOMIC_ACQUIRE);
		void *arg;

		if (!fn || smp_mailbox_claimed(fn)) {
			/* STI's one-instruction shadow: a wake-up that arrived after the check is
			 * taken at the HLT and ends it, so none is lost (SDM Vol. 3 6.8.3). */
			__asm__ volatile("sti; hlt; cli" ::: "memory");
			continue;
		}
		arg = cpu->work_arg;
		__atomic_store_n(&cpu->work, NULL, __ATOMIC_RELEASE);
		fn(arg);
	}
}

__noreturn void ap_main(u32 cpu_index)
{
	struct smp_cpu *cpu = &smp_cpus[cpu_index];

	descriptors_load(cpu->gdt);
	x86_wrmsr(MSR_IA32_PAT, smp_bsp_pat);
	lapic_setup_this_cpu();
	cpu->apic_id = lapic_id();
	smp_read_topology(cpu);
	log_info("cpu %u online (APIC id %u)", cpu_index, cpu->apic_id);
	cpu->online_tsc = x86_rdtsc();
	__atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
	__atomic_fetch_add(&smp_online, 1, __ATOMIC_RELEASE);
	smp_park(cpu);
}

/* ---- on the BSP ---- */

/* Waits until every AP that took a slot checked in and no new one came for SMP_SETTLE_US,
 * or SMP_WAIT_US passed; then closes the ticket counter. Returns the tickets taken. */
static u32 smp_wait_for_aps(struct ap_params *p)
{
	u64 start = x86_rdtsc(), last_change = start, now;
	u32 seen = 0, tickets;

	for (;;) {
		now = x86_rdtsc();
		tickets = __atomic_load_n(&p->next_ticket, __ATOMIC_ACQUIRE);
		if (tickets != seen) {
			seen = tickets;
			last_change = now;
		}
		if (tickets && __atomic_load_n(&smp_online, __ATOMIC_ACQUIRE) - 1 ==
				       MIN(tickets, p->slots) &&
		    now - last_change >= smp_us_to_tsc(SMP_SETTLE_US))
			break;
		if (now - start >= smp_us_to_tsc(SMP_WAIT_US))
			break;
		x86_pause();
	}
	return __atomic_fetch_add(&p->next_ticket, SMP_TICKETS_CLOSED, __ATOMIC_ACQ_REL);
}

static void smp_report(const struct ap_params *p, u32 tickets, u64 start)
{
	u32 holders = MIN(tickets, p->slots);
	u64 last = smp_sipi_tsc;

	for (u32 slot = 0; slot < holders; slot++) {
		const struct smp_cpu *cpu = &smp_cpus[slot + 1];

		if (__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE))
			last = MAX(last, cpu->online_tsc);
		else
			log_warn("smp: cpu %u started but did not check in: ignored", slot + 1);
	}
	if (tickets > holders)
		log_warn("smp: %u more CPUs parked without a slot (SMP_MAX_CPUS is %u)",
			 tickets - holders, SMP_MAX_CPUS);
	log_info("smp: %u CPUs online", smp_online);
	if (smp_online == 1)
		log_info("smp: no AP answered; waited %lu us", smp_tsc_to_us(x86_rdtsc() - start));
	else
		log_info("smp: last AP online %lu us after the first SIPI; start-up took %lu us",
			 smp_tsc_to_us(last - smp_sipi_tsc), smp_tsc_to_us(x86_rdtsc() - start));
}

void smp_log_topology(void)
{
	char line[SMP_TOPOLOGY_LINE_MAX];
	size_t used = 0;
	u32 cores = 0;

	line[0] = '\0';
	for (u32 cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		bool first = true;

		if (!smp_cpu_online(cpu))
			continue;
		for (u32 other = 0; other < cpu; other++)
			if (smp_cpu_online(other) &&
			    smp_cpus[other].core_id == smp_cpus[cpu].core_id)
				first = false;
		cores += first;
		used += (size_t)format(line + used, sizeof(line) - used, "%scpu %u core %u",
				       used ? ", " : "", cpu, smp_cpus[cpu].core_id);
		used = MIN(used, sizeof(line) - 1);
	}
	log_info("smp: topology (%s): %u CPUs on %u cores: %s", smp_topology_source,
		 smp_cpu_count(), cores, line);
}

static void smp_mailbox_ack(void *arg)
{
	__atomic_fetch_add((u32 *)arg, 1, __ATOMIC_RELEASE);
}

/* Sends one request through every online AP's mailbox: the path the scheduler will use. */
static void smp_check_mailboxes(void)
{
	u32 sent = 0;
	u64 deadline;

	for (u32 cpu = 1; cpu < SMP_MAX_CPUS; cpu++)
		if (smp_cpu_online(cpu) && !smp_run_on(cpu, smp_mailbox_ack, &smp_mailbox_acks))
			sent++;
	deadline = x86_rdtsc() + smp_us_to_tsc(SMP_MAILBOX_TIMEOUT_US);
	while (__atomic_load_n(&smp_mailbox_acks, __ATOMIC_ACQUIRE) < sent &&
	       x86_rdtsc() < deadline)
		x86_pause();
	if (smp_mailbox_acks < sent)
		log_warn("smp: only %u of %u APs answered their mailbox", smp_mailbox_acks, sent);
}

static bool smp_can_start(u64 tsc_per_ms)
{
	if (!smp_trampoline_page) {
		log_warn("smp: no trampoline page: running on the BSP only");
		return false;
	}
	if (!tsc_per_ms || !(x86_rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_GLOBAL_ENABLE)) {
		log_warn("smp: no TSC rate or local APIC disabled: running on the BSP only");
		return false;
	}
	return true;
}

/* INIT, 10 ms, SIPI, 200 us, SIPI (SDM Vol. 3 8.4.4.1); a second SIPI is ignored by an AP
 * that already started. */
static bool smp_send_init_sipi_sipi(void)
{
	u32 vector = (u32)(smp_trampoline_page >> PAGE_SHIFT);

	if (!smp_send_to_others(ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT))
		return false;
	smp_delay_us(SMP_INIT_DELAY_US);
	smp_sipi_tsc = x86_rdtsc();
	for (u32 i = 0; i < 2; i++) {
		if (!smp_send_to_others(ICR_DELIVERY_STARTUP | ICR_LEVEL_ASSERT | vector))
			return false;
		smp_delay_us(SMP_SIPI_DELAY_US);
	}
	return true;
}

u32 smp_start_aps(struct frame_allocator *frames, u64 tsc_per_ms)
{
	struct ap_params *params;
	u64 start;
	u32 slots, tickets;

	smp_cpus[SMP_BSP].online = true;
	smp_cpus[SMP_BSP].apic_id = lapic_id();
	smp_read_topology(&smp_cpus[SMP_BSP]);
	smp_tsc_per_ms = tsc_per_ms;
	if (!smp_can_start(tsc_per_ms))
		return smp_online;
	smp_bsp_pat = x86_rdmsr(MSR_IA32_PAT);
	slots = smp_allocate_slots(frames);
	if (smp_prepare_trampoline(&params, slots)) {
		smp_free_slots(frames, 0, slots);
		return smp_online;
	}
	start = x86_rdtsc();
	/* Even when an IPI failed (logged), some APs may have started: wait for them as usual. */
	smp_send_init_sipi_sipi();
	tickets = smp_wait_for_aps(params);
	smp_free_slots(frames, MIN(tickets, slots), slots);
	smp_report(params, tickets, start);
	smp_check_mailboxes();
	return smp_online;
}

/* ---- queries and the mailbox ---- */

u32 smp_cpu_count(void)
{
	return __atomic_load_n(&smp_online, __ATOMIC_ACQUIRE);
}

bool smp_cpu_online(u32 cpu)
{
	return cpu < SMP_MAX_CPUS && __atomic_load_n(&smp_cpus[cpu].online, __ATOMIC_ACQUIRE);
}

u32 smp_this_cpu(void)
{
	u32 id = lapic_id();

	for (u32 cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (smp_cpu_online(cpu) && smp_cpus[cpu].apic_id == id)
			return cpu;
	return SMP_BSP; /* before smp_start_aps only the BSP runs */
}

int smp_run_on(u32 cpu, void (*fn)(void *), void *arg)
{
	smp_work_fn expected = NULL, claimed = (smp_work_fn)(uintptr_t)1;
	struct smp_cpu *target;

	if (cpu == SMP_BSP || !smp_cpu_online(cpu) || !fn) {
		log_error("smp: cannot run work on cpu %u: not an online AP", cpu);
		return -MOAT_EINVAL;
	}
	target = &smp_cpus[cpu];
	/* Claim the empty mailbox first, so that two senders never mix fn and arg. */
	if (!__atomic_compare_exchange_n(&target->work, &expected, claimed, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return -MOAT_EBUSY;
	target->work_arg = arg;
	__atomic_store_n(&target->work, fn, __ATOMIC_RELEASE);
	smp_send_ipi(target->apic_id, ICR_DELIVERY_FIXED | ARCH_VECTOR_WAKEUP);
	return 0;
}

u32 smp_cpu_core(u32 cpu)
{
	return cpu < SMP_MAX_CPUS ? smp_cpus[cpu].core_id : 0;
}

void smp_kick(u32 cpu)
{
	if (cpu < SMP_MAX_CPUS && smp_cpu_online(cpu) && cpu != smp_this_cpu())
		smp_send_ipi(smp_cpus[cpu].apic_id, ICR_DELIVERY_FIXED | ARCH_VECTOR_KICK);
}

void smp_host_descriptors(u32 cpu, struct host_descriptors *out)
{
	/* The selectors and the IDT are the same on every CPU; the GDT and TSS are its own. */
	arch_host_descriptors(out);
	if (cpu == SMP_BSP || cpu >= SMP_MAX_CPUS)
		return;
	out->gdt_base = (u64)(uintptr_t)smp_cpus[cpu].gdt;
	out->tr_base = (u64)(uintptr_t)&smp_cpus[cpu].tss;
}
