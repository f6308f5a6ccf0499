/* SPDX-License-Identifier: MIT */
/* A vCPU's registers that neither the VMCS nor the VMCB switches and that Moat never uses
 * itself (guest_context.c): they stay in the CPU while Moat handles the vCPU's exits and are
 * switched only when another vCPU is loaded on that CPU or this one leaves it. */
#ifndef MOAT_GUEST_CONTEXT_H
#define MOAT_GUEST_CONTEXT_H

#include <moat/frame.h>
#include <moat/types.h>

struct guest_context {
	u64 dr[4];    /* DR0-DR3: neither vendor switches them */
	u64 dr6, cr2; /* with GUEST_CONTEXT_DR6 / _CR2 (the VMCB holds both, the VMCS neither) */
	u64 xcr0;     /* the guest's XCR0, in the CPU while it runs */
	u64 tsc_aux;  /* IA32_TSC_AUX, what RDTSCP returns in ECX */
	void *fpu;    /* XSAVE area (FXSAVE image without XSAVE), page aligned */
	u32 flags;
};

/* What else the vendor's control block leaves to the CPU. */
#define GUEST_CONTEXT_DR6 BIT(0)
#define GUEST_CONTEXT_CR2 BIT(1)

/* Reads the host's XSAVE features and whether it has TSC_AUX; once, before any vCPU exists. */
void guest_context_probe(void);
/* On each CPU before it runs a guest: CR4.OSXSAVE where XSAVE exists, Moat's DR7 (0x400). */
void guest_context_cpu_init(void);
/* Takes the save area; the state is a vCPU's at reset, TSC_AUX its vCPU number. */
int guest_context_create(struct guest_context *ctx, u32 vcpu_id, u32 flags,
			 struct frame_allocator *frames);
void guest_context_destroy(struct guest_context *ctx, struct frame_allocator *frames);
/* INIT: debug registers, CR2 and XCR0 as after reset; x87/SSE state and TSC_AUX are kept
 * (SDM Vol. 3 table 10-1). The context must not be in the CPU. */
void guest_context_reset(struct guest_context *ctx);
/* The guest's XSETBV, checked by vmm/xsave.c: ctx, which is in the CPU, gets XCR0 = xcr0. */
void guest_context_set_xcr0(struct guest_context *ctx, u64 xcr0);
/* Moves the CPU's registers into ctx, whose vCPU ran on this CPU last. */
void guest_context_save(struct guest_context *ctx);
/* Puts ctx's registers into the CPU, for its vCPU to run. */
void guest_context_load(const struct guest_context *ctx);

#endif
