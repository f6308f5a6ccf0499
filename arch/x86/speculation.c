// SPDX-License-Identifier: MIT
/* Reads what the CPU says about its speculation bugs and controls, lets mitigations.c
 * decide, prints the decision and applies it: flags for the world switch, Moat's own
 * IA32_SPEC_CTRL on every CPU, IBPB between guests, and what guests may use
 * (docs/speculation.md). */
#include <moat/arch.h>
#include <moat/log.h>
#include <moat/x86.h>

#include "descriptors.h"
#include "mitigations.h"
#include "speculation.h"

#define CPUID_VENDOR 0
#define CPUID_FEATURES 1
#define CPUID_STRUCTURED 7
#define CPUID_EXT_MAX 0x80000000u
#define CPUID_EXT_ADDRESS_SIZES 0x80000008u
#define CPUID_EXT_FEATURES2 0x80000021u
/* Vendor strings in EBX, EDX, ECX order (SDM Vol. 2A, CPUID leaf 0; AMD APM Vol. 3 E.3.1). */
#define VENDOR_INTEL_EBX 0x756e6547u /* "Genu" */
#define VENDOR_INTEL_EDX 0x49656e69u /* "ineI" */
#define VENDOR_INTEL_ECX 0x6c65746eu /* "ntel" */
#define VENDOR_AMD_EBX 0x68747541u   /* "Auth" */
#define VENDOR_AMD_EDX 0x69746e65u   /* "enti" */
#define VENDOR_AMD_ECX 0x444d4163u   /* "cAMD" */
/* CPUID.1:EAX (SDM Vol. 2A figure 3-6). */
#define FMS_FAMILY(eax) (((eax) >> 8) & 0xf)
#define FMS_MODEL(eax) (((eax) >> 4) & 0xf)
#define FMS_EXT_MODEL(eax) (((eax) >> 16) & 0xf)
#define FMS_EXT_FAMILY(eax) (((eax) >> 20) & 0xff)
#define FMS_FAMILY_EXTENDED 0xf
#define FMS_FAMILY_P6 0x6

_Static_assert(__builtin_offsetof(struct spec_entry_flags, rsb_full) == SPEC_ENTRY_RSB_FULL,
	       "spec_asm.h");
_Static_assert(__builtin_offsetof(struct spec_entry_flags, rsb_lite) == SPEC_ENTRY_RSB_LITE,
	       "spec_asm.h");
_Static_assert(__builtin_offsetof(struct spec_entry_flags, ibpb_exit) == SPEC_ENTRY_IBPB_EXIT,
	       "spec_asm.h");
_Static_assert(__builtin_offsetof(struct spec_entry_flags, verw) == SPEC_ENTRY_VERW,
	       "spec_asm.h");
_Static_assert(__builtin_offsetof(struct spec_entry_flags, l1d_flush) == SPEC_ENTRY_L1D_FLUSH,
	       "spec_asm.h");
_Static_assert(SPEC_MSR_PRED_CMD == MSR_IA32_PRED_CMD && SPEC_PRED_CMD_IBPB == PRED_CMD_IBPB,
	       "spec_asm.h");

struct spec_entry_flags spec_entry;
u16 spec_verw_selector = GDT_SELECTOR_DATA;
u64 spec_host_spec_ctrl, spec_guest_forced_bits;
static struct spec_mitigations spec;
static const char *const spec_vendor_names[] = {
	[SPEC_VENDOR_OTHER] = "other",
	[SPEC_VENDOR_INTEL] = "intel",
	[SPEC_VENDOR_AMD] = "amd",
};

static void spec_read_cpu(struct spec_cpu *cpu)
{
	struct cpuid_regs vendor = x86_cpuid(CPUID_VENDOR, 0);
	u32 fms = x86_cpuid(CPUID_FEATURES, 0).eax;
	u32 ext_max = x86_cpuid(CPUID_EXT_MAX, 0).eax;

	*cpu = (struct spec_cpu){ .vendor = SPEC_VENDOR_OTHER };
	if (vendor.ebx == VENDOR_INTEL_EBX && vendor.edx == VENDOR_INTEL_EDX &&
	    vendor.ecx == VENDOR_INTEL_ECX)
		cpu->vendor = SPEC_VENDOR_INTEL;
	else if (vendor.ebx == VENDOR_AMD_EBX && vendor.edx == VENDOR_AMD_EDX &&
		 vendor.ecx == VENDOR_AMD_ECX)
		cpu->vendor = SPEC_VENDOR_AMD;
	cpu->family = FMS_FAMILY(fms);
	cpu->model = FMS_MODEL(fms);
	if (cpu->family == FMS_FAMILY_EXTENDED)
		cpu->family += FMS_EXT_FAMILY(fms);
	if (cpu->family == FMS_FAMILY_P6 || cpu->family >= FMS_FAMILY_EXTENDED)
		cpu->model |= FMS_EXT_MODEL(fms) << 4;
	if (vendor.eax >= CPUID_STRUCTURED) {
		struct cpuid_regs leaf7 = x86_cpuid(CPUID_STRUCTURED, 0);

		cpu->leaf7_ebx = leaf7.ebx;
		cpu->leaf7_edx = leaf7.edx;
	}
	if (ext_max >= CPUID_EXT_ADDRESS_SIZES)
		cpu->ext8_ebx = x86_cpuid(CPUID_EXT_ADDRESS_SIZES, 0).ebx;
	if (ext_max >= CPUID_EXT_FEATURES2)
		cpu->ext21_eax = x86_cpuid(CPUID_EXT_FEATURES2, 0).eax;
	if (cpu->leaf7_edx & CPUID7_EDX_ARCH_CAPABILITIES)
		cpu->arch_capabilities = x86_rdmsr(MSR_IA32_ARCH_CAPABILITIES);
}

static void spec_warn_missing(const struct spec_mitigations *m)
{
	if (m->l1d_flush_missing)
		log_warn("mitigations: L1TF applies but the microcode offers no IA32_FLUSH_CMD: "
			 "guests may read the L1D");
	if (m->verw_missing)
		log_warn("mitigations: MDS/TAA/MMIO stale data apply but VERW does not clear the "
			 "CPU buffers (no MD_CLEAR): update the microcode");
	if (m->ibpb_missing)
		log_warn("mitigations: SRSO/Retbleed apply but the CPU has no IBPB: update the "
			 "microcode");
	if (m->srso_ibpb_partial)
		log_warn("mitigations: SRSO: IBPB does not flush return predictions without the "
			 "SRSO microcode (CPUID 0x80000021 EAX IBPB_BRTYPE)");
	/* Intel's Retbleed mitigation is IBRS (AMD's, the IBPB above). */
	if (m->retbleed && m->ibrs == SPEC_IBRS_NONE && !m->ibpb_on_exit && !m->ibpb_missing)
		log_warn("mitigations: Retbleed applies but the CPU has no IBRS: update the "
			 "microcode");
}

void arch_speculation_init(void)
{
	struct spec_cpu cpu;
	char line[256];

	spec_read_cpu(&cpu);
	spec_decide(&cpu, &spec);
	log_info("mitigations: from cpuid 7 ebx 0x%x edx 0x%x, 0x80000008 ebx 0x%x, "
		 "0x80000021 eax 0x%x, arch capabilities 0x%lx",
		 cpu.leaf7_ebx, cpu.leaf7_edx, cpu.ext8_ebx, cpu.ext21_eax, cpu.arch_capabilities);
	spec_describe(&spec, line, sizeof(line));
	/* One line, led by the CPU it is for (the boot tests match it per machine). */
	log_info("mitigations: %s family 0x%x model 0x%x: %s", spec_vendor_names[cpu.vendor],
		 cpu.family, cpu.model, line);
	spec_warn_missing(&spec);

	spec_entry = (struct spec_entry_flags){
		.rsb_full = spec.rsb == SPEC_RSB_FULL,
		.rsb_lite = spec.rsb == SPEC_RSB_LITE,
		.ibpb_exit = spec.ibpb_on_exit,
		.verw = spec.verw_on_entry,
		.l1d_flush = spec.l1d_flush_on_entry,
	};
	spec_host_spec_ctrl = spec.host_spec_ctrl;
	spec_guest_forced_bits = spec.guest_forced_bits;
	guest_speculation = (struct guest_speculation){
		.spec_ctrl_bits = spec.guest_spec_ctrl_bits,
		.pred_cmd = spec.guest_pred_cmd,
		.leaf7_edx = spec.guest_leaf7_edx,
		.ext8_ebx = spec.guest_ext8_ebx,
	};
}

void arch_speculation_cpu_enable(void)
{
	/* Moat's own value (IBRS where chosen); also drops whatever the firmware left. */
	if (spec.spec_ctrl)
		x86_wrmsr(MSR_IA32_SPEC_CTRL, spec_host_spec_ctrl);
}

static void spec_guest_switch_barrier(void)
{
	x86_wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
}

void (*arch_speculation_switch_barrier(void))(void)
{
	return spec.ibpb_on_switch ? spec_guest_switch_barrier : NULL;
}
