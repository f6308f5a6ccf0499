// SPDX-License-Identifier: MIT
/* VMX control selection against sample capability MSR values (arch/x86/vmx/vmx_config.c):
 * the controls Moat needs are on, the forced-on bits are honoured, and a CPU that lacks a
 * required control gets a clear error and no entry. */
#include "test_support.h"

#include <moat/errno.h>

#include "../../arch/x86/vmx/vmx_config.h"
#include "../../arch/x86/vmx/vmx_defs.h"

#define CAP(allowed0, allowed1) (((u64)(allowed1) << 32) | (u32)(allowed0))

/* Values of the shape a Skylake server reports (SDM Vol. 3 appendix A layouts). */
static struct vmx_caps skylake_caps(void)
{
	return (struct vmx_caps){
		.basic = 0x4 | VMX_BASIC_TRUE_CONTROLS,
		.pin = CAP(0x16, 0x7f),
		.true_pin = CAP(0x16, 0x7f),
		.proc = CAP(0x0401e172, 0xfff9fffe),
		.true_proc = CAP(0x04006172, 0xfff9fffe),
		.proc2 = CAP(0, 0x0053ffff),
		.exit = CAP(0x00036dff, 0x00ffffff),
		.true_exit = CAP(0x00036dfb, 0x00ffffff),
		.entry = CAP(0x000011ff, 0x0003ffff),
		.true_entry = CAP(0x000011fb, 0x0003ffff),
		.ept_vpid = 0x00000f0106734141ULL,
	};
}

static void test_adjust_keeps_forced_and_allowed_bits(void **state)
{
	u32 out, missing;

	/* bit 1 forced on, bit 2 optional but not allowed, bit 3 required and allowed */
	assert_true(vmx_adjust_control(CAP(0x2, 0xa), 0x8, 0x4, 0, &out, &missing));
	assert_int_equal(out, 0xa);
	assert_int_equal(missing, 0);
}

static void test_adjust_reports_missing_required_bit(void **state)
{
	u32 out, missing;

	assert_false(vmx_adjust_control(CAP(0, 0x1), 0x80, 0, 0, &out, &missing));
	assert_int_equal(missing, 0x80);
}

static void test_adjust_reports_forced_forbidden_bit(void **state)
{
	u32 out, missing;

	assert_false(vmx_adjust_control(CAP(0x8000, 0xffff), 0, 0, 0x8000, &out, &missing));
	assert_int_equal(missing, 0x8000);
}

static void test_skylake_config(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), 0);
	assert_int_equal(config.revision, 4);
	assert_true(config.pin & PIN_EXTERNAL_INTERRUPT_EXITING);
	assert_true(config.pin & PIN_NMI_EXITING);
	assert_true(config.pin & PIN_PREEMPTION_TIMER);
	assert_true(config.proc & PROC_HLT_EXITING);
	assert_true(config.proc & PROC_USE_IO_BITMAPS);
	assert_true(config.proc & PROC_USE_MSR_BITMAPS);
	assert_true(config.proc & PROC_ACTIVATE_SECONDARY);
	/* true controls let CR3 exiting be off: Moat does not emulate CR3 moves */
	assert_false(config.proc & (PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING));
	assert_true(config.proc2 & PROC2_ENABLE_EPT);
	assert_true(config.proc2 & PROC2_UNRESTRICTED_GUEST);
	assert_true(config.proc2 & PROC2_ENABLE_VPID);
	assert_true(config.vpid);
	assert_true(config.exit & EXIT_HOST_ADDRESS_SPACE_SIZE);
	assert_true(config.exit & EXIT_LOAD_EFER);
	assert_true(config.entry & ENTRY_LOAD_EFER);
	/* the guest's DR7 and DEBUGCTL live in the VMCS, or every exit would reset DR7 */
	assert_true(config.exit & EXIT_SAVE_DEBUG_CONTROLS);
	assert_true(config.entry & ENTRY_LOAD_DEBUG_CONTROLS);
	assert_false(config.entry & ENTRY_IA32E_MODE_GUEST);
	/* ... but it may be set at run time, when a guest enters long mode */
	assert_true(config.long_mode_guests);
	/* CR8 is the TPR shadow's VTPR, never the physical TPR, and needs no exits */
	assert_true(config.tpr_shadow);
	assert_true(config.proc & PROC_USE_TPR_SHADOW);
	assert_false(config.proc & (PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING));
	assert_int_equal(config.invept_type, INVEPT_SINGLE_CONTEXT);
	assert_true(config.ept_accessed_dirty);
	assert_true(config.ept_2m_pages);
	assert_true(config.ept_1g_pages);
	/* the allowed-0 settings are always on */
	assert_int_equal(config.proc & 0x04006172, 0x04006172);
}

static void test_without_true_controls_cr3_exiting_is_refused(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	caps.basic &= ~VMX_BASIC_TRUE_CONTROLS;
	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), -MOAT_ENOTSUP);
	assert_non_null(strstr(err, "processor-based controls: bit 15 is forced on"));
}

/* Without the TPR shadow, CR8 accesses must exit: a CR8 write that reached the physical TPR
 * would mask Moat's own timer and kick vectors on that CPU. */
static void test_without_tpr_shadow_cr8_accesses_exit(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	caps.true_proc &= ~((u64)PROC_USE_TPR_SHADOW << 32);
	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), 0);
	assert_false(config.tpr_shadow);
	assert_false(config.proc & PROC_USE_TPR_SHADOW);
	assert_int_equal(config.proc & (PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING),
			 PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING);
}

static void test_without_tpr_shadow_or_cr8_exiting_is_refused(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	caps.true_proc &= ~((u64)(PROC_USE_TPR_SHADOW | PROC_CR8_LOAD_EXITING |
				  PROC_CR8_STORE_EXITING) << 32);
	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), -MOAT_ENOTSUP);
	assert_non_null(
		strstr(err, "processor-based controls: bit 19 is required but not available"));
}

static void test_missing_unrestricted_guest_is_refused(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	caps.proc2 &= ~((u64)PROC2_UNRESTRICTED_GUEST << 32);
	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), -MOAT_ENOTSUP);
	assert_non_null(strstr(err, "secondary controls: bit 7 is required but not available"));
}

static void test_missing_ept_is_refused(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	caps.proc2 &= ~((u64)PROC2_ENABLE_EPT << 32);
	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), -MOAT_ENOTSUP);
	assert_non_null(strstr(err, "secondary controls: bit 1 is required"));
}

static void test_ept_without_write_back_is_refused(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	caps.ept_vpid &= ~EPT_CAP_MEMTYPE_WB;
	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), -MOAT_ENOTSUP);
	assert_non_null(strstr(err, "EPT lacks"));
}

static void test_no_preemption_timer_runs_without_it(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	caps.true_pin &= ~((u64)PIN_PREEMPTION_TIMER << 32);
	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), 0);
	assert_false(config.pin & PIN_PREEMPTION_TIMER);
}

static void test_no_vpid_runs_without_it(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	caps.ept_vpid &= ~VPID_CAP_INVVPID;
	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), 0);
	assert_false(config.vpid);
	assert_false(config.proc2 & PROC2_ENABLE_VPID);
	assert_int_equal(config.invvpid_type, 0);
}

static void test_missing_exit_efer_control_is_refused(void **state)
{
	struct vmx_caps caps = skylake_caps();
	struct vmx_config config;
	char err[160] = "";

	caps.true_exit &= ~((u64)EXIT_LOAD_EFER << 32);
	assert_int_equal(vmx_compute_config(&caps, &config, err, sizeof(err)), -MOAT_ENOTSUP);
	assert_non_null(strstr(err, "VM-exit controls: bit 21 is required"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjust_keeps_forced_and_allowed_bits),
		cmocka_unit_test(test_adjust_reports_missing_required_bit),
		cmocka_unit_test(test_adjust_reports_forced_forbidden_bit),
		cmocka_unit_test(test_skylake_config),
		cmocka_unit_test(test_without_true_controls_cr3_exiting_is_refused),
		cmocka_unit_test(test_without_tpr_shadow_cr8_accesses_exit),
		cmocka_unit_test(test_without_tpr_shadow_or_cr8_exiting_is_refused),
		cmocka_unit_test(test_missing_unrestricted_guest_is_refused),
		cmocka_unit_test(test_missing_ept_is_refused),
		cmocka_unit_test(test_ept_without_write_back_is_refused),
		cmocka_unit_test(test_no_vpid_runs_without_it),
		cmocka_unit_test(test_no_preemption_timer_runs_without_it),
		cmocka_unit_test(test_missing_exit_efer_control_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
