/* SPDX-License-Identifier: MIT */
/* Host GDT, TSS and IDT layouts (Intel SDM Vol. 3 3.4.5, 7.2.3, 6.14.1). */
#ifndef MOAT_ARCH_X86_DESCRIPTORS_H
#define MOAT_ARCH_X86_DESCRIPTORS_H

#include <moat/types.h>

#define GDT_SELECTOR_CODE64 0x08
#define GDT_SELECTOR_DATA 0x10
#define GDT_SELECTOR_TSS 0x18
#define GDT_ENTRIES 5 /* null, code, data, and the 16-byte TSS descriptor */

/* Segment descriptor fields (SDM Vol. 3 3.4.5). */
#define SEG_ACCESS_PRESENT BIT(47)
#define SEG_ACCESS_CODE_DATA BIT(44) /* S: code or data, not system */
#define SEG_TYPE_CODE_READ (0xaULL << 40)
#define SEG_TYPE_DATA_WRITE (0x2ULL << 40)
#define SEG_TYPE_TSS64_AVAILABLE (0x9ULL << 40)
#define SEG_FLAG_LONG BIT(53)
#define SEG_FLAG_DB BIT(54)
#define SEG_FLAG_GRANULARITY BIT(55)
#define SEG_LIMIT_MAX (0xffffULL | (0xfULL << 48))

/* 64-bit TSS (SDM Vol. 3 8.7, figure 8-11). */
struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;
_Static_assert(sizeof(struct tss64) == 104, "TSS is 104 bytes (SDM Vol. 3 figure 8-11)");

/* 64-bit IDT gate (SDM Vol. 3 6.14.1, figure 6-8). */
struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gates are 16 bytes in IA-32e mode");

#define IDT_GATE_INTERRUPT_PRESENT 0x8e /* P=1, DPL=0, type 0xE (64-bit interrupt gate) */
#define IDT_VECTORS 256
#define IDT_EXCEPTION_VECTORS 32
#define IDT_IST_CRITICAL 1 /* NMI, #DF and #MC run on their own stack */

struct descriptor_pointer {
	u16 limit;
	u64 base;
} __packed;

/* What the exception stubs in isr.S push, lowest address first. */
struct exception_frame {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};

/* Moat's GDT layout (null, code, data, TSS) over g, with t as the TSS and the given stack
 * for NMI, #DF and #MC; every CPU has its own (arch/x86/cpu_setup.c). */
void descriptors_build(u64 *g, struct tss64 *t, u64 critical_stack_top);
/* Loads g, reloads the segment registers and TR, and loads the shared IDT. */
void descriptors_load(const u64 *g);

void exception_dispatch(struct exception_frame *frame);
void interrupt_dispatch(u64 vector);
extern const u64 isr_stub_table[IDT_EXCEPTION_VECTORS];
/* Stubs for vectors 32-255, IRQ_STUB_SIZE bytes apart (isr.S). */
extern const u64 irq_stub_base;
#define IRQ_STUB_SIZE 16

#endif
