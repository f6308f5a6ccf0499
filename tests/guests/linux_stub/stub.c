// SPDX-License-Identifier: MIT
/* linux-stub: the 64-bit part of a synthetic bzImage. It checks what Moat's bzImage loader
 * hands a kernel (vmm/loader_linux.c, docs/boot-protocol.md "Linux"): the entry state, the
 * zero page's setup header, command line, e820 map, initrd and RSDP address; it prints one
 * line per check on COM1 and exits through the test-exit port (0x600d: all passed). */
#include <moat/linux_boot.h>

#define COM1_DATA 0x3f8
#define COM1_LSR 0x3fd
#define LSR_THR_EMPTY 0x20
#define TEST_EXIT_PORT 0xf4
#define EXIT_PASS 0x600du
#define EXIT_FAIL_BASE 0xbad000u

#define EXPECT_CMDLINE "linux-stub check=42 console=ttyS0"
#define EXPECT_INITRD "moat-module-ok\n" /* tests/guests/module.txt */
#define EXPECT_RAM_END 0x4000000ULL      /* memory-mib = <64> in tests/boot/linux-loader.dts */
#define EXPECT_LOAD 0x1000000ULL
#define EXPECT_RSDP 0xe0000ULL
#define LOW_RAM_END 0xa0000ULL
#define HIGH_RAM_START 0x100000ULL
#define E820_RAM 1
#define E820_RESERVED 2
#define CR0_PE (1ULL << 0)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define RFLAGS_IF (1ULL << 9)
#define BOOT_CS 0x10
#define BOOT_DS 0x18
#define PAGE_MASK 0xfffULL

static u32 failures;
static u32 check_number;

static inline void outb(u16 port, u8 value)
{
	__asm__ volatile("outb %0, %1" ::"a"(value), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 value;

	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static void put_char(char c)
{
	while (!(inb(COM1_LSR) & LSR_THR_EMPTY))
		;
	outb(COM1_DATA, (u8)c);
}

static void put_string(const char *s)
{
	while (*s)
		put_char(*s++);
}

static void check(bool ok, const char *what)
{
	check_number++;
	put_string(ok ? "linux-stub: ok: " : "linux-stub: FAIL: ");
	put_string(what);
	put_char('\n');
	if (!ok && !failures)
		failures = check_number;
}

static bool bytes_equal(const void *a, const void *b, u64 n)
{
	const u8 *x = a, *y = b;

	for (u64 i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

static u64 string_length(const char *s)
{
	u64 n = 0;

	while (s[n])
		n++;
	return n;
}

static void check_entry_state(const u8 *params)
{
	u64 cr0, cr4, rflags;
	u16 cs, ds, ss;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("pushfq; popq %0" : "=r"(rflags));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	__asm__ volatile("mov %%ds, %0" : "=r"(ds));
	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	check((cr0 & (CR0_PE | CR0_PG)) == (CR0_PE | CR0_PG) && (cr4 & CR4_PAE),
	      "64-bit entry: CR0.PE, CR0.PG and CR4.PAE set");
	check(!(rflags & RFLAGS_IF), "interrupts are off");
	check(cs == BOOT_CS && ds == BOOT_DS && ss == BOOT_DS, "CS is __BOOT_CS, DS and SS __BOOT_DS");
	check(params && !((u64)params & PAGE_MASK), "RSI points at a page-aligned zero page");
}

static void check_header(const u8 *params, const struct linux_setup_header *hdr)
{
	u64 rsdp;

	check(hdr->boot_flag == LINUX_BOOT_FLAG && hdr->header == LINUX_HEADER_MAGIC &&
		      hdr->version == 0x020f,
	      "setup header copied (boot_flag, HdrS, version 2.15)");
	check(hdr->type_of_loader == LINUX_TYPE_OF_LOADER_UNDEFINED, "type_of_loader is 0xff");
	check(hdr->setup_data == 0, "no setup_data");
	__builtin_memcpy(&rsdp, params + LINUX_BP_ACPI_RSDP_ADDR, sizeof(rsdp));
	check(rsdp == EXPECT_RSDP, "acpi_rsdp_addr is 0xe0000");
	check(params[LINUX_BP_SENTINEL] == 0, "sentinel is 0");
}

static void check_cmdline(const struct linux_setup_header *hdr)
{
	const char *cmdline = (const char *)(u64)hdr->cmd_line_ptr;

	check(hdr->cmd_line_ptr && string_length(cmdline) == sizeof(EXPECT_CMDLINE) - 1 &&
		      bytes_equal(cmdline, EXPECT_CMDLINE, sizeof(EXPECT_CMDLINE)),
	      "command line is \"" EXPECT_CMDLINE "\"");
}

static bool e820_is(const struct linux_e820_entry *e, u64 addr, u64 end, u32 type)
{
	return e->addr == addr && e->size == end - addr && e->type == type;
}

static void check_e820(const u8 *params)
{
	const struct linux_e820_entry *e820 = (const void *)(params + LINUX_BP_E820_TABLE);
	u8 count = params[LINUX_BP_E820_ENTRIES];
	bool rest_reserved = true;

	check(count >= 3 && e820_is(&e820[0], 0, LOW_RAM_END, E820_RAM),
	      "e820 entry 0 is RAM 0..0xa0000");
	check(count >= 3 && e820_is(&e820[1], LOW_RAM_END, HIGH_RAM_START, E820_RESERVED),
	      "e820 entry 1 reserves 0xa0000..0x100000 (the ACPI tables' hole)");
	check(count >= 3 && e820_is(&e820[2], HIGH_RAM_START, EXPECT_RAM_END, E820_RAM),
	      "e820 entry 2 is RAM 1 MiB..64 MiB");
	/* Device regions (the interrupt controllers) may follow: reserved, above RAM. */
	for (u32 i = 3; i < count; i++)
		if (e820[i].type != E820_RESERVED || e820[i].addr < EXPECT_RAM_END)
			rest_reserved = false;
	check(count <= LINUX_E820_MAX_ENTRIES && rest_reserved,
	      "further e820 entries are reserved ranges above RAM");
}

static void check_initrd(const struct linux_setup_header *hdr)
{
	u64 start = hdr->ramdisk_image, end = start + hdr->ramdisk_size;

	check(hdr->ramdisk_size == sizeof(EXPECT_INITRD) - 1, "ramdisk_size is the initrd's size");
	check(!(start & PAGE_MASK) && start >= EXPECT_LOAD + hdr->init_size && end <= EXPECT_RAM_END &&
		      end - 1 <= hdr->initrd_addr_max,
	      "initrd is page aligned, above the kernel's init_size, below RAM's end");
	check(start && bytes_equal((const void *)start, EXPECT_INITRD, sizeof(EXPECT_INITRD) - 1),
	      "initrd bytes equal tests/guests/module.txt");
}

void linux_stub_main(const u8 *params);
void linux_stub_main(const u8 *params)
{
	const struct linux_setup_header *hdr = (const void *)(params + LINUX_SETUP_HEADER_OFFSET);
	u32 code;

	put_string("linux-stub: entered in 64-bit mode\n");
	check_entry_state(params);
	check_header(params, hdr);
	check_cmdline(hdr);
	check_e820(params);
	check_initrd(hdr);
	code = failures ? EXIT_FAIL_BASE + failures : EXIT_PASS;
	__asm__ volatile("outl %0, %1" ::"a"(code), "Nd"((u16)TEST_EXIT_PORT));
}
