/* SPDX-License-Identifier: MIT */
/* Internal interface of the SVM vendor code (arch/x86/svm). */
#ifndef MOAT_SVM_H
#define MOAT_SVM_H

#include <moat/vcpu.h>

#include "svm_asid.h"
#include "../guest_context.h"
#include "vmcb.h"

struct svm_vcpu {
	struct vmcb *vmcb;
	u8 *iopm;
	u8 *msrpm;
	bool nrips;        /* the CPU stores the next RIP on intercepts (APM 15.7.1) */
	u64 io_next_rip;   /* EXITINFO2 of the last IOIO exit */
	struct svm_asid_vcpu asid; /* its ASID on the CPU it last ran on (svm_asid.c) */
	/* The TPR last written through x2APIC MSR 0x808: V_TPR holds only its class (CR8), so
	 * its sub-class (bits 3:0) is kept here while the class is unchanged. */
	u8 tpr_written;
	/* DR0-DR3, XCR0 and the XSAVE area, TSC_AUX: not in the VMCB (DR6, DR7 and CR2 are;
	 * VMLOAD/VMSAVE switch the syscall MSRs); CR2 too, for Bochs (svm_vcpu_create). */
	struct guest_context context;
};

static inline struct svm_vcpu *svm_of(struct vcpu *vcpu)
{
	return vcpu->vendor;
}

void svm_enter_guest(u64 vmcb_pa, struct vcpu_regs *regs, u64 host_state_pa);
void svm_translate_exit(struct vcpu *vcpu, struct vm_exit *exit);
void svm_advance_rip(struct vcpu *vcpu, const struct vm_exit *exit);
/* An intercepted MOV to CR4: completed or #GP; false when it cannot be decoded. */
bool svm_emulate_cr4_write(struct vcpu *vcpu);
/* Asks for (or cancels) a VINTR exit once the guest can take an interrupt. */
void svm_set_interrupt_window(struct vmcb_control *c, bool on);

extern const struct vendor_ops svm_ops;
/* True when this CPU has SVM with nested paging; records its features for svm_ops. */
bool svm_probe(void);

#endif
