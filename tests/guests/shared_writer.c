// SPDX-License-Identifier: MIT
/* shared_writer: writes a message into the shared region the configuration gives it and
 * its peer (tests/boot/shared.dts), then exits. */
#include "guest.h"

#define SHARED_MAILBOX_GPA 0x40000000u
#define SHARED_MESSAGE "moat-shared-ok"

enum shared_writer_check {
	SHARED_WRITER_CHECK_READ_BACK = 1,
};

const char guest_name[] = "shared_writer";

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	volatile char *mailbox = (volatile char *)SHARED_MAILBOX_GPA;
	const char *message = SHARED_MESSAGE;
	u32 i;

	console_printf("shared_writer: writing \"%s\" at 0x%x\n", message, SHARED_MAILBOX_GPA);
	for (i = 0; message[i]; i++)
		mailbox[i] = message[i];
	mailbox[i] = '\0';
	check_true(SHARED_WRITER_CHECK_READ_BACK, "the shared region reads back the message",
		   mailbox[0] == 'm' && mailbox[i - 1] == 'k');
	test_exit(GUEST_EXIT_PASS);
}
