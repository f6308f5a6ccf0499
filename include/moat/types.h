/* SPDX-License-Identifier: MIT */
/* Fixed-width types and address types shared by every layer of Moat. */
#ifndef MOAT_TYPES_H
#define MOAT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/* Guest-physical and host-physical addresses. */
typedef u64 gpa_t;
typedef u64 hpa_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE ((u64)1 << PAGE_SHIFT)
#define PAGE_SIZE_2M ((u64)1 << 21)
#define PAGE_SIZE_1G ((u64)1 << 30)
#define KIB(x) ((u64)(x) << 10)
#define MIB(x) ((u64)(x) << 20)
#define GIB(x) ((u64)(x) << 30)

#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((u64)(a) - 1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) ((u64)1 << (n))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define __packed __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))
#define __noreturn __attribute__((noreturn))
/* Kept out of its caller: for work a hot path does rarely. */
#define __noinline_cold __attribute__((noinline, cold))
#define __printf(a, b) __attribute__((format(printf, a, b)))

/* True when [base, base + size) wraps around the 64-bit address space. */
static inline bool range_wraps(u64 base, u64 size)
{
	return size != 0 && base + size - 1 < base;
}

/* True when [a, a + asize) and [b, b + bsize) share at least one byte. */
static inline bool ranges_overlap(u64 a, u64 asize, u64 b, u64 bsize)
{
	return asize && bsize && a <= b + bsize - 1 && b <= a + asize - 1;
}

#endif
