// SPDX-License-Identifier: MIT
/* Moat's own CPU state once the firmware is gone: GDT with a TSS (VMX needs a usable host
 * TR), an IDT whose handlers report and stop, and identity page tables (host_paging.c). */
#include <moat/arch.h>
#include <moat/errno.h>
#include <moat/log.h>
#include <moat/pagetable.h>
#include <moat/string.h>
#include <moat/x86.h>

#include "descriptors.h"
#include "host_paging.h"

#define CRITICAL_STACK_SIZE 8192
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1
#define PIC_MASK_ALL 0xff

static u64 gdt[GDT_ENTRIES] __aligned(16);
static struct tss64 tss __aligned(16);
static struct idt_gate idt[IDT_VECTORS] __aligned(16);
static u8 critical_stack[CRITICAL_STACK_SIZE] __aligned(16);
/* A readable block for FS base: code built with a stack protector reads its canary at
 * %fs:0x28 (Debian's libfdt.a is). */
static u64 fs_block[8] __aligned(64);

static void gdt_set_tss(u64 *slot, const struct tss64 *t)
{
	u64 base = (u64)(uintptr_t)t, limit = sizeof(*t) - 1;

	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | SEG_TYPE_TSS64_AVAILABLE |
		  SEG_ACCESS_PRESENT | ((base >> 24 & 0xff) << 56);
	slot[1] = base >> 32;
}

void descriptors_build(u64 *g, struct tss64 *t, u64 critical_stack_top)
{
	memset(g, 0, GDT_ENTRIES * sizeof(*g));
	memset(t, 0, sizeof(*t));
	g[GDT_SELECTOR_CODE64 / sizeof(*g)] = SEG_LIMIT_MAX | SEG_TYPE_CODE_READ |
					      SEG_ACCESS_CODE_DATA | SEG_ACCESS_PRESENT |
					      SEG_FLAG_LONG | SEG_FLAG_GRANULARITY;
	g[GDT_SELECTOR_DATA / sizeof(*g)] = SEG_LIMIT_MAX | SEG_TYPE_DATA_WRITE |
					    SEG_ACCESS_CODE_DATA | SEG_ACCESS_PRESENT |
					    SEG_FLAG_DB | SEG_FLAG_GRANULARITY;
	t->ist[IDT_IST_CRITICAL - 1] = critical_stack_top;
	t->iomap_base = sizeof(*t); /* no I/O bitmap */
	gdt_set_tss(&g[GDT_SELECTOR_TSS / sizeof(*g)], t);
}

void descriptors_load(const u64 *g)
{
	struct descriptor_pointer gdt_ptr = { .limit = GDT_ENTRIES * sizeof(*g) - 1,
					      .base = (u64)(uintptr_t)g };
	struct descriptor_pointer idt_ptr = { .limit = sizeof(idt) - 1,
					      .base = (u64)(uintptr_t)idt };

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "ltr %w3\n\t"
			 "lidt %4"
			 :
			 : "m"(gdt_ptr), "i"(GDT_SELECTOR_CODE64), "r"((u64)GDT_SELECTOR_DATA),
			   "r"((u64)GDT_SELECTOR_TSS), "m"(idt_ptr)
			 : "rax", "memory");
	/* Loading FS cleared its base; point it back at the canary block. */
	x86_wrmsr(MSR_FS_BASE, (u64)(uintptr_t)fs_block);
}

/* The IDT every CPU shares; descriptors_load loads it. */
static void idt_build(void)
{
	for (u32 v = 0; v < IDT_VECTORS; v++) {
		u64 handler = v < IDT_EXCEPTION_VECTORS
				      ? isr_stub_table[v]
				      : irq_stub_base + (v - IDT_EXCEPTION_VECTORS) * IRQ_STUB_SIZE;
		bool critical = v == 2 || v == 8 || v == 18; /* NMI, #DF, #MC */

		idt[v] = (struct idt_gate){
			.offset_low = handler & 0xffff,
			.selector = GDT_SELECTOR_CODE64,
			.ist = critical ? IDT_IST_CRITICAL : 0,
			.type_attr = IDT_GATE_INTERRUPT_PRESENT,
			.offset_mid = (handler >> 16) & 0xffff,
			.offset_high = (u32)(handler >> 32),
		};
	}
}

int arch_cpu_init(struct frame_allocator *frames, const struct host_layout *layout)
{
	x86_cli();
	idt_build();
	descriptors_build(gdt, &tss, (u64)(uintptr_t)(critical_stack + CRITICAL_STACK_SIZE));
	descriptors_load(gdt);
	return host_paging_load(frames, layout);
}

void arch_host_descriptors(struct host_descriptors *out)
{
	*out = (struct host_descriptors){
		.gdt_base = (u64)(uintptr_t)gdt,
		.idt_base = (u64)(uintptr_t)idt,
		.tr_base = (u64)(uintptr_t)&tss,
		.code_selector = GDT_SELECTOR_CODE64,
		.data_selector = GDT_SELECTOR_DATA,
		.tr_selector = GDT_SELECTOR_TSS,
	};
}

void arch_mask_legacy_interrupts(void)
{
	x86_outb(PIC1_DATA, PIC_MASK_ALL);
	x86_outb(PIC2_DATA, PIC_MASK_ALL);
}

void arch_set_fs_canary_block(void)
{
	x86_wrmsr(MSR_FS_BASE, (u64)(uintptr_t)fs_block);
}
