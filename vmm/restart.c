// SPDX-License-Identifier: MIT
/* The bookkeeping of a restart: how long it waits, and zeroing the guest's RAM in bounded
 * steps so that the CPU doing it still runs its other vCPUs between them (docs/scheduling.md,
 * "Restarts"). The clock is the caller's, so the host tests drive it. */
#include <moat/frame.h>
#include <moat/restart.h>
#include <moat/string.h>

/* Past this many doublings the wait exceeds any cap configuration allows. */
#define RESTART_BACKOFF_MAX_DOUBLINGS 16

u32 restart_backoff_ms(u32 restart, u32 max_ms)
{
	u32 doublings = restart ? restart - 1 : 0;
	u64 wait;

	if (doublings > RESTART_BACKOFF_MAX_DOUBLINGS)
		doublings = RESTART_BACKOFF_MAX_DOUBLINGS;
	wait = (u64)RESTART_BACKOFF_FIRST_MS << doublings;
	return wait < max_ms ? (u32)wait : max_ms;
}

void restart_scrub_init(struct restart_scrub *scrub, hpa_t base, u64 size)
{
	*scrub = (struct restart_scrub){ .base = base, .size = size };
}

bool restart_scrub_step(struct restart_scrub *scrub, u64 budget, u64 (*clock)(void))
{
	u64 start = clock();

	while (!restart_scrub_done(scrub)) {
		u64 len = MIN(scrub->size - scrub->done, (u64)RESTART_SCRUB_CHUNK);

		memset(hpa_to_ptr(scrub->base + scrub->done), 0, len);
		scrub->done += len;
		if (clock() - start >= budget)
			break;
	}
	return restart_scrub_done(scrub);
}
