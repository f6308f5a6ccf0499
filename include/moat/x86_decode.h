/* SPDX-License-Identifier: MIT */
/* A decoder for the x86 instructions guests use on device registers (vmm/x86_decode.c):
 * MOV to and from memory with register, immediate and moffs operands, MOVZX and MOVSX. Pure
 * computation over bytes the caller fetched; vendor-neutral (SDM Vol. 2A chapter 2). */
#ifndef MOAT_X86_DECODE_H
#define MOAT_X86_DECODE_H

#include <moat/types.h>

#define X86_MAX_INSTRUCTION_LENGTH 15 /* longer raises #GP (SDM Vol. 2A 2.3.11) */
#define X86_NO_REGISTER 0xff	      /* no base or no index register */

/* The default operand and address size of the code segment (SDM Vol. 3 3.4.5, 5.2.1). */
enum x86_code_size {
	X86_CODE16 = 2,
	X86_CODE32 = 4,
	X86_CODE64 = 8,
};

enum x86_decode_result {
	X86_DECODE_OK,
	X86_DECODE_TRUNCATED,	/* the bytes end before the instruction does */
	X86_DECODE_UNSUPPORTED, /* a valid instruction this decoder does not emulate */
	X86_DECODE_INVALID,	/* no instruction: longer than 15 bytes, LOCK on a MOV, ... */
};

enum x86_op {
	X86_OP_STORE,	  /* MOV m, r: 88, 89, A2, A3 */
	X86_OP_STORE_IMM, /* MOV m, imm: C6 /0, C7 /0 */
	X86_OP_LOAD,	  /* MOV r, m: 8A, 8B, A0, A1 */
	X86_OP_MOVZX,	  /* MOVZX r, m8/m16: 0F B6, 0F B7 */
	X86_OP_MOVSX,	  /* MOVSX r, m8/m16: 0F BE, 0F BF */
};

/* Segment registers in their encoding order (SDM Vol. 2A 3.1.1.3, Sreg). */
enum x86_segment {
	X86_SEG_ES,
	X86_SEG_CS,
	X86_SEG_SS,
	X86_SEG_DS,
	X86_SEG_FS,
	X86_SEG_GS,
};

struct x86_insn {
	u8 length;	   /* bytes, prefixes included */
	enum x86_op op;
	u8 mem_size;	   /* bytes the memory operand has: 1, 2, 4 or 8 */
	u8 reg_size;	   /* bytes of the register operand (MOVZX/MOVSX: the destination) */
	u8 reg;		   /* the register operand, 0-15 in struct vcpu_regs order */
	bool high_byte;	   /* reg 4-7 of a byte operand without REX: AH, CH, DH, BH */
	u64 imm;	   /* X86_OP_STORE_IMM: the immediate, sign-extended to mem_size */
	u8 address_size;   /* 2, 4 or 8 */
	enum x86_segment segment; /* the prefix, or the default for the addressing form */
	bool segment_override;
	/* The memory operand: base + index * scale + displacement, or RIP-relative (relative
	 * to the next instruction), or an absolute moffs (no base, no index). */
	u8 base, index;	   /* 0-15, or X86_NO_REGISTER */
	u8 scale;	   /* 1, 2, 4 or 8 */
	bool rip_relative;
	s64 displacement;  /* sign-extended; a moffs or 32-bit disp in 64-bit mode as given */
};

/* Decodes the instruction at the start of bytes[0..len) in code of the given size. */
enum x86_decode_result x86_decode(const u8 *bytes, u32 len, enum x86_code_size code,
				  struct x86_insn *insn);

#endif
