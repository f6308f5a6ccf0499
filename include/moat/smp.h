/* SPDX-License-Identifier: MIT */
/* The other CPUs (arch/x86/smp.c): started once Moat owns the machine, each with its own
 * stack, GDT and TSS, then parked in HLT until the scheduler gives it work. */
#ifndef MOAT_SMP_H
#define MOAT_SMP_H

#include <moat/arch.h>
#include <moat/config.h>
#include <moat/frame.h>

/* CPUs Moat uses, the BSP included; further APs park without a slot. */
#define SMP_MAX_CPUS CONFIG_MAX_CPUS
/* The bootstrap processor is always cpu 0. */
#define SMP_BSP 0
/* Where the APs start: a whole page below the legacy video area, since a SIPI vector is a
 * page number below 1 MiB (SDM Vol. 3 11.6.1), and a page below 4 GiB for a PML4 the
 * trampoline can load in 32-bit mode. boot/ takes both while the firmware runs. */
#define SMP_TRAMPOLINE_LAST_BYTE 0x9ffffULL
#define SMP_LOW_PML4_LAST_BYTE 0xffffffffULL

/* Hands over the two low pages (0 for the trampoline page: only the BSP will run). */
void smp_set_low_pages(hpa_t trampoline_page, hpa_t low_pml4);

/* After Moat's GDT/IDT/page tables are loaded and the TSC measured: starts every AP with
 * INIT-SIPI-SIPI and waits a bounded time for them. Returns the CPUs online, BSP
 * included (1 when no AP answers). Never hangs on a CPU that does not respond. */
u32 smp_start_aps(struct frame_allocator *frames, u64 tsc_per_ms);

/* CPUs online, BSP included. */
u32 smp_cpu_count(void);
bool smp_cpu_online(u32 cpu);
/* The core cpu belongs to: SMT siblings share one (read from CPUID on each CPU). */
u32 smp_cpu_core(u32 cpu);
/* Logs one line: the core of every online CPU, and how many cores there are. */
void smp_log_topology(void);
/* The index of the CPU running this (from its local APIC ID). */
u32 smp_this_cpu(void);

/* Asks an online AP to run fn(arg) once, from its park loop, and wakes it. Returns 0,
 * -MOAT_EINVAL for a CPU that is not an online AP, or -MOAT_EBUSY while that AP still holds
 * an earlier request it has not picked up. */
int smp_run_on(u32 cpu, void (*fn)(void *), void *arg);

/* Interrupts cpu (not the caller) so that it leaves its guest or its idle HLT and looks at
 * its vCPUs again. */
void smp_kick(u32 cpu);

/* The descriptor tables of one CPU, for the host-state area of a VMCS on that CPU. */
void smp_host_descriptors(u32 cpu, struct host_descriptors *out);

#endif
