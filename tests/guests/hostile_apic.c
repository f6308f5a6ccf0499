// SPDX-License-Identifier: MIT
/* hostile_apic: a one-vCPU guest that tries to reach beyond its virtual x2APIC. The registers
 * Moat emulates read as documented and every other x2APIC MSR raises #GP; APIC_BASE cannot be
 * moved nor take an illegal mode transition, and takes the legal ones; INIT, SIPI and fixed IPIs to every other APIC ID, to all and to all-but-self reach
 * nobody (it keeps running); a write of the xAPIC ICR at 0xFEE00300 in x2APIC mode is dropped;
 * then in xAPIC mode the page's ICR sends INIT and fixed IPIs that reach nobody else and a self
 * IPI that arrives and is ended by the page's EOI (docs/guest-interface.md, "Local APIC"). */
#include "apic.h"

/* Every 8-bit APIC ID but its own is another guest's or nobody's. */
#define HOSTILE_APIC_OWN_ID	       0
#define HOSTILE_APIC_LAST_ID	       255
#define HOSTILE_APIC_SIPI_PAGE	       0x10 /* would start a vCPU at 0x10000 */
#define HOSTILE_APIC_VECTOR_STRAY      0x50 /* sent only where it must not arrive */
#define HOSTILE_APIC_VECTOR_BROADCAST  0x51 /* to 0xFFFFFFFF: only this vCPU exists to take it */
#define HOSTILE_APIC_EXCEPTION_VECTOR  13   /* a fixed IPI below 16 is dropped, not a fake #GP */
#define HOSTILE_APIC_LOGICAL_CLUSTER_1 0x1ffffu /* every member of cluster 1 (IDs 16-31) */
/* APIC_BASE values Moat must refuse from x2APIC mode: moved to 16 MiB, straight to xAPIC
 * mode (11.12.5: only through disabled), x2APIC without enable (the invalid state). */
#define APIC_BASE_MOVED	     (0x1000000u | APIC_BASE_ENABLE | APIC_BASE_X2APIC)
#define APIC_BASE_XAPIC_MODE (APIC_BASE_BSP_VALUE & ~APIC_BASE_X2APIC)
#define APIC_BASE_INVALID    (APIC_BASE_BSP_VALUE & ~APIC_BASE_ENABLE)
#define APIC_BASE_DISABLED   (APIC_BASE_BSP_VALUE & ~(APIC_BASE_ENABLE | APIC_BASE_X2APIC))
/* x2APIC registers that read without a value this test knows (11.12.1.2, Table 11-6): ISR,
 * TMR and IRR, the LVT entries and the timer's initial and current count and divide. */
#define MSR_X2APIC_ISR_FIRST	 0x810
#define MSR_X2APIC_IRR_LAST	 0x827
#define MSR_X2APIC_LVT_TIMER	 0x832
#define MSR_X2APIC_TIMER_CURRENT 0x839
#define MSR_X2APIC_TIMER_DIVIDE	 0x83e
/* The xAPIC page at its reset base and its registers (SDM Vol. 3A, 11.4.1, Table 11-1). */
#define XAPIC_EOI      0xfee000b0u
#define XAPIC_SVR      0xfee000f0u
#define XAPIC_ICR_LOW  0xfee00300u
#define XAPIC_ICR_HIGH 0xfee00310u
#define XAPIC_DESTINATION_SHIFT 24
#define HOSTILE_APIC_VECTOR_XAPIC_SELF 0x52
#define ANY_VALUE     (~0ull)
/* About 2-3 instructions per round: about a second of guest time on Bochs (50,000 instructions
 * a "ms"), some 100 ms under QEMU: enough for Moat's audit rate limit (one record per 100 ms
 * after a burst of 32) to let the next record through. See hostile_apic_let_audit_refill(). */
#define HOSTILE_APIC_SETTLE_ROUNDS 20000000u

enum hostile_apic_check {
	HOSTILE_APIC_CHECK_READ_NO_FAULT = 1,
	HOSTILE_APIC_CHECK_READ_VALUE,
	HOSTILE_APIC_CHECK_OTHER_READ_GP,
	HOSTILE_APIC_CHECK_APIC_BASE_READ,
	HOSTILE_APIC_CHECK_APIC_BASE_CHANGE_GP,
	HOSTILE_APIC_CHECK_IPI_NO_FAULT,
	HOSTILE_APIC_CHECK_NOTHING_CAME_BACK,
	HOSTILE_APIC_CHECK_BROADCAST_SELF,
	HOSTILE_APIC_CHECK_XAPIC_DROPPED,
	HOSTILE_APIC_CHECK_XAPIC_SELF,
	HOSTILE_APIC_CHECK_APIC_BASE_TRANSITIONS,
};

struct hostile_apic_register {
	u32 msr;
	u64 value; /* ANY_VALUE: the guest's own (TPR, SVR, ICR) */
	const char *what;
};

/* The registers Moat emulates that a guest may read (Table 11-6); EOI and SELF IPI are
 * write-only, so reading them is a #GP like any unimplemented one. */
static const struct hostile_apic_register hostile_apic_readable[] = {
	{ MSR_X2APIC_ID, HOSTILE_APIC_OWN_ID, "x2APIC ID (0x802) reads 0" },
	{ MSR_X2APIC_VERSION, APIC_VERSION_VALUE, "x2APIC version (0x803) reads 0x50014" },
	{ MSR_X2APIC_TPR, ANY_VALUE, "x2APIC TPR (0x808) reads" },
	{ MSR_X2APIC_PPR, 0, "x2APIC PPR (0x80a) reads 0" },
	{ MSR_X2APIC_LDR, APIC_LDR(HOSTILE_APIC_OWN_ID), "x2APIC LDR (0x80d) reads 1" },
	{ MSR_X2APIC_SVR, ANY_VALUE, "x2APIC SVR (0x80f) reads" },
	{ MSR_X2APIC_ESR, 0, "x2APIC ESR (0x828) reads 0" },
	{ MSR_X2APIC_ICR, ANY_VALUE, "x2APIC ICR (0x830) reads" },
};

/* What is sent to each other APIC ID, to all, and to all but itself. */
static const u32 hostile_apic_ipis[] = {
	APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT,
	APIC_ICR_STARTUP | HOSTILE_APIC_SIPI_PAGE,
	APIC_ICR_FIXED | HOSTILE_APIC_VECTOR_STRAY,
};

const char guest_name[] = "hostile_apic";

static volatile u32 hostile_apic_strays, hostile_apic_broadcasts, hostile_apic_xapic_selves;
static u32 hostile_apic_sent; /* ICR writes so far */

static void hostile_apic_on_stray(u32 vector)
{
	hostile_apic_strays++;
	apic_eoi();
}

static void hostile_apic_on_broadcast(u32 vector)
{
	hostile_apic_broadcasts++;
	apic_eoi();
}

static const struct hostile_apic_register hostile_apic_any = { 0, ANY_VALUE, NULL };

static void hostile_apic_on_xapic_self(u32 vector)
{
	hostile_apic_xapic_selves++;
	*(volatile u32 *)XAPIC_EOI = 0; /* xAPIC mode: EOI through the page */
}

static void hostile_apic_xapic_send(u32 destination, u32 icr_low)
{
	*(volatile u32 *)XAPIC_ICR_HIGH = destination << XAPIC_DESTINATION_SHIFT;
	*(volatile u32 *)XAPIC_ICR_LOW = icr_low;
}

/* In xAPIC mode (reached through disabled): IPIs through the page reach only this vCPU. */
static void hostile_apic_xapic_mode(void)
{
	volatile u32 *icr = (volatile u32 *)XAPIC_ICR_LOW;

	console_printf("hostile_apic: writing INIT to all at xAPIC ICR 0x%x in x2APIC mode\n",
		       XAPIC_ICR_LOW);
	*icr = APIC_ICR_ALL_EXCLUDING_SELF | APIC_ICR_LEVEL_ASSERT | APIC_ICR_INIT;
	check_eq(HOSTILE_APIC_CHECK_XAPIC_DROPPED, "the xAPIC page is inert in x2APIC mode",
		 *icr, 0xffffffffu);
	cpu_wrmsr(MSR_IA32_APIC_BASE, APIC_BASE_DISABLED);
	cpu_wrmsr(MSR_IA32_APIC_BASE, APIC_BASE_XAPIC_MODE);
	*(volatile u32 *)XAPIC_SVR = APIC_SVR_ENABLE | APIC_SVR_SPURIOUS_VECTOR;
	hostile_apic_xapic_send(0, APIC_ICR_ALL_EXCLUDING_SELF | APIC_ICR_LEVEL_ASSERT |
					   APIC_ICR_INIT);
	for (u32 id = HOSTILE_APIC_OWN_ID + 1; id < HOSTILE_APIC_LAST_ID; id++)
		hostile_apic_xapic_send(id, APIC_ICR_FIXED | HOSTILE_APIC_VECTOR_STRAY);
	hostile_apic_xapic_send(HOSTILE_APIC_OWN_ID, APIC_ICR_FIXED | HOSTILE_APIC_VECTOR_XAPIC_SELF);
	asm volatile("sti; nop; cli" : : : "memory");
	check_eq(HOSTILE_APIC_CHECK_NOTHING_CAME_BACK, "xAPIC: no IPI meant for others arrived",
		 hostile_apic_strays, 0);
	check_eq(HOSTILE_APIC_CHECK_XAPIC_SELF, "xAPIC page: a self IPI arrives and EOIs",
		 hostile_apic_xapic_selves, 1);
}

static const struct hostile_apic_register *hostile_apic_find_readable(u32 msr)
{
	if ((msr >= MSR_X2APIC_ISR_FIRST && msr <= MSR_X2APIC_IRR_LAST) ||
	    (msr >= MSR_X2APIC_LVT_TIMER && msr <= MSR_X2APIC_TIMER_CURRENT) ||
	    msr == MSR_X2APIC_TIMER_DIVIDE)
		return &hostile_apic_any;
	for (u32 i = 0; i < ARRAY_SIZE(hostile_apic_readable); i++) {
		if (hostile_apic_readable[i].msr == msr)
			return &hostile_apic_readable[i];
	}
	return NULL;
}

/* x2APIC -> disabled -> (not x2APIC) -> xAPIC -> x2APIC, the architectural order (11.12.5);
 * the APIC comes back reset, software-disabled, and is enabled again. */
static void hostile_apic_base_transitions(void)
{
	u64 base = 0;

	if (trap_probe_wrmsr(MSR_IA32_APIC_BASE, APIC_BASE_DISABLED) != TRAP_NO_FAULT ||
	    trap_probe_rdmsr(MSR_X2APIC_VERSION, &base) != VECTOR_GP ||
	    trap_probe_wrmsr(MSR_IA32_APIC_BASE, APIC_BASE_BSP_VALUE) != VECTOR_GP ||
	    trap_probe_wrmsr(MSR_IA32_APIC_BASE, APIC_BASE_XAPIC_MODE) != TRAP_NO_FAULT ||
	    trap_probe_wrmsr(MSR_IA32_APIC_BASE, APIC_BASE_BSP_VALUE) != TRAP_NO_FAULT ||
	    trap_probe_rdmsr(MSR_IA32_APIC_BASE, &base) != TRAP_NO_FAULT)
		check_fail(HOSTILE_APIC_CHECK_APIC_BASE_TRANSITIONS, "APIC_BASE transitions",
			   "a step of x2APIC -> disabled -> xAPIC -> x2APIC went wrong");
	check_eq(HOSTILE_APIC_CHECK_APIC_BASE_TRANSITIONS, "x2APIC -> disabled -> xAPIC -> x2APIC",
		 base, APIC_BASE_BSP_VALUE);
	apic_enable();
}

/* First, so that its records fall in the audit burst: APIC_BASE reads as documented; moving
 * the page, leaving x2APIC mode for xAPIC mode directly or the invalid state raise #GP. */
static void hostile_apic_base(void)
{
	static const u64 changes[] = { APIC_BASE_MOVED, APIC_BASE_XAPIC_MODE, APIC_BASE_INVALID };
	u64 base = 0;

	check_no_fault(HOSTILE_APIC_CHECK_APIC_BASE_READ, "rdmsr APIC_BASE does not fault",
		       trap_probe_rdmsr(MSR_IA32_APIC_BASE, &base));
	check_eq(HOSTILE_APIC_CHECK_APIC_BASE_READ, "APIC_BASE reads 0xfee00d00", base,
		 APIC_BASE_BSP_VALUE);
	for (u32 i = 0; i < ARRAY_SIZE(changes); i++) {
		int vector = trap_probe_wrmsr(MSR_IA32_APIC_BASE, changes[i]);

		if (vector != VECTOR_GP)
			check_fail(HOSTILE_APIC_CHECK_APIC_BASE_CHANGE_GP,
				   "changing APIC_BASE raises #GP", "wrmsr 0x%llx gave %d",
				   changes[i], vector);
	}
	check_ok("wrmsr APIC_BASE to 0x1000000, to xAPIC mode and to x2APIC-not-enabled: each #GP");
	hostile_apic_base_transitions();
}

static void hostile_apic_read_one(const struct hostile_apic_register *reg, u32 msr)
{
	u64 value = 0;
	int vector = trap_probe_rdmsr(msr, &value);

	if (vector != TRAP_NO_FAULT)
		check_fail(HOSTILE_APIC_CHECK_READ_NO_FAULT, reg->what ? reg->what : "x2APIC reads",
			   "rdmsr 0x%x gave exception %d", msr, vector);
	if (!reg->what)
		return;
	if (reg->value == ANY_VALUE)
		check_ok(reg->what);
	else
		check_eq(HOSTILE_APIC_CHECK_READ_VALUE, reg->what, value, reg->value);
}

static void hostile_apic_x2apic_reads(void)
{
	u32 denied = 0;

	for (u32 msr = MSR_X2APIC_FIRST; msr <= MSR_X2APIC_LAST; msr++) {
		const struct hostile_apic_register *reg = hostile_apic_find_readable(msr);
		u64 value = 0;
		int vector;

		if (reg) {
			hostile_apic_read_one(reg, msr);
			continue;
		}
		vector = trap_probe_rdmsr(msr, &value);
		if (vector != VECTOR_GP)
			check_fail(HOSTILE_APIC_CHECK_OTHER_READ_GP,
				   "other x2APIC MSR reads raise #GP",
				   "rdmsr 0x%x gave exception %d, value 0x%llx", msr, vector,
				   value);
		denied++;
	}
	console_printf("hostile_apic: ok: all %u other x2APIC MSR reads raised #GP\n", denied);
}

static void hostile_apic_send(u32 destination, u32 icr_low)
{
	u64 icr = (u64)destination << APIC_ICR_DESTINATION_SHIFT | icr_low;
	int vector = trap_probe_wrmsr(MSR_X2APIC_ICR, icr);

	hostile_apic_sent++;
	if (vector != TRAP_NO_FAULT)
		check_fail(HOSTILE_APIC_CHECK_IPI_NO_FAULT, "ICR writes are accepted",
			   "ICR 0x%llx gave exception %d", icr, vector);
}

/* INIT, SIPI and a fixed IPI to every APIC ID but its own, to all but itself (shorthand),
 * to a logical cluster it is not in, and the delivery modes and vectors Moat drops. */
static void hostile_apic_ipi_sweep(void)
{
	for (u32 id = HOSTILE_APIC_OWN_ID + 1; id <= HOSTILE_APIC_LAST_ID; id++) {
		for (u32 i = 0; i < ARRAY_SIZE(hostile_apic_ipis); i++)
			hostile_apic_send(id, hostile_apic_ipis[i]);
	}
	for (u32 i = 0; i < ARRAY_SIZE(hostile_apic_ipis); i++)
		hostile_apic_send(0, APIC_ICR_ALL_EXCLUDING_SELF | hostile_apic_ipis[i]);
	hostile_apic_send(HOSTILE_APIC_LOGICAL_CLUSTER_1,
			  APIC_ICR_LOGICAL | APIC_ICR_FIXED | HOSTILE_APIC_VECTOR_STRAY);
	/* To itself: an NMI or SMI, and a fixed vector in the exception range, would each be a
	 * fatal exception here if Moat delivered them. */
	hostile_apic_send(HOSTILE_APIC_OWN_ID, APIC_ICR_NMI);
	hostile_apic_send(HOSTILE_APIC_OWN_ID, APIC_ICR_SMI);
	hostile_apic_send(HOSTILE_APIC_OWN_ID, APIC_ICR_FIXED | HOSTILE_APIC_EXCEPTION_VECTOR);
	/* To all (0xFFFFFFFF): a SIPI to a running vCPU is ignored, the fixed one comes back to
	 * this, the only vCPU. No INIT: that would put this vCPU itself into wait-for-SIPI. */
	hostile_apic_send(APIC_DESTINATION_BROADCAST, APIC_ICR_STARTUP | HOSTILE_APIC_SIPI_PAGE);
	hostile_apic_send(APIC_DESTINATION_BROADCAST,
			  APIC_ICR_FIXED | HOSTILE_APIC_VECTOR_BROADCAST);
}

/*
 * Each denied MSR access and dropped IPI is audited: hundreds of them use up Moat's per-guest
 * audit burst (32 records, then one per 100 ms). Spinning a while without exits lets it refill,
 * so that the next record this test is about is printed rather than suppressed. Interrupts
 * are on meanwhile: any IPI still pending for this vCPU arrives now.
 */
static void hostile_apic_let_audit_refill(void)
{
	asm volatile("sti" : : : "memory");
	for (volatile u32 i = 0; i < HOSTILE_APIC_SETTLE_ROUNDS; i++)
		;
	asm volatile("cli" : : : "memory");
}

static void hostile_apic_ipis_reach_nobody(void)
{
	hostile_apic_ipi_sweep();
	console_printf("hostile_apic: ok: %u IPIs sent to APIC IDs 1-%u, all, all but self, "
		       "cluster 1, NMI/SMI/vector 13 to self: no fault\n",
		       hostile_apic_sent, HOSTILE_APIC_LAST_ID);
	hostile_apic_let_audit_refill();
	check_eq(HOSTILE_APIC_CHECK_NOTHING_CAME_BACK, "no IPI meant for others arrived here",
		 hostile_apic_strays, 0);
	check_eq(HOSTILE_APIC_CHECK_BROADCAST_SELF, "the fixed IPI to all arrived here once",
		 hostile_apic_broadcasts, 1);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	trap_set_handler(HOSTILE_APIC_VECTOR_XAPIC_SELF, hostile_apic_on_xapic_self);
	trap_set_handler(HOSTILE_APIC_VECTOR_STRAY, hostile_apic_on_stray);
	trap_set_handler(HOSTILE_APIC_VECTOR_BROADCAST, hostile_apic_on_broadcast);
	hostile_apic_base();
	hostile_apic_x2apic_reads();
	hostile_apic_let_audit_refill();
	hostile_apic_ipis_reach_nobody();
	hostile_apic_xapic_mode();
}
