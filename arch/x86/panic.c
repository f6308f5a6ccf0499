// SPDX-License-Identifier: MIT
/* Moat's own broken invariants end here: a reason and registers on the serial console, then
 * power-off. Nothing a guest does should ever reach this file. */
#include <moat/arch.h>
#include <moat/log.h>
#include <moat/x86.h>

#include "descriptors.h"
#include "host_paging.h"

static const char *const exception_names[IDT_EXCEPTION_VECTORS] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD exception", "#VE virtualization exception",
	"#CP control protection",
};

__noreturn void panic(const char *fmt, ...)
{
	char reason[256];
	va_list args;

	x86_cli();
	log_panic();
	va_start(args, fmt);
	format_string(reason, sizeof(reason), fmt, args);
	va_end(args);
	log_error("panic: %s", reason);
	platform_power_off();
}

extern const char ImageBase[]; /* gnu-efi's linker script: the image's first byte */

#define PANIC_STACK_WORDS 16

/* The words on top of the faulting stack, as offsets into moat.so where they point into it:
 * the return addresses among them name the callers. */
static void panic_log_stack(u64 rsp)
{
	const u64 *stack = (const u64 *)(uintptr_t)rsp;
	u64 base = (u64)(uintptr_t)ImageBase;

	for (u32 i = 0; i < PANIC_STACK_WORDS; i += 4)
		log_error("stack+%02x: %016lx %016lx %016lx %016lx (moat.so+0x%lx)", i * 8,
			  stack[i], stack[i + 1], stack[i + 2], stack[i + 3], stack[i] - base);
}

void exception_dispatch(struct exception_frame *f)
{
	/* The boot self-test of Moat's own mappings faults on purpose. */
	if (host_paging_fixup(f))
		return;
	/* An NMI is not Moat's fault (a watchdog, a platform event): note it and go on. */
	if (f->vector == 2) {
		log_warn("NMI at rip 0x%lx", f->rip);
		return;
	}
	const char *name = f->vector < IDT_EXCEPTION_VECTORS && exception_names[f->vector]
				   ? exception_names[f->vector]
				   : "reserved";

	/* The fault may be in the console code itself: write past the ring from here on. */
	log_panic();
	log_error("exception %lu (%s), error code 0x%lx", f->vector, name, f->error_code);
	log_error("rip %016lx cs %04lx rflags %016lx rsp %016lx ss %04lx", f->rip, f->cs,
		  f->rflags, f->rsp, f->ss);
	/* Where that is in build/moat.so, for objdump/addr2line. */
	log_error("rip is moat.so+0x%lx", f->rip - (u64)(uintptr_t)&ImageBase);
	panic_log_stack(f->rsp);
	log_error("rax %016lx rbx %016lx rcx %016lx rdx %016lx", f->rax, f->rbx, f->rcx,
		  f->rdx);
	log_error("rsi %016lx rdi %016lx rbp %016lx r8  %016lx", f->rsi, f->rdi, f->rbp, f->r8);
	log_error("r9  %016lx r10 %016lx r11 %016lx r12 %016lx", f->r9, f->r10, f->r11, f->r12);
	log_error("r13 %016lx r14 %016lx r15 %016lx cr2 %016lx", f->r13, f->r14, f->r15,
		  x86_read_cr2());
	log_error("cr0 %016lx cr3 %016lx cr4 %016lx", x86_read_cr0(), x86_read_cr3(),
		  x86_read_cr4());
	panic("unexpected exception %lu in Moat", f->vector);
}
