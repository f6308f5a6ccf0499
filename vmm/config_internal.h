/* SPDX-License-Identifier: MIT */
/* Shared by the configuration parser's files (vmm/config*.c): the reason a node was
 * rejected, and checked readers of device-tree properties. Not for use outside them. */
#ifndef MOAT_VMM_CONFIG_INTERNAL_H
#define MOAT_VMM_CONFIG_INTERNAL_H

#include <libfdt.h>
#include <moat/config.h>

#define CONFIG_FILE_NAME	    "moat.dtb"
#define CONFIG_COMPATIBLE	    "moat,config-v1"
#define CONFIG_DEFAULT_LOAD_ADDRESS 0x100000ULL
#define CONFIG_QUOTE_MAX	    32 /* characters of a value from the blob shown in a message */
#define CONFIG_CELL_SIZE	    4  /* one device-tree cell: a big-endian u32 */
#define CONFIG_MAX_NODE_PROPERTIES  24 /* known properties of one node kind */

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

/* Written by dtc when a node is referenced by label; never meaningful to Moat. */
extern const char *const config_ignored_properties[];
extern const u32 config_ignored_property_count;

bool config_is_printable(char c);
void config_quote(char *dst, size_t size, const char *src, size_t len);
bool config_fail(struct config_reason *reason, const char *property, const char *fmt, ...)
    __printf(3, 4);
void config_describe(char *buf, size_t size, const char *path, const struct config_reason *reason);
int config_index(const char *name, const char *const *list, u32 count);
void config_join(char *buf, size_t size, const char *const *list, u32 count);
struct config_prop config_get(const void *fdt, int node, const char *name);
bool config_string(struct config_prop prop, const char *property, struct config_reason *reason);
bool config_string_list(struct config_prop prop, const char *property,
			struct config_reason *reason);
const char *config_list_next(struct config_prop prop, const char *cur);
bool config_has_dotdot(const char *path);
bool config_path_ok(const char *path, char *why, size_t size);
/* Every property of node is in known (or ignored) and appears once. */
bool config_check_properties(const void *fdt, int node, const char *const *known, u32 count,
			     struct config_reason *reason);
bool config_check_node(const void *fdt, int node, const char *const *known, u32 count,
		       struct config_reason *reason);
bool config_u32(struct config_prop prop, const char *property, u32 min, u32 max, u32 *out,
		struct config_reason *reason);
bool config_address(struct config_prop prop, const char *property, u64 *out,
		    struct config_reason *reason);

/* Fills parser->out->guests[index] from one child of /guests (vmm/config_guest.c). */
void config_parse_guest(struct config_parser *parser, int node, u32 index);
/* Reads a guest's vCPUs, their CPU sets and `dedicated` (vmm/config_vcpu.c). On failure,
 * child holds the name of the vcpu@N node the reason is about, or "" for the guest node. */
bool config_parse_vcpus(const void *fdt, int node, struct guest_config *guest, char *child,
			size_t child_size, struct config_reason *reason);
/* Parses /shared (vmm/config_shared.c), after the guests; a bad region rejects itself and
 * the guests that name it. Returns false for a damaged node. */
bool config_parse_shared(struct config_parser *parser, int shared, struct config_reason *reason);

#endif
