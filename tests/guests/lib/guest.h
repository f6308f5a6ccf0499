/* SPDX-License-Identifier: MIT */
/* The test-guest runtime: CPU instruction wrappers, UART console, fault probes, checks and
 * the test-exit port, shared by every guest in tests/guests/ (32-bit, freestanding). */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <moat/types.h>

/* Exit codes written to the test-exit port (docs/guest-interface.md, "Devices"). */
#define GUEST_EXIT_PASS 0x600du
#define GUEST_EXIT_CHECK_BASE 0xbad000u     /* + the number of the failed check */
#define GUEST_EXIT_EXCEPTION_BASE 0xbadf00u /* + the vector of an unexpected exception */

#define FLAT_ENTRY_MAGIC 0x4d4f4154u /* "MOAT" in EAX at a flat image's entry */

/* Ports: 16550A UART at COM1 and QEMU's isa-debug-exit compatible test-exit port. */
#define UART_PORT_BASE 0x3f8
#define UART_PORT_DATA (UART_PORT_BASE + 0)    /* RBR (read) / THR (write) */
#define UART_PORT_LSR (UART_PORT_BASE + 5)     /* line status register */
#define UART_PORT_SCRATCH (UART_PORT_BASE + 7) /* SCR */
#define UART_LSR_DATA_READY 0x01               /* LSR bit 0: a byte waits in RBR */
#define UART_LSR_THR_EMPTY 0x20                /* LSR bit 5: THR can take a byte */
#define TEST_EXIT_PORT 0xf4

/* Exception vectors (Intel SDM Vol. 3A, 6.15; AMD APM Vol. 2, 8.2). */
#define VECTOR_DB 1
#define VECTOR_UD 6
#define VECTOR_GP 13
#define VECTOR_PF 14
#define VECTOR_AC 17
#define TRAP_NO_FAULT (-1)

/* Every guest defines its name; it prefixes check and exception lines. */
extern const char guest_name[];

/* The guest's own code, called by the runtime with the entry EAX and EBX. */
void guest_main(u32 entry_eax, u32 entry_ebx);

/* ---- instruction wrappers ---- */
struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpu_cpuid(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

static inline u64 cpu_rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void cpu_wrmsr(u32 msr, u64 value)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)value), "d"((u32)(value >> 32)) : "memory");
}

static inline u32 cpu_read_cr0(void)
{
	u32 value;

	asm volatile("mov %%cr0, %0" : "=r"(value));
	return value;
}

static inline void cpu_write_cr0(u32 value)
{
	asm volatile("mov %0, %%cr0" : : "r"(value) : "memory");
}

/* LFENCE keeps RDTSC from executing early or late (Intel SDM Vol. 2B, RDTSC). */
static inline u64 cpu_rdtsc_fenced(void)
{
	u32 lo, hi;

	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

static inline u8 port_inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 port_inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 port_inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void port_outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void port_outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* ---- console.c: UART output and input by polling, a tiny printf ---- */
void console_putc(char c);
void console_puts(const char *s);
/* %s %c %d %u %x, %llu %llx for u64, '0' and a width for numbers, %% */
void console_vprintf(const char *fmt, va_list ap);
void console_printf(const char *fmt, ...) __printf(1, 2);
bool console_poll_char(char *c);

/* ---- string.c: what the compiler may call even with -fno-builtin ---- */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
const char *string_find(const char *haystack, const char *needle);

/* ---- trap.c: IDT and fault probes ---- */
/* Laid out by trap_stubs.S: PUSHAD registers, then vector, error code and the CPU's frame
 * (plus ESP and SS after eflags when the exception came from ring 3). */
struct trap_frame {
	u32 edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
	u32 vector;
	u32 error_code;
	u32 eip;
	u32 cs;
	u32 eflags;
};
typedef void (*trap_exception_fn)(struct trap_frame *frame);

void trap_init(void);
/* Runs fn(frame) for exception vector (0-31) instead of failing; fn may change the frame
 * (e.g. clear EFLAGS.TF) before it is resumed. NULL removes it. */
void trap_set_exception_handler(u32 vector, trap_exception_fn fn);
/* Points the gate of vector at entry with DPL 3, so ring 3 may reach it with INT n. */
void trap_set_user_gate(u32 vector, void (*entry)(void));
/* The probes run one instruction with #UD/#GP/#PF recorded instead of fatal; each returns
 * the vector it raised or TRAP_NO_FAULT. */
int trap_probe_rdmsr(u32 msr, u64 *value);
int trap_probe_wrmsr(u32 msr, u64 value);
int trap_probe_inb(u16 port, u8 *value);
int trap_probe_inw(u16 port, u16 *value);
int trap_probe_inl(u16 port, u32 *value);
int trap_probe_outb(u16 port, u8 value);
/* For instructions the probes above do not cover: arm with the length of the one instruction
 * that follows (#UD/#GP/#PF there skip it), run it, then disarm to get the vector or
 * TRAP_NO_FAULT. Nothing but that instruction may run between the two calls. */
void trap_probe_arm(u32 length);
int trap_probe_disarm(void);
/* The error code of the last fault a probe recorded. */
u32 trap_probe_error_code(void);

/* ---- user.c: running a function in ring 3 ---- */
/* Loads a GDT with ring-3 code and data segments and a TSS (once), then runs fn at CPL 3 on
 * a stack of its own, with IOPL 0 and the flags of the caller (IF stays as it is). fn must end
 * with user_return(); exceptions it raises go to the ring-0 handlers as usual. Ring 3 may not
 * use the console (port I/O faults there): keep results in globals. */
void user_run(void (*fn)(void));
void __noreturn user_return(void);

/* ---- check.c: checks, results, the test-exit port ---- */
void __noreturn test_exit(u32 code);
void check_ok(const char *what);
void __noreturn check_fail(u32 number, const char *what, const char *fmt, ...) __printf(3, 4);
void check_true(u32 number, const char *what, bool condition);
void check_eq(u32 number, const char *what, u64 got, u64 want);    /* prints hex */
void check_eq_dec(u32 number, const char *what, u32 got, u32 want); /* prints decimal */
void check_str(u32 number, const char *what, const char *got, const char *want);
void check_no_fault(u32 number, const char *what, int vector);

/* ---- hypercall.c ---- */
#define HYPERCALL_VERSION 0
#define HYPERCALL_RESTART_COUNT 1 /* how many times this guest was restarted */
#define HYPERCALL_CONSOLE_WRITE 2 /* EBX = guest-physical address, ECX = length */
#define HYPERCALL_CONSOLE_WRITE_MAX 256
#define HYPERCALL_EFAULT 0xfffffff2u /* -14 */
#define HYPERCALL_EINVAL 0xffffffeau /* -22 */
#define HYPERCALL_ENOSYS 0xffffffdau /* -38 */
#define HYPERCALL_EPERM 0xffffffffu  /* -1: called from CPL > 0 */
u32 hypercall(u32 number);
/* A hypercall with arguments in EBX and ECX. */
u32 hypercall_args(u32 number, u32 arg_ebx, u32 arg_ecx);
/* MOAT_HC_RESTART_COUNT into *count; false (and *count untouched) when Moat answers with an
 * error code instead, e.g. -ENOSYS from a Moat without the call. */
bool hypercall_restart_count(u32 *count);
bool hypercall_vendor_is_amd(void);

#endif
