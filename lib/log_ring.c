// SPDX-License-Identifier: MIT
/* A byte ring of whole console lines; no locking of its own: lib/log.c serializes producers
 * and the consumer separately. */
#include <moat/log_ring.h>
#include <moat/string.h>

void log_ring_init(struct log_ring *ring, char *bytes, u32 size)
{
	ring->bytes = bytes;
	ring->size = size;
	ring->head = 0;
	ring->tail = 0;
}

u32 log_ring_used(const struct log_ring *ring)
{
	return __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
}

bool log_ring_put(struct log_ring *ring, const char *text, size_t len)
{
	u32 limit = ring->size;
	u32 head = ring->head;
	u32 used = head - __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	u32 offset = head & (ring->size - 1);
	u32 first;

	if (len > limit || used > limit - len)
		return false;
	first = MIN((u32)len, ring->size - offset);
	memcpy(ring->bytes + offset, text, first);
	memcpy(ring->bytes, text + first, len - first);
	/* The consumer reads the bytes only after it sees the new head. */
	__atomic_store_n(&ring->head, head + (u32)len, __ATOMIC_RELEASE);
	return true;
}

size_t log_ring_peek(const struct log_ring *ring, const char **text)
{
	u32 tail = ring->tail;
	u32 queued = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE) - tail;
	u32 offset = tail & (ring->size - 1);

	*text = ring->bytes + offset;
	return MIN(queued, ring->size - offset);
}

void log_ring_consume(struct log_ring *ring, size_t len)
{
	/* A producer may reuse the space only after the consumer is done reading it. */
	__atomic_store_n(&ring->tail, ring->tail + (u32)len, __ATOMIC_RELEASE);
}
