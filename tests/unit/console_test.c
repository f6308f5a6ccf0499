// SPDX-License-Identifier: MIT
/* The console path: the output ring (lib/log_ring.c) with its share kept for Moat's own lines,
 * the log's queueing over a device that is busy (lib/log.c), and a guest's console budget with
 * its dropped-bytes count and notice (vmm/console.c). */
#include "test_support.h"

#include <moat/console.h>
#include <moat/log_ring.h>

#define TSC_PER_MS 1000u /* a million ticks a second: one byte every ~977 at 1024 bytes/s */
#define TICKS_PER_BYTE (TSC_PER_MS * 1000u / CONSOLE_DEFAULT_BYTES_PER_SECOND)

/* ---- a device that takes only what the test lets it ---- */
static char device_out[2 * LOG_MOAT_RING_BYTES];
static size_t device_len;
static size_t device_room;      /* bytes it takes before it is busy */
static u32 device_calls;
static size_t device_per_call;  /* 0: all it has room for */

static size_t fake_transmit(const char *text, size_t len)
{
	size_t n = MIN(len, device_room);

	device_calls++;
	if (device_per_call)
		n = MIN(n, device_per_call);
	memcpy(device_out + device_len, text, n);
	device_len += n;
	device_room -= n;
	return n;
}

static void device_reset(size_t room)
{
	log_flush();
	device_len = 0;
	device_room = room;
	device_calls = 0;
	device_per_call = 0;
	log_set_transmitter(fake_transmit);
	log_set_level(LOG_DEBUG);
}

static u64 count_of(const char *text, size_t len, const char *needle)
{
	u64 n = 0;
	size_t needle_len = strlen(needle);

	for (size_t i = 0; i + needle_len <= len; i++)
		if (memcmp(text + i, needle, needle_len) == 0)
			n++;
	return n;
}

/* Offset of the first needle in text, or len. */
static size_t offset_of(const char *text, size_t len, const char *needle)
{
	size_t needle_len = strlen(needle);

	for (size_t i = 0; i + needle_len <= len; i++)
		if (memcmp(text + i, needle, needle_len) == 0)
			return i;
	return len;
}

/* ---- the ring itself ---- */
static void test_ring_wraps_and_keeps_order(void **state)
{
	char bytes[16], out[32];
	struct log_ring ring;
	const char *text;
	size_t n, got = 0;

	log_ring_init(&ring, bytes, sizeof(bytes));
	assert_true(log_ring_put(&ring, "0123456789", 10));
	n = log_ring_peek(&ring, &text);
	assert_int_equal(n, 10);
	log_ring_consume(&ring, 6);
	/* 4 queued; 12 more wrap around the end of the buffer. */
	assert_true(log_ring_put(&ring, "abcdefghijkl", 12));
	assert_int_equal(log_ring_used(&ring), 16);
	assert_false(log_ring_put(&ring, "x", 1));
	while ((n = log_ring_peek(&ring, &text))) {
		memcpy(out + got, text, n);
		got += n;
		log_ring_consume(&ring, n);
	}
	assert_int_equal(got, 16);
	assert_memory_equal(out, "6789abcdefghijkl", 16);
	/* A line longer than the ring never fits, even when it is empty. */
	assert_false(log_ring_put(&ring, "0123456789abcdefg", 17));
	assert_true(log_ring_put(&ring, "0123456789abcdef", 16));
}

/* ---- the log over a busy device ---- */
static void test_buffered_lines_wait_for_the_device(void **state)
{
	log_set_buffered(true);
	device_reset(10);
	log_info("hello from moat");
	/* The device took what it had room for; the rest waits in the ring. */
	assert_int_equal(device_len, 10);
	assert_true(log_output_pending());
	device_room = 1000;
	log_drain();
	assert_false(log_output_pending());
	assert_int_equal(device_len, strlen("moat: info: hello from moat\n"));
	assert_memory_equal(device_out, "moat: info: hello from moat\n", device_len);
	log_set_buffered(false);
}

static void test_full_ring_refuses_guests_not_moat(void **state)
{
	u32 guest_lines = 0, moat_lines = 0;
	size_t moat_bytes = 0;
	char line[100], text[64];

	log_set_buffered(true);
	device_reset(0);
	/* Guest lines fill their ring and are refused from then on. */
	memset(text, 'x', 63);
	text[63] = '\0';
	while (log_guest_line("flood", text, 63))
		guest_lines++;
	assert_int_equal(guest_lines, LOG_GUEST_RING_BYTES / 72);
	assert_false(log_guest_line("flood", "x", 1));
	/* Moat's lines still go in, up to their whole ring. */
	for (u32 i = 0; moat_bytes + 100 <= LOG_MOAT_RING_BYTES; i++) {
		int n = snprintf(line, sizeof(line), "moat: audit: record %u\n", i);

		log_raw(line, (size_t)n);
		moat_bytes += (size_t)n;
		moat_lines++;
	}
	assert_int_equal(device_len, 0);
	assert_false(log_guest_line("flood", "x", 1));
	/* The device wakes up: everything comes out, Moat's lines first, nothing lost. */
	device_room = sizeof(device_out);
	log_drain();
	assert_false(log_output_pending());
	assert_int_equal(count_of(device_out, device_len, "[flood] x"), guest_lines);
	assert_int_equal(count_of(device_out, device_len, "moat: audit: record "), moat_lines);
	assert_memory_equal(device_out, "moat: audit: record 0\n", 22);
	assert_int_equal(offset_of(device_out, device_len, "[flood] "), moat_bytes);
	log_set_buffered(false);
}

/* The device takes a few bytes at a time while both rings fill: every line comes out whole. */
static void test_lines_are_never_interleaved(void **state)
{
	log_set_buffered(true);
	device_reset(0);
	device_per_call = 5;
	assert_true(log_guest_line("g", "guest line one", 14));
	device_room = 7;
	log_drain();
	/* Mid-way through the guest's line, Moat queues one: it waits for the line's end. */
	log_info("moat line");
	assert_true(log_guest_line("g", "guest line two", 14));
	device_room = sizeof(device_out);
	log_flush();
	assert_int_equal(device_len, strlen("[g] guest line one\nmoat: info: moat line\n"
					    "[g] guest line two\n"));
	assert_memory_equal(device_out,
			    "[g] guest line one\nmoat: info: moat line\n[g] guest line two\n",
			    device_len);
	log_set_buffered(false);
}

static void test_moat_line_waits_when_ring_is_full(void **state)
{
	static char big[LOG_MOAT_RING_BYTES];
	const char *line = "moat: info: summary: still here\n";

	log_set_buffered(true);
	device_reset(0);
	memset(big, 'm', sizeof(big));
	log_raw(big, LOG_MOAT_RING_BYTES - 10);
	/* The device takes 16 bytes a call, like a UART FIFO: the next Moat line makes room by
	 * feeding it, and is not lost. */
	device_room = sizeof(device_out);
	device_per_call = 16;
	log_info("summary: still here");
	log_flush();
	assert_int_equal(device_len, LOG_MOAT_RING_BYTES - 10 + strlen(line));
	assert_memory_equal(device_out + LOG_MOAT_RING_BYTES - 10, line, strlen(line));
	log_set_buffered(false);
}

static void test_unbuffered_lines_are_written_at_once(void **state)
{
	log_set_buffered(false);
	device_reset(1000);
	device_per_call = 3;
	log_warn("booting");
	assert_false(log_output_pending());
	assert_memory_equal(device_out, "moat: warn: booting\n", device_len);
}

/* Last: a panic cannot be undone. */
static void test_panic_writes_past_the_ring(void **state)
{
	const char *expected = "moat: info: queued before the panic\nmoat: error: panic: test\n";

	log_set_buffered(true);
	device_reset(0);
	log_info("queued before the panic");
	device_room = sizeof(device_out);
	device_per_call = 16;
	log_panic();
	log_error("panic: test");
	assert_false(log_output_pending());
	assert_int_equal(device_len, strlen(expected));
	assert_memory_equal(device_out, expected, device_len);
	/* Guest output has no place in a panic. */
	assert_false(log_guest_line("g", "x", 1));
}

/* ---- a guest's budget ---- */
static struct guest_console console;

static bool guest_line(const char *text, u64 now)
{
	return console_write_line(&console, "noisy", text, strlen(text), now, TSC_PER_MS);
}

static void test_budget_burst_then_rate(void **state)
{
	char text[101], expected[256];
	u32 written = 0;
	u64 now = 5000000;
	const size_t line_bytes = strlen("[noisy] ") + 100 + 1;

	test_log_capture();
	console_init(&console, CONSOLE_DEFAULT_BYTES_PER_SECOND);
	memset(text, 'a', 100);
	text[100] = '\0';
	/* The burst: as many whole lines as fit in CONSOLE_BURST_BYTES. */
	while (guest_line(text, now))
		written++;
	assert_int_equal(written, CONSOLE_BURST_BYTES / line_bytes);
	assert_int_equal(console.dropped, 101);
	for (u32 i = 0; i < 9; i++)
		assert_false(guest_line(text, now + i));
	assert_int_equal(console.dropped, 10 * 101);
	/* Not yet enough for the notice and a line. */
	now += 100 * TICKS_PER_BYTE;
	assert_false(guest_line(text, now));
	assert_int_equal(console.dropped, 11 * 101);
	/* A second later: 1024 bytes more; the line comes out after one notice of the count. */
	now += 1000 * TSC_PER_MS;
	test_log_capture();
	assert_true(guest_line(text, now));
	snprintf(expected, sizeof(expected),
		 "moat: warn: guest 'noisy': console: 1111 bytes dropped\n[noisy] %s\n", text);
	assert_string_equal(test_log_text(), expected);
	assert_int_equal(console.unreported, 0);
	assert_int_equal(console.dropped, 1111);
	/* The next line needs no notice. */
	test_log_capture();
	assert_true(guest_line("short", now));
	assert_string_equal(test_log_text(), "[noisy] short\n");
	console_summary(&console, "noisy");
	assert_log_contains("moat: info: summary: guest 'noisy': console: ");
	assert_log_contains("bytes printed, 1111 dropped (budget 1024 bytes/s)\n");
}

static void test_budget_refills_only_to_the_burst(void **state)
{
	char text[201];
	u32 written = 0;
	u64 now = 1;

	test_log_capture();
	console_init(&console, 4096);
	memset(text, 'b', 200);
	text[200] = '\0';
	/* An hour of silence still buys only one burst. */
	guest_line("first", now);
	now += 3600ull * 1000 * TSC_PER_MS;
	while (guest_line(text, now))
		written++;
	assert_int_equal(written, CONSOLE_BURST_BYTES / (strlen("[noisy] ") + 201));
	/* A rate above the burst gets a second's worth. */
	console_init(&console, 20000);
	written = 0;
	while (guest_line(text, now))
		written++;
	assert_int_equal(written, 20000 / (strlen("[noisy] ") + 201));
}

static void test_budget_counts_ring_refusals(void **state)
{
	u32 written = 0;

	log_set_buffered(true);
	device_reset(0);
	console_init(&console, CONSOLE_MAX_BYTES_PER_SECOND);
	/* A fast budget, a stuck device: the guests' ring is the limit, and what it refuses is
	 * counted like what the budget refuses. */
	while (console_write_line(&console, "g", "0123456789", 10, 7, TSC_PER_MS))
		written++;
	assert_int_equal(written, LOG_GUEST_RING_BYTES / strlen("[g] 0123456789\n"));
	assert_int_equal(console.dropped, 11);
	device_room = sizeof(device_out);
	log_flush();
	log_set_buffered(false);
}

static void test_summary_quiet_without_drops(void **state)
{
	test_log_capture();
	console_init(&console, CONSOLE_DEFAULT_BYTES_PER_SECOND);
	assert_true(guest_line("hello", 10));
	test_log_capture();
	console_summary(&console, "noisy");
	assert_string_equal(test_log_text(), "");
}

static void test_no_clock_no_limit(void **state)
{
	char text[201];

	test_log_capture();
	console_init(&console, 1);
	memset(text, 'c', 200);
	text[200] = '\0';
	for (u32 i = 0; i < 200; i++)
		assert_true(console_write_line(&console, "noisy", text, 200, i, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_wraps_and_keeps_order),
		cmocka_unit_test(test_lines_are_never_interleaved),
		cmocka_unit_test(test_buffered_lines_wait_for_the_device),
		cmocka_unit_test(test_full_ring_refuses_guests_not_moat),
		cmocka_unit_test(test_moat_line_waits_when_ring_is_full),
		cmocka_unit_test(test_unbuffered_lines_are_written_at_once),
		cmocka_unit_test(test_budget_burst_then_rate),
		cmocka_unit_test(test_budget_refills_only_to_the_burst),
		cmocka_unit_test(test_budget_counts_ring_refusals),
		cmocka_unit_test(test_summary_quiet_without_drops),
		cmocka_unit_test(test_no_clock_no_limit),
		cmocka_unit_test(test_panic_writes_past_the_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
