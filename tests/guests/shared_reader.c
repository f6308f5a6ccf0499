// SPDX-License-Identifier: MIT
/* shared_reader: waits until its peer's message appears in the shared region they were both
 * given (tests/boot/shared.dts), prints it and exits. Moat's round robin runs the writer
 * while this guest polls, with interrupts on: Bochs' SVM never preempts a guest that keeps
 * them off (docs/scheduling.md), and no interrupt ever comes to this guest. */
#include "guest.h"

#define SHARED_MAILBOX_GPA 0x40000000u
#define SHARED_MESSAGE "moat-shared-ok"
#define SHARED_POLL_ROUNDS 400000000u

enum shared_reader_check {
	SHARED_READER_CHECK_MESSAGE = 1,
};

const char guest_name[] = "shared_reader";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	volatile char *mailbox = (volatile char *)SHARED_MAILBOX_GPA;
	char copy[32];
	u32 i;

	console_printf("shared_reader: waiting for the writer at 0x%x\n", SHARED_MAILBOX_GPA);
	__asm__ volatile("sti" ::: "memory");
	for (u32 round = 0; round < SHARED_POLL_ROUNDS && mailbox[0] != 'm'; round++)
		;
	__asm__ volatile("cli" ::: "memory");
	for (i = 0; i < sizeof(copy) - 1 && mailbox[i]; i++)
		copy[i] = mailbox[i];
	copy[i] = '\0';
	check_str(SHARED_READER_CHECK_MESSAGE, "read the writer's message", copy, SHARED_MESSAGE);
	console_printf("shared_reader: got \"%s\"\n", copy);
	test_exit(GUEST_EXIT_PASS);
}
