// SPDX-License-Identifier: MIT
/* Emulation of one guest access to a memory-mapped device (include/moat/mmio.h): the
 * instruction at CS:RIP is fetched through the guest's page tables (vmm/guest_walk.c),
 * decoded (vmm/x86_decode.c) and completed with the device's handler. The address comes from
 * the nested fault, never from the decoded operand: only its size and register are used. */
#include <moat/guest_walk.h>
#include <moat/log.h>
#include <moat/mmio.h>
#include <moat/string.h>
#include <moat/vm.h>
#include <moat/x86_decode.h>

/* "0f b6 07 ": three characters a byte. */
#define MMIO_BYTES_TEXT (3 * X86_MAX_INSTRUCTION_LENGTH + 1)
#define MMIO_NIBBLE_MASK 0xf
#define MMIO_IP16_MASK 0xffffULL /* IP in 16-bit code (SDM Vol. 1 3.5) */
/* AH, CH, DH, BH are bits 15:8 of RAX..RBX (SDM Vol. 1 3.4.1.1). */
#define MMIO_HIGH_BYTE_SHIFT 8
#define MMIO_HIGH_BYTE_MASK 0xff00ULL

struct mmio_instruction {
	u8 bytes[X86_MAX_INSTRUCTION_LENGTH];
	u32 fetched;
	enum guest_walk_result fetch_result;
	enum x86_code_size code;
	struct x86_insn insn;
};

static u64 mmio_mask(u8 size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static void mmio_format_bytes(const struct mmio_instruction *in, char *text)
{
	static const char hex[] = "0123456789abcdef";
	u32 n = 0;

	for (u32 i = 0; i < in->fetched; i++) {
		text[n++] = hex[in->bytes[i] >> 4];
		text[n++] = hex[in->bytes[i] & MMIO_NIBBLE_MASK];
		if (i + 1 < in->fetched)
			text[n++] = ' ';
	}
	text[n] = '\0';
}

/* CS:RIP as a linear address: the CS base is 0 in 64-bit mode, and outside it IP/EIP and the
 * address have 16/32 bits (SDM Vol. 3 3.4.2, 3.4.4). */
static u64 mmio_code_linear(struct vcpu *vcpu, enum x86_code_size code)
{
	u64 rip = vcpu->regs.rip;

	if (code == X86_CODE64)
		return rip;
	if (code == X86_CODE16)
		rip &= MMIO_IP16_MASK;
	return (u32)(vcpu->vm->ops->read_state(vcpu, VCPU_CS_BASE) + rip);
}

static void mmio_fetch(struct vcpu *vcpu, struct mmio_instruction *in)
{
	const struct vendor_ops *ops = vcpu->vm->ops;
	struct guest_paging paging = {
		.cr0 = ops->read_state(vcpu, VCPU_CR0),
		.cr3 = ops->read_state(vcpu, VCPU_CR3),
		.cr4 = ops->read_state(vcpu, VCPU_CR4),
		.efer = ops->read_state(vcpu, VCPU_EFER),
		.cpl = (u8)ops->read_state(vcpu, VCPU_CPL),
	};

	in->code = (enum x86_code_size)ops->read_state(vcpu, VCPU_CODE_SIZE);
	in->fetched = guest_fetch(&vcpu->vm->memory, &paging, mmio_code_linear(vcpu, in->code),
				  in->bytes, sizeof(in->bytes), &in->fetch_result);
}

/* Stops the guest over an access Moat cannot complete, with the bytes it saw. */
static void mmio_refuse(struct vcpu *vcpu, gpa_t gpa, u32 access,
			const struct mmio_instruction *in, const char *why)
{
	char text[MMIO_BYTES_TEXT];

	mmio_format_bytes(in, text);
	vm_crash(vcpu, AUDIT_MMIO, gpa, vcpu->regs.rip, "mmio",
		 "device access at 0x%lx (%s) at rip 0x%lx not emulated: %s [%s]", gpa,
		 access & PT_EXEC ? "execute" : access & PT_WRITE ? "write" : "read",
		 vcpu->regs.rip, why, in->fetched ? text : "no bytes");
}

static u64 *mmio_register(struct vcpu *vcpu, u8 reg)
{
	return &vcpu->regs.rax + reg; /* struct vcpu_regs is in encoding order */
}

/* The source of a store: the register's low bytes (AH..BH: bits 15:8), or the immediate. */
static u64 mmio_store_value(struct vcpu *vcpu, const struct x86_insn *insn)
{
	u64 value;

	if (insn->op == X86_OP_STORE_IMM)
		return insn->imm;
	value = *mmio_register(vcpu, insn->reg);
	if (insn->high_byte)
		value >>= MMIO_HIGH_BYTE_SHIFT;
	return value & mmio_mask(insn->mem_size);
}

/* Writes a load's result as the CPU does (SDM Vol. 1 3.4.1.1): 8- and 16-bit destinations
 * keep the register's other bits, a 32-bit one zeroes bits 63:32. */
static void mmio_load_result(struct vcpu *vcpu, const struct x86_insn *insn, u64 value)
{
	u64 *reg = mmio_register(vcpu, insn->reg);
	u8 size = insn->reg_size;

	value &= mmio_mask(insn->mem_size);
	if (insn->op == X86_OP_MOVSX && (value & (1ULL << (8 * insn->mem_size - 1))))
		value |= ~mmio_mask(insn->mem_size);
	value &= mmio_mask(size);
	if (insn->high_byte)
		*reg = (*reg & ~MMIO_HIGH_BYTE_MASK) | (value << MMIO_HIGH_BYTE_SHIFT);
	else if (size >= 4)
		*reg = value;
	else
		*reg = (*reg & ~mmio_mask(size)) | value;
}

/* Completes the access; false with *why when it cannot be. */
static bool mmio_emulate(struct vcpu *vcpu, const struct mmio_range *range, gpa_t gpa,
			 u32 access, struct mmio_instruction *in, const char **why)
{
	struct x86_insn *insn = &in->insn;
	bool write = insn->op == X86_OP_STORE || insn->op == X86_OP_STORE_IMM;
	u64 offset = gpa - range->base, value = write ? mmio_store_value(vcpu, insn) : 0;
	enum io_result result;

	/* The CPU made the access this instruction makes; another does not match (the guest
	 * rewrote its code on another vCPU, or it is not the instruction that faulted). */
	if (write != !!(access & PT_WRITE)) {
		*why = "the instruction's access does not match the fault";
		return false;
	}
	if (insn->mem_size > range->size - offset) {
		*why = "the access runs past the end of the device";
		return false;
	}
	spin_lock(&vcpu->vm->device_lock);
	result = range->handler(vcpu, range->device, offset, insn->mem_size, write, &value);
	spin_unlock(&vcpu->vm->device_lock);
	if (result == IO_STOP_GUEST)
		return true;
	if (!write)
		mmio_load_result(vcpu, insn, value);
	vcpu->regs.rip += insn->length;
	if (in->code == X86_CODE16)
		vcpu->regs.rip &= MMIO_IP16_MASK;
	else if (in->code == X86_CODE32)
		vcpu->regs.rip = (u32)vcpu->regs.rip;
	/* The instruction retired: an STI/MOV SS shadow it sat in ends with it. */
	vcpu->vm->ops->write_state(vcpu, VCPU_INTERRUPT_SHADOW, 0);
	return true;
}

static const char *mmio_fetch_error(enum guest_walk_result result)
{
	switch (result) {
	case GUEST_WALK_NOT_PRESENT:
		return "instruction fetch: page not present";
	case GUEST_WALK_PROTECTION:
		return "instruction fetch: page protection (user or execute-disable)";
	case GUEST_WALK_NON_CANONICAL:
		return "instruction fetch: non-canonical address";
	default:
		return "instruction fetch: code not in guest RAM";
	}
}

static const char *mmio_decode_error(enum x86_decode_result result)
{
	switch (result) {
	case X86_DECODE_UNSUPPORTED:
		return "instruction not emulated on device memory";
	case X86_DECODE_INVALID:
		return "invalid instruction";
	default:
		return "instruction cut short";
	}
}

bool mmio_handle(struct vcpu *vcpu, gpa_t gpa, u32 access)
{
	const struct mmio_range *range = mmio_table_find(&vcpu->vm->mmio, gpa);
	struct mmio_instruction in;
	enum x86_decode_result decoded;
	const char *why = NULL;

	if (!range)
		return false;
	memset(&in, 0, sizeof(in));
	if (access & PT_EXEC) {
		mmio_refuse(vcpu, gpa, access, &in, "instruction fetch from a device page");
		return true;
	}
	/* A fetch that faults now was possible when the CPU ran the instruction: the guest
	 * changed its page tables since (another vCPU). Stopping it is what Moat can do
	 * safely; injecting a #PF for an instruction that already ran would be a lie. */
	mmio_fetch(vcpu, &in);
	decoded = x86_decode(in.bytes, in.fetched, in.code, &in.insn);
	if (decoded == X86_DECODE_TRUNCATED && in.fetch_result != GUEST_WALK_OK)
		why = mmio_fetch_error(in.fetch_result);
	else if (decoded != X86_DECODE_OK)
		why = mmio_decode_error(decoded);
	if (!why && mmio_emulate(vcpu, range, gpa, access, &in, &why))
		return true;
	mmio_refuse(vcpu, gpa, access, &in, why);
	return true;
}
