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

/* Exceptions with an error code (SDM Vol. 3 6.15, table 6-1; APM Vol. 2 8.2): #DF, #TS, #NP,
 * #SS, #GP, #PF, #AC and #CP. Real-mode delivery pushes none (SDM Vol. 3 20.1.4). */
#define EXCEPTIONS_WITH_ERROR_CODE                                                          \
	(BIT(8) | BIT(10) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | BIT(17) | BIT(21))
/* Fault-class exceptions (SDM Vol. 3 table 6-1): #DE, #BR, #UD, #NM, #TS, #NP, #SS, #GP, #PF,
 * #MF, #AC, #XM, #VE, #CP. #DB is a fault only for instruction breakpoints, whose frame must
 * not have RF (the handler sets it): a reflected #DB keeps the RFLAGS the CPU saved. */
#define EXCEPTIONS_FAULT                                                                    \
	(BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(10) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | \
	 BIT(16) | BIT(17) | BIT(19) | BIT(20) | BIT(21))
#define EXCEPTION_VECTORS 32

bool exception_has_error_code(u8 vector, bool protected_mode)
{
	return protected_mode && vector < EXCEPTION_VECTORS &&
	       (EXCEPTIONS_WITH_ERROR_CODE & BIT(vector));
}

/* The processor sets RF in the RFLAGS image it pushes for every fault but an instruction
 * breakpoint (SDM Vol. 3 18.3.1.1); VM entry and VMRUN push the guest's RFLAGS as it is
 * (SDM Vol. 3 27.6.1.2, APM 15.20), so Moat sets it there. Delivery clears RF in RFLAGS
 * itself, so the handler runs without it. */
u64 exception_inject_rflags(u8 vector, u64 rflags)
{
	if (vector < EXCEPTION_VECTORS && (EXCEPTIONS_FAULT & BIT(vector)))
		return rflags | RFLAGS_RF;
	return rflags;
}
