// SPDX-License-Identifier: MIT
/* The CMOS RTC (MC146818A data sheet; Intel PCH datasheet, "Real Time Clock"): an index port
 * and a data port over 128 bytes. The clock registers show the wall clock Moat was given
 * plus the guest's time, in BCD and 24-hour mode; they never show an update in progress and
 * ignore writes (a guest cannot set Moat's clock). The other bytes are RAM of the guest's own,
 * zero at each start. No alarm, periodic or update interrupt is raised. */
#include <moat/legacy.h>
#include <moat/string.h>
#include <moat/vm.h>

/* Registers (MC146818A: 0-9 time and date, A-D status), and the century byte the ACPI FADT
 * names (ACPI 6.4 5.2.9, CENTURY; 0x32 as on PCs). */
#define CMOS_SECONDS 0x00
#define CMOS_MINUTES 0x02
#define CMOS_HOURS 0x04
#define CMOS_WEEKDAY 0x06
#define CMOS_DAY 0x07
#define CMOS_MONTH 0x08
#define CMOS_YEAR 0x09
#define CMOS_STATUS_A 0x0a
#define CMOS_STATUS_B 0x0b
#define CMOS_STATUS_C 0x0c
#define CMOS_STATUS_D 0x0d
#define CMOS_CENTURY 0x32
#define CMOS_INDEX_MASK 0x7f /* bit 7 of the index port masks NMI: there is none to mask */
/* Status A: divider 010 (32.768 kHz time base), rate 0110 (1024 Hz); UIP (bit 7) clear.
 * Status B: 24-hour mode (bit 1), BCD (DM, bit 2, clear). Status D: VRT, the battery good. */
#define CMOS_STATUS_A_VALUE 0x26
#define CMOS_STATUS_B_VALUE 0x02
#define CMOS_STATUS_D_VALUE 0x80

#define SECONDS_PER_DAY 86400ULL
#define UNIX_EPOCH_WEEKDAY 4 /* 1970-01-01 was a Thursday (RTC weekday 5: Sunday is 1) */

static u8 bcd(u32 value)
{
	return (u8)(((value / 10) % 10) << 4 | (value % 10));
}

/* Days since 1970-01-01 to a proleptic Gregorian date (the civil-from-days algorithm of
 * H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
static void cmos_date(u64 days, u32 *year, u32 *month, u32 *day)
{
	u64 z = days + 719468, era = z / 146097, doe = z - era * 146097;
	u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	u64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*day = (u32)(doy - (153 * mp + 2) / 5 + 1);
	*month = (u32)(mp < 10 ? mp + 3 : mp - 9);
	*year = (u32)(yoe + era * 400 + (*month <= 2));
}

void cmos_init(struct cmos *cmos, struct vm *vm, u64 base_seconds)
{
	memset(cmos, 0, sizeof(*cmos));
	cmos->vm = vm;
	cmos->base_seconds = base_seconds;
}

static u8 cmos_clock(const struct cmos *cmos, u8 index)
{
	const struct vm *vm = cmos->vm;
	u64 host_tsc = x86_rdtsc(), now, days, secs;
	u32 year, month, day;

	/* The host's clock, read at boot, runs on with the host TSC: the RTC is a wall clock,
	 * whatever the guest does to its own TSC. Without one, the fixed base and guest time. */
	if (vm->wall_clock.valid && vm->tsc_per_ms && host_tsc >= vm->wall_clock.tsc)
		now = vm->wall_clock.unix_seconds +
		      (host_tsc - vm->wall_clock.tsc) / vm->tsc_per_ms / 1000;
	else if (vm->tsc_per_ms)
		now = cmos->base_seconds + vm_guest_tsc(vm, host_tsc) / vm->tsc_per_ms / 1000;
	else
		now = cmos->base_seconds;
	days = now / SECONDS_PER_DAY;
	secs = now % SECONDS_PER_DAY;
	cmos_date(days, &year, &month, &day);
	switch (index) {
	case CMOS_SECONDS:
		return bcd((u32)(secs % 60));
	case CMOS_MINUTES:
		return bcd((u32)(secs / 60 % 60));
	case CMOS_HOURS:
		return bcd((u32)(secs / 3600));
	case CMOS_WEEKDAY:
		return bcd((u32)((days + UNIX_EPOCH_WEEKDAY) % 7 + 1));
	case CMOS_DAY:
		return bcd(day);
	case CMOS_MONTH:
		return bcd(month);
	case CMOS_YEAR:
		return bcd(year % 100);
	default: /* CMOS_CENTURY */
		return bcd(year / 100);
	}
}

static u8 cmos_read(const struct cmos *cmos, u8 index)
{
	switch (index) {
	case CMOS_SECONDS:
	case CMOS_MINUTES:
	case CMOS_HOURS:
	case CMOS_WEEKDAY:
	case CMOS_DAY:
	case CMOS_MONTH:
	case CMOS_YEAR:
	case CMOS_CENTURY:
		return cmos_clock(cmos, index);
	case CMOS_STATUS_A:
		return CMOS_STATUS_A_VALUE;
	case CMOS_STATUS_B:
		return CMOS_STATUS_B_VALUE;
	case CMOS_STATUS_C:
		return 0; /* no interrupt flags: none is ever raised */
	case CMOS_STATUS_D:
		return CMOS_STATUS_D_VALUE;
	default:
		return cmos->ram[index];
	}
}

enum io_result cmos_io(struct vcpu *vcpu, void *device, u16 offset, u8 size, bool in, u32 *value)
{
	struct cmos *cmos = device;

	if (offset == 0) {
		/* The index register is write-only on PCH RTCs; reads see an empty bus. */
		if (in)
			*value = 0xff;
		else
			cmos->index = (u8)*value & CMOS_INDEX_MASK;
		return IO_HANDLED;
	}
	if (in) {
		*value = cmos_read(cmos, cmos->index);
		return IO_HANDLED;
	}
	/* The clock and status registers are Moat's; the rest is the guest's RAM. */
	if (cmos->index > CMOS_STATUS_D && cmos->index != CMOS_CENTURY)
		cmos->ram[cmos->index] = (u8)*value;
	return IO_HANDLED;
}
