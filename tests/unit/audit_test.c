// SPDX-License-Identifier: MIT
/* The audit trail (vmm/audit.c): the exact line format, sequence numbers that count every
 * record, the per-guest rate limit and the "suppressed" record that keeps its count. */
#include "test_support.h"

#include <moat/audit.h>

#define REFILL 1000

static u64 count_lines(const char *text, const char *needle)
{
	u64 n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static u64 seq_of(const char *line)
{
	return strtoull(strstr(line, "seq=") + 4, NULL, 10);
}

static void test_line_format(void **state)
{
	struct audit_log log;
	struct audit_record r = { .event = AUDIT_MSR_READ, .target = 0xc0010117, .value = 0,
				  .action = AUDIT_GP, .vcpu = 0 };
	struct audit_record i = { .event = AUDIT_INSTRUCTION, .target = 0x80, .value = 0x100010,
				  .action = AUDIT_RESTARTED, .detail = "VMRUN", .vcpu = 1 };
	char expected[256];
	u64 first;

	test_log_capture();
	audit_init(&log, REFILL);
	audit_record(&log, "probe", &r, 5000);
	audit_record(&log, "probe", &i, 5001);
	first = seq_of(test_log_text());

	snprintf(expected, sizeof(expected),
		 "moat: audit: seq=%lu tsc=5000 guest=probe vcpu=0 event=msr-read "
		 "target=0xc0010117 value=0x0 action=gp\n"
		 "moat: audit: seq=%lu tsc=5001 guest=probe vcpu=1 event=instruction "
		 "target=0x80 value=0x100010 action=restarted detail=VMRUN\n",
		 first, first + 1);
	assert_string_equal(test_log_text(), expected);
	assert_int_equal(log.records, 2);
	assert_int_equal(log.by_event[AUDIT_MSR_READ], 1);
	assert_int_equal(log.by_event[AUDIT_INSTRUCTION], 1);
}

static void test_rate_limit_keeps_count(void **state)
{
	struct audit_log log;
	struct audit_record r = { .event = AUDIT_PORT_READ, .target = 0x80,
				  .action = AUDIT_ALL_ONES };
	const char *suppressed;

	test_log_capture();
	audit_init(&log, REFILL);
	/* A burst in one instant: only AUDIT_BURST lines, the rest counted. */
	for (u32 k = 0; k < AUDIT_BURST + 10; k++)
		audit_record(&log, "flood", &r, 100);
	assert_int_equal(count_lines(test_log_text(), "event=port-read"), AUDIT_BURST);
	assert_int_equal(log.records, AUDIT_BURST + 10);
	assert_int_equal(log.suppressed, 10);

	/* After one refill interval one more record prints, preceded by the count it hid. */
	audit_record(&log, "flood", &r, 100 + REFILL);
	suppressed = strstr(test_log_text(), "event=suppressed");
	assert_non_null(suppressed);
	assert_non_null(strstr(suppressed, "value=0xa action=dropped"));
	assert_int_equal(count_lines(test_log_text(), "event=port-read"), AUDIT_BURST + 1);
	assert_int_equal(log.unreported, 0);
	assert_int_equal(log.suppressed, 10);
}

static void test_sequence_has_gaps_where_records_were_dropped(void **state)
{
	struct audit_log log;
	struct audit_record r = { .event = AUDIT_HYPERCALL, .target = 7, .action = AUDIT_ENOSYS };
	const char *text, *suppressed;
	u64 first, final;

	test_log_capture();
	audit_init(&log, REFILL);
	for (u32 k = 0; k < AUDIT_BURST + 5; k++)
		audit_record(&log, "g", &r, 0);
	audit_record(&log, "g", &r, REFILL);
	text = test_log_text();
	first = seq_of(text);
	/* The final record is the line after the "suppressed" one. */
	suppressed = strstr(text, "event=suppressed");
	assert_non_null(suppressed);
	final = seq_of(strchr(suppressed, '\n') + 1);
	/* 32 printed + 5 dropped + 1 suppressed record + the final record */
	assert_int_equal(final - first, AUDIT_BURST + 5 + 1);
}

static void test_stops_and_restarts_are_never_suppressed(void **state)
{
	struct audit_log log;
	struct audit_record port = { .event = AUDIT_PORT_READ, .action = AUDIT_ALL_ONES };
	struct audit_record stop = { .event = AUDIT_NPF, .target = 0xfee00300, .value = 2,
				     .action = AUDIT_STOPPED };

	test_log_capture();
	audit_init(&log, REFILL);
	for (u32 k = 0; k < AUDIT_BURST + 3; k++)
		audit_record(&log, "g", &port, 0);
	audit_record(&log, "g", &stop, 0);
	assert_non_null(strstr(test_log_text(), "event=npf target=0xfee00300 value=0x2 "
						"action=stopped"));
	/* the three hidden port reads are reported just before it */
	assert_non_null(strstr(test_log_text(), "event=suppressed target=0x0 value=0x3"));
}

static void test_tokens_refill_up_to_burst_only(void **state)
{
	struct audit_log log;
	struct audit_record r = { .event = AUDIT_MSR_WRITE, .target = 0x1b, .value = 1,
				  .action = AUDIT_GP };

	test_log_capture();
	audit_init(&log, REFILL);
	audit_record(&log, "g", &r, 0);
	/* A long quiet time earns no more than a full burst. */
	for (u32 k = 0; k < 2 * AUDIT_BURST; k++)
		audit_record(&log, "g", &r, 1000 * REFILL);
	assert_int_equal(log.suppressed, AUDIT_BURST);
}

static void test_summary_counts_by_event(void **state)
{
	struct audit_log log;
	struct audit_record port = { .event = AUDIT_PORT_WRITE, .action = AUDIT_DROPPED };
	struct audit_record msr = { .event = AUDIT_MSR_WRITE, .action = AUDIT_GP };

	audit_init(&log, REFILL);
	test_log_capture();
	audit_record(&log, "g", &port, 0);
	audit_record(&log, "g", &port, 0);
	audit_record(&log, "g", &msr, 0);
	test_log_capture();
	audit_summary(&log, "g");
	assert_string_equal(test_log_text(), "moat: info: summary: guest 'g': audit records 3 "
					     "(0 suppressed): port-write 2, msr-write 1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_rate_limit_keeps_count),
		cmocka_unit_test(test_sequence_has_gaps_where_records_were_dropped),
		cmocka_unit_test(test_stops_and_restarts_are_never_suppressed),
		cmocka_unit_test(test_tokens_refill_up_to_burst_only),
		cmocka_unit_test(test_summary_counts_by_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
