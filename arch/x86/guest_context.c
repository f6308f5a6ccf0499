// SPDX-License-Identifier: MIT
/* Switching a vCPU's registers that no VMCS or VMCB holds: the x87/SSE/AVX state with XCR0
 * (XSAVE of every component the host supports, xstate.c), DR0-DR3, TSC_AUX and, where
 * the vendor asks, DR6 and CR2. Moat is built with -mgeneral-regs-only, never sets a breakpoint
 * (its DR7 is 0x400), never takes a page fault and never reads TSC_AUX, so a vCPU's values can stay
 * in the CPU across its exits: the vendor code saves and loads them only when another vCPU is
 * loaded on the CPU, which keeps the exit round trip free of this work. */
#include <moat/arch.h>
#include <moat/errno.h>
#include <moat/log.h>
#include <moat/string.h>
#include <moat/x86.h>

#include "guest_context.h"
#include <moat/xstate.h>

#define CPUID_FEATURES		  1
#define CPUID_XSAVE_LEAF	  0xd
#define CPUID_STRUCTURED_FEATURES 7
#define CPUID7_ECX_RDPID	  BIT(22)
#define CPUID_EXT_MAX_LEAF	  0x80000000u
#define CPUID_EXT_FEATURES	  0x80000001u
#define CPUID_EXT1_EDX_RDTSCP	  BIT(27)
#define CPUID_EXT_ADDRESS_SIZES	  0x80000008u

static struct xstate_layout guest_xstate;
static bool guest_has_tsc_aux; /* RDTSCP or RDPID, hence IA32_TSC_AUX (SDM Vol. 4 2.1) */

/* "AuthenticAMD" or "HygonGenuine" in EBX, EDX, ECX of leaf 0: their first four letters. */
static bool guest_cpu_is_amd(const struct cpuid_regs *leaf0)
{
	static const char amd[4] = { 'A', 'u', 't', 'h' }, hygon[4] = { 'H', 'y', 'g', 'o' };

	return memcmp(&leaf0->ebx, amd, 4) == 0 || memcmp(&leaf0->ebx, hygon, 4) == 0;
}

void guest_context_probe(void)
{
	struct cpuid_regs leaf0 = x86_cpuid(0, 0), leaf1 = x86_cpuid(CPUID_FEATURES, 0);
	struct cpuid_regs leafd = { 0 }, ext8 = { 0 };
	struct xstate_cpuid cpuid;

	if (leaf0.eax >= CPUID_XSAVE_LEAF)
		leafd = x86_cpuid(CPUID_XSAVE_LEAF, 0);
	if (x86_cpuid(CPUID_EXT_MAX_LEAF, 0).eax >= CPUID_EXT_ADDRESS_SIZES)
		ext8 = x86_cpuid(CPUID_EXT_ADDRESS_SIZES, 0);
	cpuid = (struct xstate_cpuid){ .max_basic_leaf = leaf0.eax,
				       .leaf1_ecx = leaf1.ecx,
				       .leafd_eax = leafd.eax,
				       .leafd_edx = leafd.edx,
				       .leafd_ecx = leafd.ecx,
				       .amd = guest_cpu_is_amd(&leaf0),
				       .ext8_ebx = ext8.ebx };
	xstate_choose(&cpuid, &guest_xstate);
	guest_has_tsc_aux = (x86_cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT1_EDX_RDTSCP) ||
			    (leaf0.eax >= CPUID_STRUCTURED_FEATURES &&
			     (x86_cpuid(CPUID_STRUCTURED_FEATURES, 0).ecx & CPUID7_ECX_RDPID));
	if (guest_xstate.xsave)
		log_info("guest state: XSAVE components 0x%lx (%u bytes per vCPU)%s",
			 guest_xstate.mask, guest_xstate.size,
			 guest_has_tsc_aux ? ", TSC_AUX" : "");
	else
		log_info("guest state: FXSAVE (no XSAVE)%s", guest_has_tsc_aux ? ", TSC_AUX" : "");
}

void guest_context_cpu_init(void)
{
	u64 cr4 = x86_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;

	if (guest_xstate.xsave)
		cr4 |= CR4_OSXSAVE;
	x86_write_cr4(cr4);
	/* No breakpoint of Moat's own: a guest's DR0-DR3 may stay in the CPU after its exit. */
	x86_write_dr7(DR7_RESET_VALUE);
}

static void guest_context_init_fpu(void *area)
{
	u16 fcw = XSTATE_FCW_INIT;
	u32 mxcsr = XSTATE_MXCSR_INIT;

	/* XSTATE_BV = 0 (the header is zero): XRSTOR puts every component in its initial state
	 * but MXCSR, which it takes from the legacy region (SDM Vol. 1 13.8.1). FXRSTOR takes
	 * both values and an empty x87 stack from the same bytes. */
	memset(area, 0, guest_xstate.size);
	memcpy((u8 *)area + XSTATE_FCW_OFFSET, &fcw, sizeof(fcw));
	memcpy((u8 *)area + XSTATE_MXCSR_OFFSET, &mxcsr, sizeof(mxcsr));
}

int guest_context_create(struct guest_context *ctx, u32 vcpu_id, u32 flags,
			 struct frame_allocator *frames)
{
	u64 pages = ALIGN_UP(guest_xstate.size, PAGE_SIZE) / PAGE_SIZE;
	hpa_t area = frame_alloc(frames, pages, PAGE_SIZE);

	if (!area)
		return -MOAT_ENOMEM;
	*ctx = (struct guest_context){ .fpu = hpa_to_ptr(area),
				       .tsc_aux = vcpu_id,
				       .flags = flags };
	guest_context_init_fpu(ctx->fpu);
	guest_context_reset(ctx);
	return 0;
}

void guest_context_destroy(struct guest_context *ctx, struct frame_allocator *frames)
{
	if (!ctx->fpu)
		return;
	frame_free(frames, ptr_to_hpa(ctx->fpu),
		   ALIGN_UP(guest_xstate.size, PAGE_SIZE) / PAGE_SIZE);
	ctx->fpu = NULL;
}

void guest_context_reset(struct guest_context *ctx)
{
	memset(ctx->dr, 0, sizeof(ctx->dr));
	ctx->dr6 = DR6_RESET_VALUE;
	ctx->cr2 = 0;
	ctx->xcr0 = XSTATE_XCR0_RESET;
}

void guest_context_set_xcr0(struct guest_context *ctx, u64 xcr0)
{
	/* Only components the save and restore cover: anything else would outlive the vCPU. */
	if (!guest_xstate.xsave || (xcr0 & ~guest_xstate.mask) || !(xcr0 & XSTATE_X87))
		return;
	ctx->xcr0 = xcr0;
	x86_xsetbv0(xcr0);
}

u64 arch_guest_xstate_mask(void)
{
	return guest_xstate.xsave ? guest_xstate.mask : 0;
}

void guest_context_save(struct guest_context *ctx)
{
	if (guest_xstate.xsave) {
		/* XSAVE saves only what XCR0 enables: every component, with the guest's XCR0
		 * back in ctx->xcr0. XSETBV exits on both vendors (vmm/xsave.c), but the value is
		 * read back from the CPU: an emulator that lacks the SVM intercept (QEMU TCG)
		 * lets the guest's XSETBV through, and its XCR0 must survive the switch too. */
		ctx->xcr0 = x86_xgetbv0();
		if (ctx->xcr0 != guest_xstate.mask)
			x86_xsetbv0(guest_xstate.mask);
		x86_xsave(ctx->fpu, guest_xstate.mask);
	} else {
		x86_fxsave(ctx->fpu);
	}
	ctx->dr[0] = x86_read_dr0();
	ctx->dr[1] = x86_read_dr1();
	ctx->dr[2] = x86_read_dr2();
	ctx->dr[3] = x86_read_dr3();
	if (ctx->flags & GUEST_CONTEXT_DR6)
		ctx->dr6 = x86_read_dr6();
	if (ctx->flags & GUEST_CONTEXT_CR2)
		ctx->cr2 = x86_read_cr2();
	if (guest_has_tsc_aux)
		ctx->tsc_aux = x86_rdmsr(MSR_TSC_AUX);
}

void guest_context_load(const struct guest_context *ctx)
{
	if (guest_xstate.clear_x87_pointers)
		__asm__ volatile("fninit" ::: "memory");
	if (guest_xstate.xsave) {
		/* The CPU may hold another vCPU's narrower XCR0 (or the reset value). */
		if (x86_xgetbv0() != guest_xstate.mask)
			x86_xsetbv0(guest_xstate.mask);
		x86_xrstor(ctx->fpu, guest_xstate.mask);
		if (ctx->xcr0 != guest_xstate.mask)
			x86_xsetbv0(ctx->xcr0);
	} else {
		x86_fxrstor(ctx->fpu);
	}
	x86_write_dr0(ctx->dr[0]);
	x86_write_dr1(ctx->dr[1]);
	x86_write_dr2(ctx->dr[2]);
	x86_write_dr3(ctx->dr[3]);
	if (ctx->flags & GUEST_CONTEXT_DR6)
		x86_write_dr6(ctx->dr6);
	if (ctx->flags & GUEST_CONTEXT_CR2)
		x86_write_cr2(ctx->cr2);
	if (guest_has_tsc_aux)
		x86_wrmsr(MSR_TSC_AUX, ctx->tsc_aux);
}
