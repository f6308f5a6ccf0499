// SPDX-License-Identifier: MIT
/* MMIO emulation end to end (vmm/mmio.c) with a fake vendor: the instruction is fetched from
 * the guest's RAM at CS:RIP, decoded and handed to a recording device; loads land in the
 * destination register as the CPU writes it (byte/word merge, AH..BH, 32-bit zeroing,
 * MOVZX/MOVSX), RIP advances (with 16/32-bit wrap), the interrupt shadow is cleared, and
 * every access Moat cannot complete stops only the guest with its bytes printed. */
#include "test_support.h"

#include <moat/exit.h>
#include <moat/mmio.h>
#include <moat/vm.h>
#include <moat/x86.h>

#define RAM_SIZE MIB(1)
#define DEVICE_BASE 0xfec00000ULL
#define DEVICE_SIZE 0x1000ULL
#define CODE 0x2000ULL

static struct vm vm;
static struct guest_config config;
static u8 *ram;

static struct {
	u64 code_size, cs_base, cr0, efer;
	u32 calls;
	u64 offset, value;
	u8 size;
	bool write;
	u64 answer;
	bool shadow_cleared;
	enum io_result result;
} fake;

static u64 fake_read_state(struct vcpu *vcpu, enum vcpu_state_reg reg)
{
	switch (reg) {
	case VCPU_CR0:
		return fake.cr0;
	case VCPU_EFER:
		return fake.efer;
	case VCPU_CS_BASE:
		return fake.cs_base;
	case VCPU_CODE_SIZE:
		return fake.code_size;
	default:
		return 0;
	}
}

static void fake_write_state(struct vcpu *vcpu, enum vcpu_state_reg reg, u64 value)
{
	assert_int_equal(reg, VCPU_INTERRUPT_SHADOW);
	assert_int_equal(value, 0);
	fake.shadow_cleared = true;
}

static const struct vendor_ops fake_ops = {
	.name = "fake",
	.read_state = fake_read_state,
	.write_state = fake_write_state,
};

static enum io_result fake_device(struct vcpu *vcpu, void *device, u64 offset, u8 size,
				  bool write, u64 *value)
{
	assert_ptr_equal(device, &fake);
	fake.calls++;
	fake.offset = offset;
	fake.size = size;
	fake.write = write;
	if (write)
		fake.value = *value;
	else
		*value = fake.answer;
	return fake.result;
}

static int setup(void **state)
{
	test_log_capture();
	memset(&vm, 0, sizeof(vm));
	memset(&config, 0, sizeof(config));
	memset(&fake, 0, sizeof(fake));
	ram = aligned_alloc(PAGE_SIZE, RAM_SIZE);
	memset(ram, 0, RAM_SIZE);
	snprintf(config.name, sizeof(config.name), "mmio");
	config.on_crash = CRASH_STOP;
	vm.config = &config;
	vm.name = config.name;
	vm.ops = &fake_ops;
	vm.state = VM_STATE_RUNNING;
	vm.vcpu_count = 1;
	vm.vcpus[0].vm = &vm;
	audit_init(&vm.audit, 1);
	guest_memory_init(&vm.memory);
	mmio_table_init(&vm.mmio);
	assert_int_equal(guest_memory_add(&vm.memory, 0, RAM_SIZE, (hpa_t)(uintptr_t)ram, PT_RWX,
					  GPA_REGION_RAM), 0);
	assert_int_equal(vm_add_mmio(&vm, DEVICE_BASE, DEVICE_SIZE, fake_device, &fake), 0);
	/* 64-bit code with paging off is enough for the fetch: linear = RIP = GPA. */
	fake.code_size = 8;
	fake.cr0 = CR0_PE;
	fake.efer = EFER_LMA;
	vm.vcpus[0].regs.rip = CODE;
	return 0;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

static struct vcpu *code(const u8 *bytes, u32 len)
{
	memcpy(ram + CODE, bytes, len);
	return &vm.vcpus[0];
}

static void test_not_a_device(void **state)
{
	static const u8 mov[] = { 0x8b, 0x07 };

	assert_false(mmio_handle(code(mov, sizeof(mov)), 0x5000, PT_READ));
	assert_false(mmio_handle(code(mov, sizeof(mov)), DEVICE_BASE + DEVICE_SIZE, PT_READ));
	assert_int_equal(fake.calls, 0);
}

static void test_readl_writel(void **state)
{
	static const u8 readl[] = { 0x8b, 0x87, 0x10, 0x00, 0x00, 0x00 }; /* mov eax,[rdi+0x10] */
	static const u8 writel[] = { 0x89, 0x02 };			   /* mov [rdx], eax */
	struct vcpu *vcpu = code(readl, sizeof(readl));

	vcpu->regs.rax = 0xffffffffffffffffULL;
	fake.answer = 0x11223344;
	assert_true(mmio_handle(vcpu, DEVICE_BASE + 0x10, PT_READ));
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.offset, 0x10);
	assert_int_equal(fake.size, 4);
	assert_false(fake.write);
	assert_int_equal(vcpu->regs.rax, 0x11223344); /* bits 63:32 zeroed */
	assert_int_equal(vcpu->regs.rip, CODE + sizeof(readl));
	assert_true(fake.shadow_cleared);

	vcpu = code(writel, sizeof(writel));
	vcpu->regs.rip = CODE;
	vcpu->regs.rax = 0xaabbccdd00000001ULL;
	assert_true(mmio_handle(vcpu, DEVICE_BASE, PT_WRITE));
	assert_true(fake.write);
	assert_int_equal(fake.value, 1);
	assert_int_equal(fake.size, 4);
	assert_int_equal(vcpu->regs.rip, CODE + 2);
	assert_int_equal(vm.state, VM_STATE_RUNNING);
}

static void test_register_widths(void **state)
{
	static const u8 load_bh[] = { 0x8a, 0x3e };		/* mov bh, [rsi] */
	static const u8 load_word[] = { 0x66, 0x8b, 0x0e };	/* mov cx, [rsi] */
	static const u8 load_r9q[] = { 0x4c, 0x8b, 0x0e };	/* mov r9, [rsi] */
	static const u8 movsx_b[] = { 0x48, 0x0f, 0xbe, 0x16 }; /* movsx rdx, byte [rsi] */
	static const u8 movzx_w[] = { 0x0f, 0xb7, 0x1e };	/* movzx ebx, word [rsi] */
	static const u8 store_ch[] = { 0x88, 0x2e };		/* mov [rsi], ch */
	static const u8 store_imm[] = { 0x48, 0xc7, 0x06, 0xff, 0xff, 0xff, 0xff };
	struct vcpu *vcpu = &vm.vcpus[0];

	vcpu->regs.rbx = 0x1111111111111111ULL;
	fake.answer = 0xab;
	assert_true(mmio_handle(code(load_bh, sizeof(load_bh)), DEVICE_BASE, PT_READ));
	assert_int_equal(vcpu->regs.rbx, 0x111111111111ab11ULL);

	vcpu->regs.rip = CODE;
	vcpu->regs.rcx = 0x2222222222222222ULL;
	fake.answer = 0xbeef;
	assert_true(mmio_handle(code(load_word, sizeof(load_word)), DEVICE_BASE, PT_READ));
	assert_int_equal(fake.size, 2);
	assert_int_equal(vcpu->regs.rcx, 0x222222222222beefULL);

	vcpu->regs.rip = CODE;
	fake.answer = 0x8877665544332211ULL;
	assert_true(mmio_handle(code(load_r9q, sizeof(load_r9q)), DEVICE_BASE + 8, PT_READ));
	assert_int_equal(fake.size, 8);
	assert_int_equal(vcpu->regs.r9, 0x8877665544332211ULL);

	vcpu->regs.rip = CODE;
	fake.answer = 0x80;
	assert_true(mmio_handle(code(movsx_b, sizeof(movsx_b)), DEVICE_BASE, PT_READ));
	assert_int_equal(fake.size, 1);
	assert_int_equal(vcpu->regs.rdx, 0xffffffffffffff80ULL);

	vcpu->regs.rip = CODE;
	vcpu->regs.rbx = ~0ULL;
	fake.answer = 0xfffff234; /* a device answering more bits than asked: only 16 count */
	assert_true(mmio_handle(code(movzx_w, sizeof(movzx_w)), DEVICE_BASE, PT_READ));
	assert_int_equal(vcpu->regs.rbx, 0xf234);

	vcpu->regs.rip = CODE;
	vcpu->regs.rcx = 0x5a00;
	assert_true(mmio_handle(code(store_ch, sizeof(store_ch)), DEVICE_BASE, PT_WRITE));
	assert_int_equal(fake.value, 0x5a);
	assert_int_equal(fake.size, 1);

	vcpu->regs.rip = CODE;
	assert_true(mmio_handle(code(store_imm, sizeof(store_imm)), DEVICE_BASE, PT_WRITE));
	assert_int_equal(fake.value, ~0ULL);
	assert_int_equal(fake.size, 8);
	assert_int_equal(vcpu->regs.rip, CODE + sizeof(store_imm));
}

/* 32-bit code at CS base + EIP; 16-bit code wraps IP at 64 KiB. */
static void test_code_sizes(void **state)
{
	static const u8 mov32[] = { 0xa1, 0x00, 0x00, 0xc0, 0xfe }; /* mov eax, [moffs32] */
	static const u8 mov16[] = { 0x89, 0x07 };		     /* mov [bx], ax */
	struct vcpu *vcpu = &vm.vcpus[0];

	fake.code_size = 4;
	fake.efer = 0;
	fake.cs_base = 0x1000;
	vcpu->regs.rip = CODE - 0x1000;
	fake.answer = 7;
	assert_true(mmio_handle(code(mov32, sizeof(mov32)), DEVICE_BASE, PT_READ));
	assert_int_equal(vcpu->regs.rax, 7);
	assert_int_equal(vcpu->regs.rip, CODE - 0x1000 + sizeof(mov32));

	fake.code_size = 2;
	fake.cr0 = 0;
	fake.cs_base = CODE - 0xffff;
	vcpu->regs.rip = 0xffff; /* IP wraps at 64 KiB after the instruction */
	memcpy(ram + CODE, mov16, sizeof(mov16));
	vcpu->regs.rax = 0x1234;
	assert_true(mmio_handle(vcpu, DEVICE_BASE, PT_WRITE));
	assert_int_equal(fake.value, 0x1234);
	assert_int_equal(fake.size, 2);
	assert_int_equal(vcpu->regs.rip, 1);
}

static void test_stop_guest_result(void **state)
{
	static const u8 writel[] = { 0x89, 0x02 };

	fake.result = IO_STOP_GUEST;
	assert_true(mmio_handle(code(writel, sizeof(writel)), DEVICE_BASE, PT_WRITE));
	assert_int_equal(vm.vcpus[0].regs.rip, CODE); /* not advanced */
}

static void expect_refused(const char *words)
{
	assert_int_equal(vm.state, VM_STATE_STOPPED);
	assert_int_equal(fake.calls, 0);
	assert_non_null(strstr(test_log_buffer, words));
	assert_non_null(strstr(test_log_buffer, "event=mmio"));
}

static void test_unsupported_instruction(void **state)
{
	static const u8 add[] = { 0x01, 0x07, 0x90 }; /* add [rdi], eax */

	assert_true(mmio_handle(code(add, sizeof(add)), DEVICE_BASE, PT_WRITE));
	expect_refused("[01 07 90");
	assert_non_null(strstr(vm.stop_reason, "not emulated on device memory"));
	assert_int_equal(vm.vcpus[0].regs.rip, CODE);
}

static void test_lock_invalid(void **state)
{
	static const u8 lock[] = { 0xf0, 0x89, 0x07 };

	assert_true(mmio_handle(code(lock, sizeof(lock)), DEVICE_BASE, PT_WRITE));
	expect_refused("invalid instruction");
}

static void test_fetch_from_device(void **state)
{
	vm.vcpus[0].regs.rip = DEVICE_BASE;
	assert_true(mmio_handle(&vm.vcpus[0], DEVICE_BASE, PT_EXEC));
	expect_refused("instruction fetch from a device page");
}

static void test_code_not_in_ram(void **state)
{
	/* RIP in a device page but the fault is a data access: the fetch is refused. */
	vm.vcpus[0].regs.rip = DEVICE_BASE + 0x10;
	assert_true(mmio_handle(&vm.vcpus[0], DEVICE_BASE, PT_READ));
	expect_refused("code not in guest RAM");
	assert_non_null(strstr(test_log_buffer, "no bytes"));
}

static void test_direction_mismatch(void **state)
{
	static const u8 readl[] = { 0x8b, 0x07 };

	assert_true(mmio_handle(code(readl, sizeof(readl)), DEVICE_BASE, PT_WRITE));
	expect_refused("does not match the fault");
}

static void test_past_device_end(void **state)
{
	static const u8 readq[] = { 0x48, 0x8b, 0x07 };

	assert_true(mmio_handle(code(readq, sizeof(readq)), DEVICE_BASE + DEVICE_SIZE - 4,
				PT_READ));
	expect_refused("past the end of the device");
}

/* The exit path: a device access is emulated, but a nested fault of the CPU's own walk of
 * guest page tables that sit in a device region is not (vmm/exit.c). */
static void test_exit_page_walk(void **state)
{
	static const u8 readl[] = { 0x8b, 0x07 };
	struct vm_exit exit = { .kind = VM_EXIT_NESTED_FAULT,
				.fault = { .gpa = DEVICE_BASE, .access = PT_READ } };

	exit_handle(code(readl, sizeof(readl)), &exit);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(vm.state, VM_STATE_RUNNING);
	vm.vcpus[0].regs.rip = CODE;
	exit.fault.page_walk = true;
	exit_handle(&vm.vcpus[0], &exit);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(vm.state, VM_STATE_STOPPED);
	assert_non_null(strstr(test_log_buffer, "event=npf target=0xfec00000"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_not_a_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readl_writel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_widths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_guest_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_instruction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_from_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_not_in_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direction_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_past_device_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_page_walk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
