// SPDX-License-Identifier: MIT
/* The host console: a polled 16550 at COM1 (and the emulators' port 0xE9 debug console).
 * This is the physical UART; guests see devices/uart16550.c instead. */
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

static bool debugcon_present;

void serial_init(void)
{
	x86_outb(COM1 + UART_IER, 0);
	x86_outb(COM1 + UART_LCR, UART_LCR_DLAB);
	x86_outb(COM1 + UART_DLL, SERIAL_DIVISOR_115200);
	x86_outb(COM1 + UART_DLM, 0);
	x86_outb(COM1 + UART_LCR, SERIAL_LCR_8N1);
	x86_outb(COM1 + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	x86_outb(COM1 + UART_MCR, SERIAL_MCR_DTR_RTS_OUT2);
	debugcon_present = x86_inb(DEBUGCON_PORT) == DEBUGCON_PRESENT;
}

static void serial_put(char c)
{
	/* Bounded wait: a missing or stuck UART must not hang Moat. */
	for (u32 spin = 0; spin < SERIAL_SPIN_LIMIT; spin++) {
		if (x86_inb(COM1 + UART_LSR) & UART_LSR_THRE)
			break;
		x86_pause();
	}
	x86_outb(COM1 + UART_THR, (u8)c);
}

void serial_write(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			serial_put('\r');
		serial_put(text[i]);
		if (debugcon_present)
			x86_outb(DEBUGCON_PORT, (u8)text[i]);
	}
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
