// SPDX-License-Identifier: MIT
/* Unit tests for the CPUID view (vmm/cpuid.c) and the XSAVE policy (vmm/xsave.c): the KVM
 * leaves at 0x40000100, the time features, features whose MSRs Moat lacks hidden, XSAVE and AVX
 * as far as the offered XCR0 components go, leaf 0xD, and XSETBV's #UD/#GP decisions. */
#include "test_support.h"

#include <moat/exit.h>
#include <moat/vm.h>
#include <moat/xsave.h>
#include <moat/xstate.h>

#define CPUID1_ECX_DTES64 BIT(2)
#define CPUID1_ECX_EIST	  BIT(7)
#define CPUID1_ECX_FMA	  BIT(12)
#define CPUID1_ECX_XSAVE  BIT(26)
#define CPUID1_ECX_OSXSAVE BIT(27)
#define CPUID1_ECX_AVX	  BIT(28)
#define CPUID1_ECX_HYPERVISOR BIT(31)
#define CPUID1_EDX_DS	  BIT(21)
#define CPUID1_EDX_MTRR	  BIT(12)
#define CPUID7_EBX_TSC_ADJUST BIT(1)
#define CPUID7_EBX_AVX2	  BIT(5)
#define CPUID7_EBX_AVX512F BIT(16)
#define CPUID7_ECX_LA57	  BIT(16)
/* Host features: x87, SSE, AVX, MPX, AVX-512, PKRU (a Skylake-SP server). */
#define HOST_XCR0 0x2ffull

static const struct cpuid_regs none;

static void test_kvm_leaves(void **state)
{
	struct cpuid_regs r = cpuid_filter(0x40000100u, 0, &none, 0);
	char sig[12];

	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	assert_memory_equal(sig, "KVMKVMKVM\0\0\0", 12);
	assert_int_equal(r.eax, 0x40000101u);
	r = cpuid_filter(0x40000101u, 0, &none, 0);
	assert_int_equal(r.eax, BIT(3) | BIT(24)); /* clocksource2, stable bit: nothing else */
	assert_int_equal(r.edx, 0);
	/* Moat's own leaf stays where it was. */
	r = cpuid_filter(0x40000000u, 0, &none, 0);
	assert_memory_equal(&r.ebx, "Moat", 4);
	assert_int_equal(r.eax, 0x40000001u);
	r = cpuid_filter(0x40000200u, 0, &none, 0);
	assert_int_equal(r.ebx | r.ecx | r.edx, 0);
}

static void test_time_and_hidden(void **state)
{
	struct cpuid_regs host = { .eax = ~0u, .ebx = ~0u, .ecx = ~0u, .edx = ~0u }, r;

	guest_xsave = (struct guest_xsave){ 0 };
	r = cpuid_filter(6, 0, &host, 0);
	assert_int_equal(r.eax, BIT(2)); /* ARAT only: no thermal or APERF/MPERF MSRs */
	assert_int_equal(r.ecx, 0);
	r = cpuid_filter(0x80000007u, 0, &host, 0);
	assert_int_equal(r.edx, BIT(8)); /* invariant TSC as the host has it, nothing else */
	r = cpuid_filter(0x80000007u, 0, &none, 0);
	assert_int_equal(r.edx, 0);
	r = cpuid_filter(1, 0, &host, 0);
	assert_true(r.ecx & CPUID1_ECX_HYPERVISOR);
	assert_false(r.ecx & (CPUID1_ECX_DTES64 | CPUID1_ECX_EIST | CPUID1_ECX_XSAVE |
			      CPUID1_ECX_OSXSAVE | CPUID1_ECX_AVX | CPUID1_ECX_FMA));
	assert_false(r.edx & (CPUID1_EDX_DS | CPUID1_EDX_MTRR));
	/* TSC-deadline only where the virtual APIC has its MSR. */
	assert_int_equal(!!(r.ecx & BIT(24)), vlapic_owns_msr(0x6e0));
	r = cpuid_filter(7, 0, &host, 0);
	assert_true(r.ebx & CPUID7_EBX_TSC_ADJUST);
	assert_false(r.ebx & (CPUID7_EBX_AVX2 | CPUID7_EBX_AVX512F));
	assert_false(r.ecx & CPUID7_ECX_LA57);
	/* SEV/SME (0x8000001F) is beyond the extended leaves shown. */
	r = cpuid_filter(0x80000000u, 0, &(struct cpuid_regs){ .eax = 0x80000021u }, 0);
	assert_int_equal(r.eax, 0x80000008u);
	assert_int_equal(cpuid_filter(0x8000001fu, 0, &host, 0).eax, 0);
}

static void test_xsave_mask(void **state)
{
	assert_int_equal(xsave_guest_mask(0), 0);
	assert_int_equal(xsave_guest_mask(XSTATE_X87), 0);
	assert_int_equal(xsave_guest_mask(0x7), 0x7);
	assert_int_equal(xsave_guest_mask(0x21f), 0x7);	  /* MPX, PKRU never offered */
	assert_int_equal(xsave_guest_mask(HOST_XCR0), 0xe7); /* with AVX-512 */
	assert_int_equal(xsave_guest_mask(0x63), 0x3);	  /* part of AVX-512, no AVX */
	assert_int_equal(xsave_guest_mask(0x67), 0x7);
}

static void test_xsave_leaves(void **state)
{
	struct cpuid_regs components[64] = { 0 };
	struct cpuid_regs host = { .eax = ~0u, .ebx = ~0u, .ecx = ~0u, .edx = ~0u }, r;
	struct cpuid_regs d0 = { .eax = (u32)HOST_XCR0, .ebx = 832, .ecx = 2696 };
	struct cpuid_regs d1 = { .eax = 0xf, .ebx = 2440 };
	struct cpuid_regs pkru = { .eax = 8, .ebx = 2688 };

	components[2] = (struct cpuid_regs){ .eax = 256, .ebx = 576 };
	components[5] = (struct cpuid_regs){ .eax = 64, .ebx = 1088 };
	components[6] = (struct cpuid_regs){ .eax = 512, .ebx = 1152 };
	components[7] = (struct cpuid_regs){ .eax = 1024, .ebx = 1664 };
	components[9] = pkru;
	assert_int_equal(xsave_area_bytes(0x3, components), 576);
	assert_int_equal(xsave_area_bytes(0x7, components), 832);
	assert_int_equal(xsave_area_bytes(0xe7, components), 2688);

	guest_xsave = (struct guest_xsave){ .xcr0_mask = 0xe7, .max_bytes = 2688 };
	r = cpuid_filter(1, 0, &host, 0);
	assert_true(r.ecx & (CPUID1_ECX_XSAVE | CPUID1_ECX_AVX | CPUID1_ECX_FMA));
	assert_false(r.ecx & CPUID1_ECX_OSXSAVE); /* the guest's CR4 bit: cpuid_handle */
	r = cpuid_filter(7, 0, &host, 0);
	assert_true(r.ebx & (CPUID7_EBX_AVX2 | CPUID7_EBX_AVX512F));
	r = cpuid_filter(0xd, 0, &d0, 0);
	assert_int_equal(r.eax, 0xe7);
	assert_int_equal(r.edx, 0);
	assert_int_equal(r.ebx, 832); /* the CPU's, for the guest's XCR0 */
	assert_int_equal(r.ecx, 2688);
	r = cpuid_filter(0xd, 1, &d1, 0);
	assert_int_equal(r.eax, 1); /* XSAVEOPT; no XSAVEC, XGETBV1, XSAVES, XFD */
	assert_int_equal(r.ebx, 0);
	r = cpuid_filter(0xd, 2, &components[2], 0);
	assert_int_equal(r.eax, 256);
	assert_int_equal(r.ebx, 576);
	assert_int_equal(cpuid_filter(0xd, 9, &pkru, 0).eax, 0);
	assert_int_equal(cpuid_filter(0xd, 63, &host, 0).eax, 0);

	guest_xsave = (struct guest_xsave){ .xcr0_mask = 0x3, .max_bytes = 576 };
	r = cpuid_filter(1, 0, &host, 0);
	assert_true(r.ecx & CPUID1_ECX_XSAVE);
	assert_false(r.ecx & (CPUID1_ECX_AVX | CPUID1_ECX_FMA));
	assert_false(cpuid_filter(7, 0, &host, 0).ebx & CPUID7_EBX_AVX2);
	/* With XSAVE offered, CR4.OSXSAVE may be set. */
	assert_true(cr4_allowed_bits(&r, &none) & CR4_OSXSAVE);
	guest_xsave = (struct guest_xsave){ 0 };
	assert_int_equal(cpuid_filter(0xd, 0, &d0, 0).eax, 0);
}

/* XSETBV through a fake vendor: CR4, CPL and the written XCR0 as a vendor keeps them. */
static struct {
	u64 cr4, cpl, xcr0;
	int injected; /* vector, or -1 */
	bool advanced;
} fake;

static u64 fake_read_state(struct vcpu *vcpu, enum vcpu_state_reg reg)
{
	return reg == VCPU_CR4 ? fake.cr4 : reg == VCPU_CPL ? fake.cpl : fake.xcr0;
}

static void fake_write_state(struct vcpu *vcpu, enum vcpu_state_reg reg, u64 value)
{
	assert_int_equal(reg, VCPU_XCR0);
	fake.xcr0 = value;
}

static void fake_inject(struct vcpu *vcpu, u8 vector, bool has_error, u32 error)
{
	fake.injected = vector;
}

static void fake_advance(struct vcpu *vcpu, const struct vm_exit *exit)
{
	fake.advanced = true;
}

static const struct vendor_ops fake_ops = { .name = "fake",
					    .read_state = fake_read_state,
					    .write_state = fake_write_state,
					    .inject_exception = fake_inject,
					    .advance_rip = fake_advance };

static int xsetbv(u32 index, u64 value)
{
	static struct vm vm;
	struct vcpu vcpu = { .vm = &vm };
	struct vm_exit exit = { .kind = VM_EXIT_XSETBV };

	vm.ops = &fake_ops;
	vm.name = "test";
	vm.tsc_per_ms = 1000000;
	audit_init(&vm.audit, vm.tsc_per_ms);
	fake.injected = -1;
	fake.advanced = false;
	fake.xcr0 = XSTATE_X87;
	vcpu.regs.rcx = index;
	vcpu.regs.rax = (u32)value;
	vcpu.regs.rdx = value >> 32;
	exit_handle(&vcpu, &exit);
	assert_int_equal(fake.advanced, fake.injected < 0);
	return fake.injected;
}

static void test_xsetbv(void **state)
{
	test_log_capture();
	guest_xsave = (struct guest_xsave){ .xcr0_mask = 0x7, .max_bytes = 832 };
	fake.cpl = 0;
	fake.cr4 = 0;
	assert_int_equal(xsetbv(0, 0x7), X86_VECTOR_UD); /* no CR4.OSXSAVE */
	fake.cr4 = CR4_OSXSAVE;
	assert_int_equal(xsetbv(0, 0x7), -1);
	assert_int_equal(fake.xcr0, 0x7);
	assert_int_equal(xsetbv(0, 0x3), -1);
	assert_int_equal(xsetbv(0, 0x1), -1);
	assert_int_equal(xsetbv(0, 0x6), X86_VECTOR_GP);   /* x87 clear */
	assert_int_equal(xsetbv(0, 0x5), X86_VECTOR_GP);   /* AVX without SSE */
	assert_int_equal(xsetbv(0, 0x203), X86_VECTOR_GP); /* PKRU: the host has it, not offered */
	assert_int_equal(xsetbv(0, 0xe7), X86_VECTOR_GP);  /* AVX-512 not offered here */
	assert_int_equal(xsetbv(0, 1ull << 63), X86_VECTOR_GP);
	assert_int_equal(xsetbv(1, 0x7), X86_VECTOR_GP);   /* only XCR0 exists */
	fake.cpl = 3;
	assert_int_equal(xsetbv(0, 0x7), X86_VECTOR_GP);
	assert_int_equal(fake.xcr0, XSTATE_X87); /* no refused value reached the vendor */
	/* Without XSAVE offered every value is #GP. */
	guest_xsave = (struct guest_xsave){ 0 };
	fake.cpl = 0;
	assert_int_equal(xsetbv(0, 0x1), X86_VECTOR_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_leaves),
		cmocka_unit_test(test_time_and_hidden),
		cmocka_unit_test(test_xsave_mask),
		cmocka_unit_test(test_xsave_leaves),
		cmocka_unit_test(test_xsetbv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
