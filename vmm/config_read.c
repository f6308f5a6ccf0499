// SPDX-License-Identifier: MIT
/* Checked readers for device-tree properties and the error messages the parser writes: every
 * length comes from libfdt and no string is trusted to be terminated. */
#include <moat/errno.h>
#include <moat/log.h>
#include <moat/string.h>

#include "config_internal.h"

/* Written by dtc when a node is referenced by label; never meaningful to Moat. */
const char *const config_ignored_properties[] = {"phandle", "linux,phandle"};
const u32 config_ignored_property_count = ARRAY_SIZE(config_ignored_properties);

bool config_is_printable(char c)
{
	return c >= ' ' && c <= '~';
}

/* Copies at most len bytes of an untrusted string for a message: unprintable bytes become
 * '?' so that a hostile blob cannot put control sequences on the console. */
void config_quote(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < size && i < len && src[i]; i++)
		dst[i] = config_is_printable(src[i]) ? src[i] : '?';
	dst[i] = '\0';
}

/* Records why a node is rejected; property is NULL for node-level problems. */
bool __printf(3, 4)
    config_fail(struct config_reason *reason, const char *property, const char *fmt, ...)
{
	va_list args;

	reason->property[0] = '\0';
	if (property)
		config_quote(reason->property, sizeof(reason->property), property, CONFIG_PATH_MAX);
	va_start(args, fmt);
	format_string(reason->what, sizeof(reason->what), fmt, args);
	va_end(args);
	return false;
}

/* Writes "PATH: property 'P': WHAT" (or "PATH: WHAT") into buf. */
void config_describe(char *buf, size_t size, const char *path, const struct config_reason *reason)
{
	if (!buf || !size)
		return;
	if (reason->property[0])
		format(buf, size, "%s: property '%s': %s", path, reason->property, reason->what);
	else
		format(buf, size, "%s: %s", path, reason->what);
}

/* Returns the index of name in list, or -1. */
int config_index(const char *name, const char *const *list, u32 count)
{
	for (u32 i = 0; i < count; i++)
		if (strcmp(name, list[i]) == 0)
			return (int)i;
	return -1;
}

/* Joins a list of names with ", " for "known: ..." hints. */
void config_join(char *buf, size_t size, const char *const *list, u32 count)
{
	size_t used = 0;

	buf[0] = '\0';
	for (u32 i = 0; i < count && used < size; i++)
		used += (size_t)format(buf + used, size - used, "%s%s", i ? ", " : "", list[i]);
}

struct config_prop config_get(const void *fdt, int node, const char *name)
{
	struct config_prop prop = {.data = NULL, .len = 0};

	prop.data = fdt_getprop(fdt, node, name, &prop.len);
	if (!prop.data)
		prop.len = 0;
	return prop;
}

/* A single string: non-empty, terminated by the property's last byte, with no inner NUL. */
bool config_string(struct config_prop prop, const char *property, struct config_reason *reason)
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
bool config_string_list(struct config_prop prop, const char *property, struct config_reason *reason)
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
const char *config_list_next(struct config_prop prop, const char *cur)
{
	const char *next = cur ? cur + strlen(cur) + 1 : prop.data;

	return next < prop.data + prop.len ? next : NULL;
}

/* ---- paths on the boot volume ---- */

bool config_has_dotdot(const char *path)
{
	for (; path[0]; path++)
		if (path[0] == '.' && path[1] == '.')
			return true;
	return false;
}

/* Paths are relative to the boot volume's root and '/'-separated; ".." is refused so that a
 * configuration cannot name a file outside the volume in any UEFI file system driver. */
bool config_path_ok(const char *path, char *why, size_t size)
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
bool config_check_properties(const void *fdt, int node, const char *const *known, u32 count,
			     struct config_reason *reason)
{
	if (count > CONFIG_MAX_NODE_PROPERTIES)
		return config_fail(reason, NULL, "internal error: too many known properties");
	u32 seen[CONFIG_MAX_NODE_PROPERTIES] = {0};
	int offset, len;

	fdt_for_each_property_offset(offset, fdt, node)
	{
		const char *name;
		char list[CONFIG_ERROR_MAX];
		int index;

		if (!fdt_getprop_by_offset(fdt, offset, &name, &len))
			return config_fail(reason, NULL, "damaged property (%s)",
					   fdt_strerror(len));
		if (config_index(name, config_ignored_properties, config_ignored_property_count) >=
		    0)
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
	return true;
}

bool config_check_node(const void *fdt, int node, const char *const *known, u32 count,
		       struct config_reason *reason)
{
	int child, len;

	if (!config_check_properties(fdt, node, known, count, reason))
		return false;
	child = fdt_first_subnode(fdt, node);
	if (child >= 0) {
		const char *name = fdt_get_name(fdt, child, &len);
		char quoted[CONFIG_QUOTE_MAX + 1];

		config_quote(quoted, sizeof(quoted), name ? name : "", name ? (size_t)len : 0);
		return config_fail(reason, NULL, "unexpected child node '%s'", quoted);
	}
	return true;
}

/* A one-cell number within [min, max]. */
bool config_u32(struct config_prop prop, const char *property, u32 min, u32 max, u32 *out,
		struct config_reason *reason)
{
	u32 value;

	if (prop.len != CONFIG_CELL_SIZE)
		return config_fail(reason, property, "expected a 32-bit cell, found %d bytes",
				   prop.len);
	value = fdt32_ld((const fdt32_t *)prop.data);
	if (value < min)
		return config_fail(reason, property, "%u is below the minimum of %u", value, min);
	if (value > max)
		return config_fail(reason, property, "%u is above the maximum of %u", value, max);
	*out = value;
	return true;
}

/* A 32-bit (one cell) or 64-bit (two cells, high cell first) address. */
bool config_address(struct config_prop prop, const char *property, u64 *out,
		    struct config_reason *reason)
{
	const fdt32_t *cells = (const fdt32_t *)prop.data;

	if (prop.len == CONFIG_CELL_SIZE)
		*out = fdt32_ld(&cells[0]);
	else if (prop.len == 2 * CONFIG_CELL_SIZE)
		*out = ((u64)fdt32_ld(&cells[0]) << 32) | fdt32_ld(&cells[1]);
	else
		return config_fail(reason, property,
				   "expected 1 or 2 cells (a 32-bit or 64-bit "
				   "address), found %d bytes",
				   prop.len);
	return true;
}
