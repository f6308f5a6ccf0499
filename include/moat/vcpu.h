/* SPDX-License-Identifier: MIT */
/* The generic vCPU: registers, the exit event vendor code translates into, and the small
 * ops table each vendor (arch/x86/svm, arch/x86/vmx) implements. */
#ifndef MOAT_VCPU_H
#define MOAT_VCPU_H

#include <moat/frame.h>
#include <moat/loader.h>
#include <moat/pagetable.h>
#include <moat/types.h>

struct vm;

/* General-purpose registers in x86 encoding order (SDM Vol. 2 2.1.5), then RIP and RFLAGS.
 * The vendor entry code saves and restores them at these offsets. */
struct vcpu_regs {
	u64 rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rip, rflags;
};

/* Control and model-specific state the generic code may read or change. */
enum vcpu_state_reg {
	VCPU_CR0,
	VCPU_CR3,
	VCPU_CR4,
	VCPU_EFER,
	VCPU_PAT,
	VCPU_CS_BASE,
	VCPU_CPL,
	/* The task priority in x2APIC TPR form (bits 7:4 the class, 3:0 the sub-class): one
	 * register with the guest's CR8, which is CR8[3:0] = TPR[7:4] (SDM Vol. 3 10.8.6.1). Kept
	 * by the vendor where the CPU reads it (VMX virtual-APIC page, SVM V_TPR), never in the
	 * physical APIC; 0 after vcpu_reset. */
	VCPU_TPR,
	/* Read only: the code segment's default operand size in bytes, 2, 4 or 8 (enum
	 * x86_code_size): 8 in 64-bit mode (EFER.LMA and CS.L), else 4 with CS.D set, else 2
	 * (SDM Vol. 3 3.4.5, 5.2.1; virtual-8086 code is 16-bit). */
	VCPU_CODE_SIZE,
	/* Write only: 0 ends an STI/MOV SS interrupt shadow, after Moat completed the
	 * instruction that sat in it (MMIO emulation). */
	VCPU_INTERRUPT_SHADOW,
	/* The guest's XCR0 (SDM Vol. 1 13.3). A write takes effect at once: the vCPU's XSAVE state
	 * is in the CPU while Moat handles its exits (arch/x86/guest_context.c). */
	VCPU_XCR0,
	/* Write only: the TSC offset both vendors add to RDTSC, vcpu_tsc_offset(vcpu). */
	VCPU_TSC_OFFSET,
};

enum vm_exit_kind {
	VM_EXIT_NONE,
	VM_EXIT_CPUID,
	VM_EXIT_IO,
	VM_EXIT_MSR_READ,
	VM_EXIT_MSR_WRITE,
	VM_EXIT_HLT,
	VM_EXIT_HYPERCALL,
	VM_EXIT_NESTED_FAULT, /* access to a GPA the nested tables do not grant */
	VM_EXIT_SHUTDOWN,     /* triple fault */
	VM_EXIT_FORBIDDEN,    /* an instruction the guest may never run (VMRUN, INVD, ...) */
	VM_EXIT_INVALID_STATE,/* entry refused the guest state */
	VM_EXIT_HOST_EVENT,   /* a host interrupt or NMI: nothing for the guest, resume */
	VM_EXIT_COMPLETED,    /* the guest's, completed by the vendor code (a MOV to CR4) */
	VM_EXIT_EXCEPTION,    /* an intercepted guest exception (vmm/exception.c) */
	VM_EXIT_WBINVD,       /* completed as a no-op: guest memory is write-back, no devices */
	VM_EXIT_RDPMC,        /* #GP: no performance counters are offered */
	VM_EXIT_XSETBV,       /* XSETBV, decided by vmm/xsave.c */
	VM_EXIT_UNKNOWN,
	VM_EXIT_KIND_COUNT, /* not a kind: the size of the per-kind counts */
};

struct vm_exit_io {
	u16 port;
	u8 size; /* 1, 2 or 4 */
	bool in;
	bool string;
	bool rep;
};

struct vm_exit {
	enum vm_exit_kind kind;
	u64 vendor_reason; /* the raw exit code, for logs */
	union {
		struct vm_exit_io io;
		struct {
			u32 index;
		} msr;
		struct {
			gpa_t gpa;
			u32 access; /* enum pt_perm: what the guest tried */
			/* The access was the CPU's walk of the guest's page tables, not the
			 * instruction's own: never a device access to emulate. */
			bool page_walk;
		} fault;
		struct {
			u8 vector;
			bool has_error_code;
			u32 error_code;
		} exception;
		struct {
			const char *what; /* instruction or condition name */
			u64 detail;       /* vendor detail: error number, qualification */
		} info;                   /* VM_EXIT_FORBIDDEN, INVALID_STATE, UNKNOWN */
	};
};

/* "No CPU": no idle CPU asked for a vCPU, or no CPU found for it. */
#define VCPU_NO_CPU CONFIG_MAX_CPUS

/* Whether the scheduler may run a vCPU (docs/scheduling.md). Changed under its guest's lock. */
enum vcpu_run_state {
	VCPU_RUNNABLE,
	VCPU_HALTED,    /* in HLT: a fixed interrupt wakes it if it halted with IF=1 */
	VCPU_WAIT_SIPI, /* after INIT, and every vCPU but the first at start: a SIPI starts it */
};

#define VLAPIC_VECTOR_WORDS 8 /* 256 vectors, 32 per word */

/* The local vector table, in register order from the timer (SDM Vol. 3 11.5.1). */
enum vlapic_lvt {
	VLAPIC_LVT_TIMER,
	VLAPIC_LVT_THERMAL,
	VLAPIC_LVT_PERF,
	VLAPIC_LVT_LINT0,
	VLAPIC_LVT_LINT1,
	VLAPIC_LVT_ERROR,
	VLAPIC_LVT_COUNT,
};

/* The APIC timer (vmm/vlapic_timer.c). Changed only on the vCPU's own CPU (by the vCPU's
 * register writes, or when it expires); read by the guest's other CPUs only to learn whether
 * a halted vCPU can still be woken. */
struct vlapic_timer {
	bool armed;
	u64 deadline;     /* guest TSC at which it fires next */
	u64 period;       /* TSC ticks of one count down (one-shot and periodic) */
	u32 initial;      /* initial-count register */
	u32 divide;       /* divide configuration register */
};

/* The guest's view of its local APIC (vmm/vlapic*.c): one model behind the xAPIC page and the
 * x2APIC MSRs. IRR and TMR are set by other CPUs (IPIs, the I/O APIC) with atomics; the rest
 * is changed only on the vCPU's own CPU. */
struct vlapic {
	u32 irr[VLAPIC_VECTOR_WORDS]; /* requested vectors */
	u32 isr[VLAPIC_VECTOR_WORDS]; /* in service: injected, not yet EOIed */
	u32 tmr[VLAPIC_VECTOR_WORDS]; /* accepted level-triggered: their EOI is broadcast */
	u32 pending; /* set after an irr bit: the entry path scans irr only then */
	u32 kicked;  /* its CPU was kicked for a request and it has not taken requests since */
	u64 base;    /* IA32_APIC_BASE but the BSP bit (vcpu->id == 0); kept across INIT */
	u32 svr;     /* the TPR is the vendor's (VCPU_TPR): CR8 and the TPR are one register */
	u32 ldr, dfr; /* xAPIC logical destination; in x2APIC mode the LDR is derived */
	u32 esr;          /* the error status register as last latched by a write */
	u32 esr_pending;  /* errors since: set atomically (a sender's illegal vector) */
	u32 lvt[VLAPIC_LVT_COUNT];
	u64 icr;
	struct vlapic_timer timer;
};

/* The kvmclock MSRs of one vCPU (vmm/kvmclock.c, Linux Documentation/virt/kvm/x86/msr.rst):
 * the values last written, GPA | enable bit. */
struct kvmclock {
	u64 system_time_msr; /* MSR_KVM_SYSTEM_TIME_NEW; 0 after reset and INIT */
	u64 wall_clock_msr;  /* MSR_KVM_WALL_CLOCK_NEW */
};

/* What one vCPU used, for time limits, flood detection and the shutdown summary. */
struct vcpu_clock {
	u64 run_ticks;    /* TSC ticks spent in the guest since it (re)started */
	u64 window_start; /* run_ticks at the start of the current flood window */
	u64 window_exits;
	u64 exits;
	u64 exit_kinds[VM_EXIT_KIND_COUNT]; /* exits by kind (vmm/exit_stats.c), for the summary */
	u64 slices;
	u64 halts;
	u64 moves; /* times it moved to another CPU of its set */
	/* TSC when it last gave up its CPU still runnable (0: it did not), and the longest it
	 * then waited for its next slice: what restarts and other Moat work on its CPU cost it. */
	u64 waiting_since;
	u64 longest_wait;
};

struct vcpu {
	struct vm *vm;
	u32 id; /* also its APIC ID */
	struct vcpu_regs regs; /* x87/SSE/AVX, debug registers, ...: the vendor code's */
	u64 spec_ctrl; /* the guest's IA32_SPEC_CTRL (vmm/msr.c, docs/speculation.md) */
	/* IA32_TSC_ADJUST: what the guest's writes to IA32_TSC and IA32_TSC_ADJUST moved this
	 * vCPU's TSC by, on top of its guest's offset (SDM Vol. 3 18.17.3). 0 at (re)start. */
	u64 tsc_adjust;
	struct kvmclock kvmclock; /* the KVM paravirtual clock MSRs (vmm/kvmclock.c) */
	u64 slice_end; /* TSC at which the scheduler wants the CPU back */
	/* The physical CPU it runs on (docs/scheduling.md): placed at start, changed only by
	 * that CPU when it hands the vCPU to an idle one (migrate_to). */
	u32 cpu;
	u32 migrate_to;        /* an idle CPU asking for it, or VCPU_NO_CPU */
	u32 parked_generation; /* 1 + the guest generation in which its CPU parked it */
	enum vcpu_run_state run_state;
	bool halted_with_interrupts; /* RFLAGS.IF was set at its HLT */
	bool sipi_pending;           /* start at sipi_vector when next picked */
	u8 sipi_vector;
	struct vlapic apic;
	struct vcpu_clock clock;
	void *vendor; /* VMCB / VMCS bookkeeping, owned by the vendor code */
};

struct vendor_ops {
	const char *name;
	const struct pt_format *nested_format;
	/* Host memory one vCPU's control structures take (VMCB or VMCS, bitmaps, bookkeeping). */
	u64 vcpu_control_bytes;
	/* Takes the per-CPU memory the extension needs on cpu (run on the first CPU). */
	int (*cpu_prepare)(u32 cpu, struct frame_allocator *frames);
	/* Enables the extension on the calling CPU, which is cpu. Returns 0 or a negative
	 * error, logged. */
	int (*cpu_enable)(u32 cpu);
	/* Builds the vCPU's control structures for the entry state over the nested root. */
	int (*vcpu_create)(struct vcpu *vcpu, const struct guest_entry_state *entry,
			   hpa_t nested_root, struct frame_allocator *frames);
	void (*vcpu_destroy)(struct vcpu *vcpu, struct frame_allocator *frames);
	/* Runs the guest until its next exit and translates that exit. */
	void (*vcpu_run)(struct vcpu *vcpu, struct vm_exit *exit);
	/* Moves RIP past the instruction that caused exit. */
	void (*advance_rip)(struct vcpu *vcpu, const struct vm_exit *exit);
	/* Sets the vCPU's architectural state anew (a start-up IPI); runs on its own CPU. */
	void (*vcpu_reset)(struct vcpu *vcpu, const struct guest_entry_state *entry);
	/* Lets go of per-CPU state for the vCPU (VMCLEAR, registers the CPU still holds for it)
	 * before it moves, is destroyed or rebuilt; runs on its own CPU. */
	void (*vcpu_unload)(struct vcpu *vcpu);
	/* Queues an external interrupt for the next entry; false when the guest cannot take
	 * one now (RFLAGS.IF clear, an STI/MOV SS shadow, or another event queued). */
	bool (*inject_interrupt)(struct vcpu *vcpu, u8 vector);
	/* Queues an exception for the next entry. */
	void (*inject_exception)(struct vcpu *vcpu, u8 vector, bool has_error_code, u32 error_code);
	u64 (*read_state)(struct vcpu *vcpu, enum vcpu_state_reg reg);
	void (*write_state)(struct vcpu *vcpu, enum vcpu_state_reg reg, u64 value);
	/* Drops cached nested translations of this vCPU before its next entry. */
	void (*flush_nested)(struct vcpu *vcpu);
};

/* Exception vectors (SDM Vol. 3 6.3.1). */
#define X86_VECTOR_DB 1
#define X86_VECTOR_UD 6
#define X86_VECTOR_AC 17
#define X86_VECTOR_MC 18
#define X86_VECTOR_FIRST_INTERRUPT 16 /* vectors below are reserved for exceptions */
#define X86_VECTOR_GP 13
#define X86_VECTOR_PF 14

#endif
