/* SPDX-License-Identifier: MIT */
/* From CPUID leaves and IA32_ARCH_CAPABILITIES to the speculative-execution mitigations Moat
 * applies (mitigations.c, docs/speculation.md). Pure computation, unit-tested on the host
 * against the feature sets of real CPU generations. */
#ifndef MOAT_MITIGATIONS_H
#define MOAT_MITIGATIONS_H

#include <moat/types.h>

/* CPUID.7.0:EBX (SDM Vol. 2A, CPUID, table 3-8). */
#define CPUID7_EBX_RTM BIT(11)
/* CPUID.7.0:EDX (SDM Vol. 2A table 3-8; Intel "Speculative Execution Side Channel
 * Mitigations", table 2-1). */
#define CPUID7_EDX_MD_CLEAR BIT(10)
#define CPUID7_EDX_SPEC_CTRL BIT(26) /* IBRS and IBPB: IA32_SPEC_CTRL, IA32_PRED_CMD */
#define CPUID7_EDX_STIBP BIT(27)
#define CPUID7_EDX_L1D_FLUSH BIT(28) /* IA32_FLUSH_CMD */
#define CPUID7_EDX_ARCH_CAPABILITIES BIT(29)
#define CPUID7_EDX_SSBD BIT(31)

/* CPUID.80000008:EBX (AMD APM Vol. 3 E.4.7; AMD "Software Techniques for Managing
 * Speculation" and "Indirect Branch Control Extension"). */
#define CPUID_EXT8_EBX_IBPB BIT(12)
#define CPUID_EXT8_EBX_IBRS BIT(14)
#define CPUID_EXT8_EBX_STIBP BIT(15)
#define CPUID_EXT8_EBX_SSBD BIT(24)
#define CPUID_EXT8_EBX_BTC_NO BIT(29)   /* not affected by branch type confusion (Retbleed) */
#define CPUID_EXT8_EBX_IBPB_RET BIT(30) /* IBPB also clears the return address predictor */

/* CPUID.80000021:EAX (AMD APM Vol. 3 E.4.18; AMD "Technical Guidance for Mitigating
 * Effects of Speculative Return Stack Overflow"). */
#define CPUID_EXT21_EAX_IBPB_BRTYPE BIT(28) /* IBPB flushes all branch type predictions */
#define CPUID_EXT21_EAX_SRSO_NO BIT(29)

/* IA32_ARCH_CAPABILITIES (MSR 0x10a; SDM Vol. 4 table 2-2). */
#define ARCH_CAP_RDCL_NO BIT(0)            /* not affected by Meltdown / L1TF */
#define ARCH_CAP_IBRS_ALL BIT(1)           /* enhanced IBRS */
#define ARCH_CAP_RSBA BIT(2)               /* RET may use other predictors when the RSB is empty */
#define ARCH_CAP_SKIP_L1DFL_VMENTRY BIT(3) /* a VMM below Moat flushes L1D at entry itself */
#define ARCH_CAP_SSB_NO BIT(4)
#define ARCH_CAP_MDS_NO BIT(5)
#define ARCH_CAP_TAA_NO BIT(8)
#define ARCH_CAP_SBDR_SSDP_NO BIT(13)
#define ARCH_CAP_FBSDP_NO BIT(14)
#define ARCH_CAP_PSDP_NO BIT(15)
#define ARCH_CAP_FB_CLEAR BIT(17) /* VERW clears the fill buffers (MMIO stale data) */
#define ARCH_CAP_PBRSB_NO BIT(24) /* not affected by post-barrier RSB predictions */
#define ARCH_CAP_GDS_NO BIT(26)
#define ARCH_CAP_RFDS_NO BIT(27)
#define ARCH_CAP_RFDS_CLEAR BIT(28) /* VERW clears the register files */

/* IA32_SPEC_CTRL bits (MSR 0x48; SDM Vol. 4 table 2-2). */
#define SPEC_CTRL_IBRS BIT(0)
#define SPEC_CTRL_STIBP BIT(1)
#define SPEC_CTRL_SSBD BIT(2)

enum spec_vendor {
	SPEC_VENDOR_OTHER,
	SPEC_VENDOR_INTEL,
	SPEC_VENDOR_AMD,
};

/* What the CPU says about itself; leaves the CPU does not have are 0. */
struct spec_cpu {
	enum spec_vendor vendor;
	u32 family; /* display family and model (SDM Vol. 2A, CPUID leaf 1) */
	u32 model;
	u32 leaf7_ebx, leaf7_edx;
	u32 ext8_ebx, ext21_eax;
	u64 arch_capabilities; /* 0 unless CPUID.7.0:EDX.ARCH_CAPABILITIES */
};

/* How Moat's RETs are protected from return predictions a guest left behind. */
enum spec_rsb {
	SPEC_RSB_NONE, /* eIBRS and not affected by post-barrier RSB predictions */
	SPEC_RSB_LITE, /* eIBRS: one CALL retired before the first RET (PBRSB) */
	SPEC_RSB_FULL, /* every entry overwritten after each exit */
};

/* How IBRS protects Moat's own indirect branches and RETs, beside its retpolines. */
enum spec_ibrs {
	SPEC_IBRS_NONE,
	SPEC_IBRS_ENHANCED, /* set once at boot and kept while Moat runs */
	SPEC_IBRS_LEGACY,   /* set at every exit, the guest's value at every entry (Retbleed) */
};

struct spec_mitigations {
	/* What the CPU is affected by. */
	bool l1tf, mds, taa, mmio_stale_data, rfds, retbleed, srso;
	/* What Moat does. */
	bool ibpb_on_switch;    /* IBPB when a CPU switches from one guest to another */
	bool ibpb_on_exit;      /* IBPB after every exit (SRSO and Retbleed on AMD) */
	enum spec_rsb rsb;      /* RSB refill after every exit */
	enum spec_ibrs ibrs;
	bool l1d_flush_on_entry; /* IA32_FLUSH_CMD before every entry */
	bool verw_on_entry;      /* VERW before every entry */
	/* A mitigation that applies but that the microcode does not offer. */
	bool l1d_flush_missing, verw_missing, ibpb_missing, srso_ibpb_partial;
	/* SPEC_CTRL: Moat's own value, and what guests get. */
	bool spec_ctrl;           /* the CPU has IA32_SPEC_CTRL */
	u64 host_spec_ctrl;       /* while Moat runs */
	u64 guest_spec_ctrl_bits; /* bits a guest may set; others raise #GP */
	u64 guest_forced_bits;    /* kept set in the hardware while a guest runs */
	bool guest_pred_cmd;      /* a guest may write IBPB to IA32_PRED_CMD */
	u32 guest_leaf7_edx;      /* CPUID.7.0:EDX bits a guest sees */
	u32 guest_ext8_ebx;       /* CPUID.80000008:EBX bits a guest sees */
};

/* Decides the mitigations for cpu. */
void spec_decide(const struct spec_cpu *cpu, struct spec_mitigations *out);
/* The decision as the one boot line (after "mitigations: "); returns its length. */
int spec_describe(const struct spec_mitigations *m, char *buf, size_t size);

#endif
