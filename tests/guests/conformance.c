// SPDX-License-Identifier: MIT
/* conformance: architectural behaviours an OS and its test suites rely on, one check each
 * (docs/guest-interface.md, "Control registers", "Exceptions", "Legacy ports"): CR4 bits of
 * features CPUID hides and reserved CR4 bits raise #GP; an exception Moat injects (#GP for an
 * MSR that does not exist) has RF in its frame, as a fault, its error code 0, and returns to
 * the faulting instruction (which vectors carry an error code: tests/unit/exception_test.c); the legacy ports answer as documented (PIC absent, PIT channel 2
 * counting with OUT2 in port B, the CMOS RTC's status registers, 0x80, the 8042). */
#include "guest.h"

/* CR4 bits (SDM Vol. 3 2.5) and the CPUID bits that advertise them (SDM Vol. 2A CPUID). */
#define CR4_UMIP BIT(11)
#define CR4_LA57 BIT(12)
#define CR4_RESERVED_15 BIT(15)
#define CR4_PCIDE BIT(17)
#define CR4_OSXSAVE BIT(18)
#define CR4_PKE BIT(22)
#define CR4_RESERVED_31 BIT(31)
#define CPUID1_ECX_PCID BIT(17)
#define CPUID1_ECX_XSAVE BIT(26)
#define CPUID7_ECX_UMIP BIT(2)
#define CPUID7_ECX_PKU BIT(3)
#define CPUID7_ECX_LA57 BIT(16)
#define INSN_LEN_MOV_TO_CR4 3 /* 0F 22 E0: mov %eax, %cr4 */
#define EFLAGS_RF BIT(16)
#define MSR_NONEXISTENT 0xdeadbeefu /* no CPU has it: Moat answers #GP */

/* Legacy ports (docs/guest-interface.md, "Legacy ports"). */
#define PORT_PIC_MASTER_IMR 0x21
#define PORT_PIC_SLAVE_IMR 0xa1
#define PIC_PROBE_MASK 0xfb /* what Linux's probe_8259A writes */
#define PORT_PIT_CHANNEL2 0x42
#define PORT_PIT_CONTROL 0x43
#define PIT_CW_CH2_WORD_MODE0 0xb0 /* channel 2, LSB then MSB, mode 0, binary */
#define PIT_CW_CH2_LATCH 0x80      /* channel 2, counter latch */
#define PIT_COUNT 0xffffu          /* 54.9 ms at 1.193182 MHz */
#define PIT_WAIT_READS 5000000u
#define PORT_B 0x61
#define PORT_B_GATE2 BIT(0)
#define PORT_B_SPEAKER BIT(1)
#define PORT_B_OUT2 BIT(5)
#define PORT_CMOS_INDEX 0x70
#define PORT_CMOS_DATA 0x71
#define CMOS_STATUS_A 0x0a
#define CMOS_STATUS_A_UIP BIT(7)
#define CMOS_STATUS_D 0x0d
#define CMOS_STATUS_D_VRT 0x80
#define CMOS_CENTURY 0x32
#define CMOS_YEAR 0x09 /* BCD, within the century */
#define CMOS_YEAR_FLOOR 0x24 /* the host clock is read at boot: not 2000 any more */
#define CMOS_RAM_BYTE 0x40
#define PORT_POST 0x80
#define PORT_I8042_STATUS 0x64

enum conformance_check {
	CONFORMANCE_CHECK_CR4 = 1,
	CONFORMANCE_CHECK_GP_INJECTED,
	CONFORMANCE_CHECK_GP_RF,
	CONFORMANCE_CHECK_GP_ERROR_CODE,
	CONFORMANCE_CHECK_PIC,
	CONFORMANCE_CHECK_PIT,
	CONFORMANCE_CHECK_CMOS,
	CONFORMANCE_CHECK_POST,
	CONFORMANCE_CHECK_I8042,
};

const char guest_name[] = "conformance";

static u32 conformance_read_cr4(void)
{
	u32 value;

	asm volatile("mov %%cr4, %0" : "=r"(value));
	return value;
}

/* Tries CR4 | bit; the CPU (or Moat) must refuse it with #GP and leave CR4 unchanged. */
static void conformance_cr4_bit(const char *name, u32 bit)
{
	u32 old = conformance_read_cr4();
	int vector;

	trap_probe_arm(INSN_LEN_MOV_TO_CR4);
	asm volatile(".byte 0x0f, 0x22, 0xe0" : : "a"(old | bit) : "memory");
	vector = trap_probe_disarm();
	if (vector == TRAP_NO_FAULT)
		asm volatile("mov %0, %%cr4" : : "r"(old) : "memory");
	if (vector != VECTOR_GP || conformance_read_cr4() != old)
		check_fail(CONFORMANCE_CHECK_CR4, "a CR4 bit CPUID hides raises #GP",
			   "CR4.%s (0x%x): vector %d, CR4 0x%x after", name, bit, vector,
			   conformance_read_cr4());
	console_printf("conformance: ok: CR4.%s raises #GP\n", name);
}

static void conformance_cr4(void)
{
	struct cpuid_regs leaf1 = cpu_cpuid(1, 0), leaf7 = { 0 };

	if (cpu_cpuid(0, 0).eax >= 7)
		leaf7 = cpu_cpuid(7, 0);
	if (!(leaf1.ecx & CPUID1_ECX_XSAVE))
		conformance_cr4_bit("OSXSAVE", CR4_OSXSAVE);
	/* PCIDE outside IA-32e mode is #GP even where PCID exists (SDM Vol. 2B MOV CR). */
	conformance_cr4_bit("PCIDE", CR4_PCIDE);
	if (!(leaf7.ecx & CPUID7_ECX_PKU))
		conformance_cr4_bit("PKE", CR4_PKE);
	if (!(leaf7.ecx & CPUID7_ECX_UMIP))
		conformance_cr4_bit("UMIP", CR4_UMIP);
	if (!(leaf7.ecx & CPUID7_ECX_LA57))
		conformance_cr4_bit("LA57", CR4_LA57);
	conformance_cr4_bit("reserved-15", CR4_RESERVED_15);
	conformance_cr4_bit("reserved-31", CR4_RESERVED_31);
}

/* ---- injected exceptions: the frame the handler sees ---- */
static volatile u32 fault_count, fault_eip, fault_eflags, fault_error_code;
static const char *volatile fault_insn, *volatile fault_after; /* where it must arrive, resume */
extern const char conformance_gp_insn[], conformance_gp_after[];

static void conformance_fault_handler(struct trap_frame *frame)
{
	fault_count++;
	fault_eip = frame->eip;
	fault_eflags = frame->eflags;
	fault_error_code = frame->error_code;
	if (frame->eip == (u32)fault_insn)
		frame->eip = (u32)fault_after;
	else
		check_fail(CONFORMANCE_CHECK_GP_INJECTED, "the fault returns to its instruction",
			   "vector %u at eip 0x%x", frame->vector, frame->eip);
}

static __attribute__((noinline)) void conformance_gp(void)
{
	fault_count = 0;
	fault_insn = conformance_gp_insn;
	fault_after = conformance_gp_after;
	trap_set_exception_handler(VECTOR_GP, conformance_fault_handler);
	asm volatile(".globl conformance_gp_insn\nconformance_gp_insn: rdmsr\n"
		     ".globl conformance_gp_after\nconformance_gp_after:"
		     : : "c"(MSR_NONEXISTENT) : "eax", "edx", "memory");
	trap_set_exception_handler(VECTOR_GP, NULL);
	check_eq_dec(CONFORMANCE_CHECK_GP_INJECTED, "rdmsr 0xdeadbeef raises one #GP at the rdmsr",
		     fault_count, 1);
	check_true(CONFORMANCE_CHECK_GP_RF, "the injected #GP's frame has RFLAGS.RF",
		   fault_eflags & EFLAGS_RF);
	check_eq(CONFORMANCE_CHECK_GP_ERROR_CODE, "the injected #GP's error code is 0",
		 fault_error_code, 0);
}

/* ---- legacy ports ---- */
static void conformance_pit(void)
{
	u8 first, second, port_b = port_inb(PORT_B);
	u32 reads;

	port_outb(PORT_B, (port_b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	port_outb(PORT_PIT_CONTROL, PIT_CW_CH2_WORD_MODE0);
	port_outb(PORT_PIT_CHANNEL2, PIT_COUNT & 0xff);
	port_outb(PORT_PIT_CHANNEL2, PIT_COUNT >> 8);
	check_true(CONFORMANCE_CHECK_PIT, "PIT channel 2 in mode 0 starts with OUT2 low",
		   !(port_inb(PORT_B) & PORT_B_OUT2));
	port_outb(PORT_PIT_CONTROL, PIT_CW_CH2_LATCH);
	port_inb(PORT_PIT_CHANNEL2);
	first = port_inb(PORT_PIT_CHANNEL2);
	for (reads = 0; reads < PIT_WAIT_READS && !(port_inb(PORT_B) & PORT_B_OUT2); reads++)
		;
	port_outb(PORT_PIT_CONTROL, PIT_CW_CH2_LATCH);
	port_inb(PORT_PIT_CHANNEL2);
	second = port_inb(PORT_PIT_CHANNEL2);
	check_true(CONFORMANCE_CHECK_PIT, "PIT channel 2 counts down to OUT2 high",
		   reads < PIT_WAIT_READS);
	check_true(CONFORMANCE_CHECK_PIT, "its latched count moved",
		   first != second);
	port_outb(PORT_B, port_b);
}

static u8 conformance_cmos_read(u8 index)
{
	port_outb(PORT_CMOS_INDEX, index);
	return port_inb(PORT_CMOS_DATA);
}

static void conformance_legacy_ports(void)
{
	port_outb(PORT_PIC_SLAVE_IMR, 0xff);
	port_outb(PORT_PIC_MASTER_IMR, PIC_PROBE_MASK);
	check_eq(CONFORMANCE_CHECK_PIC, "the PIC's IMR reads 0xff after 0xfb (no PIC)",
		 port_inb(PORT_PIC_MASTER_IMR), 0xff);
	conformance_pit();
	check_eq(CONFORMANCE_CHECK_CMOS, "CMOS status D has VRT (0x80)",
		 conformance_cmos_read(CMOS_STATUS_D), CMOS_STATUS_D_VRT);
	check_true(CONFORMANCE_CHECK_CMOS, "CMOS status A shows no update in progress",
		   !(conformance_cmos_read(CMOS_STATUS_A) & CMOS_STATUS_A_UIP));
	check_eq(CONFORMANCE_CHECK_CMOS, "the RTC's century is BCD 20",
		 conformance_cmos_read(CMOS_CENTURY), 0x20);
	check_true(CONFORMANCE_CHECK_CMOS, "the RTC's year is the host's (2024 or later)",
		   conformance_cmos_read(CMOS_YEAR) >= CMOS_YEAR_FLOOR);
	port_outb(PORT_CMOS_INDEX, CMOS_RAM_BYTE);
	port_outb(PORT_CMOS_DATA, 0x5a);
	check_eq(CONFORMANCE_CHECK_CMOS, "CMOS RAM keeps a byte",
		 conformance_cmos_read(CMOS_RAM_BYTE), 0x5a);
	check_no_fault(CONFORMANCE_CHECK_POST, "a write to port 0x80 is dropped",
		       trap_probe_outb(PORT_POST, 0x55));
	check_eq(CONFORMANCE_CHECK_POST, "port 0x80 reads 0xff", port_inb(PORT_POST), 0xff);
	check_eq(CONFORMANCE_CHECK_I8042, "the 8042 status port reads 0xff (no controller)",
		 port_inb(PORT_I8042_STATUS), 0xff);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	conformance_cr4();
	conformance_gp();
	conformance_legacy_ports();
	console_puts("conformance: all checks passed\n");
	test_exit(GUEST_EXIT_PASS);
}
