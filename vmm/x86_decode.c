// SPDX-License-Identifier: MIT
/* Decodes the MOV forms guests use on device registers (include/moat/x86_decode.h): legacy
 * and REX prefixes, ModRM and SIB in 16-, 32- and 64-bit addressing, displacements and
 * immediates (SDM Vol. 2A chapter 2, Vol. 2B MOV, MOVZX, MOVSX). Every read of bytes is
 * bounded by len; nothing here trusts the guest's bytes. */
#include <moat/string.h>
#include <moat/x86_decode.h>

/* Legacy prefixes (SDM Vol. 2A 2.1.1). */
#define PREFIX_LOCK 0xf0
#define PREFIX_REPNE 0xf2
#define PREFIX_REP 0xf3
#define PREFIX_ES 0x26
#define PREFIX_CS 0x2e
#define PREFIX_SS 0x36
#define PREFIX_DS 0x3e
#define PREFIX_FS 0x64
#define PREFIX_GS 0x65
#define PREFIX_OPERAND_SIZE 0x66
#define PREFIX_ADDRESS_SIZE 0x67

/* REX (SDM Vol. 2A 2.2.1): 0100WRXB, only in 64-bit mode and only right before the opcode. */
#define REX_MASK 0xf0
#define REX_BASE 0x40
#define REX_W BIT(3)
#define REX_R BIT(2)
#define REX_X BIT(1)
#define REX_B BIT(0)

/* ModRM and SIB fields (SDM Vol. 2A 2.1.3, tables 2-1 to 2-3). */
#define MODRM_MOD(b) ((b) >> 6)
#define MODRM_REG(b) (((b) >> 3) & 7)
#define MODRM_RM(b) ((b) & 7)
#define MOD_NO_DISP 0
#define MOD_DISP8 1
#define MOD_DISP_FULL 2
#define MOD_REGISTER 3
#define RM_SIB 4	   /* 32/64-bit: a SIB byte follows */
#define RM_DISP32 5	   /* 32/64-bit, mod 00: disp32 (RIP-relative in 64-bit mode) */
#define RM16_DISP16 6	   /* 16-bit, mod 00: disp16 */
#define SIB_NO_INDEX 4	   /* index 100 without REX.X */
#define SIB_NO_BASE 5	   /* base 101 with mod 00: disp32, no base */

/* Register numbers (SDM Vol. 2A table 2-2 order, struct vcpu_regs order). */
#define REG_RBX 3
#define REG_RSP 4
#define REG_RBP 5
#define REG_RSI 6
#define REG_RDI 7

/* Opcodes (SDM Vol. 2B MOV, MOVZX, MOVSX). */
#define OP_MOV_RM8_R8 0x88
#define OP_MOV_RM_R 0x89
#define OP_MOV_R8_RM8 0x8a
#define OP_MOV_R_RM 0x8b
#define OP_MOV_AL_MOFFS 0xa0
#define OP_MOV_AX_MOFFS 0xa1
#define OP_MOV_MOFFS_AL 0xa2
#define OP_MOV_MOFFS_AX 0xa3
#define OP_MOV_RM8_IMM8 0xc6
#define OP_MOV_RM_IMM 0xc7
#define OP_ESCAPE 0x0f
#define OP2_MOVZX_8 0xb6
#define OP2_MOVZX_16 0xb7
#define OP2_MOVSX_8 0xbe
#define OP2_MOVSX_16 0xbf

struct decode_state {
	const u8 *bytes;
	u32 len, pos;
	enum x86_code_size code;
	u8 rex;
	u8 operand_size;
	bool truncated;
};

static u8 decode_byte(struct decode_state *s)
{
	if (s->pos >= s->len) {
		s->truncated = true;
		return 0;
	}
	return s->bytes[s->pos++];
}

/* A little-endian field of size bytes, sign-extended. */
static s64 decode_signed(struct decode_state *s, u32 size)
{
	u64 value = 0;

	for (u32 i = 0; i < size; i++)
		value |= (u64)decode_byte(s) << (8 * i);
	if (size < sizeof(value) && (value & (1ULL << (8 * size - 1))))
		value |= ~0ULL << (8 * size);
	return (s64)value;
}

static bool is_segment_prefix(u8 byte, enum x86_segment *segment)
{
	static const struct {
		u8 prefix;
		enum x86_segment segment;
	} map[] = {
		{ PREFIX_ES, X86_SEG_ES }, { PREFIX_CS, X86_SEG_CS }, { PREFIX_SS, X86_SEG_SS },
		{ PREFIX_DS, X86_SEG_DS }, { PREFIX_FS, X86_SEG_FS }, { PREFIX_GS, X86_SEG_GS },
	};

	for (u32 i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].prefix == byte) {
			*segment = map[i].segment;
			return true;
		}
	return false;
}

/* Legacy prefixes in any order and number, then in 64-bit mode one REX; a REX followed by
 * another prefix is ignored (SDM Vol. 2A 2.2.1). */
static enum x86_decode_result decode_prefixes(struct decode_state *s, struct x86_insn *insn)
{
	bool operand_prefix = false, address_prefix = false;

	for (;;) {
		enum x86_segment segment;
		u8 byte;

		if (s->pos >= s->len) {
			s->truncated = true;
			return X86_DECODE_TRUNCATED;
		}
		byte = s->bytes[s->pos];
		if (s->code == X86_CODE64 && (byte & REX_MASK) == REX_BASE) {
			s->rex = byte;
			s->pos++;
			continue;
		}
		if (byte == PREFIX_OPERAND_SIZE)
			operand_prefix = true;
		else if (byte == PREFIX_ADDRESS_SIZE)
			address_prefix = true;
		else if (is_segment_prefix(byte, &segment)) {
			insn->segment = segment;
			insn->segment_override = true;
		} else if (byte == PREFIX_LOCK)
			return X86_DECODE_INVALID; /* #UD on every MOV (SDM Vol. 2B MOV) */
		else if (byte == PREFIX_REP || byte == PREFIX_REPNE)
			/* Undefined on MOV but for XACQUIRE/XRELEASE, which no driver uses. */
			return X86_DECODE_UNSUPPORTED;
		else
			break;
		s->rex = 0;
		s->pos++;
	}
	/* Operand size: REX.W wins over 66 (SDM Vol. 2A 2.2.1.2, table 2-4). */
	if (s->rex & REX_W)
		s->operand_size = 8;
	else if (s->code == X86_CODE16)
		s->operand_size = operand_prefix ? 4 : 2;
	else
		s->operand_size = operand_prefix ? 2 : 4;
	if (s->code == X86_CODE64)
		insn->address_size = address_prefix ? 4 : 8;
	else if (s->code == X86_CODE32)
		insn->address_size = address_prefix ? 2 : 4;
	else
		insn->address_size = address_prefix ? 4 : 2;
	return X86_DECODE_OK;
}

/* 16-bit addressing (SDM Vol. 2A table 2-1): no SIB, BP forms default to SS. */
static void decode_modrm16(struct decode_state *s, struct x86_insn *insn, u8 mod, u8 rm)
{
	static const u8 base[8] = { REG_RBX, REG_RBX, REG_RBP, REG_RBP,
				    REG_RSI, REG_RDI, REG_RBP, REG_RBX };
	static const u8 index[8] = { REG_RSI,	      REG_RDI,	       REG_RSI,	 REG_RDI,
				     X86_NO_REGISTER, X86_NO_REGISTER, X86_NO_REGISTER,
				     X86_NO_REGISTER };

	insn->base = base[rm];
	insn->index = index[rm];
	if (mod == MOD_NO_DISP && rm == RM16_DISP16) {
		insn->base = X86_NO_REGISTER;
		insn->displacement = decode_signed(s, 2);
	} else if (mod == MOD_DISP8) {
		insn->displacement = decode_signed(s, 1);
	} else if (mod == MOD_DISP_FULL) {
		insn->displacement = decode_signed(s, 2);
	}
	if (!insn->segment_override && insn->base == REG_RBP)
		insn->segment = X86_SEG_SS;
}

/* 32- and 64-bit addressing (SDM Vol. 2A tables 2-2, 2-3, 2.2.1.6): REX.B extends the base
 * and REX.X the index, but the special encodings (SIB, disp32, no base) do not depend on
 * them. */
static void decode_modrm32(struct decode_state *s, struct x86_insn *insn, u8 mod, u8 rm)
{
	u8 rex_b = s->rex & REX_B ? 8 : 0;

	insn->base = rm + rex_b;
	if (rm == RM_SIB) {
		u8 sib = decode_byte(s), index = MODRM_REG(sib) + (s->rex & REX_X ? 8 : 0);

		insn->scale = 1 << MODRM_MOD(sib);
		insn->index = index == SIB_NO_INDEX ? X86_NO_REGISTER : index;
		insn->base = MODRM_RM(sib) + rex_b;
		if (MODRM_RM(sib) == SIB_NO_BASE && mod == MOD_NO_DISP) {
			insn->base = X86_NO_REGISTER;
			insn->displacement = decode_signed(s, 4);
		}
	} else if (rm == RM_DISP32 && mod == MOD_NO_DISP) {
		insn->base = X86_NO_REGISTER;
		insn->rip_relative = s->code == X86_CODE64;
		insn->displacement = decode_signed(s, 4);
	}
	if (mod == MOD_DISP8)
		insn->displacement = decode_signed(s, 1);
	else if (mod == MOD_DISP_FULL)
		insn->displacement = decode_signed(s, 4);
	if (!insn->segment_override && (insn->base == REG_RSP || insn->base == REG_RBP))
		insn->segment = X86_SEG_SS;
}

/* The ModRM byte and what follows it: the register operand in reg, a memory operand in rm
 * (a register operand there does not touch memory, so it cannot have caused the exit). */
static enum x86_decode_result decode_modrm(struct decode_state *s, struct x86_insn *insn,
					   u8 *reg_field)
{
	u8 modrm = decode_byte(s), mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);

	if (s->truncated)
		return X86_DECODE_TRUNCATED;
	*reg_field = MODRM_REG(modrm);
	insn->reg = *reg_field + (s->rex & REX_R ? 8 : 0);
	if (mod == MOD_REGISTER)
		return X86_DECODE_UNSUPPORTED;
	if (insn->address_size == 2)
		decode_modrm16(s, insn, mod, rm);
	else
		decode_modrm32(s, insn, mod, rm);
	return s->truncated ? X86_DECODE_TRUNCATED : X86_DECODE_OK;
}

/* Byte registers 4-7 are AH, CH, DH, BH unless a REX prefix is present (SDM Vol. 2A
 * 3.7.2.1); those name bits 15:8 of registers 0-3. */
static void decode_byte_register(const struct decode_state *s, struct x86_insn *insn)
{
	if (!s->rex && insn->reg >= 4 && insn->reg < 8) {
		insn->high_byte = true;
		insn->reg -= 4;
	}
}

/* A0-A3: the offset has the address size, no ModRM (SDM Vol. 2B MOV, "moffs"). */
static void decode_moffs(struct decode_state *s, struct x86_insn *insn, u8 opcode)
{
	bool byte = opcode == OP_MOV_AL_MOFFS || opcode == OP_MOV_MOFFS_AL;

	insn->op = opcode <= OP_MOV_AX_MOFFS ? X86_OP_LOAD : X86_OP_STORE;
	insn->mem_size = insn->reg_size = byte ? 1 : s->operand_size;
	insn->reg = 0;
	insn->base = X86_NO_REGISTER;
	insn->displacement = decode_signed(s, insn->address_size);
	if (insn->address_size < 8)
		insn->displacement &= (1ULL << (8 * insn->address_size)) - 1;
}

static enum x86_decode_result decode_opcode(struct decode_state *s, struct x86_insn *insn)
{
	u8 opcode = decode_byte(s), reg_field;
	enum x86_decode_result result;
	bool byte_op;

	if (s->truncated)
		return X86_DECODE_TRUNCATED;
	switch (opcode) {
	case OP_MOV_AL_MOFFS ... OP_MOV_MOFFS_AX:
		decode_moffs(s, insn, opcode);
		return X86_DECODE_OK;
	case OP_MOV_RM8_R8:
	case OP_MOV_RM_R:
	case OP_MOV_R8_RM8:
	case OP_MOV_R_RM:
	case OP_MOV_RM8_IMM8:
	case OP_MOV_RM_IMM:
		result = decode_modrm(s, insn, &reg_field);
		if (result != X86_DECODE_OK)
			return result;
		byte_op = opcode == OP_MOV_RM8_R8 || opcode == OP_MOV_R8_RM8 ||
			  opcode == OP_MOV_RM8_IMM8;
		insn->mem_size = insn->reg_size = byte_op ? 1 : s->operand_size;
		if (opcode == OP_MOV_RM8_IMM8 || opcode == OP_MOV_RM_IMM) {
			/* Only /0 is MOV; C6/C7 /7 with mod 11 are XABORT/XBEGIN, not memory. */
			if (reg_field)
				return X86_DECODE_INVALID;
			insn->op = X86_OP_STORE_IMM;
			insn->reg = 0;
			/* imm32 sign-extended for a 64-bit operand (SDM Vol. 2B MOV, C7 /0). */
			insn->imm = (u64)decode_signed(s, MIN(insn->mem_size, 4u));
			if (insn->mem_size < 8)
				insn->imm &= (1ULL << (8 * insn->mem_size)) - 1;
		} else {
			insn->op = opcode == OP_MOV_RM8_R8 || opcode == OP_MOV_RM_R ? X86_OP_STORE
										  : X86_OP_LOAD;
			if (byte_op)
				decode_byte_register(s, insn);
		}
		return X86_DECODE_OK;
	case OP_ESCAPE:
		opcode = decode_byte(s);
		if (s->truncated)
			return X86_DECODE_TRUNCATED;
		if (opcode != OP2_MOVZX_8 && opcode != OP2_MOVZX_16 && opcode != OP2_MOVSX_8 &&
		    opcode != OP2_MOVSX_16)
			return X86_DECODE_UNSUPPORTED;
		result = decode_modrm(s, insn, &reg_field);
		if (result != X86_DECODE_OK)
			return result;
		insn->op = opcode == OP2_MOVZX_8 || opcode == OP2_MOVZX_16 ? X86_OP_MOVZX
									     : X86_OP_MOVSX;
		insn->mem_size = opcode == OP2_MOVZX_8 || opcode == OP2_MOVSX_8 ? 1 : 2;
		insn->reg_size = s->operand_size;
		return X86_DECODE_OK;
	default:
		return X86_DECODE_UNSUPPORTED;
	}
}

enum x86_decode_result x86_decode(const u8 *bytes, u32 len, enum x86_code_size code,
				  struct x86_insn *insn)
{
	struct decode_state s = { .bytes = bytes, .len = len, .code = code };
	enum x86_decode_result result;

	memset(insn, 0, sizeof(*insn));
	insn->segment = X86_SEG_DS;
	insn->base = insn->index = X86_NO_REGISTER;
	insn->scale = 1;
	if (code != X86_CODE16 && code != X86_CODE32 && code != X86_CODE64)
		return X86_DECODE_INVALID;
	/* The CPU never reads past 15 bytes: neither does the decoder. */
	s.len = MIN(len, (u32)X86_MAX_INSTRUCTION_LENGTH);
	result = decode_prefixes(&s, insn);
	if (result == X86_DECODE_OK)
		result = decode_opcode(&s, insn);
	if (s.truncated)
		/* Bytes missing at the 15-byte limit: too long for any CPU (#GP). */
		return len >= X86_MAX_INSTRUCTION_LENGTH ? X86_DECODE_INVALID
							 : X86_DECODE_TRUNCATED;
	insn->length = (u8)s.pos;
	return result;
}
