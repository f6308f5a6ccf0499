// SPDX-License-Identifier: MIT
/* hostile_vminsn: runs every SVM and VMX instruction, one stopping instruction per boot (the
 * restart count says where to continue). The other vendor's instructions raise #UD in the
 * guest and it moves on; its own vendor's must stop it (docs/guest-interface.md, "Instructions
 * a guest may not run"). Unknown hypercall numbers must return -ENOSYS. */
#include "guest.h"

#define VMINSN_MAX_BYTES 8
#define VMINSN_OPCODE_RET 0xc3
/* Memory operands point at this page; register operands are EAX (the page) and ECX (0). */
#define VMINSN_SCRATCH_SIZE 4096

enum vminsn_vendor {
	VMINSN_AMD,
	VMINSN_INTEL,
};

struct vminsn {
	const char *name;
	enum vminsn_vendor vendor;
	u8 length;
	u8 bytes[VMINSN_MAX_BYTES];
};

enum hostile_vminsn_check {
	HOSTILE_VMINSN_CHECK_RESTART_COUNT = 1,
	HOSTILE_VMINSN_CHECK_OTHER_VENDOR_UD,
	HOSTILE_VMINSN_CHECK_OWN_VENDOR_STOPS,
	HOSTILE_VMINSN_CHECK_HYPERCALL_ENOSYS,
};

const char guest_name[] = "hostile_vminsn";

/*
 * Encodings: AMD APM Vol. 3 (VMRUN 0F 01 D8 ... INVLPGA 0F 01 DF, all with implicit rAX/ECX);
 * Intel SDM Vol. 2 and 3C 31 (VMX). ModRM 0x30 is /6 with [EAX], 0x00 is EAX, [EAX], 0xC0 is
 * EAX, EAX.
 */
static const struct vminsn vminsn_list[] = {
	{ "VMRUN", VMINSN_AMD, 3, { 0x0f, 0x01, 0xd8 } },
	{ "VMLOAD", VMINSN_AMD, 3, { 0x0f, 0x01, 0xda } },
	{ "VMSAVE", VMINSN_AMD, 3, { 0x0f, 0x01, 0xdb } },
	{ "STGI", VMINSN_AMD, 3, { 0x0f, 0x01, 0xdc } },
	{ "CLGI", VMINSN_AMD, 3, { 0x0f, 0x01, 0xdd } },
	{ "SKINIT", VMINSN_AMD, 3, { 0x0f, 0x01, 0xde } },
	{ "INVLPGA", VMINSN_AMD, 3, { 0x0f, 0x01, 0xdf } },
	{ "VMXON", VMINSN_INTEL, 4, { 0xf3, 0x0f, 0xc7, 0x30 } },
	{ "VMCLEAR", VMINSN_INTEL, 4, { 0x66, 0x0f, 0xc7, 0x30 } },
	{ "VMPTRLD", VMINSN_INTEL, 3, { 0x0f, 0xc7, 0x30 } },
	{ "VMLAUNCH", VMINSN_INTEL, 3, { 0x0f, 0x01, 0xc2 } },
	{ "VMRESUME", VMINSN_INTEL, 3, { 0x0f, 0x01, 0xc3 } },
	{ "VMREAD", VMINSN_INTEL, 3, { 0x0f, 0x78, 0xc0 } },
	{ "VMWRITE", VMINSN_INTEL, 3, { 0x0f, 0x79, 0xc0 } },
	{ "VMXOFF", VMINSN_INTEL, 3, { 0x0f, 0x01, 0xc4 } },
	{ "INVEPT", VMINSN_INTEL, 5, { 0x66, 0x0f, 0x38, 0x80, 0x00 } },
	{ "INVVPID", VMINSN_INTEL, 5, { 0x66, 0x0f, 0x38, 0x81, 0x00 } },
};

static const u32 vminsn_unknown_hypercalls[] = { 3, 0x7fffffffu, 0xffffffffu };

static u8 vminsn_scratch[VMINSN_SCRATCH_SIZE] __aligned(VMINSN_SCRATCH_SIZE);
/* The instruction under test followed by RET, called like a function. */
static u8 vminsn_code[VMINSN_MAX_BYTES + 1] __aligned(16);

/* Runs one instruction; returns the vector it raised or TRAP_NO_FAULT. */
static int vminsn_run(const struct vminsn *insn)
{
	u32 eax = (u32)vminsn_scratch;
	u32 ecx = 0;

	memcpy(vminsn_code, insn->bytes, insn->length);
	vminsn_code[insn->length] = VMINSN_OPCODE_RET;
	trap_probe_arm(insn->length);
	asm volatile("call *%2" : "+a"(eax), "+c"(ecx) : "r"(vminsn_code) : "edx", "memory");
	return trap_probe_disarm();
}

static void vminsn_expect_ud(const struct vminsn *insn)
{
	int vector;

	console_printf("hostile_vminsn: executing %s (other vendor)\n", insn->name);
	vector = vminsn_run(insn);
	if (vector != VECTOR_UD)
		check_fail(HOSTILE_VMINSN_CHECK_OTHER_VENDOR_UD, "other vendor's instruction: #UD",
			   "%s gave exception %d", insn->name, vector);
	console_printf("hostile_vminsn: %s raised #UD\n", insn->name);
}

static void __noreturn vminsn_expect_stop(const struct vminsn *insn, u32 boot)
{
	int vector;

	console_printf("hostile_vminsn: boot %u: executing %s (own vendor)\n", boot, insn->name);
	vector = vminsn_run(insn);
	check_fail(HOSTILE_VMINSN_CHECK_OWN_VENDOR_STOPS, "own vendor's instruction stops the guest",
		   "%s returned with exception %d", insn->name, vector);
}

static void vminsn_hypercalls(void)
{
	for (u32 i = 0; i < ARRAY_SIZE(vminsn_unknown_hypercalls); i++) {
		u32 number = vminsn_unknown_hypercalls[i];
		u32 result = hypercall(number);

		if (result != HYPERCALL_ENOSYS)
			check_fail(HOSTILE_VMINSN_CHECK_HYPERCALL_ENOSYS, "unknown hypercall: -ENOSYS",
				   "hypercall 0x%x returned 0x%x, want 0x%x", number, result,
				   HYPERCALL_ENOSYS);
		console_printf("hostile_vminsn: ok: hypercall 0x%x returns -ENOSYS\n", number);
	}
}

/*
 * Boot k runs the other vendor's instructions that come after the k-th own-vendor instruction,
 * then the (k+1)-th own-vendor instruction, which must stop it.
 */
void guest_main(u32 entry_eax, u32 entry_ebx)
{
	enum vminsn_vendor own = hypercall_vendor_is_amd() ? VMINSN_AMD : VMINSN_INTEL;
	u32 boot = 0, own_seen = 0;

	if (!hypercall_restart_count(&boot))
		check_fail(HOSTILE_VMINSN_CHECK_RESTART_COUNT, "hypercall 1 (restart count) answers",
			   "got error 0x%x", hypercall(HYPERCALL_RESTART_COUNT));
	console_printf("hostile_vminsn: boot %u, %s vendor\n", boot,
		       own == VMINSN_AMD ? "AMD" : "Intel");
	for (u32 i = 0; i < ARRAY_SIZE(vminsn_list); i++) {
		const struct vminsn *insn = &vminsn_list[i];

		if (insn->vendor != own) {
			if (own_seen == boot)
				vminsn_expect_ud(insn);
			continue;
		}
		if (own_seen == boot)
			vminsn_expect_stop(insn, boot);
		if (own_seen + 1 == boot)
			console_printf("hostile_vminsn: %s stopped boot %u\n", insn->name, own_seen);
		own_seen++;
	}
	vminsn_hypercalls();
	console_printf("hostile_vminsn: done: %u instructions stopped the guest, the other "
		       "vendor's %u raised #UD\n", own_seen, (u32)ARRAY_SIZE(vminsn_list) - own_seen);
	test_exit(GUEST_EXIT_PASS);
}
