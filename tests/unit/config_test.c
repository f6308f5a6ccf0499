// SPDX-License-Identifier: MIT
/* Tests for vmm/config.c: blobs are built here with libfdt's sequential-write API so each
 * test shows exactly the tree it feeds the parser, good or hostile. */
#include "config_tree.h"
#include <moat/console.h>

static void write_missing_memory(void)
{
	prop_string("image", TEST_GOOD_IMAGE);
	prop_string("format", "flat");
}

static void write_zero_memory(void)
{
	prop_u32("memory-mib", 0);
	prop_string("image", TEST_GOOD_IMAGE);
	prop_string("format", "flat");
}

static void write_huge_memory(void)
{
	prop_u32("memory-mib", 4096);
	prop_string("image", TEST_GOOD_IMAGE);
	prop_string("format", "flat");
}

static void write_short_memory(void)
{
	prop_raw("memory-mib", "\0\0\1", 3);
}

static void write_bad_format(void)
{
	prop_u32("memory-mib", 64);
	prop_string("image", TEST_GOOD_IMAGE);
	prop_string("format", "pe");
}

static void write_missing_format(void)
{
	prop_u32("memory-mib", 64);
	prop_string("image", TEST_GOOD_IMAGE);
}

static void write_format_list(void)
{
	prop_u32("memory-mib", 64);
	prop_string("image", TEST_GOOD_IMAGE);
	prop_raw("format", "flat\0multiboot", sizeof("flat\0multiboot"));
}

static void write_missing_image(void)
{
	prop_u32("memory-mib", 64);
	prop_string("format", "flat");
}

static void write_load_address_multiboot(void)
{
	required("multiboot");
	prop_u32("load-address", 0x100000);
}

static void write_entry_multiboot(void)
{
	required("multiboot");
	prop_u32("entry", 0x100000);
}

static void write_modules_flat(void)
{
	required("flat");
	prop_raw("modules", "a.bin", sizeof("a.bin"));
}

static void write_bad_device(void)
{
	required("flat");
	prop_raw("devices", "uart\0vga", sizeof("uart\0vga"));
}

static void write_duplicate_device(void)
{
	required("flat");
	prop_raw("devices", "uart\0test-exit\0uart", sizeof("uart\0test-exit\0uart"));
}

static void write_empty_device_entry(void)
{
	required("flat");
	prop_raw("devices", "uart\0\0test-exit", sizeof("uart\0\0test-exit"));
}

static void write_unknown_property(void)
{
	required("flat");
	prop_u32("memroy-mib", 64);
}

static void write_duplicate_property(void)
{
	required("flat");
	prop_string("format", "flat");
}

static void write_child_node(void)
{
	required("flat");
	node_begin("extra");
	node_end();
}

static void write_unterminated_image(void)
{
	prop_u32("memory-mib", 64);
	prop_string("format", "flat");
	prop_raw("image", "abc", 3);
}

static void write_long_cmdline(void)
{
	char cmdline[600 + 1];

	memset(cmdline, 'a', sizeof(cmdline) - 1);
	cmdline[sizeof(cmdline) - 1] = '\0';
	required("flat");
	prop_string("cmdline", cmdline);
}

static void write_long_image(void)
{
	char path[130 + 1];

	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	prop_u32("memory-mib", 64);
	prop_string("format", "flat");
	prop_string("image", path);
}

static void write_dotdot_image(void)
{
	prop_u32("memory-mib", 64);
	prop_string("format", "flat");
	prop_string("image", "guests/../secret.bin");
}

static void write_absolute_image(void)
{
	prop_u32("memory-mib", 64);
	prop_string("format", "flat");
	prop_string("image", "/guests/hello.bin");
}

static void write_backslash_image(void)
{
	prop_u32("memory-mib", 64);
	prop_string("format", "flat");
	prop_string("image", "guests\\hello.bin");
}

static void write_dotdot_module(void)
{
	required("multiboot");
	prop_raw("modules", "ok.bin\0../x.bin", sizeof("ok.bin\0../x.bin"));
}

static void write_too_many_modules(void)
{
	static const char list[] = "m0\0m1\0m2\0m3\0m4\0m5\0m6\0m7\0m8";

	required("multiboot");
	prop_raw("modules", list, sizeof(list));
}

static void write_load_outside_ram(void)
{
	required("flat");
	prop_u32("load-address", 0x5000000);
}

static void write_load_64bit_outside_ram(void)
{
	required("flat");
	prop_u64("load-address", 0x100000000ULL);
}

static void write_entry_outside_ram(void)
{
	required("flat");
	prop_u32("entry", 0x4000000);
}

static void write_default_load_outside_ram(void)
{
	prop_u32("memory-mib", 1);
	prop_string("image", TEST_GOOD_IMAGE);
	prop_string("format", "flat");
}

static void write_short_load_address(void)
{
	required("flat");
	prop_raw("load-address", "\0\0\0\0\0\0", 6);
}

static void test_missing_memory(void **state)
{
	check_bad_guest("bad", write_missing_memory, "/guests/bad: property 'memory-mib': missing");
}

static void test_memory_limits(void **state)
{
	check_bad_guest("bad", write_zero_memory,
			"/guests/bad: property 'memory-mib': 0 is below the minimum of 1");
	check_bad_guest("bad", write_huge_memory,
			"/guests/bad: property 'memory-mib': 4096 is above the maximum of 3072");
	check_bad_guest("bad", write_short_memory,
			"/guests/bad: property 'memory-mib': expected a 32-bit cell, "
			"found 3 bytes");
}

static void test_format_and_image(void **state)
{
	check_bad_guest("bad", write_bad_format,
			"/guests/bad: property 'format': unknown value \"pe\" "
			"(expected flat, multiboot or linux)");
	check_bad_guest("bad", write_missing_format, "/guests/bad: property 'format': missing");
	check_bad_guest("bad", write_format_list,
			"/guests/bad: property 'format': expected one string, found a list");
	check_bad_guest("bad", write_missing_image, "/guests/bad: property 'image': missing");
}

static void write_initrd_flat(void)
{
	required("flat");
	prop_string("initrd", "guests/initrd.img");
}

static void write_load_address_linux(void)
{
	required("linux");
	prop_u32("load-address", 0x100000);
}

static void write_modules_linux(void)
{
	required("linux");
	prop_string("modules", "guests/a.bin");
}

static void write_bad_initrd_path(void)
{
	required("linux");
	prop_string("initrd", "../initrd.img");
}

static void write_initrd_list(void)
{
	required("linux");
	prop_raw("initrd", "a\0b", sizeof("a\0b"));
}

static void test_linux_properties(void **state)
{
	check_bad_guest("fl", write_initrd_flat,
			"/guests/fl: property 'initrd': not allowed with format flat");
	check_bad_guest("lx", write_load_address_linux,
			"/guests/lx: property 'load-address': not allowed with format linux");
	check_bad_guest("lx", write_modules_linux,
			"/guests/lx: property 'modules': not allowed with format linux");
	check_bad_guest("lx", write_bad_initrd_path,
			"/guests/lx: property 'initrd': path must be relative and must not "
			"contain \"..\"");
	check_bad_guest("lx", write_initrd_list,
			"/guests/lx: property 'initrd': expected one string, found a list");
}

static void test_good_linux_guest(void **state)
{
	const struct guest_config *guest = &test_config.guests[0];

	tree_begin("moat,config-v1");
	node_begin("guests");
	guest_begin("web", 256, "linux");
	prop_string("initrd", "guests/initrd.img");
	prop_string("cmdline", "console=ttyS0 quiet");
	node_end();
	guest_begin("bare", 64, "linux");
	node_end();
	node_end();
	tree_end();

	assert_int_equal(parse(), 0);
	assert_true(guest->valid);
	assert_int_equal(guest->format, IMAGE_FORMAT_LINUX);
	assert_string_equal(guest->initrd, "guests/initrd.img");
	assert_string_equal(guest->cmdline, "console=ttyS0 quiet");
	assert_int_equal(guest->load_address, 0);
	assert_true(guest->acpi); /* ACPI tables without asking */
	assert_true(test_config.guests[1].valid);
	assert_string_equal(test_config.guests[1].initrd, "");
}

static void test_flat_only_properties(void **state)
{
	check_bad_guest("mb", write_load_address_multiboot,
			"/guests/mb: property 'load-address': not allowed with format multiboot");
	check_bad_guest("mb", write_entry_multiboot,
			"/guests/mb: property 'entry': not allowed with format multiboot");
	check_bad_guest("fl", write_modules_flat,
			"/guests/fl: property 'modules': not allowed with format flat");
}

static void write_acpi_value(void)
{
	required("flat");
	prop_u32("acpi", 1);
}

static void write_acpi_multiboot(void)
{
	required("multiboot");
	prop_raw("acpi", NULL, 0);
}

static void write_acpi_low_image(void)
{
	required("flat");
	prop_u32("load-address", 0x8000);
	prop_raw("acpi", NULL, 0);
}

/* `acpi;` (vmm/acpi.c): a boolean, not for multiboot, and the image stays out of the tables. */
static void test_acpi(void **state)
{
	check_bad_guest("ac", write_acpi_value,
			"/guests/ac: property 'acpi': takes no value (write 'acpi;'), found 4 bytes");
	check_bad_guest("ac", write_acpi_multiboot,
			"/guests/ac: property 'acpi': not allowed with format multiboot");
	check_bad_guest("ac", write_acpi_low_image,
			"/guests/ac: property 'acpi': the tables need 0xa0000-0xfffff: load the "
			"image at 0x100000 or above");
	assert_false(test_config.guests[0].acpi);

	tree_begin("moat,config-v1");
	node_begin("guests");
	guest_begin("tables", 16, "flat");
	prop_raw("acpi", NULL, 0);
	node_end();
	node_end();
	tree_end();
	assert_int_equal(parse(), 0);
	assert_true(test_config.guests[0].valid);
	assert_true(test_config.guests[0].acpi);
}

static void test_devices(void **state)
{
	check_bad_guest("bad", write_bad_device,
			"/guests/bad: property 'devices': unknown device \"vga\" "
			"(known: uart, test-exit)");
	check_bad_guest("bad", write_duplicate_device,
			"/guests/bad: property 'devices': duplicate device \"uart\"");
	check_bad_guest("bad", write_empty_device_entry,
			"/guests/bad: property 'devices': empty string in the list");
}

/* The three required properties of a valid flat guest. */
static void write_bad_on_crash(void)
{
	write_required();
	prop_string("on-crash", "reboot");
}

static void write_huge_restarts(void)
{
	write_required();
	prop_u32("max-restarts", 100001);
}

static void write_short_time_limit(void)
{
	write_required();
	prop_raw("time-limit-ms", "ab", 2);
}

static void test_policy_defaults_and_values(void **state)
{
	tree_begin("moat,config-v1");
	node_begin("guests");
	guest_good("plain");
	guest_begin("strict", 16, "flat");
	prop_string("on-crash", "restart");
	prop_u32("max-restarts", 40);
	prop_u32("time-limit-ms", 2500);
	prop_u32("max-exits-per-second", 0);
	prop_u32("restart-backoff-max-ms", 0);
	prop_u32("cpu", 3);
	prop_u32("console-bytes-per-second", 11520);
	node_end();
	node_end();
	tree_end();

	assert_int_equal(parse(), 0);
	assert_int_equal(test_config.guests[0].console_bytes_per_second,
			 CONSOLE_DEFAULT_BYTES_PER_SECOND);
	assert_int_equal(test_config.guests[1].console_bytes_per_second, 11520);
	assert_true(test_config.guests[0].valid);
	assert_int_equal(test_config.guests[0].on_crash, CRASH_STOP);
	assert_int_equal(test_config.guests[0].max_restarts, CONFIG_DEFAULT_MAX_RESTARTS);
	assert_int_equal(test_config.guests[0].time_limit_ms, 0);
	assert_int_equal(test_config.guests[0].max_exits_per_second,
			 CONFIG_DEFAULT_MAX_EXITS_PER_SECOND);
	assert_int_equal(test_config.guests[0].restart_backoff_max_ms,
			 CONFIG_DEFAULT_RESTART_BACKOFF_MS);
	assert_int_equal(test_config.guests[1].restart_backoff_max_ms, 0);
	assert_true(test_config.guests[1].valid);
	assert_int_equal(test_config.guests[1].on_crash, CRASH_RESTART);
	assert_int_equal(test_config.guests[1].max_restarts, 40);
	assert_int_equal(test_config.guests[1].time_limit_ms, 2500);
	assert_int_equal(test_config.guests[1].max_exits_per_second, 0);
	assert_int_equal(test_config.guests[0].vcpu_count, 1);
	assert_int_equal(test_config.guests[0].vcpu_cpus[0], CONFIG_ALL_CPUS);
	assert_int_equal(test_config.guests[1].vcpu_count, 1);
	assert_int_equal(test_config.guests[1].vcpu_cpus[0], 1u << 3);
}

static void write_console_rate_zero(void)
{
	write_required();
	prop_u32("console-bytes-per-second", 0);
}

static void write_console_rate_too_high(void)
{
	write_required();
	prop_u32("console-bytes-per-second", CONSOLE_MAX_BYTES_PER_SECOND + 1);
}

static void write_cpu_too_high(void)
{
	write_required();
	prop_u32("cpu", CONFIG_MAX_CPUS);
}

static void test_policy_errors(void **state)
{
	check_bad_guest("bad", write_bad_on_crash,
			"/guests/bad: property 'on-crash': unknown value \"reboot\" "
			"(expected stop or restart)");
	check_bad_guest("bad", write_huge_restarts,
			"/guests/bad: property 'max-restarts': 100001 is above the maximum of "
			"100000");
	check_bad_guest("bad", write_cpu_too_high,
			"/guests/bad: property 'cpu': 16 is above the maximum of 15");
	check_bad_guest("bad", write_short_time_limit,
			"/guests/bad: property 'time-limit-ms': expected a 32-bit cell, found 2 "
			"bytes");
	check_bad_guest("bad", write_console_rate_zero,
			"/guests/bad: property 'console-bytes-per-second': 0 is below the "
			"minimum of 1");
	check_bad_guest("bad", write_console_rate_too_high,
			"/guests/bad: property 'console-bytes-per-second': 1048577 is above the "
			"maximum of 1048576");
}

/* / { guests { a, b, c (16 MiB each) }; shared { NAME { size-kib, address, guests } } } */
static void shared_tree(u32 kib, u64 address, const char *guests, int guests_len)
{
	tree_begin("moat,config-v1");
	node_begin("guests");
	guest_good("a");
	guest_good("b");
	guest_good("c");
	node_end();
	node_begin("shared");
	node_begin("mailbox");
	prop_u32("size-kib", kib);
	prop_u64("address", address);
	prop_raw("guests", guests, guests_len);
	node_end();
	node_end();
	tree_end();
	assert_int_equal(parse(), 0);
}

static void test_shared_region(void **state)
{
	static const char both[] = "a\0b";

	shared_tree(64, 0x40000000, both, sizeof(both));
	assert_int_equal(test_config.shared_count, 1);
	assert_true(test_config.shared[0].valid);
	assert_string_equal(test_config.shared[0].name, "mailbox");
	assert_int_equal(test_config.shared[0].size, 64 * 1024);
	assert_int_equal(test_config.shared[0].address, 0x40000000);
	assert_int_equal(test_config.shared[0].guest_mask, 0x3);
	assert_true(test_config.guests[0].valid);
	assert_true(test_config.guests[1].valid);
	assert_true(test_config.guests[2].valid);
}

/* A bad region is rejected, and so is every guest it names; the others still run. */
static void check_bad_shared(u32 kib, u64 address, const char *guests, int len,
			     const char *expected)
{
	shared_tree(kib, address, guests, len);
	assert_false(test_config.shared[0].valid);
	assert_string_equal(test_config.shared[0].error, expected);
	for (u32 g = 0; g < 3; g++) {
		bool named = test_config.shared[0].guest_mask & (1u << g);

		assert_int_equal(test_config.guests[g].valid, !named);
	}
}

static void test_shared_errors(void **state)
{
	static const char both[] = "a\0b", one[] = "a", ghost[] = "a\0zz", twice[] = "a\0a";

	check_bad_shared(64, 0x40000000, one, sizeof(one),
			 "/shared/mailbox: property 'guests': names 1 guest; a shared region "
			 "needs at least 2");
	check_bad_shared(64, 0x40000000, ghost, sizeof(ghost),
			 "/shared/mailbox: property 'guests': unknown guest \"zz\"");
	check_bad_shared(64, 0x40000000, twice, sizeof(twice),
			 "/shared/mailbox: property 'guests': guest \"a\" named twice");
	check_bad_shared(64, 0x800000, both, sizeof(both),
			 "/shared/mailbox: property 'address': 0x800000 is inside the RAM of "
			 "guest 'a' (16 MiB)");
	check_bad_shared(64, 0x40000800, both, sizeof(both),
			 "/shared/mailbox: property 'address': 0x40000800 is not page aligned");
	check_bad_shared(6, 0x40000000, both, sizeof(both),
			 "/shared/mailbox: property 'size-kib': 6 is not a multiple of 4 "
			 "(whole pages)");
	check_bad_shared(64, (1ULL << 39) - 4096, both, sizeof(both),
			 "/shared/mailbox: property 'address': the region ends above "
			 "0x8000000000");
	assert_string_equal(test_config.guests[0].error,
			    "uses shared region: /shared/mailbox: property 'address': the region "
			    "ends above 0x8000000000");
}

static void test_unknown_and_duplicate_property(void **state)
{
	check_bad_guest("typo", write_unknown_property,
			"/guests/typo: property 'memroy-mib': unknown property (known: "
			"memory-mib, image, format, load-address, entry, cmdline, modules, "
			"devices, on-crash, max-restarts, time-limit-ms, max-exits-per-second, "
			"cpu, dedicated, console-bytes-per-second, restart-backoff-max-ms, "
			"initrd, acpi)");
	check_bad_guest("twice", write_duplicate_property,
			"/guests/twice: property 'format': appears more than once");
	check_bad_guest("kid", write_child_node,
			"/guests/kid: unexpected child node 'extra' (only vcpu@0 to vcpu@7)");
}

static void test_bad_names(void **state)
{
	check_bad_guest("Bad", write_default_load_outside_ram,
			"/guests/Bad: invalid character 'B' in name (allowed: a-z 0-9 _ -)");
	check_bad_guest("bad@1", write_default_load_outside_ram,
			"/guests/bad@1: unit addresses (@) are not allowed in guest names");
	check_bad_guest("a-very-long-guest-name-of-39-characters", write_missing_memory,
			"/guests/a-very-long-guest-name-of-39-ch: name is 39 characters long "
			"(max 31)");
	assert_string_equal(test_config.guests[1].name, "a-very-long-guest-name-of-39-ch");
	/* A name is checked before anything else, so the bad memory is not what is reported. */
	check_bad_guest("first", write_missing_memory,
			"/guests/first: duplicate guest name (an earlier guest is also called "
			"'first')");
}

static void test_strings_and_paths(void **state)
{
	check_bad_guest("bad", write_unterminated_image,
			"/guests/bad: property 'image': not a NUL-terminated string");
	check_bad_guest("bad", write_long_cmdline,
			"/guests/bad: property 'cmdline': 600 bytes long (max 511)");
	check_bad_guest("bad", write_long_image,
			"/guests/bad: property 'image': path is 130 bytes long (max 127)");
	check_bad_guest("bad", write_dotdot_image,
			"/guests/bad: property 'image': path must be relative and must not "
			"contain \"..\"");
	check_bad_guest("bad", write_absolute_image,
			"/guests/bad: property 'image': path must be relative and must not "
			"contain \"..\"");
	check_bad_guest("bad", write_backslash_image,
			"/guests/bad: property 'image': path must use '/' as separator, "
			"found '\\'");
	check_bad_guest("bad", write_dotdot_module,
			"/guests/bad: property 'modules': module 2: path must be relative and "
			"must not contain \"..\"");
	check_bad_guest("bad", write_too_many_modules,
			"/guests/bad: property 'modules': more than 8 modules");
}

static void test_addresses(void **state)
{
	check_bad_guest("bad", write_load_outside_ram,
			"/guests/bad: property 'load-address': 0x5000000 is outside guest RAM "
			"(64 MiB)");
	check_bad_guest("bad", write_load_64bit_outside_ram,
			"/guests/bad: property 'load-address': 0x100000000 is outside guest RAM "
			"(64 MiB)");
	check_bad_guest("bad", write_entry_outside_ram,
			"/guests/bad: property 'entry': 0x4000000 is outside guest RAM (64 MiB)");
	check_bad_guest("tiny", write_default_load_outside_ram,
			"/guests/tiny: property 'load-address': 0x100000 (the default) is "
			"outside guest RAM (1 MiB)");
	check_bad_guest("bad", write_short_load_address,
			"/guests/bad: property 'load-address': expected 1 or 2 cells (a 32-bit "
			"or 64-bit address), found 6 bytes");
}

/* ---- good trees ---- */

static void test_good_two_guests(void **state)
{
	const struct guest_config *hello, *kernel;

	tree_begin("moat,config-v1");
	node_begin("moat");
	prop_string("log-level", "debug");
	node_end();
	node_begin("guests");
	guest_begin("hello", 64, "flat");
	prop_u64("load-address", 0x200000);
	prop_u32("entry", 0x200010);
	prop_string("cmdline", "console=ttyS0");
	prop_raw("devices", "uart\0test-exit", sizeof("uart\0test-exit"));
	node_end();
	guest_begin("kernel_2", 3072, "multiboot");
	prop_string("cmdline", "");
	prop_raw("modules", "mods/a.bin\0b.bin", sizeof("mods/a.bin\0b.bin"));
	prop_raw("devices", "test-exit", sizeof("test-exit"));
	node_end();
	node_end();
	tree_end();

	assert_int_equal(parse(), 0);
	assert_string_equal(test_err, "");
	assert_int_equal(test_config.log_level, LOG_DEBUG);
	assert_int_equal(test_config.slice_us, CONFIG_DEFAULT_SLICE_US);
	assert_int_equal(test_config.guest_count, 2);

	hello = &test_config.guests[0];
	assert_true(hello->valid);
	assert_string_equal(hello->error, "");
	assert_string_equal(hello->name, "hello");
	assert_int_equal(hello->memory_size, 64ULL << 20);
	assert_string_equal(hello->image, TEST_GOOD_IMAGE);
	assert_int_equal(hello->format, IMAGE_FORMAT_FLAT);
	assert_int_equal(hello->load_address, 0x200000);
	assert_int_equal(hello->entry, 0x200010);
	assert_string_equal(hello->cmdline, "console=ttyS0");
	assert_int_equal(hello->module_count, 0);
	assert_int_equal(hello->devices, GUEST_DEVICE_UART | GUEST_DEVICE_TEST_EXIT);

	kernel = &test_config.guests[1];
	assert_true(kernel->valid);
	assert_string_equal(kernel->name, "kernel_2");
	assert_int_equal(kernel->memory_size, 3072ULL << 20);
	assert_int_equal(kernel->format, IMAGE_FORMAT_MULTIBOOT);
	assert_int_equal(kernel->load_address, 0);
	assert_int_equal(kernel->entry, 0);
	assert_string_equal(kernel->cmdline, "");
	assert_int_equal(kernel->module_count, 2);
	assert_string_equal(kernel->modules[0], "mods/a.bin");
	assert_string_equal(kernel->modules[1], "b.bin");
	assert_int_equal(kernel->devices, GUEST_DEVICE_TEST_EXIT);
}

static void test_defaults(void **state)
{
	const struct guest_config *guest = &test_config.guests[0];

	tree_begin("moat,config-v1");
	assert_int_equal(fdt_property_u32(test_blob, "#address-cells", 2), 0);
	assert_int_equal(fdt_property_u32(test_blob, "#size-cells", 2), 0);
	node_begin("guests");
	guest_good("plain");
	node_end();
	node_begin("chosen"); /* other nodes under / are not Moat's business */
	prop_string("whatever", "x");
	node_end();
	tree_end();

	assert_int_equal(parse(), 0);
	assert_int_equal(test_config.log_level, LOG_INFO);
	assert_int_equal(test_config.guest_count, 1);
	assert_true(guest->valid);
	assert_int_equal(guest->memory_size, 16ULL << 20);
	assert_int_equal(guest->load_address, 0x100000);
	assert_int_equal(guest->entry, 0x100000);
	assert_string_equal(guest->cmdline, "");
	assert_int_equal(guest->module_count, 0);
	assert_int_equal(guest->devices, 0);
}

static void test_entry_defaults_to_load_address(void **state)
{
	tree_begin("moat,config-v1");
	node_begin("guests");
	guest_begin("low", 4, "flat");
	prop_u32("load-address", 0x7c00);
	node_end();
	node_end();
	tree_end();

	assert_int_equal(parse(), 0);
	assert_true(test_config.guests[0].valid);
	assert_int_equal(test_config.guests[0].load_address, 0x7c00);
	assert_int_equal(test_config.guests[0].entry, 0x7c00);
}

static void test_too_many_guests(void **state)
{
	char name[16];

	test_log_capture();
	tree_begin("moat,config-v1");
	node_begin("guests");
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		guest_good(name);
	}
	node_end();
	tree_end();

	assert_int_equal(parse(), 0);
	assert_int_equal(test_config.guest_count, CONFIG_MAX_GUESTS);
	for (int i = 0; i < CONFIG_MAX_GUESTS; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		assert_true(test_config.guests[i].valid);
		assert_string_equal(test_config.guests[i].name, name);
	}
	assert_log_contains("moat: error: config: /guests/g8: too many guests (max 8)\n");
	assert_log_contains("moat: error: config: /guests/g9: too many guests (max 8)\n");
	assert_null(strstr(test_log_text(), "/guests/g7"));
}

static void test_format_name(void **state)
{
	assert_string_equal(config_format_name(IMAGE_FORMAT_FLAT), "flat");
	assert_string_equal(config_format_name(IMAGE_FORMAT_MULTIBOOT), "multiboot");
	assert_string_equal(config_format_name(IMAGE_FORMAT_LINUX), "linux");
}

/* ---- whole-tree errors ---- */

static void build_one_guest_tree(void)
{
	tree_begin("moat,config-v1");
	node_begin("guests");
	guest_good("one");
	node_end();
	tree_end();
}

static void test_garbage(void **state)
{
	static const char garbage[64] __attribute__((aligned(8))) = "this is not a device tree";

	assert_tree_error(config_parse(garbage, sizeof(garbage), &test_config, test_err,
				       sizeof(test_err)),
			  "moat.dtb: not a device tree (FDT_ERR_BADMAGIC)");
	assert_tree_error(config_parse(garbage, 10, &test_config, test_err, sizeof(test_err)),
			  "moat.dtb: too small to be a device tree (10 bytes)");
	assert_tree_error(config_parse(NULL, 0, &test_config, test_err, sizeof(test_err)),
			  "moat.dtb: too small to be a device tree (0 bytes)");
}

static void test_truncated(void **state)
{
	char expected[128];
	u32 total;

	build_one_guest_tree();
	total = fdt_totalsize(test_blob);
	snprintf(expected, sizeof(expected),
		 "moat.dtb: truncated: the header says %u bytes, only %u present", total,
		 total - 1);
	assert_tree_error(config_parse(test_blob, total - 1, &test_config, test_err,
				       sizeof(test_err)),
			  expected);

	/* A header claiming more than the buffer holds. */
	fdt_set_totalsize(test_blob, TEST_BLOB_SIZE + 8);
	snprintf(expected, sizeof(expected),
		 "moat.dtb: truncated: the header says %u bytes, only %u present",
		 TEST_BLOB_SIZE + 8, TEST_BLOB_SIZE);
	assert_tree_error(config_parse(test_blob, TEST_BLOB_SIZE, &test_config, test_err,
				       sizeof(test_err)),
			  expected);
}

static void test_damaged_structure(void **state)
{
	fdt32_t *end;

	build_one_guest_tree();
	/* The last tag of the structure block is FDT_END; make it something else. */
	end = (fdt32_t *)(test_blob + fdt_off_dt_struct(test_blob) +
			  fdt_size_dt_struct(test_blob) - sizeof(fdt32_t));
	assert_int_equal(fdt32_to_cpu(*end), FDT_END);
	*end = cpu_to_fdt32(FDT_BEGIN_NODE);
	assert_int_equal(parse(), -MOAT_EINVAL);
	assert_non_null(strstr(test_err, "moat.dtb: damaged device tree (FDT_ERR_"));
}

static void test_compatible(void **state)
{
	tree_begin("foo");
	node_begin("guests");
	guest_good("one");
	node_end();
	tree_end();
	assert_tree_error(parse(),
			  "/: property 'compatible': expected \"moat,config-v1\", found \"foo\"");

	tree_begin(NULL);
	node_begin("guests");
	node_end();
	tree_end();
	assert_tree_error(parse(), "/: property 'compatible': missing");

	tree_begin(NULL);
	prop_raw("compatible", "moat,config-v1", 14);
	tree_end();
	assert_tree_error(parse(), "/: property 'compatible': not a NUL-terminated string");
}

static void test_missing_guests(void **state)
{
	tree_begin("moat,config-v1");
	node_begin("guests@0");
	node_end();
	tree_end();
	assert_tree_error(parse(), "/guests: missing (the node listing the guests)");
}

static void test_moat_node(void **state)
{
	tree_begin("moat,config-v1");
	node_begin("moat");
	prop_string("log-level", "loud");
	node_end();
	node_begin("guests");
	guest_good("one");
	node_end();
	tree_end();
	assert_tree_error(parse(), "/moat: property 'log-level': unknown value \"loud\" "
				   "(expected error, warn, info or debug)");

	tree_begin("moat,config-v1");
	node_begin("moat");
	prop_string("log-levle", "info");
	node_end();
	node_begin("guests");
	node_end();
	tree_end();
	assert_tree_error(parse(), "/moat: property 'log-levle': unknown property (known: "
				   "log-level, slice-us, smt-siblings)");
}

static void test_mutations_never_crash(void **state)
{
	static char good[TEST_BLOB_SIZE] __attribute__((aligned(8)));
	u32 seed = 12345, total;

	tree_begin("moat,config-v1");
	node_begin("guests");
	guest_begin("m", 8, "multiboot");
	prop_raw("modules", "a\0b", sizeof("a\0b"));
	prop_raw("devices", "uart", sizeof("uart"));
	prop_raw("dedicated", "", 0);
	write_two_vcpus();
	node_end();
	guest_good("f");
	node_end();
	tree_end();
	total = fdt_totalsize(test_blob);
	memcpy(good, test_blob, total);
	for (int round = 0; round < 20000; round++) {
		memcpy(test_blob, good, total);
		for (int flips = 0; flips < 1 + round % 4; flips++) {
			seed = seed * 1103515245u + 12345u;
			test_blob[(seed >> 8) % total] ^= (char)(1u << ((seed >> 4) % 8));
		}
		seed = seed * 1103515245u + 12345u;
		config_parse(test_blob, total - (seed >> 16) % 8, &test_config, test_err,
			     sizeof(test_err));
		assert_true(test_config.guest_count <= CONFIG_MAX_GUESTS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_two_guests),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_entry_defaults_to_load_address),
		cmocka_unit_test(test_too_many_guests),
		cmocka_unit_test(test_format_name),
		cmocka_unit_test(test_missing_memory),
		cmocka_unit_test(test_memory_limits),
		cmocka_unit_test(test_format_and_image),
		cmocka_unit_test(test_flat_only_properties),
		cmocka_unit_test(test_linux_properties),
		cmocka_unit_test(test_good_linux_guest),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_acpi),
		cmocka_unit_test(test_policy_defaults_and_values),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_shared_region),
		cmocka_unit_test(test_shared_errors),
		cmocka_unit_test(test_unknown_and_duplicate_property),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_strings_and_paths),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_damaged_structure),
		cmocka_unit_test(test_compatible),
		cmocka_unit_test(test_missing_guests),
		cmocka_unit_test(test_moat_node),
		cmocka_unit_test(test_mutations_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
