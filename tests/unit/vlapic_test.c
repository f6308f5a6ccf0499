// SPDX-License-Identifier: MIT
/* Unit tests for vmm/vlapic.c and vmm/vcpu_state.c: the x2APIC registers of
 * docs/guest-interface.md ("Local APIC"), IPIs between a guest's vCPUs, INIT/SIPI, HLT and
 * wake-up, and the guest that stops when no vCPU can run. Vendor ops and kicks are fakes. */
#include "test_support.h"

#include <moat/exit.h>
#include <moat/vm.h>
#include <moat/vlapic.h>
#include <moat/x2apic.h>

#define TEST_VCPUS	   4
#define TEST_CPU_BASE	   3 /* vCPU i runs on CPU TEST_CPU_BASE + i: kicks name the vCPU */
#define TEST_RESETS_MAX	   8
#define TEST_INJECTS_MAX   8
#define TEST_BITS_PER_WORD 32 /* irr: a bit per vector */

/* x2APIC MSRs (SDM Vol. 3 Table 11-6) and ICR fields (Figure 11-28). */

#define APIC_BASE_AP	     0xfee00c00ULL /* base, enable (11), x2APIC (10) */
#define APIC_BASE_BSP_VALUE 0xfee00d00ULL /* and BSP (8) */
#define X2APIC_VERSION_VALUE 0x00050014u
#define X2APIC_SVR_RESET     0xffu

#define ICR_FIXED	  (0u << 8)
#define ICR_LOWEST	  (1u << 8)
#define ICR_SMI		  (2u << 8)
#define ICR_NMI		  (4u << 8)
#define ICR_INIT	  (5u << 8)
#define ICR_STARTUP	  (6u << 8)
#define ICR_SELF	  (1u << 18)
#define ICR_ALL		  (2u << 18)
#define ICR_OTHERS	  (3u << 18)
#define ICR_DEST(d)	  ((u64)(d) << 32)

#define SIPI_VECTOR  0x08
#define SIPI_CS_BASE 0x8000

static struct vm vm;
static struct guest_config config;

static struct {
	u32 kicked; /* bit per CPU */
	u32 kicks;
	u32 resets;
	struct {
		u32 vcpu;
		struct guest_entry_state entry;
	} reset[TEST_RESETS_MAX];
	u64 tpr[TEST_VCPUS]; /* VCPU_TPR as a vendor keeps it: what CR8 also reads */
	u32 injects;
	struct {
		u32 vcpu;
		u8 vector;
	} inject[TEST_INJECTS_MAX];
} fake;

static bool fake_inject_interrupt(struct vcpu *vcpu, u8 vector)
{
	bool can = vcpu->regs.rflags & RFLAGS_IF;

	if (can && fake.injects < TEST_INJECTS_MAX) {
		fake.inject[fake.injects].vcpu = vcpu->id;
		fake.inject[fake.injects].vector = vector;
		fake.injects++;
	}
	return can;
}

static void fake_vcpu_reset(struct vcpu *vcpu, const struct guest_entry_state *entry)
{
	if (fake.resets < TEST_RESETS_MAX) {
		fake.reset[fake.resets].vcpu = vcpu->id;
		fake.reset[fake.resets].entry = *entry;
	}
	fake.resets++;
}

static u64 fake_read_state(struct vcpu *vcpu, enum vcpu_state_reg reg)
{
	return reg == VCPU_TPR ? fake.tpr[vcpu->id] : 0;
}

static void fake_write_state(struct vcpu *vcpu, enum vcpu_state_reg reg, u64 value)
{
	assert_int_equal(reg, VCPU_TPR);
	fake.tpr[vcpu->id] = value;
}

static void fake_kick(u32 cpu)
{
	assert_true(cpu < CONFIG_MAX_CPUS);
	fake.kicked |= 1u << cpu;
	fake.kicks++;
}

static const struct vendor_ops fake_ops = {
	.name = "fake",
	.inject_interrupt = fake_inject_interrupt,
	.vcpu_reset = fake_vcpu_reset,
	.read_state = fake_read_state,
	.write_state = fake_write_state,
};

static u32 cpu_bit(u32 vcpu_id)
{
	return 1u << (TEST_CPU_BASE + vcpu_id);
}

/* A running guest of count vCPUs, all runnable, IF set, APICs at reset. */
static void make_vm(u32 count)
{
	memset(&vm, 0, sizeof(vm));
	memset(&config, 0, sizeof(config));
	memset(&fake, 0, sizeof(fake));
	snprintf(config.name, sizeof(config.name), "apic");
	config.vcpu_count = count;
	vm.config = &config;
	vm.name = config.name;
	vm.ops = &fake_ops;
	vm.state = VM_STATE_RUNNING;
	vm.vcpu_count = count;
	vm.kick = fake_kick;
	audit_init(&vm.audit, 1);
	for (u32 i = 0; i < count; i++) {
		struct vcpu *vcpu = &vm.vcpus[i];

		vcpu->vm = &vm;
		vcpu->id = i;
		vcpu->cpu = TEST_CPU_BASE + i;
		vcpu->run_state = VCPU_RUNNABLE;
		vcpu->regs.rflags = RFLAGS_RESERVED_ONE | RFLAGS_IF;
		vlapic_create(vcpu);
		/* As an OS does before it takes interrupts (the reset state is disabled). */
		assert_true(vlapic_msr_write(vcpu, X2APIC_SVR, APIC_SVR_ENABLE | 0xff));
	}
}

static int setup(void **state)
{
	test_log_capture();
	make_vm(TEST_VCPUS);
	return 0;
}

static bool requested(u32 vcpu, u8 vector)
{
	return vm.vcpus[vcpu].apic.irr[vector / TEST_BITS_PER_WORD] &
	       (1u << (vector % TEST_BITS_PER_WORD));
}

static bool nothing_requested(u32 vcpu)
{
	for (u32 i = 0; i < VLAPIC_VECTOR_WORDS; i++)
		if (vm.vcpus[vcpu].apic.irr[i])
			return false;
	return true;
}

/* Sends icr from vCPU sender and checks exactly the vCPUs in targets (bit per id) got
 * vector requested and the CPUs of the other targets were kicked. Whether the sender's own
 * CPU is kicked is not part of the contract (it looks at its vCPU after this exit anyway). */
static void send_fixed(u32 sender, u64 icr, u32 targets)
{
	u8 vector = icr & ICR_VECTOR_MASK;

	fake.kicked = 0;
	assert_true(vlapic_msr_write(&vm.vcpus[sender], X2APIC_ICR, icr));
	for (u32 i = 0; i < vm.vcpu_count; i++) {
		bool target = targets & (1u << i);

		assert_int_equal(requested(i, vector), target);
		if (i != sender)
			assert_int_equal(!!(fake.kicked & cpu_bit(i)), target);
		/* As if each target entered and took its requests. */
		memset(vm.vcpus[i].apic.irr, 0, sizeof(vm.vcpus[i].apic.irr));
		vm.vcpus[i].apic.pending = 0;
		vm.vcpus[i].apic.kicked = 0;
	}
}

static u64 read_msr(u32 vcpu, u32 index)
{
	u64 value = 0xdeadbeefULL;

	assert_true(vlapic_msr_read(&vm.vcpus[vcpu], index, &value));
	return value;
}

static void test_apic_base_per_vcpu(void **state)
{
	u64 value;

	assert_int_equal(read_msr(0, MSR_IA32_APIC_BASE), APIC_BASE_BSP_VALUE);
	for (u32 i = 1; i < TEST_VCPUS; i++)
		assert_int_equal(read_msr(i, MSR_IA32_APIC_BASE), APIC_BASE_AP);
	assert_true(vlapic_msr_write(&vm.vcpus[0], MSR_IA32_APIC_BASE, APIC_BASE_BSP_VALUE));
	assert_true(vlapic_msr_write(&vm.vcpus[1], MSR_IA32_APIC_BASE, APIC_BASE_AP));
	/* BSP is read-only: an AP claiming it, or the BSP giving it up, changes nothing. */
	assert_true(vlapic_msr_write(&vm.vcpus[1], MSR_IA32_APIC_BASE, APIC_BASE_BSP_VALUE));
	assert_true(vlapic_msr_write(&vm.vcpus[0], MSR_IA32_APIC_BASE, APIC_BASE_AP));
	assert_int_equal(read_msr(0, MSR_IA32_APIC_BASE), APIC_BASE_BSP_VALUE);
	/* x2APIC -> xAPIC directly, EXTD without EN, moving the page, reserved bits: #GP. */
	assert_false(vlapic_msr_write(&vm.vcpus[1], MSR_IA32_APIC_BASE, APIC_BASE_AP & ~0x400ULL));
	assert_false(vlapic_msr_write(&vm.vcpus[1], MSR_IA32_APIC_BASE, APIC_BASE_AP & ~0x800ULL));
	assert_false(vlapic_msr_write(&vm.vcpus[1], MSR_IA32_APIC_BASE, 0xfed00c00ULL));
	assert_false(vlapic_msr_write(&vm.vcpus[1], MSR_IA32_APIC_BASE, APIC_BASE_AP | 0x200));
	assert_true(vlapic_msr_read(&vm.vcpus[1], MSR_IA32_APIC_BASE, &value));
	assert_int_equal(value, APIC_BASE_AP);
}

static void test_id_version_ldr(void **state)
{
	static const struct {
		u32 id;
		u64 ldr;
	} cases[] = { { 0, 0x1 }, { 1, 0x2 }, { 17, 0x10002 } };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vcpu vcpu = { .vm = &vm, .id = cases[i].id };
		u64 value;

		vlapic_create(&vcpu);
		assert_true(vlapic_msr_read(&vcpu, X2APIC_ID, &value));
		assert_int_equal(value, cases[i].id);
		assert_true(vlapic_msr_read(&vcpu, X2APIC_VERSION, &value));
		assert_int_equal(value, X2APIC_VERSION_VALUE);
		assert_true(vlapic_msr_read(&vcpu, X2APIC_LDR, &value));
		assert_int_equal(value, cases[i].ldr);
		/* Read-only in x2APIC mode. */
		assert_false(vlapic_msr_write(&vcpu, X2APIC_ID, cases[i].id));
		assert_false(vlapic_msr_write(&vcpu, X2APIC_VERSION, X2APIC_VERSION_VALUE));
		assert_false(vlapic_msr_write(&vcpu, X2APIC_LDR, cases[i].ldr));
	}
}

static void test_tpr_svr_round_trip(void **state)
{
	struct vcpu *vcpu = &vm.vcpus[1];

	assert_int_equal(read_msr(1, X2APIC_TPR), 0);
	assert_int_equal(read_msr(1, X2APIC_SVR), APIC_SVR_ENABLE | X2APIC_SVR_RESET);
	assert_true(vlapic_msr_write(vcpu, X2APIC_TPR, 0x20));
	assert_int_equal(read_msr(1, X2APIC_TPR), 0x20);
	assert_false(vlapic_msr_write(vcpu, X2APIC_TPR, 0x120));
	assert_false(vlapic_msr_write(vcpu, X2APIC_TPR, 1ULL << 32));
	assert_int_equal(read_msr(1, X2APIC_TPR), 0x20);

	assert_true(vlapic_msr_write(vcpu, X2APIC_SVR, 0x1f0)); /* vector, enable */
	assert_int_equal(read_msr(1, X2APIC_SVR), 0x1f0);
	/* EOI-broadcast suppression is not offered (version bit 24 clear): bit 12 reserved. */
	assert_false(vlapic_msr_write(vcpu, X2APIC_SVR, 0x11ff));
	assert_false(vlapic_msr_write(vcpu, X2APIC_SVR, 0x2ff)); /* bit 9: focus, reserved */
	assert_false(vlapic_msr_write(vcpu, X2APIC_SVR, 1ULL << 40));
	assert_int_equal(read_msr(1, X2APIC_SVR), 0x1f0);
	/* Each vCPU has its own registers. */
	assert_int_equal(read_msr(2, X2APIC_TPR), 0);
	assert_int_equal(read_msr(2, X2APIC_SVR), APIC_SVR_ENABLE | X2APIC_SVR_RESET);
}

/* The TPR MSR and CR8 are one register, kept by the vendor (VCPU_TPR): a guest's MOV to CR8
 * shows in MSR 0x808 and an MSR write is what CR8 then reads. The vlapic holds no copy. */
static void test_tpr_is_the_vendor_register(void **state)
{
	struct vcpu *vcpu = &vm.vcpus[1];

	fake.tpr[1] = 0xe0; /* the guest wrote CR8 = 14 */
	assert_int_equal(read_msr(1, X2APIC_TPR), 0xe0);
	assert_true(vlapic_msr_write(vcpu, X2APIC_TPR, 0x35));
	assert_int_equal(fake.tpr[1], 0x35); /* CR8 reads 3 */
	assert_int_equal(fake.tpr[2], 0);
	/* A refused write reaches nothing. */
	assert_false(vlapic_msr_write(vcpu, X2APIC_TPR, 0x100));
	assert_int_equal(fake.tpr[1], 0x35);
	/* INIT resets the APIC's requests; the TPR goes with the registers at the SIPI's
	 * vcpu_reset, in the vendor's copy: vlapic_reset must not write it from another CPU. */
	vlapic_reset(&vcpu->apic);
	assert_int_equal(fake.tpr[1], 0x35);
}

static void test_write_only_reserved_and_zero_only(void **state)
{
	struct vcpu *vcpu = &vm.vcpus[0];
	u64 value;

	assert_true(vlapic_msr_write(vcpu, X2APIC_EOI, 0));
	assert_false(vlapic_msr_write(vcpu, X2APIC_EOI, 1));
	assert_true(vlapic_msr_write(vcpu, X2APIC_ESR, 0));
	assert_false(vlapic_msr_write(vcpu, X2APIC_ESR, 0x80));
	assert_int_equal(read_msr(0, X2APIC_ESR), 0);
	assert_int_equal(read_msr(0, X2APIC_PPR), 0);
	assert_false(vlapic_msr_read(vcpu, X2APIC_EOI, &value));
	assert_false(vlapic_msr_read(vcpu, X2APIC_SELF_IPI, &value));
	assert_false(vlapic_msr_read(vcpu, X2APIC_LAST, &value));
	assert_false(vlapic_msr_write(vcpu, X2APIC_LAST, 0));
	assert_false(vlapic_msr_write(vcpu, X2APIC_PPR, 0));
	assert_true(vlapic_owns_msr(MSR_IA32_APIC_BASE));
	assert_true(vlapic_owns_msr(0x800));
	assert_true(vlapic_owns_msr(X2APIC_LAST));
	assert_false(vlapic_owns_msr(0x7ff));
	assert_false(vlapic_owns_msr(0x900));
	assert_int_equal(fake.kicks, 0);
}

static void test_fixed_ipi_physical(void **state)
{
	u64 icr = ICR_DEST(2) | ICR_FIXED | 0x40;

	send_fixed(0, icr, 1u << 2);
	assert_int_equal(read_msr(0, X2APIC_ICR), icr);
	assert_int_equal(fake.kicks, 1);
	/* Lowest priority is delivered as fixed. */
	send_fixed(3, ICR_DEST(1) | ICR_LOWEST | 0xfe, 1u << 1);
	assert_int_equal(vm.audit.records, 0);
}

static void test_shorthands(void **state)
{
	send_fixed(1, ICR_SELF | 0x41, 1u << 1);
	send_fixed(1, ICR_ALL | 0x42, 0xf);
	send_fixed(1, ICR_OTHERS | 0x43, 0xf & ~(1u << 1));
	/* The destination field is ignored with a shorthand. */
	send_fixed(2, ICR_DEST(0) | ICR_SELF | 0x44, 1u << 2);
	/* SELF IPI register: a fixed IPI to itself. */
	fake.kicked = 0;
	assert_true(vlapic_msr_write(&vm.vcpus[3], X2APIC_SELF_IPI, 0x50));
	assert_true(requested(3, 0x50));
	assert_true(nothing_requested(0) && nothing_requested(1) && nothing_requested(2));
	assert_false(vlapic_msr_write(&vm.vcpus[3], X2APIC_SELF_IPI, 0x150));
	assert_int_equal(vm.audit.records, 0);
}

static void test_logical_and_broadcast(void **state)
{
	/* Cluster 0 holds ids 0-15, one bit each (SDM Vol. 3 11.12.10.2). */
	send_fixed(0, ICR_DEST(0x0000000a) | ICR_LOGICAL | 0x60, (1u << 1) | (1u << 3));
	send_fixed(0, ICR_DEST(ICR_BROADCAST) | 0x61, 0xf);
	send_fixed(2, ICR_DEST(ICR_BROADCAST) | ICR_LOGICAL | 0x62, 0xf);
	assert_int_equal(vm.audit.records, 0);
	/* Cluster 1 (ids 16-31) has no vCPU here. */
	send_fixed(0, ICR_DEST(0x0001000f) | ICR_LOGICAL | 0x63, 0);
	assert_log_contains("event=ipi target=0x1000f value=0x1000f00000863 action=dropped "
			    "detail=no-such-vcpu");
}

static void test_dropped_ipis_are_audited(void **state)
{
	fake.kicked = 0;
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | 0x0f));
	assert_log_contains("vcpu=0 event=ipi target=0x1 value=0x10000000f action=dropped "
			    "detail=illegal-vector");
	assert_true(vlapic_msr_write(&vm.vcpus[1], X2APIC_ICR, ICR_DEST(9) | 0x40));
	assert_log_contains("vcpu=1 event=ipi target=0x9 value=0x900000040 action=dropped "
			    "detail=no-such-vcpu");
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(2) | ICR_NMI | 0x40));
	assert_log_contains("event=ipi target=0x2 value=0x200000440 action=dropped "
			    "detail=delivery-mode");
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_ALL | ICR_SMI));
	assert_int_equal(vm.audit.by_event[AUDIT_IPI], 4);
	for (u32 i = 0; i < TEST_VCPUS; i++)
		assert_true(nothing_requested(i));
	assert_int_equal(fake.kicked, 0);
	/* A self IPI of an exception vector is dropped the same way. */
	assert_true(vlapic_msr_write(&vm.vcpus[2], X2APIC_SELF_IPI, 0x02));
	assert_true(nothing_requested(2));
	assert_log_contains("vcpu=2 event=ipi target=0x0 value=0x40002 action=dropped "
			    "detail=illegal-vector");
}

static void test_reserved_icr_bits(void **state)
{
	static const u64 reserved[] = {
		1u << 12, 1u << 13, 1u << 16, 1u << 17, 1u << 20, 1u << 31
	};
	u64 before = ICR_DEST(3) | 0x70;

	send_fixed(0, before, 1u << 3);
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
		assert_false(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
					      ICR_DEST(3) | 0x71 | reserved[i]));
		assert_false(requested(3, 0x71));
		assert_int_equal(read_msr(0, X2APIC_ICR), before);
	}
}

static void test_init_sipi_starts_ap(void **state)
{
	struct vcpu *ap = &vm.vcpus[1];

	ap->run_state = VCPU_WAIT_SIPI;
	/* INIT level de-assert does nothing (SDM Vol. 3 11.6.1). */
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(1) | ICR_INIT | ICR_TRIGGER_LEVEL));
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(1) | ICR_INIT | ICR_LEVEL_ASSERT));
	assert_int_equal(ap->run_state, VCPU_WAIT_SIPI);
	assert_false(ap->sipi_pending);
	fake.kicked = 0;
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(1) | ICR_STARTUP | SIPI_VECTOR));
	assert_int_equal(ap->run_state, VCPU_RUNNABLE);
	assert_true(ap->sipi_pending);
	assert_int_equal(fake.kicked, cpu_bit(1));
	assert_int_equal(fake.resets, 0);

	vcpu_prepare_entry(ap);
	assert_int_equal(fake.resets, 1);
	assert_int_equal(fake.reset[0].vcpu, 1);
	assert_int_equal(fake.reset[0].entry.mode, GUEST_ENTRY_REAL16);
	assert_int_equal(fake.reset[0].entry.cs_base, SIPI_CS_BASE);
	assert_false(ap->sipi_pending);

	/* The second SIPI of INIT-SIPI-SIPI finds it running: ignored. */
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | ICR_STARTUP | 0x09));
	assert_false(ap->sipi_pending);
	vcpu_prepare_entry(ap);
	assert_int_equal(fake.resets, 1);
	assert_int_equal(vm.state, VM_STATE_RUNNING);
}

/* INIT and SIPI that arrive while the target's CPU still handles its HLT exit win over the
 * HLT, as on hardware: the vCPU starts instead of sleeping for good. */
static void test_start_up_wins_over_a_late_halt(void **state)
{
	struct vcpu *ap = &vm.vcpus[1];

	ap->regs.rflags = RFLAGS_RESERVED_ONE; /* cli; hlt */
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(1) | ICR_INIT | ICR_LEVEL_ASSERT));
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(1) | ICR_STARTUP | SIPI_VECTOR));
	vcpu_halt(ap);
	assert_int_equal(ap->run_state, VCPU_RUNNABLE);
	vcpu_prepare_entry(ap);
	assert_int_equal(fake.resets, 1);
	assert_int_equal(fake.reset[0].entry.cs_base, SIPI_CS_BASE);
}

/* INIT drops the requests; one sent after the SIPI stays pending for the started vCPU. */
static void test_requests_after_sipi_survive_the_start(void **state)
{
	struct vcpu *ap = &vm.vcpus[1];

	send_fixed(0, ICR_DEST(1) | 0x30, 1u << 1);
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | 0x30));
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(1) | ICR_INIT | ICR_LEVEL_ASSERT));
	assert_true(nothing_requested(1));
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(1) | ICR_STARTUP | SIPI_VECTOR));
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | 0x40));
	ap->regs.rflags = RFLAGS_RESERVED_ONE; /* the start-up state has IF clear */
	vcpu_prepare_entry(ap);
	assert_int_equal(fake.resets, 1);
	/* INIT left its APIC software-disabled: fixed IPIs wait until its OS enables it. */
	assert_true(nothing_requested(1));
	assert_true(vlapic_msr_write(ap, X2APIC_SVR, APIC_SVR_ENABLE | 0xff));
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | 0x40));
	vcpu_prepare_entry(ap);
	assert_true(requested(1, 0x40));
}

static void test_init_stops_waiting_and_clears_pending_sipi(void **state)
{
	struct vcpu *ap = &vm.vcpus[2];

	ap->run_state = VCPU_WAIT_SIPI;
	vcpu_post_sipi(ap, 0x10);
	assert_true(ap->sipi_pending);
	/* A level de-assert INIT changes nothing; a level assert INIT before it ran sends it
	 * back to waiting, the start-up forgotten. */
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(2) | ICR_INIT | ICR_TRIGGER_LEVEL));
	assert_int_equal(ap->run_state, VCPU_RUNNABLE);
	assert_true(ap->sipi_pending);
	assert_true(
		vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				 ICR_DEST(2) | ICR_INIT | ICR_TRIGGER_LEVEL | ICR_LEVEL_ASSERT));
	assert_int_equal(ap->run_state, VCPU_WAIT_SIPI);
	assert_false(ap->sipi_pending);
	vcpu_prepare_entry(ap);
	assert_int_equal(fake.resets, 0);
	/* An edge INIT to a running vCPU. */
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(3) | ICR_INIT));
	assert_int_equal(vm.vcpus[3].run_state, VCPU_WAIT_SIPI);
	assert_int_equal(vm.state, VM_STATE_RUNNING);
}

/* Kicks only where the target's CPU must act (docs/scheduling.md, "Kicks"): a flood of IPIs
 * at a vCPU that cannot take them never interrupts whoever runs on its CPU. */
static void test_no_kick_for_a_vcpu_that_takes_nothing(void **state)
{
	struct vcpu *waiting = &vm.vcpus[1], *asleep = &vm.vcpus[2];

	waiting->run_state = VCPU_WAIT_SIPI;
	asleep->regs.rflags = RFLAGS_RESERVED_ONE; /* cli; hlt */
	vcpu_halt(asleep);
	assert_int_equal(asleep->run_state, VCPU_HALTED);
	fake.kicked = 0;
	for (u32 i = 0; i < 1000; i++) {
		assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | 0x40));
		assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(2) | 0x40));
		/* A SIPI to a vCPU that is not waiting for one is ignored, and kicks nobody. */
		assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
					     ICR_DEST(3) | ICR_STARTUP | SIPI_VECTOR));
	}
	assert_int_equal(fake.kicked, 0);
	/* INIT to a vCPU that is not running changes its state but needs no kick. */
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(2) | ICR_INIT | ICR_LEVEL_ASSERT));
	assert_int_equal(asleep->run_state, VCPU_WAIT_SIPI);
	assert_int_equal(fake.kicked, 0);
	/* INIT to a running one must make it leave the guest. */
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR,
				     ICR_DEST(3) | ICR_INIT | ICR_LEVEL_ASSERT));
	assert_int_equal(fake.kicked, cpu_bit(3));
	assert_int_equal(vm.state, VM_STATE_RUNNING);
}

/* Requests to a running vCPU that has not entered since the last kick share that kick. */
static void test_kicks_coalesce_until_the_target_enters(void **state)
{
	struct vcpu *target = &vm.vcpus[1];

	fake.kicks = 0;
	for (u32 i = 0; i < 100; i++)
		assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | (0x40 + i)));
	assert_int_equal(fake.kicks, 1);
	vcpu_prepare_entry(target); /* takes the requests: the next one kicks again */
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | 0x30));
	assert_int_equal(fake.kicks, 2);
}

static void test_halt_wakes_on_fixed_ipi(void **state)
{
	struct vcpu *sleeper = &vm.vcpus[1];

	vcpu_halt(sleeper);
	assert_int_equal(sleeper->run_state, VCPU_HALTED);
	assert_int_equal(vm.state, VM_STATE_RUNNING);
	assert_true(sleeper->halted_with_interrupts);
	fake.kicked = 0;
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | 0x30));
	assert_int_equal(sleeper->run_state, VCPU_RUNNABLE);
	assert_int_equal(fake.kicked, cpu_bit(1));
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(1) | 0xe1));
	/* The highest request first (another IRR word), one per entry. */
	vcpu_prepare_entry(sleeper);
	assert_int_equal(fake.injects, 1);
	assert_int_equal(fake.inject[0].vcpu, 1);
	assert_int_equal(fake.inject[0].vector, 0xe1);
	assert_false(requested(1, 0xe1));
	assert_true(requested(1, 0x30));
	/* 0xE1 in service holds 0x30 back until its EOI. */
	vcpu_prepare_entry(sleeper);
	assert_int_equal(fake.injects, 1);
	assert_true(vlapic_msr_write(sleeper, X2APIC_EOI, 0));
	vcpu_prepare_entry(sleeper);
	assert_int_equal(fake.injects, 2);
	assert_int_equal(fake.inject[1].vector, 0x30);
	assert_true(nothing_requested(1));
	vcpu_prepare_entry(sleeper);
	assert_int_equal(fake.injects, 2);
}

static void test_halt_with_interrupts_off_stays_asleep(void **state)
{
	struct vcpu *sleeper = &vm.vcpus[2];

	sleeper->regs.rflags = RFLAGS_RESERVED_ONE;
	vcpu_halt(sleeper);
	assert_int_equal(sleeper->run_state, VCPU_HALTED);
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(2) | 0x30));
	assert_int_equal(sleeper->run_state, VCPU_HALTED);
	assert_true(requested(2, 0x30));
	/* Entering anyway (IF clear): the request stays until the guest can take it. */
	vcpu_prepare_entry(sleeper);
	assert_int_equal(fake.injects, 0);
	assert_true(requested(2, 0x30));
}

static void test_halt_with_request_waiting_does_not_sleep(void **state)
{
	struct vcpu *vcpu = &vm.vcpus[3];

	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_DEST(3) | 0x90));
	vcpu_halt(vcpu);
	assert_int_equal(vcpu->run_state, VCPU_RUNNABLE);
	assert_int_equal(vcpu->clock.halts, 1);
}

static void test_last_runnable_halt_stops_guest(void **state)
{
	make_vm(2);
	vm.vcpus[1].run_state = VCPU_WAIT_SIPI;
	vm.vcpus[0].regs.rip = 0x1234;
	vcpu_halt(&vm.vcpus[0]);
	assert_int_equal(vm.state, VM_STATE_STOPPED);
	assert_int_equal(strncmp(vm.stop_reason, "halted: no vCPU can run",
				 strlen("halted: no vCPU can run")),
			 0);
	assert_non_null(strstr(vm.stop_reason, "vcpu 0 at rip 0x1234"));
	assert_log_contains("vcpu=0 event=halt target=0x1234 value=0x1 action=stopped");
	assert_log_contains("guest 'apic' stopped: halted: no vCPU can run");
}

static void test_init_to_only_runnable_stops_guest(void **state)
{
	make_vm(3);
	vm.vcpus[1].run_state = VCPU_HALTED;
	vm.vcpus[2].run_state = VCPU_WAIT_SIPI;
	assert_true(vlapic_msr_write(&vm.vcpus[0], X2APIC_ICR, ICR_SELF | ICR_INIT));
	assert_int_equal(vm.vcpus[0].run_state, VCPU_WAIT_SIPI);
	assert_int_equal(vm.state, VM_STATE_STOPPED);
	assert_int_equal(strncmp(vm.stop_reason, "halted: no vCPU can run",
				 strlen("halted: no vCPU can run")),
			 0);
	assert_log_contains("event=halt");
}

static void test_halt_not_last_keeps_guest(void **state)
{
	vcpu_halt(&vm.vcpus[0]);
	vcpu_halt(&vm.vcpus[1]);
	vcpu_halt(&vm.vcpus[2]);
	assert_int_equal(vm.state, VM_STATE_RUNNING);
	assert_int_equal(vm.audit.records, 0);
	vcpu_halt(&vm.vcpus[3]);
	assert_int_equal(vm.state, VM_STATE_STOPPED);
	assert_non_null(strstr(vm.stop_reason, "vcpu 3 at rip"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_apic_base_per_vcpu, setup),
		cmocka_unit_test_setup(test_id_version_ldr, setup),
		cmocka_unit_test_setup(test_tpr_svr_round_trip, setup),
		cmocka_unit_test_setup(test_tpr_is_the_vendor_register, setup),
		cmocka_unit_test_setup(test_write_only_reserved_and_zero_only, setup),
		cmocka_unit_test_setup(test_fixed_ipi_physical, setup),
		cmocka_unit_test_setup(test_shorthands, setup),
		cmocka_unit_test_setup(test_logical_and_broadcast, setup),
		cmocka_unit_test_setup(test_dropped_ipis_are_audited, setup),
		cmocka_unit_test_setup(test_reserved_icr_bits, setup),
		cmocka_unit_test_setup(test_init_sipi_starts_ap, setup),
		cmocka_unit_test_setup(test_init_stops_waiting_and_clears_pending_sipi, setup),
		cmocka_unit_test_setup(test_start_up_wins_over_a_late_halt, setup),
		cmocka_unit_test_setup(test_requests_after_sipi_survive_the_start, setup),
		cmocka_unit_test_setup(test_no_kick_for_a_vcpu_that_takes_nothing, setup),
		cmocka_unit_test_setup(test_kicks_coalesce_until_the_target_enters, setup),
		cmocka_unit_test_setup(test_halt_wakes_on_fixed_ipi, setup),
		cmocka_unit_test_setup(test_halt_with_interrupts_off_stays_asleep, setup),
		cmocka_unit_test_setup(test_halt_with_request_waiting_does_not_sleep, setup),
		cmocka_unit_test_setup(test_last_runnable_halt_stops_guest, setup),
		cmocka_unit_test_setup(test_init_to_only_runnable_stops_guest, setup),
		cmocka_unit_test_setup(test_halt_not_last_keeps_guest, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
