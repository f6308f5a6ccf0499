/* SPDX-License-Identifier: MIT */
/* A guest's console budget (vmm/console.c): its lines reach Moat's console through a token
 * bucket of bytes, and what the budget or a full output ring refuses is dropped and counted,
 * with one line saying how much when its output resumes (docs/guest-interface.md). */
#ifndef MOAT_CONSOLE_H
#define MOAT_CONSOLE_H

#include <moat/spinlock.h>
#include <moat/types.h>

/*
 * The default rate: eight guests at 1024 bytes a second take 8 KiB/s of the 11.5 KiB/s a
 * 115200-baud line carries, leaving room for Moat's own log. A guest may send a burst of
 * CONSOLE_BURST_BYTES at once (a boot banner), or one second of its rate if that is more.
 */
#define CONSOLE_DEFAULT_BYTES_PER_SECOND 1024u
#define CONSOLE_MAX_BYTES_PER_SECOND (1024u * 1024)
#define CONSOLE_BURST_BYTES 8192u

struct guest_console {
	struct spinlock lock; /* the guest's vCPUs may print from several CPUs at once */
	u32 bytes_per_second;
	bool started;
	u64 tokens;      /* bytes it may print now */
	u64 last_refill; /* TSC of the last whole byte earned */
	u64 printed;     /* bytes written for it: "[name] ", text, newline, drop notices */
	u64 dropped;     /* bytes of its output never written (a line's newline counts one) */
	u64 unreported;  /* dropped since the last drop notice */
};

void console_init(struct guest_console *console, u32 bytes_per_second);
/* One line of the guest's output (text without its newline) at TSC now, tsc_per_ms ticks a
 * millisecond (0 before Moat has measured it: no limit yet). Returns whether it was written. */
bool console_write_line(struct guest_console *console, const char *owner, const char *text,
			size_t len, u64 now, u64 tsc_per_ms);
/* A summary line with its counts, when it dropped anything. */
void console_summary(const struct guest_console *console, const char *owner);
/* uart_line_fn for a guest's UART: context is its struct vm. */
void vm_console_line(void *context, const char *text, size_t len);
/* uart_irq_fn for a guest's UART: drives COM1's pin of its I/O APIC. Device lock held. */
void vm_console_irq(void *context, bool high);
struct vm;
/* Moves host console input into vm's UART (when it is the guest that has host input) and
 * raises its RX interrupt: CPU 0's scheduler calls it every pass, at least once a slice,
 * so input reaches a guest whose vCPUs are all halted (docs/guest-interface.md). */
void vm_poll_console_input(struct vm *vm);

#endif
