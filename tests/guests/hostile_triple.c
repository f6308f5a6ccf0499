// SPDX-License-Identifier: MIT
/* hostile_triple: loads an empty IDT and executes UD2. #UD cannot be delivered (#GP), nor can
 * the #GP (#DF), nor the #DF: a triple fault (SDM Vol. 3A, 6.15, "Interrupt 8"). With
 * on-crash = "restart" Moat restarts it; the second boot reports and passes. */
#include "guest.h"

enum hostile_triple_check {
	HOSTILE_TRIPLE_CHECK_RESTART_COUNT = 1,
	HOSTILE_TRIPLE_CHECK_TRIPLE_FAULT,
};

struct hostile_triple_idt_pointer {
	u16 limit;
	u32 base;
} __packed;

const char guest_name[] = "hostile_triple";

static void __noreturn hostile_triple_fault(void)
{
	static const struct hostile_triple_idt_pointer empty = { 0, 0 };

	console_puts("hostile_triple: loading an empty IDT and executing UD2\n");
	asm volatile("lidt %0; ud2" : : "m"(empty) : "memory");
	check_fail(HOSTILE_TRIPLE_CHECK_TRIPLE_FAULT, "the triple fault stops the guest",
		   "still running after UD2 with an empty IDT");
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u32 boot = 0;

	if (!hypercall_restart_count(&boot))
		check_fail(HOSTILE_TRIPLE_CHECK_RESTART_COUNT, "hypercall 1 (restart count) answers",
			   "got error 0x%x", hypercall(HYPERCALL_RESTART_COUNT));
	if (boot == 0)
		hostile_triple_fault();
	console_printf("hostile_triple: restarted after triple fault (restart count %u)\n", boot);
	test_exit(GUEST_EXIT_PASS);
}
