// SPDX-License-Identifier: MIT
/* Parses /shared: memory two or more guests share because the configuration names them
 * all. Anything wrong rejects the region and every guest that names it, since those guests
 * were written to expect it. */
#include <moat/errno.h>
#include <moat/log.h>
#include <moat/string.h>

#include "config_internal.h"

#define SHARED_MIN_GUESTS 2
#define KIB_PER_PAGE (PAGE_SIZE / 1024)

static const char *const config_shared_properties[] = { "size-kib", "address", "guests" };

static int config_guest_index(const struct moat_config *config, const char *name)
{
	for (u32 i = 0; i < config->guest_count; i++)
		if (strcmp(config->guests[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool config_shared_guests(const struct moat_config *config, struct config_prop prop,
				 struct shared_config *region, struct config_reason *reason)
{
	char quoted[CONFIG_QUOTE_MAX + 1];
	const char *name = NULL;
	u32 count = 0;

	if (!prop.data)
		return config_fail(reason, "guests", "missing");
	if (!config_string_list(prop, "guests", reason))
		return false;
	while ((name = config_list_next(prop, name))) {
		int index = config_guest_index(config, name);

		config_quote(quoted, sizeof(quoted), name, strlen(name));
		if (index < 0)
			return config_fail(reason, "guests", "unknown guest \"%s\"", quoted);
		if (region->guest_mask & (1u << index))
			return config_fail(reason, "guests", "guest \"%s\" named twice", quoted);
		region->guest_mask |= 1u << index;
		count++;
	}
	if (count < SHARED_MIN_GUESTS)
		return config_fail(reason, "guests", "names %u guest%s; a shared region needs at "
				   "least %u", count, count == 1 ? "" : "s", SHARED_MIN_GUESTS);
	return true;
}

/* The region must lie outside the RAM of every guest it is mapped into, and clear of the
 * other regions those guests share. */
static bool config_shared_fits(const struct moat_config *config, u32 index,
			       struct config_reason *reason)
{
	const struct shared_config *region = &config->shared[index];

	for (u32 g = 0; g < config->guest_count; g++) {
		if (!(region->guest_mask & (1u << g)))
			continue;
		if (region->address < config->guests[g].memory_size)
			return config_fail(reason, "address", "0x%lx is inside the RAM of guest "
					   "'%s' (%lu MiB)", region->address, config->guests[g].name,
					   config->guests[g].memory_size >> 20);
		for (u32 o = 0; o < index; o++) {
			const struct shared_config *other = &config->shared[o];

			if (other->valid && (other->guest_mask & (1u << g)) &&
			    ranges_overlap(region->address, region->size, other->address,
					   other->size))
				return config_fail(reason, "address", "overlaps shared region '%s' "
						   "in guest '%s'", other->name,
						   config->guests[g].name);
		}
	}
	return true;
}

static bool config_shared_region(const void *fdt, int node, struct moat_config *config,
				 u32 index, struct config_reason *reason)
{
	struct shared_config *region = &config->shared[index];
	struct config_prop size = config_get(fdt, node, "size-kib");
	struct config_prop address = config_get(fdt, node, "address");
	u32 kib;

	/* The guests first, so that whatever else is wrong rejects them too. */
	if (!config_shared_guests(config, config_get(fdt, node, "guests"), region, reason) ||
	    !config_check_node(fdt, node, config_shared_properties,
			       ARRAY_SIZE(config_shared_properties), reason))
		return false;
	if (!size.data)
		return config_fail(reason, "size-kib", "missing");
	if (!config_u32(size, "size-kib", KIB_PER_PAGE, CONFIG_SHARED_MAX_KIB, &kib, reason))
		return false;
	if (kib % KIB_PER_PAGE)
		return config_fail(reason, "size-kib", "%u is not a multiple of %lu (whole pages)",
				   kib, KIB_PER_PAGE);
	region->size = (u64)kib * 1024;
	if (!address.data)
		return config_fail(reason, "address", "missing");
	if (!config_address(address, "address", &region->address, reason))
		return false;
	if (!IS_ALIGNED(region->address, PAGE_SIZE))
		return config_fail(reason, "address", "0x%lx is not page aligned", region->address);
	if (region->address >= CONFIG_SHARED_ADDRESS_LIMIT ||
	    region->size > CONFIG_SHARED_ADDRESS_LIMIT - region->address)
		return config_fail(reason, "address", "the region ends above 0x%llx",
				   CONFIG_SHARED_ADDRESS_LIMIT);
	return config_shared_fits(config, index, reason);
}

void config_reject_sharing_guests(struct moat_config *config, const struct shared_config *region)
{
	for (u32 g = 0; g < config->guest_count; g++) {
		struct guest_config *guest = &config->guests[g];

		if ((region->guest_mask & (1u << g)) && guest->valid) {
			guest->valid = false;
			format(guest->error, sizeof(guest->error), "uses shared region: %s",
			       region->error);
		}
	}
}

bool config_parse_shared(struct config_parser *parser, int shared, struct config_reason *reason)
{
	struct moat_config *config = parser->out;
	int node, len;

	fdt_for_each_subnode(node, parser->fdt, shared) {
		const char *name = fdt_get_name(parser->fdt, node, &len);
		struct shared_config *region;
		struct config_reason why;
		char path[sizeof("/shared/") + CONFIG_NAME_MAX];

		if (config->shared_count == CONFIG_MAX_SHARED)
			return config_fail(reason, NULL, "more than %u shared regions",
					   CONFIG_MAX_SHARED);
		region = &config->shared[config->shared_count];
		config_quote(region->name, sizeof(region->name), name ? name : "",
			     name ? (size_t)len : 0);
		region->valid = config_shared_region(parser->fdt, node, config,
						     config->shared_count, &why);
		config->shared_count++;
		if (region->valid)
			continue;
		format(path, sizeof(path), "/shared/%s", region->name);
		config_describe(region->error, sizeof(region->error), path, &why);
		config_reject_sharing_guests(config, region);
	}
	if (node != -FDT_ERR_NOTFOUND)
		return config_fail(reason, NULL, "damaged node (%s)", fdt_strerror(node));
	return true;
}
