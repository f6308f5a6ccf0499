/* SPDX-License-Identifier: MIT */
/* The guest the Linux loader tests load into (loader_linux_test.c, loader_pvh_test.c): a
 * malloc'd RAM filled with a marker byte, so a test can tell whether a rejected image wrote
 * anything, and an initrd with a known pattern. */
#ifndef LOADER_LINUX_ENV_H
#define LOADER_LINUX_ENV_H

#include "test_support.h"

#include <moat/boot_memmap.h>
#include <moat/errno.h>
#include <moat/guest_mem.h>
#include <moat/linux_boot.h>
#include <moat/loader.h>
#include <moat/platform.h>

#define T_RAM_SIZE MIB(64)
#define T_RAM_FILL 0xcc
#define T_FILE_MAX 0x8000
#define T_IMAGE "guests/vmlinuz"
#define T_INITRD "guests/initrd.img"
#define T_INITRD_SIZE 0x1800u
#define T_CMDLINE "console=ttyS0 quiet"

struct t_env {
	struct guest_memory mem;
	u8 *ram;
	u64 ram_size;
	struct guest_config config;
	struct image_file image;
	struct image_file initrd;
	u8 initrd_data[T_INITRD_SIZE];
	struct loader_context ctx;
	struct guest_entry_state entry;
	char err[320];
	u8 file[T_FILE_MAX];
};

static struct t_env *env;

static inline u8 t_initrd_byte(u64 i)
{
	return (u8)(i * 13 + 5);
}

static inline void t_env_init(u64 ram_size)
{
	env = calloc(1, sizeof(*env));
	assert_non_null(env);
	env->ram_size = ram_size;
	env->ram = aligned_alloc(PAGE_SIZE, ram_size);
	assert_non_null(env->ram);
	memset(env->ram, T_RAM_FILL, ram_size);
	guest_memory_init(&env->mem);
	assert_int_equal(guest_memory_add(&env->mem, 0, ram_size, (hpa_t)(uintptr_t)env->ram,
					  PT_RWX, GPA_REGION_RAM), 0);
	env->config.memory_size = ram_size;
	env->config.format = IMAGE_FORMAT_LINUX;
	strcpy(env->config.cmdline, T_CMDLINE);
	strcpy(env->config.initrd, T_INITRD);
	for (u64 i = 0; i < T_INITRD_SIZE; i++)
		env->initrd_data[i] = t_initrd_byte(i);
	env->image = (struct image_file){ T_IMAGE, env->file, 0 };
	env->initrd = (struct image_file){ T_INITRD, env->initrd_data, T_INITRD_SIZE };
	env->ctx = (struct loader_context){ .config = &env->config, .memory = &env->mem,
					    .image = &env->image, .err = env->err,
					    .err_size = sizeof(env->err), .initrd = &env->initrd };
}

static inline int t_setup(void **state)
{
	t_env_init(T_RAM_SIZE);
	return 0;
}

static inline int t_teardown(void **state)
{
	if (env) {
		free(env->ram);
		free(env);
		env = NULL;
	}
	return 0;
}

static inline int t_load(void)
{
	env->err[0] = '\0';
	return loader_load(&env->ctx, &env->entry);
}

static inline u8 *t_gpa(u64 gpa)
{
	assert_true(gpa < env->ram_size);
	return env->ram + gpa;
}

static inline u64 t_read(u64 gpa, u32 size)
{
	u64 value = 0;

	memcpy(&value, t_gpa(gpa), size);
	return value;
}

/* A rejected image must leave guest RAM as it was: every check comes before any write. */
static inline void t_assert_ram_untouched(void)
{
	for (u64 i = 0; i < env->ram_size; i++)
		if (env->ram[i] != T_RAM_FILL)
			fail_msg("byte at 0x%lx was written by a rejected image", i);
}

static inline void t_expect_error(int code, const char *message)
{
	memset(env->ram, T_RAM_FILL, env->ram_size);
	assert_int_equal(t_load(), code);
	assert_string_equal(env->err, message);
	t_assert_ram_untouched();
}

static inline void t_assert_initrd_at(u64 gpa)
{
	for (u64 i = 0; i < T_INITRD_SIZE; i++)
		if (t_gpa(gpa)[i] != t_initrd_byte(i))
			fail_msg("initrd byte %lu at 0x%lx is wrong", i, gpa + i);
}

#endif
