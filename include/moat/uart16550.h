/* SPDX-License-Identifier: MIT */
/* A 16550A UART as a guest sees it (devices/uart16550.c): a console for polling and for
 * interrupt-driven drivers (Linux's 8250). Output is collected into lines and handed to the
 * guest's console (vmm/console.c); its interrupt output drives one line (vmm/irq.c). */
#ifndef MOAT_UART16550_H
#define MOAT_UART16550_H

#include <moat/io.h>
#include <moat/types.h>

#define UART_COM1_BASE 0x3f8
#define UART_PORT_COUNT 8
#define UART_RX_FIFO_SIZE 16
#define UART_LINE_MAX 160

/* Register offsets (PC16550D data sheet, table II). */
#define UART_RBR 0 /* receive buffer (read, DLAB=0) */
#define UART_THR 0 /* transmit holding (write, DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

#define UART_LCR_DLAB 0x80
#define UART_MCR_LOOP 0x10
#define UART_MCR_OUT2 0x08 /* on a PC, gates the interrupt output onto the IRQ line */
/* IER bits (PC16550D data sheet 8.5). */
#define UART_IER_RDI  0x01 /* received data available */
#define UART_IER_THRI 0x02 /* transmitter holding register empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI  0x08 /* modem status */
#define UART_LSR_DR 0x01   /* data ready */
#define UART_LSR_OE 0x02   /* overrun error */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty */
#define UART_IIR_NO_INT 0x01
/* IIR interrupt identification, by priority (data sheet table IV). */
#define UART_IIR_RLSI 0x06
#define UART_IIR_RDI  0x04
#define UART_IIR_THRI 0x02
#define UART_IIR_MSI  0x00
#define UART_IIR_FIFO_ENABLED 0xc0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
/* MSR with CTS, DSR and DCD asserted: a terminal is attached. */
#define UART_MSR_CONNECTED 0xb0

/* Where console lines go: context is what uart_init was given, text has no newline. */
typedef void (*uart_line_fn)(void *context, const char *text, size_t len);
/* Returns true and a byte when the host has input for this guest. */
typedef bool (*uart_input_fn)(u8 *byte);
/* The UART's interrupt line, as MCR.OUT2 gates it: context is what uart_init was given. */
typedef void (*uart_irq_fn)(void *context, bool high);

struct uart16550 {
	u8 ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending; /* THR empty interrupt, until IIR reports it or THR is written */
	u8 lsr_errors;     /* LSR error bits (overrun), cleared by reading LSR */
	u8 msr_delta;      /* MSR bits 3:0, cleared by reading MSR */
	bool irq_high;     /* the line as last driven */
	uart_irq_fn set_irq; /* NULL: no interrupt line */
	u8 rx[UART_RX_FIFO_SIZE];
	u32 rx_head, rx_count;
	char line[UART_LINE_MAX];
	u32 line_len;
	void *context;
	uart_line_fn emit_line;
	uart_input_fn poll_input; /* NULL: this guest gets no host input */
};

void uart_init(struct uart16550 *uart, void *context, uart_line_fn emit_line,
	       uart_input_fn poll_input);
/* Connects the interrupt output (after uart_init). */
void uart_connect_irq(struct uart16550 *uart, uart_irq_fn set_irq);
u8 uart_read_reg(struct uart16550 *uart, u16 offset);
void uart_write_reg(struct uart16550 *uart, u16 offset, u8 value);
/* Queues a received byte and raises the RX interrupt; a full FIFO overruns (LSR.OE) and
 * returns false. */
bool uart_receive(struct uart16550 *uart, u8 byte);
/* Moves host input into the receive FIFO while it has room (not in loopback), raising the
 * RX interrupt: called periodically, so a halted guest gets its input too. */
void uart_poll_host(struct uart16550 *uart);
/* Emits a pending partial line (when the guest stops). */
void uart_flush(struct uart16550 *uart);
/* io_handler_fn adapter: device is a struct uart16550. */
enum io_result uart_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value);

#endif
