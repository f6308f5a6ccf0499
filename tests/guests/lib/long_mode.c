// SPDX-License-Identifier: MIT
/* long_mode_call (long_mode.h): the identity page tables and the 64-bit IDT it runs with, built
 * in the guest's own RAM on first use, and the report of an exception in 64-bit mode. */
#include "apic.h"
#include "long_mode.h"

/* 4-level paging (Intel SDM Vol. 3A, 4.5): a PML4, one PDPT and four page directories of
 * 2 MiB pages map the first 4 GiB one to one. */
#define PT_PRESENT BIT(0)
#define PT_WRITABLE BIT(1)
#define PT_PAGE_SIZE BIT(7) /* PS in a page-directory entry: a 2 MiB page */
#define PT_ENTRIES 512
#define LONG_MODE_MAPPED_GIB 4
#define LONG_MODE_PAGE_SHIFT 21 /* 2 MiB */

#define IDT64_CODE_SELECTOR 0x18      /* long_mode_switch.S's 64-bit code segment */
#define IDT64_INTERRUPT_GATE 0x8e     /* P=1, DPL=0, type 1110b (SDM Vol. 3A, 6.14.1) */
#define LONG_MODE_STUB_SIZE 16        /* long_mode_switch.S: STUB_ALIGN */

/* A 64-bit IDT gate (SDM Vol. 3A, 6.14.1, Figure 6-8). */
struct idt_gate64 {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate64) == 16, "64-bit IDT gate is 16 bytes");

struct idt_pointer64 {
	u16 limit;
	u64 base;
} __packed;

/* Written by long_mode_switch.S's exception path; 32 bytes (FAULT_RECORD_SHIFT). */
struct long_mode_fault {
	u64 vector_plus_one; /* 0: no exception */
	u64 error_code;
	u64 rip;
	u64 unused;
};
_Static_assert(sizeof(struct long_mode_fault) == 32, "long_mode_switch.S FAULT_RECORD_SHIFT");

static u64 long_mode_pml4[PT_ENTRIES] __aligned(4096);
static u64 long_mode_pdpt[PT_ENTRIES] __aligned(4096);
static u64 long_mode_pd[LONG_MODE_MAPPED_GIB][PT_ENTRIES] __aligned(4096);
static struct idt_gate64 long_mode_idt[LONG_MODE_VECTORS] __aligned(16);

/* Shared with long_mode_switch.S. */
struct idt_pointer64 long_mode_idt_pointer;
u64 long_mode_saved_rsp[AP_MAX_VCPUS];
struct long_mode_fault long_mode_fault[AP_MAX_VCPUS];
volatile u32 long_mode_interrupt_count[LONG_MODE_VECTORS];
extern const char long_mode_vector_stubs[];
u64 long_mode_switch(const void *routine, u32 arg, u32 pml4);

/* Every vCPU may get here first; they all write the same values. */
static void long_mode_build(void)
{
	for (u32 gib = 0; gib < LONG_MODE_MAPPED_GIB; gib++) {
		for (u32 i = 0; i < PT_ENTRIES; i++) {
			u64 address = (u64)(gib * PT_ENTRIES + i) << LONG_MODE_PAGE_SHIFT;

			long_mode_pd[gib][i] = address | PT_PRESENT | PT_WRITABLE | PT_PAGE_SIZE;
		}
		long_mode_pdpt[gib] = (u32)long_mode_pd[gib] | PT_PRESENT | PT_WRITABLE;
	}
	long_mode_pml4[0] = (u32)long_mode_pdpt | PT_PRESENT | PT_WRITABLE;
	for (u32 v = 0; v < LONG_MODE_VECTORS; v++) {
		u32 stub = (u32)long_mode_vector_stubs + v * LONG_MODE_STUB_SIZE;

		long_mode_idt[v] = (struct idt_gate64){
			.offset_low = (u16)stub,
			.selector = IDT64_CODE_SELECTOR,
			.type_attr = IDT64_INTERRUPT_GATE,
			.offset_mid = (u16)(stub >> 16),
		};
	}
	long_mode_idt_pointer.limit = sizeof(long_mode_idt) - 1;
	long_mode_idt_pointer.base = (u32)long_mode_idt;
}

u64 long_mode_call(const void *routine, u32 arg)
{
	struct long_mode_fault *fault = &long_mode_fault[apic_id() & (AP_MAX_VCPUS - 1)];
	u64 result;

	long_mode_build();
	fault->vector_plus_one = 0;
	result = long_mode_switch(routine, arg, (u32)long_mode_pml4);
	if (fault->vector_plus_one) {
		u32 vector = (u32)fault->vector_plus_one - 1;

		ap_console_lock();
		console_printf("%s: FAIL unexpected exception %u in long mode at rip %llx "
			       "(error code %llx)\n",
			       guest_name, vector, fault->rip, fault->error_code);
		ap_console_unlock();
		test_exit(GUEST_EXIT_EXCEPTION_BASE + vector);
	}
	return result;
}
