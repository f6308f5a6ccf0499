// SPDX-License-Identifier: MIT
/* hostile_msr: writes the MSRs that would hand a guest the host's virtualization state (EFER.SVME,
 * VM_HSAVE_PA, VM_CR, FEATURE_CONTROL, APIC_BASE moved) and reads VMX/SEV ones: each must raise
 * #GP (docs/guest-interface.md, "MSRs"). APIC_BASE reads its virtual x2APIC's value. The
 * guest's own MSRs must keep what it writes. */
#include "guest.h"

#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_VM_CR 0xc0010114u      /* AMD APM Vol. 2, 15.30.1 */
#define MSR_VM_HSAVE_PA 0xc0010117u /* AMD APM Vol. 2, 15.30.4 */
#define MSR_SEV_STATUS 0xc0010131u  /* AMD APM Vol. 2, 15.34.10 */

#define EFER_SVME BIT(12)
#define FEATURE_CONTROL_LOCK_VMXON (BIT(0) | BIT(2)) /* lock, VMXON outside SMX */
#define APIC_BASE_MOVED (0x1000000u | BIT(11))      /* 16 MiB, global enable */
/* The virtual x2APIC's base on vCPU 0 (Intel SDM Vol. 3A, 11.4.4): 0xFEE00000, BSP (bit 8),
 * x2APIC mode (bit 10), enabled (bit 11). */
#define APIC_BASE_BSP_X2APIC (0xfee00000u | BIT(8) | BIT(10) | BIT(11))
#define VM_CR_SVMDIS BIT(4)
#define HSAVE_INSIDE_GUEST 0x1000

enum hostile_msr_check {
	HOSTILE_MSR_CHECK_EFER_READ = 1,
	HOSTILE_MSR_CHECK_EFER_SVME_HIDDEN,
	HOSTILE_MSR_CHECK_DENIED_GP,
	HOSTILE_MSR_CHECK_EFER_CLEAR_SVME,
	HOSTILE_MSR_CHECK_EFER_STILL_CLEAR,
	HOSTILE_MSR_CHECK_OWN_WRITE,
	HOSTILE_MSR_CHECK_OWN_READ,
	HOSTILE_MSR_CHECK_OWN_VALUE,
	HOSTILE_MSR_CHECK_APIC_BASE_READ,
	HOSTILE_MSR_CHECK_APIC_BASE_VALUE,
};

struct hostile_msr_denied {
	u32 msr;
	bool write;
	u64 value;
	const char *what;
};

struct hostile_msr_own {
	u32 msr;
	u64 value;
	const char *name;
};

const char guest_name[] = "hostile_msr";

/* Each must raise #GP: none is on Moat's allow-list. */
static const struct hostile_msr_denied hostile_msr_denied[] = {
	{ MSR_EFER, true, EFER_SVME, "wrmsr EFER with SVME set" },
	{ MSR_VM_HSAVE_PA, true, HSAVE_INSIDE_GUEST, "wrmsr VM_HSAVE_PA 0xc0010117" },
	{ MSR_VM_HSAVE_PA, false, 0, "rdmsr VM_HSAVE_PA 0xc0010117" },
	{ MSR_IA32_FEATURE_CONTROL, true, FEATURE_CONTROL_LOCK_VMXON,
	  "wrmsr IA32_FEATURE_CONTROL 0x3a" },
	{ MSR_IA32_FEATURE_CONTROL, false, 0, "rdmsr IA32_FEATURE_CONTROL 0x3a" },
	{ MSR_IA32_APIC_BASE, true, APIC_BASE_MOVED, "wrmsr APIC_BASE 0x1b to 0x1000000" },
	{ MSR_VM_CR, true, VM_CR_SVMDIS, "wrmsr VM_CR 0xc0010114" },
	{ MSR_VM_CR, false, 0, "rdmsr VM_CR 0xc0010114" },
	{ MSR_IA32_VMX_BASIC, false, 0, "rdmsr IA32_VMX_BASIC 0x480" },
	{ MSR_SEV_STATUS, false, 0, "rdmsr SEV_STATUS 0xc0010131" },
};

/* The guest's own: canonical values, so that a real CPU takes them too. */
static const struct hostile_msr_own hostile_msr_own[] = {
	{ MSR_IA32_SYSENTER_CS, 0x10, "SYSENTER_CS" },
	{ MSR_IA32_SYSENTER_ESP, 0x1ff000, "SYSENTER_ESP" },
	{ MSR_IA32_SYSENTER_EIP, 0x101234, "SYSENTER_EIP" },
	{ MSR_STAR, 0x0023001000000000ull, "STAR" },
	{ MSR_LSTAR, 0xffff800012345000ull, "LSTAR" },
	{ MSR_FS_BASE, 0x00007fff12340000ull, "FS_BASE" },
	{ MSR_GS_BASE, 0xffff800056780000ull, "GS_BASE" },
	{ MSR_KERNEL_GS_BASE, 0x00007ffe9abc0000ull, "KERNEL_GS_BASE" },
};

static char hostile_msr_what[96];

static const char *hostile_msr_describe(const char *prefix, const char *name, const char *suffix)
{
	size_t p = strlen(prefix), n = strlen(name), s = strlen(suffix);

	if (p + n + s >= sizeof(hostile_msr_what))
		return name;
	memcpy(hostile_msr_what, prefix, p);
	memcpy(hostile_msr_what + p, name, n);
	memcpy(hostile_msr_what + p + n, suffix, s + 1);
	return hostile_msr_what;
}

/* EFER: SVME never shows; setting it must #GP; writing it back clear is the guest's right. */
static void hostile_msr_efer(void)
{
	u64 efer = 0;

	check_no_fault(HOSTILE_MSR_CHECK_EFER_READ, "rdmsr EFER does not fault",
		       trap_probe_rdmsr(MSR_EFER, &efer));
	check_eq(HOSTILE_MSR_CHECK_EFER_SVME_HIDDEN, "EFER.SVME reads clear", efer & EFER_SVME, 0);
	check_eq(HOSTILE_MSR_CHECK_DENIED_GP, "wrmsr EFER | SVME raises #GP (vector 13)",
		 (u32)trap_probe_wrmsr(MSR_EFER, efer | EFER_SVME), VECTOR_GP);
	check_no_fault(HOSTILE_MSR_CHECK_EFER_CLEAR_SVME, "wrmsr EFER with SVME clear is allowed",
		       trap_probe_wrmsr(MSR_EFER, efer & ~EFER_SVME));
	check_no_fault(HOSTILE_MSR_CHECK_EFER_READ, "rdmsr EFER again does not fault",
		       trap_probe_rdmsr(MSR_EFER, &efer));
	check_eq(HOSTILE_MSR_CHECK_EFER_STILL_CLEAR, "EFER.SVME still reads clear",
		 efer & EFER_SVME, 0);
}

/* The virtual APIC's base is the guest's to read (only writing a different one is denied). */
static void hostile_msr_apic_base(void)
{
	u64 base = 0;

	check_no_fault(HOSTILE_MSR_CHECK_APIC_BASE_READ, "rdmsr APIC_BASE 0x1b does not fault",
		       trap_probe_rdmsr(MSR_IA32_APIC_BASE, &base));
	check_eq(HOSTILE_MSR_CHECK_APIC_BASE_VALUE, "APIC_BASE reads 0xfee00d00", base,
		 APIC_BASE_BSP_X2APIC);
}

static void hostile_msr_denied_all(void)
{
	for (u32 i = 0; i < ARRAY_SIZE(hostile_msr_denied); i++) {
		const struct hostile_msr_denied *d = &hostile_msr_denied[i];
		u64 ignored = 0;
		int vector = d->write ? trap_probe_wrmsr(d->msr, d->value) :
					trap_probe_rdmsr(d->msr, &ignored);

		check_eq(HOSTILE_MSR_CHECK_DENIED_GP,
			 hostile_msr_describe("", d->what, " raises #GP (vector 13)"), (u32)vector,
			 VECTOR_GP);
	}
}

static void hostile_msr_own_all(void)
{
	for (u32 i = 0; i < ARRAY_SIZE(hostile_msr_own); i++) {
		const struct hostile_msr_own *o = &hostile_msr_own[i];
		u64 value = 0;

		check_no_fault(HOSTILE_MSR_CHECK_OWN_WRITE,
			       hostile_msr_describe("wrmsr ", o->name, " does not fault"),
			       trap_probe_wrmsr(o->msr, o->value));
		check_no_fault(HOSTILE_MSR_CHECK_OWN_READ,
			       hostile_msr_describe("rdmsr ", o->name, " does not fault"),
			       trap_probe_rdmsr(o->msr, &value));
		check_eq(HOSTILE_MSR_CHECK_OWN_VALUE,
			 hostile_msr_describe("", o->name, " reads back what was written"), value,
			 o->value);
		/* Leave FS/GS bases as the runtime found them (it uses neither, but be tidy). */
		trap_probe_wrmsr(o->msr, 0);
	}
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	hostile_msr_efer();
	hostile_msr_denied_all();
	hostile_msr_apic_base();
	hostile_msr_own_all();
	console_puts("hostile_msr: every denied MSR raised #GP, the guest's own kept their values\n");
	test_exit(GUEST_EXIT_PASS);
}
