// SPDX-License-Identifier: MIT
/* hostile_console: writes long console lines as fast as it can, forever: 256-byte
 * MOAT_HC_CONSOLE_WRITE lines and long UART lines written without looking at LSR, with a
 * denied port write now and then so that Moat has audit records to print meanwhile. Moat must
 * keep it to its console budget and count what it drops; only its time limit stops it. */
#include "guest.h"

#define FLOOD_LINE_BYTES HYPERCALL_CONSOLE_WRITE_MAX
/* One UART line: as long as Moat's line buffer takes (UART_LINE_MAX 160, with the NUL). */
#define FLOOD_UART_LINE_BYTES 150
#define FLOOD_HYPERCALLS_PER_ROUND 4
/* A port no device claims (docs/guest-interface.md, "Port I/O"): each write is audited. */
#define FLOOD_DENIED_PORT 0x1234
#define FLOOD_AUDIT_EVERY 16u

const char guest_name[] = "hostile_console";

static char flood_line[FLOOD_LINE_BYTES];

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u32 round = 0;

	for (u32 i = 0; i < FLOOD_LINE_BYTES; i++)
		flood_line[i] = (char)('a' + i % 26);
	console_puts("hostile_console: flooding the console\n");
	port_outb(FLOOD_DENIED_PORT, 0x5a);
	for (;;) {
		for (u32 i = 0; i < FLOOD_HYPERCALLS_PER_ROUND; i++)
			hypercall_args(HYPERCALL_CONSOLE_WRITE, (u32)flood_line, FLOOD_LINE_BYTES);
		/* THR only: the guest UART always reports its transmitter empty. */
		for (u32 i = 0; i < FLOOD_UART_LINE_BYTES; i++)
			port_outb(UART_PORT_DATA, (u8)flood_line[i]);
		port_outb(UART_PORT_DATA, '\n');
		if (++round % FLOOD_AUDIT_EVERY == 0)
			port_outb(FLOOD_DENIED_PORT, (u8)round);
	}
}
