// SPDX-License-Identifier: MIT
/* Powering off: UEFI runtime ResetSystem (UEFI spec 8.5.1) still works after
 * ExitBootServices because Moat keeps the firmware's runtime regions identity-mapped. */
#include <moat/arch.h>
#include <moat/log.h>
#include <moat/x86.h>

#include "boot.h"

static EFI_RUNTIME_SERVICES *runtime_services;

void boot_power_init(EFI_RUNTIME_SERVICES *runtime)
{
	runtime_services = runtime;
}

__noreturn void platform_power_off(void)
{
	log_flush();
	serial_drain();
	if (runtime_services)
		uefi_call_wrapper(runtime_services->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS,
				  0, NULL);
	log_error("power-off failed; halting");
	log_flush();
	serial_drain();
	x86_halt_forever();
}
