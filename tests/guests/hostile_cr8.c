// SPDX-License-Identifier: MIT
/* hostile_cr8: two vCPUs on two CPUs. AP 1 enters long mode and raises CR8, the task priority,
 * to 15, then halts in long mode with CR8 14, round after round: were CR8 the physical TPR,
 * Moat's own timer and kick vectors (0xef, 0xed, class 14) would be masked on AP 1's CPU. The
 * BSP wakes it each round with vector 0xf1: class 15, above AP 1's own priority, so only a
 * masked physical APIC could keep the wake-up from it. The victim beside AP 1 stops at its
 * time limit long before the last round; from then on CPU 1 is idle while AP 1 halts, and only
 * Moat's kick can wake it. Woken, AP 1 checks that the x2APIC TPR (MSR 0x808) is CR8 in bits
 * 7:4, both ways. */
#include "apic.h"
#include "long_mode.h"

#define CR8_AP_ID	     1
#define CR8_HIGHEST	     15
#define CR8_HALT_LEVEL	     14	  /* masks classes 1-14: Moat's vectors 0xe0-0xef among them */
#define CR8_WAKE_VECTOR	     0xf1 /* class 15: above CR8_HALT_LEVEL */
#define CR8_TPR_SHIFT	     4	  /* CR8[3:0] is TPR[7:4] (SDM Vol. 3A, 10.8.6.1) */
#define CR8_TPR_WRITTEN	     0x20
#define CR8_TPR_WRITTEN_CR8  2
/* Rounds of HLT and IPI: while the victim runs, each takes up to a victim slice (10 ms; a kick
 * does not end the victim's slice), so 500 outlast its 1000 ms time limit
 * (tests/boot/hostile-cr8.dts) about twice over. */
#define CR8_ROUNDS	     500u
#define CR8_IPI_DELAY_PAUSES 256u /* lets AP 1 reach its HLT before the IPI */

enum cr8_check {
	CR8_CHECK_AP_STARTED = 1,
	CR8_CHECK_READ_BACK,
	CR8_CHECK_HALT_LEVEL,
	CR8_CHECK_LEVEL_AFTER_WAKE,
	CR8_CHECK_TPR_IS_CR8,
	CR8_CHECK_CR8_IS_TPR,
	CR8_CHECK_AP_DONE,
};

const char guest_name[] = "hostile_cr8";

/* What hostile_cr8_halt reads and writes (offsets used by its assembly). */
struct cr8_halt {
	u32 halting;	/* 0: the round AP 1 is about to halt in */
	u32 level;	/* 4: the CR8 to halt with */
	u32 vector;	/* 8: the interrupt that ends a round */
	u32 level_read; /* 12: CR8 read back before halting */
	u32 rounds;	/* 16 */
};

static volatile struct cr8_halt cr8_halt = {
	.level = CR8_HALT_LEVEL, .vector = CR8_WAKE_VECTOR, .rounds = CR8_ROUNDS,
};
static volatile u32 cr8_woken, cr8_done;

/* 64-bit routines for long_mode_call: arg in RDI, result in RAX. */
u64 hostile_cr8_write_read(u64 value);
u64 hostile_cr8_read(void);
u64 hostile_cr8_halt(volatile struct cr8_halt *halt);
asm(".pushsection .text\n"
    ".code64\n"
    "hostile_cr8_write_read:\n"
    "	movq	%rdi, %cr8\n"
    "	movq	%cr8, %rax\n"
    "	ret\n"
    "hostile_cr8_read:\n"
    "	movq	%cr8, %rax\n"
    "	ret\n"
    /* CR8 := level; then for round r = 1 .. rounds: halting := r, STI; HLT until the vector
     * has arrived r times. Returns CR8. */
    "hostile_cr8_halt:\n"
    "	movl	4(%rdi), %eax\n"
    "	movq	%rax, %cr8\n"
    "	movq	%cr8, %rax\n"
    "	movl	%eax, 12(%rdi)\n"
    "	movl	8(%rdi), %ecx\n"
    "	movl	$long_mode_interrupt_count, %edx\n"
    "	leaq	(%rdx, %rcx, 4), %rdx\n"
    "	movl	$1, %esi\n"
    "1:	movl	%esi, (%rdi)\n"
    "2:	cmpl	%esi, (%rdx)\n"
    "	jae	3f\n"
    "	sti\n"
    "	hlt\n"
    "	cli\n"
    "	jmp	2b\n"
    "3:	incl	%esi\n"
    "	cmpl	16(%rdi), %esi\n"
    "	jbe	1b\n"
    "	movq	%cr8, %rax\n"
    "	ret\n"
    ".code32\n"
    ".popsection\n");

static void cr8_ap_main(u32 id)
{
	u64 cr8;

	cr8 = long_mode_call(hostile_cr8_write_read, CR8_HIGHEST);
	ap_console_lock();
	check_eq(CR8_CHECK_READ_BACK, "ap 1: cr8 reads back 15 in long mode", cr8, CR8_HIGHEST);
	console_printf("hostile_cr8: ap 1: halting in long mode with cr8 14, %u rounds\n",
		       CR8_ROUNDS);
	ap_console_unlock();
	cr8 = long_mode_call(hostile_cr8_halt, (u32)&cr8_halt);
	cr8_woken = 1;
	ap_console_lock();
	check_eq(CR8_CHECK_HALT_LEVEL, "ap 1: cr8 read 14 before halting", cr8_halt.level_read,
		 CR8_HALT_LEVEL);
	check_eq(CR8_CHECK_LEVEL_AFTER_WAKE, "ap 1: woken in long mode every round, cr8 still 14",
		 cr8, CR8_HALT_LEVEL);
	/* CR8 and the x2APIC TPR are one register, both ways. */
	check_eq(CR8_CHECK_TPR_IS_CR8, "ap 1: x2apic tpr is cr8 << 4", cpu_rdmsr(MSR_X2APIC_TPR),
		 CR8_HALT_LEVEL << CR8_TPR_SHIFT);
	cpu_wrmsr(MSR_X2APIC_TPR, CR8_TPR_WRITTEN);
	check_eq(CR8_CHECK_CR8_IS_TPR, "ap 1: cr8 is x2apic tpr >> 4",
		 long_mode_call(hostile_cr8_read, 0), CR8_TPR_WRITTEN_CR8);
	ap_console_unlock();
	cpu_wrmsr(MSR_X2APIC_TPR, 0);
	cr8_done = 1;
	ap_halt_forever();
}

/* Waits with interrupts on, so that Moat can always preempt or stop this vCPU. No bound: a
 * wake-up that never comes is the failure this test is for, and the runner's timeout ends it
 * (Moat never powers off then either). */
static void cr8_wait_until(volatile u32 *word, u32 value)
{
	while (*word < value)
		asm volatile("sti; pause; cli" : : : "memory");
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	bool started = ap_start(CR8_AP_ID, cr8_ap_main);

	ap_console_lock();
	check_true(CR8_CHECK_AP_STARTED, "ap 1 started", started);
	ap_console_unlock();
	for (u32 round = 1; round <= CR8_ROUNDS; round++) {
		cr8_wait_until(&cr8_halt.halting, round);
		for (volatile u32 i = 0; i < CR8_IPI_DELAY_PAUSES; i++)
			asm volatile("pause");
		apic_send(CR8_AP_ID, APIC_ICR_FIXED | CR8_WAKE_VECTOR);
	}
	cr8_wait_until(&cr8_woken, 1);
	ap_printf("hostile_cr8: bsp: ap 1 woke %u times\n", CR8_ROUNDS);
	cr8_wait_until(&cr8_done, 1);
	ap_console_lock();
	check_true(CR8_CHECK_AP_DONE, "ap 1 done", true);
	ap_console_unlock();
}
