// SPDX-License-Identifier: MIT
/* demo: the guest `make run` shows. Prints who confines it, then echoes each line typed on
 * the console until "exit", reading the UART by polling LSR bit 0 (there are no interrupts). */
#include "guest.h"

#define CPUID_LEAF_FEATURES 0x1
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CPUID_LEAF_HYPERVISOR 0x40000000u
#define CPUID_SIGNATURE_LENGTH 12
#define DEMO_LINE_MAX 120
#define DEMO_EXIT_CODE 0
#define MIB_SHIFT 20
#define CHAR_BACKSPACE 0x08
#define CHAR_DELETE 0x7f
#define CHAR_PRINTABLE_FIRST 0x20
#define CHAR_PRINTABLE_LAST 0x7e

const char guest_name[] = "demo";

/* The signature of CPUID leaf 0x40000000 (EBX ECX EDX), or a note that there is none. */
static const char *demo_hypervisor_signature(char out[CPUID_SIGNATURE_LENGTH + 1])
{
	struct cpuid_regs r = cpu_cpuid(CPUID_LEAF_FEATURES, 0);
	u32 regs[3];

	if (!(r.ecx & CPUID_1_ECX_HYPERVISOR))
		return "no hypervisor (bare metal?)";
	r = cpu_cpuid(CPUID_LEAF_HYPERVISOR, 0);
	regs[0] = r.ebx;
	regs[1] = r.ecx;
	regs[2] = r.edx;
	memcpy(out, regs, CPUID_SIGNATURE_LENGTH);
	out[CPUID_SIGNATURE_LENGTH] = '\0';
	return out;
}

/* Reads one line into buf (NUL-terminated), handling backspace; CR, LF and CR LF all end it. */
static void demo_read_line(char *buf, u32 size)
{
	static char previous;
	u32 length = 0;
	char c;

	for (;;) {
		if (!console_poll_char(&c))
			continue;
		if (c == '\n' && previous == '\r') {
			previous = c;
			continue;
		}
		previous = c;
		if (c == '\r' || c == '\n')
			break;
		if ((c == CHAR_BACKSPACE || c == CHAR_DELETE) && length > 0)
			length--;
		else if (c >= CHAR_PRINTABLE_FIRST && c <= CHAR_PRINTABLE_LAST && length + 1 < size)
			buf[length++] = c;
	}
	buf[length] = '\0';
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	char signature[CPUID_SIGNATURE_LENGTH + 1];
	char line[DEMO_LINE_MAX];

	console_printf("Moat demo guest: running confined under %s\n",
		       demo_hypervisor_signature(signature));
	console_printf("demo: %u MiB of RAM\n", entry_ebx >> MIB_SHIFT);
	console_puts("type a line and press Enter; 'exit' stops this guest\n");
	for (;;) {
		demo_read_line(line, sizeof(line));
		if (strcmp(line, "exit") == 0)
			break;
		console_printf("you typed: %s\n", line);
	}
	console_puts("demo: bye\n");
	test_exit(DEMO_EXIT_CODE);
}
