// SPDX-License-Identifier: MIT
/* Ring 3 for test guests: a GDT with user code and data segments and a 32-bit TSS whose ESP0
 * takes exceptions from ring 3 back to the caller's stack (Intel SDM Vol. 3A 5.8, 7.2).
 * user_run (user_stubs.S) enters ring 3 with IRET; INT USER_RETURN_VECTOR, through a gate of
 * DPL 3, comes back. */
#include "guest.h"

#define USER_GDT_ENTRIES 6
#define KERNEL_DATA_SELECTOR 0x10
#define TSS_SELECTOR 0x28
#define USER_RETURN_VECTOR 0x7e
/* Segment descriptors (Intel SDM Vol. 3A 3.4.5): base 0, limit 4 GiB, 32-bit. */
#define DESC_KERNEL_CODE 0x00cf9a000000ffffULL /* DPL 0, execute/read */
#define DESC_KERNEL_DATA 0x00cf92000000ffffULL /* DPL 0, read/write */
#define DESC_USER_CODE 0x00cffa000000ffffULL   /* DPL 3, execute/read */
#define DESC_USER_DATA 0x00cff2000000ffffULL   /* DPL 3, read/write */
#define DESC_TSS_AVAILABLE 0x89ULL             /* P=1, DPL 0, type 1001b: 32-bit TSS (7.2.2) */

/* The 32-bit TSS (Intel SDM Vol. 3A 7.2.1, Figure 7-2); only SS0:ESP0 and the I/O map base
 * matter here. An I/O map base past the limit means no I/O bitmap: ring 3 cannot use ports. */
struct user_tss32 {
	u32 previous;
	u32 esp0;
	u32 ss0;
	u32 unused[22];
	u16 trap;
	u16 io_map_base;
} __packed;
_Static_assert(sizeof(struct user_tss32) == 104, "a 32-bit TSS is 104 bytes");

struct user_gdt_pointer {
	u16 limit;
	u32 base;
} __packed;

struct user_tss32 user_tss __aligned(16);
u32 user_saved_esp;
static u64 user_gdt[USER_GDT_ENTRIES] __aligned(8);
static bool user_ready;

void user_enter(void (*fn)(void));
void user_return_entry(void);

static u64 user_tss_descriptor(void)
{
	u64 base = (u32)&user_tss, limit = sizeof(user_tss) - 1;

	return (limit & 0xffff) | ((base & 0xffffff) << 16) | (DESC_TSS_AVAILABLE << 40) |
	       (((limit >> 16) & 0xf) << 48) | ((base >> 24) << 56);
}

static void user_setup(void)
{
	struct user_gdt_pointer pointer = { sizeof(user_gdt) - 1, (u32)user_gdt };

	user_gdt[0] = 0;
	user_gdt[1] = DESC_KERNEL_CODE; /* the selectors entry.S uses stay the same */
	user_gdt[2] = DESC_KERNEL_DATA;
	user_gdt[3] = DESC_USER_CODE;
	user_gdt[4] = DESC_USER_DATA;
	user_gdt[5] = user_tss_descriptor();
	user_tss.ss0 = KERNEL_DATA_SELECTOR;
	user_tss.io_map_base = sizeof(user_tss);
	asm volatile("lgdt %0" : : "m"(pointer) : "memory");
	asm volatile("ltr %w0" : : "r"(TSS_SELECTOR) : "memory");
	trap_set_user_gate(USER_RETURN_VECTOR, user_return_entry);
	user_ready = true;
}

void user_run(void (*fn)(void))
{
	if (!user_ready)
		user_setup();
	user_enter(fn);
}

void user_return(void)
{
	asm volatile("int $0x7e" : : : "memory"); /* USER_RETURN_VECTOR */
	__builtin_unreachable();
}
