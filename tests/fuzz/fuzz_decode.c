// SPDX-License-Identifier: MIT
/* libFuzzer target for vmm/x86_decode.c and vmm/mmio.c: the input is a control byte (bits
 * 1:0 the code size, 3:2 the fault's access, bit 4 a register pattern) and the instruction
 * bytes at RIP. The decoder's answer is checked for internal consistency, then the same bytes
 * run through mmio_handle against a fake device with a fake vendor: either the access is
 * completed (exactly one handler call of the decoded size, RIP past the instruction, only the
 * destination register changed) or the guest is stopped with a printable reason. */
#include "fuzz_support.h"

#include <moat/log.h>
#include <moat/mmio.h>
#include <moat/vm.h>
#include <moat/x86.h>
#include <moat/x86_decode.h>

#define FUZZ_DECODE_RAM	       0x4000
#define FUZZ_DECODE_CODE       0x1ff8 /* 8 bytes before a page end: fetches cross it */
#define FUZZ_DECODE_DEVICE     0xfec00000ULL
#define FUZZ_DECODE_DEVICE_LEN 0x1000ULL
#define FUZZ_DECODE_OFFSET     0x10
#define FUZZ_DECODE_ANSWER     0x8899aabbccddeeffULL
#define FUZZ_DECODE_PATTERN    0x0123456789abcdefULL
#define FUZZ_DECODE_GPRS       16

static struct vm vm;
static struct guest_config config;
static u8 ram[FUZZ_DECODE_RAM] __attribute__((aligned(4096)));
static u64 code_size;
static u32 calls;
static u8 call_size;
static bool call_write;

static u64 fuzz_decode_read_state(struct vcpu *vcpu, enum vcpu_state_reg reg)
{
	switch (reg) {
	case VCPU_CR0:
		return CR0_PE;
	case VCPU_EFER:
		return code_size == X86_CODE64 ? EFER_LMA : 0;
	case VCPU_CODE_SIZE:
		return code_size;
	default:
		return 0;
	}
}

static void fuzz_decode_write_state(struct vcpu *vcpu, enum vcpu_state_reg reg, u64 value)
{
	FUZZ_CHECK(reg == VCPU_INTERRUPT_SHADOW && value == 0);
}

static const struct vendor_ops fuzz_decode_ops = {
	.name = "fake",
	.read_state = fuzz_decode_read_state,
	.write_state = fuzz_decode_write_state,
};

static enum io_result fuzz_decode_device(struct vcpu *vcpu, void *device, u64 offset, u8 size,
					 bool write, u64 *value)
{
	FUZZ_CHECK(offset == FUZZ_DECODE_OFFSET);
	FUZZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8);
	calls++;
	call_size = size;
	call_write = write;
	if (!write)
		*value = FUZZ_DECODE_ANSWER;
	return IO_HANDLED;
}

static void fuzz_decode_check_insn(const u8 *bytes, u32 len, enum x86_code_size code)
{
	struct x86_insn insn, again;
	enum x86_decode_result result = x86_decode(bytes, len, code, &insn);

	if (result != X86_DECODE_OK)
		return;
	FUZZ_CHECK(insn.length >= 1 && insn.length <= len &&
		   insn.length <= X86_MAX_INSTRUCTION_LENGTH);
	FUZZ_CHECK(insn.mem_size == 1 || insn.mem_size == 2 || insn.mem_size == 4 ||
		   insn.mem_size == 8);
	FUZZ_CHECK(insn.reg < FUZZ_DECODE_GPRS && (!insn.high_byte || insn.reg < 4));
	FUZZ_CHECK(insn.address_size == 2 || insn.address_size == 4 || insn.address_size == 8);
	FUZZ_CHECK(insn.base == X86_NO_REGISTER || insn.base < FUZZ_DECODE_GPRS);
	FUZZ_CHECK(insn.index == X86_NO_REGISTER || insn.index < FUZZ_DECODE_GPRS);
	FUZZ_CHECK(insn.scale == 1 || insn.scale == 2 || insn.scale == 4 || insn.scale == 8);
	FUZZ_CHECK(code == X86_CODE64 || insn.reg < 8);
	FUZZ_CHECK(!insn.rip_relative || code == X86_CODE64);
	/* The instruction's own bytes decode the same, and one byte fewer does not. */
	FUZZ_CHECK(x86_decode(bytes, insn.length, code, &again) == X86_DECODE_OK);
	FUZZ_CHECK(memcmp(&insn, &again, sizeof(insn)) == 0);
	FUZZ_CHECK(x86_decode(bytes, insn.length - 1u, code, &again) == X86_DECODE_TRUNCATED);
}

static void fuzz_decode_init(void)
{
	memset(&vm, 0, sizeof(vm));
	memset(&config, 0, sizeof(config));
	strcpy(config.name, "fuzz");
	config.on_crash = CRASH_STOP;
	vm.config = &config;
	vm.name = config.name;
	vm.ops = &fuzz_decode_ops;
	vm.state = VM_STATE_RUNNING;
	vm.vcpu_count = 1;
	vm.vcpus[0].vm = &vm;
	audit_init(&vm.audit, 1);
	guest_memory_init(&vm.memory);
	mmio_table_init(&vm.mmio);
	FUZZ_CHECK(guest_memory_add(&vm.memory, 0, sizeof(ram), (hpa_t)(uintptr_t)ram, PT_RWX,
				    GPA_REGION_RAM) == 0);
	FUZZ_CHECK(vm_add_mmio(&vm, FUZZ_DECODE_DEVICE, FUZZ_DECODE_DEVICE_LEN,
			       fuzz_decode_device, NULL) == 0);
}

static void fuzz_decode_sink(const char *text, size_t len)
{
	fuzz_check_log_line(text, len);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const enum x86_code_size codes[] = { X86_CODE64, X86_CODE32, X86_CODE16,
						    X86_CODE64 };
	static const u32 accesses[] = { PT_READ, PT_WRITE, PT_EXEC, PT_READ };
	struct vcpu_regs before;
	struct vcpu *vcpu;
	struct x86_insn insn;
	u32 len, access;
	enum x86_decode_result decoded;

	if (size < 1)
		return 0;
	log_set_sink(fuzz_decode_sink);
	len = (u32)MIN(size - 1, sizeof(ram) - FUZZ_DECODE_CODE);
	code_size = codes[data[0] & 3];
	access = accesses[(data[0] >> 2) & 3];
	fuzz_decode_check_insn(data + 1, (u32)MIN(size - 1, (size_t)64), code_size);

	fuzz_decode_init();
	memset(ram, 0, sizeof(ram));
	memcpy(ram + FUZZ_DECODE_CODE, data + 1, len);
	vcpu = &vm.vcpus[0];
	for (u32 i = 0; i < FUZZ_DECODE_GPRS; i++)
		(&vcpu->regs.rax)[i] = data[0] & 0x10 ? ~0ULL : FUZZ_DECODE_PATTERN * (i + 1);
	vcpu->regs.rip = FUZZ_DECODE_CODE;
	before = vcpu->regs;
	calls = 0;
	FUZZ_CHECK(mmio_handle(vcpu, FUZZ_DECODE_DEVICE + FUZZ_DECODE_OFFSET, access));
	decoded = x86_decode(ram + FUZZ_DECODE_CODE, sizeof(ram) - FUZZ_DECODE_CODE, code_size,
			     &insn);
	if (vm.state != VM_STATE_RUNNING) {
		FUZZ_CHECK(calls == 0);
		FUZZ_CHECK(memcmp(&before, &vcpu->regs, sizeof(before)) == 0);
		FUZZ_CHECK(vm.stop_reason[0] != '\0');
		fuzz_check_message(vm.stop_reason, sizeof(vm.stop_reason));
		return 0;
	}
	FUZZ_CHECK(decoded == X86_DECODE_OK && access != PT_EXEC);
	FUZZ_CHECK(calls == 1 && call_size == insn.mem_size);
	FUZZ_CHECK(call_write == (access == PT_WRITE));
	FUZZ_CHECK(vcpu->regs.rip == FUZZ_DECODE_CODE + insn.length);
	for (u32 i = 0; i < FUZZ_DECODE_GPRS; i++)
		if (call_write || i != insn.reg)
			FUZZ_CHECK((&vcpu->regs.rax)[i] == (&before.rax)[i]);
	return 0;
}
