// SPDX-License-Identifier: MIT
/* SVM exits in generic terms, and moving RIP past an intercepted instruction. QEMU's TCG
 * has no next-RIP save (APM 15.7.1), so lengths are decoded from guest memory when needed. */
#include <moat/exit.h>
#include <moat/guest_walk.h>
#include <moat/string.h>
#include <moat/vm.h>
#include <moat/x86.h>

#include "svm.h"

#define X86_MAX_INSTRUCTION 15
#define OPCODE_ESCAPE 0x0f
#define REX_FIRST 0x40
#define REX_LAST 0x4f
#define REX_R BIT(2) /* extends ModRM.reg (SDM Vol. 2A 2.2.1.2) */
#define REX_B BIT(0) /* extends ModRM.rm */
#define OPCODE_MOV_TO_CR 0x22 /* 0F 22 /r: MOV CRn, r32/r64 */
#define MODRM_REG_SHIFT 3
#define MODRM_FIELD_MASK 0x7

struct svm_exit_name {
	u32 code;
	const char *name;
};

/* Instructions a guest may never run: each stops the guest. */
static const struct svm_exit_name svm_forbidden[] = {
	{ SVM_EXIT_VMRUN, "VMRUN" },	   { SVM_EXIT_VMLOAD, "VMLOAD" },
	{ SVM_EXIT_VMSAVE, "VMSAVE" },	   { SVM_EXIT_STGI, "STGI" },
	{ SVM_EXIT_CLGI, "CLGI" },	   { SVM_EXIT_SKINIT, "SKINIT" },
	{ SVM_EXIT_INVLPGA, "INVLPGA" },   { SVM_EXIT_INVD, "INVD" },
	{ SVM_EXIT_MONITOR, "MONITOR" },   { SVM_EXIT_MWAIT, "MWAIT" },
	{ SVM_EXIT_MWAIT_ARMED, "MWAIT" }, { SVM_EXIT_RDPRU, "RDPRU" },
	{ SVM_EXIT_FERR_FREEZE, "FERR_FREEZE" },
};

static const char *svm_forbidden_name(u64 code)
{
	for (u32 i = 0; i < ARRAY_SIZE(svm_forbidden); i++)
		if (svm_forbidden[i].code == code)
			return svm_forbidden[i].name;
	return NULL;
}

static void svm_translate_io(u64 info1, struct vm_exit_io *io)
{
	u32 size_bits = (info1 >> SVM_IOIO_SIZE_SHIFT) & SVM_IOIO_SIZE_MASK;

	io->port = (u16)(info1 >> SVM_IOIO_PORT_SHIFT);
	io->size = size_bits == 4 ? 4 : size_bits == 2 ? 2 : 1;
	io->in = info1 & SVM_IOIO_TYPE_IN;
	io->string = info1 & SVM_IOIO_STRING;
	io->rep = info1 & SVM_IOIO_REP;
}

void svm_translate_exit(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct svm_vcpu *svm = svm_of(vcpu);
	const struct vmcb_control *c = &svm->vmcb->control;
	u64 code = c->exit_code;
	const char *forbidden;

	/* Only the fields of the exit's kind are set: this is the hot path of every exit. */
	exit->vendor_reason = code;
	switch (code) {
	case SVM_EXIT_CPUID:
		exit->kind = VM_EXIT_CPUID;
		break;
	case SVM_EXIT_IOIO:
		exit->kind = VM_EXIT_IO;
		svm_translate_io(c->exit_info1, &exit->io);
		svm->io_next_rip = c->exit_info2;
		break;
	case SVM_EXIT_MSR:
		exit->kind = c->exit_info1 ? VM_EXIT_MSR_WRITE : VM_EXIT_MSR_READ;
		exit->msr.index = (u32)vcpu->regs.rcx;
		break;
	case SVM_EXIT_HLT:
		exit->kind = VM_EXIT_HLT;
		break;
	case SVM_EXIT_VMMCALL:
		exit->kind = VM_EXIT_HYPERCALL;
		break;
	case SVM_EXIT_NPF:
		exit->kind = VM_EXIT_NESTED_FAULT;
		exit->fault.gpa = c->exit_info2;
		exit->fault.access = c->exit_info1 & SVM_NPF_FETCH	 ? PT_EXEC
				     : c->exit_info1 & SVM_NPF_WRITE ? PT_WRITE
								     : PT_READ;
		exit->fault.page_walk = c->exit_info1 & SVM_NPF_PAGE_WALK;
		break;
	case SVM_EXIT_SHUTDOWN:
		exit->kind = VM_EXIT_SHUTDOWN;
		break;
	case SVM_EXIT_WBINVD:
		exit->kind = VM_EXIT_WBINVD;
		break;
	case SVM_EXIT_WRITE_CR4:
		if (svm_emulate_cr4_write(vcpu)) {
			exit->kind = VM_EXIT_COMPLETED;
		} else {
			exit->kind = VM_EXIT_INVALID_STATE;
			exit->info.what = "intercepted MOV to CR4 could not be decoded";
			exit->info.detail = vcpu->regs.rip;
		}
		break;
	case SVM_EXIT_RDPMC:
		exit->kind = VM_EXIT_RDPMC;
		break;
	case SVM_EXIT_XSETBV:
		exit->kind = VM_EXIT_XSETBV;
		break;
	case SVM_EXIT_VINTR:
		/* The guest can take the requested interrupt now: the next entry injects it. */
		svm_set_interrupt_window(&svm->vmcb->control, false);
		exit->kind = VM_EXIT_HOST_EVENT;
		break;
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
		exit->kind = VM_EXIT_HOST_EVENT;
		break;
	case SVM_EXIT_EXCEPTION_FIRST ... SVM_EXIT_EXCEPTION_LAST:
		/* The CPU has updated DR6 and DR7 in the VMCB for a #DB as for its delivery, so
		 * injecting it again is what the guest would have seen (APM 15.12). EXITINFO1
		 * holds the error code of an exception that has one (#AC: 0). */
		exit->kind = VM_EXIT_EXCEPTION;
		exit->exception.vector = (u8)(code - SVM_EXIT_EXCEPTION_FIRST);
		exit->exception.has_error_code = exit->exception.vector == X86_VECTOR_AC;
		exit->exception.error_code = (u32)c->exit_info1;
		break;
	default:
		forbidden = svm_forbidden_name(code);
		if (forbidden) {
			exit->kind = VM_EXIT_FORBIDDEN;
			exit->info.what = forbidden;
			exit->info.detail = code;
			return;
		}
		if ((u32)code == SVM_EXIT_INVALID_LOW32) {
			exit->kind = VM_EXIT_INVALID_STATE;
			exit->info.what = "VMRUN refused the VMCB (VMEXIT_INVALID)";
		} else {
			exit->kind = VM_EXIT_UNKNOWN;
			exit->info.what = "svm";
		}
		exit->info.detail = code;
		break;
	}
}

/* The opcode bytes (after prefixes) and the length of each instruction Moat intercepts and
 * completes: CPUID 0F A2, RDMSR 0F 32, WRMSR 0F 30, VMMCALL 0F 01 D9, WBINVD 0F 09, XSETBV
 * 0F 01 D1, HLT F4. */
static const u8 *svm_expected_opcode(const struct vm_exit *exit, u32 *len)
{
	static const u8 cpuid[] = { OPCODE_ESCAPE, 0xa2 }, rdmsr[] = { OPCODE_ESCAPE, 0x32 },
			wrmsr[] = { OPCODE_ESCAPE, 0x30 },
			vmmcall[] = { OPCODE_ESCAPE, 0x01, 0xd9 }, wbinvd[] = { OPCODE_ESCAPE, 0x09 },
			xsetbv[] = { OPCODE_ESCAPE, 0x01, 0xd1 }, hlt[] = { 0xf4 };

	switch (exit->kind) {
	case VM_EXIT_CPUID:
		*len = sizeof(cpuid);
		return cpuid;
	case VM_EXIT_MSR_READ:
		*len = sizeof(rdmsr);
		return rdmsr;
	case VM_EXIT_MSR_WRITE:
		*len = sizeof(wrmsr);
		return wrmsr;
	case VM_EXIT_HYPERCALL:
		*len = sizeof(vmmcall);
		return vmmcall;
	case VM_EXIT_WBINVD:
		*len = sizeof(wbinvd);
		return wbinvd;
	case VM_EXIT_XSETBV:
		*len = sizeof(xsetbv);
		return xsetbv;
	default:
		*len = sizeof(hlt);
		return hlt;
	}
}

static bool is_legacy_prefix(u8 byte)
{
	switch (byte) {
	case 0xf0: case 0xf2: case 0xf3:	/* LOCK, REPNE, REP */
	case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65: /* segments */
	case 0x66: case 0x67:			/* operand and address size */
		return true;
	default:
		return false;
	}
}

/* Copies the bytes at CS:RIP through the guest's page tables (vmm/guest_walk.c). Returns
 * how many could be read. */
static u32 svm_fetch_code(struct vcpu *vcpu, u8 *bytes)
{
	const struct vmcb_save *s = &svm_of(vcpu)->vmcb->save;
	struct guest_paging paging = { .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4,
				       .efer = s->efer, .cpl = s->cpl };
	bool long_mode = s->efer & EFER_LMA;
	u64 linear = long_mode ? s->cs.base + vcpu->regs.rip : (u32)(s->cs.base + vcpu->regs.rip);

	return guest_fetch(&vcpu->vm->memory, &paging, linear, bytes, X86_MAX_INSTRUCTION, NULL);
}

/* How many legacy prefixes (and, in long mode, REX prefixes) start bytes; *rex is the last
 * REX byte, or 0. */
static u32 svm_skip_prefixes(struct vcpu *vcpu, const u8 *bytes, u32 fetched, u8 *rex)
{
	bool long_mode = svm_of(vcpu)->vmcb->save.efer & EFER_LMA;
	u32 i = 0;

	*rex = 0;
	while (i < fetched && (is_legacy_prefix(bytes[i]) ||
			       (long_mode && bytes[i] >= REX_FIRST && bytes[i] <= REX_LAST))) {
		/* A REX prefix counts only right before the opcode (SDM Vol. 2A 2.2.1). */
		*rex = bytes[i] >= REX_FIRST && bytes[i] <= REX_LAST ? bytes[i] : 0;
		i++;
	}
	return i;
}

static u32 svm_instruction_length(struct vcpu *vcpu, const struct vm_exit *exit)
{
	u8 bytes[X86_MAX_INSTRUCTION], rex;
	u32 opcode_len, fetched = svm_fetch_code(vcpu, bytes), i, n;
	const u8 *opcode = svm_expected_opcode(exit, &opcode_len);

	i = svm_skip_prefixes(vcpu, bytes, fetched, &rex);
	if (i + opcode_len > fetched)
		return opcode_len;
	for (n = 0; n < opcode_len && bytes[i + n] == opcode[n]; n++)
		;
	return n == opcode_len ? i + opcode_len : opcode_len;
}

/* MOV to CR4 (0F 22 /r, SDM Vol. 2B): the source register, from the decode assist when the
 * CPU has one (APM 15.9, decode assists: EXITINFO1 bit 63 valid, bits 3:0 the GPR) and
 * next-RIP save,
 * otherwise decoded from the instruction bytes (ModRM.reg is 4, ModRM.rm with REX.B the GPR;
 * the mod field is ignored, APM Vol. 3 MOV CRn). Returns false when it cannot be decoded. */
static bool svm_decode_cr4_write(struct vcpu *vcpu, u32 *gpr, u64 *next_rip)
{
	struct svm_vcpu *svm = svm_of(vcpu);
	u64 info1 = svm->vmcb->control.exit_info1;
	u8 bytes[X86_MAX_INSTRUCTION], rex, modrm;
	u32 fetched, i;

	if ((info1 & SVM_CR_DECODE_VALID) && svm->nrips) {
		*gpr = info1 & SVM_CR_DECODE_GPR_MASK;
		*next_rip = svm->vmcb->control.next_rip;
		return true;
	}
	fetched = svm_fetch_code(vcpu, bytes);
	i = svm_skip_prefixes(vcpu, bytes, fetched, &rex);
	if (i + 3 > fetched || bytes[i] != OPCODE_ESCAPE || bytes[i + 1] != OPCODE_MOV_TO_CR)
		return false;
	modrm = bytes[i + 2];
	if (((modrm >> MODRM_REG_SHIFT) & MODRM_FIELD_MASK) != 4 || (rex & REX_R))
		return false;
	*gpr = (modrm & MODRM_FIELD_MASK) + (rex & REX_B ? 8 : 0);
	*next_rip = vcpu->regs.rip + i + 3;
	return true;
}

/* Completes an intercepted MOV to CR4 that vmm/cr4.c allows, or raises #GP. Outside 64-bit
 * mode the source is the register's low 32 bits. */
bool svm_emulate_cr4_write(struct vcpu *vcpu)
{
	struct svm_vcpu *svm = svm_of(vcpu);
	u64 value, next_rip;
	u32 gpr;

	if (!svm_decode_cr4_write(vcpu, &gpr, &next_rip))
		return false;
	value = (&vcpu->regs.rax)[gpr];
	if (!(svm->vmcb->save.efer & EFER_LMA))
		value = (u32)value;
	if (!cr4_guest_write(vcpu, value)) {
		svm_ops.inject_exception(vcpu, X86_VECTOR_GP, true, 0);
		return true;
	}
	svm->vmcb->save.cr4 = value;
	/* MOV to CR4 flushes the TLB as PGE, PAE, PSE, PCIDE or SMEP change (SDM Vol. 3
	 * 4.10.4.1); a fresh ASID at the next VMRUN does that for every write. */
	svm_asid_forget(&svm->asid);
	vcpu->regs.rip = next_rip;
	svm->vmcb->control.interrupt_shadow &= ~(u64)SVM_INTERRUPT_SHADOW;
	return true;
}

void svm_advance_rip(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct svm_vcpu *svm = svm_of(vcpu);

	if (exit->kind == VM_EXIT_IO)
		vcpu->regs.rip = svm->io_next_rip;
	else if (svm->nrips)
		vcpu->regs.rip = svm->vmcb->control.next_rip;
	else
		vcpu->regs.rip += svm_instruction_length(vcpu, exit);
	/* The instruction retired: an STI/MOV SS shadow it sat in ends with it. */
	svm->vmcb->control.interrupt_shadow &= ~(u64)SVM_INTERRUPT_SHADOW;
}
