/* SPDX-License-Identifier: MIT */
/* Guests with several vCPUs: the x2APIC registers Moat emulates (apic.c), handlers for
 * interrupt vectors 32-255 (trap.c), starting application processors with INIT-SIPI-SIPI and
 * a console lock for output from several vCPUs at once (ap.c, ap_boot.S). */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "guest.h"

/* x2APIC MSRs (Intel SDM Vol. 3A, 11.12.1, Table 11-6) and IA32_APIC_BASE (11.4.4). */
#define MSR_IA32_APIC_BASE  0x1b
#define MSR_X2APIC_FIRST    0x800
#define MSR_X2APIC_ID	    0x802
#define MSR_X2APIC_VERSION  0x803
#define MSR_X2APIC_TPR	    0x808
#define MSR_X2APIC_PPR	    0x80a
#define MSR_X2APIC_EOI	    0x80b
#define MSR_X2APIC_LDR	    0x80d
#define MSR_X2APIC_SVR	    0x80f
#define MSR_X2APIC_ESR	    0x828
#define MSR_X2APIC_ICR	    0x830
#define MSR_X2APIC_SELF_IPI 0x83f
#define MSR_X2APIC_LAST	    0x8ff

#define APIC_BASE_ADDRESS 0xfee00000u /* the reset base (11.4.4) */
#define APIC_BASE_BSP	  BIT(8)
#define APIC_BASE_X2APIC  BIT(10)
#define APIC_BASE_ENABLE  BIT(11)
/* What Moat's vCPUs read (docs/guest-interface.md): enabled, x2APIC mode, BSP on vCPU 0. */
#define APIC_BASE_AP_VALUE  (APIC_BASE_ADDRESS | APIC_BASE_ENABLE | APIC_BASE_X2APIC)
#define APIC_BASE_BSP_VALUE (APIC_BASE_AP_VALUE | APIC_BASE_BSP)
#define APIC_VERSION_VALUE  0x00050014u
/* Logical x2APIC ID (11.12.10.2): cluster (ID >> 4) in bits 31:16, bit (ID & 15) below. */
#define APIC_LDR_CLUSTER_SHIFT	  4
#define APIC_LDR_CLUSTER_POSITION 16
#define APIC_LDR_MEMBER_MASK	  0xfu
#define APIC_LDR(id)                                                                               \
	((((id) >> APIC_LDR_CLUSTER_SHIFT) << APIC_LDR_CLUSTER_POSITION) |                         \
	 (1u << ((id)&APIC_LDR_MEMBER_MASK)))

/* CPUID leaf 1 (Intel SDM Vol. 2A, CPUID): initial APIC ID and the APIC feature bits. */
#define CPUID_LEAF_FEATURES	  0x1
#define CPUID_1_EBX_APIC_ID_SHIFT 24
#define CPUID_1_ECX_X2APIC	  BIT(21)
#define CPUID_1_EDX_APIC	  BIT(9)

/* The low half of the ICR (11.6.1, Figure 11-12; 11.12.9, Figure 11-28). */
#define APIC_ICR_VECTOR_MASK	    0xffu
#define APIC_ICR_FIXED		    (0u << 8)
#define APIC_ICR_LOWEST_PRIORITY    (1u << 8)
#define APIC_ICR_SMI		    (2u << 8)
#define APIC_ICR_NMI		    (4u << 8)
#define APIC_ICR_INIT		    (5u << 8)
#define APIC_ICR_STARTUP	    (6u << 8)
#define APIC_ICR_LOGICAL	    BIT(11)
#define APIC_ICR_LEVEL_ASSERT	    BIT(14)
#define APIC_ICR_SELF		    (1u << 18)
#define APIC_ICR_ALL_INCLUDING_SELF (2u << 18)
#define APIC_ICR_ALL_EXCLUDING_SELF (3u << 18)
#define APIC_ICR_DESTINATION_SHIFT  32 /* in the 64-bit x2APIC ICR */
#define APIC_DESTINATION_BROADCAST  0xffffffffu
#define APIC_FIRST_INTERRUPT_VECTOR 32 /* 0-31 are the CPU's exceptions (SDM Vol. 3A, 6.2) */
#define APIC_LAST_VECTOR	    255

/* Spurious-interrupt vector register (11.9): the APIC accepts fixed interrupts only when
 * software-enabled, and INIT leaves it disabled. */
#define APIC_SVR_ENABLE		 BIT(8)
#define APIC_SVR_SPURIOUS_VECTOR 0xffu

/* ---- apic.c ---- */
/* Software-enables this vCPU's APIC (trap_set_handler and every AP's start do it). */
void apic_enable(void);
u32 apic_id(void);
void apic_eoi(void);
/* Writes the 64-bit ICR: destination in bits 63:32, icr_low below (vector, mode, shorthand). */
void apic_send(u32 destination, u32 icr_low);
void apic_send_self(u8 vector);

/* ---- trap.c: interrupt vectors 32-255 ---- */
typedef void (*trap_handler_fn)(u32 vector);
/* Runs fn(vector), interrupts off, when the vector arrives; an interrupt on a vector without a
 * handler is fatal, as an unexpected exception is. Not for vectors 0-31. */
void trap_set_handler(u32 vector, trap_handler_fn fn);

/* ---- ap.c, ap_boot.S: application processors ---- */
#define AP_MAX_VCPUS 8 /* Moat's CONFIG_MAX_VCPUS: APIC IDs 1-7 can be started */
/* The real-mode trampoline's page below 1 MiB: it must be free guest RAM (flat guests are
 * linked at 1 MiB and leave it alone). Its page number is the SIPI vector. */
#define AP_TRAMPOLINE_BASE 0x8000u

/*
 * Starts the vCPU with this APIC ID: INIT, SIPI, SIPI through the ICR, then waits (a bounded
 * spin) until it has left real mode, loaded the runtime's IDT and its own stack, and called
 * fn(apic_id) with interrupts off. False, with the reason printed, when it does not check in.
 * One at a time: starts share a mailbox. Copies the trampoline to AP_TRAMPOLINE_BASE.
 * The fault probes of guest.h are not safe on several vCPUs at once: use them on one.
 */
bool ap_start(u32 apic_id, void (*fn)(u32 apic_id));
/* Spins (PAUSE) until *word == value, as long as ap_start waits at most (2^32 TSC ticks and a
 * million PAUSEs); false on timeout. For waiting on another vCPU without an interrupt. */
bool ap_wait_for(const volatile u32 *word, u32 value);
/* The same bounded wait, until *word is not 0 (a counter another vCPU starts moving). */
bool ap_wait_for_nonzero(const volatile u32 *word);
/* Whole lines from several vCPUs: take the lock around console output (and around check_*
 * calls, which print). Interrupt handlers must not print. */
void ap_console_lock(void);
void ap_console_unlock(void);
void ap_printf(const char *fmt, ...) __printf(1, 2);

static inline void ap_atomic_inc(volatile u32 *word)
{
	asm volatile("lock incl %0" : "+m"(*word) : : "memory");
}

/* Waits with interrupts on: STI's one-instruction shadow covers HLT, so an interrupt that
 * arrived while they were off still wakes this HLT (SDM Vol. 2B, STI). Interrupts are off again
 * on return, so the caller can test what the handler changed without a race. */
static inline void ap_wait_for_interrupt(void)
{
	asm volatile("sti; hlt; cli" : : : "memory");
}

static inline void __noreturn ap_halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt" : : : "memory");
}

#endif
