// SPDX-License-Identifier: MIT
/* exceptions: the exceptions Moat intercepts to stop delivery loops (#DB, #AC; #MC is the
 * host's) reach the guest's own handlers as the CPU would deliver them
 * (docs/guest-interface.md, "Exceptions"): a single-step trap once, after the stepped
 * instruction, with DR6.BS; a data breakpoint once, after the write, with DR6.B0; and #AC
 * with error code 0 for a misaligned load at CPL 3 with CR0.AM and EFLAGS.AC set. */
#include "guest.h"

#define CR0_AM BIT(18)
#define EFLAGS_TF BIT(8)
#define EFLAGS_AC BIT(18)
/* DR6 and DR7 (Intel SDM Vol. 3B 18.2.3, 18.2.4). */
#define DR6_B0 BIT(0)
#define DR6_BS BIT(14)
#define DR6_CLEAR 0xffff0ff0u
#define DR7_L0 BIT(0)
#define DR7_LE BIT(8)
#define DR7_RW0_WRITE (1u << 16)
#define DR7_LEN0_4 (3u << 18)
#define DR7_RESET 0x400u
#define INSN_LEN_MOV_DISP8 3 /* 8B 43 01: mov 1(%ebx), %eax */

enum exceptions_check {
	EXCEPTIONS_CHECK_DB_SINGLE_STEP = 1,
	EXCEPTIONS_CHECK_DB_BREAKPOINT,
	EXCEPTIONS_CHECK_AC,
};

const char guest_name[] = "exceptions";

/* ---- #DB ---- */
static volatile u32 db_count, db_dr6, db_eip;
static volatile u32 db_watched;
extern const char exceptions_single_step_after[], exceptions_breakpoint_after[];

static void exceptions_debug_handler(struct trap_frame *frame)
{
	u32 dr6;

	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	db_count++;
	db_dr6 = dr6;
	db_eip = frame->eip;
	frame->eflags &= ~EFLAGS_TF;
	asm volatile("mov %0, %%dr6" : : "r"(DR6_CLEAR));
}

static void exceptions_debug(void)
{
	trap_set_exception_handler(VECTOR_DB, exceptions_debug_handler);
	asm volatile("mov %0, %%dr6" : : "r"(DR6_CLEAR));
	/* POPF sets TF: the trap comes after the instruction that follows it (SDM 18.3.1.4). */
	asm volatile("pushfl; orl %0, (%%esp); popfl; nop\n"
		     ".globl exceptions_single_step_after\n"
		     "exceptions_single_step_after: nop; nop" : : "i"((u32)EFLAGS_TF) : "memory", "cc");
	check_eq_dec(EXCEPTIONS_CHECK_DB_SINGLE_STEP, "single-step raises one #DB", db_count, 1);
	check_true(EXCEPTIONS_CHECK_DB_SINGLE_STEP, "its DR6 has BS", db_dr6 & DR6_BS);
	check_eq(EXCEPTIONS_CHECK_DB_SINGLE_STEP, "it arrives after the stepped instruction",
		 db_eip, (u32)exceptions_single_step_after);

	db_count = 0;
	asm volatile("mov %0, %%dr0" : : "r"(&db_watched));
	asm volatile("mov %0, %%dr7"
		     : : "r"((u32)(DR7_RESET | DR7_L0 | DR7_LE | DR7_RW0_WRITE | DR7_LEN0_4)));
	asm volatile("movl $1, %0\n"
		     ".globl exceptions_breakpoint_after\n"
		     "exceptions_breakpoint_after: nop" : "=m"(db_watched) : : "memory");
	asm volatile("mov %0, %%dr7" : : "r"(DR7_RESET));
	db_watched = 2;
	check_eq_dec(EXCEPTIONS_CHECK_DB_BREAKPOINT, "a data breakpoint raises one #DB", db_count, 1);
	check_true(EXCEPTIONS_CHECK_DB_BREAKPOINT, "its DR6 has B0 and not BS",
		   (db_dr6 & DR6_B0) && !(db_dr6 & DR6_BS));
	check_eq(EXCEPTIONS_CHECK_DB_BREAKPOINT, "it arrives after the write", db_eip,
		 (u32)exceptions_breakpoint_after);
	trap_set_exception_handler(VECTOR_DB, NULL);
}

/* ---- #AC at CPL 3 ---- */
static volatile u32 user_ac_vector, user_ac_error;
static u32 user_misaligned[2];

static void user_alignment_check(void)
{
	u32 value;

	asm volatile("pushfl; orl %0, (%%esp); popfl" : : "i"((u32)EFLAGS_AC) : "memory", "cc");
	trap_probe_arm(INSN_LEN_MOV_DISP8);
	asm volatile(".byte 0x8b, 0x43, 0x01" : "=a"(value) : "b"(user_misaligned) : "memory");
	user_ac_vector = (u32)trap_probe_disarm();
	user_ac_error = trap_probe_error_code();
	asm volatile("pushfl; andl %0, (%%esp); popfl" : : "i"((u32)~EFLAGS_AC) : "memory", "cc");
	user_return();
}

static void exceptions_alignment(void)
{
	cpu_write_cr0(cpu_read_cr0() | CR0_AM);
	user_run(user_alignment_check);
	cpu_write_cr0(cpu_read_cr0() & ~CR0_AM);
	/* QEMU's TCG does not check alignment at all: the load simply completes there. */
	if (user_ac_vector == (u32)TRAP_NO_FAULT) {
		console_puts("exceptions: note: this CPU does not check alignment (no #AC)\n");
		return;
	}
	check_eq(EXCEPTIONS_CHECK_AC, "misaligned load at CPL 3 with CR0.AM and EFLAGS.AC raises #AC",
		 user_ac_vector, VECTOR_AC);
	check_eq(EXCEPTIONS_CHECK_AC, "#AC has error code 0", user_ac_error, 0);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	exceptions_debug();
	exceptions_alignment();
	console_puts("exceptions: all checks passed\n");
}
