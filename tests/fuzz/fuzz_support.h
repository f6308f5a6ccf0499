/* SPDX-License-Identifier: MIT */
/* Helpers shared by the libFuzzer targets in tests/fuzz/: a checked-invariant macro that
 * turns a broken promise into a crash libFuzzer records, and checks on text Moat prints. */
#ifndef MOAT_FUZZ_SUPPORT_H
#define MOAT_FUZZ_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <moat/types.h>

/* A violated invariant is a finding like a sanitizer report: print it and abort. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define FUZZ_ASCII_FIRST_PRINTABLE 0x20
#define FUZZ_ASCII_LAST_PRINTABLE  0x7e

static inline bool fuzz_is_printable(char c)
{
	return c >= FUZZ_ASCII_FIRST_PRINTABLE && c <= FUZZ_ASCII_LAST_PRINTABLE;
}

/* A message Moat prints must be terminated inside its buffer and hold nothing a terminal
 * could interpret: input from a guest or a config file must never reach it unquoted. */
static inline void fuzz_check_message(const char *text, size_t size)
{
	size_t len = strnlen(text, size);

	FUZZ_CHECK(len < size);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(fuzz_is_printable(text[i]));
}

/* The longest line Moat's log writes (lib/log.c formats into 512 bytes). */
#define FUZZ_LOG_LINE_MAX 512

/* Log sink for the targets: the output is a stream of lines of printable text, each ended by a
 * newline. The log hands its ring to the device in pieces (a line that wraps around the ring
 * comes in two), so lines are checked across calls. */
static inline void fuzz_check_log_line(const char *text, size_t len)
{
	static size_t line_length;

	FUZZ_CHECK(len > 0);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			line_length = 0;
			continue;
		}
		FUZZ_CHECK(fuzz_is_printable(text[i]));
		FUZZ_CHECK(++line_length < FUZZ_LOG_LINE_MAX);
	}
}

/* FUZZ_VERBOSE=1 in the environment: say what the code under test answered (for checking
 * that seeds get past the first checks). */
static inline void fuzz_report(const char *target, int rc, const char *err)
{
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "%s: rc %d%s%s\n", target, rc, err[0] ? ": " : "", err);
}

#endif
