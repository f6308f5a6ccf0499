/* SPDX-License-Identifier: MIT */
/* Moat's own log: leveled lines "moat: <level>: ..." written to one sink (COM1 + 0xE9 on
 * the machine, stderr in host tests). */
#ifndef MOAT_LOG_H
#define MOAT_LOG_H

#include <stdarg.h>
#include <moat/types.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

typedef void (*log_sink_fn)(const char *text, size_t len);

void log_set_sink(log_sink_fn sink);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_level_from_name(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...) __printf(2, 3);
/* Writes one guest console line as "[owner] text". */
void log_guest_line(const char *owner, const char *text, size_t len);
/* Writes text as it is (no prefix, no newline added): guest console lines, banners. */
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
