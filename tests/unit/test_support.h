/* SPDX-License-Identifier: MIT */
/* Shared helpers for the cmocka unit tests: includes in the order cmocka needs, and a log
 * sink that captures Moat's log lines so tests can assert on the messages. */
#ifndef MOAT_TEST_SUPPORT_H
#define MOAT_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <moat/log.h>

static char test_log_buffer[16384];
static size_t test_log_length;

static void test_log_sink(const char *text, size_t len)
{
	if (test_log_length + len >= sizeof(test_log_buffer))
		len = sizeof(test_log_buffer) - 1 - test_log_length;
	memcpy(test_log_buffer + test_log_length, text, len);
	test_log_length += len;
	test_log_buffer[test_log_length] = '\0';
	if (getenv("MOAT_TEST_VERBOSE"))
		fwrite(text, 1, len, stderr);
}

/* Starts capturing the log (call at the start of a test or in a setup function). */
static inline void test_log_capture(void)
{
	test_log_length = 0;
	test_log_buffer[0] = '\0';
	log_set_sink(test_log_sink);
	log_set_level(LOG_DEBUG);
}

static inline const char *test_log_text(void)
{
	return test_log_buffer;
}

#define assert_log_contains(needle)                                                         \
	do {                                                                                \
		if (!strstr(test_log_buffer, (needle)))                                     \
			fail_msg("log lacks \"%s\"; log was:\n%s", (needle), test_log_buffer); \
	} while (0)

#endif
