// SPDX-License-Identifier: MIT
/* Parses moat.dtb (schema in docs/config.md) into struct moat_config. The blob is treated as
 * hostile: every length comes from libfdt and no string is trusted to be terminated. */
#include <libfdt.h>
#include <moat/config.h>
#include <moat/errno.h>
#include <moat/log.h>
#include <moat/string.h>

#define CONFIG_FILE_NAME "moat.dtb"
#define CONFIG_COMPATIBLE "moat,config-v1"
#define CONFIG_DEFAULT_LOAD_ADDRESS 0x100000ULL
#define CONFIG_QUOTE_MAX 32 /* characters of a value from the blob shown in a message */
#define CONFIG_CELL_SIZE 4  /* one device-tree cell: a big-endian u32 */

/* Why a node was rejected: the offending property (empty for the node itself) and what. */
struct config_reason {
	char property[CONFIG_QUOTE_MAX + 1];
	char what[CONFIG_ERROR_MAX];
};

/* State of one config_parse call. */
struct config_parser {
	const void *fdt;
	struct moat_config *out;
	bool name_ok[CONFIG_MAX_GUESTS]; /* guest i has a valid name (for duplicate checks) */
};

/* A property as libfdt returned it; data is NULL when the property is absent. */
struct config_prop {
	const char *data;
	int len;
};

static const char *const config_guest_properties[] = {
	"memory-mib", "image", "format", "load-address", "entry", "cmdline", "modules", "devices",
};

static const char *const config_moat_properties[] = { "log-level" };

/* Written by dtc when a node is referenced by label; never meaningful to Moat. */
static const char *const config_ignored_properties[] = { "phandle", "linux,phandle" };

static const struct {
	const char *name;
	enum guest_device bit;
} config_devices[] = {
	{ "uart", GUEST_DEVICE_UART },
	{ "test-exit", GUEST_DEVICE_TEST_EXIT },
};

const char *config_format_name(enum image_format format)
{
	switch (format) {
	case IMAGE_FORMAT_FLAT:
		return "flat";
	case IMAGE_FORMAT_MULTIBOOT:
		return "multiboot";
	}
	return "unknown";
}

static bool config_is_printable(char c)
{
	return c >= ' ' && c <= '~';
}

/* Copies at most len bytes of an untrusted string for a message: unprintable bytes become
 * '?' so that a hostile blob cannot put control sequences on the console. */
static void config_quote(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < size && i < len && src[i]; i++)
		dst[i] = config_is_printable(src[i]) ? src[i] : '?';
	dst[i] = '\0';
}

/* Records why a node is rejected; property is NULL for node-level problems. */
static bool __printf(3, 4) config_fail(struct config_reason *reason, const char *property,
				       const char *fmt, ...)
{
	va_list args;

	reason->property[0] = '\0';
	if (property)
		config_quote(reason->property, sizeof(reason->property), property,
			     CONFIG_PATH_MAX);
	va_start(args, fmt);
	format_string(reason->what, sizeof(reason->what), fmt, args);
	va_end(args);
	return false;
}

/* Writes "PATH: property 'P': WHAT" (or "PATH: WHAT") into buf. */
static void config_describe(char *buf, size_t size, const char *path,
			    const struct config_reason *reason)
{
	if (!buf || !size)
		return;
	if (reason->property[0])
		format(buf, size, "%s: property '%s': %s", path, reason->property, reason->what);
	else
		format(buf, size, "%s: %s", path, reason->what);
}

/* Returns the index of name in list, or -1. */
static int config_index(const char *name, const char *const *list, u32 count)
{
	for (u32 i = 0; i < count; i++)
		if (strcmp(name, list[i]) == 0)
			return (int)i;
	return -1;
}

/* Joins a list of names with ", " for "known: ..." hints. */
static void config_join(char *buf, size_t size, const char *const *list, u32 count)
{
	size_t used = 0;

	buf[0] = '\0';
	for (u32 i = 0; i < count && used < size; i++)
		used += (size_t)format(buf + used, size - used, "%s%s", i ? ", " : "", list[i]);
}

static struct config_prop config_get(const void *fdt, int node, const char *name)
{
	struct config_prop prop = { .data = NULL, .len = 0 };

	prop.data = fdt_getprop(fdt, node, name, &prop.len);
	if (!prop.data)
		prop.len = 0;
	return prop;
}

/* A single string: non-empty, terminated by the property's last byte, with no inner NUL. */
static bool config_string(struct config_prop prop, const char *property,
			  struct config_reason *reason)
{
	if (prop.len == 0)
		return config_fail(reason, property, "empty (expected a string)");
	if (prop.data[prop.len - 1] != '\0')
		return config_fail(reason, property, "not a NUL-terminated string");
	if (strlen(prop.data) != (size_t)prop.len - 1)
		return config_fail(reason, property, "expected one string, found a list");
	return true;
}

/* A string list: non-empty, terminated, no empty entries. Walk it with config_list_next. */
static bool config_string_list(struct config_prop prop, const char *property,
			       struct config_reason *reason)
{
	if (prop.len == 0)
		return config_fail(reason, property, "empty (expected a list of strings)");
	if (prop.data[prop.len - 1] != '\0')
		return config_fail(reason, property, "not a NUL-terminated string list");
	for (int i = 0; i < prop.len; i++)
		if (prop.data[i] == '\0' && (i == 0 || prop.data[i - 1] == '\0'))
			return config_fail(reason, property, "empty string in the list");
	return true;
}

/* Returns the entry after cur (or the first when cur is NULL), NULL at the end. */
static const char *config_list_next(struct config_prop prop, const char *cur)
{
	const char *next = cur ? cur + strlen(cur) + 1 : prop.data;

	return next < prop.data + prop.len ? next : NULL;
}

/* ---- paths on the boot volume ---- */

static bool config_has_dotdot(const char *path)
{
	for (; path[0]; path++)
		if (path[0] == '.' && path[1] == '.')
			return true;
	return false;
}

/* Paths are relative to the boot volume's root and '/'-separated; ".." is refused so that a
 * configuration cannot name a file outside the volume in any UEFI file system driver. */
static bool config_path_ok(const char *path, char *why, size_t size)
{
	size_t len = strlen(path);
	const char *bad = NULL;

	if (len == 0) {
		format(why, size, "empty path");
		return false;
	}
	if (len >= CONFIG_PATH_MAX) {
		format(why, size, "path is %zu bytes long (max %u)", len, CONFIG_PATH_MAX - 1);
		return false;
	}
	if (path[0] == '/' || config_has_dotdot(path)) {
		format(why, size, "path must be relative and must not contain \"..\"");
		return false;
	}
	for (size_t i = 0; i < len && !bad; i++) {
		if (path[i] == '\\')
			bad = "path must use '/' as separator, found '\\'";
		else if (!config_is_printable(path[i]))
			bad = "path has an unprintable character";
		else if (path[i] == '/' && (path[i + 1] == '/' || path[i + 1] == '\0'))
			bad = "path has an empty component";
	}
	if (bad) {
		format(why, size, "%s", bad);
		return false;
	}
	return true;
}

/* ---- checks shared by /moat and the guest nodes ---- */

/* Every property must be known and appear once, and the node must have no children: a typo
 * must never be silently ignored. */
static bool config_check_node(const void *fdt, int node, const char *const *known, u32 count,
			      struct config_reason *reason)
{
	u32 seen[ARRAY_SIZE(config_guest_properties)] = { 0 };
	int offset, len, child;

	fdt_for_each_property_offset(offset, fdt, node) {
		const char *name;
		char list[CONFIG_ERROR_MAX];
		int index;

		if (!fdt_getprop_by_offset(fdt, offset, &name, &len))
			return config_fail(reason, NULL, "damaged property (%s)",
					   fdt_strerror(len));
		if (config_index(name, config_ignored_properties,
				 ARRAY_SIZE(config_ignored_properties)) >= 0)
			continue;
		index = config_index(name, known, count);
		if (index < 0) {
			config_join(list, sizeof(list), known, count);
			return config_fail(reason, name, "unknown property (known: %s)", list);
		}
		if (seen[index]++)
			return config_fail(reason, name, "appears more than once");
	}
	if (offset != -FDT_ERR_NOTFOUND)
		return config_fail(reason, NULL, "damaged node (%s)", fdt_strerror(offset));
	child = fdt_first_subnode(fdt, node);
	if (child >= 0) {
		const char *name = fdt_get_name(fdt, child, &len);
		char quoted[CONFIG_QUOTE_MAX + 1];

		config_quote(quoted, sizeof(quoted), name ? name : "", name ? (size_t)len : 0);
		return config_fail(reason, NULL, "unexpected child node '%s'", quoted);
	}
	return true;
}

/* A 32-bit (one cell) or 64-bit (two cells, high cell first) address. */
static bool config_address(struct config_prop prop, const char *property, u64 *out,
			   struct config_reason *reason)
{
	const fdt32_t *cells = (const fdt32_t *)prop.data;

	if (prop.len == CONFIG_CELL_SIZE)
		*out = fdt32_ld(&cells[0]);
	else if (prop.len == 2 * CONFIG_CELL_SIZE)
		*out = ((u64)fdt32_ld(&cells[0]) << 32) | fdt32_ld(&cells[1]);
	else
		return config_fail(reason, property, "expected 1 or 2 cells (a 32-bit or 64-bit "
				   "address), found %d bytes", prop.len);
	return true;
}

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
	if (prop.len != CONFIG_CELL_SIZE)
		return config_fail(reason, "memory-mib", "expected a 32-bit cell, found %d bytes",
				   prop.len);
	mib = fdt32_ld((const fdt32_t *)prop.data);
	if (mib < CONFIG_MEMORY_MIN_MIB)
		return config_fail(reason, "memory-mib", "%u is below the minimum of %u", mib,
				   CONFIG_MEMORY_MIN_MIB);
	if (mib > CONFIG_MEMORY_MAX_MIB)
		return config_fail(reason, "memory-mib", "%u is above the maximum of %u", mib,
				   CONFIG_MEMORY_MAX_MIB);
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
	} else {
		config_quote(quoted, sizeof(quoted), prop.data, (size_t)prop.len);
		return config_fail(reason, "format",
				   "unknown value \"%s\" (expected flat or multiboot)", quoted);
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

	if (guest->format == IMAGE_FORMAT_MULTIBOOT) {
		/* The image's own headers say where it goes (docs/guest-interface.md). */
		for (u32 i = 0; i < ARRAY_SIZE(flat_only); i++)
			if (fdt_getprop(fdt, node, flat_only[i], NULL))
				return config_fail(reason, flat_only[i],
						   "not allowed with format multiboot");
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

/* Fills parser->out->guests[index] from one child of /guests; a problem marks only this
 * guest invalid. The name is copied first so that a summary can name a rejected guest. */
static void config_parse_guest(struct config_parser *parser, int node, u32 index)
{
	struct guest_config *guest = &parser->out->guests[index];
	const void *fdt = parser->fdt;
	struct config_reason reason;
	char path[sizeof("/guests/") + CONFIG_NAME_MAX];
	const char *name;
	int len;
	bool ok;

	name = fdt_get_name(fdt, node, &len);
	if (!name)
		len = 0;
	config_quote(guest->name, sizeof(guest->name), name ? name : "", (size_t)len);
	parser->name_ok[index] = config_guest_name(name, len, &reason);
	ok = parser->name_ok[index] && config_guest_unique(parser, index, &reason) &&
	     config_check_node(fdt, node, config_guest_properties,
			       ARRAY_SIZE(config_guest_properties), &reason) &&
	     config_guest_memory(fdt, node, guest, &reason) &&
	     config_guest_format(fdt, node, guest, &reason) &&
	     config_guest_image(fdt, node, guest, &reason) &&
	     config_guest_addresses(fdt, node, guest, &reason) &&
	     config_guest_cmdline(fdt, node, guest, &reason) &&
	     config_guest_modules(fdt, node, guest, &reason) &&
	     config_guest_devices(fdt, node, guest, &reason);
	guest->valid = ok;
	if (!ok) {
		format(path, sizeof(path), "/guests/%s", guest->name);
		config_describe(guest->error, sizeof(guest->error), path, &reason);
	}
}

/* ---- the tree ---- */

#define CONFIG_FDT_VERSION 17

static int config_check_blob(const void *dtb, u64 dtb_size, char *err, size_t err_size)
{
	int rc;

	if (!dtb || dtb_size < sizeof(struct fdt_header)) {
		format(err, err_size,
		       CONFIG_FILE_NAME ": too small to be a device tree (%lu bytes)",
		       dtb ? dtb_size : 0);
		return -MOAT_EINVAL;
	}
	rc = fdt_check_header(dtb);
	if (rc) {
		format(err, err_size, CONFIG_FILE_NAME ": not a device tree (%s)",
		       fdt_strerror(rc));
		return -MOAT_EINVAL;
	}
	if (fdt_totalsize(dtb) > dtb_size) {
		format(err, err_size,
		       CONFIG_FILE_NAME ": truncated: the header says %u bytes, only %lu present",
		       fdt_totalsize(dtb), dtb_size);
		return -MOAT_EINVAL;
	}
	/* Debian's libfdt 1.6.1 dereferences NULL in fdt_check_full for versions before 17
	 * (found by tests/fuzz/fuzz_config); dtc writes 17, so older ones are refused. */
	if (fdt_version(dtb) < CONFIG_FDT_VERSION) {
		format(err, err_size,
		       CONFIG_FILE_NAME ": device tree version %u is too old (need %u)",
		       fdt_version(dtb), CONFIG_FDT_VERSION);
		return -MOAT_EINVAL;
	}
	/* Walks every tag once so that later lookups meet only well-formed structure. */
	rc = fdt_check_full(dtb, fdt_totalsize(dtb));
	if (rc) {
		format(err, err_size, CONFIG_FILE_NAME ": damaged device tree (%s)",
		       fdt_strerror(rc));
		return -MOAT_EINVAL;
	}
	return 0;
}

static bool config_check_compatible(const void *fdt, struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, 0, "compatible");
	char quoted[CONFIG_QUOTE_MAX + 1];

	if (!prop.data)
		return config_fail(reason, "compatible", "missing");
	if (prop.len == sizeof(CONFIG_COMPATIBLE) &&
	    memcmp(prop.data, CONFIG_COMPATIBLE, sizeof(CONFIG_COMPATIBLE)) == 0)
		return true;
	if (prop.len == 0 || prop.data[prop.len - 1] != '\0')
		return config_string(prop, "compatible", reason);
	config_quote(quoted, sizeof(quoted), prop.data, (size_t)prop.len);
	return config_fail(reason, "compatible", "expected \"%s\", found \"%s\"%s",
			   CONFIG_COMPATIBLE, quoted,
			   strlen(prop.data) + 1 < (size_t)prop.len ? " and more" : "");
}

static bool config_parse_moat(const void *fdt, int node, struct moat_config *out,
			      struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "log-level");
	char quoted[CONFIG_QUOTE_MAX + 1];

	if (!config_check_node(fdt, node, config_moat_properties,
			       ARRAY_SIZE(config_moat_properties), reason))
		return false;
	if (!prop.data)
		return true;
	if (!config_string(prop, "log-level", reason))
		return false;
	if (!log_level_from_name(prop.data, &out->log_level)) {
		config_quote(quoted, sizeof(quoted), prop.data, (size_t)prop.len);
		return config_fail(reason, "log-level",
				   "unknown value \"%s\" (expected error, warn, info or debug)",
				   quoted);
	}
	return true;
}

/* Finds the root's children named exactly "moat" and "guests" (a unit address does not
 * match); other children of / are not Moat's business. */
static bool config_find_nodes(const void *fdt, int *moat, int *guests,
			      struct config_reason *reason, const char **path)
{
	int node, len;

	*moat = *guests = -FDT_ERR_NOTFOUND;
	fdt_for_each_subnode(node, fdt, 0) {
		const char *name = fdt_get_name(fdt, node, &len);
		int *slot = NULL;

		if (name && strcmp(name, "moat") == 0)
			slot = moat;
		else if (name && strcmp(name, "guests") == 0)
			slot = guests;
		if (!slot)
			continue;
		if (*slot >= 0) {
			*path = slot == moat ? "/moat" : "/guests";
			return config_fail(reason, NULL, "node appears more than once");
		}
		*slot = node;
	}
	*path = "/";
	if (node != -FDT_ERR_NOTFOUND)
		return config_fail(reason, NULL, "damaged node (%s)", fdt_strerror(node));
	*path = "/guests";
	if (*guests < 0)
		return config_fail(reason, NULL, "missing (the node listing the guests)");
	return true;
}

static bool config_parse_guests(struct config_parser *parser, int guests,
				struct config_reason *reason)
{
	struct moat_config *out = parser->out;
	int node, len;

	fdt_for_each_subnode(node, parser->fdt, guests) {
		const char *name;
		char quoted[CONFIG_NAME_MAX];

		if (out->guest_count < CONFIG_MAX_GUESTS) {
			config_parse_guest(parser, node, out->guest_count++);
			continue;
		}
		/* No slot to carry the error in: say it here, once per extra guest. */
		name = fdt_get_name(parser->fdt, node, &len);
		config_quote(quoted, sizeof(quoted), name ? name : "", name ? (size_t)len : 0);
		log_error("config: /guests/%s: too many guests (max %u)", quoted,
			  CONFIG_MAX_GUESTS);
	}
	if (node != -FDT_ERR_NOTFOUND)
		return config_fail(reason, NULL, "damaged node (%s)", fdt_strerror(node));
	return true;
}

int config_parse(const void *dtb, u64 dtb_size, struct moat_config *out, char *err,
		 size_t err_size)
{
	struct config_parser parser = { .fdt = dtb, .out = out };
	struct config_reason reason;
	const char *path = "/";
	int moat, guests, rc;

	memset(out, 0, sizeof(*out));
	out->log_level = LOG_INFO;
	if (err && err_size)
		err[0] = '\0';
	rc = config_check_blob(dtb, dtb_size, err, err_size);
	if (rc)
		return rc;
	if (!config_check_compatible(dtb, &reason) ||
	    !config_find_nodes(dtb, &moat, &guests, &reason, &path))
		goto bad_tree;
	path = "/moat";
	if (moat >= 0 && !config_parse_moat(dtb, moat, out, &reason))
		goto bad_tree;
	path = "/guests";
	if (!config_parse_guests(&parser, guests, &reason))
		goto bad_tree;
	return 0;

bad_tree:
	config_describe(err, err_size, path, &reason);
	memset(out, 0, sizeof(*out));
	out->log_level = LOG_INFO;
	return -MOAT_EINVAL;
}
