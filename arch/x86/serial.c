// SPDX-License-Identifier: MIT
/* The host console: a polled 16550 at COM1 (and the emulators' port 0xE9 debug console).
 * This is the physical UART; guests see devices/uart16550.c instead. Output never waits:
 * serial_transmit gives the UART what its transmit FIFO takes now (lib/log.c queues the rest). */
#include <moat/arch.h>
#include <moat/uart16550.h>
#include <moat/x86.h>

#define COM1 UART_COM1_BASE
#define DEBUGCON_PORT 0xe9
/* A read of port 0xE9 returns 0xE9 where QEMU's isa-debugcon or Bochs' port_e9_hack is. */
#define DEBUGCON_PRESENT 0xe9
#define SERIAL_DIVISOR_115200 1
#define SERIAL_LCR_8N1 0x03
#define SERIAL_MCR_DTR_RTS_OUT2 0x0b
#define SERIAL_SPIN_LIMIT 100000
/* PC16550D data sheet, 8.4 and 8.6.3: with the FIFOs enabled, LSR.THRE is set when the
 * 16-byte transmit FIFO is empty, and IIR bits 7:6 read 11. Without FIFOs (a 16450) THRE
 * means room for one byte. */
#define SERIAL_TX_FIFO_BYTES 16
#define SERIAL_IIR_FIFOS_ENABLED 0xc0

static bool debugcon_present;
static u32 serial_tx_burst = 1;
/* The CR of a newline went out in the last burst; its LF goes first in the next. */
static bool serial_cr_sent;

void serial_init(void)
{
	x86_outb(COM1 + UART_IER, 0);
	x86_outb(COM1 + UART_LCR, UART_LCR_DLAB);
	x86_outb(COM1 + UART_DLL, SERIAL_DIVISOR_115200);
	x86_outb(COM1 + UART_DLM, 0);
	x86_outb(COM1 + UART_LCR, SERIAL_LCR_8N1);
	x86_outb(COM1 + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	x86_outb(COM1 + UART_MCR, SERIAL_MCR_DTR_RTS_OUT2);
	if ((x86_inb(COM1 + UART_IIR) & SERIAL_IIR_FIFOS_ENABLED) == SERIAL_IIR_FIFOS_ENABLED)
		serial_tx_burst = SERIAL_TX_FIFO_BYTES;
	debugcon_present = x86_inb(DEBUGCON_PORT) == DEBUGCON_PRESENT;
}

u32 serial_fifo_bytes(void)
{
	return serial_tx_burst;
}

/* Called by one CPU at a time (lib/log.c's drain lock). */
size_t serial_transmit(const char *text, size_t len)
{
	u32 room = serial_tx_burst;
	size_t i;

	if (!(x86_inb(COM1 + UART_LSR) & UART_LSR_THRE))
		return 0;
	for (i = 0; i < len && room; i++, room--) {
		/* A newline goes out as CR LF; without room for the LF it waits for the next
		 * burst, and the newline counts as sent only then. */
		if (text[i] == '\n' && !serial_cr_sent) {
			x86_outb(COM1 + UART_THR, '\r');
			serial_cr_sent = true;
			if (!--room)
				break;
		}
		serial_cr_sent = false;
		x86_outb(COM1 + UART_THR, (u8)text[i]);
		if (debugcon_present)
			x86_outb(DEBUGCON_PORT, (u8)text[i]);
	}
	return i;
}

void serial_drain(void)
{
	for (u32 spin = 0; spin < SERIAL_SPIN_LIMIT; spin++) {
		if (x86_inb(COM1 + UART_LSR) & UART_LSR_TEMT)
			return;
		x86_pause();
	}
}

bool serial_read_byte(u8 *byte)
{
	if (!(x86_inb(COM1 + UART_LSR) & UART_LSR_DR))
		return false;
	*byte = x86_inb(COM1 + UART_RBR);
	return true;
}
