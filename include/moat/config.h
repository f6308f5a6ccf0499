/* SPDX-License-Identifier: MIT */
/* Moat's configuration as plain structs, parsed from moat.dtb by vmm/config.c (the only
 * libfdt user). The schema is documented in docs/config.md. */
#ifndef MOAT_CONFIG_H
#define MOAT_CONFIG_H

#include <moat/log.h>
#include <moat/types.h>

#define CONFIG_MAX_GUESTS 8
#define CONFIG_MAX_MODULES 8
#define CONFIG_NAME_MAX 32     /* guest name, including the NUL */
#define CONFIG_PATH_MAX 128    /* file path on the boot volume, including the NUL */
#define CONFIG_CMDLINE_MAX 512 /* including the NUL */
#define CONFIG_ERROR_MAX 320

#define CONFIG_MEMORY_MIN_MIB 1
#define CONFIG_MEMORY_MAX_MIB 3072 /* guest RAM stays below the 32-bit MMIO hole */

enum image_format {
	IMAGE_FORMAT_FLAT,
	IMAGE_FORMAT_MULTIBOOT,
	/* A Linux kernel: bzImage (boot protocol) or ELF vmlinux with a PVH note, told apart by
	 * the image's own headers (vmm/loader_linux.c, vmm/loader_pvh.c). */
	IMAGE_FORMAT_LINUX,
};

#define CONFIG_MAX_CPUS 16 /* CPUs Moat uses, the first included */
#define CONFIG_ALL_CPUS ((1u << CONFIG_MAX_CPUS) - 1)
#define CONFIG_MAX_VCPUS 8 /* per guest */
#define CONFIG_DEFAULT_SLICE_US 10000u
#define CONFIG_MIN_SLICE_US 1000u
#define CONFIG_MAX_SLICE_US 1000000u
#define CONFIG_DEFAULT_MAX_RESTARTS 10
#define CONFIG_MAX_RESTARTS 100000
#define CONFIG_MAX_TIME_LIMIT_MS (24u * 3600 * 1000)
/* The longest wait between two restarts of a guest (docs/scheduling.md, "Restarts"). */
#define CONFIG_DEFAULT_RESTART_BACKOFF_MS 1000
#define CONFIG_MAX_RESTART_BACKOFF_MS 60000
#define CONFIG_DEFAULT_MAX_EXITS_PER_SECOND 1000000u

/* What happens to a guest that crashes (docs/config.md, "Policy"). */
enum crash_policy {
	CRASH_STOP,
	CRASH_RESTART,
};

/* Devices a guest may be given (bit mask in guest_config.devices). */
enum guest_device {
	GUEST_DEVICE_UART = 1u << 0,      /* 16550 console at 0x3F8 */
	GUEST_DEVICE_TEST_EXIT = 1u << 1, /* isa-debug-exit compatible port 0xF4 */
};

struct guest_config {
	char name[CONFIG_NAME_MAX];
	u64 memory_size; /* bytes */
	char image[CONFIG_PATH_MAX];
	enum image_format format;
	u64 load_address; /* flat images: GPA of the first byte */
	u64 entry;        /* flat images: entry GPA (defaults to load_address) */
	char cmdline[CONFIG_CMDLINE_MAX];
	u32 module_count;
	char modules[CONFIG_MAX_MODULES][CONFIG_PATH_MAX];
	char initrd[CONFIG_PATH_MAX]; /* format linux: the initial ramdisk, "" for none */
	u32 devices; /* enum guest_device bits */
	bool acpi;   /* ACPI tables and sleep registers (vmm/acpi.c) */
	enum crash_policy on_crash;
	u32 max_restarts;
	u32 time_limit_ms;        /* 0: no limit */
	u32 max_exits_per_second; /* 0: no limit */
	u32 console_bytes_per_second; /* the console budget (include/moat/console.h) */
	u32 restart_backoff_max_ms; /* 0: restart at once */
	u32 vcpu_count;           /* 1..CONFIG_MAX_VCPUS */
	/* Per vCPU, the physical CPUs it may run on: bit c for CPU c (docs/scheduling.md). */
	u32 vcpu_cpus[CONFIG_MAX_VCPUS];
	bool dedicated; /* each vCPU gets a CPU no other vCPU runs on */
	/* false when this guest's node was rejected; error says why (node, property, what) */
	bool valid;
	char error[CONFIG_ERROR_MAX];
};

#define CONFIG_MAX_SHARED 8
#define CONFIG_SHARED_MAX_KIB (1024u * 1024) /* 1 GiB */
#define CONFIG_SHARED_ADDRESS_LIMIT (1ULL << 39) /* GPAs every EPT/NPT walk can map */

/* A region of host memory mapped into every guest it names, at the same guest-physical
 * address, readable and writable, never executable (docs/config.md, "/shared"). */
struct shared_config {
	char name[CONFIG_NAME_MAX];
	u64 size;
	gpa_t address;
	u32 guest_mask; /* bit i: guests[i] */
	bool valid;
	char error[CONFIG_ERROR_MAX];
};

/* Whether SMT siblings (hardware threads of one core) may run vCPUs of different guests at
 * the same time (docs/config.md "smt-siblings", docs/scheduling.md). */
enum config_smt_siblings {
	CONFIG_SMT_SAME_GUEST, /* the default: the vCPUs on one core's threads are one guest's */
	CONFIG_SMT_ANY,
};

struct moat_config {
	enum log_level log_level;
	u32 slice_us; /* scheduling time slice where vCPUs share a CPU */
	enum config_smt_siblings smt_siblings;
	u32 guest_count;
	struct guest_config guests[CONFIG_MAX_GUESTS];
	u32 shared_count;
	struct shared_config shared[CONFIG_MAX_SHARED];
};

/* The name of a setting in the configuration ("same-guest", "any"). */
const char *config_smt_siblings_name(enum config_smt_siblings smt);

/*
 * Parses a flattened device tree. Returns 0 when the tree itself is usable (even if some
 * guests were rejected: see guest_config.valid/error), or a negative error with a message
 * naming what is wrong in err when the whole configuration is unusable.
 */
int config_parse(const void *dtb, u64 dtb_size, struct moat_config *out, char *err,
		 size_t err_size);

const char *config_format_name(enum image_format format);
/* The guests of a rejected shared region cannot run as configured: marks each of them
 * invalid with "uses shared region: <the region's error>". */
void config_reject_sharing_guests(struct moat_config *config, const struct shared_config *region);

#endif
