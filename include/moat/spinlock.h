/* SPDX-License-Identifier: MIT */
/* A plain test-and-set spinlock for state several CPUs touch: a guest's run state and audit
 * trail, its devices, the frame allocator. Moat runs with interrupts off, so a holder is
 * never interrupted by a path that takes the same lock. */
#ifndef MOAT_SPINLOCK_H
#define MOAT_SPINLOCK_H

#include <moat/types.h>

struct spinlock {
	u32 word;
};

static inline void spin_lock(struct spinlock *lock)
{
	while (__atomic_exchange_n(&lock->word, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static inline void spin_unlock(struct spinlock *lock)
{
	__atomic_store_n(&lock->word, 0, __ATOMIC_RELEASE);
}

#endif
