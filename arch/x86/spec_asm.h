/* SPDX-License-Identifier: MIT */
/* The speculation barriers of the world switch (docs/speculation.md), shared by
 * svm_entry.S and vmx_entry.S, and the layout of the flags that turn them on: speculation.c
 * sets them once at boot from the decision in mitigations.c, so a CPU that needs none pays
 * a few tests and one LFENCE per exit. */
#ifndef MOAT_ARCH_X86_SPEC_ASM_H
#define MOAT_ARCH_X86_SPEC_ASM_H

/* Byte offsets in struct spec_entry_flags (speculation.c asserts them). */
#define SPEC_ENTRY_RSB_FULL 0
#define SPEC_ENTRY_RSB_LITE 1
#define SPEC_ENTRY_IBPB_EXIT 2
#define SPEC_ENTRY_VERW 3
#define SPEC_ENTRY_L1D_FLUSH 4

#define SPEC_RSB_ENTRIES 32 /* at least the RSB depth of any CPU Moat runs on */
#define SPEC_MSR_PRED_CMD 0x49
#define SPEC_PRED_CMD_IBPB 1

#ifdef __ASSEMBLER__
/* Overwrites every RSB entry with the address of a speculation trap (int3), then drops
 * the return addresses from the stack: a RET that underflows or mispredicts now goes
 * nowhere. Unrolled: 32 CALLs cost fewer instructions per exit than a loop of them. */
.macro SPEC_RSB_FILL
.rept SPEC_RSB_ENTRIES
	call 1f
	int3
1:
.endr
	addq $(SPEC_RSB_ENTRIES * 8), %rsp
.endm

/* Right after an exit, before the first RET: the IBPB (when \ibpb is 1 and the CPU needs
 * it), then the RSB refill or the single CALL eIBRS needs. The LFENCE at the end keeps a
 * mistrained branch from skipping them speculatively into a RET. Clobbers RAX, RCX, RDX. */
.macro SPEC_AFTER_EXIT ibpb
.if \ibpb
	testb $1, spec_entry+SPEC_ENTRY_IBPB_EXIT(%rip)
	jz .Lno_ibpb\@
	movl $SPEC_MSR_PRED_CMD, %ecx
	movl $SPEC_PRED_CMD_IBPB, %eax
	xorl %edx, %edx
	wrmsr
.Lno_ibpb\@:
.endif
	testb $1, spec_entry+SPEC_ENTRY_RSB_FULL(%rip)
	jz .Lno_full\@
	SPEC_RSB_FILL
	jmp .Lrsb_done\@
.Lno_full\@:
	testb $1, spec_entry+SPEC_ENTRY_RSB_LITE(%rip)
	jz .Lrsb_done\@
	call .Lrsb_lite\@
	int3
.Lrsb_lite\@:
	addq $8, %rsp
.Lrsb_done\@:
	lfence
.endm

/* Just before VMLAUNCH/VMRESUME, with the guest's registers loaded: VERW with a memory
 * operand naming a valid writable data segment clears the CPU buffers on CPUs with
 * MD_CLEAR (Intel "Microarchitectural Data Sampling", "Software sequences"). Clobbers
 * the flags only. */
.macro SPEC_VERW_BEFORE_ENTRY
	testb $1, spec_entry+SPEC_ENTRY_VERW(%rip)
	jz .Lno_verw\@
	verw spec_verw_selector(%rip)
.Lno_verw\@:
.endm
#endif

#endif
