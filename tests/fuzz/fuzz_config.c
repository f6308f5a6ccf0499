// SPDX-License-Identifier: MIT
/* libFuzzer target for vmm/config.c: the input is a device tree blob given to config_parse,
 * and whatever it returns must keep the promises of include/moat/config.h. */
#include "fuzz_support.h"

#include <moat/config.h>

#define FUZZ_CONFIG_KNOWN_DEVICES (GUEST_DEVICE_UART | GUEST_DEVICE_TEST_EXIT)

static struct moat_config config;

static void fuzz_config_check_guest(const struct guest_config *guest)
{
	fuzz_check_message(guest->name, sizeof(guest->name));
	fuzz_check_message(guest->error, sizeof(guest->error));
	if (!guest->valid) {
		FUZZ_CHECK(guest->error[0] != '\0');
		return;
	}
	FUZZ_CHECK(guest->name[0] != '\0');
	FUZZ_CHECK(guest->memory_size >= MIB(CONFIG_MEMORY_MIN_MIB));
	FUZZ_CHECK(guest->memory_size <= MIB(CONFIG_MEMORY_MAX_MIB));
	FUZZ_CHECK(strnlen(guest->image, sizeof(guest->image)) < sizeof(guest->image));
	FUZZ_CHECK(guest->image[0] != '\0');
	FUZZ_CHECK(guest->format == IMAGE_FORMAT_FLAT || guest->format == IMAGE_FORMAT_MULTIBOOT);
	FUZZ_CHECK(strnlen(guest->cmdline, sizeof(guest->cmdline)) < sizeof(guest->cmdline));
	FUZZ_CHECK(guest->module_count <= CONFIG_MAX_MODULES);
	FUZZ_CHECK(guest->vcpu_count >= 1 && guest->vcpu_count <= CONFIG_MAX_VCPUS);
	for (u32 i = 0; i < guest->vcpu_count; i++)
		FUZZ_CHECK(guest->vcpu_cpus[i] && !(guest->vcpu_cpus[i] & ~CONFIG_ALL_CPUS));
	for (u32 i = 0; i < guest->module_count; i++)
		fuzz_check_message(guest->modules[i], sizeof(guest->modules[i]));
	FUZZ_CHECK((guest->devices & ~(u32)FUZZ_CONFIG_KNOWN_DEVICES) == 0);
	if (guest->format == IMAGE_FORMAT_FLAT) {
		FUZZ_CHECK(guest->load_address < guest->memory_size);
		FUZZ_CHECK(guest->entry < guest->memory_size);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	char err[CONFIG_ERROR_MAX];
	int rc;

	log_set_sink(fuzz_check_log_line);
	memset(err, 'x', sizeof(err));
	rc = config_parse(data, size, &config, err, sizeof(err));
	FUZZ_CHECK(rc <= 0);
	fuzz_check_message(err, sizeof(err));
	fuzz_report("fuzz_config", rc, err);
	for (u32 i = 0; rc == 0 && i < config.guest_count && i < CONFIG_MAX_GUESTS; i++)
		fuzz_report(config.guests[i].name, !config.guests[i].valid, config.guests[i].error);
	if (rc < 0) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(config.guest_count == 0);
		/* A rejected tree leaves the safe default: siblings never run different guests. */
		FUZZ_CHECK(config.smt_siblings == CONFIG_SMT_SAME_GUEST);
		return 0;
	}
	FUZZ_CHECK(config.log_level >= LOG_ERROR && config.log_level <= LOG_DEBUG);
	FUZZ_CHECK(config.slice_us >= CONFIG_MIN_SLICE_US && config.slice_us <= CONFIG_MAX_SLICE_US);
	FUZZ_CHECK(config.smt_siblings == CONFIG_SMT_SAME_GUEST ||
		   config.smt_siblings == CONFIG_SMT_ANY);
	FUZZ_CHECK(config.guest_count <= CONFIG_MAX_GUESTS);
	for (u32 i = 0; i < config.guest_count; i++)
		fuzz_config_check_guest(&config.guests[i]);
	return 0;
}
