// SPDX-License-Identifier: MIT
/* Leveled log lines to a single sink chosen at start-up. */
#include <moat/log.h>
#include <moat/string.h>

static log_sink_fn log_sink;
static enum log_level log_threshold = LOG_INFO;

static const char *const log_level_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void log_set_sink(log_sink_fn sink)
{
	log_sink = sink;
}

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

enum log_level log_get_level(void)
{
	return log_threshold;
}

bool log_level_from_name(const char *name, enum log_level *out)
{
	for (u32 i = 0; i < ARRAY_SIZE(log_level_names); i++) {
		if (strcmp(name, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

/* Several CPUs share the console: one line at a time. The wait is bounded so that a CPU that
 * stopped while holding the lock (a panic) cannot silence the others. */
#define LOG_LOCK_SPINS 10000000u
static u32 log_lock_word;

void log_raw(const char *text, size_t len)
{
	u32 spins = 0;

	if (!log_sink)
		return;
	while (__atomic_exchange_n(&log_lock_word, 1, __ATOMIC_ACQUIRE) && ++spins < LOG_LOCK_SPINS)
		__builtin_ia32_pause();
	log_sink(text, len);
	__atomic_store_n(&log_lock_word, 0, __ATOMIC_RELEASE);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[512];
	va_list args;
	int n;

	if (level > log_threshold)
		return;
	n = format(line, sizeof(line), "moat: %s: ", log_level_names[level]);
	va_start(args, fmt);
	n += format_string(line + n, sizeof(line) - (size_t)n, fmt, args);
	va_end(args);
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	log_raw(line, (size_t)n);
}

/* Guest text reaches the operator's terminal: only printable ASCII and tab pass, so a
 * guest cannot send escape sequences (anything else shows as '?'). */
static bool log_is_printable(char c)
{
	return (c >= ' ' && c <= '~') || c == '\t';
}

void log_guest_line(const char *owner, const char *text, size_t len)
{
	char line[512];
	int n = format(line, sizeof(line), "[%s] ", owner);

	for (size_t i = 0; i < len && (size_t)n < sizeof(line) - 2; i++)
		line[n++] = log_is_printable(text[i]) ? text[i] : '?';
	line[n++] = '\n';
	log_raw(line, (size_t)n);
}
