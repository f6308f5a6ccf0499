// SPDX-License-Identifier: MIT
/* Unit tests for devices/uart16550.c: every register, line assembly into console lines,
 * host input through the receive FIFO, and the port I/O adapter. */
#include "test_support.h"

#include <moat/uart16550.h>

#define CAPTURE_MAX_LINES 8
#define INPUT_MAX	  32

/* Lines the UART emitted, as a console sink would see them. */
static struct {
	char text[CAPTURE_MAX_LINES][UART_LINE_MAX + 1];
	size_t len[CAPTURE_MAX_LINES];
	const char *owner[CAPTURE_MAX_LINES];
	u32 count;
} captured;

/* Host input the fake console hands out one byte per poll. */
static struct {
	u8 bytes[INPUT_MAX];
	u32 len, pos, polls;
} input;

static void capture_line(void *owner, const char *text, size_t len)
{
	u32 i = captured.count++;

	assert_true(i < CAPTURE_MAX_LINES);
	assert_true(len < UART_LINE_MAX);
	memcpy(captured.text[i], text, len);
	captured.text[i][len] = '\0';
	captured.len[i] = len;
	captured.owner[i] = owner;
}

static bool fake_poll_input(u8 *byte)
{
	input.polls++;
	if (input.pos == input.len)
		return false;
	*byte = input.bytes[input.pos++];
	return true;
}

static void input_set(const char *text)
{
	memset(&input, 0, sizeof(input));
	input.len = (u32)strlen(text);
	memcpy(input.bytes, text, input.len);
}

static struct uart16550 uart;

static int setup(void **state)
{
	memset(&captured, 0, sizeof(captured));
	memset(&input, 0, sizeof(input));
	uart_init(&uart, (void *)"guest0", capture_line, fake_poll_input);
	return 0;
}

static void send(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		uart_write_reg(&uart, UART_THR, (u8)text[i]);
}

static void send_str(const char *text)
{
	send(text, strlen(text));
}

/* ---- registers ---- */

static void test_dlab_switches_divisor_latch(void **state)
{
	uart_write_reg(&uart, UART_IER, 0x05);
	uart_write_reg(&uart, UART_LCR, UART_LCR_DLAB | 0x03);
	uart_write_reg(&uart, UART_DLL, 0x0c);
	uart_write_reg(&uart, UART_DLM, 0x01);
	assert_int_equal(uart_read_reg(&uart, UART_DLL), 0x0c);
	assert_int_equal(uart_read_reg(&uart, UART_DLM), 0x01);
	/* Divisor writes went nowhere near the transmitter or IER. */
	assert_int_equal(captured.count, 0);
	uart_flush(&uart);
	assert_int_equal(captured.count, 0);

	uart_write_reg(&uart, UART_LCR, 0x03);
	assert_int_equal(uart_read_reg(&uart, UART_IER), 0x05);
	assert_int_equal(uart_read_reg(&uart, UART_LCR), 0x03);
	assert_int_equal(uart.dll, 0x0c);
	assert_int_equal(uart.dlm, 0x01);
}

static void test_ier_keeps_low_four_bits(void **state)
{
	uart_write_reg(&uart, UART_IER, 0xff);
	assert_int_equal(uart_read_reg(&uart, UART_IER), 0x0f);
	uart_write_reg(&uart, UART_IER, 0xa2);
	assert_int_equal(uart_read_reg(&uart, UART_IER), 0x02);
}

static void test_iir_without_and_with_fifo(void **state)
{
	assert_int_equal(uart_read_reg(&uart, UART_IIR), UART_IIR_NO_INT);
	uart_write_reg(&uart, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(uart_read_reg(&uart, UART_IIR), UART_IIR_NO_INT | UART_IIR_FIFO_ENABLED);
	uart_write_reg(&uart, UART_FCR, 0);
	assert_int_equal(uart_read_reg(&uart, UART_IIR), UART_IIR_NO_INT);
}

static void test_fcr_clear_rx_empties_fifo(void **state)
{
	assert_true(uart_receive(&uart, 'a'));
	assert_true(uart_receive(&uart, 'b'));
	uart_write_reg(&uart, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(uart.rx_count, 2);
	uart_write_reg(&uart, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	assert_int_equal(uart.rx_count, 0);
	uart.poll_input = NULL;
	assert_int_equal(uart_read_reg(&uart, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 0);
}

static void test_lcr_mcr_scr_read_back(void **state)
{
	uart_write_reg(&uart, UART_LCR, 0x1b);
	uart_write_reg(&uart, UART_MCR, 0x0b);
	uart_write_reg(&uart, UART_SCR, 0x5a);
	assert_int_equal(uart_read_reg(&uart, UART_LCR), 0x1b);
	assert_int_equal(uart_read_reg(&uart, UART_MCR), 0x0b);
	assert_int_equal(uart_read_reg(&uart, UART_SCR), 0x5a);
	uart_write_reg(&uart, UART_SCR, 0xa5);
	assert_int_equal(uart_read_reg(&uart, UART_SCR), 0xa5);
	/* MCR bits 5-7 are permanently zero (data sheet 8.7). */
	uart_write_reg(&uart, UART_MCR, 0xff);
	assert_int_equal(uart_read_reg(&uart, UART_MCR), 0x1f);
}

static void test_lsr_transmitter_always_empty(void **state)
{
	uart.poll_input = NULL;
	assert_int_equal(uart_read_reg(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	send_str("xyz");
	assert_int_equal(uart_read_reg(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_true(uart_receive(&uart, 'k'));
	assert_int_equal(uart_read_reg(&uart, UART_LSR),
			 UART_LSR_THRE | UART_LSR_TEMT | UART_LSR_DR);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 'k');
	assert_int_equal(uart_read_reg(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
}

static void test_msr_normal_reports_connected(void **state)
{
	assert_int_equal(uart_read_reg(&uart, UART_MSR), UART_MSR_CONNECTED);
	uart_write_reg(&uart, UART_MCR, 0x0f);
	assert_int_equal(uart_read_reg(&uart, UART_MSR), UART_MSR_CONNECTED);
}

static void test_msr_loopback_maps_mcr(void **state)
{
	static const struct {
		u8 mcr, msr;
	} cases[] = {
	    {0x00, 0x00}, /* nothing asserted */
	    {0x01, 0x20}, /* DTR -> DSR */
	    {0x02, 0x10}, /* RTS -> CTS */
	    {0x04, 0x40}, /* OUT1 -> RI */
	    {0x08, 0x80}, /* OUT2 -> DCD */
	    {0x0f, 0xf0}, {0x0a, 0x90},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uart_write_reg(&uart, UART_MCR, UART_MCR_LOOP | cases[i].mcr);
		/* Bits 3:0 are the deltas (tested below); Linux's probe masks them too. */
		assert_int_equal(uart_read_reg(&uart, UART_MSR) & 0xf0, cases[i].msr);
	}
	uart_write_reg(&uart, UART_MCR, 0x0f);
	assert_int_equal(uart_read_reg(&uart, UART_MSR) & 0xf0, UART_MSR_CONNECTED);
}

/* Linux's 8250 probe: loopback on, write a byte, read it back, no console output. */
static void test_loopback_round_trip(void **state)
{
	input_set("host");
	uart_write_reg(&uart, UART_MCR, UART_MCR_LOOP);
	uart_write_reg(&uart, UART_THR, 0x5a);
	uart_write_reg(&uart, UART_THR, '\n');
	assert_int_equal(uart_read_reg(&uart, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 0x5a);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), '\n');
	/* Host input stays out of the loop while the line is disconnected. */
	assert_int_equal(uart_read_reg(&uart, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 0);
	assert_int_equal(input.pos, 0);
	uart_flush(&uart);
	assert_int_equal(captured.count, 0);

	uart_write_reg(&uart, UART_MCR, 0);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 'h');
}

static void test_unknown_offset_reads_floating_bus(void **state)
{
	assert_int_equal(uart_read_reg(&uart, UART_PORT_COUNT), 0xff);
	uart_write_reg(&uart, UART_PORT_COUNT, 'x');
	uart_write_reg(&uart, UART_LSR, 0);
	uart_write_reg(&uart, UART_MSR, 0);
	assert_int_equal(uart_read_reg(&uart, UART_MSR), UART_MSR_CONNECTED);
	uart_flush(&uart);
	assert_int_equal(captured.count, 0);
}

/* ---- line assembly ---- */

static void test_newline_emits_line(void **state)
{
	send_str("hello\nworld\n");
	assert_int_equal(captured.count, 2);
	assert_string_equal(captured.text[0], "hello");
	assert_int_equal(captured.len[0], 5);
	assert_string_equal(captured.owner[0], "guest0");
	assert_string_equal(captured.text[1], "world");
}

static void test_empty_line_is_emitted(void **state)
{
	send_str("\n");
	assert_int_equal(captured.count, 1);
	assert_int_equal(captured.len[0], 0);
}

static void test_carriage_return_dropped(void **state)
{
	send_str("a\r\nb\rc\r\n");
	assert_int_equal(captured.count, 2);
	assert_string_equal(captured.text[0], "a");
	assert_string_equal(captured.text[1], "bc");
}

static void test_long_line_split(void **state)
{
	char text[UART_LINE_MAX * 2];

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	send(text, UART_LINE_MAX - 1);
	/* Exactly full: nothing out until the newline, which emits one line, not two. */
	assert_int_equal(captured.count, 0);
	send_str("\n");
	assert_int_equal(captured.count, 1);
	assert_int_equal(captured.len[0], UART_LINE_MAX - 1);
	assert_memory_equal(captured.text[0], text, UART_LINE_MAX - 1);

	send(text, UART_LINE_MAX + 5);
	assert_int_equal(captured.count, 2);
	assert_int_equal(captured.len[1], UART_LINE_MAX - 1);
	send_str("\n");
	assert_int_equal(captured.count, 3);
	assert_int_equal(captured.len[2], 6);
	assert_memory_equal(captured.text[2], text + UART_LINE_MAX - 1, 6);
}

static void test_control_characters_replaced(void **state)
{
	static const char esc[] = "\x1b[2J\ttab\x07\x7f\x9b"
				  "1m\x00z";

	send(esc, sizeof(esc) - 1);
	send_str("\n");
	assert_int_equal(captured.count, 1);
	assert_int_equal(captured.len[0], 15);
	assert_string_equal(captured.text[0], "?[2J\ttab???1m?z");
}

static void test_flush_emits_partial_line(void **state)
{
	uart_flush(&uart);
	assert_int_equal(captured.count, 0);
	send_str("partial");
	assert_int_equal(captured.count, 0);
	uart_flush(&uart);
	assert_int_equal(captured.count, 1);
	assert_string_equal(captured.text[0], "partial");
	uart_flush(&uart);
	assert_int_equal(captured.count, 1);
	send_str("next\n");
	assert_string_equal(captured.text[1], "next");
}

static void test_null_emit_line_is_safe(void **state)
{
	uart_init(&uart, (void *)"quiet", NULL, NULL);
	send_str("dropped\n");
	send_str("partial");
	uart_flush(&uart);
	assert_int_equal(uart.line_len, 0);
}

/* ---- input ---- */

static void test_input_sets_data_ready_in_order(void **state)
{
	input_set("ok");
	assert_int_equal(uart_read_reg(&uart, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	/* A second LSR read with data pending does not pull more. */
	assert_int_equal(uart_read_reg(&uart, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	assert_int_equal(input.pos, 1);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 'o');
	/* RBR on an empty FIFO polls as well. */
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 'k');
	assert_int_equal(uart_read_reg(&uart, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 0);
	assert_int_equal(input.pos, 2);
}

static void test_no_poll_input_means_no_data(void **state)
{
	uart_init(&uart, (void *)"other", capture_line, NULL);
	assert_int_equal(uart_read_reg(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 0);
}

static void test_receive_refuses_when_full(void **state)
{
	for (u32 i = 0; i < UART_RX_FIFO_SIZE; i++)
		assert_true(uart_receive(&uart, (u8)('A' + i)));
	assert_false(uart_receive(&uart, 'z'));
	assert_int_equal(uart.rx_count, UART_RX_FIFO_SIZE);
	for (u32 i = 0; i < UART_RX_FIFO_SIZE; i++)
		assert_int_equal(uart_read_reg(&uart, UART_RBR), 'A' + i);
	/* The ring wrapped correctly: refill past the end of the array. */
	assert_true(uart_receive(&uart, '1'));
	assert_true(uart_receive(&uart, '2'));
	assert_int_equal(uart_read_reg(&uart, UART_RBR), '1');
	assert_int_equal(uart_read_reg(&uart, UART_RBR), '2');
	assert_int_equal(input.polls, 0);
}

/* ---- io adapter ---- */

static void test_io_sizes_use_low_byte(void **state)
{
	static const u8 sizes[] = {1, 2, 4};

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		u32 value = 0xdeadbe00u | (u32)(0x40 + i);

		assert_int_equal(uart_io(NULL, &uart, UART_SCR, sizes[i], false, &value),
				 IO_HANDLED);
		value = 0xffffffffu;
		assert_int_equal(uart_io(NULL, &uart, UART_SCR, sizes[i], true, &value),
				 IO_HANDLED);
		assert_int_equal(value, 0x40 + i);
	}
	{
		u32 value = 0x1234;

		uart_io(NULL, &uart, UART_THR, 2, false, &value);
		value = '\n';
		uart_io(NULL, &uart, UART_THR, 4, false, &value);
		assert_int_equal(captured.count, 1);
		assert_string_equal(captured.text[0], "4");
	}
	{
		u32 value = 0;

		uart.poll_input = NULL;
		uart_io(NULL, &uart, UART_LSR, 4, true, &value);
		assert_int_equal(value, UART_LSR_THRE | UART_LSR_TEMT);
	}
}

/* ---- interrupts: IER, IIR priorities, THRE, RX, line status, modem status, OUT2 ---- */

#define TEST_IIR_FIFO 0xc0
#define TEST_LSR_IDLE (UART_LSR_THRE | UART_LSR_TEMT)

static struct {
	bool high;
	u32 rises;
} line;

static void capture_irq(void *context, bool high)
{
	assert_true(high != line.high); /* only changes are reported */
	line.high = high;
	line.rises += high;
}

static int setup_irq(void **state)
{
	setup(state);
	memset(&line, 0, sizeof(line));
	uart_connect_irq(&uart, capture_irq);
	return 0;
}

static void test_thre_interrupt_as_linux_tests_it(void **state)
{
	uart_write_reg(&uart, UART_MCR, UART_MCR_OUT2);
	assert_false(line.high);
	/* serial8250_do_startup's UART_BUG_THRE test: THRI set, IIR says THRE (and reading it
	 * clears it); IER cleared and set again: THRE is reasserted. */
	uart_write_reg(&uart, UART_IER, UART_IER_THRI);
	assert_true(line.high);
	assert_int_equal(uart_read_reg(&uart, UART_IIR), UART_IIR_THRI);
	assert_false(line.high);
	assert_int_equal(uart_read_reg(&uart, UART_IIR), UART_IIR_NO_INT);
	uart_write_reg(&uart, UART_IER, 0);
	uart_write_reg(&uart, UART_IER, UART_IER_THRI);
	assert_int_equal(uart_read_reg(&uart, UART_LSR), TEST_LSR_IDLE);
	assert_int_equal(uart_read_reg(&uart, UART_IIR), UART_IIR_THRI);
	/* Rewriting IER with THRI still set does not raise it again. */
	uart_write_reg(&uart, UART_IER, UART_IER_THRI);
	assert_false(line.high);
	/* A THR write raises it again once the byte has left: a fresh edge each time. */
	line.rises = 0;
	send_str("ab");
	assert_true(line.high);
	assert_int_equal(line.rises, 2);
	/* Clearing THRI drops the line. */
	uart_write_reg(&uart, UART_IER, 0);
	assert_false(line.high);
	uart_flush(&uart);
}

static void test_out2_gates_the_line(void **state)
{
	uart_write_reg(&uart, UART_IER, UART_IER_THRI);
	assert_false(line.high);
	assert_int_equal(uart_read_reg(&uart, UART_IIR) & 0x0f, UART_IIR_THRI);
	uart_write_reg(&uart, UART_IER, 0);
	uart_write_reg(&uart, UART_IER, UART_IER_THRI);
	uart_write_reg(&uart, UART_MCR, UART_MCR_OUT2);
	assert_true(line.high);
	uart_write_reg(&uart, UART_MCR, 0);
	assert_false(line.high);
}

static void test_rx_interrupt_and_priorities(void **state)
{
	uart_write_reg(&uart, UART_FCR, UART_FCR_ENABLE);
	uart_write_reg(&uart, UART_MCR, UART_MCR_OUT2);
	uart_write_reg(&uart, UART_IER, UART_IER_RDI | UART_IER_THRI);
	/* Host input arrives while the guest does nothing (a halted vCPU). */
	input_set("xy");
	uart_poll_host(&uart);
	assert_true(line.high);
	/* RX data outranks THRE; IIR shows the FIFO bits. */
	assert_int_equal(uart_read_reg(&uart, UART_IIR), TEST_IIR_FIFO | UART_IIR_RDI);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 'x');
	assert_int_equal(uart_read_reg(&uart, UART_IIR), TEST_IIR_FIFO | UART_IIR_RDI);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 'y');
	/* FIFO empty: THRE is next, and reading IIR clears it. */
	assert_int_equal(uart_read_reg(&uart, UART_IIR), TEST_IIR_FIFO | UART_IIR_THRI);
	assert_false(line.high);
	assert_int_equal(uart_read_reg(&uart, UART_IIR), TEST_IIR_FIFO | UART_IIR_NO_INT);
}

static void test_line_status_overrun_outranks_rx(void **state)
{
	uart_write_reg(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	uart_write_reg(&uart, UART_IER, UART_IER_RDI | UART_IER_RLSI);
	for (u32 i = 0; i <= UART_RX_FIFO_SIZE; i++)
		uart_write_reg(&uart, UART_THR, 'a');
	assert_true(line.high);
	assert_int_equal(uart_read_reg(&uart, UART_IIR), UART_IIR_RLSI);
	/* Reading LSR reports and clears the overrun. */
	assert_int_equal(uart_read_reg(&uart, UART_LSR), TEST_LSR_IDLE | UART_LSR_DR | UART_LSR_OE);
	assert_int_equal(uart_read_reg(&uart, UART_IIR), UART_IIR_RDI);
	assert_int_equal(uart_read_reg(&uart, UART_LSR), TEST_LSR_IDLE | UART_LSR_DR);
}

static void test_loopback_rx_interrupt(void **state)
{
	uart_write_reg(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	uart_write_reg(&uart, UART_IER, UART_IER_RDI);
	/* Loopback keeps host input out of the FIFO. */
	input_set("h");
	uart_poll_host(&uart);
	assert_false(line.high);
	uart_write_reg(&uart, UART_THR, 'L');
	assert_true(line.high);
	assert_int_equal(uart_read_reg(&uart, UART_RBR), 'L');
	assert_false(line.high);
}

static void test_modem_status_interrupt(void **state)
{
	uart_write_reg(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	uart_read_reg(&uart, UART_MSR); /* entering loopback changed DCD */
	uart_write_reg(&uart, UART_IER, UART_IER_MSI);
	assert_false(line.high);
	/* RTS -> CTS: DCTS; OUT1 on then off -> RI trailing edge: TERI. */
	uart_write_reg(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | 0x02);
	assert_true(line.high);
	assert_int_equal(uart_read_reg(&uart, UART_IIR), UART_IIR_MSI);
	assert_int_equal(uart_read_reg(&uart, UART_MSR), 0x90 | 0x01);
	assert_false(line.high);
	uart_write_reg(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | 0x04);
	assert_int_equal(uart_read_reg(&uart, UART_MSR), 0xc0 | 0x01);
	uart_write_reg(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	assert_int_equal(uart_read_reg(&uart, UART_MSR), 0x80 | 0x04);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_dlab_switches_divisor_latch, setup),
	    cmocka_unit_test_setup(test_ier_keeps_low_four_bits, setup),
	    cmocka_unit_test_setup(test_iir_without_and_with_fifo, setup),
	    cmocka_unit_test_setup(test_fcr_clear_rx_empties_fifo, setup),
	    cmocka_unit_test_setup(test_lcr_mcr_scr_read_back, setup),
	    cmocka_unit_test_setup(test_lsr_transmitter_always_empty, setup),
	    cmocka_unit_test_setup(test_msr_normal_reports_connected, setup),
	    cmocka_unit_test_setup(test_msr_loopback_maps_mcr, setup),
	    cmocka_unit_test_setup(test_thre_interrupt_as_linux_tests_it, setup_irq),
	    cmocka_unit_test_setup(test_out2_gates_the_line, setup_irq),
	    cmocka_unit_test_setup(test_rx_interrupt_and_priorities, setup_irq),
	    cmocka_unit_test_setup(test_line_status_overrun_outranks_rx, setup_irq),
	    cmocka_unit_test_setup(test_loopback_rx_interrupt, setup_irq),
	    cmocka_unit_test_setup(test_modem_status_interrupt, setup_irq),
	    cmocka_unit_test_setup(test_loopback_round_trip, setup),
	    cmocka_unit_test_setup(test_unknown_offset_reads_floating_bus, setup),
	    cmocka_unit_test_setup(test_newline_emits_line, setup),
	    cmocka_unit_test_setup(test_empty_line_is_emitted, setup),
	    cmocka_unit_test_setup(test_carriage_return_dropped, setup),
	    cmocka_unit_test_setup(test_long_line_split, setup),
	    cmocka_unit_test_setup(test_control_characters_replaced, setup),
	    cmocka_unit_test_setup(test_flush_emits_partial_line, setup),
	    cmocka_unit_test_setup(test_null_emit_line_is_safe, setup),
	    cmocka_unit_test_setup(test_input_sets_data_ready_in_order, setup),
	    cmocka_unit_test_setup(test_no_poll_input_means_no_data, setup),
	    cmocka_unit_test_setup(test_receive_refuses_when_full, setup),
	    cmocka_unit_test_setup(test_io_sizes_use_low_byte, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
