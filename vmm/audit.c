// SPDX-License-Identifier: MIT
/* Audit records: "moat: audit: seq=... tsc=... guest=... vcpu=... event=... target=0x...
 * value=0x... action=...[ detail=...]" (docs/audit.md). The sequence number counts every
 * record, printed or suppressed, so gaps show where the rate limit dropped lines. */
#include <moat/audit.h>
#include <moat/log.h>
#include <moat/string.h>

static u64 audit_sequence;

static const char *const audit_event_names[AUDIT_EVENT_COUNT] = {
	[AUDIT_PORT_READ] = "port-read",
	[AUDIT_PORT_WRITE] = "port-write",
	[AUDIT_PORT_STRING] = "port-string",
	[AUDIT_MSR_READ] = "msr-read",
	[AUDIT_MSR_WRITE] = "msr-write",
	[AUDIT_HYPERCALL] = "hypercall",
	[AUDIT_HYPERCALL_FAULT] = "hypercall-fault",
	[AUDIT_NPF] = "npf",
	[AUDIT_INSTRUCTION] = "instruction",
	[AUDIT_TRIPLE_FAULT] = "triple-fault",
	[AUDIT_INVALID_STATE] = "invalid-state",
	[AUDIT_EXIT_FLOOD] = "exit-flood",
	[AUDIT_HALT] = "halt",
	[AUDIT_TIME_LIMIT] = "time-limit",
	[AUDIT_RESET] = "reset",
	[AUDIT_IPI] = "ipi",
	[AUDIT_CR_WRITE] = "cr-write",
	[AUDIT_MMIO] = "mmio",
	[AUDIT_SUPPRESSED] = "suppressed",
};

static const char *const audit_action_names[] = {
	[AUDIT_ALL_ONES] = "all-ones", [AUDIT_DROPPED] = "dropped",
	[AUDIT_SKIPPED] = "skipped",   [AUDIT_GP] = "gp",
	[AUDIT_ENOSYS] = "enosys",     [AUDIT_EPERM] = "eperm",
	[AUDIT_EFAULT] = "efault",
	[AUDIT_STOPPED] = "stopped",   [AUDIT_RESTARTED] = "restarted",
};

const char *audit_event_name(enum audit_event event)
{
	return event < AUDIT_EVENT_COUNT ? audit_event_names[event] : "unknown";
}

void audit_init(struct audit_log *log, u64 refill_ticks)
{
	memset(log, 0, sizeof(*log));
	log->refill_ticks = refill_ticks ? refill_ticks : 1;
	log->tokens = AUDIT_BURST;
}

static void audit_print(u64 seq, u64 now, const char *guest, const struct audit_record *r)
{
	char line[320];
	int n;

	n = format(line, sizeof(line),
		   "moat: audit: seq=%lu tsc=%lu guest=%s vcpu=%u event=%s target=0x%lx "
		   "value=0x%lx action=%s%s%s\n",
		   seq, now, guest, r->vcpu, audit_event_name(r->event), r->target, r->value,
		   audit_action_names[r->action], r->detail ? " detail=" : "",
		   r->detail ? r->detail : "");
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	log_raw(line, (size_t)n);
}

/* Token bucket: AUDIT_BURST records at once, then one per refill_ticks. */
static bool audit_take_token(struct audit_log *log, u64 now)
{
	u64 earned = (now - log->last_refill) / log->refill_ticks;

	if (earned) {
		log->tokens = MIN(log->tokens + earned, (u64)AUDIT_BURST);
		log->last_refill += earned * log->refill_ticks;
	}
	if (!log->tokens)
		return false;
	log->tokens--;
	return true;
}

void audit_record(struct audit_log *log, const char *guest, const struct audit_record *record,
		  u64 now)
{
	u64 seq = __atomic_fetch_add(&audit_sequence, 1, __ATOMIC_RELAXED);

	if (!log->records)
		log->last_refill = now;
	log->records++;
	if (record->event < AUDIT_EVENT_COUNT)
		log->by_event[record->event]++;
	/* A record that stops or restarts the guest is always printed: there is at most one per
	 * life of the guest, and max-restarts bounds the lives. */
	if (!audit_take_token(log, now) && record->action != AUDIT_STOPPED &&
	    record->action != AUDIT_RESTARTED) {
		log->suppressed++;
		log->unreported++;
		return;
	}
	if (log->unreported) {
		struct audit_record gap = { .event = AUDIT_SUPPRESSED, .value = log->unreported,
					    .action = AUDIT_DROPPED, .vcpu = record->vcpu };

		audit_print(seq, now, guest, &gap);
		log->unreported = 0;
		seq = __atomic_fetch_add(&audit_sequence, 1, __ATOMIC_RELAXED);
	}
	audit_print(seq, now, guest, record);
}

void audit_summary(const struct audit_log *log, const char *guest)
{
	char counts[256];
	int n = 0;

	if (!log->records)
		return;
	counts[0] = '\0';
	for (u32 e = 0; e < AUDIT_EVENT_COUNT; e++)
		if (log->by_event[e] && (size_t)n < sizeof(counts))
			n += format(counts + n, sizeof(counts) - (size_t)n, "%s%s %lu",
				    n ? ", " : "", audit_event_names[e], log->by_event[e]);
	log_info("summary: guest '%s': audit records %lu (%lu suppressed): %s", guest,
		 log->records, log->suppressed, counts);
}
