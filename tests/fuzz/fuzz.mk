# SPDX-License-Identifier: MIT
# libFuzzer targets for the code that parses untrusted input (guest register writes, the
# configuration blob, kernel images), plus their seed corpora generated from text sources.
# Included from the top Makefile, or used alone: make -f tests/fuzz/fuzz.mk fuzz-build

BUILD ?= build
Q ?= @
FUZZ_CC ?= clang

FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CORPUS := $(FUZZ_DIR)/corpus
FUZZ_SEED_DIR := tests/fuzz/corpus

# UBSan must abort, not print and continue, so that libFuzzer records the input.
FUZZ_SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 -Iinclude -g -O1 -fno-omit-frame-pointer $(FUZZ_SANITIZERS) \
	-Wall -Wextra -Wno-unused-parameter -DMOAT_HOST -DMOAT_FUZZ

# The generic code, instrumented for coverage; an archive so each target links what it uses.
FUZZ_LIB_SRCS := $(wildcard mm/*.c vmm/*.c devices/*.c) lib/format.c lib/log.c lib/log_ring.c \
	lib/strlcpy.c
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRCS))
FUZZ_LIB := $(FUZZ_DIR)/libmoat-fuzz.a

FUZZ_TARGETS := fuzz_uart fuzz_config fuzz_multiboot fuzz_vlapic fuzz_decode fuzz_walk \
	fuzz_linux
FUZZ_BINS := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

# Seeds: .dts compiled by dtc, xxd dumps turned back into bytes (no binaries in the tree).
# Duplicate node names are allowed because one seed exists to exercise their rejection.
FUZZ_DTB_SEEDS := $(patsubst $(FUZZ_SEED_DIR)/%.dts,$(FUZZ_CORPUS)/%.dtb, \
	$(wildcard $(FUZZ_SEED_DIR)/*/*.dts))
FUZZ_HEX_SEEDS := $(patsubst $(FUZZ_SEED_DIR)/%.hex,$(FUZZ_CORPUS)/%.bin, \
	$(wildcard $(FUZZ_SEED_DIR)/*/*.hex))

.PHONY: fuzz-build fuzz-seeds
fuzz-build: $(FUZZ_BINS) fuzz-seeds
fuzz-seeds: $(FUZZ_DTB_SEEDS) $(FUZZ_HEX_SEEDS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_support.h $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer $< $(FUZZ_LIB) -lfdt -o $@
	@echo "  built $@"

$(FUZZ_CORPUS)/%.dtb: $(FUZZ_SEED_DIR)/%.dts
	@mkdir -p $(dir $@)
	$(Q)dtc -q -E no-duplicate_node_names -I dts -O dtb -o $@ $<

$(FUZZ_CORPUS)/%.bin: $(FUZZ_SEED_DIR)/%.hex
	@mkdir -p $(dir $@)
	$(Q)xxd -r $< $@

-include $(FUZZ_LIB_OBJS:.o=.d)
