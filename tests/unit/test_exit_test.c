// SPDX-License-Identifier: MIT
/* Unit tests for devices/test_exit.c: a write of any size stops the guest with its code,
 * a read returns zero. vm_stop_with_code is faked here to record what the device asked. */
#include "test_support.h"

#include <moat/test_exit.h>
#include <moat/vm.h>

static struct {
	struct vm *vm;
	u32 code;
	u32 calls;
} stops;

/* Stands in for vmm/vm.c: the device's contract is this one call. */
void vm_stop_with_code(struct vm *vm, u32 code)
{
	stops.vm = vm;
	stops.code = code;
	stops.calls++;
}

static struct vm vm;
static struct vcpu vcpu = { .vm = &vm };

static int setup(void **state)
{
	memset(&stops, 0, sizeof(stops));
	memset(&vm, 0, sizeof(vm));
	return 0;
}

static void write_port(u16 offset, u8 size, u32 value, u32 expected_code)
{
	u32 v = value;

	memset(&stops, 0, sizeof(stops));
	assert_int_equal(test_exit_io(&vcpu, NULL, offset, size, false, &v), IO_STOP_GUEST);
	assert_int_equal(stops.calls, 1);
	assert_ptr_equal(stops.vm, &vm);
	assert_int_equal(stops.code, expected_code);
}

static void test_write_stops_with_code_each_size(void **state)
{
	write_port(0, 1, 0x31, 0x31);
	write_port(0, 2, 0x600d, 0x600d);
	write_port(0, 4, 0xdeadbeefu, 0xdeadbeefu);
	write_port(0, 4, 0, 0);
	/* Every port of the range behaves the same. */
	write_port(TEST_EXIT_PORT_COUNT - 1, 1, 0x7f, 0x7f);
}

/* OUT DX, AL writes only AL: bits above the access size are not part of the code. */
static void test_write_keeps_only_accessed_bytes(void **state)
{
	write_port(0, 1, 0xabcd12u, 0x12);
	write_port(0, 2, 0xabcd1234u, 0x1234);
}

static void test_read_returns_zero(void **state)
{
	static const u8 sizes[] = {1, 2, 4};

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		u32 value = 0xffffffffu;

		assert_int_equal(test_exit_io(&vcpu, NULL, 0, sizes[i], true, &value), IO_HANDLED);
		assert_int_equal(value, 0);
	}
	assert_int_equal(stops.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_write_stops_with_code_each_size, setup),
	    cmocka_unit_test_setup(test_write_keeps_only_accessed_bytes, setup),
	    cmocka_unit_test_setup(test_read_returns_zero, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
