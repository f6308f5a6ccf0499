// SPDX-License-Identifier: MIT
/* hostile_msr: writes the MSRs that would hand a guest the host's virtualization state (EFER.SVME,
 * VM_HSAVE_PA, VM_CR, FEATURE_CONTROL, APIC_BASE moved) and reads VMX/SEV ones: each must raise
 * #GP (docs/guest-interface.md, "MSRs"). APIC_BASE reads its virtual x2APIC's value. The
 * guest's own MSRs must keep what it writes. The speculation controls (IA32_SPEC_CTRL,
 * IA32_PRED_CMD) must behave as CPUID says: a bit CPUID shows is accepted and reads back, one
 * it does not show raises #GP (docs/speculation.md). */
#include "guest.h"

#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_SPEC_CTRL 0x48
#define MSR_IA32_PRED_CMD 0x49
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
/* Speculation controls in CPUID (Intel SDM Vol. 2A table 3-8; AMD APM Vol. 3 E.4.7). */
#define CPUID_LEAF_MAX 0
#define CPUID_LEAF_STRUCTURED 7
#define CPUID_LEAF_EXT_MAX 0x80000000u
#define CPUID_LEAF_EXT_ADDRESS_SIZES 0x80000008u
#define CPUID7_EDX_SPEC_CTRL BIT(26) /* IBRS and IBPB */
#define CPUID7_EDX_STIBP BIT(27)
#define CPUID7_EDX_SSBD BIT(31)
#define CPUID_EXT8_EBX_IBPB BIT(12)
#define CPUID_EXT8_EBX_IBRS BIT(14)
#define CPUID_EXT8_EBX_STIBP BIT(15)
#define CPUID_EXT8_EBX_SSBD BIT(24)
/* IA32_SPEC_CTRL bits (Intel SDM Vol. 4 table 2-2); bit 3 and up are not offered. */
#define SPEC_CTRL_IBRS BIT(0)
#define SPEC_CTRL_STIBP BIT(1)
#define SPEC_CTRL_SSBD BIT(2)
#define SPEC_CTRL_NOT_OFFERED BIT(3)
#define PRED_CMD_IBPB BIT(0)
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
	HOSTILE_MSR_CHECK_SPEC_CTRL_BIT,
	HOSTILE_MSR_CHECK_SPEC_CTRL_READ,
	HOSTILE_MSR_CHECK_SPEC_CTRL_VALUE,
	HOSTILE_MSR_CHECK_PRED_CMD,
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

struct hostile_msr_spec_bit {
	u64 bit;
	u32 leaf7_edx, ext8_ebx; /* the CPUID bits that offer it */
	const char *name;
};

static const struct hostile_msr_spec_bit hostile_msr_spec_bits[] = {
	{ SPEC_CTRL_IBRS, CPUID7_EDX_SPEC_CTRL, CPUID_EXT8_EBX_IBRS, "IBRS" },
	{ SPEC_CTRL_STIBP, CPUID7_EDX_STIBP, CPUID_EXT8_EBX_STIBP, "STIBP" },
	{ SPEC_CTRL_SSBD, CPUID7_EDX_SSBD, CPUID_EXT8_EBX_SSBD, "SSBD" },
};

static int hostile_msr_expect(bool offered)
{
	return offered ? TRAP_NO_FAULT : VECTOR_GP;
}

/* Every SPEC_CTRL bit and PRED_CMD behave as CPUID says, whatever the host offers (the
 * emulators offer nothing: then every access raises #GP). */
static void hostile_msr_speculation(void)
{
	u32 leaf7_edx = 0, ext8_ebx = 0, offered = 0;
	bool ibpb;
	u64 value = 0;

	if (cpu_cpuid(CPUID_LEAF_MAX, 0).eax >= CPUID_LEAF_STRUCTURED)
		leaf7_edx = cpu_cpuid(CPUID_LEAF_STRUCTURED, 0).edx;
	if (cpu_cpuid(CPUID_LEAF_EXT_MAX, 0).eax >= CPUID_LEAF_EXT_ADDRESS_SIZES)
		ext8_ebx = cpu_cpuid(CPUID_LEAF_EXT_ADDRESS_SIZES, 0).ebx;
	for (u32 i = 0; i < ARRAY_SIZE(hostile_msr_spec_bits); i++) {
		const struct hostile_msr_spec_bit *b = &hostile_msr_spec_bits[i];

		if ((leaf7_edx & b->leaf7_edx) || (ext8_ebx & b->ext8_ebx))
			offered |= (u32)b->bit;
	}
	ibpb = (leaf7_edx & CPUID7_EDX_SPEC_CTRL) || (ext8_ebx & CPUID_EXT8_EBX_IBPB);
	console_printf("hostile_msr: cpuid shows SPEC_CTRL bits 0x%x, IBPB %s\n", offered,
		       ibpb ? "yes" : "no");

	for (u32 i = 0; i < ARRAY_SIZE(hostile_msr_spec_bits); i++) {
		const struct hostile_msr_spec_bit *b = &hostile_msr_spec_bits[i];

		check_eq(HOSTILE_MSR_CHECK_SPEC_CTRL_BIT,
			 hostile_msr_describe("wrmsr SPEC_CTRL ", b->name, " agrees with CPUID"),
			 (u32)trap_probe_wrmsr(MSR_IA32_SPEC_CTRL, b->bit),
			 (u32)hostile_msr_expect(offered & b->bit));
		if (!(offered & b->bit))
			continue;
		check_no_fault(HOSTILE_MSR_CHECK_SPEC_CTRL_READ, "rdmsr SPEC_CTRL does not fault",
			       trap_probe_rdmsr(MSR_IA32_SPEC_CTRL, &value));
		check_eq(HOSTILE_MSR_CHECK_SPEC_CTRL_VALUE,
			 hostile_msr_describe("SPEC_CTRL ", b->name, " reads back"), value, b->bit);
	}
	check_eq(HOSTILE_MSR_CHECK_SPEC_CTRL_READ, "rdmsr SPEC_CTRL agrees with CPUID",
		 (u32)trap_probe_rdmsr(MSR_IA32_SPEC_CTRL, &value),
		 (u32)hostile_msr_expect(offered != 0));
	check_eq(HOSTILE_MSR_CHECK_SPEC_CTRL_BIT, "wrmsr SPEC_CTRL bit 3 (not offered) raises #GP",
		 (u32)trap_probe_wrmsr(MSR_IA32_SPEC_CTRL, SPEC_CTRL_NOT_OFFERED), VECTOR_GP);
	if (offered)
		trap_probe_wrmsr(MSR_IA32_SPEC_CTRL, 0);
	check_eq(HOSTILE_MSR_CHECK_PRED_CMD, "wrmsr PRED_CMD IBPB agrees with CPUID",
		 (u32)trap_probe_wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB),
		 (u32)hostile_msr_expect(ibpb));
	check_eq(HOSTILE_MSR_CHECK_PRED_CMD, "rdmsr PRED_CMD (write-only) raises #GP",
		 (u32)trap_probe_rdmsr(MSR_IA32_PRED_CMD, &value), VECTOR_GP);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	hostile_msr_efer();
	hostile_msr_denied_all();
	hostile_msr_apic_base();
	hostile_msr_own_all();
	hostile_msr_speculation();
	console_puts("hostile_msr: every denied MSR raised #GP, the guest's own kept their values\n");
	test_exit(GUEST_EXIT_PASS);
}
