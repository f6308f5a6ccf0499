/* SPDX-License-Identifier: MIT */
/* A console output ring (lib/log_ring.c): whole lines go in under the log lock, bytes go out
 * to the UART as it takes them. lib/log.c keeps one for Moat's own lines and one for guests'. */
#ifndef MOAT_LOG_RING_H
#define MOAT_LOG_RING_H

#include <moat/types.h>

/*
 * head and tail count bytes since the start and wrap at 2^32; size is a power of two, so
 * head - tail is what is queued. Producers (one at a time, under the log lock) only move head,
 * the consumer (one at a time, under the drain lock) only moves tail.
 */
struct log_ring {
	char *bytes;
	u32 size;
	u32 head;
	u32 tail;
};

void log_ring_init(struct log_ring *ring, char *bytes, u32 size);
/* Bytes queued and not yet taken by the consumer. */
u32 log_ring_used(const struct log_ring *ring);
/* Copies text in whole, or not at all: false when it does not fit. */
bool log_ring_put(struct log_ring *ring, const char *text, size_t len);
/* The oldest queued bytes that are contiguous in memory: *text and how many (0: empty). */
size_t log_ring_peek(const struct log_ring *ring, const char **text);
/* The consumer has sent len bytes from the front. */
void log_ring_consume(struct log_ring *ring, size_t len);

#endif
