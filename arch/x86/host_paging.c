// SPDX-License-Identifier: MIT
/* Moat's own page tables: built from the memory layout by the rights mm/host_map.c gives
 * each region, with EFER.NXE (execute-disable honoured) and CR0.WP (read-only holds in ring
 * 0) turned on, then checked leaf by leaf and by two deliberate faults at boot. */
#include <moat/arch.h>
#include <moat/errno.h>
#include <moat/host_map.h>
#include <moat/log.h>
#include <moat/pagetable.h>
#include <moat/x86.h>

#include "descriptors.h"
#include "host_paging.h"

#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_EDX_NX BIT(20)      /* execute disable (SDM Vol. 2A CPUID; APM Vol. 3 E.4.2) */
#define CPUID_EXT_EDX_PDPE1GB BIT(26) /* 1 GiB pages (APM Vol. 3 E.4.2) */
#define VECTOR_PAGE_FAULT 14
/* #PF error code (SDM Vol. 3 4.7): P = a protection violation, W/R = a write, I/D = a fetch. */
#define PF_ERROR_PRESENT BIT(0)
#define PF_ERROR_WRITE BIT(1)
#define PF_ERROR_FETCH BIT(4)
#define X86_OPCODE_RET 0xc3
#define CR4_PGE BIT(7) /* global pages (SDM Vol. 3 2.5) */

static struct page_table host_pages;
static struct pt_format host_format;
static struct host_region host_regions[HOST_MAP_MAX_REGIONS];
static bool host_nx;

/* One deliberate fault at a time: where to resume, and what the fault said. */
static struct {
	u64 resume_rip, resume_rsp;
	u64 error_code, address;
	bool armed, hit;
} host_probe;

/* A page Moat never runs: it holds a RET, which must not execute. */
static u8 host_probe_data[16] __aligned(16) = { X86_OPCODE_RET };

bool host_paging_fixup(struct exception_frame *f)
{
	if (!host_probe.armed || f->vector != VECTOR_PAGE_FAULT)
		return false;
	host_probe.armed = false;
	host_probe.hit = true;
	host_probe.error_code = f->error_code;
	host_probe.address = x86_read_cr2();
	f->rip = host_probe.resume_rip;
	f->rsp = host_probe.resume_rsp;
	return true;
}

/* Writes a byte of Moat's code back unchanged: harmless if it does not fault. */
static void host_probe_write(volatile u8 *code)
{
	host_probe = (typeof(host_probe)){ .armed = true };
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
			 "movq %%rax, %[rip]\n\t"
			 "movq %%rsp, %[rsp]\n\t"
			 "movb (%[target]), %%al\n\t"
			 "movb %%al, (%[target])\n"
			 "1:"
			 : [rip] "=m"(host_probe.resume_rip), [rsp] "=m"(host_probe.resume_rsp)
			 : [target] "r"(code)
			 : "rax", "memory");
	host_probe.armed = false;
}

/* Calls a RET in Moat's data: if it runs, it just returns. */
static void host_probe_execute(const u8 *data)
{
	host_probe = (typeof(host_probe)){ .armed = true };
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
			 "movq %%rax, %[rip]\n\t"
			 "movq %%rsp, %[rsp]\n\t"
			 "call *%[target]\n"
			 "1:"
			 : [rip] "=m"(host_probe.resume_rip), [rsp] "=m"(host_probe.resume_rsp)
			 : [target] "r"(data)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory",
			   "cc");
	host_probe.armed = false;
}

/* Did the last probe take a protection #PF at address, with at least error bits? */
static bool host_probe_faulted(const void *address, u64 bits)
{
	return host_probe.hit && host_probe.address == (u64)(uintptr_t)address &&
	       (host_probe.error_code & bits) == bits;
}

/* The two promises a fault shows: code is not writable, data does not run. */
static void host_paging_self_test(const struct host_layout *layout)
{
	volatile u8 *code = (volatile u8 *)(uintptr_t)layout->code.start;

	host_probe_write(code);
	if (!host_probe_faulted((const void *)code, PF_ERROR_PRESENT | PF_ERROR_WRITE))
		panic("host mappings: writing Moat's code at 0x%lx did not fault",
		      layout->code.start);
	if (!host_nx) {
		log_warn("host mappings: this CPU has no execute-disable: data stays executable");
		return;
	}
	host_probe_execute(host_probe_data);
	if (!host_probe_faulted(host_probe_data, PF_ERROR_PRESENT | PF_ERROR_FETCH))
		panic("host mappings: running Moat's data at %p did not fault", host_probe_data);
	log_info("host mappings: self-test: writing code and running data fault (#PF)");
}

static int host_paging_build(struct frame_allocator *frames, const struct host_layout *layout)
{
	int count = host_map_plan(layout, host_regions, HOST_MAP_MAX_REGIONS), ret;

	if (count < 0) {
		log_error("host mappings: no plan for code 0x%lx-0x%lx below 0x%lx (error %d)",
			  layout->code.start, layout->code.end, layout->phys_top, count);
		return count;
	}
	host_format = pt_format_host;
	if (!(x86_cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT_EDX_PDPE1GB))
		host_format.leaf_levels &= ~PT_LEAF_LEVEL(3);
	ret = pt_create(&host_pages, &host_format, frames);
	/* Page 0 is never mapped, so that NULL dereferences fault instead of reading memory. */
	for (int i = 0; !ret && i < count; i++) {
		const struct host_region *r = &host_regions[i];

		ret = pt_map_range(&host_pages, r->start, r->start, r->end - r->start,
				   host_nx ? r->perms : r->perms | PT_EXEC, PT_MEMTYPE_WB);
	}
	return ret ? ret : count;
}

int host_paging_load(struct frame_allocator *frames, const struct host_layout *layout)
{
	char why[128];
	int count;

	host_nx = x86_cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT_EDX_NX;
	count = host_paging_build(frames, layout);
	if (count < 0)
		return count;
	if (!host_map_verify(&host_pages, layout, host_nx, why, sizeof(why))) {
		log_error("host mappings: built wrong: %s", why);
		return -MOAT_EINVAL;
	}
	/* NX entries are reserved bits while EFER.NXE is clear (SDM Vol. 3 4.5, table 4-20):
	 * NXE first. The APs copy EFER.NXE and CR0 from here (smp.c, ap_trampoline.S). */
	if (host_nx)
		x86_wrmsr(MSR_EFER, x86_rdmsr(MSR_EFER) | EFER_NXE);
	x86_write_cr3(host_pages.root);
	/* Loading CR3 keeps global translations the firmware may have left; toggling CR4.PGE
	 * drops them too (SDM Vol. 3 4.10.4.1), so no old writable or executable one stays. */
	if (x86_read_cr4() & CR4_PGE) {
		x86_write_cr4(x86_read_cr4() & ~CR4_PGE);
		x86_write_cr4(x86_read_cr4() | CR4_PGE);
	}
	/* Without WP, ring 0 writes through read-only pages (SDM Vol. 3 4.6.1). */
	x86_write_cr0(x86_read_cr0() | CR0_WP);
	log_info("host mappings: image 0x%lx-0x%lx: code rx 0x%lx-0x%lx, the rest rw nx; "
		 "%u firmware runtime code and AP ranges rwx%s; everything else rw nx "
		 "(guest RAM included): %d regions, %lu table pages, checked",
		 layout->image.start, layout->image.end, layout->code.start,
		 ALIGN_UP(layout->code.end, PAGE_SIZE), layout->exec_count,
		 layout->exec_merged ? " (merged)" : "", count, host_pages.table_pages);
	host_paging_self_test(layout);
	return 0;
}

u32 arch_host_mapping_perms(u64 address)
{
	struct pt_lookup_result leaf;

	return pt_lookup(&host_pages, address, &leaf) ? leaf.perms : 0;
}
