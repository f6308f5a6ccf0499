/* SPDX-License-Identifier: MIT */
/* Running a 64-bit routine from the 32-bit runtime (long_mode.c, long_mode_switch.S): identity
 * page tables over the first 4 GiB in the guest's own RAM, CR4.PAE, EFER.LME, CR0.PG and a far
 * jump to a 64-bit code segment (Intel SDM Vol. 3A, 9.8.5; AMD APM Vol. 2, 14.6), then back out
 * to 32-bit protected mode with paging off, as the runtime expects. */
#ifndef GUEST_LONG_MODE_H
#define GUEST_LONG_MODE_H

#include "guest.h"

#define LONG_MODE_VECTORS 256

/*
 * Calls routine(arg) in 64-bit mode and returns its RAX. The routine is 64-bit code (written
 * in assembly: the guests are built with -m32), called with the System V convention: arg in
 * RDI (zero-extended), a 16-byte aligned stack (the caller's, zero-extended), result in RAX.
 * It runs with interrupts off; it may STI and HLT: every interrupt in 64-bit mode is counted
 * in long_mode_interrupt_count[vector] and acknowledged with an x2APIC EOI. An exception in
 * 64-bit mode ends the routine: this prints `NAME: FAIL unexpected exception V in long mode at
 * rip X (error code E)` and exits 0xbadf00 + V. Every vCPU may use it, several at once; on
 * return, paging, PAE, LME, the GDT, the IDT and RFLAGS.IF are as before.
 */
u64 long_mode_call(const void *routine, u32 arg);

/* Interrupts taken in 64-bit mode, per vector (the routine waits on these). */
extern volatile u32 long_mode_interrupt_count[LONG_MODE_VECTORS];

#endif
