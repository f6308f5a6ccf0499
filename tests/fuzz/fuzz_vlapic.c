// SPDX-License-Identifier: MIT
/* libFuzzer target for vmm/vlapic.c and vmm/vcpu_state.c: the input is a start byte, then
 * 11-byte commands (op, vcpu, msr offset, 64-bit value) that a 4-vCPU guest's vCPUs run
 * against their x2APICs (MSR reads and writes, IPIs, HLT, entries, RFLAGS.IF), with the
 * contract of docs/guest-interface.md ("Local APIC") and the run-state rules checked. */
#include "fuzz_support.h"

#include <moat/exit.h>
#include <moat/log.h>
#include <moat/vm.h>
#include <moat/vlapic.h>
#include <moat/x2apic.h>

#define FUZZ_VLAPIC_VCPUS	 4
#define FUZZ_VLAPIC_CPU_BASE	 2 /* vCPU i runs on CPU FUZZ_VLAPIC_CPU_BASE + i */
#define FUZZ_VLAPIC_NAME	 "fuzz"
#define FUZZ_VLAPIC_COMMAND_SIZE 11 /* op, vcpu, offset, value (8 bytes, little endian) */
/* Start byte: bit i, vCPU i (i > 0) was started already; bit 4 + i, its RFLAGS.IF is set. */
#define FUZZ_VLAPIC_START_IF_SHIFT 4

/* A FUZZ_VLAPIC_SEND_IPI command builds a valid ICR: the offset byte is the vector, value
 * byte 1 the fields of bits 8-15 (mode, logical, level, trigger), value byte 2 bits 0-1 the
 * shorthand and bit 2 a full 32-bit destination (value bits 63:32) instead of a small ID
 * (value byte 4 modulo FUZZ_VLAPIC_SMALL_DESTINATIONS, one past the last vCPU included). */
#define FUZZ_VLAPIC_ICR_FIELDS_SHIFT	8
#define FUZZ_VLAPIC_ICR_SHORTHAND_SHIFT 18
#define FUZZ_VLAPIC_SHORTHAND_MASK	0x3u
#define FUZZ_VLAPIC_FULL_DESTINATION	0x4u
#define FUZZ_VLAPIC_SMALL_DESTINATIONS	(FUZZ_VLAPIC_VCPUS + 2)

/* x2APIC MSRs (SDM Vol. 3 Table 11-6) and what docs/guest-interface.md promises for them. */
#define X2APIC_VERSION_VALUE 0x00050014u
#define X2APIC_TPR_WRITABLE  0xffULL
#define X2APIC_SVR_WRITABLE  0x11ffULL
#define X2APIC_VECTOR_MASK   0xffULL
#define X2APIC_ICR_WRITABLE  0xffffffff000ccfffULL
#define APIC_BASE_AP	     0xfee00c00ULL /* base, enable (bit 11), x2APIC (bit 10) */
#define APIC_BASE_BSP_BIT    0x100ULL

/* ICR fields (SDM Vol. 3 Figure 11-28), for the reference model of IPI delivery. */
#define ICR_MODE_SHIFT	     8
#define ICR_MODE_MASK	     7u
#define ICR_MODE_FIXED	     0u
#define ICR_MODE_LOWEST	     1u
#define ICR_MODE_INIT	     5u
#define ICR_MODE_STARTUP     6u

#define FUZZ_VLAPIC_BITS_PER_WORD     32 /* irr: a bit per vector, 32 to a word */
#define X2APIC_LDR_MEMBER_MASK	      0xfu
#define FUZZ_VLAPIC_EXCEPTION_VECTORS 0xffffu /* irr bits 0-15 of word 0 */
#define FUZZ_VLAPIC_REAL_MODE_LIMIT   0x100000ULL
#define FUZZ_VLAPIC_PAGE_MASK	      0xfffULL

enum fuzz_vlapic_op {
	FUZZ_VLAPIC_READ,	/* RDMSR 0x800 + offset */
	FUZZ_VLAPIC_WRITE,	/* WRMSR 0x800 + offset */
	FUZZ_VLAPIC_READ_BASE,	/* RDMSR IA32_APIC_BASE */
	FUZZ_VLAPIC_WRITE_BASE, /* WRMSR IA32_APIC_BASE */
	FUZZ_VLAPIC_HALT,	/* HLT */
	FUZZ_VLAPIC_ENTER,	/* the vCPU's CPU enters it */
	FUZZ_VLAPIC_TOGGLE_IF,	/* CLI / STI */
	FUZZ_VLAPIC_ENTER_ALL,	/* every runnable vCPU is entered, as the scheduler does */
	FUZZ_VLAPIC_SEND_IPI,	/* WRMSR ICR with a well-formed value */
	FUZZ_VLAPIC_STI_HLT,	/* the idle loop of an OS */
	FUZZ_VLAPIC_OP_COUNT,
};

static struct vm vm;
static struct guest_config config;
static int injected; /* the vector the last entry injected, or -1 */

static bool fuzz_vlapic_inject(struct vcpu *vcpu, u8 vector)
{
	bool can = vcpu->regs.rflags & RFLAGS_IF;

	FUZZ_CHECK(vector >= X86_VECTOR_FIRST_INTERRUPT);
	if (can)
		injected = vector;
	return can;
}

static u64 fuzz_vlapic_tpr[FUZZ_VLAPIC_VCPUS]; /* VCPU_TPR as a vendor keeps it */

/* A SIPI starts a vCPU in real mode at a page below 1 MiB (SDM Vol. 3 11.6.1). */
static void fuzz_vlapic_reset(struct vcpu *vcpu, const struct guest_entry_state *entry)
{
	FUZZ_CHECK(entry->mode == GUEST_ENTRY_REAL16);
	FUZZ_CHECK((entry->cs_base & FUZZ_VLAPIC_PAGE_MASK) == 0);
	FUZZ_CHECK(entry->cs_base < FUZZ_VLAPIC_REAL_MODE_LIMIT);
	/* As the vendors do: the start-up state has IF clear. */
	vcpu->regs = (struct vcpu_regs){ .rip = entry->rip, .rflags = entry->rflags | 0x2 };
	fuzz_vlapic_tpr[vcpu->id] = 0;
}

static u64 fuzz_vlapic_read_state(struct vcpu *vcpu, enum vcpu_state_reg reg)
{
	return reg == VCPU_TPR ? fuzz_vlapic_tpr[vcpu->id] : 0;
}

static void fuzz_vlapic_write_state(struct vcpu *vcpu, enum vcpu_state_reg reg, u64 value)
{
	FUZZ_CHECK(reg == VCPU_TPR && value <= X2APIC_TPR_WRITABLE);
	fuzz_vlapic_tpr[vcpu->id] = value;
}

static void fuzz_vlapic_kick(u32 cpu)
{
	FUZZ_CHECK(cpu >= FUZZ_VLAPIC_CPU_BASE && cpu < FUZZ_VLAPIC_CPU_BASE + FUZZ_VLAPIC_VCPUS);
}

static const struct vendor_ops fuzz_vlapic_ops = {
	.name = "fake",
	.inject_interrupt = fuzz_vlapic_inject,
	.vcpu_reset = fuzz_vlapic_reset,
	.read_state = fuzz_vlapic_read_state,
	.write_state = fuzz_vlapic_write_state,
};

/* A guest as it starts: vCPU 0 running, the others waiting for a start-up IPI unless start
 * says they were started already. */
static void fuzz_vlapic_init(u8 start)
{
	memset(&vm, 0, sizeof(vm));
	memset(&config, 0, sizeof(config));
	memset(fuzz_vlapic_tpr, 0, sizeof(fuzz_vlapic_tpr));
	strcpy(config.name, FUZZ_VLAPIC_NAME);
	config.vcpu_count = FUZZ_VLAPIC_VCPUS;
	vm.config = &config;
	vm.name = config.name;
	vm.ops = &fuzz_vlapic_ops;
	vm.state = VM_STATE_RUNNING;
	vm.vcpu_count = FUZZ_VLAPIC_VCPUS;
	vm.kick = fuzz_vlapic_kick;
	audit_init(&vm.audit, 1);
	for (u32 i = 0; i < FUZZ_VLAPIC_VCPUS; i++) {
		struct vcpu *vcpu = &vm.vcpus[i];

		vcpu->vm = &vm;
		vcpu->id = i;
		vcpu->cpu = FUZZ_VLAPIC_CPU_BASE + i;
		vcpu->run_state = i && !(start & (1u << i)) ? VCPU_WAIT_SIPI : VCPU_RUNNABLE;
		vcpu->regs.rflags = RFLAGS_RESERVED_ONE;
		if (start & (1u << (FUZZ_VLAPIC_START_IF_SHIFT + i)))
			vcpu->regs.rflags |= RFLAGS_IF;
		vlapic_create(vcpu);
	}
}

static u64 fuzz_vlapic_ldr(u32 id)
{
	return ((u64)(id >> X2APIC_LDR_CLUSTER_SHIFT) << X2APIC_LDR_CLUSTER_BITS) |
	       (1u << (id & X2APIC_LDR_MEMBER_MASK));
}

static bool fuzz_vlapic_x2apic(const struct vcpu *vcpu)
{
	return (vcpu->apic.base & APIC_BASE_AP) == APIC_BASE_AP;
}

/* What a read must answer (docs/guest-interface.md): the x2APIC MSRs exist only in x2APIC
 * mode; there the identity registers read their fixed values. The rest of the model's
 * registers are checked by tests/unit/vlapic_model_test.c. */
static void fuzz_vlapic_check_read(const struct vcpu *vcpu, u32 index, bool ok, u64 value)
{
	if (index == MSR_IA32_APIC_BASE) {
		FUZZ_CHECK(ok && (value & ~0xd00ULL) == 0xfee00000ULL &&
			   (value & 0xc00ULL) != 0x400ULL && !!(value & APIC_BASE_BSP_BIT) == !vcpu->id);
		return;
	}
	if (!fuzz_vlapic_x2apic(vcpu)) {
		FUZZ_CHECK(!ok);
		return;
	}
	switch (index) {
	case X2APIC_ID:
		FUZZ_CHECK(ok && value == vcpu->id);
		break;
	case X2APIC_VERSION:
		FUZZ_CHECK(ok && value == X2APIC_VERSION_VALUE);
		break;
	case X2APIC_LDR:
		FUZZ_CHECK(ok && value == fuzz_vlapic_ldr(vcpu->id));
		break;
	case X2APIC_TPR:
		FUZZ_CHECK(ok && (value & ~X2APIC_TPR_WRITABLE) == 0);
		break;
	case X2APIC_ICR:
		FUZZ_CHECK(ok && value == vcpu->apic.icr && (value & ~X2APIC_ICR_WRITABLE) == 0);
		break;
	case X2APIC_EOI:
	case X2APIC_SELF_IPI:
		FUZZ_CHECK(!ok);
		break;
	default:
		break;
	}
}

/* Writes that must raise #GP whatever the state (reserved bits, no x2APIC mode). */
static bool fuzz_vlapic_write_refused(const struct vcpu *vcpu, u32 index, u64 value)
{
	if (index == MSR_IA32_APIC_BASE)
		return (value & ~0xfffULL) != 0xfee00000ULL || (value & 0xc00ULL) == 0x400ULL;
	if (!fuzz_vlapic_x2apic(vcpu))
		return true;
	switch (index) {
	case X2APIC_TPR:
		return value & ~X2APIC_TPR_WRITABLE;
	case X2APIC_EOI:
	case X2APIC_ESR:
		return value != 0;
	case X2APIC_ICR:
		return value & ~X2APIC_ICR_WRITABLE;
	case X2APIC_SELF_IPI:
		return value & ~X2APIC_VECTOR_MASK;
	default:
		return false;
	}
}

static bool fuzz_vlapic_requested(const struct vcpu *vcpu, u8 vector)
{
	return vcpu->apic.irr[vector / FUZZ_VLAPIC_BITS_PER_WORD] &
	       (1u << (vector % FUZZ_VLAPIC_BITS_PER_WORD));
}

static int fuzz_vlapic_highest(const struct vlapic *apic)
{
	for (int i = VLAPIC_VECTOR_WORDS - 1; i >= 0; i--)
		if (apic->irr[i])
			return i * FUZZ_VLAPIC_BITS_PER_WORD + FUZZ_VLAPIC_BITS_PER_WORD - 1 -
			       __builtin_clz(apic->irr[i]);
	return -1;
}

/* An entry starts a pending SIPI (IF clear: requests stay pending), then injects the highest
 * request if the guest can take it, and only then clears its bit. */
static void fuzz_vlapic_enter(struct vcpu *vcpu)
{
	int expected = vcpu->sipi_pending ? -1 : fuzz_vlapic_highest(&vcpu->apic);

	injected = -1;
	vcpu_prepare_entry(vcpu);
	FUZZ_CHECK(!vcpu->sipi_pending);
	if (!(vcpu->regs.rflags & RFLAGS_IF) || expected < 0) {
		FUZZ_CHECK(injected == -1);
		return;
	}
	/* The highest request, unless the processor priority holds it back. */
	FUZZ_CHECK(injected == -1 || injected == expected);
	if (injected >= 0)
		FUZZ_CHECK(!fuzz_vlapic_requested(vcpu, (u8)expected));
}

/* What the vCPUs looked like before an IPI. */
struct fuzz_vlapic_snapshot {
	enum vcpu_run_state run_state[FUZZ_VLAPIC_VCPUS];
	bool requested[FUZZ_VLAPIC_VCPUS]; /* the IPI's vector */
	bool enabled[FUZZ_VLAPIC_VCPUS];   /* IA32_APIC_BASE enable: takes INIT and SIPI */
};

static void fuzz_vlapic_snapshot(struct fuzz_vlapic_snapshot *snap, u8 vector)
{
	for (u32 i = 0; i < FUZZ_VLAPIC_VCPUS; i++) {
		snap->run_state[i] = vm.vcpus[i].run_state;
		snap->requested[i] = fuzz_vlapic_requested(&vm.vcpus[i], vector);
		snap->enabled[i] = vm.vcpus[i].apic.base & 0x800ULL;
	}
}

/* Reference model of the destinations in docs/guest-interface.md (SDM Vol. 3 11.12.10). */
static bool fuzz_vlapic_is_target(u64 icr, u32 sender, u32 id)
{
	u32 destination = icr >> 32;

	switch ((icr >> FUZZ_VLAPIC_ICR_SHORTHAND_SHIFT) & FUZZ_VLAPIC_SHORTHAND_MASK) {
	case ICR_SHORTHAND_SELF:
		return id == sender;
	case ICR_SHORTHAND_ALL:
		return true;
	case ICR_SHORTHAND_OTHERS:
		return id != sender;
	}
	if (destination == ICR_BROADCAST)
		return true;
	if (icr & ICR_LOGICAL)
		return (destination >> X2APIC_LDR_CLUSTER_BITS) ==
			       (id >> X2APIC_LDR_CLUSTER_SHIFT) &&
		       (destination & (1u << (id & X2APIC_LDR_MEMBER_MASK)));
	return destination == id;
}

/* After an accepted ICR write: every target and only the targets got the IPI. */
static void fuzz_vlapic_check_ipi(u32 sender, u64 icr, const struct fuzz_vlapic_snapshot *snap)
{
	u32 mode = (icr >> ICR_MODE_SHIFT) & ICR_MODE_MASK;
	u8 vector = icr & ICR_VECTOR_MASK;
	bool fixed = mode == ICR_MODE_FIXED || mode == ICR_MODE_LOWEST;
	bool init =
		mode == ICR_MODE_INIT && ((icr & ICR_LEVEL_ASSERT) || !(icr & ICR_TRIGGER_LEVEL));

	for (u32 i = 0; i < FUZZ_VLAPIC_VCPUS; i++) {
		const struct vcpu *vcpu = &vm.vcpus[i];
		bool target = fuzz_vlapic_is_target(icr, sender, i) && snap->enabled[i];

		/* Only a target can gain the vector (a software-disabled one takes none). */
		if (fixed && vector >= X86_VECTOR_FIRST_INTERRUPT)
			FUZZ_CHECK(!fuzz_vlapic_requested(vcpu, vector) || snap->requested[i] ||
				   target);
		else if (init && target) /* INIT resets the APIC, requests included */
			FUZZ_CHECK(!fuzz_vlapic_requested(vcpu, vector));
		else
			FUZZ_CHECK(fuzz_vlapic_requested(vcpu, vector) == snap->requested[i]);
		if (init && target)
			FUZZ_CHECK(vcpu->run_state == VCPU_WAIT_SIPI);
		else if (mode == ICR_MODE_STARTUP && target && snap->run_state[i] == VCPU_WAIT_SIPI)
			FUZZ_CHECK(vcpu->run_state == VCPU_RUNNABLE && vcpu->sipi_pending &&
				   vcpu->sipi_vector == vector);
		else if (!fixed || !target)
			FUZZ_CHECK(vcpu->run_state == snap->run_state[i]);
	}
}

static void fuzz_vlapic_access(struct vcpu *vcpu, bool write, u32 index, u64 value)
{
	struct fuzz_vlapic_snapshot snap;
	u64 read = 0;
	bool ok;

	if (write) {
		bool self = index == X2APIC_SELF_IPI;
		u64 icr = self ? (u64)ICR_SHORTHAND_SELF << FUZZ_VLAPIC_ICR_SHORTHAND_SHIFT | value
			       : value;

		struct vcpu snap_vcpu = *vcpu;

		fuzz_vlapic_snapshot(&snap, icr & ICR_VECTOR_MASK);
		ok = vlapic_msr_write(vcpu, index, value);
		if (fuzz_vlapic_write_refused(&snap_vcpu, index, value))
			FUZZ_CHECK(!ok);
		if (ok && (self || index == X2APIC_ICR))
			fuzz_vlapic_check_ipi(vcpu->id, icr, &snap);
	} else {
		ok = vlapic_msr_read(vcpu, index, &read);
		fuzz_vlapic_check_read(vcpu, index, ok, read);
	}
	FUZZ_CHECK(vlapic_owns_msr(index));
}

/* The run-state rules of vmm/vcpu_state.c that hold after every step. */
static void fuzz_vlapic_check_guest(void)
{
	bool any_runnable = false;

	for (u32 i = 0; i < vm.vcpu_count; i++) {
		const struct vcpu *vcpu = &vm.vcpus[i];

		FUZZ_CHECK(vcpu->run_state == VCPU_RUNNABLE || vcpu->run_state == VCPU_HALTED ||
			   vcpu->run_state == VCPU_WAIT_SIPI);
		FUZZ_CHECK((vcpu->apic.irr[0] & FUZZ_VLAPIC_EXCEPTION_VECTORS) == 0);
		/* A pending start-up belongs to a vCPU about to run (INIT clears it). */
		FUZZ_CHECK(!vcpu->sipi_pending || vcpu->run_state == VCPU_RUNNABLE);
		/* No lost wake-up: a request reaching a vCPU that halted with IF set wakes it; one
		 * the processor priority holds back may wait while it halts (SDM Vol. 3 11.8.3). */
		FUZZ_CHECK(!(vcpu->run_state == VCPU_HALTED && vcpu->halted_with_interrupts &&
			     vlapic_next_vector((struct vcpu *)vcpu) >= 0));
		any_runnable |= vcpu->run_state == VCPU_RUNNABLE;
	}
	FUZZ_CHECK(vm.state == VM_STATE_RUNNING || vm.state == VM_STATE_STOPPED);
	/* No silent hang: a guest no vCPU of which can run has been stopped. */
	FUZZ_CHECK(vm.state == VM_STATE_STOPPED || any_runnable);
	if (vm.state == VM_STATE_STOPPED)
		FUZZ_CHECK(vm.stop_reason[0] != '\0');
}

static u64 fuzz_vlapic_value(const u8 *bytes)
{
	u64 value = 0;

	for (int i = sizeof(value) - 1; i >= 0; i--)
		value = value << 8 | bytes[i]; /* little endian */
	return value;
}

/* Guest instructions (MSR accesses, HLT, CLI/STI) come from any vCPU, even one INIT and
 * SIPI just reached: its CPU may still be handling the exit of an instruction from before
 * (a HLT handled then must not swallow the start-up). */
static bool fuzz_vlapic_executes(const struct vcpu *vcpu, enum fuzz_vlapic_op op)
{
	return true;
}

static u64 fuzz_vlapic_icr(u8 vector, u64 value)
{
	u8 fields = value >> 8, flags = value >> 16; /* value bytes 1 and 2 */
	u64 destination = (u8)(value >> 32) % FUZZ_VLAPIC_SMALL_DESTINATIONS;

	if (flags & FUZZ_VLAPIC_FULL_DESTINATION)
		destination = value >> 32;
	return destination << 32 |
	       (u64)(flags & FUZZ_VLAPIC_SHORTHAND_MASK) << FUZZ_VLAPIC_ICR_SHORTHAND_SHIFT |
	       (u64)fields << FUZZ_VLAPIC_ICR_FIELDS_SHIFT | vector;
}

static void fuzz_vlapic_run(const u8 *command)
{
	struct vcpu *vcpu = &vm.vcpus[command[1] % FUZZ_VLAPIC_VCPUS];
	enum fuzz_vlapic_op op = command[0] % FUZZ_VLAPIC_OP_COUNT;
	u32 index = X2APIC_FIRST + command[2];
	u64 value = fuzz_vlapic_value(&command[3]);

	if (!fuzz_vlapic_executes(vcpu, op))
		return;
	switch (op) {
	case FUZZ_VLAPIC_READ:
		fuzz_vlapic_access(vcpu, false, index, 0);
		break;
	case FUZZ_VLAPIC_WRITE:
		fuzz_vlapic_access(vcpu, true, index, value);
		break;
	case FUZZ_VLAPIC_READ_BASE:
		fuzz_vlapic_access(vcpu, false, MSR_IA32_APIC_BASE, 0);
		break;
	case FUZZ_VLAPIC_WRITE_BASE:
		fuzz_vlapic_access(vcpu, true, MSR_IA32_APIC_BASE, value);
		break;
	case FUZZ_VLAPIC_HALT:
		vcpu_halt(vcpu);
		break;
	case FUZZ_VLAPIC_ENTER:
		if (vcpu_is_runnable(vcpu)) /* the scheduler enters nothing else */
			fuzz_vlapic_enter(vcpu);
		break;
	case FUZZ_VLAPIC_TOGGLE_IF:
		vcpu->regs.rflags ^= RFLAGS_IF;
		break;
	case FUZZ_VLAPIC_ENTER_ALL:
		for (u32 i = 0; i < vm.vcpu_count; i++)
			if (vcpu_is_runnable(&vm.vcpus[i]))
				fuzz_vlapic_enter(&vm.vcpus[i]);
		break;
	case FUZZ_VLAPIC_SEND_IPI:
		fuzz_vlapic_access(vcpu, true, X2APIC_ICR, fuzz_vlapic_icr(command[2], value));
		break;
	case FUZZ_VLAPIC_STI_HLT:
		vcpu->regs.rflags |= RFLAGS_IF;
		vcpu_halt(vcpu);
		break;
	case FUZZ_VLAPIC_OP_COUNT:
		break;
	}
	fuzz_vlapic_check_guest();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	log_set_sink(fuzz_check_log_line);
	log_set_level(LOG_DEBUG);
	if (!size)
		return 0;
	fuzz_vlapic_init(data[0]);
	for (size_t i = 1; i + FUZZ_VLAPIC_COMMAND_SIZE <= size; i += FUZZ_VLAPIC_COMMAND_SIZE) {
		fuzz_vlapic_run(&data[i]);
		/* A stopped guest runs no more vCPUs: the rest of the input drives a new one. */
		if (vm.state == VM_STATE_STOPPED)
			fuzz_vlapic_init(data[0]);
	}
	return 0;
}
