// SPDX-License-Identifier: MIT
/* The MMIO instruction decoder (vmm/x86_decode.c): every ModRM/SIB addressing form in 16-,
 * 32- and 64-bit code (RIP-relative, SIB without base or index, disp8/disp32, REX.X/B),
 * operand-size, address-size, segment and REX prefixes, byte registers with and without REX,
 * immediates, moffs, MOVZX/MOVSX, lengths, the 15-byte limit, truncated and invalid or
 * unsupported encodings. Expected values are from SDM Vol. 2A tables 2-1 to 2-3. */
#include "test_support.h"

#include <moat/x86_decode.h>

#define NONE X86_NO_REGISTER

/* imm is given only by the cases that store an immediate. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct expect {
	const char *name;
	enum x86_code_size code;
	u8 bytes[16];
	u32 len;
	u8 length;
	enum x86_op op;
	u8 mem_size, reg_size, reg;
	bool high_byte;
	u8 base, index, scale;
	s64 displacement;
	bool rip_relative;
	u8 address_size;
	enum x86_segment segment;
	u64 imm;
};

#define C64 X86_CODE64
#define C32 X86_CODE32
#define C16 X86_CODE16

static const struct expect cases[] = {
	/* Linux readl/writel: mov eax, [rdi+disp32] / mov [rdx], eax */
	{ "readl disp32", C64, { 0x8b, 0x87, 0x20, 0x03, 0, 0 }, 6, 6, X86_OP_LOAD, 4, 4, 0,
	  false, 7, NONE, 1, 0x320, false, 8, X86_SEG_DS },
	{ "writel [rdx]", C64, { 0x89, 0x02 }, 2, 2, X86_OP_STORE, 4, 4, 0, false, 2, NONE, 1, 0,
	  false, 8, X86_SEG_DS },
	{ "writel disp8 r8d", C64, { 0x44, 0x89, 0x40, 0x10 }, 4, 4, X86_OP_STORE, 4, 4, 8,
	  false, 0, NONE, 1, 0x10, false, 8, X86_SEG_DS },
	{ "readq rex.w", C64, { 0x48, 0x8b, 0x06 }, 3, 3, X86_OP_LOAD, 8, 8, 0, false, 6, NONE,
	  1, 0, false, 8, X86_SEG_DS },
	{ "rex.rb r9 <- [r13+0]", C64, { 0x45, 0x8b, 0x4d, 0x00 }, 4, 4, X86_OP_LOAD, 4, 4, 9,
	  false, 13, NONE, 1, 0, false, 8, X86_SEG_DS },
	{ "rip-relative", C64, { 0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff }, 6, 6, X86_OP_LOAD, 4, 4, 0,
	  false, NONE, NONE, 1, -16, true, 8, X86_SEG_DS },
	{ "rip-relative, rex.b ignored", C64, { 0x41, 0x8b, 0x05, 1, 0, 0, 0 }, 7, 7,
	  X86_OP_LOAD, 4, 4, 0, false, NONE, NONE, 1, 1, true, 8, X86_SEG_DS },
	{ "sib base+index*4", C64, { 0x89, 0x04, 0x8b }, 3, 3, X86_OP_STORE, 4, 4, 0, false, 3,
	  1, 4, 0, false, 8, X86_SEG_DS },
	{ "sib rsp base is ss", C64, { 0x8b, 0x04, 0x24 }, 3, 3, X86_OP_LOAD, 4, 4, 0, false, 4,
	  NONE, 1, 0, false, 8, X86_SEG_SS },
	{ "sib rex.x r12 index", C64, { 0x42, 0x8b, 0x04, 0xa0 }, 4, 4, X86_OP_LOAD, 4, 4, 0,
	  false, 0, 12, 4, 0, false, 8, X86_SEG_DS },
	{ "sib no base disp32", C64, { 0x8b, 0x04, 0xcd, 0x00, 0x00, 0xc0, 0xfe }, 7, 7,
	  X86_OP_LOAD, 4, 4, 0, false, NONE, 1, 8, (s32)0xfec00000, false, 8, X86_SEG_DS },
	{ "sib no base no index (absolute)", C64, { 0x8b, 0x04, 0x25, 0x00, 0x00, 0xc0, 0xfe }, 7,
	  7, X86_OP_LOAD, 4, 4, 0, false, NONE, NONE, 1, (s32)0xfec00000, false, 8, X86_SEG_DS },
	{ "sib no base, rex.b: still none", C64, { 0x41, 0x8b, 0x04, 0x25, 1, 0, 0, 0 }, 8, 8,
	  X86_OP_LOAD, 4, 4, 0, false, NONE, NONE, 1, 1, false, 8, X86_SEG_DS },
	{ "sib rbp base disp8", C64, { 0x8b, 0x44, 0x25, 0x08 }, 4, 4, X86_OP_LOAD, 4, 4, 0,
	  false, 5, NONE, 1, 8, false, 8, X86_SEG_SS },
	{ "sib r13 base mod 01", C64, { 0x41, 0x8b, 0x44, 0x25, 0xf8 }, 5, 5, X86_OP_LOAD, 4, 4,
	  0, false, 13, NONE, 1, -8, false, 8, X86_SEG_DS },
	{ "disp32 mod 10 sib", C64, { 0x89, 0x84, 0x91, 0x00, 0x01, 0, 0 }, 7, 7, X86_OP_STORE,
	  4, 4, 0, false, 1, 2, 4, 0x100, false, 8, X86_SEG_DS },
	{ "store imm32", C64, { 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12 }, 6, 6, X86_OP_STORE_IMM, 4,
	  4, 0, false, 7, NONE, 1, 0, false, 8, X86_SEG_DS, 0x12345678 },
	{ "store imm32 disp8", C64, { 0xc7, 0x40, 0x10, 0xff, 0, 0, 0 }, 7, 7, X86_OP_STORE_IMM,
	  4, 4, 0, false, 0, NONE, 1, 0x10, false, 8, X86_SEG_DS, 0xff },
	{ "store imm32 sign-extended to 64", C64, { 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff }, 7,
	  7, X86_OP_STORE_IMM, 8, 8, 0, false, 0, NONE, 1, 0, false, 8, X86_SEG_DS,
	  0xfffffffffffffffeULL },
	{ "store imm16", C64, { 0x66, 0xc7, 0x00, 0x34, 0x12 }, 5, 5, X86_OP_STORE_IMM, 2, 2, 0,
	  false, 0, NONE, 1, 0, false, 8, X86_SEG_DS, 0x1234 },
	{ "store imm8", C64, { 0xc6, 0x40, 0x01, 0x80 }, 4, 4, X86_OP_STORE_IMM, 1, 1, 0, false,
	  0, NONE, 1, 1, false, 8, X86_SEG_DS, 0x80 },
	{ "store byte ah", C64, { 0x88, 0x20 }, 2, 2, X86_OP_STORE, 1, 1, 0, true, 0, NONE, 1, 0,
	  false, 8, X86_SEG_DS },
	{ "store byte spl (rex)", C64, { 0x40, 0x88, 0x20 }, 3, 3, X86_OP_STORE, 1, 1, 4, false,
	  0, NONE, 1, 0, false, 8, X86_SEG_DS },
	{ "load byte bh", C64, { 0x8a, 0x3e }, 2, 2, X86_OP_LOAD, 1, 1, 3, true, 6, NONE, 1, 0,
	  false, 8, X86_SEG_DS },
	{ "load word 66", C64, { 0x66, 0x8b, 0x07 }, 3, 3, X86_OP_LOAD, 2, 2, 0, false, 7, NONE,
	  1, 0, false, 8, X86_SEG_DS },
	{ "rex.w beats 66", C64, { 0x66, 0x48, 0x89, 0x07 }, 4, 4, X86_OP_STORE, 8, 8, 0, false,
	  7, NONE, 1, 0, false, 8, X86_SEG_DS },
	{ "rex before 66 is dropped", C64, { 0x48, 0x66, 0x89, 0x07 }, 4, 4, X86_OP_STORE, 2, 2,
	  0, false, 7, NONE, 1, 0, false, 8, X86_SEG_DS },
	{ "fs override", C64, { 0x64, 0x8b, 0x00 }, 3, 3, X86_OP_LOAD, 4, 4, 0, false, 0, NONE,
	  1, 0, false, 8, X86_SEG_FS },
	{ "gs override rbp base", C64, { 0x65, 0x8b, 0x45, 0x00 }, 4, 4, X86_OP_LOAD, 4, 4, 0,
	  false, 5, NONE, 1, 0, false, 8, X86_SEG_GS },
	{ "67 in 64-bit: 32-bit address", C64, { 0x67, 0x8b, 0x07 }, 3, 3, X86_OP_LOAD, 4, 4, 0,
	  false, 7, NONE, 1, 0, false, 4, X86_SEG_DS },
	{ "movzx byte", C64, { 0x0f, 0xb6, 0x07 }, 3, 3, X86_OP_MOVZX, 1, 4, 0, false, 7, NONE, 1,
	  0, false, 8, X86_SEG_DS },
	{ "movzx word to r10 (rex.wr)", C64, { 0x4c, 0x0f, 0xb7, 0x50, 0x02 }, 5, 5, X86_OP_MOVZX,
	  2, 8, 10, false, 0, NONE, 1, 2, false, 8, X86_SEG_DS },
	{ "movsx byte", C64, { 0x0f, 0xbe, 0x0e }, 3, 3, X86_OP_MOVSX, 1, 4, 1, false, 6, NONE, 1,
	  0, false, 8, X86_SEG_DS },
	{ "movsx word 16-bit dest", C64, { 0x66, 0x0f, 0xbf, 0x0e }, 4, 4, X86_OP_MOVSX, 2, 2, 1,
	  false, 6, NONE, 1, 0, false, 8, X86_SEG_DS },
	{ "moffs load eax 64", C64, { 0xa1, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0 }, 9, 9, X86_OP_LOAD, 4,
	  4, 0, false, NONE, NONE, 1, 0xfec00000, false, 8, X86_SEG_DS },
	{ "moffs store al 67", C64, { 0x67, 0xa2, 0x10, 0, 0xc0, 0xfe }, 6, 6, X86_OP_STORE, 1, 1,
	  0, false, NONE, NONE, 1, 0xfec00010, false, 4, X86_SEG_DS },
	/* 32-bit code: disp32 is absolute, 40-4F are INC/DEC (not REX). */
	{ "32: absolute disp32", C32, { 0x8b, 0x05, 0x20, 0x00, 0xe0, 0xfe }, 6, 6, X86_OP_LOAD,
	  4, 4, 0, false, NONE, NONE, 1, (s32)0xfee00020, false, 4, X86_SEG_DS },
	{ "32: store ebp+disp8 is ss", C32, { 0x89, 0x45, 0xfc }, 3, 3, X86_OP_STORE, 4, 4, 0,
	  false, 5, NONE, 1, -4, false, 4, X86_SEG_SS },
	{ "32: 66 word", C32, { 0x66, 0x89, 0x08 }, 3, 3, X86_OP_STORE, 2, 2, 1, false, 0, NONE,
	  1, 0, false, 4, X86_SEG_DS },
	{ "32: es override sib", C32, { 0x26, 0x8b, 0x14, 0x5e }, 4, 4, X86_OP_LOAD, 4, 4, 2,
	  false, 6, 3, 2, 0, false, 4, X86_SEG_ES },
	{ "32: moffs", C32, { 0xa3, 0x00, 0x00, 0xc0, 0xfe }, 5, 5, X86_OP_STORE, 4, 4, 0, false,
	  NONE, NONE, 1, 0xfec00000, false, 4, X86_SEG_DS },
	{ "32: 67 -> 16-bit addressing", C32, { 0x67, 0x8b, 0x07 }, 3, 3, X86_OP_LOAD, 4, 4, 0,
	  false, 3, NONE, 1, 0, false, 2, X86_SEG_DS },
	/* 16-bit code and addressing (table 2-1). */
	{ "16: [bx+si]", C16, { 0x8b, 0x00 }, 2, 2, X86_OP_LOAD, 2, 2, 0, false, 3, 6, 1, 0, false,
	  2, X86_SEG_DS },
	{ "16: [bp+di+disp8] is ss", C16, { 0x89, 0x4b, 0x02 }, 3, 3, X86_OP_STORE, 2, 2, 1,
	  false, 5, 7, 1, 2, false, 2, X86_SEG_SS },
	{ "16: disp16", C16, { 0x8b, 0x16, 0x34, 0x12 }, 4, 4, X86_OP_LOAD, 2, 2, 2, false, NONE,
	  NONE, 1, 0x1234, false, 2, X86_SEG_DS },
	{ "16: [bp+disp16]", C16, { 0x8b, 0x86, 0x00, 0x80 }, 4, 4, X86_OP_LOAD, 2, 2, 0, false, 5,
	  NONE, 1, -0x8000, false, 2, X86_SEG_SS },
	{ "16: 66 -> 32-bit operand", C16, { 0x66, 0x89, 0x07 }, 3, 3, X86_OP_STORE, 4, 4, 0,
	  false, 3, NONE, 1, 0, false, 2, X86_SEG_DS },
	{ "16: 67 -> sib", C16, { 0x67, 0x8b, 0x04, 0x24 }, 4, 4, X86_OP_LOAD, 2, 2, 0, false, 4,
	  NONE, 1, 0, false, 4, X86_SEG_SS },
	{ "16: imm16", C16, { 0xc7, 0x06, 0x00, 0x10, 0xcd, 0xab }, 6, 6, X86_OP_STORE_IMM, 2, 2,
	  0, false, NONE, NONE, 1, 0x1000, false, 2, X86_SEG_DS, 0xabcd },
	{ "16: moffs16", C16, { 0xa1, 0x20, 0x00 }, 3, 3, X86_OP_LOAD, 2, 2, 0, false, NONE, NONE,
	  1, 0x20, false, 2, X86_SEG_DS },
	/* Seven prefixes, then mov eax, [rax*1+disp32]. */
	{ "14 bytes", C64, { 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x8b, 0x04, 0x05, 1, 2, 3,
			     4 }, 14, 14, X86_OP_LOAD, 4, 4, 0, false, NONE, 0, 1, 0x04030201, false,
	  8, X86_SEG_DS },
};

static void check_case(const struct expect *e)
{
	struct x86_insn insn;
	enum x86_decode_result result = x86_decode(e->bytes, e->len, e->code, &insn);

	print_message("  %s\n", e->name);
	assert_int_equal(result, X86_DECODE_OK);
	assert_int_equal(insn.length, e->length);
	assert_int_equal(insn.op, e->op);
	assert_int_equal(insn.mem_size, e->mem_size);
	assert_int_equal(insn.reg_size, e->reg_size);
	assert_int_equal(insn.reg, e->reg);
	assert_int_equal(insn.high_byte, e->high_byte);
	assert_int_equal(insn.base, e->base);
	assert_int_equal(insn.index, e->index);
	assert_int_equal(insn.scale, e->scale);
	assert_int_equal(insn.displacement, e->displacement);
	assert_int_equal(insn.rip_relative, e->rip_relative);
	assert_int_equal(insn.address_size, e->address_size);
	assert_int_equal(insn.segment, e->segment);
	if (e->op == X86_OP_STORE_IMM)
		assert_int_equal(insn.imm, e->imm);
	/* Extra bytes after the instruction change nothing; one byte less truncates it. */
	{
		u8 longer[X86_MAX_INSTRUCTION_LENGTH + 1];
		struct x86_insn again;

		memset(longer, 0x90, sizeof(longer));
		memcpy(longer, e->bytes, e->len);
		assert_int_equal(x86_decode(longer, sizeof(longer), e->code, &again),
				 X86_DECODE_OK);
		assert_int_equal(again.length, e->length);
		assert_int_equal(x86_decode(e->bytes, e->length - 1, e->code, &again),
				 X86_DECODE_TRUNCATED);
	}
}

static void test_forms(void **state)
{
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
}

/* Every ModRM byte with a memory operand in 64-bit code: the length matches tables 2-2 and
 * 2-3 (1 + SIB + displacement), computed here independently. */
static void test_every_modrm_length(void **state)
{
	for (u32 modrm = 0; modrm < 0xc0; modrm++) {
		for (u32 sib = 0; sib < 0x100; sib++) {
			u8 bytes[8] = { 0x8b, (u8)modrm, (u8)sib, 0, 0, 0, 0, 0 };
			u32 mod = modrm >> 6, rm = modrm & 7, want = 2;
			struct x86_insn insn;

			if (rm == 4) {
				want++;
				if ((sib & 7) == 5 && mod == 0)
					want += 4;
			} else if (rm == 5 && mod == 0) {
				want += 4;
			}
			want += mod == 1 ? 1 : mod == 2 ? 4 : 0;
			assert_int_equal(x86_decode(bytes, sizeof(bytes), X86_CODE64, &insn),
					 X86_DECODE_OK);
			assert_int_equal(insn.length, want);
			if (rm != 4)
				break; /* the SIB byte only matters with rm 100 */
		}
	}
}

static void expect_result(const u8 *bytes, u32 len, enum x86_code_size code,
			  enum x86_decode_result want)
{
	struct x86_insn insn;

	assert_int_equal(x86_decode(bytes, len, code, &insn), want);
}

static void test_refused(void **state)
{
	static const u8 lock_mov[] = { 0xf0, 0x89, 0x07 };
	static const u8 rep_mov[] = { 0xf3, 0x89, 0x07 };
	static const u8 add_mem[] = { 0x01, 0x07 };	    /* add [rdi], eax */
	static const u8 or_mem[] = { 0x09, 0x07 };	    /* or [rdi], eax */
	static const u8 test_mem[] = { 0x85, 0x07 };	    /* test [rdi], eax */
	static const u8 xchg_mem[] = { 0x87, 0x07 };	    /* xchg [rdi], eax */
	static const u8 movs[] = { 0xa5 };		    /* movsd */
	static const u8 reg_form[] = { 0x89, 0xc0 };	    /* mov eax, eax: no memory */
	static const u8 movzx_reg[] = { 0x0f, 0xb6, 0xc0 }; /* movzx eax, al */
	static const u8 c7_not_0[] = { 0xc7, 0x08, 0, 0, 0, 0 };
	static const u8 cpuid[] = { 0x0f, 0xa2 };
	static const u8 inc_32[] = { 0x40, 0x8b, 0x07 };    /* inc eax in 32-bit code */
	u8 sixteen[16];

	expect_result(lock_mov, sizeof(lock_mov), X86_CODE64, X86_DECODE_INVALID);
	expect_result(rep_mov, sizeof(rep_mov), X86_CODE64, X86_DECODE_UNSUPPORTED);
	expect_result(add_mem, sizeof(add_mem), X86_CODE64, X86_DECODE_UNSUPPORTED);
	expect_result(or_mem, sizeof(or_mem), X86_CODE64, X86_DECODE_UNSUPPORTED);
	expect_result(test_mem, sizeof(test_mem), X86_CODE64, X86_DECODE_UNSUPPORTED);
	expect_result(xchg_mem, sizeof(xchg_mem), X86_CODE64, X86_DECODE_UNSUPPORTED);
	expect_result(movs, sizeof(movs), X86_CODE64, X86_DECODE_UNSUPPORTED);
	expect_result(reg_form, sizeof(reg_form), X86_CODE64, X86_DECODE_UNSUPPORTED);
	expect_result(movzx_reg, sizeof(movzx_reg), X86_CODE64, X86_DECODE_UNSUPPORTED);
	expect_result(c7_not_0, sizeof(c7_not_0), X86_CODE64, X86_DECODE_INVALID);
	expect_result(cpuid, sizeof(cpuid), X86_CODE64, X86_DECODE_UNSUPPORTED);
	expect_result(inc_32, sizeof(inc_32), X86_CODE32, X86_DECODE_UNSUPPORTED);
	expect_result(lock_mov, 0, X86_CODE64, X86_DECODE_TRUNCATED);
	expect_result(lock_mov + 1, 1, X86_CODE64, X86_DECODE_TRUNCATED);
	expect_result(lock_mov + 1, sizeof(lock_mov) - 1, 3, X86_DECODE_INVALID); /* no mode */
	/* 15 prefixes and no opcode, and 16-byte instructions: too long (#GP). */
	memset(sixteen, 0x66, sizeof(sixteen));
	expect_result(sixteen, sizeof(sixteen), X86_CODE64, X86_DECODE_INVALID);
	memset(sixteen, 0x3e, 9); /* 9 prefixes, 8b 04 05, disp32: 16 bytes */
	sixteen[9] = 0x8b, sixteen[10] = 0x04, sixteen[11] = 0x05;
	memset(sixteen + 12, 0, 4);
	expect_result(sixteen, sizeof(sixteen), X86_CODE64, X86_DECODE_INVALID);
	/* ... but 15 bytes exactly are fine. */
	expect_result(sixteen + 1, 15, X86_CODE64, X86_DECODE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_every_modrm_length),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
