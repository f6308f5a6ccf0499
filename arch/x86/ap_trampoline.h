/* SPDX-License-Identifier: MIT */
/* The contract between the AP start-up code (ap_trampoline.S) and smp.c: where the
 * parameter block sits in the trampoline page and what each field holds. Shared by C and
 * assembly, so only plain numbers here. */
#ifndef MOAT_ARCH_X86_AP_TRAMPOLINE_H
#define MOAT_ARCH_X86_AP_TRAMPOLINE_H

/* The page holds the code from offset 0 (a SIPI starts at CS:IP = vector * 0x100:0, SDM
 * Vol. 3 8.4.4.1) and the parameter block written by the BSP at this offset. */
#define AP_PARAMS_OFFSET 0xc00

/* Parameter block fields, as offsets from its start. */
#define AP_PARAM_GDT 0x00	  /* the trampoline's own GDT: AP_GDT_ENTRIES descriptors */
#define AP_PARAM_GDT_POINTER 0x20 /* u16 limit, u32 base: what lgdt reads in real mode */
#define AP_PARAM_PM_ENTRY 0x28	  /* far pointer (u32 offset, u16 selector) to 32-bit code */
#define AP_PARAM_LM_ENTRY 0x30	  /* far pointer (u32 offset, u16 selector) to 64-bit code */
#define AP_PARAM_LOW_CR3 0x38	  /* u32: a copy of Moat's PML4 below 4 GiB */
#define AP_PARAM_EFER 0x3c	  /* u32: EFER for entering long mode (LME, NXE) */
#define AP_PARAM_CR3 0x40	  /* u64: Moat's own CR3 (may be above 4 GiB) */
#define AP_PARAM_CR0 0x48	  /* u64: the BSP's CR0 */
#define AP_PARAM_CR4 0x50	  /* u64: the BSP's CR4 without VMXE */
#define AP_PARAM_ENTRY 0x58	  /* u64: ap_main */
#define AP_PARAM_STACKS 0x60	  /* u64: address of u64 stack_tops[slot] */
#define AP_PARAM_NEXT_TICKET 0x68 /* u32: each AP takes one with lock xadd */
#define AP_PARAM_SLOTS 0x6c	  /* u32: tickets below this have a stack; the rest park */
#define AP_PARAM_PARKED 0x70	  /* u32: APs that parked without a slot */
#define AP_PARAMS_SIZE 0x78

/* Selectors of the trampoline's GDT (null, 32-bit code, 32-bit data, 64-bit code). */
#define AP_SELECTOR_CODE32 0x08
#define AP_SELECTOR_DATA32 0x10
#define AP_SELECTOR_CODE64 0x18
#define AP_GDT_ENTRIES 4

/* Control bits the assembly needs (SDM Vol. 3 2.5; AMD APM Vol. 2 3.1.7). */
#define AP_CR0_PE 0x00000001
#define AP_CR0_NW 0x20000000
#define AP_CR0_CD 0x40000000
#define AP_CR0_PG 0x80000000
#define AP_CR4_PAE 0x00000020
#define AP_MSR_EFER 0xc0000080

#ifndef __ASSEMBLER__
#include <moat/types.h>

/* The parameter block as C sees it, checked against the offsets above. */
struct ap_params {
	u64 gdt[AP_GDT_ENTRIES];
	u16 gdt_limit;
	u32 gdt_base;
	u16 pad0;
	u32 pm_entry_offset;
	u16 pm_entry_selector;
	u16 pad1;
	u32 lm_entry_offset;
	u16 lm_entry_selector;
	u16 pad2;
	u32 low_cr3;
	u32 efer;
	u64 cr3, cr0, cr4;
	u64 entry;
	u64 stacks;
	u32 next_ticket;
	u32 slots;
	u32 parked;
	u32 pad3;
} __packed;
_Static_assert(offsetof(struct ap_params, gdt_limit) == AP_PARAM_GDT_POINTER, "ap_params");
_Static_assert(offsetof(struct ap_params, pm_entry_offset) == AP_PARAM_PM_ENTRY, "ap_params");
_Static_assert(offsetof(struct ap_params, lm_entry_offset) == AP_PARAM_LM_ENTRY, "ap_params");
_Static_assert(offsetof(struct ap_params, low_cr3) == AP_PARAM_LOW_CR3, "ap_params");
_Static_assert(offsetof(struct ap_params, efer) == AP_PARAM_EFER, "ap_params");
_Static_assert(offsetof(struct ap_params, cr3) == AP_PARAM_CR3, "ap_params");
_Static_assert(offsetof(struct ap_params, cr0) == AP_PARAM_CR0, "ap_params");
_Static_assert(offsetof(struct ap_params, cr4) == AP_PARAM_CR4, "ap_params");
_Static_assert(offsetof(struct ap_params, entry) == AP_PARAM_ENTRY, "ap_params");
_Static_assert(offsetof(struct ap_params, stacks) == AP_PARAM_STACKS, "ap_params");
_Static_assert(offsetof(struct ap_params, next_ticket) == AP_PARAM_NEXT_TICKET, "ap_params");
_Static_assert(offsetof(struct ap_params, slots) == AP_PARAM_SLOTS, "ap_params");
_Static_assert(offsetof(struct ap_params, parked) == AP_PARAM_PARKED, "ap_params");
_Static_assert(sizeof(struct ap_params) == AP_PARAMS_SIZE, "ap_params");
_Static_assert(AP_PARAMS_OFFSET + AP_PARAMS_SIZE <= PAGE_SIZE, "parameters fit the page");

/* The code copied into the trampoline page, and its two mode-switch targets. */
extern const u8 ap_trampoline_start[], ap_trampoline_end[];
extern const u8 ap_trampoline_protected[], ap_trampoline_long[];

/* Where each AP lands in C, on its own stack, with its index (1.. ; 0 is the BSP). */
__noreturn void ap_main(u32 cpu_index);
#endif

#endif
