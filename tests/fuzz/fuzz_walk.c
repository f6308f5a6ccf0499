// SPDX-License-Identifier: MIT
/* libFuzzer target for vmm/guest_walk.c: a 16-byte header picks the paging registers (mode
 * bits, CR3, CPL, the access) and the linear address; the rest of the input is a 64 KiB
 * guest's RAM, page tables and all, with a device page above it. Besides the sanitizers: a
 * walk never reads outside the guest, rights are monotonic (a write, execute or user walk
 * that succeeds means the supervisor read does too, to the same page), paging off is the
 * identity, and a fetch returns exactly the bytes the per-page walks point at, stopping with
 * a reason when short and never reading the device page. */
#include "fuzz_support.h"

#include <moat/guest_walk.h>
#include <moat/x86.h>

#define FUZZ_WALK_RAM	 0x10000
#define FUZZ_WALK_DEVICE FUZZ_WALK_RAM /* the page right above RAM */
#define FUZZ_WALK_HEADER 16
#define FUZZ_WALK_FETCH	 15
#define FUZZ_WALK_CR3_MASK 0x1ffffu /* sometimes outside RAM, or in the device page */
#define FUZZ_CR4_SMEP	 BIT(20)

static u8 ram[FUZZ_WALK_RAM] __attribute__((aligned(4096)));
static struct guest_memory mem;

static u64 fuzz_walk_u64(const u8 *bytes, u32 n)
{
	u64 value = 0;

	for (u32 i = 0; i < n; i++)
		value |= (u64)bytes[i] << (8 * i);
	return value;
}

/* Header: mode (bit 0 PG, 1 PAE, 2 long mode, 3 PSE, 4 WP, 5 NXE, 6 SMEP, 7 CPL 3), access
 * (bits 1:0: read, write, execute), CR3 (4 bytes), 2 unused, linear (8 bytes). */
static void fuzz_walk_paging(const u8 *h, struct guest_paging *p, u32 *access, u64 *linear)
{
	static const u32 accesses[] = { PT_READ, PT_WRITE, PT_EXEC, PT_READ };
	u8 mode = h[0];

	p->cr0 = CR0_PE | (mode & 1 ? CR0_PG : 0) | (mode & 0x10 ? CR0_WP : 0);
	p->cr4 = (mode & 2 ? CR4_PAE : 0) | (mode & 8 ? CR4_PSE : 0) |
		 (mode & 0x40 ? FUZZ_CR4_SMEP : 0);
	p->efer = (mode & 4 ? EFER_LME | EFER_LMA : 0) | (mode & 0x20 ? EFER_NXE : 0);
	p->cpl = mode & 0x80 ? 3 : 0;
	p->cr3 = fuzz_walk_u64(h + 2, 4) & FUZZ_WALK_CR3_MASK;
	*access = accesses[h[1] & 3];
	*linear = fuzz_walk_u64(h + 8, 8);
}

static void fuzz_walk_check_fetch(const struct guest_paging *p, u64 linear)
{
	u8 buf[FUZZ_WALK_FETCH];
	enum guest_walk_result why;
	u32 got = guest_fetch(&mem, p, linear, buf, sizeof(buf), &why);
	u32 checked = 0;

	FUZZ_CHECK(got <= sizeof(buf));
	FUZZ_CHECK((got == sizeof(buf)) == (why == GUEST_WALK_OK));
	while (checked < got) {
		u64 at = linear + checked;
		u32 chunk = (u32)MIN(PAGE_SIZE - (at & (PAGE_SIZE - 1)), (u64)(got - checked));
		gpa_t gpa;

		FUZZ_CHECK(guest_walk(&mem, p, at, PT_EXEC, &gpa) == GUEST_WALK_OK);
		FUZZ_CHECK(gpa + chunk <= FUZZ_WALK_RAM);
		FUZZ_CHECK(memcmp(buf + checked, ram + gpa, chunk) == 0);
		checked += chunk;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct guest_paging p, supervisor;
	u32 access;
	u64 linear;
	gpa_t gpa = 0, read_gpa = 0;
	enum guest_walk_result result;

	if (size < FUZZ_WALK_HEADER)
		return 0;
	fuzz_walk_paging(data, &p, &access, &linear);
	memset(ram, 0, sizeof(ram));
	memcpy(ram, data + FUZZ_WALK_HEADER, MIN(size - FUZZ_WALK_HEADER, sizeof(ram)));
	guest_memory_init(&mem);
	FUZZ_CHECK(guest_memory_add(&mem, 0, sizeof(ram), (hpa_t)(uintptr_t)ram, PT_RWX,
				    GPA_REGION_RAM) == 0);
	FUZZ_CHECK(guest_memory_add(&mem, FUZZ_WALK_DEVICE, PAGE_SIZE, 0, 0,
				    GPA_REGION_DEVICE) == 0);

	result = guest_walk(&mem, &p, linear, access, &gpa);
	FUZZ_CHECK(result <= GUEST_WALK_NOT_MEMORY);
	FUZZ_CHECK(guest_walk_result_name(result)[0] != '\0');
	if (!(p.cr0 & CR0_PG))
		FUZZ_CHECK(result == GUEST_WALK_OK &&
			   gpa == (p.efer & EFER_LMA ? linear : (u32)linear));
	if (result == GUEST_WALK_OK) {
		supervisor = p;
		supervisor.cpl = 0;
		FUZZ_CHECK(guest_walk(&mem, &supervisor, linear, PT_READ, &read_gpa) ==
			   GUEST_WALK_OK);
		FUZZ_CHECK(read_gpa == gpa);
	}
	fuzz_walk_check_fetch(&p, linear);
	return 0;
}
