// SPDX-License-Identifier: MIT
/* Leveled log lines and guest console lines, queued in two output rings (Moat's own, guests')
 * and handed to the console device as fast as it takes them, Moat's lines first, whole lines
 * from one ring at a time (docs/architecture.md, "The console"). */
#include <moat/log.h>
#include <moat/log_ring.h>
#include <moat/string.h>

static log_sink_fn log_sink;
static log_transmit_fn log_transmit;
static enum log_level log_threshold = LOG_INFO;

static const char *const log_level_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

/*
 * Two locks, neither held while waiting for the device: the log lock while a line is copied
 * into the ring, the drain lock while bytes go from the ring to the device (only as many as it
 * takes at once; CPUs with output to send try the drain lock and go on if it is taken). The
 * waits are bounded so that a CPU that stopped while holding a lock (a panic) cannot silence
 * the others: past the bound, a line is written straight to the device.
 */
#define LOG_LOCK_SPINS 10000000u
/* Polls of a device that takes nothing before it counts as stuck: at 115200 baud a byte takes
 * 87 us, far less than a million polls of a status register. */
#define LOG_DEVICE_SPINS 1000000u
static u32 log_lock_word;
static u32 log_drain_word;
static bool log_buffered;
static bool log_panicking;

static char log_moat_bytes[LOG_MOAT_RING_BYTES];
static char log_guest_bytes[LOG_GUEST_RING_BYTES];
static struct log_ring log_moat_ring = { .bytes = log_moat_bytes,
					 .size = LOG_MOAT_RING_BYTES };
static struct log_ring log_guest_ring = { .bytes = log_guest_bytes,
					  .size = LOG_GUEST_RING_BYTES };
/* The ring whose line the device is in the middle of (drain lock), NULL between lines. */
static struct log_ring *log_mid_line;

void log_set_sink(log_sink_fn sink)
{
	log_sink = sink;
	log_transmit = NULL;
}

void log_set_transmitter(log_transmit_fn transmit)
{
	log_transmit = transmit;
	log_sink = NULL;
}

void log_set_buffered(bool buffered)
{
	log_buffered = buffered;
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

static bool log_lock_bounded(u32 *word)
{
	for (u32 spins = 0; spins < LOG_LOCK_SPINS; spins++) {
		if (!__atomic_exchange_n(word, 1, __ATOMIC_ACQUIRE))
			return true;
		__builtin_ia32_pause();
	}
	return false;
}

static void log_unlock(u32 *word)
{
	__atomic_store_n(word, 0, __ATOMIC_RELEASE);
}

/* What the device takes now, without waiting. */
static size_t log_device_write(const char *text, size_t len)
{
	if (log_transmit)
		return log_transmit(text, len);
	if (log_sink)
		log_sink(text, len);
	return len;
}

/* Writes text to the device past the ring, polling it (bounded) while it is busy. */
static void log_write_direct(const char *text, size_t len)
{
	for (u32 idle = 0; len && idle < LOG_DEVICE_SPINS;) {
		size_t sent = log_device_write(text, len);

		text += sent;
		len -= sent;
		if (sent) {
			idle = 0;
		} else {
			idle++;
			__builtin_ia32_pause();
		}
	}
}

/* The ring to send from next: the one mid-line, else Moat's, else the guests'. A line without
 * its end yet (log_raw text without a newline) does not hold up the other ring. */
static struct log_ring *log_drain_source(void)
{
	if (log_mid_line && log_ring_used(log_mid_line))
		return log_mid_line;
	if (log_ring_used(&log_moat_ring))
		return &log_moat_ring;
	if (log_ring_used(&log_guest_ring))
		return &log_guest_ring;
	return NULL;
}

/* With the drain lock: hands the device what it takes now; returns the bytes sent. */
static size_t log_drain_locked(void)
{
	size_t total = 0, queued, chunk, sent;
	struct log_ring *ring;
	const char *text, *end;

	while ((ring = log_drain_source())) {
		queued = log_ring_peek(ring, &text);
		end = memchr(text, '\n', queued);
		chunk = end ? (size_t)(end - text) + 1 : queued;
		sent = log_device_write(text, chunk);
		log_ring_consume(ring, sent);
		total += sent;
		if (sent == chunk && end)
			log_mid_line = NULL;
		else if (sent)
			log_mid_line = ring;
		if (sent < chunk)
			break;
	}
	return total;
}

bool log_output_pending(void)
{
	return log_ring_used(&log_moat_ring) || log_ring_used(&log_guest_ring);
}

void log_drain(void)
{
	if (!log_output_pending() || __atomic_exchange_n(&log_drain_word, 1, __ATOMIC_ACQUIRE))
		return;
	log_drain_locked();
	log_unlock(&log_drain_word);
}

/* Polls the device (bounded) until ring holds at most target bytes. */
static void log_drain_until(const struct log_ring *ring, u32 target)
{
	bool locked = log_lock_bounded(&log_drain_word);

	for (u32 idle = 0; log_ring_used(ring) > target && idle < LOG_DEVICE_SPINS;) {
		if (log_drain_locked()) {
			idle = 0;
		} else {
			idle++;
			__builtin_ia32_pause();
		}
	}
	if (locked)
		log_unlock(&log_drain_word);
}

void log_flush(void)
{
	log_drain_until(&log_moat_ring, 0);
	log_drain_until(&log_guest_ring, 0);
}

void log_panic(void)
{
	log_flush();
	log_panicking = true;
}

/* Copies a whole line into ring; false when it does not fit, or the log lock stayed taken
 * past the bound. */
static bool log_put(struct log_ring *ring, const char *text, size_t len)
{
	bool queued;

	if (!log_lock_bounded(&log_lock_word))
		return false;
	queued = log_ring_put(ring, text, len);
	log_unlock(&log_lock_word);
	return queued;
}

void log_raw(const char *text, size_t len)
{
	if (!log_sink && !log_transmit)
		return;
	if (log_panicking) {
		log_write_direct(text, len);
		return;
	}
	/* A ring full of Moat's own lines (guest text never goes there): this line waits for
	 * the device to take enough of them. */
	if (!log_put(&log_moat_ring, text, len)) {
		log_drain_until(&log_moat_ring,
				len < LOG_MOAT_RING_BYTES ? LOG_MOAT_RING_BYTES - (u32)len : 0);
		if (!log_put(&log_moat_ring, text, len)) {
			log_write_direct(text, len);
			return;
		}
	}
	if (log_buffered)
		log_drain();
	else
		log_flush();
}

bool log_guest_text(const char *text, size_t len)
{
	if (!log_sink && !log_transmit)
		return false;
	if (log_panicking || !log_put(&log_guest_ring, text, len))
		return false;
	log_drain();
	return true;
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

size_t log_format_guest_line(char *line, size_t size, const char *owner, const char *text,
			     size_t len)
{
	size_t n;

	if (size < 2)
		return 0;
	n = (size_t)format(line, size - 1, "[%s] ", owner);
	n = MIN(n, size - 2);
	for (size_t i = 0; i < len && n < size - 1; i++)
		line[n++] = log_is_printable(text[i]) ? text[i] : '?';
	line[n++] = '\n';
	return n;
}

bool log_guest_line(const char *owner, const char *text, size_t len)
{
	char line[LOG_GUEST_LINE_MAX];

	return log_guest_text(line, log_format_guest_line(line, sizeof(line), owner, text, len));
}
