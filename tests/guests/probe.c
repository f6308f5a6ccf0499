// SPDX-License-Identifier: MIT
/* probe: checks how Moat answers CPUID, MSR, port I/O and hypercalls against
 * docs/guest-interface.md ("CPUID", "MSRs", "Port I/O", "Hypercalls"). */
#include "guest.h"

#define CPUID_LEAF_FEATURES 0x1
#define CPUID_LEAF_HYPERVISOR 0x40000000u
#define CPUID_LEAF_HYPERVISOR_VERSION 0x40000001u
#define CPUID_LEAF_EXTENDED_MAX 0x80000000u
#define CPUID_LEAF_EXTENDED_FEATURES 0x80000001u
#define CPUID_LEAF_BRAND_FIRST 0x80000002u
#define CPUID_LEAF_BRAND_LAST 0x80000004u
#define CPUID_1_ECX_VMX BIT(5)
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CPUID_80000001_ECX_SVM BIT(2)
#define MOAT_HYPERVISOR_MAX_LEAF 0x40000001u
#define MOAT_INTERFACE_VERSION 1
#define MOAT_SIGNATURE "MoatMoatMoat"
#define MOAT_BRAND_PREFIX "Moat virtual CPU"
#define CPUID_SIGNATURE_LENGTH 12
#define CPUID_BRAND_LENGTH 48

#define MSR_IA32_TSC 0x10
#define MSR_IA32_PAT 0x277
/* VM_HSAVE_PA: an SVM MSR a guest must never reach (AMD APM Vol. 2, 15.30.4). */
#define MSR_VM_HSAVE_PA 0xc0010117u
#define PAT_RESET_VALUE 0x0007040600070406ull

#define PORT_UNCLAIMED 0x1234
#define PORT_POST_DIAGNOSTIC 0x80

#define HYPERCALL_UNKNOWN 7
#define HYPERCALL_ENOSYS 0xffffffdau /* -38 */

enum probe_check {
	PROBE_CHECK_CPUID_HYPERVISOR_BIT = 1,
	PROBE_CHECK_CPUID_VMX_CLEAR,
	PROBE_CHECK_CPUID_EXTENDED_MAX,
	PROBE_CHECK_CPUID_SVM_CLEAR,
	PROBE_CHECK_CPUID_HYPERVISOR_MAX,
	PROBE_CHECK_CPUID_SIGNATURE,
	PROBE_CHECK_CPUID_VERSION,
	PROBE_CHECK_CPUID_BRAND,
	PROBE_CHECK_PAT_NO_FAULT,
	PROBE_CHECK_PAT_VALUE,
	PROBE_CHECK_HSAVE_READ_GP,
	PROBE_CHECK_HSAVE_WRITE_GP,
	PROBE_CHECK_TSC_NO_FAULT,
	PROBE_CHECK_INB_NO_FAULT,
	PROBE_CHECK_INB_VALUE,
	PROBE_CHECK_INW_NO_FAULT,
	PROBE_CHECK_INW_VALUE,
	PROBE_CHECK_INL_NO_FAULT,
	PROBE_CHECK_INL_VALUE,
	PROBE_CHECK_OUTB_NO_FAULT,
	PROBE_CHECK_PORT80_NO_FAULT,
	PROBE_CHECK_PORT80_VALUE,
	PROBE_CHECK_HYPERCALL_VERSION,
	PROBE_CHECK_HYPERCALL_UNKNOWN,
};

const char guest_name[] = "probe";

static void probe_copy_registers(char *dst, const u32 *regs, u32 count)
{
	memcpy(dst, regs, count * sizeof(u32));
}

static void probe_cpuid_features(void)
{
	struct cpuid_regs r = cpu_cpuid(CPUID_LEAF_FEATURES, 0);

	check_true(PROBE_CHECK_CPUID_HYPERVISOR_BIT, "cpuid 1 ECX bit 31 (hypervisor) set",
		   r.ecx & CPUID_1_ECX_HYPERVISOR);
	check_true(PROBE_CHECK_CPUID_VMX_CLEAR, "cpuid 1 ECX bit 5 (VMX) clear",
		   !(r.ecx & CPUID_1_ECX_VMX));
	r = cpu_cpuid(CPUID_LEAF_EXTENDED_MAX, 0);
	check_true(PROBE_CHECK_CPUID_EXTENDED_MAX, "cpuid 0x80000000 reaches the brand leaves",
		   r.eax >= CPUID_LEAF_BRAND_LAST);
	r = cpu_cpuid(CPUID_LEAF_EXTENDED_FEATURES, 0);
	check_true(PROBE_CHECK_CPUID_SVM_CLEAR, "cpuid 0x80000001 ECX bit 2 (SVM) clear",
		   !(r.ecx & CPUID_80000001_ECX_SVM));
}

static void probe_cpuid_hypervisor(void)
{
	struct cpuid_regs r = cpu_cpuid(CPUID_LEAF_HYPERVISOR, 0);
	u32 signature_regs[3] = { r.ebx, r.ecx, r.edx };
	char signature[CPUID_SIGNATURE_LENGTH + 1] = { 0 };

	check_eq(PROBE_CHECK_CPUID_HYPERVISOR_MAX, "cpuid 0x40000000 EAX is 0x40000001", r.eax,
		 MOAT_HYPERVISOR_MAX_LEAF);
	probe_copy_registers(signature, signature_regs, ARRAY_SIZE(signature_regs));
	check_str(PROBE_CHECK_CPUID_SIGNATURE, "cpuid 0x40000000 signature is MoatMoatMoat",
		  signature, MOAT_SIGNATURE);
	r = cpu_cpuid(CPUID_LEAF_HYPERVISOR_VERSION, 0);
	check_eq(PROBE_CHECK_CPUID_VERSION, "cpuid 0x40000001 EAX is 1", r.eax,
		 MOAT_INTERFACE_VERSION);
}

static void probe_cpuid_brand(void)
{
	char brand[CPUID_BRAND_LENGTH + 1] = { 0 };

	for (u32 leaf = CPUID_LEAF_BRAND_FIRST; leaf <= CPUID_LEAF_BRAND_LAST; leaf++) {
		struct cpuid_regs r = cpu_cpuid(leaf, 0);
		u32 regs[4] = { r.eax, r.ebx, r.ecx, r.edx };

		probe_copy_registers(brand + (leaf - CPUID_LEAF_BRAND_FIRST) * sizeof(regs), regs,
				     ARRAY_SIZE(regs));
	}
	if (memcmp(brand, MOAT_BRAND_PREFIX, strlen(MOAT_BRAND_PREFIX)) != 0)
		check_fail(PROBE_CHECK_CPUID_BRAND, "brand string starts with Moat virtual CPU",
			   "got \"%s\", want \"%s...\"", brand, MOAT_BRAND_PREFIX);
	check_ok("brand string starts with Moat virtual CPU");
}

static void probe_msrs(void)
{
	u64 value = 0;
	int vector;

	vector = trap_probe_rdmsr(MSR_IA32_PAT, &value);
	check_no_fault(PROBE_CHECK_PAT_NO_FAULT, "rdmsr 0x277 (PAT) does not fault", vector);
	check_eq(PROBE_CHECK_PAT_VALUE, "PAT reads its reset value 0x0007040600070406", value,
		 PAT_RESET_VALUE);
	vector = trap_probe_rdmsr(MSR_VM_HSAVE_PA, &value);
	check_eq(PROBE_CHECK_HSAVE_READ_GP, "rdmsr 0xc0010117 raises #GP (vector 13)",
		 (u32)vector, VECTOR_GP);
	vector = trap_probe_wrmsr(MSR_VM_HSAVE_PA, 0);
	check_eq(PROBE_CHECK_HSAVE_WRITE_GP, "wrmsr 0xc0010117 raises #GP (vector 13)",
		 (u32)vector, VECTOR_GP);
	vector = trap_probe_rdmsr(MSR_IA32_TSC, &value);
	check_no_fault(PROBE_CHECK_TSC_NO_FAULT, "rdmsr 0x10 (TSC) does not fault", vector);
}

static void probe_ports(void)
{
	u8 byte = 0;
	u16 word = 0;
	u32 dword = 0;

	check_no_fault(PROBE_CHECK_INB_NO_FAULT, "inb 0x1234 does not fault",
		       trap_probe_inb(PORT_UNCLAIMED, &byte));
	check_eq(PROBE_CHECK_INB_VALUE, "inb 0x1234 reads 0xff", byte, 0xff);
	check_no_fault(PROBE_CHECK_INW_NO_FAULT, "inw 0x1234 does not fault",
		       trap_probe_inw(PORT_UNCLAIMED, &word));
	check_eq(PROBE_CHECK_INW_VALUE, "inw 0x1234 reads 0xffff", word, 0xffff);
	check_no_fault(PROBE_CHECK_INL_NO_FAULT, "inl 0x1234 does not fault",
		       trap_probe_inl(PORT_UNCLAIMED, &dword));
	check_eq(PROBE_CHECK_INL_VALUE, "inl 0x1234 reads 0xffffffff", dword, 0xffffffffu);
	/* Reaching the next check is the proof that execution continued after the OUT. */
	check_no_fault(PROBE_CHECK_OUTB_NO_FAULT, "outb 0x1234 does not fault and continues",
		       trap_probe_outb(PORT_UNCLAIMED, 0x5a));
	check_no_fault(PROBE_CHECK_PORT80_NO_FAULT, "inb 0x80 does not fault",
		       trap_probe_inb(PORT_POST_DIAGNOSTIC, &byte));
	check_eq(PROBE_CHECK_PORT80_VALUE, "inb 0x80 reads 0xff", byte, 0xff);
}

static void probe_hypercalls(void)
{
	check_eq(PROBE_CHECK_HYPERCALL_VERSION, "hypercall 0 (version) returns 1",
		 hypercall(HYPERCALL_VERSION), MOAT_INTERFACE_VERSION);
	check_eq(PROBE_CHECK_HYPERCALL_UNKNOWN, "hypercall 7 returns -ENOSYS (0xffffffda)",
		 hypercall(HYPERCALL_UNKNOWN), HYPERCALL_ENOSYS);
}

void guest_main(u32 entry_eax, u32 entry_ebx)
{
	console_printf("probe: %s vendor, using %s\n", hypercall_vendor_is_amd() ? "AMD" : "non-AMD",
		       hypercall_vendor_is_amd() ? "VMMCALL" : "VMCALL");
	probe_cpuid_features();
	probe_cpuid_hypervisor();
	probe_cpuid_brand();
	probe_msrs();
	probe_ports();
	probe_hypercalls();
	test_exit(GUEST_EXIT_PASS);
}
