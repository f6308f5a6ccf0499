// SPDX-License-Identifier: MIT
/* hostile_ports: resets itself through 0xCF9 and, on the next boot, through 0x64 (Moat must
 * restart only it); on the third boot reads and writes every I/O port it does not own (each read
 * must give 0xFF, except the legacy PIT, port B and CMOS ports Moat emulates; no write may fault
 * or reach hardware) and asks for PCI configuration space.
 * The resets come first so that their audit records fall in the per-guest burst, before the
 * sweep's 131,000 denials exhaust the rate limit. */
#include "guest.h"

#define PORT_COUNT 0x10000u
#define PORT_UART_FIRST 0x3f8
#define PORT_UART_LAST 0x3ff
#define PORT_TEST_EXIT_FIRST 0xf4
#define PORT_TEST_EXIT_LAST 0xf7
/* Legacy ports Moat emulates for every guest (docs/guest-interface.md, "Legacy ports"): the
 * PIT's counters read counts, port B its gate and OUT2, CMOS data its registers. */
#define PORT_PIT_FIRST 0x40
#define PORT_PIT_LAST 0x43
#define PORT_B 0x61
#define PORT_CMOS_FIRST 0x70
#define PORT_CMOS_LAST 0x71
/* Reset control register (PCH/chipset 0xCF9: bit 1 system reset, bit 2 reset CPU, bit 3 full
 * reset) and the 8042 keyboard controller command port (0xFE: pulse the reset line). */
#define PORT_RESET_CONTROL 0xcf9
#define PORT_KBC_COMMAND 0x64
#define RESET_CONTROL_HARD 0x06
#define KBC_PULSE_RESET 0xfe
/* PCI configuration mechanism #1 (PCI Local Bus Spec 3.0, 3.2.2.3.2). */
#define PORT_PCI_CONFIG_ADDRESS 0xcf8
#define PORT_PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_ENABLE 0x80000000u /* bus 0, device 0, function 0, register 0 */
/* The most destructive byte: sets every bit (0x92 bit 0 is fast reset, 0x70 bit 7 masks NMI). */
#define HOSTILE_PORT_WRITE_VALUE 0xff

enum hostile_ports_check {
	HOSTILE_PORTS_CHECK_RESTART_COUNT = 1,
	HOSTILE_PORTS_CHECK_IN_NO_FAULT,
	HOSTILE_PORTS_CHECK_IN_ALL_ONES,
	HOSTILE_PORTS_CHECK_OUT_NO_FAULT,
	HOSTILE_PORTS_CHECK_PCI_DATA,
	HOSTILE_PORTS_CHECK_RESET,
};

const char guest_name[] = "hostile_ports";

static bool hostile_ports_owned(u32 port)
{
	return (port >= PORT_UART_FIRST && port <= PORT_UART_LAST) ||
	       (port >= PORT_TEST_EXIT_FIRST && port <= PORT_TEST_EXIT_LAST);
}

static bool hostile_ports_emulated(u32 port)
{
	return (port >= PORT_PIT_FIRST && port <= PORT_PIT_LAST) || port == PORT_B ||
	       (port >= PORT_CMOS_FIRST && port <= PORT_CMOS_LAST);
}

static bool hostile_ports_resets(u32 port)
{
	return port == PORT_RESET_CONTROL || port == PORT_KBC_COMMAND;
}

/* Fails on the first bad port; prints one line for the whole sweep. */
static void hostile_ports_sweep(void)
{
	u32 reads = 0, writes = 0;

	for (u32 port = 0; port < PORT_COUNT; port++) {
		u8 value = 0;
		int vector;

		if (hostile_ports_owned(port))
			continue;
		vector = trap_probe_inb((u16)port, &value);
		if (vector != TRAP_NO_FAULT)
			check_fail(HOSTILE_PORTS_CHECK_IN_NO_FAULT, "inb does not fault",
				   "port 0x%x raised exception %d", port, vector);
		if (value != 0xff && !hostile_ports_emulated(port))
			check_fail(HOSTILE_PORTS_CHECK_IN_ALL_ONES, "inb reads 0xff",
				   "port 0x%x read 0x%x", port, value);
		if (!hostile_ports_emulated(port))
			reads++;
		if (hostile_ports_resets(port))
			continue;
		vector = trap_probe_outb((u16)port, HOSTILE_PORT_WRITE_VALUE);
		if (vector != TRAP_NO_FAULT)
			check_fail(HOSTILE_PORTS_CHECK_OUT_NO_FAULT, "outb does not fault",
				   "port 0x%x raised exception %d", port, vector);
		writes++;
	}
	console_printf("hostile_ports: ok: %u ports read 0xff, %u writes dropped\n", reads,
		       writes);
}

static void hostile_ports_pci(void)
{
	port_outl(PORT_PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE);
	check_eq(HOSTILE_PORTS_CHECK_PCI_DATA, "PCI config read of 00:00.0 gives 0xffffffff",
		 port_inl(PORT_PCI_CONFIG_DATA), 0xffffffffu);
}

static void __noreturn hostile_ports_reset(u16 port, u8 value)
{
	console_printf("hostile_ports: resetting through port 0x%x (0x%x)\n", port, value);
	port_outb(port, value);
	check_fail(HOSTILE_PORTS_CHECK_RESET, "the reset write restarts the guest",
		   "still running after writing 0x%x to port 0x%x", value, port);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u32 boot = 0;

	if (!hypercall_restart_count(&boot))
		check_fail(HOSTILE_PORTS_CHECK_RESTART_COUNT, "hypercall 1 (restart count) answers",
			   "got error 0x%x", hypercall(HYPERCALL_RESTART_COUNT));
	console_printf("hostile_ports: boot %u\n", boot);
	if (boot == 0)
		hostile_ports_reset(PORT_RESET_CONTROL, RESET_CONTROL_HARD);
	if (boot == 1)
		hostile_ports_reset(PORT_KBC_COMMAND, KBC_PULSE_RESET);
	console_puts("hostile_ports: reset twice\n");
	hostile_ports_sweep();
	hostile_ports_pci();
	test_exit(GUEST_EXIT_PASS);
}
