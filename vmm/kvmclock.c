// SPDX-License-Identifier: MIT
/* kvmclock: the KVM-compatible paravirtual clock Moat offers at CPUID 0x40000100 (vmm/cpuid.c),
 * so that Linux learns the TSC rate and the date with no PIT, HPET or CMOS. Each vCPU names a
 * guest page for its pvclock_vcpu_time_info; Moat writes it once when the guest enables it and
 * again when that vCPU's TSC is moved. Nothing has to be refreshed later: every CPU's TSC runs
 * at one constant rate, in step with the others, so the values never go stale (also not when the
 * vCPU moves to another CPU), and the exit path does no work for the clock. */
#include <moat/kvmclock.h>
#include <moat/vm.h>
#include <moat/x86.h>

#define KVMCLOCK_ADDRESS_ALIGN 4 /* msr.rst: "4-byte aligned physical address" */
#define KVMCLOCK_SCALE_SHIFT   32
#define NS_PER_MS	       1000000ull
#define HZ_PER_KHZ	       1000ull

void pvclock_scale_for(u64 tsc_hz, u32 *mul, s8 *shift)
{
	u64 scaled = tsc_hz;
	s8 s = 0;

	/* Bring the rate into (1 GHz, 2 GHz] by powers of two, then mul = 2^32 * 1 GHz / rate
	 * lies in [2^31, 2^32). */
	while (scaled > 2 * NS_PER_SECOND) {
		scaled >>= 1;
		s--;
	}
	while (scaled <= NS_PER_SECOND) {
		scaled <<= 1;
		s++;
	}
	*mul = (u32)((NS_PER_SECOND << KVMCLOCK_SCALE_SHIFT) / scaled);
	*shift = s;
}

u64 pvclock_scale(u64 ticks, u32 mul, s8 shift)
{
	if (shift < 0)
		ticks >>= -shift;
	else
		ticks <<= shift;
	/* (ticks * mul) >> 32 in two halves: a 96-bit product without 128-bit arithmetic. */
	return (ticks >> 32) * mul + (((ticks & 0xffffffffull) * mul) >> KVMCLOCK_SCALE_SHIFT);
}

u64 wall_clock_unix_seconds(u32 year, u32 month, u32 day, u32 hour, u32 minute, u32 second)
{
	/* Days from the civil date with March as the first month, so that the leap day is the
	 * last day of the year (the usual days-from-civil method). */
	u64 y = month <= 2 ? year - 1 : year;
	u64 era = y / 400, year_of_era = y % 400;
	u64 m = month > 2 ? month - 3 : month + 9;
	u64 day_of_year = (153 * m + 2) / 5 + day - 1;
	u64 day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	u64 days = era * 146097 + day_of_era - 719468; /* 719468: 0000-03-01 to 1970-01-01 */

	return days * 86400 + hour * 3600 + minute * 60 + second;
}

static u64 ticks_to_ns(u64 ticks, u64 tsc_per_ms)
{
	return ticks / tsc_per_ms * NS_PER_MS + (ticks % tsc_per_ms) * NS_PER_MS / tsc_per_ms;
}

/* The guest's RAM (not a shared region or a device) at [gpa, gpa + len), writable. */
static void *kvmclock_guest_area(struct vcpu *vcpu, gpa_t gpa, u64 len)
{
	const struct gpa_region *region = guest_memory_find(&vcpu->vm->memory, gpa);

	if (!region || region->kind != GPA_REGION_RAM || (gpa & (KVMCLOCK_ADDRESS_ALIGN - 1)))
		return NULL;
	return guest_memory_translate(&vcpu->vm->memory, gpa, len, PT_WRITE);
}

/* Writes t as msr.rst says: version odd while the fields change, even once they are done.
 * The guest TSC is host TSC + its offsets, as RDTSC gives it (vcpu_tsc_offset). System time is
 * the same scale applied to the guest's TSC without this vCPU's adjustment, so every vCPU's
 * clock reads the same time whatever its TSC was moved by. */
static void kvmclock_write_time(struct vcpu *vcpu, volatile struct pvclock_vcpu_time_info *t)
{
	const struct vm *vm = vcpu->vm;
	u32 mul, version = t->version;
	s8 shift;
	u64 guest_tsc;

	pvclock_scale_for(vm->tsc_per_ms * HZ_PER_KHZ, &mul, &shift);
	version = (version + 1) | 1;
	t->version = version;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	guest_tsc = vm_guest_tsc(vm, x86_rdtsc());
	t->tsc_timestamp = guest_tsc + vcpu->tsc_adjust;
	t->system_time = pvclock_scale(guest_tsc, mul, shift);
	t->tsc_to_system_mul = mul;
	t->tsc_shift = shift;
	t->flags = PVCLOCK_TSC_STABLE_BIT;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->version = version + 1;
}

/* The wall-clock time at which the guest's system time was 0: the host's time at boot plus
 * the host TSC ticks from then to the guest's start (its TSC offset is minus that TSC). */
static void kvmclock_write_wall_clock(struct vcpu *vcpu, volatile struct pvclock_wall_clock *w)
{
	const struct vm *vm = vcpu->vm;
	u64 start_tsc = -__atomic_load_n(&vm->tsc_offset, __ATOMIC_RELAXED), ns = 0;
	u32 version = (w->version + 1) | 1;

	if (vm->wall_clock.valid && start_tsc >= vm->wall_clock.tsc)
		ns = vm->wall_clock.unix_seconds * NS_PER_SECOND +
		     ticks_to_ns(start_tsc - vm->wall_clock.tsc, vm->tsc_per_ms);
	w->version = version;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w->sec = (u32)(ns / NS_PER_SECOND);
	w->nsec = (u32)(ns % NS_PER_SECOND);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w->version = version + 1;
}

void kvmclock_update(struct vcpu *vcpu)
{
	u64 msr = vcpu->kvmclock.system_time_msr;
	struct pvclock_vcpu_time_info *t;

	if (!(msr & KVMCLOCK_ENABLE))
		return;
	t = kvmclock_guest_area(vcpu, msr & ~(u64)KVMCLOCK_ENABLE, sizeof(*t));
	if (t)
		kvmclock_write_time(vcpu, t);
}

bool kvmclock_msr_read(struct vcpu *vcpu, u32 index, u64 *value)
{
	if (index == MSR_KVM_SYSTEM_TIME_NEW)
		*value = vcpu->kvmclock.system_time_msr;
	else if (index == MSR_KVM_WALL_CLOCK_NEW)
		*value = vcpu->kvmclock.wall_clock_msr;
	else
		return false;
	return true;
}

/* An address outside the guest's RAM, or not 4-byte aligned, is refused with #GP (and recorded
 * by the caller): a guest that names one gets told at once rather than a clock that never
 * ticks. */
bool kvmclock_msr_write(struct vcpu *vcpu, u32 index, u64 value)
{
	struct pvclock_wall_clock *w;

	if (!vcpu->vm->tsc_per_ms)
		return false;
	if (index == MSR_KVM_SYSTEM_TIME_NEW) {
		if ((value & KVMCLOCK_ENABLE) &&
		    !kvmclock_guest_area(vcpu, value & ~(u64)KVMCLOCK_ENABLE,
					 sizeof(struct pvclock_vcpu_time_info)))
			return false;
		vcpu->kvmclock.system_time_msr = value;
		kvmclock_update(vcpu);
		return true;
	}
	if (index == MSR_KVM_WALL_CLOCK_NEW) {
		w = kvmclock_guest_area(vcpu, value, sizeof(*w));
		if (!w)
			return false;
		vcpu->kvmclock.wall_clock_msr = value;
		kvmclock_write_wall_clock(vcpu, w);
		return true;
	}
	return false;
}
