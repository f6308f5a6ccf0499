// SPDX-License-Identifier: MIT
/* ioapic: takes the 16550's interrupts through the I/O APIC at 0xFEC00000 (82093AA
 * datasheet 3.2; docs/guest-interface.md, "I/O APIC" and "The 16550's interrupts"): pin 4
 * edge-triggered for THR empty, then level-triggered for received data in loopback (host
 * input is not needed), with remote IRR set while the interrupt is in service and cleared by
 * the EOI register, and a masked entry that delivers when unmasked while its line is high. */
#include "apic.h"

#define IOAPIC_BASE	   0xfec00000u
#define IOAPIC_IOREGSEL	   0x00u
#define IOAPIC_IOWIN	   0x10u
#define IOAPIC_EOI	   0x40u
#define IOAPIC_REG_ID	   0x00u
#define IOAPIC_REG_VERSION 0x01u
#define IOAPIC_REG_REDIR   0x10u
#define IOAPIC_VERSION	   0x00170020u /* 24 entries, version 0x20 */
#define IOAPIC_ID_SHIFT	   24
#define RTE_LEVEL	   BIT(15)
#define RTE_MASKED	   BIT(16)
#define RTE_REMOTE_IRR	   BIT(14)
#define COM1_PIN	   4u
#define VECTOR_THRE	   0x44u
#define VECTOR_RX	   0x45u

/* 16550 registers (PC16550D data sheet, table II) and bits. */
#define UART_IER     (UART_PORT_BASE + 1)
#define UART_IIR     (UART_PORT_BASE + 2)
#define UART_MCR     (UART_PORT_BASE + 4)
#define IER_RDI	     0x01u
#define IER_THRI     0x02u
#define IIR_THRI     0x02u
#define IIR_RDI	     0x04u
#define IIR_ID_MASK  0x0fu
#define MCR_OUT2     0x08u
#define MCR_LOOP     0x10u
#define LOOPBACK_BYTE 'Z'

enum ioapic_check {
	IOAPIC_CHECK_VERSION = 1,
	IOAPIC_CHECK_ID,
	IOAPIC_CHECK_THRE,
	IOAPIC_CHECK_THRE_IIR,
	IOAPIC_CHECK_RX,
	IOAPIC_CHECK_RX_IIR,
	IOAPIC_CHECK_REMOTE_IRR_SET,
	IOAPIC_CHECK_RX_BYTE,
	IOAPIC_CHECK_REMOTE_IRR_CLEAR,
	IOAPIC_CHECK_MASKED,
	IOAPIC_CHECK_UNMASKED,
};

const char guest_name[] = "ioapic";

static volatile u32 thre_count, rx_count;
static volatile u32 thre_iir, rx_iir, rx_rte, rx_byte;

static u32 ioapic_read(u32 index)
{
	*(volatile u32 *)(IOAPIC_BASE + IOAPIC_IOREGSEL) = index;
	return *(volatile u32 *)(IOAPIC_BASE + IOAPIC_IOWIN);
}

static void ioapic_write(u32 index, u32 value)
{
	*(volatile u32 *)(IOAPIC_BASE + IOAPIC_IOREGSEL) = index;
	*(volatile u32 *)(IOAPIC_BASE + IOAPIC_IOWIN) = value;
}

static void ioapic_route(u32 low)
{
	ioapic_write(IOAPIC_REG_REDIR + 2 * COM1_PIN + 1, 0); /* destination APIC ID 0 */
	ioapic_write(IOAPIC_REG_REDIR + 2 * COM1_PIN, low);
}

static void on_thre(u32 vector)
{
	thre_iir = port_inb(UART_IIR) & IIR_ID_MASK; /* reading it clears THRE */
	thre_count++;
	apic_eoi();
}

/* Level: remote IRR is set while this runs; the byte read lowers the line before the EOI
 * (the local APIC's broadcast, where it has one, and the I/O APIC's EOI register). */
static void on_rx(u32 vector)
{
	rx_iir = port_inb(UART_IIR) & IIR_ID_MASK;
	rx_rte = ioapic_read(IOAPIC_REG_REDIR + 2 * COM1_PIN);
	rx_byte = port_inb(UART_PORT_DATA);
	rx_count++;
	apic_eoi();
	*(volatile u32 *)(IOAPIC_BASE + IOAPIC_EOI) = vector;
}

/* Takes what is pending, then masks interrupts again. */
static void take_interrupts(void)
{
	asm volatile("sti; nop; nop; cli" ::: "memory");
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u32 masked_count;

	trap_set_handler(VECTOR_THRE, on_thre);
	trap_set_handler(VECTOR_RX, on_rx);
	check_eq(IOAPIC_CHECK_VERSION, "version register: 24 entries, version 0x20",
		 ioapic_read(IOAPIC_REG_VERSION), IOAPIC_VERSION);
	check_eq(IOAPIC_CHECK_ID, "I/O APIC ID is the vCPU count", ioapic_read(IOAPIC_REG_ID),
		 1u << IOAPIC_ID_SHIFT);

	/* Edge: THRI set with OUT2 on raises THRE once. */
	ioapic_route(VECTOR_THRE);
	port_outb(UART_MCR, MCR_OUT2);
	port_outb(UART_IER, IER_THRI);
	take_interrupts();
	port_outb(UART_IER, 0); /* before printing: each byte written would raise THRE again */
	check_eq_dec(IOAPIC_CHECK_THRE, "THRE interrupt taken once", thre_count, 1);
	check_eq(IOAPIC_CHECK_THRE_IIR, "IIR named THRE", thre_iir, IIR_THRI);

	/* Level: a byte through loopback raises received data. */
	ioapic_route(VECTOR_RX | RTE_LEVEL);
	port_outb(UART_MCR, MCR_LOOP | MCR_OUT2);
	port_outb(UART_IER, IER_RDI);
	port_outb(UART_PORT_DATA, LOOPBACK_BYTE);
	take_interrupts();
	/* Out of loopback before printing: printed bytes would come back as input. */
	port_outb(UART_IER, 0);
	port_outb(UART_MCR, MCR_OUT2);
	check_eq_dec(IOAPIC_CHECK_RX, "RX interrupt taken once", rx_count, 1);
	check_eq(IOAPIC_CHECK_RX_IIR, "IIR named received data", rx_iir, IIR_RDI);
	check_true(IOAPIC_CHECK_REMOTE_IRR_SET, "remote IRR set while in service",
		   rx_rte & RTE_REMOTE_IRR);
	check_eq(IOAPIC_CHECK_RX_BYTE, "the looped-back byte", rx_byte, LOOPBACK_BYTE);
	check_eq(IOAPIC_CHECK_REMOTE_IRR_CLEAR, "remote IRR clear after the EOI",
		 ioapic_read(IOAPIC_REG_REDIR + 2 * COM1_PIN) & RTE_REMOTE_IRR, 0);

	/* Masked while the line goes high: nothing; unmasked: delivered at once. */
	ioapic_route(VECTOR_RX | RTE_LEVEL | RTE_MASKED);
	port_outb(UART_MCR, MCR_LOOP | MCR_OUT2);
	port_outb(UART_IER, IER_RDI);
	port_outb(UART_PORT_DATA, LOOPBACK_BYTE);
	take_interrupts();
	masked_count = rx_count;
	ioapic_route(VECTOR_RX | RTE_LEVEL);
	take_interrupts();
	port_outb(UART_IER, 0);
	port_outb(UART_MCR, 0);
	check_eq_dec(IOAPIC_CHECK_MASKED, "a masked level entry delivers nothing", masked_count, 1);
	check_eq_dec(IOAPIC_CHECK_UNMASKED, "unmasked while high: delivered", rx_count, 2);
}
