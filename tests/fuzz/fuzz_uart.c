// SPDX-License-Identifier: MIT
/* libFuzzer target for devices/uart16550.c: the input is a stream of 3-byte commands
 * (op, offset, value) driving registers, the I/O adapter, host input and flushes, with the
 * UART's promises (bounded FIFO and line, clean console text, fixed LSR bits) checked. */
#include "fuzz_support.h"

#include <moat/uart16550.h>

#define FUZZ_UART_OWNER	       "fuzz"
#define FUZZ_UART_COMMAND_SIZE 3
#define FUZZ_UART_HOST_QUEUE   32
#define FUZZ_UART_BYTE_MASK    0xffu
#define FUZZ_UART_IER_BITS     0x0f

/* op bits 0-2 choose the command; bits 3-4 the access size of an I/O adapter command. */
#define FUZZ_UART_OP_KIND_MASK	0x07
#define FUZZ_UART_OP_SIZE_SHIFT 3
#define FUZZ_UART_OP_SIZE_MASK	0x03

enum fuzz_uart_op {
	FUZZ_UART_WRITE_REG,
	FUZZ_UART_READ_REG,
	FUZZ_UART_IO_OUT,
	FUZZ_UART_IO_IN,
	FUZZ_UART_RECEIVE,
	FUZZ_UART_HOST_TYPES, /* the host console gets a key for the next poll */
	FUZZ_UART_FLUSH,
	FUZZ_UART_REINIT, /* value bit 0: with host input or without */
};

static const u8 fuzz_uart_sizes[] = {1, 2, 4, 4};

static struct uart16550 uart;

/* Host keys waiting for the UART to poll them. */
static struct {
	u8 bytes[FUZZ_UART_HOST_QUEUE];
	u32 head, count;
} host;

static void fuzz_uart_emit_line(void *owner, const char *text, size_t len)
{
	FUZZ_CHECK(strcmp(owner, FUZZ_UART_OWNER) == 0);
	FUZZ_CHECK(len < UART_LINE_MAX);
	FUZZ_CHECK(text[len] == '\0');
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(text[i] == '\t' || fuzz_is_printable(text[i]));
}

static bool fuzz_uart_poll_input(u8 *byte)
{
	if (!host.count)
		return false;
	*byte = host.bytes[host.head];
	host.head = (host.head + 1) % FUZZ_UART_HOST_QUEUE;
	host.count--;
	return true;
}

static void fuzz_uart_host_types(u8 byte)
{
	if (host.count == FUZZ_UART_HOST_QUEUE)
		return;
	host.bytes[(host.head + host.count) % FUZZ_UART_HOST_QUEUE] = byte;
	host.count++;
}

static void fuzz_uart_check_state(void)
{
	FUZZ_CHECK(uart.rx_count <= UART_RX_FIFO_SIZE);
	FUZZ_CHECK(uart.rx_head < UART_RX_FIFO_SIZE);
	FUZZ_CHECK(uart.line_len < UART_LINE_MAX);
	FUZZ_CHECK((uart.ier & ~FUZZ_UART_IER_BITS) == 0);
}

static void fuzz_uart_check_read(u16 offset, u32 value)
{
	FUZZ_CHECK(value <= FUZZ_UART_BYTE_MASK);
	if (offset == UART_LSR)
		FUZZ_CHECK((value & (UART_LSR_THRE | UART_LSR_TEMT)) ==
			   (UART_LSR_THRE | UART_LSR_TEMT));
	if (offset == UART_IER && !(uart.lcr & UART_LCR_DLAB))
		FUZZ_CHECK((value & ~FUZZ_UART_IER_BITS) == 0);
	if (offset == UART_SCR)
		FUZZ_CHECK(value == uart.scr);
}

static void fuzz_uart_io(u8 op, u16 offset, u8 value, bool in)
{
	u8 size = fuzz_uart_sizes[(op >> FUZZ_UART_OP_SIZE_SHIFT) & FUZZ_UART_OP_SIZE_MASK];
	/* Upper bytes of a wide OUT carry junk the UART must ignore. */
	u32 wide = value | ((u32)op << 8) | ((u32)~value << 16);

	offset %= UART_PORT_COUNT;
	FUZZ_CHECK(uart_io(NULL, &uart, offset, size, in, &wide) == IO_HANDLED);
	if (in)
		fuzz_uart_check_read(offset, wide);
}

static void fuzz_uart_run(u8 op, u8 offset, u8 value)
{
	u32 before = uart.rx_count;

	switch ((enum fuzz_uart_op)(op & FUZZ_UART_OP_KIND_MASK)) {
	case FUZZ_UART_WRITE_REG:
		uart_write_reg(&uart, offset, value);
		break;
	case FUZZ_UART_READ_REG:
		fuzz_uart_check_read(offset, uart_read_reg(&uart, offset));
		break;
	case FUZZ_UART_IO_OUT:
		fuzz_uart_io(op, offset, value, false);
		break;
	case FUZZ_UART_IO_IN:
		fuzz_uart_io(op, offset, value, true);
		break;
	case FUZZ_UART_RECEIVE:
		FUZZ_CHECK(uart_receive(&uart, value) == (before < UART_RX_FIFO_SIZE));
		break;
	case FUZZ_UART_HOST_TYPES:
		fuzz_uart_host_types(value);
		break;
	case FUZZ_UART_FLUSH:
		uart_flush(&uart);
		FUZZ_CHECK(uart.line_len == 0);
		break;
	case FUZZ_UART_REINIT:
		uart_init(&uart, (void *)FUZZ_UART_OWNER, fuzz_uart_emit_line,
			  (value & 1) ? fuzz_uart_poll_input : NULL);
		break;
	}
	fuzz_uart_check_state();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	memset(&host, 0, sizeof(host));
	uart_init(&uart, (void *)FUZZ_UART_OWNER, fuzz_uart_emit_line, fuzz_uart_poll_input);
	for (size_t i = 0; i + FUZZ_UART_COMMAND_SIZE <= size; i += FUZZ_UART_COMMAND_SIZE)
		fuzz_uart_run(data[i], data[i + 1], data[i + 2]);
	uart_flush(&uart);
	return 0;
}
