// SPDX-License-Identifier: MIT
/* A 16550A UART for a polling guest console: register file, a small receive FIFO fed from
 * host input, and transmit bytes collected into lines for Moat's log. */
#include <moat/string.h>
#include <moat/uart16550.h>

/* PC16550D data sheet, section 8.4: only IER bits 0-3 exist; bits 4-7 read as zero. */
#define UART_IER_MASK 0x0f
/* Section 8.7: MCR bits 5-7 are permanently zero. */
#define UART_MCR_MASK 0x1f

/* Section 8.7, loopback: the four modem control outputs are fed back to the modem status
 * inputs (DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD). */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

/* What a read of a register outside the eight the UART decodes returns: a floating bus. */
#define UART_FLOATING_BUS 0xff

#define UART_ASCII_FIRST_PRINTABLE 0x20
#define UART_ASCII_LAST_PRINTABLE  0x7e
#define UART_REPLACEMENT_CHAR	   '?'

void uart_init(struct uart16550 *uart, void *context, uart_line_fn emit_line,
	       uart_input_fn poll_input)
{
	memset(uart, 0, sizeof(*uart));
	uart->context = context;
	uart->emit_line = emit_line;
	uart->poll_input = poll_input;
}

static bool uart_dlab(const struct uart16550 *uart)
{
	return uart->lcr & UART_LCR_DLAB;
}

static bool uart_loopback(const struct uart16550 *uart)
{
	return uart->mcr & UART_MCR_LOOP;
}

bool uart_receive(struct uart16550 *uart, u8 byte)
{
	if (uart->rx_count == UART_RX_FIFO_SIZE)
		return false;
	uart->rx[(uart->rx_head + uart->rx_count) % UART_RX_FIFO_SIZE] = byte;
	uart->rx_count++;
	return true;
}

static u8 uart_rx_pop(struct uart16550 *uart)
{
	u8 byte;

	if (!uart->rx_count)
		return 0;
	byte = uart->rx[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % UART_RX_FIFO_SIZE;
	uart->rx_count--;
	return byte;
}

static void uart_rx_clear(struct uart16550 *uart)
{
	uart->rx_head = 0;
	uart->rx_count = 0;
}

/*
 * Pulls one byte of host input when the guest looks at an empty FIFO. In loopback the
 * serial input is disconnected from the line (data sheet 8.7), so host input waits; this
 * also keeps a probe's loopback test from seeing stray keystrokes.
 */
static void uart_poll_input(struct uart16550 *uart)
{
	u8 byte;

	if (uart->rx_count || !uart->poll_input || uart_loopback(uart))
		return;
	if (uart->poll_input(&byte))
		uart_receive(uart, byte);
}

static void uart_emit_line(struct uart16550 *uart)
{
	uart->line[uart->line_len] = '\0';
	if (uart->emit_line)
		uart->emit_line(uart->context, uart->line, uart->line_len);
	uart->line_len = 0;
}

void uart_flush(struct uart16550 *uart)
{
	if (uart->line_len)
		uart_emit_line(uart);
}

/*
 * Only printable ASCII and tab reach the operator's console: anything else could start a
 * terminal escape sequence (ESC, or a C1 control such as 0x9b CSI on an 8-bit terminal).
 */
static char uart_console_char(u8 byte)
{
	if (byte == '\t')
		return '\t';
	if (byte < UART_ASCII_FIRST_PRINTABLE || byte > UART_ASCII_LAST_PRINTABLE)
		return UART_REPLACEMENT_CHAR;
	return (char)byte;
}

static void uart_transmit(struct uart16550 *uart, u8 byte)
{
	if (uart_loopback(uart)) {
		/* Loopback: the transmitter feeds the receiver; a full FIFO overruns. */
		uart_receive(uart, byte);
		return;
	}
	if (byte == '\r')
		return;
	if (byte == '\n') {
		uart_emit_line(uart);
		return;
	}
	/* Keep room for the terminating NUL: a full line goes out as it is. */
	if (uart->line_len == UART_LINE_MAX - 1)
		uart_emit_line(uart);
	uart->line[uart->line_len++] = uart_console_char(byte);
}

static u8 uart_read_msr(const struct uart16550 *uart)
{
	u8 msr = 0;

	if (!uart_loopback(uart))
		return UART_MSR_CONNECTED;
	if (uart->mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (uart->mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	if (uart->mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (uart->mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	return msr;
}

static u8 uart_read_lsr(struct uart16550 *uart)
{
	/* The transmitter is always empty: output is consumed as soon as it is written. */
	u8 lsr = UART_LSR_THRE | UART_LSR_TEMT;

	uart_poll_input(uart);
	if (uart->rx_count)
		lsr |= UART_LSR_DR;
	return lsr;
}

static u8 uart_read_iir(const struct uart16550 *uart)
{
	/* No interrupt is ever pending: Moat has no interrupt controller for guests yet. */
	u8 iir = UART_IIR_NO_INT;

	if (uart->fcr & UART_FCR_ENABLE)
		iir |= UART_IIR_FIFO_ENABLED;
	return iir;
}

u8 uart_read_reg(struct uart16550 *uart, u16 offset)
{
	switch (offset) {
	case UART_RBR:
		if (uart_dlab(uart))
			return uart->dll;
		uart_poll_input(uart);
		return uart_rx_pop(uart);
	case UART_IER:
		return uart_dlab(uart) ? uart->dlm : uart->ier;
	case UART_IIR:
		return uart_read_iir(uart);
	case UART_LCR:
		return uart->lcr;
	case UART_MCR:
		return uart->mcr;
	case UART_LSR:
		return uart_read_lsr(uart);
	case UART_MSR:
		return uart_read_msr(uart);
	case UART_SCR:
		return uart->scr;
	default:
		return UART_FLOATING_BUS;
	}
}

static void uart_write_fcr(struct uart16550 *uart, u8 value)
{
	uart->fcr = value & UART_FCR_ENABLE;
	if (value & UART_FCR_CLEAR_RX)
		uart_rx_clear(uart);
}

void uart_write_reg(struct uart16550 *uart, u16 offset, u8 value)
{
	switch (offset) {
	case UART_THR:
		if (uart_dlab(uart))
			uart->dll = value;
		else
			uart_transmit(uart, value);
		break;
	case UART_IER:
		if (uart_dlab(uart))
			uart->dlm = value;
		else
			uart->ier = value & UART_IER_MASK;
		break;
	case UART_FCR:
		uart_write_fcr(uart, value);
		break;
	case UART_LCR:
		uart->lcr = value;
		break;
	case UART_MCR:
		uart->mcr = value & UART_MCR_MASK;
		break;
	case UART_SCR:
		uart->scr = value;
		break;
	default:
		/* LSR and MSR are read-only here (writes are for factory test only). */
		break;
	}
}

/* Every access size reaches the low byte: a wider IN reads the register zero-extended. */
enum io_result uart_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value)
{
	struct uart16550 *uart = device;

	if (in)
		*value = uart_read_reg(uart, offset);
	else
		uart_write_reg(uart, offset, (u8)*value);
	return IO_HANDLED;
}
