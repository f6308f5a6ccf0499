// SPDX-License-Identifier: MIT
/* A 16550A UART for a guest console: register file, a small receive FIFO fed from host
 * input, transmit bytes collected into lines for Moat's log, and the interrupts Linux's 8250
 * driver relies on (IER/IIR priorities, THRE re-assertion, OUT2 gating the line). */
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
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80
/* MSR delta bits (data sheet 8.9): DCTS, DDSR, TERI (RI went inactive), DDCD. */
#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08

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

void uart_connect_irq(struct uart16550 *uart, uart_irq_fn set_irq)
{
	uart->set_irq = set_irq;
}

/* The highest-priority pending interrupt's IIR code (data sheet table IV), or NO_INT. */
static u8 uart_pending_source(const struct uart16550 *uart)
{
	if ((uart->ier & UART_IER_RLSI) && uart->lsr_errors)
		return UART_IIR_RLSI;
	if ((uart->ier & UART_IER_RDI) && uart->rx_count)
		return UART_IIR_RDI;
	if ((uart->ier & UART_IER_THRI) && uart->thre_pending)
		return UART_IIR_THRI;
	if ((uart->ier & UART_IER_MSI) && uart->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/*
 * Drives the line: a pending interrupt, gated by MCR.OUT2 as the PC's COM1 wiring does.
 * In loopback the interrupts keep working (data sheet 8.7: "fully operational"); the line
 * follows the OUT2 bit there too (a PC would disconnect it), so loopback tests RX interrupts.
 */
static void uart_update_irq(struct uart16550 *uart)
{
	bool high = uart_pending_source(uart) != UART_IIR_NO_INT && (uart->mcr & UART_MCR_OUT2);

	if (high == uart->irq_high)
		return;
	uart->irq_high = high;
	if (uart->set_irq)
		uart->set_irq(uart->context, high);
}

static bool uart_queue(struct uart16550 *uart, u8 byte)
{
	if (uart->rx_count == UART_RX_FIFO_SIZE) {
		uart->lsr_errors |= UART_LSR_OE;
		return false;
	}
	uart->rx[(uart->rx_head + uart->rx_count) % UART_RX_FIFO_SIZE] = byte;
	uart->rx_count++;
	return true;
}

bool uart_receive(struct uart16550 *uart, u8 byte)
{
	bool queued = uart_queue(uart, byte);

	uart_update_irq(uart);
	return queued;
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
		uart_queue(uart, byte);
}

void uart_poll_host(struct uart16550 *uart)
{
	u8 byte;

	if (!uart->poll_input || uart_loopback(uart))
		return;
	while (uart->rx_count < UART_RX_FIFO_SIZE && uart->poll_input(&byte))
		uart_queue(uart, byte);
	uart_update_irq(uart);
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
		uart_queue(uart, byte);
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

static u8 uart_msr_status(const struct uart16550 *uart)
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

/* The modem status inputs changed from old to new: their delta bits are set. */
static void uart_msr_changed(struct uart16550 *uart, u8 old, u8 new)
{
	u8 changed = old ^ new;

	if (changed & UART_MSR_CTS)
		uart->msr_delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		uart->msr_delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(new & UART_MSR_RI))
		uart->msr_delta |= UART_MSR_TERI;
	if (changed & UART_MSR_DCD)
		uart->msr_delta |= UART_MSR_DDCD;
}

static u8 uart_read_msr(struct uart16550 *uart)
{
	u8 msr = uart_msr_status(uart) | uart->msr_delta;

	uart->msr_delta = 0;
	return msr;
}

static u8 uart_read_lsr(struct uart16550 *uart)
{
	/* The transmitter is always empty: output is consumed as soon as it is written. */
	u8 lsr = UART_LSR_THRE | UART_LSR_TEMT;

	uart_poll_input(uart);
	if (uart->rx_count)
		lsr |= UART_LSR_DR;
	/* Reading LSR clears its error bits (data sheet 8.6). */
	lsr |= uart->lsr_errors;
	uart->lsr_errors = 0;
	return lsr;
}

static u8 uart_read_iir(struct uart16550 *uart)
{
	u8 iir = uart_pending_source(uart);

	/* Reading IIR while THRE is the reported source clears it (data sheet table IV). */
	if (iir == UART_IIR_THRI)
		uart->thre_pending = false;
	if (uart->fcr & UART_FCR_ENABLE)
		iir |= UART_IIR_FIFO_ENABLED;
	return iir;
}

static u8 uart_read_decoded(struct uart16550 *uart, u16 offset)
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

u8 uart_read_reg(struct uart16550 *uart, u16 offset)
{
	u8 value = uart_read_decoded(uart, offset);

	uart_update_irq(uart);
	return value;
}

static void uart_write_fcr(struct uart16550 *uart, u8 value)
{
	uart->fcr = value & UART_FCR_ENABLE;
	if (value & UART_FCR_CLEAR_RX)
		uart_rx_clear(uart);
}

/* A THR write clears the THRE interrupt; the byte leaves at once, and the empty THR raises
 * it again: a falling and a rising edge, as a real 16550 gives once the byte is shifted. */
static void uart_write_thr(struct uart16550 *uart, u8 value)
{
	uart->thre_pending = false;
	uart_update_irq(uart);
	uart_transmit(uart, value);
	uart->thre_pending = true;
}

static void uart_write_ier(struct uart16550 *uart, u8 value)
{
	u8 old = uart->ier;

	uart->ier = value & UART_IER_MASK;
	/* THRI newly set with the THR empty (always, here) raises THRE: Linux's UART_BUG_THRE
	 * test in serial8250_do_startup sets it twice and expects the interrupt both times. */
	if ((uart->ier & UART_IER_THRI) && !(old & UART_IER_THRI))
		uart->thre_pending = true;
}

static void uart_write_mcr(struct uart16550 *uart, u8 value)
{
	u8 old = uart_msr_status(uart);

	uart->mcr = value & UART_MCR_MASK;
	uart_msr_changed(uart, old, uart_msr_status(uart));
}

static void uart_write_decoded(struct uart16550 *uart, u16 offset, u8 value)
{
	switch (offset) {
	case UART_THR:
		if (uart_dlab(uart))
			uart->dll = value;
		else
			uart_write_thr(uart, value);
		break;
	case UART_IER:
		if (uart_dlab(uart))
			uart->dlm = value;
		else
			uart_write_ier(uart, value);
		break;
	case UART_FCR:
		uart_write_fcr(uart, value);
		break;
	case UART_LCR:
		uart->lcr = value;
		break;
	case UART_MCR:
		uart_write_mcr(uart, value);
		break;
	case UART_SCR:
		uart->scr = value;
		break;
	default:
		/* LSR and MSR are read-only here (writes are for factory test only). */
		break;
	}
}

void uart_write_reg(struct uart16550 *uart, u16 offset, u8 value)
{
	uart_write_decoded(uart, offset, value);
	uart_update_irq(uart);
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
