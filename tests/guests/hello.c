// SPDX-License-Identifier: MIT
/* hello: the smallest guest. Greets, checks the flat entry magic in EAX and prints the RAM
 * size Moat passed in EBX (docs/guest-interface.md, "Entry states"). */
#include "guest.h"

#define MIB_SHIFT 20

enum hello_check {
	HELLO_CHECK_ENTRY_MAGIC = 1,
};

const char guest_name[] = "hello";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	console_puts("hello from a Moat guest\n");
	check_eq(HELLO_CHECK_ENTRY_MAGIC, "entry EAX is 0x4d4f4154 (MOAT)", entry_eax,
		 FLAT_ENTRY_MAGIC);
	console_printf("hello: ram=%u MiB\n", entry_ebx >> MIB_SHIFT);
	test_exit(GUEST_EXIT_PASS);
}
