/* SPDX-License-Identifier: MIT */
/* What the x86 layer (arch/x86) offers the boot code and the core: CPU set-up after Moat has
 * taken the machine, the host console, panics, and the vendor chosen from CPUID. */
#ifndef MOAT_ARCH_H
#define MOAT_ARCH_H

#include <moat/frame.h>
#include <moat/vcpu.h>

/* Host serial console (COM1, and port 0xE9 when an emulator offers it). */
void serial_init(void);
/* Writes as much of text as the UART takes now without waiting (0 while it is busy); returns
 * how many bytes of text it took. */
size_t serial_transmit(const char *text, size_t len);
/* Bytes the UART takes at once when LSR.THRE is set: 16 with its FIFOs, else 1. */
u32 serial_fifo_bytes(void);
/* Waits until COM1 has sent every byte (before power-off). */
void serial_drain(void);
bool serial_read_byte(u8 *byte);

struct host_layout;
/* Moat's own GDT, TSS, IDT and identity page tables over the layout's [0, phys_top), with
 * the rights of mm/host_map.c (code rx, everything Moat does not run nx), EFER.NXE and
 * CR0.WP on, checked; page 0 stays unmapped so that a NULL dereference faults. Returns 0 or
 * a negative error. */
int arch_cpu_init(struct frame_allocator *frames, const struct host_layout *layout);
/* The rights (enum pt_perm) Moat's own tables give address; 0 when it is not mapped. */
u32 arch_host_mapping_perms(u64 address);
/* Points FS base at a readable block holding a stack-protector canary slot (%fs:0x28), which
 * Debian's libfdt.a reads; called first thing, while the firmware still runs. */
void arch_set_fs_canary_block(void);
/* Moat's own descriptor tables, for the host-state area of a VMCS. */
struct host_descriptors {
	u64 gdt_base, idt_base, tr_base;
	u16 code_selector, data_selector, tr_selector;
};
void arch_host_descriptors(struct host_descriptors *out);
/* Masks the legacy PICs: Moat runs with interrupts off and guests see none yet. */
void arch_mask_legacy_interrupts(void);

/* Interrupt vectors Moat uses for itself. */
#define ARCH_VECTOR_TIMER 0xef
#define ARCH_VECTOR_WAKEUP 0xee /* wakes a parked CPU to read its mailbox */
#define ARCH_VECTOR_KICK 0xed   /* makes a CPU look at its vCPUs again */
#define ARCH_VECTOR_SPURIOUS 0xff

/* Measures the TSC (and local APIC timer) against the PIT; returns TSC ticks per ms. */
u64 arch_calibrate_time(void);
/* Starts the local APIC timer with the given period, so every guest exits at least that
 * often. */
void arch_timer_start(u32 period_us);
/* Makes the calling CPU's timer fire no later than host TSC tsc (a guest's APIC timer). */
void arch_timer_wake_by(u64 tsc);
/* Sleeps until the next interrupt (the timer, or a kick from another CPU). */
void arch_idle(void);
/* Signals the end of an interrupt to the local APIC. */
void arch_lapic_eoi(void);
/* Finishes a host interrupt that arrived while a guest ran (EOI, timer re-armed). */
void arch_interrupt_done(u32 vector);

/* Speculative-execution mitigations (arch/x86/speculation.c, docs/speculation.md): decides
 * them from CPUID and IA32_ARCH_CAPABILITIES and prints the decision (once, on the first
 * CPU); sets Moat's own IA32_SPEC_CTRL on the calling CPU (each CPU, before its first
 * guest); and gives the barrier to run when a CPU switches from one guest to another, or
 * NULL when the CPU needs none. */
void arch_speculation_init(void);
void arch_speculation_cpu_enable(void);
void (*arch_speculation_switch_barrier(void))(void);

/* The XCR0 components the vendor code switches with every vCPU, known once vendor_select
 * returned; 0 when it switches only x87/SSE with FXSAVE. Guests are offered a subset
 * (vmm/xsave.c). */
u64 arch_guest_xstate_mask(void);

/* The vendor extension this CPU offers (SVM or VMX), or NULL with the reason logged. */
const struct vendor_ops *vendor_select(void);

/* Stops Moat: prints the reason (and registers when given) and powers off. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/* Provided by boot/: powers the machine off (ACPI S5 through UEFI runtime services). */
__noreturn void platform_power_off(void);

#endif
