// SPDX-License-Identifier: MIT
/* Which guest exceptions Moat intercepts and what the guest sees when one is reflected.
 * #DB and #AC are intercepted so that a guest cannot make their delivery recurse inside the
 * CPU, where no interrupt gets in (CVE-2015-8104, CVE-2015-5307): each delivery becomes an
 * exit, and the guest gets the exception back exactly as the CPU would have delivered it.
 * #MC is the host's: it is never delivered into a guest. */
#include <moat/exit.h>

/* DR6 (SDM Vol. 3 18.2.3, APM Vol. 2 13.1.1.3): B0-B3, BD, BS, BT; the bits that read as 1
 * unless they report something (bus lock, bit 11, and RTM, bit 16, are active low). */
#define DR6_ACTIVE_LOW 0xffff0ff0ULL
#define DR6_BREAKPOINTS 0xfULL /* B0-B3: which breakpoint condition was met */
#define DR6_RESERVED_ZERO BIT(12)
#define DR6_WIDTH_MASK 0xffffffffULL /* bits 63:32 are reserved, zero */

u32 exception_intercepts(void)
{
	return BIT(X86_VECTOR_DB) | BIT(X86_VECTOR_AC) | BIT(X86_VECTOR_MC);
}

enum exception_action exception_action(u8 vector)
{
	switch (vector) {
	case X86_VECTOR_DB:
	case X86_VECTOR_AC:
		return EXCEPTION_REFLECT;
	case X86_VECTOR_MC:
		return EXCEPTION_HOST;
	default:
		return EXCEPTION_UNEXPECTED;
	}
}

/* A debug exception updates DR6 before its handler runs: B0-B3 are replaced by the ones
 * this exception reports, BD/BS/BT accumulate, and an active-low bit reads as 0 only when
 * this exception reports it (SDM Vol. 3 18.2.3). cause has the form of the VMX exit
 * qualification for a #DB (SDM Vol. 3 table 28-1): set bits are conditions that occurred. */
u64 exception_debug_dr6(u64 dr6, u64 cause)
{
	dr6 = (dr6 & ~DR6_BREAKPOINTS) | DR6_ACTIVE_LOW | (cause & ~DR6_ACTIVE_LOW);
	dr6 &= ~(cause & DR6_ACTIVE_LOW);
	return dr6 & ~DR6_RESERVED_ZERO & DR6_WIDTH_MASK;
}
