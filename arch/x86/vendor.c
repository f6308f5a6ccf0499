// SPDX-License-Identifier: MIT
/* Chooses the virtualization extension once at boot from CPUID, so one moat.efi runs on AMD
 * and Intel. The generic core only ever sees the returned ops table. */
#include <moat/arch.h>
#include <moat/log.h>
#include <moat/x86.h>

#include "svm/svm.h"
#include "vmx/vmx.h"

#define CPUID_FEATURES 1
#define CPUID1_ECX_VMX BIT(5)

const struct vendor_ops *vendor_select(void)
{
	if (svm_probe()) {
		guest_context_probe();
		return &svm_ops;
	}
	if (vmx_probe()) {
		guest_context_probe();
		return &vmx_ops;
	}
	if (x86_cpuid(CPUID_FEATURES, 0).ecx & CPUID1_ECX_VMX)
		return NULL; /* vmx_probe said what is missing */
	log_error("this CPU offers neither AMD SVM nor Intel VT-x (or the firmware hid it)");
	return NULL;
}
