// SPDX-License-Identifier: MIT
/* Guest console output: the per-guest token bucket of bytes in front of Moat's console ring,
 * the dropped-bytes count, and the notice that reports it. Moat's own lines never pass here:
 * a guest's budget only ever limits that guest. Also the periodic poll of host input. */
#include <moat/console.h>
#include <moat/irq.h>
#include <moat/log.h>
#include <moat/platform.h>
#include <moat/vm.h>
#include <moat/x86.h>

#define MS_PER_SECOND 1000u

void console_init(struct guest_console *console, u32 bytes_per_second)
{
	*console = (struct guest_console){ .bytes_per_second = bytes_per_second };
}

static u64 console_burst(const struct guest_console *console)
{
	return MAX((u64)CONSOLE_BURST_BYTES, (u64)console->bytes_per_second);
}

/* Adds the bytes earned since the last refill, at bytes_per_second, up to the burst. */
static void console_refill(struct guest_console *console, u64 now, u64 tsc_per_ms)
{
	u64 ticks_per_byte, earned, burst = console_burst(console);

	if (!console->started) {
		console->started = true;
		console->tokens = burst;
		console->last_refill = now;
		return;
	}
	if (!tsc_per_ms || !console->bytes_per_second) {
		console->tokens = burst;
		return;
	}
	/* Another CPU's TSC may be a little behind the one that refilled last. */
	if ((s64)(now - console->last_refill) <= 0)
		return;
	ticks_per_byte = MAX(tsc_per_ms * MS_PER_SECOND / console->bytes_per_second, 1);
	earned = (now - console->last_refill) / ticks_per_byte;
	if (earned >= burst - console->tokens) {
		console->tokens = burst;
		console->last_refill = now;
	} else {
		console->tokens += earned;
		console->last_refill += earned * ticks_per_byte;
	}
}

/* The notice for drops since the last one, then the line; returns the length. */
static size_t console_format(const struct guest_console *console, char *out, size_t size,
			     const char *owner, const char *text, size_t len)
{
	size_t n = 0;

	if (console->unreported && log_get_level() >= LOG_WARN)
		n = (size_t)format(out, size,
				   "moat: warn: guest '%s': console: %lu bytes dropped\n", owner,
				   console->unreported);
	n = MIN(n, size);
	return n + log_format_guest_line(out + n, size - n, owner, text, len);
}

bool console_write_line(struct guest_console *console, const char *owner, const char *text,
			size_t len, u64 now, u64 tsc_per_ms)
{
	char line[LOG_GUEST_LINE_MAX + 128];
	bool written = false;
	size_t n;

	spin_lock(&console->lock);
	console_refill(console, now, tsc_per_ms);
	n = console_format(console, line, sizeof(line), owner, text, len);
	/* The notice goes out with the line or not at all: its bytes are the guest's too. */
	if (n <= console->tokens && log_guest_text(line, n)) {
		console->tokens -= n;
		console->printed += n;
		console->unreported = 0;
		written = true;
	} else {
		console->dropped += len + 1;
		console->unreported += len + 1;
	}
	spin_unlock(&console->lock);
	return written;
}

void console_summary(const struct guest_console *console, const char *owner)
{
	if (!console->dropped)
		return;
	log_info("summary: guest '%s': console: %lu bytes printed, %lu dropped (budget %u bytes/s)",
		 owner, console->printed, console->dropped, console->bytes_per_second);
}

void vm_console_line(void *context, const char *text, size_t len)
{
	struct vm *vm = context;

	console_write_line(&vm->console, vm->name, text, len, x86_rdtsc(), vm->tsc_per_ms);
}

void vm_console_irq(void *context, bool high)
{
	irq_set_line(context, PLATFORM_IRQ_COM1, high);
}

void vm_poll_console_input(struct vm *vm)
{
	if (!vm->console_input ||
	    __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STATE_RUNNING)
		return;
	spin_lock(&vm->device_lock);
	/* Checked again under the lock a rebuild takes to reset the UART. */
	if (vm->state == VM_STATE_RUNNING)
		uart_poll_host(&vm->uart);
	spin_unlock(&vm->device_lock);
}
