// SPDX-License-Identifier: MIT
/* The guest's IDT: #UD, #GP, #PF and #AC inside an armed probe are recorded and the faulting
 * instruction skipped, so a test can ask "does this fault"; an exception with a handler the
 * guest registered goes there; any other exception is fatal. Interrupts (32-255) go to the
 * handler a guest registered, or are fatal too. */
#include "apic.h"

#define TRAP_VECTORS 256
#define TRAP_EXCEPTION_VECTORS 32
#define IDT_CODE_SELECTOR 0x08
#define IDT_INTERRUPT_GATE_32 0x8e /* P=1, DPL=0, type 1110b (Intel SDM Vol. 3A, 6.11) */
#define IDT_GATE_DPL3 0x60         /* DPL=3: INT n from ring 3 may use the gate (6.12.1.1) */

/* Instruction lengths of the probed forms, as the inline assembly below encodes them. */
#define INSN_LEN_RDMSR 2  /* 0F 32 */
#define INSN_LEN_WRMSR 2  /* 0F 30 */
#define INSN_LEN_IN_DX 1  /* EC (byte) or ED (dword) */
#define INSN_LEN_INW_DX 2 /* 66 ED */
#define INSN_LEN_OUT_DX 1 /* EE */

/* An IDT gate descriptor (Intel SDM Vol. 3A, 6.11, Figure 6-2). */
struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 zero;
	u8 type_attr;
	u16 offset_high;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 8, "IDT gate is 8 bytes");

struct idt_pointer {
	u16 limit;
	u32 base;
} __packed;

extern const u32 trap_stub_table[TRAP_VECTORS];

static struct idt_gate trap_idt[TRAP_VECTORS] __aligned(8);
/* One IDT for every vCPU of the guest, so one table of handlers. */
static trap_handler_fn trap_handlers[TRAP_VECTORS];
static trap_exception_fn trap_exception_handlers[TRAP_EXCEPTION_VECTORS];

/* The armed probe: how many bytes to skip on a fault, and the vector seen (or none). */
static volatile u32 trap_skip_length;
static volatile int trap_seen_vector;
static volatile u32 trap_seen_error_code;

void trap_handle(struct trap_frame *frame);

void trap_init(void)
{
	struct idt_pointer pointer;

	for (u32 i = 0; i < TRAP_VECTORS; i++) {
		trap_idt[i].offset_low = (u16)trap_stub_table[i];
		trap_idt[i].selector = IDT_CODE_SELECTOR;
		trap_idt[i].zero = 0;
		trap_idt[i].type_attr = IDT_INTERRUPT_GATE_32;
		trap_idt[i].offset_high = (u16)(trap_stub_table[i] >> 16);
	}
	pointer.limit = sizeof(trap_idt) - 1;
	pointer.base = (u32)trap_idt;
	asm volatile("lidt %0" : : "m"(pointer) : "memory");
}

static bool trap_is_probeable(u32 vector)
{
	return vector == VECTOR_UD || vector == VECTOR_GP || vector == VECTOR_PF ||
	       vector == VECTOR_AC;
}

void trap_set_exception_handler(u32 vector, trap_exception_fn fn)
{
	if (vector >= TRAP_EXCEPTION_VECTORS)
		check_fail(0, "trap_set_exception_handler", "vector %u is not an exception", vector);
	trap_exception_handlers[vector] = fn;
}

void trap_set_user_gate(u32 vector, void (*entry)(void))
{
	u32 address = (u32)entry;

	trap_idt[vector].offset_low = (u16)address;
	trap_idt[vector].offset_high = (u16)(address >> 16);
	trap_idt[vector].type_attr = IDT_INTERRUPT_GATE_32 | IDT_GATE_DPL3;
}

void trap_set_handler(u32 vector, trap_handler_fn fn)
{
	if (vector < TRAP_EXCEPTION_VECTORS || vector >= TRAP_VECTORS)
		check_fail(0, "trap_set_handler", "vector %u is not an interrupt vector", vector);
	trap_handlers[vector] = fn;
	apic_enable(); /* a guest that takes interrupts wants its APIC to accept them */
}

/* An interrupt: the guest's handler, or a failure naming the vector nobody expected. */
static void trap_handle_interrupt(struct trap_frame *frame)
{
	trap_handler_fn fn = trap_handlers[frame->vector];

	if (fn) {
		fn(frame->vector);
		return;
	}
	console_printf("%s: FAIL unexpected interrupt %u at eip 0x%x\n", guest_name, frame->vector,
		       frame->eip);
	test_exit(GUEST_EXIT_EXCEPTION_BASE + frame->vector);
}

void trap_handle(struct trap_frame *frame)
{
	if (frame->vector >= TRAP_EXCEPTION_VECTORS) {
		trap_handle_interrupt(frame);
		return;
	}
	if (trap_exception_handlers[frame->vector]) {
		trap_exception_handlers[frame->vector](frame);
		return;
	}
	if (trap_skip_length && trap_is_probeable(frame->vector)) {
		trap_seen_vector = (int)frame->vector;
		trap_seen_error_code = frame->error_code;
		frame->eip += trap_skip_length;
		trap_skip_length = 0;
		return;
	}
	console_printf("%s: FAIL unexpected exception %u at eip 0x%x (error code 0x%x)\n",
		       guest_name, frame->vector, frame->eip, frame->error_code);
	test_exit(GUEST_EXIT_EXCEPTION_BASE + frame->vector);
}

static void trap_arm(u32 length)
{
	trap_seen_vector = TRAP_NO_FAULT;
	trap_skip_length = length;
	asm volatile("" : : : "memory");
}

static int trap_disarm(void)
{
	asm volatile("" : : : "memory");
	trap_skip_length = 0;
	return trap_seen_vector;
}

int trap_probe_rdmsr(u32 msr, u64 *value)
{
	u32 lo = 0, hi = 0;

	trap_arm(INSN_LEN_RDMSR);
	asm volatile(".byte 0x0f, 0x32" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*value = ((u64)hi << 32) | lo;
	return trap_disarm();
}

int trap_probe_wrmsr(u32 msr, u64 value)
{
	trap_arm(INSN_LEN_WRMSR);
	asm volatile(".byte 0x0f, 0x30"
		     :
		     : "c"(msr), "a"((u32)value), "d"((u32)(value >> 32))
		     : "memory");
	return trap_disarm();
}

int trap_probe_inb(u16 port, u8 *value)
{
	u8 v = 0;

	trap_arm(INSN_LEN_IN_DX);
	asm volatile(".byte 0xec" : "+a"(v) : "d"(port) : "memory");
	*value = v;
	return trap_disarm();
}

int trap_probe_inw(u16 port, u16 *value)
{
	u16 v = 0;

	trap_arm(INSN_LEN_INW_DX);
	asm volatile(".byte 0x66, 0xed" : "+a"(v) : "d"(port) : "memory");
	*value = v;
	return trap_disarm();
}

int trap_probe_inl(u16 port, u32 *value)
{
	u32 v = 0;

	trap_arm(INSN_LEN_IN_DX);
	asm volatile(".byte 0xed" : "+a"(v) : "d"(port) : "memory");
	*value = v;
	return trap_disarm();
}

int trap_probe_outb(u16 port, u8 value)
{
	trap_arm(INSN_LEN_OUT_DX);
	asm volatile(".byte 0xee" : : "a"(value), "d"(port) : "memory");
	return trap_disarm();
}

void trap_probe_arm(u32 length)
{
	trap_arm(length);
}

int trap_probe_disarm(void)
{
	return trap_disarm();
}

u32 trap_probe_error_code(void)
{
	return trap_seen_error_code;
}
