# SPDX-License-Identifier: MIT
# The test guests: freestanding 32-bit kernels built into $(BUILD)/guests/. Included by the top
# Makefile; also works alone: `make -f tests/guests/guests.mk guests`.

BUILD ?= build
Q ?= @

GUEST_SRC := tests/guests
GUEST_OUT := $(BUILD)/guests
# Objects stay outside $(GUEST_OUT): that folder is copied whole to the boot volume.
GUEST_OBJ := $(BUILD)/guest-obj

GUEST_CC := gcc
GUEST_CFLAGS := -std=gnu11 -m32 -march=i686 -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-builtin -nostdlib -mgeneral-regs-only -O2 \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes -Wshadow \
	-Iinclude -I$(GUEST_SRC)/lib
# .incbin in mbinfo_module.S finds module.txt through the assembler's include path.
GUEST_ASFLAGS := -m32 -march=i686 -fno-pic -fno-pie -Wa,-I,$(GUEST_SRC)
GUEST_LDFLAGS := -m elf_i386 -nostdlib -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments

GUEST_LIB_OBJS := $(addprefix $(GUEST_OBJ)/lib/,entry.o trap_stubs.o runtime.o trap.o \
	console.o string.o check.o hypercall.o apic.o ap.o ap_boot.o long_mode.o long_mode_switch.o \
	user.o user_stubs.o)
GUEST_FLAT := hello probe oob forbidden demo bench shared_writer shared_reader
# The hostile-guest suite (README.md, "Hostile-guest suite").
GUEST_FLAT += victim hostile_mem hostile_msr hostile_ports hostile_apic hostile_vminsn \
	hostile_spin hostile_halt hostile_triple hostile_flood hostile_cr8 hostile_cpu \
	hostile_console bystander hostile_regs
# Time, MSRs and XSAVE as a Linux guest uses them (README.md).
GUEST_FLAT += platform_time
# Several vCPUs per guest: x2APIC IPIs, INIT-SIPI-SIPI, HLT wake-up (README.md, "Several vCPUs").
GUEST_FLAT += vcpus sleeper spinner lapic_timer
GUEST_FLAT += crasher window hostile_ipiflood
# The exceptions Moat intercepts, reflected into the guest (README.md).
GUEST_FLAT += exceptions
# ACPI tables read back, reset and power off through the FADT's registers.
GUEST_FLAT += acpi_tables
# Architectural conformance: CR4, injected exceptions, legacy ports (README.md).
GUEST_FLAT += conformance
# MMIO emulation through the I/O APIC's registers (README.md).
GUEST_FLAT += mmio mmio_fetch
# The I/O APIC and the 16550's interrupts (docs/guest-interface.md).
GUEST_FLAT += ioapic
GUEST_MULTIBOOT := mbinfo
GUEST_OUTPUTS := $(patsubst %,$(GUEST_OUT)/%.bin,$(GUEST_FLAT)) \
	$(patsubst %,$(GUEST_OUT)/%.elf,$(GUEST_MULTIBOOT)) $(GUEST_OUT)/module.txt \
	$(GUEST_OUT)/linux-stub.bzimage $(GUEST_OUT)/pvh-stub.elf

.PHONY: guests
guests: $(GUEST_OUTPUTS)

$(GUEST_OBJ)/%.o: $(GUEST_SRC)/%.c
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@
$(GUEST_OBJ)/%.o: $(GUEST_SRC)/%.S
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

$(GUEST_OBJ)/mbinfo_module.o: $(GUEST_SRC)/module.txt

# Flat guests: ELF for symbols and disassembly, then the raw image Moat loads.
$(GUEST_OBJ)/%.elf: $(GUEST_OBJ)/%.o $(GUEST_LIB_OBJS) $(GUEST_SRC)/flat.ld
	$(Q)ld $(GUEST_LDFLAGS) -T $(GUEST_SRC)/flat.ld -o $@ $< $(GUEST_LIB_OBJS)
$(GUEST_OUT)/%.bin: $(GUEST_OBJ)/%.elf
	@mkdir -p $(dir $@)
	$(Q)objcopy -O binary $< $@
	@echo "  built $@"

GUEST_MBINFO_OBJS := $(GUEST_OBJ)/lib/multiboot_header.o $(GUEST_OBJ)/mbinfo.o \
	$(GUEST_OBJ)/mbinfo_module.o $(GUEST_LIB_OBJS)
$(GUEST_OUT)/mbinfo.elf: $(GUEST_MBINFO_OBJS) $(GUEST_SRC)/multiboot.ld
	@mkdir -p $(dir $@)
	$(Q)ld $(GUEST_LDFLAGS) -T $(GUEST_SRC)/multiboot.ld -o $@ $(GUEST_MBINFO_OBJS)
	@echo "  built $@"

# linux-stub: a synthetic bzImage whose 64-bit code checks the boot protocol's zero page
# (README.md, "linux-stub"): 64-bit objects, linked with the setup sectors below the kernel.
GUEST64_CFLAGS := -std=gnu11 -m64 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-builtin -nostdlib -mno-red-zone -mgeneral-regs-only -mcmodel=small -O2 \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes -Wshadow -Iinclude
LINUX_STUB_OBJS := $(GUEST_OBJ)/linux_stub/header.o $(GUEST_OBJ)/linux_stub/stub.o
$(GUEST_OBJ)/linux_stub/%.o: $(GUEST_SRC)/linux_stub/%.c
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST64_CFLAGS) -MMD -MP -c $< -o $@
$(GUEST_OBJ)/linux_stub/%.o: $(GUEST_SRC)/linux_stub/%.S
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) -m64 -fno-pic -fno-pie -MMD -MP -c $< -o $@
$(GUEST_OBJ)/linux-stub.elf: $(LINUX_STUB_OBJS) $(GUEST_SRC)/linux_stub/linux_stub.ld
	$(Q)ld -m elf_x86_64 -nostdlib -z max-page-size=0x1000 -z noexecstack \
		--no-warn-rwx-segments -T $(GUEST_SRC)/linux_stub/linux_stub.ld -o $@ $(LINUX_STUB_OBJS)
$(GUEST_OUT)/linux-stub.bzimage: $(GUEST_OBJ)/linux-stub.elf
	@mkdir -p $(dir $@)
	$(Q)objcopy -O binary $< $@
	@echo "  built $@"

# pvh-stub: a 32-bit guest on the usual runtime, wrapped into an ELF64 vmlinux with the PVH
# note (README.md, "pvh-stub").
$(GUEST_OBJ)/pvh-stub32.elf: $(GUEST_OBJ)/pvh_stub.o $(GUEST_LIB_OBJS) \
		$(GUEST_SRC)/linux_stub/pvh_stub.ld
	$(Q)ld $(GUEST_LDFLAGS) -T $(GUEST_SRC)/linux_stub/pvh_stub.ld -o $@ $< $(GUEST_LIB_OBJS)
$(GUEST_OBJ)/pvh-stub.bin: $(GUEST_OBJ)/pvh-stub32.elf
	$(Q)objcopy -O binary $< $@
$(GUEST_OBJ)/linux_stub/pvh_wrap.o: $(GUEST_SRC)/linux_stub/pvh_wrap.S $(GUEST_OBJ)/pvh-stub.bin
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) -m64 -Wa,-I,$(GUEST_OBJ) -c $< -o $@
$(GUEST_OUT)/pvh-stub.elf: $(GUEST_OBJ)/linux_stub/pvh_wrap.o $(GUEST_SRC)/linux_stub/pvh_wrap.ld
	@mkdir -p $(dir $@)
	$(Q)ld -m elf_x86_64 -nostdlib -z noexecstack --no-warn-rwx-segments \
		-T $(GUEST_SRC)/linux_stub/pvh_wrap.ld -o $@ $<
	@echo "  built $@"

$(GUEST_OUT)/module.txt: $(GUEST_SRC)/module.txt
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

# Keep the objects and ELF files of the pattern chains for disassembly and rebuilds.
.PRECIOUS: $(GUEST_OBJ)/%.o $(GUEST_OBJ)/%.elf

-include $(wildcard $(GUEST_OBJ)/*.d $(GUEST_OBJ)/lib/*.d $(GUEST_OBJ)/linux_stub/*.d)
