// SPDX-License-Identifier: MIT
/* hostile_regs: two copies of this guest share one CPU (tests/boot/hostile-regs.dts). Each
 * writes its own markers into registers a guest reads without any exit -- DR0-DR3, DR6, DR7,
 * CR2, TSC_AUX, the x87 control word, MXCSR and XMM0-XMM7 -- and checks, over many slices
 * of the other copy, that it keeps reading exactly its own values (docs/guest-interface.md,
 * "Registers"). The copies tell themselves apart by their RAM size (2 or 3 MiB) and count
 * each other's slices through a shared region: a change of the other copy's counter means
 * the CPU went to it and came back. */
#include "guest.h"

#define SHARED_GPA 0x40000000u
#define MIB_SHIFT 20
#define SLICES_WANTED 24      /* slices of the other copy between checks, at least */
#define SPIN_TICKS 0x10000u   /* TSC ticks of spinning between two checks */
#define MAX_ROUNDS 50000000u  /* the other copy stopped (a failed check): give up */

#define MSR_TSC_AUX 0xc0000103u
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_EDX_RDTSCP BIT(27) /* AMD APM Vol. 3 E.4.2, Intel SDM Vol. 2A CPUID */
#define CR4_OSFXSR BIT(9)            /* SSE instructions and FXSAVE (SDM Vol. 3A 2.5) */
/* DR6 (SDM Vol. 3B 17.2.3): B0-B3, BD, BS, BT are writable; the rest read as fixed bits. */
#define DR6_WRITABLE 0xe00fu
#define DR6_FIXED_ONES 0xffff0ff0u
/* DR7 (SDM Vol. 3B 17.2.4): bit 10 reads 1; L0-L3/G0-G3 stay 0 so that no breakpoint is
 * armed; the R/W and LEN fields (bits 16-31) use only defined encodings (R/W 01 or 11). */
#define DR7_FIXED_ONE 0x400u
/* x87 control word after FNINIT with a rounding mode (SDM Vol. 1 8.1.5), MXCSR with SSE
 * exceptions masked and a rounding mode (SDM Vol. 1 10.2.3). */
#define FCW_MASKED 0x037fu
#define FCW_RC_SHIFT 10
#define MXCSR_MASKED 0x1f80u
#define MXCSR_RC_SHIFT 13
#define XMM_REGS 8

enum hostile_regs_check {
	HOSTILE_REGS_CHECK_WRITTEN = 1,
	HOSTILE_REGS_CHECK_KEPT,
	HOSTILE_REGS_CHECK_OTHER_RAN,
	HOSTILE_REGS_CHECK_TSC_AUX_START,
	HOSTILE_REGS_CHECK_TSC_AUX_WRITE,
};

struct hostile_regs_shared {
	volatile u32 rounds[2]; /* each copy's check rounds */
	volatile u32 done[2];   /* each copy saw the other run SLICES_WANTED times */
};

/* One copy's view: what it wrote, then read back. */
struct hostile_regs_state {
	u32 dr[4], dr6, dr7, cr2, tsc_aux;
	u16 fcw;
	u32 mxcsr;
	u32 xmm[XMM_REGS][4];
};

const char guest_name[] = "hostile_regs";

static bool hostile_regs_has_rdtscp;
static bool hostile_regs_tsc_aux_ours; /* the guest wrote TSC_AUX without a fault */

#define READ_DR(n)                                                 \
	static u32 read_dr##n(void)                                \
	{                                                          \
		u32 v;                                             \
		asm volatile("mov %%db" #n ", %0" : "=r"(v));      \
		return v;                                          \
	}                                                          \
	static void write_dr##n(u32 v)                             \
	{                                                          \
		asm volatile("mov %0, %%db" #n : : "r"(v) : "memory"); \
	}
READ_DR(0)
READ_DR(1)
READ_DR(2)
READ_DR(3)
READ_DR(6)
READ_DR(7)
#undef READ_DR

static u32 read_cr2(void)
{
	u32 v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static u32 rdtscp_aux(void)
{
	u32 lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

static void hostile_regs_read(struct hostile_regs_state *s)
{
	s->dr[0] = read_dr0();
	s->dr[1] = read_dr1();
	s->dr[2] = read_dr2();
	s->dr[3] = read_dr3();
	s->dr6 = read_dr6();
	s->dr7 = read_dr7();
	s->cr2 = read_cr2();
	s->tsc_aux = hostile_regs_has_rdtscp ? rdtscp_aux() : 0;
	asm volatile("fnstcw %0" : "=m"(s->fcw));
	asm volatile("stmxcsr %0" : "=m"(s->mxcsr));
	asm volatile("movups %%xmm0, 0(%0)\n\tmovups %%xmm1, 16(%0)\n\t"
		     "movups %%xmm2, 32(%0)\n\tmovups %%xmm3, 48(%0)\n\t"
		     "movups %%xmm4, 64(%0)\n\tmovups %%xmm5, 80(%0)\n\t"
		     "movups %%xmm6, 96(%0)\n\tmovups %%xmm7, 112(%0)"
		     : : "r"(&s->xmm[0][0]) : "memory");
}

/* The markers of copy `self` (0 or 1): different in every register between the copies. */
static void hostile_regs_markers(u32 self, struct hostile_regs_state *s)
{
	memset(s, 0, sizeof(*s));
	for (u32 i = 0; i < 4; i++)
		s->dr[i] = 0xdb000000u | (self << 16) | (i << 8) | 0x5a;
	s->dr6 = DR6_FIXED_ONES | (self ? 0x4005u : 0xa00au);
	s->dr7 = DR7_FIXED_ONE | (self ? 0x73730000u : 0xd1d10000u);
	s->cr2 = 0xc2c20000u | (self << 8) | 0x77;
	s->tsc_aux = 0x7a000000u | (self << 8) | 0x11;
	s->fcw = (u16)(FCW_MASKED | ((self + 1) << FCW_RC_SHIFT));
	s->mxcsr = MXCSR_MASKED | ((self + 1) << MXCSR_RC_SHIFT);
	for (u32 r = 0; r < XMM_REGS; r++)
		for (u32 w = 0; w < 4; w++)
			s->xmm[r][w] = 0x3e000000u | (self << 16) | (r << 8) | w;
}

static void hostile_regs_write(const struct hostile_regs_state *s)
{
	u32 cr4;

	write_dr0(s->dr[0]);
	write_dr1(s->dr[1]);
	write_dr2(s->dr[2]);
	write_dr3(s->dr[3]);
	write_dr6(s->dr6);
	write_dr7(s->dr7);
	asm volatile("mov %0, %%cr2" : : "r"(s->cr2) : "memory");
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | (u32)CR4_OSFXSR) : "memory");
	asm volatile("fninit; fldcw %0" : : "m"(s->fcw));
	asm volatile("ldmxcsr %0" : : "m"(s->mxcsr));
	asm volatile("movups 0(%0), %%xmm0\n\tmovups 16(%0), %%xmm1\n\t"
		     "movups 32(%0), %%xmm2\n\tmovups 48(%0), %%xmm3\n\t"
		     "movups 64(%0), %%xmm4\n\tmovups 80(%0), %%xmm5\n\t"
		     "movups 96(%0), %%xmm6\n\tmovups 112(%0), %%xmm7"
		     : : "r"(&s->xmm[0][0]) : "memory");
	hostile_regs_tsc_aux_ours = trap_probe_wrmsr(MSR_TSC_AUX, s->tsc_aux) == TRAP_NO_FAULT;
}

static bool hostile_regs_same(const char *name, u32 got, u32 want, bool report)
{
	if (got == want)
		return true;
	if (report)
		console_printf("%s: %s reads 0x%x, want 0x%x\n", guest_name, name, got, want);
	return false;
}

/* Compares every register with want; prints each that differs when report is set. */
static bool hostile_regs_compare(const struct hostile_regs_state *got,
				 const struct hostile_regs_state *want, bool report)
{
	static const char *const dr_names[4] = { "DR0", "DR1", "DR2", "DR3" };
	bool same = true;

	for (u32 i = 0; i < 4; i++)
		same &= hostile_regs_same(dr_names[i], got->dr[i], want->dr[i], report);
	same &= hostile_regs_same("DR6", got->dr6, want->dr6, report);
	same &= hostile_regs_same("DR7", got->dr7, want->dr7, report);
	same &= hostile_regs_same("CR2", got->cr2, want->cr2, report);
	same &= hostile_regs_same("TSC_AUX (RDTSCP)", got->tsc_aux, want->tsc_aux, report);
	same &= hostile_regs_same("x87 control word", got->fcw, want->fcw, report);
	same &= hostile_regs_same("MXCSR", got->mxcsr, want->mxcsr, report);
	for (u32 r = 0; r < XMM_REGS; r++)
		for (u32 w = 0; w < 4; w++)
			same &= hostile_regs_same("an XMM register", got->xmm[r][w],
						  want->xmm[r][w], report);
	return same;
}

/* What this copy should read back: its markers, DR6 only in its writable bits, TSC_AUX its
 * marker if the write was allowed, else the value it read at start. */
static void hostile_regs_expected(struct hostile_regs_state *want,
				  const struct hostile_regs_state *read, u32 start_tsc_aux)
{
	want->dr6 = (read->dr6 & ~DR6_WRITABLE) | (want->dr6 & DR6_WRITABLE);
	if (!hostile_regs_tsc_aux_ours)
		want->tsc_aux = start_tsc_aux;
	if (!hostile_regs_has_rdtscp)
		want->tsc_aux = 0;
}

static void hostile_regs_spin(void)
{
	u64 start = cpu_rdtsc_fenced();

	while (cpu_rdtsc_fenced() - start < SPIN_TICKS)
		;
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	struct hostile_regs_shared *shared = (struct hostile_regs_shared *)SHARED_GPA;
	u32 self = (entry_ebx >> MIB_SHIFT) & 1, other = self ^ 1;
	struct hostile_regs_state want, got;
	u32 start_tsc_aux = 0, last_other, seen = 0, rounds = 0;

	hostile_regs_has_rdtscp = cpu_cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT_EDX_RDTSCP;
	if (hostile_regs_has_rdtscp)
		start_tsc_aux = rdtscp_aux();
	console_printf("hostile_regs: copy %u, RDTSCP %s, TSC_AUX 0x%x at start\n", self,
		       hostile_regs_has_rdtscp ? "yes" : "no", start_tsc_aux);
	hostile_regs_markers(self, &want);
	hostile_regs_write(&want);
	hostile_regs_read(&got);
	hostile_regs_expected(&want, &got, start_tsc_aux);
	if (!hostile_regs_compare(&got, &want, true))
		check_fail(HOSTILE_REGS_CHECK_WRITTEN, "registers read back what was written",
			   "see the lines above");
	check_ok("registers read back what was written");

	/* Interrupts on: Moat's timer preempts this copy whatever the machine (Bochs' SVM
	 * delivers no host interrupt to a guest that keeps them off). */
	asm volatile("sti" ::: "memory");
	last_other = shared->rounds[other];
	while (!shared->done[self] || !shared->done[other]) {
		hostile_regs_read(&got);
		if (!hostile_regs_compare(&got, &want, false)) {
			asm volatile("cli" ::: "memory");
			hostile_regs_compare(&got, &want, true);
			check_fail(HOSTILE_REGS_CHECK_KEPT, "registers keep their values",
				   "after %u slices of the other copy", seen);
		}
		hostile_regs_spin();
		shared->rounds[self] = ++rounds;
		if (shared->rounds[other] != last_other) {
			last_other = shared->rounds[other];
			if (++seen >= SLICES_WANTED)
				shared->done[self] = 1;
		}
		if (rounds >= MAX_ROUNDS) {
			asm volatile("cli" ::: "memory");
			check_fail(HOSTILE_REGS_CHECK_OTHER_RAN, "the other copy keeps running",
				   "it ran %u times in %u rounds", seen, rounds);
		}
	}
	asm volatile("cli" ::: "memory");
	console_printf("hostile_regs: ok: registers kept over %u slices of the other copy\n", seen);
	check_eq(HOSTILE_REGS_CHECK_TSC_AUX_START, "TSC_AUX starts as the vCPU number (0)",
		 start_tsc_aux, 0);
	check_true(HOSTILE_REGS_CHECK_TSC_AUX_WRITE, "wrmsr TSC_AUX is the guest's own",
		   hostile_regs_tsc_aux_ours);
	test_exit(GUEST_EXIT_PASS);
}
