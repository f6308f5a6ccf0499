# SPDX-License-Identifier: MIT
# Moat: build moat.efi, the test guests, the host unit tests, and run them.
# `make run` and `make test` install missing Debian packages first (scripts/deps.sh).

BUILD ?= build
CC := gcc
HOSTCC ?= gcc
Q ?= @

EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
LIBFDT_A := /usr/lib/x86_64-linux-gnu/libfdt.a

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes -Wshadow
COMMON_CFLAGS := -std=gnu11 -Iinclude $(WARNINGS)

# The image: freestanding, position independent (gnu-efi relocates it), no SSE so that Moat
# never touches a guest's FPU state, no red zone because interrupts use the same stack.
# Retpolines: every indirect CALL/JMP goes through arch/x86/retpoline.S, and switches are
# compiled to compare chains rather than jump tables (docs/speculation.md).
RETPOLINE_CFLAGS := -mindirect-branch=thunk-extern -mindirect-branch-register -fno-jump-tables
EFI_CFLAGS := $(COMMON_CFLAGS) -O2 -ffreestanding -fno-builtin -fpic -fshort-wchar \
	-fno-stack-protector -fno-strict-aliasing -mno-red-zone -mgeneral-regs-only \
	-maccumulate-outgoing-args -DGNU_EFI_USE_MS_ABI -DMOAT_IMAGE $(RETPOLINE_CFLAGS) \
	-isystem $(EFI_INC) -isystem $(EFI_INC)/x86_64
# -z muldefs: lib/string.c's memcpy/memset take the place of libefi.a's byte loops.
# --no-undefined: a helper the compiler expects from libgcc (which is not linked) is a link
# error, not a jump into nowhere at run time.
EFI_LDFLAGS := -nostdlib -znocombreloc -z muldefs --no-undefined -T linker.ld -shared -Bsymbolic \
	-L$(EFI_LIB)

# Code shared by the image and the host tests: plain C, no vendor headers in vmm/ mm/ devices/.
GENERIC_SRCS := $(wildcard mm/*.c vmm/*.c devices/*.c) lib/format.c lib/log.c lib/log_ring.c \
	lib/strlcpy.c
# Vendor code that is pure computation, unit-tested on the host too.
HOST_VENDOR_SRCS := arch/x86/vmx/vmx_config.c arch/x86/mitigations.c arch/x86/svm/svm_asid.c \
	arch/x86/xstate.c
HOST_VENDOR_SRCS += arch/x86/vmx/vmx_long_mode.c
HOST_VENDOR_SRCS += arch/x86/cpu_topology.c
IMAGE_SRCS := $(GENERIC_SRCS) $(wildcard boot/*.c arch/x86/*.c arch/x86/svm/*.c \
	arch/x86/vmx/*.c) lib/string.c
IMAGE_ASM := $(wildcard arch/x86/*.S arch/x86/svm/*.S arch/x86/vmx/*.S)
IMAGE_OBJS := $(patsubst %.c,$(BUILD)/efi/%.o,$(IMAGE_SRCS)) \
	$(patsubst %.S,$(BUILD)/efi/%.o,$(IMAGE_ASM))

HOST_CFLAGS := $(COMMON_CFLAGS) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-DMOAT_HOST
HOST_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(GENERIC_SRCS) $(HOST_VENDOR_SRCS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/*_test.c))

CONFIGS := $(patsubst configs/%.dts,$(BUILD)/configs/%.dtb,$(wildcard configs/*.dts))

.PHONY: all deps image run test unit boot-test bench check-config clean fuzz linux
all: $(BUILD)/moat.efi $(BUILD)/moat-check guests $(CONFIGS)

deps:
	$(Q)scripts/deps.sh

# ---- the image ----
$(BUILD)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(EFI_CFLAGS) -MMD -c $< -o $@
$(BUILD)/efi/%.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(EFI_CFLAGS) -MMD -c $< -o $@

$(BUILD)/moat.so: $(IMAGE_OBJS) linker.ld
	$(Q)ld $(EFI_LDFLAGS) $(EFI_LIB)/crt0-efi-x86_64.o $(IMAGE_OBJS) -o $@ \
		-lefi -lgnuefi $(LIBFDT_A)
$(BUILD)/moat.efi: $(BUILD)/moat.so
	$(Q)objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .reloc --target=efi-app-x86_64 --subsystem=10 $< $@
	@echo "  built $@"

# ---- host build of the generic code, unit tests ----
$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -MMD -c $< -o $@
$(BUILD)/host/libmoat.a: $(HOST_OBJS)
	$(Q)ar rcs $@ $^
$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/host/libmoat.a tests/unit/test_support.h
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -Itests/unit $< $(BUILD)/host/libmoat.a -lcmocka -lfdt -o $@

# The configuration checker: the same parser, run on a .dtb before anyone boots it.
$(BUILD)/moat-check: tools/moat-check.c $(BUILD)/host/libmoat.a
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< $(BUILD)/host/libmoat.a -lfdt -o $@

$(BUILD)/configs/%.dtb: configs/%.dts
	@mkdir -p $(dir $@)
	$(Q)dtc -q -I dts -O dtb -o $@ $<

include tests/guests/guests.mk
include tests/fuzz/fuzz.mk

# ---- user-facing targets ----
image: deps all
	$(Q)scripts/mkimage.sh $(BUILD)/moat-usb.img $(BUILD)/moat.efi \
		$(BUILD)/configs/default.dtb $(BUILD)/guests
run: deps all
	$(Q)scripts/run-qemu.sh $(BUILD)/moat.efi $(BUILD)/configs/default.dtb $(BUILD)/guests
test: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_TESTS)
	$(Q)scripts/run-tests.sh
unit: $(UNIT_TESTS)
	$(Q)scripts/run-tests.sh unit
boot-test: all
	$(Q)scripts/run-tests.sh boot
# The Linux guest's files (Debian's kernel and a busybox initramfs) in build/linux/.
linux: deps
	$(Q)scripts/linux-assets.sh $(BUILD)/linux
bench: deps all
	$(Q)scripts/bench.sh

fuzz: deps
	$(Q)scripts/fuzz.sh smoke

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
