/* SPDX-License-Identifier: MIT */
/* x86 instructions as inline functions: shared by arch/ and by generic code that needs the
 * host CPU (CPUID, TSC). Nothing vendor-specific lives here. */
#ifndef MOAT_X86_H
#define MOAT_X86_H

#include <moat/types.h>

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs x86_cpuid(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline u64 x86_rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline u64 x86_rdmsr(u32 index)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((u64)hi << 32) | lo;
}

static inline void x86_wrmsr(u32 index, u64 value)
{
	__asm__ volatile("wrmsr" ::"c"(index), "a"((u32)value), "d"((u32)(value >> 32))
			 : "memory");
}

static inline u8 x86_inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void x86_outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline void x86_outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline void x86_outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

#define X86_READ_CR(n)                                                  \
	static inline u64 x86_read_cr##n(void)                          \
	{                                                               \
		u64 v;                                                  \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));       \
		return v;                                               \
	}                                                               \
	static inline void x86_write_cr##n(u64 v)                       \
	{                                                               \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); \
	}
X86_READ_CR(0)
X86_READ_CR(2)
X86_READ_CR(3)
X86_READ_CR(4)
#undef X86_READ_CR

static inline void x86_fxsave(void *area)
{
	__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

static inline void x86_fxrstor(const void *area)
{
	__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

/* XSAVE/XRSTOR of the components in mask (SDM Vol. 1 13.7, 13.8); area 64-byte aligned. */
static inline void x86_xsave(void *area, u64 mask)
{
	__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((u32)mask), "d"((u32)(mask >> 32))
			 : "memory");
}

static inline void x86_xrstor(const void *area, u64 mask)
{
	__asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"((u32)mask), "d"((u32)(mask >> 32))
			 : "memory");
}

/* XCR0, the one extended control register (SDM Vol. 1 13.3); needs CR4.OSXSAVE. */
static inline u64 x86_xgetbv0(void)
{
	u32 lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
}

static inline void x86_xsetbv0(u64 value)
{
	__asm__ volatile("xsetbv" ::"c"(0), "a"((u32)value), "d"((u32)(value >> 32)) : "memory");
}

/* Debug registers DR0-DR3, DR6 and DR7 (SDM Vol. 3 17.2). */
#define X86_DEBUG_REG(n)                                                \
	static inline u64 x86_read_dr##n(void)                          \
	{                                                               \
		u64 v;                                                  \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(v));       \
		return v;                                               \
	}                                                               \
	static inline void x86_write_dr##n(u64 v)                       \
	{                                                               \
		__asm__ volatile("mov %0, %%db" #n ::"r"(v) : "memory"); \
	}
X86_DEBUG_REG(0)
X86_DEBUG_REG(1)
X86_DEBUG_REG(2)
X86_DEBUG_REG(3)
X86_DEBUG_REG(6)
X86_DEBUG_REG(7)
#undef X86_DEBUG_REG

static inline void x86_cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void x86_pause(void)
{
	__asm__ volatile("pause");
}

static inline __noreturn void x86_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Architectural MSRs (Intel SDM Vol. 4, AMD APM Vol. 2 appendix A). */
#define MSR_IA32_TSC 0x10
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* EFER bits (AMD APM Vol. 2 3.1.7). */
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define EFER_SVME BIT(12)

/* CR0 and CR4 bits (SDM Vol. 3 2.5). */
#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_PG BIT(31)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_OSFXSR BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_VMXE BIT(13)
#define CR4_OSXSAVE BIT(18)

#define RFLAGS_RESERVED_ONE BIT(1)
#define RFLAGS_IF BIT(9)
#define RFLAGS_RF BIT(16) /* resume flag (SDM Vol. 3 2.3, 18.3.1.1) */
#define RFLAGS_VM BIT(17) /* virtual-8086 mode */

/* DR6 and DR7 after reset: no breakpoint condition, none enabled (SDM Vol. 3 17.2.3-4). */
#define DR6_RESET_VALUE 0xffff0ff0ULL
#define DR7_RESET_VALUE 0x400ULL

/* The PAT value after reset (SDM Vol. 3 11.12.4). */
#define PAT_RESET_VALUE 0x0007040600070406ULL

#endif
