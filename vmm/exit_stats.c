// SPDX-License-Identifier: MIT
/* Exits by kind, per vCPU: counted on every exit and printed in the guest's summary, so a
 * boot's exits can be compared between runs and against a bare-metal run (make bench). */
#include <moat/exit.h>
#include <moat/log.h>

static const char *const exit_kind_names[VM_EXIT_KIND_COUNT] = {
	[VM_EXIT_NONE] = "none",
	[VM_EXIT_CPUID] = "cpuid",
	[VM_EXIT_IO] = "io",
	[VM_EXIT_MSR_READ] = "msr-read",
	[VM_EXIT_MSR_WRITE] = "msr-write",
	[VM_EXIT_HLT] = "hlt",
	[VM_EXIT_HYPERCALL] = "hypercall",
	[VM_EXIT_NESTED_FAULT] = "nested-fault",
	[VM_EXIT_SHUTDOWN] = "shutdown",
	[VM_EXIT_FORBIDDEN] = "forbidden",
	[VM_EXIT_INVALID_STATE] = "invalid-state",
	[VM_EXIT_HOST_EVENT] = "host-event",
	[VM_EXIT_COMPLETED] = "completed",
	[VM_EXIT_EXCEPTION] = "exception",
	[VM_EXIT_WBINVD] = "wbinvd",
	[VM_EXIT_RDPMC] = "rdpmc",
	[VM_EXIT_XSETBV] = "xsetbv",
	[VM_EXIT_UNKNOWN] = "unknown",
};

void exit_stats_count(struct vcpu_clock *clock, enum vm_exit_kind kind)
{
	/* The kind comes from Moat's vendor code, yet an out-of-range one still must not
	 * write past the array: it is counted as unknown. */
	if ((u32)kind >= VM_EXIT_KIND_COUNT)
		kind = VM_EXIT_UNKNOWN;
	clock->exit_kinds[kind]++;
}

/* A kind added to enum vm_exit_kind without a name here is still printed, as "kind-N". */
const char *exit_kind_name(enum vm_exit_kind kind)
{
	if ((u32)kind < VM_EXIT_KIND_COUNT && exit_kind_names[kind])
		return exit_kind_names[kind];
	return NULL;
}

size_t exit_stats_format(const u64 *counts, char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return 0;
	buf[0] = '\0';
	for (u32 k = 0; k < VM_EXIT_KIND_COUNT; k++) {
		const char *name = exit_kind_name((enum vm_exit_kind)k);
		int n;

		if (!counts[k])
			continue;
		if (name)
			n = format(buf + len, size - len, "%s%s=%lu", len ? " " : "", name,
				   counts[k]);
		else
			n = format(buf + len, size - len, "%skind-%u=%lu", len ? " " : "", k,
				   counts[k]);
		if (n < 0 || (size_t)n >= size - len) {
			/* Cut at the last whole entry rather than mid-number. */
			buf[len] = '\0';
			break;
		}
		len += (size_t)n;
	}
	return len;
}
