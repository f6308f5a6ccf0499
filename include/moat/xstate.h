/* SPDX-License-Identifier: MIT */
/* The x87/SSE/AVX state Moat switches per vCPU (arch/x86/xstate.c): which components, how large their
 * save area is, and which XCR0 values a guest may have. Pure computation over CPUID values,
 * unit-tested on the host (tests/unit/xstate_test.c). */
#ifndef MOAT_XSTATE_H
#define MOAT_XSTATE_H

#include <moat/types.h>

/* XCR0 state components (SDM Vol. 1 13.1, 13.3). */
#define XSTATE_X87    BIT(0)
#define XSTATE_SSE    BIT(1)
#define XSTATE_AVX    BIT(2)
#define XSTATE_MPX    (BIT(3) | BIT(4))		 /* BNDREGS, BNDCSR */
#define XSTATE_AVX512 (BIT(5) | BIT(6) | BIT(7)) /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XSTATE_AMX    (BIT(17) | BIT(18))	 /* TILECFG, TILEDATA */
/* XCR0 after reset and INIT: x87 only (SDM Vol. 1 13.3). */
#define XSTATE_XCR0_RESET XSTATE_X87

/* The legacy (FXSAVE) region: 512 bytes, then the 64-byte XSAVE header (SDM Vol. 1 13.4). */
#define XSTATE_LEGACY_BYTES 512
#define XSTATE_HEADER_BYTES 64
#define XSTATE_FCW_OFFSET   0
#define XSTATE_MXCSR_OFFSET 24
/* The x87 control word after FNINIT and MXCSR with every SSE exception masked (SDM Vol. 1
 * 8.1.5, 10.2.3): a vCPU's x87/SSE state before it first runs. */
#define XSTATE_FCW_INIT	  0x037f
#define XSTATE_MXCSR_INIT 0x1f80

/* The CPUID values the choice depends on. */
struct xstate_cpuid {
	u32 max_basic_leaf;	  /* CPUID.0:EAX */
	u32 leaf1_ecx;		  /* CPUID.1:ECX (XSAVE is bit 26) */
	u32 leafd_eax, leafd_edx; /* CPUID.(0DH,0):EDX:EAX, the XCR0 bits the CPU supports */
	u32 leafd_ecx;		  /* CPUID.(0DH,0):ECX, area size for all of them */
	bool amd;		  /* AuthenticAMD or HygonGenuine */
	u32 ext8_ebx;		  /* CPUID.80000008H:EBX (RstrFpErrPtrs is bit 2) */
};

struct xstate_layout {
	bool xsave; /* XSAVE/XRSTOR with mask; otherwise FXSAVE/FXRSTOR (x87 and SSE) */
	u64 mask;   /* the components switched: every XCR0 bit the CPU supports */
	u32 size;   /* bytes of each vCPU's save area */
	/* The CPU restores the x87 instruction/data pointers and opcode only when an x87
	 * exception is pending (AMD before RstrFpErrPtrs, APM Vol. 3 E.4.7): FNINIT clears
	 * them before a restore, or the next vCPU would read the last one's. */
	bool clear_x87_pointers;
};

void xstate_choose(const struct xstate_cpuid *cpuid, struct xstate_layout *out);
/* May a guest have XCR0 = value on a CPU supporting mask? The rules XSETBV enforces with #GP
 * (SDM Vol. 2 XSETBV, Vol. 1 13.3): x87 always, nothing the CPU lacks, AVX needs SSE, MPX
 * and AMX components in pairs, AVX-512 all three together and with AVX. */
bool xstate_xcr0_valid(u64 value, u64 mask);

#endif
