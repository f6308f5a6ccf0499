// SPDX-License-Identifier: MIT
/* hostile_cpu: CPU state a guest must not reach or must see virtualized (docs/guest-interface.md,
 * "Exceptions", "TSC", "CR4", "Instructions a guest may not run", "Hypercalls"). Its TSC
 * starts near 0 and RDMSR IA32_TSC agrees with RDTSC; RDPMC raises #GP; WBINVD completes;
 * CR4 bits CPUID hides (LA57, PKE) and reserved bits raise #GP, with paging off and on;
 * EFER.LME with paging on raises #GP; a hypercall from ring 3 gets -EPERM and prints
 * nothing. (The exceptions Moat intercepts are checked by exceptions.c.) */
#include "guest.h"

#define MSR_IA32_TSC 0x10
#define MSR_EFER 0xc0000080u
#define EFER_LME BIT(8)
/* CR0 and CR4 bits (Intel SDM Vol. 3A 2.5). */
#define CR0_PG BIT(31)
#define CR4_PSE BIT(4)
#define CR4_OSFXSR BIT(9)
#define CR4_RESERVED_15 BIT(15)
#define CR4_LA57 BIT(12)
#define CR4_PKE BIT(22)
/* A 4 MiB page-directory entry: present, writable, PS (Intel SDM Vol. 3A 4.3, table 4-4). */
#define PDE_4M_IDENTITY 0x83u
/* Instruction lengths as the assembly below encodes them. */
#define INSN_LEN_MOV_CR4 3 /* 0F 22 /r */
#define INSN_LEN_RDPMC 2   /* 0F 33 */
#define INSN_LEN_WBINVD 2  /* 0F 09 */
/* The guest's TSC when its checks begin: at most 2^28 ticks after it (re)started, however long
 * the host ran before (OVMF alone takes several seconds, billions of ticks). */
#define TSC_START_LIMIT (1ull << 28)
#define CPL3 3

enum hostile_cpu_check {
	HOSTILE_CPU_CHECK_TSC_START = 1,
	HOSTILE_CPU_CHECK_TSC_MSR,
	HOSTILE_CPU_CHECK_RDPMC,
	HOSTILE_CPU_CHECK_WBINVD,
	HOSTILE_CPU_CHECK_CR4_ALLOWED,
	HOSTILE_CPU_CHECK_CR4_DENIED,
	HOSTILE_CPU_CHECK_CR4_UNCHANGED,
	HOSTILE_CPU_CHECK_EFER_LME,
	HOSTILE_CPU_CHECK_HYPERCALL_CPL3,
};

const char guest_name[] = "hostile_cpu";

static u32 hostile_page_directory[1024] __aligned(4096);
static const char hostile_leak[] = "ring 3 printed this";

static inline u32 read_cr4(void)
{
	u32 v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* MOV to CR4 from EAX or ECX (0F 22 E0 / 0F 22 E1), with #GP recorded. */
static int probe_write_cr4(u32 value, bool through_ecx)
{
	trap_probe_arm(INSN_LEN_MOV_CR4);
	if (through_ecx)
		asm volatile(".byte 0x0f, 0x22, 0xe1" : : "c"(value) : "memory");
	else
		asm volatile(".byte 0x0f, 0x22, 0xe0" : : "a"(value) : "memory");
	return trap_probe_disarm();
}

static void hostile_cpu_tsc(void)
{
	u64 start = cpu_rdtsc_fenced(), before, msr = 0, after;

	console_printf("hostile_cpu: tsc at start 0x%llx\n", start);
	check_true(HOSTILE_CPU_CHECK_TSC_START, "the TSC starts near 0 (below 2^28)",
		   start < TSC_START_LIMIT);
	before = cpu_rdtsc_fenced();
	check_no_fault(HOSTILE_CPU_CHECK_TSC_MSR, "rdmsr IA32_TSC does not fault",
		       trap_probe_rdmsr(MSR_IA32_TSC, &msr));
	after = cpu_rdtsc_fenced();
	check_true(HOSTILE_CPU_CHECK_TSC_MSR, "rdmsr IA32_TSC lies between two RDTSCs",
		   before <= msr && msr <= after);
}

static void hostile_cpu_rdpmc_wbinvd(void)
{
	int vector;

	trap_probe_arm(INSN_LEN_RDPMC);
	asm volatile(".byte 0x0f, 0x33" : : "c"(0) : "eax", "edx", "memory");
	vector = trap_probe_disarm();
	check_eq(HOSTILE_CPU_CHECK_RDPMC, "rdpmc raises #GP (vector 13)", (u32)vector, VECTOR_GP);
	trap_probe_arm(INSN_LEN_WBINVD);
	asm volatile(".byte 0x0f, 0x09" : : : "memory");
	check_no_fault(HOSTILE_CPU_CHECK_WBINVD, "wbinvd completes", trap_probe_disarm());
}

/* Bits CPUID hides, and a reserved one, raise #GP and leave CR4 as it was. */
static void hostile_cpu_cr4(const char *when)
{
	static const struct {
		u32 bit;
		const char *what;
	} denied[] = {
		{ CR4_LA57, "CR4.LA57 raises #GP (vector 13)" },
		{ CR4_PKE, "CR4.PKE raises #GP (vector 13)" },
		{ CR4_RESERVED_15, "CR4 bit 15 (reserved) raises #GP (vector 13)" },
	};
	u32 cr4 = read_cr4();

	console_printf("hostile_cpu: cr4 checks %s\n", when);
	check_no_fault(HOSTILE_CPU_CHECK_CR4_ALLOWED, "CR4.OSFXSR may be set",
		       probe_write_cr4(cr4 | CR4_OSFXSR, false));
	check_eq(HOSTILE_CPU_CHECK_CR4_ALLOWED, "CR4 reads back with OSFXSR", read_cr4(),
		 cr4 | CR4_OSFXSR);
	for (u32 i = 0; i < ARRAY_SIZE(denied); i++)
		check_eq(HOSTILE_CPU_CHECK_CR4_DENIED, denied[i].what,
			 (u32)probe_write_cr4(cr4 | denied[i].bit, i & 1), VECTOR_GP);
	check_eq(HOSTILE_CPU_CHECK_CR4_UNCHANGED, "CR4 is unchanged by the refused writes",
		 read_cr4(), cr4 | CR4_OSFXSR);
	check_no_fault(HOSTILE_CPU_CHECK_CR4_ALLOWED, "CR4 may be written back",
		       probe_write_cr4(cr4, true));
}

/* 32-bit paging with one identity 4 MiB page over the guest's RAM. */
static void hostile_cpu_paging(void)
{
	u64 efer = 0, after = 0;

	hostile_page_directory[0] = PDE_4M_IDENTITY;
	check_no_fault(HOSTILE_CPU_CHECK_CR4_ALLOWED, "CR4.PSE may be set",
		       probe_write_cr4(read_cr4() | CR4_PSE, false));
	asm volatile("mov %0, %%cr3" : : "r"(hostile_page_directory) : "memory");
	cpu_write_cr0(cpu_read_cr0() | CR0_PG);
	hostile_cpu_cr4("with paging on");
	check_no_fault(HOSTILE_CPU_CHECK_EFER_LME, "rdmsr EFER does not fault",
		       trap_probe_rdmsr(MSR_EFER, &efer));
	check_eq(HOSTILE_CPU_CHECK_EFER_LME, "wrmsr EFER.LME with paging on raises #GP (vector 13)",
		 (u32)trap_probe_wrmsr(MSR_EFER, efer | EFER_LME), VECTOR_GP);
	check_no_fault(HOSTILE_CPU_CHECK_EFER_LME, "rdmsr EFER again does not fault",
		       trap_probe_rdmsr(MSR_EFER, &after));
	check_eq(HOSTILE_CPU_CHECK_EFER_LME, "EFER is unchanged by the refused write", after, efer);
	cpu_write_cr0(cpu_read_cr0() & ~CR0_PG);
}

/* ---- ring 3 ---- */
static volatile u32 user_cpl, user_version, user_console;

static void user_hypercalls(void)
{
	u32 cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	user_cpl = cs & 3;
	user_version = hypercall(HYPERCALL_VERSION);
	user_console = hypercall_args(HYPERCALL_CONSOLE_WRITE, (u32)hostile_leak,
				      sizeof(hostile_leak) - 1);
	user_return();
}

static void hostile_cpu_ring3(void)
{
	user_run(user_hypercalls);
	check_eq(HOSTILE_CPU_CHECK_HYPERCALL_CPL3, "user code runs at CPL 3", user_cpl, CPL3);
	check_eq(HOSTILE_CPU_CHECK_HYPERCALL_CPL3, "hypercall 0 from ring 3 returns -EPERM",
		 user_version, HYPERCALL_EPERM);
	check_eq(HOSTILE_CPU_CHECK_HYPERCALL_CPL3, "console-write from ring 3 returns -EPERM",
		 user_console, HYPERCALL_EPERM);
	check_eq(HOSTILE_CPU_CHECK_HYPERCALL_CPL3, "hypercall 0 from ring 0 still works",
		 hypercall(HYPERCALL_VERSION), 1);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	hostile_cpu_tsc();
	hostile_cpu_rdpmc_wbinvd();
	hostile_cpu_cr4("with paging off");
	hostile_cpu_paging();
	hostile_cpu_ring3();
	console_puts("hostile_cpu: all checks passed\n");
}
