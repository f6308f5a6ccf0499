/* SPDX-License-Identifier: MIT */
/* Generic exit handling (vmm/exit.c and the handlers it dispatches to). Vendor code turns
 * each exit into a struct vm_exit; these functions decide what happens to the guest. */
#ifndef MOAT_EXIT_H
#define MOAT_EXIT_H

#include <moat/vcpu.h>
#include <moat/x86.h>

/* Handles one exit: emulates, denies, injects or stops the guest, and advances RIP where the
 * instruction completed. */
void exit_handle(struct vcpu *vcpu, const struct vm_exit *exit);

/* Exits by kind (vmm/exit_stats.c): counted per vCPU, printed in the summary as
 * "cpuid=N io=N ..." (kinds with no exits left out) so a boot's exits can be compared. */
void exit_stats_count(struct vcpu_clock *clock, enum vm_exit_kind kind);
const char *exit_kind_name(enum vm_exit_kind kind);
/* Writes the non-zero counts into buf (always terminated); returns the length written. */
size_t exit_stats_format(const u64 *counts, char *buf, size_t size);

#define CPUID_MOAT_SIGNATURE_LEAF 0x40000000u
#define CPUID_MOAT_VERSION_LEAF 0x40000001u
#define MOAT_INTERFACE_VERSION 1u
#define CPUID_MAX_BASIC_LEAF 0xdu
#define CPUID_MAX_EXTENDED_LEAF 0x80000008u

/* What the guest sees for (leaf, subleaf), given the host's answer for the same leaf. */
struct cpuid_regs cpuid_filter(u32 leaf, u32 subleaf, const struct cpuid_regs *host,
			       u32 vcpu_id);
void cpuid_handle(struct vcpu *vcpu);

/* MSR access from the guest; returns false when denied (the caller injects #GP). */
bool msr_read(struct vcpu *vcpu, u32 index, u64 *value);
bool msr_write(struct vcpu *vcpu, u32 index, u64 value);
/* MSRs whose state lives in the vendor's per-vCPU area, or that the vendor code switches
 * with the vCPU (TSC_AUX), and that a guest may use freely: no exit. */
extern const u32 msr_passthrough[];
extern const u32 msr_passthrough_count;

/* The virtual local APIC (vmm/vlapic.c): IA32_APIC_BASE and the x2APIC MSRs 0x800-0x8FF. */
bool vlapic_owns_msr(u32 index);
bool vlapic_msr_read(struct vcpu *vcpu, u32 index, u64 *value);
bool vlapic_msr_write(struct vcpu *vcpu, u32 index, u64 value);
void vlapic_reset(struct vlapic *apic);

#define HYPERCALL_VERSION 0u
#define HYPERCALL_RESTART_COUNT 1u
#define HYPERCALL_CONSOLE_WRITE 2u
#define HYPERCALL_ENOSYS ((u64)-38)
#define HYPERCALL_EPERM ((u64)-1) /* called from CPL > 0: only the guest's kernel may call */
void hypercall_handle(struct vcpu *vcpu);

void io_handle(struct vcpu *vcpu, const struct vm_exit_io *io);

/* CR4 policy (vmm/cr4.c). The CR4 bits the CPUID view of leaves 1 and 7 (as the guest sees
 * them) allows; whether a guest may load value with EFER efer; the allowed bits on this host.
 * cr4_guest_write decides a guest's MOV to CR4 and records a refusal (the caller injects #GP). */
u64 cr4_allowed_bits(const struct cpuid_regs *leaf1, const struct cpuid_regs *leaf7);
bool cr4_value_allowed(u64 value, u64 allowed, u64 efer);
u64 cr4_guest_allowed_bits(void);
bool cr4_guest_write(struct vcpu *vcpu, u64 value);

/* Guest exceptions (vmm/exception.c, docs/guest-interface.md "Exceptions"). */
enum exception_action {
	EXCEPTION_REFLECT,    /* delivered to the guest as the CPU would have */
	EXCEPTION_HOST,       /* the host's (#MC): logged, never delivered to the guest */
	EXCEPTION_UNEXPECTED, /* not intercepted: a vendor bug if it arrives */
};
/* The vectors both vendors intercept, one bit per vector (exception bitmap form). */
u32 exception_intercepts(void);
enum exception_action exception_action(u8 vector);
/* DR6 after a #DB whose conditions are cause (bits in the VMX exit-qualification form:
 * B0-B3 0-3, BD 13, BS 14, RTM 16) was taken with DR6 = dr6. */
u64 exception_debug_dr6(u64 dr6, u64 cause);
/* What an exception Moat injects carries, by the SDM/APM rules both vendors' injection
 * follows: an error code only for the vectors that have one, and only in protected mode;
 * RFLAGS with RF set for a fault (the frame the handler sees then lets the faulting
 * instruction restart without a repeated instruction breakpoint). */
bool exception_has_error_code(u8 vector, bool protected_mode);
u64 exception_inject_rflags(u8 vector, u64 rflags);

#endif
