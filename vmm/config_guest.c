// SPDX-License-Identifier: MIT
/* Parses one guest node of moat.dtb (docs/config.md); a problem rejects only that guest,
 * with a message naming the node and property. */
#include <moat/console.h>
#include <moat/errno.h>
#include <moat/log.h>
#include <moat/platform.h>
#include <moat/string.h>

#include "config_internal.h"

static const char *const config_guest_properties[] = {
	"memory-mib", "image",	  "format",	  "load-address",  "entry",
	"cmdline",    "modules",  "devices",	  "on-crash",	   "max-restarts",
	"time-limit-ms", "max-exits-per-second", "cpu",	   "dedicated",
	"console-bytes-per-second", "restart-backoff-max-ms", "initrd", "acpi",
};

static const struct {
	const char *name;
	enum guest_device bit;
} config_devices[] = {
	{ "uart", GUEST_DEVICE_UART },
	{ "test-exit", GUEST_DEVICE_TEST_EXIT },
};

/* ---- one guest node ---- */

static bool config_guest_name(const char *name, int len, struct config_reason *reason)
{
	if (len <= 0)
		return config_fail(reason, NULL, "empty node name");
	if (memchr(name, '@', (size_t)len))
		return config_fail(reason, NULL,
				   "unit addresses (@) are not allowed in guest names");
	if (len >= CONFIG_NAME_MAX)
		return config_fail(reason, NULL, "name is %d characters long (max %u)", len,
				   CONFIG_NAME_MAX - 1);
	for (int i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return config_fail(reason, NULL,
					   "invalid character '%c' in name (allowed: a-z 0-9 _ -)",
					   config_is_printable(c) ? c : '?');
	}
	return true;
}

static bool config_guest_unique(const struct config_parser *parser, u32 index,
				struct config_reason *reason)
{
	const struct guest_config *guests = parser->out->guests;

	for (u32 i = 0; i < index; i++)
		if (parser->name_ok[i] && strcmp(guests[i].name, guests[index].name) == 0)
			return config_fail(reason, NULL, "duplicate guest name (an earlier guest "
					   "is also called '%s')", guests[index].name);
	return true;
}

static bool config_guest_memory(const void *fdt, int node, struct guest_config *guest,
				struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "memory-mib");
	u32 mib;

	if (!prop.data)
		return config_fail(reason, "memory-mib", "missing");
	if (!config_u32(prop, "memory-mib", CONFIG_MEMORY_MIN_MIB, CONFIG_MEMORY_MAX_MIB, &mib,
			reason))
		return false;
	guest->memory_size = MIB(mib);
	return true;
}

static bool config_guest_format(const void *fdt, int node, struct guest_config *guest,
				struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "format");
	char quoted[CONFIG_QUOTE_MAX + 1];

	if (!prop.data)
		return config_fail(reason, "format", "missing");
	if (!config_string(prop, "format", reason))
		return false;
	if (strcmp(prop.data, "flat") == 0) {
		guest->format = IMAGE_FORMAT_FLAT;
	} else if (strcmp(prop.data, "multiboot") == 0) {
		guest->format = IMAGE_FORMAT_MULTIBOOT;
	} else if (strcmp(prop.data, "linux") == 0) {
		guest->format = IMAGE_FORMAT_LINUX;
	} else {
		config_quote(quoted, sizeof(quoted), prop.data, (size_t)prop.len);
		return config_fail(reason, "format",
				   "unknown value \"%s\" (expected flat, multiboot or linux)",
				   quoted);
	}
	return true;
}

static bool config_guest_image(const void *fdt, int node, struct guest_config *guest,
			       struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "image");
	char why[CONFIG_ERROR_MAX];

	if (!prop.data)
		return config_fail(reason, "image", "missing");
	if (!config_string(prop, "image", reason))
		return false;
	if (!config_path_ok(prop.data, why, sizeof(why)))
		return config_fail(reason, "image", "%s", why);
	strlcpy(guest->image, prop.data, sizeof(guest->image));
	return true;
}

/* Reads an optional address of a flat image; it must lie inside guest RAM. */
static bool config_guest_address(const void *fdt, int node, const char *property,
				 const struct guest_config *guest, u64 *value,
				 struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, property);

	if (prop.data && !config_address(prop, property, value, reason))
		return false;
	if (*value >= guest->memory_size)
		return config_fail(reason, property, "0x%lx%s is outside guest RAM (%lu MiB)",
				   *value, prop.data ? "" : " (the default)",
				   guest->memory_size / MIB(1));
	return true;
}

static bool config_guest_addresses(const void *fdt, int node, struct guest_config *guest,
				   struct config_reason *reason)
{
	static const char *const flat_only[] = { "load-address", "entry" };

	if (guest->format != IMAGE_FORMAT_FLAT) {
		/* The image's own headers say where it goes (docs/guest-interface.md). */
		for (u32 i = 0; i < ARRAY_SIZE(flat_only); i++)
			if (fdt_getprop(fdt, node, flat_only[i], NULL))
				return config_fail(reason, flat_only[i], "not allowed with format %s",
						   config_format_name(guest->format));
		return true;
	}
	guest->load_address = CONFIG_DEFAULT_LOAD_ADDRESS;
	if (!config_guest_address(fdt, node, "load-address", guest, &guest->load_address, reason))
		return false;
	guest->entry = guest->load_address;
	return config_guest_address(fdt, node, "entry", guest, &guest->entry, reason);
}

static bool config_guest_cmdline(const void *fdt, int node, struct guest_config *guest,
				 struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "cmdline");

	if (!prop.data)
		return true;
	if (!config_string(prop, "cmdline", reason))
		return false;
	if (prop.len > CONFIG_CMDLINE_MAX)
		return config_fail(reason, "cmdline", "%d bytes long (max %u)", prop.len - 1,
				   CONFIG_CMDLINE_MAX - 1);
	strlcpy(guest->cmdline, prop.data, sizeof(guest->cmdline));
	return true;
}

static bool config_guest_modules(const void *fdt, int node, struct guest_config *guest,
				 struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "modules");
	char why[CONFIG_ERROR_MAX];
	const char *module = NULL;

	if (!prop.data)
		return true;
	if (guest->format != IMAGE_FORMAT_MULTIBOOT)
		return config_fail(reason, "modules", "not allowed with format %s",
				   config_format_name(guest->format));
	if (!config_string_list(prop, "modules", reason))
		return false;
	while ((module = config_list_next(prop, module))) {
		if (guest->module_count == CONFIG_MAX_MODULES)
			return config_fail(reason, "modules", "more than %u modules",
					   CONFIG_MAX_MODULES);
		if (!config_path_ok(module, why, sizeof(why)))
			return config_fail(reason, "modules", "module %u: %s",
					   guest->module_count + 1, why);
		strlcpy(guest->modules[guest->module_count++], module, CONFIG_PATH_MAX);
	}
	return true;
}

/* The initial ramdisk of a Linux guest, read from the boot volume like the image. */
static bool config_guest_initrd(const void *fdt, int node, struct guest_config *guest,
				struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "initrd");
	char why[CONFIG_ERROR_MAX];

	if (!prop.data)
		return true;
	if (guest->format != IMAGE_FORMAT_LINUX)
		return config_fail(reason, "initrd", "not allowed with format %s",
				   config_format_name(guest->format));
	if (!config_string(prop, "initrd", reason))
		return false;
	if (!config_path_ok(prop.data, why, sizeof(why)))
		return config_fail(reason, "initrd", "%s", why);
	strlcpy(guest->initrd, prop.data, sizeof(guest->initrd));
	return true;
}

static bool config_guest_devices(const void *fdt, int node, struct guest_config *guest,
				 struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "devices");
	char quoted[CONFIG_QUOTE_MAX + 1];
	const char *device = NULL;

	if (!prop.data)
		return true;
	if (!config_string_list(prop, "devices", reason))
		return false;
	while ((device = config_list_next(prop, device))) {
		u32 i;

		config_quote(quoted, sizeof(quoted), device, CONFIG_PATH_MAX);
		for (i = 0; i < ARRAY_SIZE(config_devices); i++)
			if (strcmp(device, config_devices[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(config_devices))
			return config_fail(reason, "devices",
					   "unknown device \"%s\" (known: uart, test-exit)",
					   quoted);
		if (guest->devices & config_devices[i].bit)
			return config_fail(reason, "devices", "duplicate device \"%s\"", quoted);
		guest->devices |= config_devices[i].bit;
	}
	return true;
}

/* `acpi;` (a boolean) gives the guest ACPI tables and the sleep registers they name
 * (vmm/acpi.c); Linux guests have them without it. They take [0xA0000, 0x100000) of its
 * RAM, so a flat image loads above. */
static bool config_guest_acpi(const void *fdt, int node, struct guest_config *guest,
			      struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "acpi");

	/* A Linux guest always has them: its loaders point the kernel at the RSDP. */
	if (guest->format == IMAGE_FORMAT_LINUX)
		guest->acpi = true;
	if (!prop.data)
		return true;
	if (prop.len != 0)
		return config_fail(reason, "acpi", "takes no value (write 'acpi;'), found %d bytes",
				   prop.len);
	if (guest->format == IMAGE_FORMAT_MULTIBOOT)
		return config_fail(reason, "acpi", "not allowed with format multiboot");
	if (guest->format == IMAGE_FORMAT_FLAT && guest->load_address < PLATFORM_RESERVED_END)
		return config_fail(reason, "acpi", "the tables need 0x%lx-0x%lx: load the image at "
				   "0x%lx or above", (u64)PLATFORM_RESERVED_BASE,
				   (u64)PLATFORM_RESERVED_END - 1, (u64)PLATFORM_RESERVED_END);
	guest->acpi = true;
	return true;
}

/* An optional number with a default. */
static bool config_guest_number(const void *fdt, int node, const char *property, u32 max,
				u32 fallback, u32 *out, struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, property);

	*out = fallback;
	return !prop.data || config_u32(prop, property, 0, max, out, reason);
}

/* Console output per second (docs/config.md): at least a byte, at most a MiB. */
static bool config_guest_console(const void *fdt, int node, struct guest_config *guest,
				 struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "console-bytes-per-second");

	guest->console_bytes_per_second = CONSOLE_DEFAULT_BYTES_PER_SECOND;
	return !prop.data || config_u32(prop, "console-bytes-per-second", 1,
					CONSOLE_MAX_BYTES_PER_SECOND,
					&guest->console_bytes_per_second, reason);
}

/* What Moat does when the guest crashes or misbehaves (docs/config.md, "Policy"). */
static bool config_guest_policy(const void *fdt, int node, struct guest_config *guest,
				struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "on-crash");
	char quoted[CONFIG_QUOTE_MAX + 1];

	guest->on_crash = CRASH_STOP;
	if (prop.data) {
		if (!config_string(prop, "on-crash", reason))
			return false;
		if (strcmp(prop.data, "restart") == 0) {
			guest->on_crash = CRASH_RESTART;
		} else if (strcmp(prop.data, "stop") != 0) {
			config_quote(quoted, sizeof(quoted), prop.data, (size_t)prop.len);
			return config_fail(reason, "on-crash",
					   "unknown value \"%s\" (expected stop or restart)",
					   quoted);
		}
	}
	return config_guest_number(fdt, node, "max-restarts", CONFIG_MAX_RESTARTS,
				   CONFIG_DEFAULT_MAX_RESTARTS, &guest->max_restarts, reason) &&
	       config_guest_number(fdt, node, "time-limit-ms", CONFIG_MAX_TIME_LIMIT_MS, 0,
				   &guest->time_limit_ms, reason) &&
	       config_guest_number(fdt, node, "max-exits-per-second", UINT32_MAX,
				   CONFIG_DEFAULT_MAX_EXITS_PER_SECOND,
				   &guest->max_exits_per_second, reason) &&
	       config_guest_number(fdt, node, "restart-backoff-max-ms",
				   CONFIG_MAX_RESTART_BACKOFF_MS, CONFIG_DEFAULT_RESTART_BACKOFF_MS,
				   &guest->restart_backoff_max_ms, reason);
}

/* Fills parser->out->guests[index] from one child of /guests; a problem marks only this
 * guest invalid. The name is copied first so that a summary can name a rejected guest. */
void config_parse_guest(struct config_parser *parser, int node, u32 index)
{
	struct guest_config *guest = &parser->out->guests[index];
	const void *fdt = parser->fdt;
	struct config_reason reason;
	char child[CONFIG_QUOTE_MAX + 1] = "";
	char path[sizeof("/guests/") + CONFIG_NAME_MAX + sizeof(child)];
	const char *name;
	int len;
	bool ok;

	/* One vCPU that may run anywhere, unless config_parse_vcpus reads otherwise. */
	guest->vcpu_count = 1;
	guest->vcpu_cpus[0] = CONFIG_ALL_CPUS;
	name = fdt_get_name(fdt, node, &len);
	if (!name)
		len = 0;
	config_quote(guest->name, sizeof(guest->name), name ? name : "", (size_t)len);
	parser->name_ok[index] = config_guest_name(name, len, &reason);
	ok = parser->name_ok[index] && config_guest_unique(parser, index, &reason) &&
	     /* Its children are vcpu@N nodes, which config_parse_vcpus checks. */
	     config_check_properties(fdt, node, config_guest_properties,
				     ARRAY_SIZE(config_guest_properties), &reason) &&
	     config_guest_memory(fdt, node, guest, &reason) &&
	     config_guest_format(fdt, node, guest, &reason) &&
	     config_guest_image(fdt, node, guest, &reason) &&
	     config_guest_addresses(fdt, node, guest, &reason) &&
	     config_guest_cmdline(fdt, node, guest, &reason) &&
	     config_guest_modules(fdt, node, guest, &reason) &&
	     config_guest_initrd(fdt, node, guest, &reason) &&
	     config_guest_devices(fdt, node, guest, &reason) &&
	     config_guest_acpi(fdt, node, guest, &reason) &&
	     config_guest_policy(fdt, node, guest, &reason) &&
	     config_guest_console(fdt, node, guest, &reason) &&
	     config_parse_vcpus(fdt, node, guest, child, sizeof(child), &reason);
	guest->valid = ok;
	if (!ok) {
		format(path, sizeof(path), "/guests/%s%s%s", guest->name, child[0] ? "/" : "",
		       child);
		config_describe(guest->error, sizeof(guest->error), path, &reason);
	}
}
