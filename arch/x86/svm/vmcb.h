/* SPDX-License-Identifier: MIT */
/* The VMCB (AMD APM Vol. 2, appendix B: "Layout of VMCB"), SVM MSRs, intercept bits and
 * exit codes (appendix C). Only the SVM code includes this file. */
#ifndef MOAT_SVM_VMCB_H
#define MOAT_SVM_VMCB_H

#include <moat/types.h>

/* Segment register in the save area (APM B-2): attributes packed into 12 bits. */
struct vmcb_segment {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
} __packed;

/* Control area, table B-1. */
struct vmcb_control {
	u16 intercept_cr_read;  /* 0x000 */
	u16 intercept_cr_write; /* 0x002 */
	u16 intercept_dr_read;  /* 0x004 */
	u16 intercept_dr_write; /* 0x006 */
	u32 intercept_exceptions; /* 0x008 */
	u32 intercept_misc1;    /* 0x00c */
	u32 intercept_misc2;    /* 0x010 */
	u32 intercept_misc3;    /* 0x014 */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold; /* 0x03c */
	u16 pause_filter_count;     /* 0x03e */
	u64 iopm_base_pa;           /* 0x040 */
	u64 msrpm_base_pa;          /* 0x048 */
	u64 tsc_offset;             /* 0x050 */
	u32 guest_asid;             /* 0x058 */
	u8 tlb_control;             /* 0x05c */
	u8 reserved_05d[3];
	u64 vintr;          /* 0x060 */
	u64 interrupt_shadow; /* 0x068 */
	u64 exit_code;      /* 0x070 */
	u64 exit_info1;     /* 0x078 */
	u64 exit_info2;     /* 0x080 */
	u64 exit_int_info;  /* 0x088 */
	u64 nested_control; /* 0x090 */
	u64 avic_apic_bar;  /* 0x098 */
	u64 ghcb_pa;        /* 0x0a0 */
	u64 event_inject;   /* 0x0a8 */
	u64 nested_cr3;     /* 0x0b0 */
	u64 virt_ext;       /* 0x0b8 */
	u32 clean_bits;     /* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;       /* 0x0c8 */
	u8 instruction_length; /* 0x0d0 */
	u8 instruction_bytes[15];
	u8 reserved_0e0[0x400 - 0x0e0];
} __packed;
_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area is 1 KiB");

/* State save area, table B-2 (offsets from the start of the VMCB). */
struct vmcb_save {
	struct vmcb_segment es, cs, ss, ds, fs, gs; /* 0x400 .. 0x450 */
	struct vmcb_segment gdtr, ldtr, idtr, tr;   /* 0x460 .. 0x490 */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;      /* 0x4cb */
	u32 reserved_4cc;
	u64 efer;    /* 0x4d0 */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;     /* 0x548 */
	u64 cr3;     /* 0x550 */
	u64 cr0;     /* 0x558 */
	u64 dr7;     /* 0x560 */
	u64 dr6;     /* 0x568 */
	u64 rflags;  /* 0x570 */
	u64 rip;     /* 0x578 */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;     /* 0x5d8 */
	u64 s_cet;   /* 0x5e0 */
	u64 ssp;     /* 0x5e8 */
	u64 isst_addr; /* 0x5f0 */
	u64 rax;     /* 0x5f8 */
	u64 star;    /* 0x600 */
	u64 lstar;   /* 0x608 */
	u64 cstar;   /* 0x610 */
	u64 sfmask;  /* 0x618 */
	u64 kernel_gs_base; /* 0x620 */
	u64 sysenter_cs;    /* 0x628 */
	u64 sysenter_esp;   /* 0x630 */
	u64 sysenter_eip;   /* 0x638 */
	u64 cr2;     /* 0x640 */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;   /* 0x668 */
	u64 debugctl; /* 0x670 */
	u64 br_from; /* 0x678 */
	u64 br_to;   /* 0x680 */
	u64 last_exception_from; /* 0x688 */
	u64 last_exception_to;   /* 0x690 */
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
	u8 reserved[4096 - 0x400 - sizeof(struct vmcb_save)];
} __packed;

_Static_assert(sizeof(struct vmcb) == 4096, "a VMCB is one 4 KiB page");
_Static_assert(__builtin_offsetof(struct vmcb, save.cs) == 0x410, "APM B-2: CS at 0x410");
_Static_assert(__builtin_offsetof(struct vmcb, save.tr) == 0x490, "APM B-2: TR at 0x490");
_Static_assert(__builtin_offsetof(struct vmcb, save.cpl) == 0x4cb, "APM B-2: CPL at 0x4cb");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4d0, "APM B-2: EFER at 0x4d0");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "APM B-2: CR4 at 0x548");
_Static_assert(__builtin_offsetof(struct vmcb, save.rip) == 0x578, "APM B-2: RIP at 0x578");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5d8, "APM B-2: RSP at 0x5d8");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5f8, "APM B-2: RAX at 0x5f8");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "APM B-2: CR2 at 0x640");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "APM B-2: G_PAT at 0x668");

/* Intercept vector 3 (offset 0x00c), APM table B-1. */
#define SVM_INTERCEPT_INTR BIT(0)
#define SVM_INTERCEPT_NMI BIT(1)
#define SVM_INTERCEPT_INIT BIT(3)
#define SVM_INTERCEPT_VINTR BIT(4)
#define SVM_INTERCEPT_RDPMC BIT(15)
#define SVM_INTERCEPT_CPUID BIT(18)
#define SVM_INTERCEPT_INVD BIT(22)
#define SVM_INTERCEPT_HLT BIT(24)
#define SVM_INTERCEPT_INVLPGA BIT(26)
#define SVM_INTERCEPT_IOIO_PROT BIT(27)
#define SVM_INTERCEPT_MSR_PROT BIT(28)
#define SVM_INTERCEPT_FERR_FREEZE BIT(30)
#define SVM_INTERCEPT_SHUTDOWN BIT(31)
/* Intercept vector 4 (offset 0x010). */
#define SVM_INTERCEPT_VMRUN BIT(0)
#define SVM_INTERCEPT_VMMCALL BIT(1)
#define SVM_INTERCEPT_VMLOAD BIT(2)
#define SVM_INTERCEPT_VMSAVE BIT(3)
#define SVM_INTERCEPT_STGI BIT(4)
#define SVM_INTERCEPT_CLGI BIT(5)
#define SVM_INTERCEPT_SKINIT BIT(6)
#define SVM_INTERCEPT_WBINVD BIT(9)
#define SVM_INTERCEPT_MONITOR BIT(10)
#define SVM_INTERCEPT_MWAIT BIT(11)
#define SVM_INTERCEPT_MWAIT_ARMED BIT(12)
#define SVM_INTERCEPT_XSETBV BIT(13)
#define SVM_INTERCEPT_RDPRU BIT(14)

#define SVM_VINTR_TPR_MASK 0xfULL /* V_TPR: the guest's CR8, what its MOV CR8 reads and writes */
#define SVM_TPR_CLASS_SHIFT 4     /* CR8 = TPR[7:4] */
#define SVM_VINTR_MASKING BIT(24)  /* V_INTR_MASKING: host IF governs physical interrupts */
/* A virtual interrupt used only to learn when the guest can take one (APM 15.21.4): V_IRQ,
 * highest priority V_INTR_PRIO, V_IGN_TPR; its VINTR intercept fires before delivery. */
#define SVM_VINTR_WINDOW (BIT(8) | (0xfULL << 16) | BIT(20))
#define SVM_NESTED_CTL_NP_ENABLE BIT(0)
#define SVM_TLB_CONTROL_FLUSH_ALL 1
#define SVM_TLB_CONTROL_FLUSH_ASID 3 /* this guest's ASID only (APM 15.16.2) */
#define SVM_INTERRUPT_SHADOW BIT(0)   /* INTERRUPT_SHADOW: STI/MOV SS blocking (APM 15.21.5) */

/* EVENTINJ / EXITINTINFO (APM 15.20). */
#define SVM_EVENT_VALID BIT(31)
#define SVM_EVENT_ERROR_VALID BIT(11)
#define SVM_EVENT_TYPE_EXCEPTION (3u << 8)
#define SVM_EVENT_TYPE_INTR (0u << 8) /* external or virtual interrupt (APM 15.20) */
#define SVM_EVENT_ERROR_SHIFT 32

/* IOIO EXITINFO1 (APM 15.10.2, figure 15-2). */
#define SVM_IOIO_TYPE_IN BIT(0)
#define SVM_IOIO_STRING BIT(2)
#define SVM_IOIO_REP BIT(3)
#define SVM_IOIO_SIZE_SHIFT 4 /* SZ8, SZ16, SZ32 one-hot in bits 4-6 */
#define SVM_IOIO_SIZE_MASK 0x7
#define SVM_IOIO_PORT_SHIFT 16

/* #NPF EXITINFO1 (APM 15.25.6): a page-fault style error code. */
#define SVM_NPF_WRITE BIT(1)
#define SVM_NPF_FETCH BIT(4)
#define SVM_NPF_PAGE_WALK BIT(33) /* while translating the guest's page tables */

/* CR intercepts (APM 15.9) and their decode assist in EXITINFO1 (CPUID 0x8000000A EDX[7]). */
#define SVM_INTERCEPT_CR4 BIT(4)
#define SVM_CR_DECODE_VALID BIT(63)
#define SVM_CR_DECODE_GPR_MASK 0xf

/* Exit codes (APM appendix C). */
#define SVM_EXIT_WRITE_CR4 0x014
#define SVM_EXIT_EXCEPTION_FIRST 0x040 /* 0x40 + vector: an intercepted exception */
#define SVM_EXIT_EXCEPTION_LAST 0x05f
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_RDPMC 0x06f
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPGA 0x07a
#define SVM_EXIT_IOIO 0x07b
#define SVM_EXIT_MSR 0x07c
#define SVM_EXIT_FERR_FREEZE 0x07e
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_WBINVD 0x089
#define SVM_EXIT_MONITOR 0x08a
#define SVM_EXIT_MWAIT 0x08b
#define SVM_EXIT_MWAIT_ARMED 0x08c
#define SVM_EXIT_XSETBV 0x08d
#define SVM_EXIT_RDPRU 0x08e
#define SVM_EXIT_NPF 0x400
/* VMEXIT_INVALID is -1; QEMU reports it as 0x00000000ffffffff, so compare 32 bits. */
#define SVM_EXIT_INVALID_LOW32 0xffffffffu

/* MSRs and CPUID (APM 15.30, 15.4). */
#define MSR_VM_CR 0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117
#define VM_CR_SVMDIS BIT(4)
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT1_ECX_SVM BIT(2)
#define CPUID_EXT1_EDX_PDPE1GB BIT(26)
#define CPUID_SVM_FEATURES 0x8000000au
#define CPUID_SVM_EDX_NP BIT(0)
#define CPUID_SVM_EDX_NRIPS BIT(3)
#define CPUID_SVM_EDX_FLUSH_BY_ASID BIT(6)

/* Segment attribute encodings in VMCB form (descriptor bits 40-47 and 52-55). */
#define SVM_ATTR_CODE32 0x0c9b  /* G, D, P, S, type execute/read accessed */
#define SVM_ATTR_DATA32 0x0c93  /* G, B, P, S, type read/write accessed */
#define SVM_ATTR_TSS32_BUSY 0x008b
#define SVM_ATTR_CODE64 0x0a9b  /* G, L, P, S, type execute/read accessed (D must be 0) */
#define SVM_ATTR_CODE16 0x009b  /* P, S, type execute/read accessed: real mode after SIPI */
#define SVM_ATTR_DATA16 0x0093  /* P, S, type read/write accessed */
#define SVM_ATTR_LDT 0x0082

#define SVM_IOPM_SIZE (12 * 1024)
#define SVM_MSRPM_SIZE (8 * 1024)

#endif
