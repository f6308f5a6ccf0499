/* SPDX-License-Identifier: MIT */
/* Moat's own log: leveled lines "moat: <level>: ..." and guest console lines, queued in two
 * output rings and written to one device (COM1 + 0xE9 on the machine, a capture buffer in host
 * tests) as fast as it takes them. Moat's own lines have a ring no guest can fill and go out
 * first; guest lines that do not fit theirs are refused, for the caller to count. */
#ifndef MOAT_LOG_H
#define MOAT_LOG_H

#include <stdarg.h>
#include <moat/types.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The output rings: about 6 s of a 115200-baud line for Moat's own lines, 3 s for guests'. */
#define LOG_MOAT_RING_BYTES 65536u
#define LOG_GUEST_RING_BYTES 32768u
/* The longest guest console line, "[name] " and newline included. */
#define LOG_GUEST_LINE_MAX 512

/* A device that takes everything at once (host tests). */
typedef void (*log_sink_fn)(const char *text, size_t len);
/* A device that takes what it can now without waiting and returns how many bytes (COM1). */
typedef size_t (*log_transmit_fn)(const char *text, size_t len);

void log_set_sink(log_sink_fn sink);
void log_set_transmitter(log_transmit_fn transmit);
/* false (the start): every Moat line is written out before log_raw returns, as a boot log
 * should be. true (once guests run): Moat lines are queued, and written by log_drain. */
void log_set_buffered(bool buffered);
/* Hands the device what it takes now, if no other CPU is doing so; never waits. Called
 * wherever Moat has a moment: after queuing a line, at timer interrupts, when idle. */
void log_drain(void);
/* Whether the ring holds bytes the device has not taken yet. */
bool log_output_pending(void);
/* Waits (bounded) until the device has taken everything queued: before power-off. */
void log_flush(void);
/* Panic: flushes the ring, then every later line goes straight to the device. */
void log_panic(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_level_from_name(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...) __printf(2, 3);
/* Formats "[owner] text\n" with only printable ASCII and tab from text (the rest as '?'),
 * cut to size; returns its length. */
size_t log_format_guest_line(char *line, size_t size, const char *owner, const char *text,
			     size_t len);
/* Queues guest console output in the guests' ring, never waiting; false when it does not fit
 * (the caller counts it as dropped). */
bool log_guest_text(const char *text, size_t len);
/* log_format_guest_line, then log_guest_text. */
bool log_guest_line(const char *owner, const char *text, size_t len);
/* Writes one of Moat's own lines as it is (no prefix, no newline added): never refused for
 * guest output; waits for the device only when Moat's own lines fill their whole ring. */
void log_raw(const char *text, size_t len);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A small vsnprintf: %s %c %d %i %u %x %X %p %%, flags '0' '-', width, precision for %s,
 * length modifiers l ll z. Always NUL-terminates; returns the length it wanted. */
int format_string(char *buf, size_t size, const char *fmt, va_list args);
int format(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
