// SPDX-License-Identifier: MIT
/* moat-check FILE.dtb: runs Moat's own configuration parser (vmm/config.c) on the host and
 * prints what Moat would make of each guest, so a configuration is checked before a boot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <moat/console.h>
#include <moat/config.h>
#include <moat/log.h>

#define CHECK_EXIT_OK 0
#define CHECK_EXIT_INVALID 1 /* the tree or at least one guest is rejected */
#define CHECK_EXIT_USAGE 2   /* bad arguments or the file cannot be read */

/* A configuration is a few KiB; anything this large is not one. */
#define CHECK_MAX_FILE_SIZE (16u << 20)
#define CHECK_ERROR_PREFIX "moat: error: "

static const struct {
	u32 bit;
	const char *name;
} check_devices[] = {
	{ GUEST_DEVICE_UART, "uart" },
	{ GUEST_DEVICE_TEST_EXIT, "test-exit" },
};

static unsigned int check_logged_errors;

/* The parser logs what it cannot record in a guest slot (guests beyond the maximum). */
static void check_log_sink(const char *text, size_t len)
{
	fwrite(text, 1, len, stdout);
	if (len >= strlen(CHECK_ERROR_PREFIX) &&
	    memcmp(text, CHECK_ERROR_PREFIX, strlen(CHECK_ERROR_PREFIX)) == 0)
		check_logged_errors++;
}

/* Reads the whole file into a malloc'd buffer (malloc's alignment satisfies libfdt's). */
static void *check_read_file(const char *path, size_t *size)
{
	FILE *file = fopen(path, "rb");
	char *buf;
	size_t len;

	if (!file) {
		perror(path);
		return NULL;
	}
	buf = malloc(CHECK_MAX_FILE_SIZE + 1);
	if (!buf) {
		fprintf(stderr, "moat-check: out of memory\n");
		fclose(file);
		return NULL;
	}
	len = fread(buf, 1, CHECK_MAX_FILE_SIZE + 1, file);
	if (ferror(file) || len > CHECK_MAX_FILE_SIZE) {
		fprintf(stderr, "%s: %s\n", path,
			ferror(file) ? "read error" : "larger than 16 MiB, not a configuration");
		free(buf);
		fclose(file);
		return NULL;
	}
	fclose(file);
	*size = len;
	return buf;
}

/* A CPU set as "any cpu", "cpu 3" or "cpus 0-2,5". */
static void check_print_cpus(u32 set)
{
	const char *sep = "";

	if (set == CONFIG_ALL_CPUS) {
		printf("any cpu");
		return;
	}
	printf("cpu%s ", (set & (set - 1)) ? "s" : "");
	for (u32 cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
		u32 last = cpu;

		if (!(set & (1u << cpu)))
			continue;
		while (last + 1 < CONFIG_MAX_CPUS && (set & (1u << (last + 1))))
			last++;
		printf("%s%u", sep, cpu);
		if (last != cpu)
			printf("-%u", last);
		sep = ",";
		cpu = last;
	}
}

/* ", 2 vCPUs (0: cpus 0-1; 1: any cpu), dedicated" */
static void check_print_vcpus(const struct guest_config *guest)
{
	printf(", %u vCPU%s (", guest->vcpu_count, guest->vcpu_count == 1 ? "" : "s");
	for (u32 v = 0; v < guest->vcpu_count; v++) {
		if (guest->vcpu_count > 1)
			printf("%s%u: ", v ? "; " : "", v);
		check_print_cpus(guest->vcpu_cpus[v]);
	}
	printf(")%s", guest->dedicated ? ", dedicated" : "");
}

static void check_print_guest(const struct guest_config *guest)
{
	const char *sep = ", devices ";

	if (!guest->valid) {
		printf("guest '%s': error: %s\n", guest->name, guest->error);
		return;
	}
	printf("guest '%s': ok: %llu MiB, %s %s", guest->name,
	       (unsigned long long)(guest->memory_size >> 20), config_format_name(guest->format),
	       guest->image);
	if (guest->format == IMAGE_FORMAT_FLAT) {
		printf(" at 0x%llx", (unsigned long long)guest->load_address);
		if (guest->entry != guest->load_address)
			printf(", entry 0x%llx", (unsigned long long)guest->entry);
	}
	if (guest->initrd[0])
		printf(", initrd %s", guest->initrd);
	if (guest->module_count)
		printf(", %u module%s", guest->module_count, guest->module_count == 1 ? "" : "s");
	check_print_vcpus(guest);
	for (size_t i = 0; i < sizeof(check_devices) / sizeof(check_devices[0]); i++) {
		if (guest->devices & check_devices[i].bit) {
			printf("%s%s", sep, check_devices[i].name);
			sep = " ";
		}
	}
	if (guest->acpi)
		printf(", acpi");
	if (guest->console_bytes_per_second != CONSOLE_DEFAULT_BYTES_PER_SECOND)
		printf(", console %u bytes/s", guest->console_bytes_per_second);
	printf("\n");
}

int main(int argc, char **argv)
{
	static struct moat_config config;
	char err[CONFIG_ERROR_MAX];
	bool all_valid = true;
	size_t size = 0;
	void *dtb;
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: moat-check FILE.dtb\n"
				"Checks a Moat configuration (see docs/config.md); exits 0 when "
				"every guest is valid.\n");
		return CHECK_EXIT_USAGE;
	}
	dtb = check_read_file(argv[1], &size);
	if (!dtb)
		return CHECK_EXIT_USAGE;

	log_set_sink(check_log_sink);
	log_set_level(LOG_DEBUG);
	rc = config_parse(dtb, size, &config, err, sizeof(err));
	free(dtb);
	if (rc < 0) {
		printf("%s: error: %s\n", argv[1], err);
		return CHECK_EXIT_INVALID;
	}
	printf("moat: slice %u us, smt-siblings %s\n", config.slice_us,
	       config_smt_siblings_name(config.smt_siblings));
	for (u32 i = 0; i < config.guest_count; i++) {
		check_print_guest(&config.guests[i]);
		all_valid &= config.guests[i].valid;
	}
	for (u32 i = 0; i < config.shared_count; i++) {
		const struct shared_config *region = &config.shared[i];

		all_valid &= region->valid;
		if (!region->valid) {
			printf("shared '%s': error: %s\n", region->name, region->error);
			continue;
		}
		printf("shared '%s': ok: %llu KiB at 0x%llx, guests", region->name,
		       (unsigned long long)region->size >> 10, (unsigned long long)region->address);
		for (u32 g = 0; g < config.guest_count; g++)
			if (region->guest_mask & (1u << g))
				printf(" %s", config.guests[g].name);
		printf("\n");
	}
	if (config.guest_count == 0) {
		printf("%s: error: /guests has no guests\n", argv[1]);
		return CHECK_EXIT_INVALID;
	}
	return all_valid && !check_logged_errors ? CHECK_EXIT_OK : CHECK_EXIT_INVALID;
}
