// SPDX-License-Identifier: MIT
/* Checks and results: each passed check prints "NAME: ok: what"; the first failed one prints
 * "NAME: FAIL check N: what (got X, want Y)" and exits with 0xbad000 + N. */
#include "guest.h"

void test_exit(u32 code)
{
	/* Any write size stops the guest (docs/guest-interface.md, "Devices"). */
	port_outl(TEST_EXIT_PORT, code);
	/* Without a test-exit device the write is dropped: halting stops the guest instead. */
	for (;;)
		asm volatile("cli; hlt");
}

void check_ok(const char *what)
{
	console_printf("%s: ok: %s\n", guest_name, what);
}

void check_fail(u32 number, const char *what, const char *fmt, ...)
{
	va_list ap;

	console_printf("%s: FAIL check %u: %s (", guest_name, number, what);
	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
	console_puts(")\n");
	test_exit(GUEST_EXIT_CHECK_BASE + number);
}

void check_true(u32 number, const char *what, bool condition)
{
	if (!condition)
		check_fail(number, what, "got false, want true");
	check_ok(what);
}

void check_eq(u32 number, const char *what, u64 got, u64 want)
{
	if (got != want)
		check_fail(number, what, "got 0x%llx, want 0x%llx", got, want);
	check_ok(what);
}

void check_eq_dec(u32 number, const char *what, u32 got, u32 want)
{
	if (got != want)
		check_fail(number, what, "got %u, want %u", got, want);
	check_ok(what);
}

void check_str(u32 number, const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		check_fail(number, what, "got \"%s\", want \"%s\"", got, want);
	check_ok(what);
}

void check_no_fault(u32 number, const char *what, int vector)
{
	if (vector != TRAP_NO_FAULT)
		check_fail(number, what, "got exception %d, want none", vector);
	check_ok(what);
}
