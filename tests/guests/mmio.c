// SPDX-License-Identifier: MIT
/* mmio: reaches the I/O APIC at 0xFEC00000 (IOREGSEL at offset 0, IOWIN at 0x10; 82093AA
 * datasheet 3.0) through many MOV forms, so that Moat's MMIO emulation (docs/guest-interface.md,
 * "Memory-mapped devices") decodes each: in 32-bit code with paging off, C7 stores, disp8,
 * disp32, moffs (A1/A3), SIB with and without a base, ES and SS overrides; in 64-bit code
 * under 4-level paging (long_mode_call), REX.B/X/R registers, a 32-bit load that must zero
 * bits 63:32, and moffs64. The version register (index 1) must read the same every way, with
 * 24 pins (bits 23:16 = 23); a redirection entry's destination (high dword) must read back
 * what was written. Last, it runs `add [IOWIN], eax`, which Moat does not emulate: it must be
 * stopped with the instruction bytes printed; surviving is a failure. */
#include "guest.h"
#include "long_mode.h"

#define IOAPIC_BASE 0xfec00000u
#define IOAPIC_IOWIN 0x10u
#define IOAPIC_VERSION 1u
#define IOAPIC_MAX_ENTRY_SHIFT 16 /* version register bits 23:16: pins - 1 */
#define IOAPIC_MAX_ENTRY_MASK 0xffu
#define IOAPIC_PINS 24u
#define IOAPIC_REDIRECTION 0x10u /* entry n: index 0x10 + 2n (low), + 1 (high) */
#define IOAPIC_TEST_ENTRY 5u
#define IOAPIC_TEST_HIGH (IOAPIC_REDIRECTION + 2 * IOAPIC_TEST_ENTRY + 1)
#define DESTINATION_32 0xab000000u /* bits 63:56 of the entry: the destination */
#define DESTINATION_32B 0x5a000000u
#define DESTINATION_64 0xcd000000u

enum mmio_check {
	MMIO_CHECK_PINS = 1,
	MMIO_CHECK_MOFFS,
	MMIO_CHECK_SIB,
	MMIO_CHECK_SIB_NO_BASE,
	MMIO_CHECK_DISP32,
	MMIO_CHECK_SEGMENTS,
	MMIO_CHECK_IMM_STORE,
	MMIO_CHECK_REG_STORE,
	MMIO_CHECK_64_ZERO_EXTEND,
	MMIO_CHECK_64_MOFFS,
	MMIO_CHECK_64_SIB,
	MMIO_CHECK_64_STORE,
	MMIO_CHECK_STOPPED,
};

const char guest_name[] = "mmio";

/* What the 64-bit routine read: each a full 64-bit register after a 32-bit load. */
struct mmio_results {
	u64 rex_load, moffs64, sib, redirection;
};

static struct mmio_results results;

u64 mmio_long_mode(struct mmio_results *out);
asm(".pushsection .text\n"
    ".code64\n"
    "mmio_long_mode:\n"
    "	pushq	%rbx\n"
    "	pushq	%r12\n"
    "	pushq	%r13\n"
    "	pushq	%r14\n"
    "	pushq	%r15\n"
    "	movl	$0xfec00000, %r10d\n"
    /* REX.B base, C7 store; a 32-bit load into R8 zeroes bits 63:32. */
    "	movl	$1, (%r10)\n"
    "	movq	$-1, %r8\n"
    "	movl	0x10(%r10), %r8d\n"
    "	movq	%r8, 0(%rdi)\n"
    /* moffs64 (A3/A1 with an 8-byte offset). */
    "	movl	$1, %eax\n"
    "	movabsl	%eax, 0xfec00000\n"
    "	movq	$-1, %rax\n"
    "	movabsl	0xfec00010, %eax\n"
    "	movq	%rax, 8(%rdi)\n"
    /* SIB with REX.B base and REX.X index, REX.R source and destination. */
    "	movl	$0xfebfff80, %r12d\n"
    "	movl	$0x10, %r13d\n"
    "	movl	$1, %r9d\n"
    "	movl	%r9d, 0x70(%r12,%r13,1)\n"
    "	movq	$-1, %r14\n"
    "	movl	0x80(%r12,%r13,1), %r14d\n"
    "	movq	%r14, 16(%rdi)\n"
    /* A redirection entry's destination, written and read back. */
    "	movl	$0x1b, (%r10)\n"
    "	movl	$0xcd000000, 0x10(%r10)\n"
    "	movq	$-1, %r15\n"
    "	movl	0x10(%r10), %r15d\n"
    "	movq	%r15, 24(%rdi)\n"
    "	xorl	%eax, %eax\n"
    "	popq	%r15\n"
    "	popq	%r14\n"
    "	popq	%r13\n"
    "	popq	%r12\n"
    "	popq	%rbx\n"
    "	ret\n"
    ".code32\n"
    ".popsection\n");

/* Version register: select with a C7 store through a base register, read with disp8. */
static u32 mmio_version_base(void)
{
	u32 value;

	asm volatile("movl $1, (%1)\n\t"
		     "movl 0x10(%1), %0"
		     : "=r"(value)
		     : "r"(IOAPIC_BASE)
		     : "memory");
	return value;
}

static u32 mmio_version_moffs(void)
{
	u32 value = IOAPIC_VERSION;

	asm volatile("movl %0, 0xfec00000\n\t"
		     "movl 0xfec00010, %0"
		     : "+a"(value)
		     :
		     : "memory");
	return value;
}

/* SIB: base + index * 4 for the select, no base (index + disp32) for the read. */
static u32 mmio_version_sib(bool no_base)
{
	u32 value, one = IOAPIC_VERSION;

	asm volatile("movl %1, (%0,%2,4)"
		     :
		     : "r"(IOAPIC_BASE - 0x40), "r"(one), "r"(0x10)
		     : "memory");
	if (no_base)
		asm volatile("movl 0xfec00000(,%1,1), %0" : "=r"(value) : "r"(IOAPIC_IOWIN)
			     : "memory");
	else
		asm volatile("movl (%1,%2,2), %0" : "=r"(value) : "r"(IOAPIC_BASE),
			     "r"(IOAPIC_IOWIN / 2) : "memory");
	return value;
}

/* disp32 with a base register, for the select and the read. */
static u32 mmio_version_disp32(void)
{
	u32 value = IOAPIC_VERSION;

	asm volatile("movl %0, 0x1000(%1)\n\t"
		     "movl 0x1010(%1), %0"
		     : "+r"(value)
		     : "r"(IOAPIC_BASE - 0x1000)
		     : "memory");
	return value;
}

/* The runtime's ES and SS are flat data segments: an override changes nothing here. */
static u32 mmio_version_segments(void)
{
	u32 es, ss;

	asm volatile("movl $1, %%es:(%1)\n\t"
		     "movl %%es:0x10(%1), %0"
		     : "=r"(es)
		     : "r"(IOAPIC_BASE)
		     : "memory");
	asm volatile("movl $1, %%ss:(%1)\n\t"
		     "movl %%ss:0x10(%1), %0"
		     : "=r"(ss)
		     : "r"(IOAPIC_BASE)
		     : "memory");
	return es == ss ? es : 0;
}

static u32 mmio_redirection_high(u32 write, bool immediate)
{
	u32 value;

	asm volatile("movl %0, (%1)" : : "r"(IOAPIC_TEST_HIGH), "r"(IOAPIC_BASE) : "memory");
	if (immediate)
		asm volatile("movl $0xab000000, 0x10(%0)" : : "r"(IOAPIC_BASE) : "memory");
	else
		asm volatile("movl %0, 0x10(%1)" : : "D"(write), "r"(IOAPIC_BASE) : "memory");
	asm volatile("movl 0x10(%1), %0" : "=d"(value) : "r"(IOAPIC_BASE) : "memory");
	return value;
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	u32 version = mmio_version_base(), junk = 0;

	check_eq(MMIO_CHECK_PINS, "version register: 24 pins (C7 store, disp8 load)",
		 ((version >> IOAPIC_MAX_ENTRY_SHIFT) & IOAPIC_MAX_ENTRY_MASK) + 1, IOAPIC_PINS);
	check_eq(MMIO_CHECK_MOFFS, "version by moffs (A3, A1)", mmio_version_moffs(), version);
	check_eq(MMIO_CHECK_SIB, "version by SIB base+index*scale", mmio_version_sib(false),
		 version);
	check_eq(MMIO_CHECK_SIB_NO_BASE, "version by SIB without base",
		 mmio_version_sib(true), version);
	check_eq(MMIO_CHECK_DISP32, "version by base+disp32", mmio_version_disp32(), version);
	check_eq(MMIO_CHECK_SEGMENTS, "version with ES and SS overrides",
		 mmio_version_segments(), version);
	check_eq(MMIO_CHECK_IMM_STORE, "redirection destination written by C7 reads back",
		 mmio_redirection_high(0, true), DESTINATION_32);
	check_eq(MMIO_CHECK_REG_STORE, "redirection destination written from EDI reads back",
		 mmio_redirection_high(DESTINATION_32B, false), DESTINATION_32B);

	long_mode_call(mmio_long_mode, (u32)&results);
	check_eq(MMIO_CHECK_64_ZERO_EXTEND, "64-bit: REX.B base, 32-bit load zeroes R8[63:32]",
		 results.rex_load, version);
	check_eq(MMIO_CHECK_64_MOFFS, "64-bit: moffs64", results.moffs64, version);
	check_eq(MMIO_CHECK_64_SIB, "64-bit: SIB with REX.X/B/R", results.sib, version);
	check_eq(MMIO_CHECK_64_STORE, "64-bit: redirection destination reads back",
		 results.redirection, DESTINATION_64);

	/* ADD with a memory destination is not emulated: Moat must stop this guest here. */
	console_printf("mmio: add [IOWIN], eax\n");
	asm volatile("addl %0, 0xfec00010" : : "a"(junk) : "memory");
	check_fail(MMIO_CHECK_STOPPED, "the unsupported instruction stopped the guest",
		   "still running");
}
