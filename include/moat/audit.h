/* SPDX-License-Identifier: MIT */
/* The audit trail (vmm/audit.c): one record for every action Moat denied or contained, as a
 * stable line on the serial log (format in docs/audit.md), rate-limited per guest without
 * losing count. */
#ifndef MOAT_AUDIT_H
#define MOAT_AUDIT_H

#include <moat/types.h>

enum audit_event {
	AUDIT_PORT_READ,
	AUDIT_PORT_WRITE,
	AUDIT_PORT_STRING,
	AUDIT_MSR_READ,
	AUDIT_MSR_WRITE,
	AUDIT_HYPERCALL,
	AUDIT_HYPERCALL_FAULT,
	AUDIT_NPF,
	AUDIT_INSTRUCTION,
	AUDIT_TRIPLE_FAULT,
	AUDIT_INVALID_STATE,
	AUDIT_EXIT_FLOOD,
	AUDIT_HALT,
	AUDIT_TIME_LIMIT,
	AUDIT_RESET,
	AUDIT_IPI, /* an IPI to no vCPU of the guest, or of a kind Moat does not deliver */
	AUDIT_CR_WRITE, /* a control-register value the guest may not load */
	AUDIT_MMIO,     /* a device access Moat could not emulate */
	AUDIT_SUPPRESSED,
	AUDIT_EVENT_COUNT,
};

enum audit_action {
	AUDIT_ALL_ONES,  /* a read answered with all ones */
	AUDIT_DROPPED,   /* a write ignored */
	AUDIT_SKIPPED,   /* an instruction completed without effect */
	AUDIT_GP,        /* #GP injected */
	AUDIT_ENOSYS,    /* hypercall answered -ENOSYS */
	AUDIT_EPERM,     /* hypercall from CPL > 0 answered -EPERM */
	AUDIT_EFAULT,    /* hypercall answered -EFAULT */
	AUDIT_STOPPED,   /* the guest was stopped */
	AUDIT_RESTARTED, /* the guest was restarted */
};

/* A record as its producer describes it. detail is an optional word (no spaces). */
struct audit_record {
	enum audit_event event;
	u64 target;
	u64 value;
	enum audit_action action;
	const char *detail;
	u32 vcpu;
};

/* Records a guest may print at once, and then one more every AUDIT_REFILL_MS: ten a second
 * per guest, so that eight flooding guests still fit a 115200-baud console (~96 lines/s). */
#define AUDIT_BURST 32
#define AUDIT_REFILL_MS 100

struct audit_log {
	u64 refill_ticks;
	u64 tokens;
	u64 last_refill;
	u64 records;            /* all records, printed or not */
	u64 suppressed;         /* records the rate limit did not print */
	u64 unreported;         /* suppressed since the last printed record */
	u64 by_event[AUDIT_EVENT_COUNT];
};

void audit_init(struct audit_log *log, u64 refill_ticks);
/* Records one action of guest at TSC now; prints it unless the rate limit is exhausted, in
 * which case a later printed record is preceded by a "suppressed" record with the count. */
void audit_record(struct audit_log *log, const char *guest, const struct audit_record *record,
		  u64 now);
const char *audit_event_name(enum audit_event event);
/* Prints the guest's counts by event for the shutdown summary. */
void audit_summary(const struct audit_log *log, const char *guest);

#endif
