// SPDX-License-Identifier: MIT
/* bench: times 1000 round trips through Moat for CPUID, an emulated port read and a
 * hypercall, and the same loop around a NOP as the baseline, in TSC ticks. */
#include "guest.h"

#define BENCH_ROUNDS 1000
#define BENCH_WARMUP_ROUNDS 100
#define CPUID_LEAF_VENDOR 0

const char guest_name[] = "bench";

typedef void (*bench_loop_fn)(u32 rounds);

static void bench_loop_cpuid(u32 rounds)
{
	for (u32 i = 0; i < rounds; i++)
		cpu_cpuid(CPUID_LEAF_VENDOR, 0);
}

/* The UART scratch register: a port whose device Moat emulates, so a full I/O exit. */
static void bench_loop_pio(u32 rounds)
{
	for (u32 i = 0; i < rounds; i++)
		port_inb(UART_PORT_SCRATCH);
}

static void bench_loop_vmmcall(u32 rounds)
{
	for (u32 i = 0; i < rounds; i++) {
		u32 result = HYPERCALL_VERSION;

		asm volatile(".byte 0x0f, 0x01, 0xd9" : "+a"(result) : : "memory"); /* VMMCALL */
	}
}

static void bench_loop_vmcall(u32 rounds)
{
	for (u32 i = 0; i < rounds; i++) {
		u32 result = HYPERCALL_VERSION;

		asm volatile(".byte 0x0f, 0x01, 0xc1" : "+a"(result) : : "memory"); /* VMCALL */
	}
}

static void bench_loop_nop(u32 rounds)
{
	for (u32 i = 0; i < rounds; i++)
		asm volatile("nop" : : : "memory");
}

/* Warms up, serialises with CPUID outside the timed region, then times the loop. */
static u64 bench_measure(bench_loop_fn loop)
{
	u64 start, end;

	loop(BENCH_WARMUP_ROUNDS);
	cpu_cpuid(CPUID_LEAF_VENDOR, 0);
	start = cpu_rdtsc_fenced();
	loop(BENCH_ROUNDS);
	end = cpu_rdtsc_fenced();
	return end - start;
}

static void bench_run(const char *name, bench_loop_fn loop)
{
	console_printf("bench: %s rounds=%u tsc_delta=%llu\n", name, BENCH_ROUNDS,
		       bench_measure(loop));
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	/* The hypercall instruction is chosen once, outside the timed loop. */
	bench_loop_fn hypercall_loop =
		hypercall_vendor_is_amd() ? bench_loop_vmmcall : bench_loop_vmcall;

	bench_run("cpuid", bench_loop_cpuid);
	bench_run("pio", bench_loop_pio);
	bench_run("hypercall", hypercall_loop);
	bench_run("baseline", bench_loop_nop);
	test_exit(GUEST_EXIT_PASS);
}
