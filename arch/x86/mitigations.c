// SPDX-License-Identifier: MIT
/* Which speculative-execution mitigations Moat applies, from what the CPU reports about
 * itself (docs/speculation.md). The rules follow Linux's arch/x86/kernel/cpu/bugs.c and
 * KVM's choices for a hypervisor; where a model list is needed it is Linux's, cut to the
 * families Moat runs on. Pure computation: unit-tested in tests/unit/mitigations_test.c. */
#include <moat/log.h>

#include "mitigations.h"

/* Intel family 6 models (SDM Vol. 4 table 2-1; Linux intel-family.h names). */
#define INTEL_FAM6 6
#define INTEL_HASWELL_X 0x3f
#define INTEL_BROADWELL_X 0x4f
#define INTEL_BROADWELL_D 0x56
#define INTEL_SKYLAKE_L 0x4e
#define INTEL_SKYLAKE_X 0x55 /* also Cascade Lake and Cooper Lake, which have eIBRS */
#define INTEL_SKYLAKE 0x5e
#define INTEL_CANNONLAKE_L 0x66
#define INTEL_ICELAKE_X 0x6a
#define INTEL_ICELAKE_D 0x6c
#define INTEL_ICELAKE_L 0x7e
#define INTEL_ATOM_TREMONT_D 0x86
#define INTEL_LAKEFIELD 0x8a
#define INTEL_KABYLAKE_L 0x8e /* also Whiskey Lake, Amber Lake, Comet Lake U */
#define INTEL_ATOM_TREMONT 0x96
#define INTEL_ATOM_TREMONT_L 0x9c
#define INTEL_KABYLAKE 0x9e /* also Coffee Lake */
#define INTEL_COMETLAKE 0xa5
#define INTEL_COMETLAKE_L 0xa6
#define INTEL_ROCKETLAKE 0xa7

/* AMD families (AMD "Technical Update Regarding Speculative Return Stack Overflow",
 * "AMD CPU Branch Type Confusion"). */
#define AMD_FAMILY_15H 0x15
#define AMD_FAMILY_16H 0x16
#define AMD_FAMILY_17H 0x17 /* Zen, Zen+, Zen 2 */
#define AMD_FAMILY_19H 0x19 /* Zen 3, Zen 4 */

/* Bits of the CPUID leaves a guest may see: the controls Moat lets it use, and MD_CLEAR,
 * which only says what VERW (never intercepted) does. */
#define GUEST_LEAF7_EDX (CPUID7_EDX_SPEC_CTRL | CPUID7_EDX_STIBP | CPUID7_EDX_SSBD | \
			 CPUID7_EDX_MD_CLEAR)
#define GUEST_EXT8_EBX (CPUID_EXT8_EBX_IBPB | CPUID_EXT8_EBX_IBRS | CPUID_EXT8_EBX_STIBP | \
			CPUID_EXT8_EBX_SSBD)
#define ARCH_CAP_MMIO_IMMUNE (ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO)

enum intel_model_bug {
	INTEL_BUG_MMIO = 1u << 0,     /* processor MMIO stale data (Intel-SA-00615) */
	INTEL_BUG_RETBLEED = 1u << 1, /* RET predicted from the BTB on RSB underflow */
};

struct intel_model {
	u8 model;
	u8 bugs;
};

/* Linux's cpu_vuln_blacklist entries for these two bugs (the others are decided from
 * ARCH_CAPABILITIES alone). */
static const struct intel_model intel_models[] = {
	{ INTEL_HASWELL_X, INTEL_BUG_MMIO },
	{ INTEL_BROADWELL_X, INTEL_BUG_MMIO },
	{ INTEL_BROADWELL_D, INTEL_BUG_MMIO },
	{ INTEL_SKYLAKE_L, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
	{ INTEL_SKYLAKE_X, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
	{ INTEL_SKYLAKE, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
	{ INTEL_CANNONLAKE_L, INTEL_BUG_RETBLEED },
	{ INTEL_ICELAKE_X, INTEL_BUG_MMIO },
	{ INTEL_ICELAKE_D, INTEL_BUG_MMIO },
	{ INTEL_ICELAKE_L, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
	{ INTEL_ATOM_TREMONT_D, INTEL_BUG_MMIO },
	{ INTEL_LAKEFIELD, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
	{ INTEL_KABYLAKE_L, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
	{ INTEL_ATOM_TREMONT, INTEL_BUG_MMIO },
	{ INTEL_ATOM_TREMONT_L, INTEL_BUG_MMIO },
	{ INTEL_KABYLAKE, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
	{ INTEL_COMETLAKE, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
	{ INTEL_COMETLAKE_L, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
	{ INTEL_ROCKETLAKE, INTEL_BUG_MMIO | INTEL_BUG_RETBLEED },
};

static u32 intel_model_bugs(const struct spec_cpu *cpu)
{
	if (cpu->family != INTEL_FAM6)
		return 0;
	for (u32 i = 0; i < ARRAY_SIZE(intel_models); i++)
		if (intel_models[i].model == cpu->model)
			return intel_models[i].bugs;
	return 0;
}

/* Intel: Meltdown-class buffers and L1TF from ARCH_CAPABILITIES, Spectre v2 through eIBRS
 * where the CPU has it (legacy IBRS on the Retbleed generation, as Linux chooses). */
static void spec_decide_intel(const struct spec_cpu *cpu, struct spec_mitigations *m)
{
	u64 cap = cpu->arch_capabilities;
	u32 bugs = intel_model_bugs(cpu);
	bool eibrs = (cap & ARCH_CAP_IBRS_ALL) && (m->guest_spec_ctrl_bits & SPEC_CTRL_IBRS);
	bool verw_clears, verw_needed;

	m->retbleed = !eibrs && ((bugs & INTEL_BUG_RETBLEED) || (cap & ARCH_CAP_RSBA));
	if (eibrs)
		m->ibrs = SPEC_IBRS_ENHANCED;
	else if (m->retbleed && (m->guest_spec_ctrl_bits & SPEC_CTRL_IBRS))
		m->ibrs = SPEC_IBRS_LEGACY;
	/* eIBRS keeps guest-mode predictions out of Moat's, but a RET right after an exit may
	 * still use the last CALL the guest made (PBRSB): one CALL of Moat's own before the
	 * first RET retires it (Intel-SA-00706). Without eIBRS the whole RSB is refilled. */
	if (m->ibrs == SPEC_IBRS_ENHANCED)
		m->rsb = cap & ARCH_CAP_PBRSB_NO ? SPEC_RSB_NONE : SPEC_RSB_LITE;
	m->host_spec_ctrl = m->ibrs != SPEC_IBRS_NONE ? SPEC_CTRL_IBRS : 0;
	/* With eIBRS, IBRS set while the guest runs only restricts the guest's own user mode,
	 * and saves two WRMSRs per exit for a guest that leaves it clear. */
	m->guest_forced_bits = m->ibrs == SPEC_IBRS_ENHANCED ? SPEC_CTRL_IBRS : 0;

	m->l1tf = !(cap & ARCH_CAP_RDCL_NO);
	if (m->l1tf && !(cap & ARCH_CAP_SKIP_L1DFL_VMENTRY)) {
		m->l1d_flush_on_entry = cpu->leaf7_edx & CPUID7_EDX_L1D_FLUSH;
		m->l1d_flush_missing = !m->l1d_flush_on_entry;
	}
	m->mds = !(cap & ARCH_CAP_MDS_NO);
	m->taa = (cpu->leaf7_ebx & CPUID7_EBX_RTM) && !(cap & ARCH_CAP_TAA_NO);
	m->mmio_stale_data = (bugs & INTEL_BUG_MMIO) &&
			     (cap & ARCH_CAP_MMIO_IMMUNE) != ARCH_CAP_MMIO_IMMUNE;
	m->rfds = (cap & ARCH_CAP_RFDS_CLEAR) && !(cap & ARCH_CAP_RFDS_NO);
	/* The L1D flush also overwrites the CPU buffers VERW clears, on microcode that has
	 * MD_CLEAR (Linux Documentation/admin-guide/hw-vuln/mds.rst): then VERW is redundant. */
	verw_needed = m->mds || m->taa || m->mmio_stale_data || m->rfds;
	verw_clears = (cpu->leaf7_edx & CPUID7_EDX_MD_CLEAR) ||
		      (cap & (ARCH_CAP_FB_CLEAR | ARCH_CAP_RFDS_CLEAR));
	if (verw_needed && !m->l1d_flush_on_entry) {
		m->verw_on_entry = verw_clears;
		m->verw_missing = !verw_clears;
	}
}

/* AMD: Retbleed (Zen 1 and 2) and SRSO (Zen 1 to 4) let a guest steer Moat's RETs; an IBPB
 * after every exit flushes what it trained (Linux srso=ibpb-vmexit, retbleed=ibpb). */
static void spec_decide_amd(const struct spec_cpu *cpu, struct spec_mitigations *m, bool ibpb)
{
	u32 f = cpu->family;

	m->retbleed = (f == AMD_FAMILY_15H || f == AMD_FAMILY_16H || f == AMD_FAMILY_17H) &&
		      !(cpu->ext8_ebx & CPUID_EXT8_EBX_BTC_NO);
	m->srso = (f == AMD_FAMILY_17H || f == AMD_FAMILY_19H) &&
		  !(cpu->ext21_eax & CPUID_EXT21_EAX_SRSO_NO);
	if (!m->retbleed && !m->srso)
		return;
	m->ibpb_on_exit = ibpb;
	m->ibpb_missing = !ibpb;
	/* Zen 3 and 4 flush return predictions with IBPB only with the SRSO microcode, which
	 * says so with IBPB_BRTYPE; Zen 1 and 2 always do. */
	m->srso_ibpb_partial = ibpb && m->srso && f == AMD_FAMILY_19H &&
			       !(cpu->ext21_eax & CPUID_EXT21_EAX_IBPB_BRTYPE);
}

void spec_decide(const struct spec_cpu *cpu, struct spec_mitigations *m)
{
	/* The controls, from either vendor's leaf (Linux reads both on every vendor). */
	bool ibpb = (cpu->leaf7_edx & CPUID7_EDX_SPEC_CTRL) || (cpu->ext8_ebx & CPUID_EXT8_EBX_IBPB);
	bool ibrs = (cpu->leaf7_edx & CPUID7_EDX_SPEC_CTRL) || (cpu->ext8_ebx & CPUID_EXT8_EBX_IBRS);
	bool stibp = (cpu->leaf7_edx & CPUID7_EDX_STIBP) || (cpu->ext8_ebx & CPUID_EXT8_EBX_STIBP);
	bool ssbd = (cpu->leaf7_edx & CPUID7_EDX_SSBD) || (cpu->ext8_ebx & CPUID_EXT8_EBX_SSBD);

	*m = (struct spec_mitigations){ .rsb = SPEC_RSB_FULL, .ibrs = SPEC_IBRS_NONE };
	m->guest_spec_ctrl_bits = (ibrs ? SPEC_CTRL_IBRS : 0) | (stibp ? SPEC_CTRL_STIBP : 0) |
				  (ssbd ? SPEC_CTRL_SSBD : 0);
	m->spec_ctrl = m->guest_spec_ctrl_bits != 0;
	m->guest_pred_cmd = ibpb;
	m->guest_leaf7_edx = cpu->leaf7_edx & GUEST_LEAF7_EDX;
	m->guest_ext8_ebx = cpu->ext8_ebx & GUEST_EXT8_EBX;
	/* Two guests on one CPU share its branch predictors: a barrier between them, as KVM
	 * does when it loads a vCPU of another VM. */
	m->ibpb_on_switch = ibpb;
	if (cpu->vendor == SPEC_VENDOR_INTEL)
		spec_decide_intel(cpu, m);
	else if (cpu->vendor == SPEC_VENDOR_AMD)
		spec_decide_amd(cpu, m, ibpb);
}

static const char *spec_rsb_name(enum spec_rsb rsb)
{
	return rsb == SPEC_RSB_FULL ? "exit" : rsb == SPEC_RSB_LITE ? "exit-lite" : "no";
}

static const char *spec_ibrs_name(enum spec_ibrs ibrs)
{
	return ibrs == SPEC_IBRS_ENHANCED ? "enhanced" : ibrs == SPEC_IBRS_LEGACY ? "legacy" : "no";
}

static const char *spec_ibpb_name(const struct spec_mitigations *m)
{
	if (m->ibpb_missing)
		return "missing";
	if (m->ibpb_on_exit)
		return "switch,exit";
	return m->ibpb_on_switch ? "switch" : "no";
}

static const char *spec_entry_name(bool applied, bool missing)
{
	return applied ? "entry" : missing ? "missing" : "no";
}

/* Appends ",name" (or "name" first) to the list in buf when set. */
static int spec_list_add(char *buf, size_t size, int len, bool set, const char *name)
{
	if (!set || (size_t)len >= size)
		return len;
	return len + format(buf + len, size - (size_t)len, "%s%s", len ? "," : "", name);
}

int spec_describe(const struct spec_mitigations *m, char *buf, size_t size)
{
	char affected[64] = "";
	int n = 0;

	n = spec_list_add(affected, sizeof(affected), n, m->l1tf, "l1tf");
	n = spec_list_add(affected, sizeof(affected), n, m->mds, "mds");
	n = spec_list_add(affected, sizeof(affected), n, m->taa, "taa");
	n = spec_list_add(affected, sizeof(affected), n, m->mmio_stale_data, "mmio");
	n = spec_list_add(affected, sizeof(affected), n, m->rfds, "rfds");
	n = spec_list_add(affected, sizeof(affected), n, m->retbleed, "retbleed");
	n = spec_list_add(affected, sizeof(affected), n, m->srso, "srso");
	return format(buf, size,
		      "ibpb=%s rsb=%s ibrs=%s retpoline=yes l1d=%s verw=%s guest-spec-ctrl=0x%lx "
		      "guest-ibpb=%s affected=%s",
		      spec_ibpb_name(m), spec_rsb_name(m->rsb), spec_ibrs_name(m->ibrs),
		      spec_entry_name(m->l1d_flush_on_entry, m->l1d_flush_missing),
		      spec_entry_name(m->verw_on_entry, m->verw_missing), m->guest_spec_ctrl_bits,
		      m->guest_pred_cmd ? "yes" : "no", n ? affected : "none");
}
