// SPDX-License-Identifier: MIT
/* The speculation mitigations Moat chooses (arch/x86/mitigations.c) for the feature sets of
 * real CPU generations and of the emulated CPUs the boot tests run on, and what guests are
 * then offered through CPUID and the MSR policy (vmm/cpuid.c, vmm/msr.c). The emulators
 * cannot show speculation, so this is the test that the right barriers are chosen
 * (docs/speculation.md). Feature values: CPUID and IA32_ARCH_CAPABILITIES as those CPUs
 * report them with current microcode (Linux's cpuid/msr dumps, Intel's "Affected Processors"
 * table, AMD's security bulletins); the emulated ones as Moat logged them at boot
 * ("mitigations: from cpuid ..."). */
#include "test_support.h"

#include <moat/exit.h>
#include <moat/speculation.h>
#include <moat/vm.h>

#include "../../arch/x86/mitigations.h"

#define CPUID7_EDX_CORE_CAPABILITIES BIT(30)
#define ARCH_CAP_IF_PSCHANGE_MC_NO BIT(6)
#define ARCH_CAP_TSX_CTRL BIT(7)
#define ARCH_CAP_GDS_CTRL BIT(25)
#define CPUID_EXT8_EBX_STIBP_ALWAYS_ON BIT(17)
#define CPUID_EXT8_EBX_IBRS_SAME_MODE BIT(19)
#define CPUID_EXT8_EBX_PSFD BIT(28)
#define CPUID_EXT21_EAX_AUTOIBRS BIT(8)
#define CPUID_EXT21_EAX_SBPB BIT(27)

/* Intel with the 2019+ microcode: IBRS/IBPB, STIBP, SSBD, L1D flush, MD_CLEAR. */
#define INTEL_LEAF7_EDX (CPUID7_EDX_MD_CLEAR | CPUID7_EDX_SPEC_CTRL | CPUID7_EDX_STIBP | \
			 CPUID7_EDX_L1D_FLUSH | CPUID7_EDX_SSBD)
#define INTEL_LEAF7_EDX_ARCH_CAP (INTEL_LEAF7_EDX | CPUID7_EDX_ARCH_CAPABILITIES | \
				  CPUID7_EDX_CORE_CAPABILITIES)
#define AMD_ZEN2_EXT8 (CPUID_EXT8_EBX_IBPB | CPUID_EXT8_EBX_IBRS | CPUID_EXT8_EBX_STIBP | \
		       CPUID_EXT8_EBX_SSBD)
#define AMD_ZEN3_EXT8 (AMD_ZEN2_EXT8 | CPUID_EXT8_EBX_STIBP_ALWAYS_ON | \
		       CPUID_EXT8_EBX_IBRS_SAME_MODE | CPUID_EXT8_EBX_PSFD | CPUID_EXT8_EBX_BTC_NO)
#define ALL_GUEST_BITS (SPEC_CTRL_IBRS | SPEC_CTRL_STIBP | SPEC_CTRL_SSBD)

/* Fields in order: vendor, family, model, CPUID.7.0 EBX and EDX, CPUID.80000008 EBX,
 * CPUID.80000021 EAX, IA32_ARCH_CAPABILITIES. */
struct cpu_case {
	const char *name;
	struct spec_cpu cpu;
	const char *line; /* the boot line Moat prints for it */
};

static const struct cpu_case cpu_cases[] = {
	{ "Skylake client (Core i7-6700K, 06_5E)",
	  { SPEC_VENDOR_INTEL, 6, 0x5e, CPUID7_EBX_RTM, INTEL_LEAF7_EDX, 0, 0, 0 },
	  "ibpb=switch rsb=exit ibrs=legacy retpoline=yes l1d=entry verw=no guest-spec-ctrl=0x7 "
	  "guest-ibpb=yes affected=l1tf,mds,taa,mmio,retbleed" },
	{ "Cascade Lake (Xeon Gold 6248, 06_55_7)",
	  { SPEC_VENDOR_INTEL, 6, 0x55, CPUID7_EBX_RTM, INTEL_LEAF7_EDX_ARCH_CAP, 0, 0,
	    ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_MDS_NO | ARCH_CAP_IF_PSCHANGE_MC_NO |
		    ARCH_CAP_TSX_CTRL | ARCH_CAP_FB_CLEAR | ARCH_CAP_GDS_CTRL },
	  "ibpb=switch rsb=exit-lite ibrs=enhanced retpoline=yes l1d=no verw=entry "
	  "guest-spec-ctrl=0x7 guest-ibpb=yes affected=taa,mmio" },
	{ "Ice Lake server (Xeon Platinum 8380, 06_6A)",
	  { SPEC_VENDOR_INTEL, 6, 0x6a, CPUID7_EBX_RTM, INTEL_LEAF7_EDX_ARCH_CAP, 0, 0,
	    ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_MDS_NO | ARCH_CAP_IF_PSCHANGE_MC_NO |
		    ARCH_CAP_TSX_CTRL | ARCH_CAP_TAA_NO | ARCH_CAP_FB_CLEAR | ARCH_CAP_GDS_CTRL },
	  "ibpb=switch rsb=exit-lite ibrs=enhanced retpoline=yes l1d=no verw=entry "
	  "guest-spec-ctrl=0x7 guest-ibpb=yes affected=mmio" },
	{ "Sapphire Rapids (Xeon Platinum 8480+, 06_8F)",
	  { SPEC_VENDOR_INTEL, 6, 0x8f, CPUID7_EBX_RTM, INTEL_LEAF7_EDX_ARCH_CAP, 0, 0,
	    ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_MDS_NO | ARCH_CAP_IF_PSCHANGE_MC_NO |
		    ARCH_CAP_TSX_CTRL | ARCH_CAP_TAA_NO | ARCH_CAP_SBDR_SSDP_NO |
		    ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO | ARCH_CAP_PBRSB_NO | ARCH_CAP_GDS_NO |
		    ARCH_CAP_RFDS_NO },
	  "ibpb=switch rsb=no ibrs=enhanced retpoline=yes l1d=no verw=no guest-spec-ctrl=0x7 "
	  "guest-ibpb=yes affected=none" },
	{ "Skylake client with 2017 microcode (no SPEC_CTRL, L1D_FLUSH, MD_CLEAR)",
	  { SPEC_VENDOR_INTEL, 6, 0x5e, CPUID7_EBX_RTM, 0, 0, 0, 0 },
	  "ibpb=no rsb=exit ibrs=no retpoline=yes l1d=missing verw=missing guest-spec-ctrl=0x0 "
	  "guest-ibpb=no affected=l1tf,mds,taa,mmio,retbleed" },
	{ "Skylake client under a hypervisor that flushes L1D itself (SKIP_L1DFL_VMENTRY)",
	  { SPEC_VENDOR_INTEL, 6, 0x5e, 0, INTEL_LEAF7_EDX | CPUID7_EDX_ARCH_CAPABILITIES, 0, 0,
	    ARCH_CAP_SKIP_L1DFL_VMENTRY },
	  "ibpb=switch rsb=exit ibrs=legacy retpoline=yes l1d=no verw=entry guest-spec-ctrl=0x7 "
	  "guest-ibpb=yes affected=l1tf,mds,mmio,retbleed" },
	{ "Atom Tremont with RFDS microcode (Jasper Lake, 06_9C)",
	  { SPEC_VENDOR_INTEL, 6, 0x9c, 0, INTEL_LEAF7_EDX_ARCH_CAP & ~CPUID7_EDX_L1D_FLUSH, 0,
	    0,
	    ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_MDS_NO | ARCH_CAP_TAA_NO |
		    ARCH_CAP_PBRSB_NO | ARCH_CAP_RFDS_CLEAR },
	  "ibpb=switch rsb=no ibrs=enhanced retpoline=yes l1d=no verw=entry guest-spec-ctrl=0x7 "
	  "guest-ibpb=yes affected=mmio,rfds" },
	{ "Zen 1 (EPYC 7601, family 17h model 01h)",
	  { SPEC_VENDOR_AMD, 0x17, 0x01, 0, 0, CPUID_EXT8_EBX_IBPB, 0, 0 },
	  "ibpb=switch,exit rsb=exit ibrs=no retpoline=yes l1d=no verw=no guest-spec-ctrl=0x0 "
	  "guest-ibpb=yes affected=retbleed,srso" },
	{ "Zen 2 (EPYC 7742, family 17h model 31h)",
	  { SPEC_VENDOR_AMD, 0x17, 0x31, 0, 0, AMD_ZEN2_EXT8, 0, 0 },
	  "ibpb=switch,exit rsb=exit ibrs=no retpoline=yes l1d=no verw=no guest-spec-ctrl=0x7 "
	  "guest-ibpb=yes affected=retbleed,srso" },
	{ "Zen 3 (EPYC 7763, family 19h model 01h) with the SRSO microcode",
	  { SPEC_VENDOR_AMD, 0x19, 0x01, 0, 0, AMD_ZEN3_EXT8,
	    CPUID_EXT21_EAX_SBPB | CPUID_EXT21_EAX_IBPB_BRTYPE, 0 },
	  "ibpb=switch,exit rsb=exit ibrs=no retpoline=yes l1d=no verw=no guest-spec-ctrl=0x7 "
	  "guest-ibpb=yes affected=srso" },
	{ "Zen 4 (EPYC 9654, family 19h model 11h) with the SRSO microcode",
	  { SPEC_VENDOR_AMD, 0x19, 0x11, 0, 0, AMD_ZEN3_EXT8,
	    CPUID_EXT21_EAX_AUTOIBRS | CPUID_EXT21_EAX_SBPB | CPUID_EXT21_EAX_IBPB_BRTYPE, 0 },
	  "ibpb=switch,exit rsb=exit ibrs=no retpoline=yes l1d=no verw=no guest-spec-ctrl=0x7 "
	  "guest-ibpb=yes affected=srso" },
	{ "Zen 3 under a hypervisor that reports SRSO_NO",
	  { SPEC_VENDOR_AMD, 0x19, 0x01, 0, 0, AMD_ZEN3_EXT8, CPUID_EXT21_EAX_SRSO_NO, 0 },
	  "ibpb=switch rsb=exit ibrs=no retpoline=yes l1d=no verw=no guest-spec-ctrl=0x7 "
	  "guest-ibpb=yes affected=none" },
	{ "Zen 5 (EPYC 9005, family 1Ah)",
	  { SPEC_VENDOR_AMD, 0x1a, 0x02, 0, 0, AMD_ZEN3_EXT8,
	    CPUID_EXT21_EAX_AUTOIBRS | CPUID_EXT21_EAX_SBPB | CPUID_EXT21_EAX_IBPB_BRTYPE, 0 },
	  "ibpb=switch rsb=exit ibrs=no retpoline=yes l1d=no verw=no guest-spec-ctrl=0x7 "
	  "guest-ibpb=yes affected=none" },
	/* The emulated CPUs of the boot tests (svm-qemu, vmx-bochs, svm-bochs). */
	{ "QEMU 7.2 TCG -cpu max (svm-qemu)",
	  { SPEC_VENDOR_AMD, 0xf, 0x6b, 0x1d843a9, 0, 0, 0, 0 },
	  "ibpb=no rsb=exit ibrs=no retpoline=yes l1d=no verw=no guest-spec-ctrl=0x0 "
	  "guest-ibpb=no affected=none" },
	{ "Bochs 2.7 corei7_skylake_x (vmx-bochs): Skylake-X without speculation controls",
	  { SPEC_VENDOR_INTEL, 6, 0x55, 0xd19f27eb, 0, 0, 0, 0 },
	  "ibpb=no rsb=exit ibrs=no retpoline=yes l1d=missing verw=missing guest-spec-ctrl=0x0 "
	  "guest-ibpb=no affected=l1tf,mds,mmio,retbleed" },
	{ "Bochs 2.7 tigerlake (vmx-bochs-tgl): eIBRS, RSBA, SKIP_L1DFL_VMENTRY, no MDS_NO",
	  { SPEC_VENDOR_INTEL, 6, 0x8c, 0xf1bf27eb, 0xfc100510, 0, 0, 0x1f },
	  "ibpb=switch rsb=exit-lite ibrs=enhanced retpoline=yes l1d=no verw=entry "
	  "guest-spec-ctrl=0x7 guest-ibpb=yes affected=mds" },
	{ "Bochs 2.7 ryzen (svm-bochs): Zen 1 without IBPB",
	  { SPEC_VENDOR_AMD, 0x17, 0x01, 0x209c01a9, 0, 0x1, 0, 0 },
	  "ibpb=missing rsb=exit ibrs=no retpoline=yes l1d=no verw=no guest-spec-ctrl=0x0 "
	  "guest-ibpb=no affected=retbleed,srso" },
};

static void test_cpu_generations(void **state)
{
	for (u32 i = 0; i < ARRAY_SIZE(cpu_cases); i++) {
		struct spec_mitigations m;
		char line[256];

		spec_decide(&cpu_cases[i].cpu, &m);
		spec_describe(&m, line, sizeof(line));
		if (strcmp(line, cpu_cases[i].line))
			fail_msg("%s:\n  chose    %s\n  expected %s", cpu_cases[i].name, line,
				 cpu_cases[i].line);
	}
}

static struct spec_mitigations decide(const struct spec_cpu *cpu)
{
	struct spec_mitigations m;

	spec_decide(cpu, &m);
	return m;
}

/* What the world switch is told: IBRS for Moat, and what stays set while a guest runs. */
static void test_spec_ctrl_values(void **state)
{
	struct spec_mitigations skl = decide(&cpu_cases[0].cpu);
	struct spec_mitigations clx = decide(&cpu_cases[1].cpu);
	struct spec_mitigations zen2 = decide(&cpu_cases[8].cpu);
	struct spec_mitigations qemu = decide(&cpu_cases[ARRAY_SIZE(cpu_cases) - 4].cpu);

	/* Legacy IBRS: set while Moat runs, the guest's own value while it runs. */
	assert_true(skl.spec_ctrl);
	assert_int_equal(skl.host_spec_ctrl, SPEC_CTRL_IBRS);
	assert_int_equal(skl.guest_forced_bits, 0);
	/* eIBRS: set once, and kept set under the guest so that no WRMSR is needed. */
	assert_int_equal(clx.host_spec_ctrl, SPEC_CTRL_IBRS);
	assert_int_equal(clx.guest_forced_bits, SPEC_CTRL_IBRS);
	/* AMD: retpolines, Moat's SPEC_CTRL stays 0. */
	assert_true(zen2.spec_ctrl);
	assert_int_equal(zen2.host_spec_ctrl, 0);
	assert_int_equal(zen2.guest_spec_ctrl_bits, ALL_GUEST_BITS);
	/* No controls at all: nothing to switch, nothing offered. */
	assert_false(qemu.spec_ctrl);
	assert_int_equal(qemu.host_spec_ctrl | qemu.guest_forced_bits, 0);
	assert_int_equal(qemu.guest_leaf7_edx | qemu.guest_ext8_ebx, 0);
}

/* Guests see exactly the controls that the MSR policy then accepts. */
static void test_guest_cpuid_bits(void **state)
{
	struct spec_mitigations skl = decide(&cpu_cases[0].cpu);
	struct spec_mitigations zen1 = decide(&cpu_cases[7].cpu);

	assert_int_equal(skl.guest_leaf7_edx, CPUID7_EDX_MD_CLEAR | CPUID7_EDX_SPEC_CTRL |
						      CPUID7_EDX_STIBP | CPUID7_EDX_SSBD);
	assert_int_equal(skl.guest_ext8_ebx, 0);
	/* Zen 1 has IBPB but no IBRS: PRED_CMD yes, SPEC_CTRL no. */
	assert_int_equal(zen1.guest_ext8_ebx, CPUID_EXT8_EBX_IBPB);
	assert_true(zen1.guest_pred_cmd);
	assert_int_equal(zen1.guest_spec_ctrl_bits, 0);
}

/* A family-19h part without the SRSO microcode still gets the IBPB, and says it is partial;
 * missing microcode is never mistaken for "not affected". */
static void test_missing_microcode_is_reported(void **state)
{
	struct spec_cpu zen3_old = cpu_cases[9].cpu;
	struct spec_cpu zen1_old = cpu_cases[7].cpu;
	struct spec_mitigations m;

	m = decide(&zen3_old);
	assert_true(m.ibpb_on_exit);
	assert_false(m.srso_ibpb_partial);
	zen3_old.ext21_eax = 0;
	m = decide(&zen3_old);
	assert_true(m.ibpb_on_exit);
	assert_true(m.srso_ibpb_partial);
	zen1_old.ext8_ebx = 0;
	m = decide(&zen1_old);
	assert_false(m.ibpb_on_exit);
	assert_true(m.ibpb_missing);
	assert_false(m.ibpb_on_switch);
}

/* The policy side: CPUID shows the controls guest_speculation lists, and SPEC_CTRL takes
 * exactly those bits; without them both MSRs raise #GP. */
static void test_guest_msr_policy(void **state)
{
	struct vm vm = { 0 };
	struct vcpu vcpu = { .vm = &vm };
	struct cpuid_regs host7 = { .edx = INTEL_LEAF7_EDX_ARCH_CAP }, r;
	struct cpuid_regs host8 = { .ebx = AMD_ZEN3_EXT8 };
	struct spec_mitigations skl = decide(&cpu_cases[0].cpu);
	u64 value = 1;

	guest_speculation = (struct guest_speculation){ 0 };
	r = cpuid_filter(7, 0, &host7, 0);
	assert_int_equal(r.edx, 0);
	r = cpuid_filter(0x80000008u, 0, &host8, 0);
	assert_int_equal(r.ebx, 0);
	assert_false(msr_read(&vcpu, MSR_IA32_SPEC_CTRL, &value));
	assert_false(msr_write(&vcpu, MSR_IA32_SPEC_CTRL, 0));
	assert_false(msr_write(&vcpu, MSR_IA32_PRED_CMD, PRED_CMD_IBPB));

	guest_speculation = (struct guest_speculation){
		.spec_ctrl_bits = skl.guest_spec_ctrl_bits, .pred_cmd = skl.guest_pred_cmd,
		.leaf7_edx = skl.guest_leaf7_edx, .ext8_ebx = skl.guest_ext8_ebx };
	r = cpuid_filter(7, 0, &host7, 0);
	assert_int_equal(r.edx, skl.guest_leaf7_edx);
	assert_false(r.edx & (CPUID7_EDX_L1D_FLUSH | CPUID7_EDX_ARCH_CAPABILITIES));
	assert_true(msr_write(&vcpu, MSR_IA32_SPEC_CTRL, ALL_GUEST_BITS));
	assert_true(msr_read(&vcpu, MSR_IA32_SPEC_CTRL, &value));
	assert_int_equal(value, ALL_GUEST_BITS);
	assert_int_equal(vcpu.spec_ctrl, ALL_GUEST_BITS);
	/* A reserved bit (3), or one this CPU lacks, is #GP and changes nothing. */
	assert_false(msr_write(&vcpu, MSR_IA32_SPEC_CTRL, BIT(3)));
	assert_int_equal(vcpu.spec_ctrl, ALL_GUEST_BITS);
	guest_speculation.spec_ctrl_bits = SPEC_CTRL_IBRS;
	assert_false(msr_write(&vcpu, MSR_IA32_SPEC_CTRL, SPEC_CTRL_SSBD));
	/* PRED_CMD is write-only and takes only IBPB. */
	assert_false(msr_read(&vcpu, MSR_IA32_PRED_CMD, &value));
	assert_false(msr_write(&vcpu, MSR_IA32_PRED_CMD, 2));
	guest_speculation = (struct guest_speculation){ 0 };
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_generations),
		cmocka_unit_test(test_spec_ctrl_values),
		cmocka_unit_test(test_guest_cpuid_bits),
		cmocka_unit_test(test_missing_microcode_is_reported),
		cmocka_unit_test(test_guest_msr_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
