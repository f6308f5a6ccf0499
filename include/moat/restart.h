/* SPDX-License-Identifier: MIT */
/* Restarting a crashed guest in steps (vmm/restart.c): its RAM zeroed in place a bounded step
 * at a time between other vCPUs' slices, and a wait that doubles with each restart. */
#ifndef MOAT_RESTART_H
#define MOAT_RESTART_H

#include <moat/types.h>

/* The wait before a guest's first restart; each further restart waits twice as long as the
 * one before, up to the guest's restart-backoff-max-ms (docs/scheduling.md, "Restarts"). */
#define RESTART_BACKOFF_FIRST_MS 10
/* Zeroing goes in chunks of this size, each one uninterruptible... */
#define RESTART_SCRUB_CHUNK MIB(1)
/* ...and a step of chunks ends once this much time has passed, so the CPU's other vCPUs
 * wait at most about this long (plus one chunk) between their slices. */
#define RESTART_STEP_US 1000

/* Host memory being zeroed in place: [base, base + size), done bytes of it so far. */
struct restart_scrub {
	hpa_t base;
	u64 size;
	u64 done;
};

/* How long restart number restart (1 for the first) waits: 10 ms, 20 ms, 40 ms, ... capped at
 * max_ms; 0 when max_ms is 0. */
u32 restart_backoff_ms(u32 restart, u32 max_ms);
void restart_scrub_init(struct restart_scrub *scrub, hpa_t base, u64 size);
static inline bool restart_scrub_done(const struct restart_scrub *scrub)
{
	return scrub->done >= scrub->size;
}
/* Zeroes whole chunks, at least one, until clock() has advanced by budget ticks since the
 * step began or the memory is all zero. Returns true once it is. */
bool restart_scrub_step(struct restart_scrub *scrub, u64 budget, u64 (*clock)(void));

#endif
