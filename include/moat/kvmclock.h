/* SPDX-License-Identifier: MIT */
/* The KVM-compatible paravirtual clock (vmm/kvmclock.c): the pvclock structures Linux reads
 * its time from, their scale arithmetic, and the host's wall clock at boot. The layouts and
 * MSRs are Linux's (Documentation/virt/kvm/x86/msr.rst, arch/x86/include/asm/pvclock-abi.h). */
#ifndef MOAT_KVMCLOCK_H
#define MOAT_KVMCLOCK_H

#include <moat/vcpu.h>

#define MSR_KVM_WALL_CLOCK_NEW	0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u
#define KVMCLOCK_ENABLE		BIT(0) /* bit 0 of MSR_KVM_SYSTEM_TIME_NEW */
/* pvclock_vcpu_time_info.flags: every vCPU's clock agrees with the others (msr.rst). */
#define PVCLOCK_TSC_STABLE_BIT BIT(0)
#define NS_PER_SECOND	       1000000000ull

/* Per vCPU, written by Moat, read by the guest: time = system_time + scale(tsc -
 * tsc_timestamp); version is odd while Moat updates it. */
struct pvclock_vcpu_time_info {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time; /* ns since the guest started */
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
	u8 pad[2];
} __attribute__((packed));
_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock_vcpu_time_info is 32 B");

/* Per guest: the wall-clock time at which its system time was 0. */
struct pvclock_wall_clock {
	u32 version;
	u32 sec;
	u32 nsec;
} __attribute__((packed));
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "pvclock_wall_clock is 12 B");

/* tsc_to_system_mul and tsc_shift for a TSC of tsc_hz (> 0): ns = ((ticks << shift, or >>
 * -shift) * mul) >> 32, with mul in [2^31, 2^32) for the best precision. */
void pvclock_scale_for(u64 tsc_hz, u32 *mul, s8 *shift);
/* What a guest computes from ticks with mul and shift (without overflow: a 96-bit product). */
u64 pvclock_scale(u64 ticks, u32 mul, s8 shift);
/* Seconds since 1970-01-01 00:00:00 UTC of a proleptic Gregorian date and time (the UEFI
 * EFI_TIME fields; year >= 1970). */
u64 wall_clock_unix_seconds(u32 year, u32 month, u32 day, u32 hour, u32 minute, u32 second);

/* The MSRs, from vmm/msr.c: false when the guest gets #GP. */
bool kvmclock_msr_read(struct vcpu *vcpu, u32 index, u64 *value);
bool kvmclock_msr_write(struct vcpu *vcpu, u32 index, u64 value);
/* vcpu's TSC changed (IA32_TSC, TSC_ADJUST): its time structure follows, if enabled. */
void kvmclock_update(struct vcpu *vcpu);

#endif
