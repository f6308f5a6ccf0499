// SPDX-License-Identifier: MIT
/* Starting application processors (INIT, SIPI, SIPI through the x2APIC ICR, Intel SDM Vol. 3A,
 * 9.4.4.1 and 11.6.1) into C with the runtime's IDT and a stack of their own, and the console
 * lock that keeps lines from several vCPUs whole. */
#include "apic.h"

#define AP_STACK_SIZE  4096
#define AP_SIPI_VECTOR (AP_TRAMPOLINE_BASE >> PAGE_SHIFT)
/* Moat needs no delay between INIT and the SIPIs; a short pause costs nothing and is what real
 * hardware wants in spirit (the SDM's 10 ms and 200 us are far longer). */
#define AP_INIT_SETTLE_SPINS 1000u
/*
 * How long to wait for another vCPU: 2^32 TSC ticks (1.6 s at QEMU's 2.6 GHz, 86 s of Bochs'
 * 50 MHz instruction clock), and at least a million PAUSEs (QEMU's TCG leaves its CPU loop on
 * each, about 0.5 us). Either is many slices of 10 ms, so a vCPU that shares its CPU gets to
 * run; reached only when something is broken.
 */
#define AP_WAIT_TSC_TICKS (1ull << 32)
#define AP_WAIT_MIN_SPINS 1000000u
#define EFLAGS_IF	  BIT(9)

struct ap_descriptor_pointer {
	u16 limit;
	u32 base;
} __packed;

/* The mailbox ap_boot.S reads: one start at a time, kept until the AP checks in. */
struct ap_descriptor_pointer ap_boot_idtr;
u32 ap_boot_stack_top;
u32 ap_boot_apic_id;
static void (*volatile ap_boot_fn)(u32 apic_id);
static volatile u32 ap_boot_checked_in; /* the APIC ID of the last AP that checked in */

static u8 ap_stacks[AP_MAX_VCPUS][AP_STACK_SIZE] __aligned(16);
static volatile u32 ap_console_word;

extern const char ap_trampoline_start[], ap_trampoline_end[];

void __noreturn ap_entry(u32 apic_id);

static inline void ap_pause(void)
{
	asm volatile("pause" : : : "memory");
}

/* Interrupts on while spinning: a spin without exits and with IF clear is never preempted on
 * some emulators (Bochs' SVM, docs/testing.md), and then a vCPU sharing this CPU never runs. */
static u32 ap_interrupts_on(void)
{
	u32 flags;

	asm volatile("pushfl; popl %0; sti" : "=r"(flags) : : "memory");
	return flags;
}

static void ap_interrupts_restore(u32 flags)
{
	if (!(flags & EFLAGS_IF))
		asm volatile("cli" : : : "memory");
}

/* The holder may be a vCPU preempted on this same CPU: wait with interrupts on so that it gets
 * its turn. Handlers never print, so none of them can be the one waiting. */
static void ap_console_wait_free(void)
{
	u32 flags = ap_interrupts_on();

	while (ap_console_word)
		ap_pause();
	ap_interrupts_restore(flags);
}

void ap_console_lock(void)
{
	u32 taken = 1;

	for (;;) {
		asm volatile("xchgl %0, %1" : "+r"(taken), "+m"(ap_console_word) : : "memory");
		if (!taken)
			return;
		ap_console_wait_free();
		taken = 1;
	}
}

void ap_console_unlock(void)
{
	asm volatile("" : : : "memory");
	ap_console_word = 0;
}

void ap_printf(const char *fmt, ...)
{
	va_list ap;

	ap_console_lock();
	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
	ap_console_unlock();
}

/* The bounded wait of ap_wait_for and ap_wait_for_nonzero: until *word == value, or, with
 * any_nonzero, until *word != 0. */
static bool ap_wait(const volatile u32 *word, u32 value, bool any_nonzero)
{
	u32 flags = ap_interrupts_on();
	u64 start = cpu_rdtsc_fenced();
	bool seen = false;

	for (u32 spins = 0;
	     spins < AP_WAIT_MIN_SPINS || cpu_rdtsc_fenced() - start < AP_WAIT_TSC_TICKS; spins++) {
		seen = any_nonzero ? *word != 0 : *word == value;
		if (seen)
			break;
		ap_pause();
	}
	ap_interrupts_restore(flags);
	return seen || (any_nonzero ? *word != 0 : *word == value);
}

bool ap_wait_for(const volatile u32 *word, u32 value)
{
	return ap_wait(word, value, false);
}

bool ap_wait_for_nonzero(const volatile u32 *word)
{
	return ap_wait(word, 0, true);
}

/* Called by ap_boot.S on the AP's own stack with interrupts off. */
void ap_entry(u32 apic_id)
{
	void (*fn)(u32 apic_id) = ap_boot_fn;

	/* Read the mailbox before checking in: the BSP reuses it for the next AP. */
	asm volatile("" : : : "memory");
	apic_enable(); /* INIT left its APIC software-disabled */
	ap_boot_checked_in = apic_id;
	fn(apic_id);
	ap_halt_forever();
}

/* The trampoline page and the IDT the APs share with the BSP (whatever trap_init loaded). */
static void ap_prepare_mailbox(u32 apic_id, void (*fn)(u32 apic_id))
{
	memcpy((void *)AP_TRAMPOLINE_BASE, ap_trampoline_start,
	       (size_t)(ap_trampoline_end - ap_trampoline_start));
	asm volatile("sidt %0" : "=m"(ap_boot_idtr) : : "memory");
	ap_boot_stack_top = (u32)&ap_stacks[apic_id][AP_STACK_SIZE];
	ap_boot_apic_id = apic_id;
	ap_boot_fn = fn;
	ap_boot_checked_in = 0;
}

bool ap_start(u32 apic_id, void (*fn)(u32 apic_id))
{
	if (apic_id == 0 || apic_id >= AP_MAX_VCPUS) {
		ap_printf("%s: ap_start: APIC ID %u is not an AP this runtime can start (1-%u)\n",
			  guest_name, apic_id, AP_MAX_VCPUS - 1);
		return false;
	}
	ap_prepare_mailbox(apic_id, fn);
	/* INIT puts the vCPU into wait-for-SIPI; the second SIPI is ignored by one that left it
	 * (SDM Vol. 3A, 9.4.4.1, the universal start-up algorithm). */
	apic_send(apic_id, APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT);
	for (u32 i = 0; i < AP_INIT_SETTLE_SPINS; i++)
		ap_pause();
	apic_send(apic_id, APIC_ICR_STARTUP | AP_SIPI_VECTOR);
	apic_send(apic_id, APIC_ICR_STARTUP | AP_SIPI_VECTOR);
	if (ap_wait_for(&ap_boot_checked_in, apic_id))
		return true;
	ap_printf("%s: ap_start: APIC ID %u did not check in within 0x%llx TSC ticks "
		  "(trampoline at 0x%x)\n",
		  guest_name, apic_id, AP_WAIT_TSC_TICKS, AP_TRAMPOLINE_BASE);
	return false;
}
