// SPDX-License-Identifier: MIT
/* Powering off: UEFI runtime ResetSystem (UEFI spec 8.5.1) still works after
 * ExitBootServices because Moat keeps the firmware's runtime regions identity-mapped. */
#include <moat/arch.h>
#include <moat/kvmclock.h>
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

void boot_read_wall_clock(EFI_RUNTIME_SERVICES *runtime, struct host_wall_clock *out)
{
	EFI_TIME time;
	EFI_STATUS status;

	*out = (struct host_wall_clock){ 0 };
	status = uefi_call_wrapper(runtime->GetTime, 2, &time, NULL);
	out->tsc = x86_rdtsc();
	/* UEFI spec 8.3, EFI_TIME. The time zone is not applied: firmware on servers and the
	 * emulators keep the RTC in UTC and leave TimeZone unspecified, as Linux's rtc-efi
	 * assumes too. */
	if (EFI_ERROR(status) || time.Year < 1970 || time.Month < 1 || time.Month > 12 ||
	    time.Day < 1 || time.Day > 31 || time.Hour > 23 || time.Minute > 59 ||
	    time.Second > 59) {
		log_warn("time: the firmware gave no usable time (status %lu): guests' wall clock "
			 "starts at 1970", (u64)status);
		return;
	}
	out->unix_seconds = wall_clock_unix_seconds(time.Year, time.Month, time.Day, time.Hour,
						    time.Minute, time.Second);
	out->valid = true;
	log_info("time: host clock %04u-%02u-%02u %02u:%02u:%02u UTC at boot", time.Year,
		 time.Month, time.Day, time.Hour, time.Minute, time.Second);
}
