// SPDX-License-Identifier: MIT
/* Parses moat.dtb (schema in docs/config.md) into struct moat_config: the tree itself and the
 * moat node here, each guest node in config_guest.c. The blob is treated as hostile. */
#include <moat/errno.h>
#include <moat/log.h>
#include <moat/string.h>

#include "config_internal.h"

static const char *const config_moat_properties[] = { "log-level", "slice-us", "smt-siblings" };

const char *config_smt_siblings_name(enum config_smt_siblings smt)
{
	return smt == CONFIG_SMT_ANY ? "any" : "same-guest";
}

const char *config_format_name(enum image_format format)
{
	switch (format) {
	case IMAGE_FORMAT_FLAT:
		return "flat";
	case IMAGE_FORMAT_MULTIBOOT:
		return "multiboot";
	case IMAGE_FORMAT_LINUX:
		return "linux";
	}
	return "unknown";
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

/* What an absent /moat node or property means; also what a rejected tree leaves behind. */
static void config_set_defaults(struct moat_config *out)
{
	memset(out, 0, sizeof(*out));
	out->log_level = LOG_INFO;
	out->slice_us = CONFIG_DEFAULT_SLICE_US;
	out->smt_siblings = CONFIG_SMT_SAME_GUEST;
}

static bool config_parse_log_level(const void *fdt, int node, struct moat_config *out,
				   struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "log-level");
	char quoted[CONFIG_QUOTE_MAX + 1];

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

/* The time slice of vCPUs that share a CPU (docs/scheduling.md). */
static bool config_parse_slice(const void *fdt, int node, struct moat_config *out,
			       struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "slice-us");

	return !prop.data || config_u32(prop, "slice-us", CONFIG_MIN_SLICE_US,
					CONFIG_MAX_SLICE_US, &out->slice_us, reason);
}

/* Whether SMT siblings may run different guests (docs/scheduling.md, "SMT siblings"). */
static bool config_parse_smt_siblings(const void *fdt, int node, struct moat_config *out,
				      struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "smt-siblings");
	char quoted[CONFIG_QUOTE_MAX + 1];

	if (!prop.data)
		return true;
	if (!config_string(prop, "smt-siblings", reason))
		return false;
	if (strcmp(prop.data, "same-guest") == 0) {
		out->smt_siblings = CONFIG_SMT_SAME_GUEST;
		return true;
	}
	if (strcmp(prop.data, "any") == 0) {
		out->smt_siblings = CONFIG_SMT_ANY;
		return true;
	}
	config_quote(quoted, sizeof(quoted), prop.data, (size_t)prop.len);
	return config_fail(reason, "smt-siblings",
			   "unknown value \"%s\" (expected same-guest or any)", quoted);
}

static bool config_parse_moat(const void *fdt, int node, struct moat_config *out,
			      struct config_reason *reason)
{
	return config_check_node(fdt, node, config_moat_properties,
				 ARRAY_SIZE(config_moat_properties), reason) &&
	       config_parse_log_level(fdt, node, out, reason) &&
	       config_parse_slice(fdt, node, out, reason) &&
	       config_parse_smt_siblings(fdt, node, out, reason);
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
	int moat, guests, shared, rc;

	config_set_defaults(out);
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
	path = "/shared";
	shared = fdt_subnode_offset(dtb, 0, "shared");
	if (shared >= 0 && !config_parse_shared(&parser, shared, &reason))
		goto bad_tree;
	return 0;

bad_tree:
	config_describe(err, err_size, path, &reason);
	config_set_defaults(out);
	return -MOAT_EINVAL;
}

