// SPDX-License-Identifier: MIT
/* Parses a guest's vCPUs (docs/config.md, "vCPUs and CPUs"): the `cpu` shorthand or vcpu@N
 * child nodes with their `cpus` sets, and `dedicated`. A problem rejects only that guest. */
#include <moat/errno.h>
#include <moat/log.h>
#include <moat/string.h>

#include "config_internal.h"

#define CONFIG_VCPU_PREFIX	   "vcpu@"
#define CONFIG_VCPU_PREFIX_LEN	   (sizeof(CONFIG_VCPU_PREFIX) - 1)
#define CONFIG_VCPU_UNIT_DIGITS	   8 /* a unit address of one 32-bit cell, in hex */
#define CONFIG_VCPU_HEX_DIGIT_BITS 4
#define CONFIG_VCPU_HEX_LETTER	   10 /* value of the digit 'a' */

static const char *const config_vcpu_properties[] = { "cpus" };

/* What the first walk over a guest's child nodes found. */
struct config_vcpu_nodes {
	u32 count; /* vcpu@N nodes, any N */
	u32 seen;  /* bit N: vcpu@N is present, for N < CONFIG_MAX_VCPUS */
};

static bool config_vcpu_hex_digit(char c, u32 *digit)
{
	if (c >= '0' && c <= '9')
		*digit = (u32)(c - '0');
	else if (c >= 'a' && c <= 'f')
		*digit = (u32)(c - 'a') + CONFIG_VCPU_HEX_LETTER;
	else
		return false;
	return true;
}

/* A guest's child node must be named vcpu@N, N its unit address in lowercase hex without
 * leading zeros (Devicetree spec 2.2.1; dtc's unit_address_format check), so that no two
 * spellings name the same vCPU. */
static bool config_vcpu_unit(const char *name, int len, u32 *unit)
{
	u32 value = 0, digit;

	if (!name || len <= (int)CONFIG_VCPU_PREFIX_LEN ||
	    len > (int)(CONFIG_VCPU_PREFIX_LEN + CONFIG_VCPU_UNIT_DIGITS) ||
	    memcmp(name, CONFIG_VCPU_PREFIX, CONFIG_VCPU_PREFIX_LEN) != 0)
		return false;
	if (name[CONFIG_VCPU_PREFIX_LEN] == '0' && len > (int)CONFIG_VCPU_PREFIX_LEN + 1)
		return false;
	for (int i = CONFIG_VCPU_PREFIX_LEN; i < len; i++) {
		if (!config_vcpu_hex_digit(name[i], &digit))
			return false;
		value = value << CONFIG_VCPU_HEX_DIGIT_BITS | digit;
	}
	*unit = value;
	return true;
}

/* First walk: every child is a vcpu@N node, none twice; counts them. */
static bool config_vcpu_survey(const void *fdt, int guest, struct config_vcpu_nodes *nodes,
			       struct config_reason *reason)
{
	char quoted[CONFIG_QUOTE_MAX + 1];
	int child, len;
	u32 unit;

	fdt_for_each_subnode(child, fdt, guest) {
		const char *name = fdt_get_name(fdt, child, &len);

		config_quote(quoted, sizeof(quoted), name ? name : "", name ? (size_t)len : 0);
		if (!config_vcpu_unit(name, len, &unit))
			return config_fail(reason, NULL,
					   "unexpected child node '%s' (only vcpu@0 to vcpu@%x)",
					   quoted, CONFIG_MAX_VCPUS - 1);
		if (unit < CONFIG_MAX_VCPUS) {
			if (nodes->seen & (1u << unit))
				return config_fail(reason, NULL, "node '%s' appears more than once",
						   quoted);
			nodes->seen |= 1u << unit;
		}
		nodes->count++;
	}
	if (child != -FDT_ERR_NOTFOUND)
		return config_fail(reason, NULL, "damaged node (%s)", fdt_strerror(child));
	return true;
}

/* N vcpu nodes must be vcpu@0 to vcpu@(N-1): with duplicates refused, a node numbered N or
 * more always leaves a lower number missing, and that is what is reported. */
static bool config_vcpu_numbering(const struct config_vcpu_nodes *nodes,
				  struct config_reason *reason)
{
	if (nodes->count > CONFIG_MAX_VCPUS)
		return config_fail(reason, NULL, "%u vcpu@N nodes (max %u)", nodes->count,
				   CONFIG_MAX_VCPUS);
	for (u32 unit = 0; unit < nodes->count; unit++)
		if (!(nodes->seen & (1u << unit)))
			return config_fail(reason, NULL,
					   "vcpu@%x is missing (vcpu@N nodes are numbered from 0 "
					   "with no gap)",
					   unit);
	return true;
}

/* `cpus = <c0 c1 ...>`: the CPUs this vCPU may run on; without it, any CPU. */
static bool config_vcpu_cpus(struct config_prop prop, u32 *set, struct config_reason *reason)
{
	const fdt32_t *cells = (const fdt32_t *)prop.data;
	u32 cpu;

	*set = CONFIG_ALL_CPUS;
	if (!prop.data)
		return true;
	if (prop.len == 0 || prop.len % CONFIG_CELL_SIZE)
		return config_fail(reason, "cpus",
				   "expected one or more 32-bit cells, found %d bytes", prop.len);
	*set = 0;
	for (int i = 0; i < prop.len / CONFIG_CELL_SIZE; i++) {
		cpu = fdt32_ld(&cells[i]);
		if (cpu >= CONFIG_MAX_CPUS)
			return config_fail(reason, "cpus", "cpu %u is out of range (0..%u)", cpu,
					   CONFIG_MAX_CPUS - 1);
		if (*set & (1u << cpu))
			return config_fail(reason, "cpus", "cpu %u is listed twice", cpu);
		*set |= 1u << cpu;
	}
	return true;
}

/* One vcpu@N node; on failure its name goes to child, for the error's path. */
static bool config_vcpu_node(const void *fdt, int node, struct guest_config *guest, char *child,
			     size_t child_size, struct config_reason *reason)
{
	const char *name;
	int len;
	u32 unit;

	name = fdt_get_name(fdt, node, &len);
	if (!config_vcpu_unit(name, len, &unit) || unit >= CONFIG_MAX_VCPUS)
		return config_fail(reason, NULL, "internal error: vCPU node changed");
	if (config_check_node(fdt, node, config_vcpu_properties, ARRAY_SIZE(config_vcpu_properties),
			      reason) &&
	    config_vcpu_cpus(config_get(fdt, node, "cpus"), &guest->vcpu_cpus[unit], reason))
		return true;
	config_quote(child, child_size, name, (size_t)len);
	return false;
}

/* `dedicated;` is a boolean: present or absent, never with a value. */
static bool config_vcpu_dedicated(const void *fdt, int node, struct guest_config *guest,
				  struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "dedicated");

	if (!prop.data)
		return true;
	if (prop.len != 0)
		return config_fail(reason, "dedicated",
				   "takes no value (write 'dedicated;'), found %d bytes", prop.len);
	guest->dedicated = true;
	return true;
}

/* No vcpu nodes: one vCPU, on the CPU `cpu` names, else on any CPU (the default that
 * config_parse_guest set). */
static bool config_vcpu_single(const void *fdt, int node, struct guest_config *guest,
			       struct config_reason *reason)
{
	struct config_prop prop = config_get(fdt, node, "cpu");
	u32 cpu;

	if (!prop.data)
		return true;
	if (!config_u32(prop, "cpu", 0, CONFIG_MAX_CPUS - 1, &cpu, reason))
		return false;
	guest->vcpu_cpus[0] = 1u << cpu;
	return true;
}

/* vcpu@N nodes: one vCPU each, numbered 0 to N-1 (already surveyed). */
static bool config_vcpu_several(const void *fdt, int node, const struct config_vcpu_nodes *nodes,
				struct guest_config *guest, char *child, size_t child_size,
				struct config_reason *reason)
{
	int sub;

	if (fdt_getprop(fdt, node, "cpu", NULL))
		return config_fail(reason, "cpu", "use either 'cpu' or vcpu@N nodes, not both");
	if (!config_vcpu_numbering(nodes, reason))
		return false;
	fdt_for_each_subnode(sub, fdt, node) {
		if (!config_vcpu_node(fdt, sub, guest, child, child_size, reason))
			return false;
	}
	guest->vcpu_count = nodes->count;
	return true;
}

bool config_parse_vcpus(const void *fdt, int node, struct guest_config *guest, char *child,
			size_t child_size, struct config_reason *reason)
{
	struct config_vcpu_nodes nodes = { 0 };
	bool ok;

	child[0] = '\0';
	if (!config_vcpu_survey(fdt, node, &nodes, reason))
		return false;
	if (nodes.count == 0)
		ok = config_vcpu_single(fdt, node, guest, reason);
	else
		ok = config_vcpu_several(fdt, node, &nodes, guest, child, child_size, reason);
	return ok && config_vcpu_dedicated(fdt, node, guest, reason);
}
