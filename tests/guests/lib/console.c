// SPDX-License-Identifier: MIT
/* The guest console: a polled 16550A UART at COM1 and a tiny printf over it. Output and
 * input both poll the line status register; there are no interrupts. */
#include "guest.h"

/* Without a UART the port reads as 0xFF (docs/guest-interface.md, "Port I/O"), so THRE looks
 * set and the loop ends at once; the bound only guards against a stuck device. */
#define CONSOLE_THRE_POLL_LIMIT 100000u
#define CONSOLE_NUMBER_MAX 24 /* digits of 2^64 - 1 in decimal (20) plus room */
#define DECIMAL_BASE 10
#define HEX_BASE 16

void console_putc(char c)
{
	for (u32 i = 0; i < CONSOLE_THRE_POLL_LIMIT; i++) {
		if (port_inb(UART_PORT_LSR) & UART_LSR_THR_EMPTY)
			break;
	}
	port_outb(UART_PORT_DATA, (u8)c);
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

bool console_poll_char(char *c)
{
	if (!(port_inb(UART_PORT_LSR) & UART_LSR_DATA_READY))
		return false;
	*c = (char)port_inb(UART_PORT_DATA);
	return true;
}

/*
 * Divides *value by divisor (at most 16) in place and returns the remainder, using two 32-bit
 * DIVs so that no libgcc helper (__udivdi3) is needed: the second dividend's high half is the
 * first remainder, which is below the divisor, so the quotient fits in 32 bits.
 */
static u32 console_divide_u64(u64 *value, u32 divisor)
{
	u32 high = (u32)(*value >> 32);
	u32 low = (u32)*value;
	u32 high_quotient = high / divisor;
	u32 remainder = high % divisor;
	u32 low_quotient;

	asm("divl %4" : "=a"(low_quotient), "=d"(remainder) : "a"(low), "d"(remainder),
	    "rm"(divisor));
	*value = ((u64)high_quotient << 32) | low_quotient;
	return remainder;
}

static void console_put_number(u64 value, u32 base, u32 width, char pad)
{
	static const char digits[] = "0123456789abcdef";
	char buf[CONSOLE_NUMBER_MAX];
	u32 n = 0;

	do {
		buf[n++] = digits[console_divide_u64(&value, base)];
	} while (value && n < sizeof(buf));
	while (n < width && n < sizeof(buf))
		buf[n++] = pad;
	while (n)
		console_putc(buf[--n]);
}

static void console_put_signed(s32 value, u32 width, char pad)
{
	u32 magnitude = (u32)value;

	if (value < 0) {
		console_putc('-');
		magnitude = 0u - magnitude;
		if (width)
			width--;
	}
	console_put_number(magnitude, DECIMAL_BASE, width, pad);
}

/* Handles one conversion after '%' and returns the format past it. */
static const char *console_convert(const char *fmt, va_list *ap)
{
	char pad = ' ';
	u32 width = 0;
	bool is_long_long = false;

	if (*fmt == '0')
		pad = *fmt++;
	while (*fmt >= '0' && *fmt <= '9')
		width = width * DECIMAL_BASE + (u32)(*fmt++ - '0');
	if (fmt[0] == 'l' && fmt[1] == 'l') {
		is_long_long = true;
		fmt += 2;
	}
	switch (*fmt) {
	case 's':
		console_puts(va_arg(*ap, const char *));
		break;
	case 'c':
		console_putc((char)va_arg(*ap, int));
		break;
	case 'd':
		console_put_signed(va_arg(*ap, s32), width, pad);
		break;
	case 'u':
	case 'x':
		console_put_number(is_long_long ? va_arg(*ap, u64) : va_arg(*ap, u32),
				   *fmt == 'u' ? DECIMAL_BASE : HEX_BASE, width, pad);
		break;
	case '%':
		console_putc('%');
		break;
	case '\0':
		return fmt;
	default:
		console_putc('%');
		console_putc(*fmt);
		break;
	}
	return fmt + 1;
}

void console_vprintf(const char *fmt, va_list ap)
{
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt == '%')
			fmt = console_convert(fmt + 1, &args);
		else
			console_putc(*fmt++);
	}
	va_end(args);
}

void console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
}
