// SPDX-License-Identifier: MIT
/* Unit tests for the restart bookkeeping (vmm/restart.c): the backoff sequence and its cap,
 * and zeroing a guest's RAM in bounded steps under a fake clock. */
#include "test_support.h"

#include <moat/frame.h>
#include <moat/restart.h>

#define RAM_SIZE   MIB(8) /* eight chunks */
#define PATTERN	   0x5a
#define STEP_TICKS 100

static u8 *ram;
static u64 fake_now;
static u64 fake_tick; /* how far each reading advances the clock */

static u64 fake_clock(void)
{
	u64 now = fake_now;

	fake_now += fake_tick;
	return now;
}

static int setup(void **state)
{
	ram = aligned_alloc(PAGE_SIZE, RAM_SIZE);
	assert_non_null(ram);
	memset(ram, PATTERN, RAM_SIZE);
	fake_now = 0;
	fake_tick = 0;
	return 0;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

static bool all_bytes(u64 from, u64 to, u8 value)
{
	for (u64 i = from; i < to; i++)
		if (ram[i] != value)
			return false;
	return true;
}

static void test_backoff_doubles_to_its_cap(void **state)
{
	static const u32 want[] = { 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000 };

	for (u32 i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(restart_backoff_ms(i + 1, 1000), want[i]);
	/* Far past the cap, no overflow. */
	assert_int_equal(restart_backoff_ms(100000, 1000), 1000);
	assert_int_equal(restart_backoff_ms(100000, 60000), 60000);
	/* A cap below the first wait is the wait; 0 restarts at once. */
	assert_int_equal(restart_backoff_ms(1, 5), 5);
	assert_int_equal(restart_backoff_ms(1, 0), 0);
	assert_int_equal(restart_backoff_ms(30, 0), 0);
}

/* A slow clock: each step zeroes one chunk (never less), and the rest stays untouched. */
static void test_scrub_steps_are_bounded(void **state)
{
	struct restart_scrub scrub;

	fake_tick = STEP_TICKS; /* one chunk uses up the whole budget */
	restart_scrub_init(&scrub, ptr_to_hpa(ram), RAM_SIZE);
	assert_false(restart_scrub_done(&scrub));
	for (u64 chunk = 1; chunk < RAM_SIZE / RESTART_SCRUB_CHUNK; chunk++) {
		assert_false(restart_scrub_step(&scrub, STEP_TICKS, fake_clock));
		assert_int_equal(scrub.done, chunk * RESTART_SCRUB_CHUNK);
		assert_true(all_bytes(0, scrub.done, 0));
		assert_true(all_bytes(scrub.done, RAM_SIZE, PATTERN));
	}
	assert_true(restart_scrub_step(&scrub, STEP_TICKS, fake_clock));
	assert_true(all_bytes(0, RAM_SIZE, 0));
	/* Done: further steps do nothing. */
	assert_true(restart_scrub_step(&scrub, STEP_TICKS, fake_clock));
	assert_int_equal(scrub.done, RAM_SIZE);
}

/* A fast clock: one step zeroes as many chunks as fit in its budget. */
static void test_scrub_step_uses_its_budget(void **state)
{
	struct restart_scrub scrub;

	fake_tick = 10; /* three chunks fit in a budget of 30 ticks */
	restart_scrub_init(&scrub, ptr_to_hpa(ram), RAM_SIZE);
	assert_false(restart_scrub_step(&scrub, 30, fake_clock));
	assert_int_equal(scrub.done, 3 * RESTART_SCRUB_CHUNK);
	assert_true(all_bytes(scrub.done, RAM_SIZE, PATTERN));
	fake_tick = 0; /* a clock that never moves: the step runs to the end */
	assert_true(restart_scrub_step(&scrub, 30, fake_clock));
	assert_true(all_bytes(0, RAM_SIZE, 0));
}

/* A size that is not a whole number of chunks ends with a partial chunk, and nothing past
 * the end is written. */
static void test_scrub_partial_last_chunk(void **state)
{
	struct restart_scrub scrub;
	u64 size = RESTART_SCRUB_CHUNK + 5 * PAGE_SIZE;

	fake_tick = STEP_TICKS;
	restart_scrub_init(&scrub, ptr_to_hpa(ram), size);
	assert_false(restart_scrub_step(&scrub, STEP_TICKS, fake_clock));
	assert_true(restart_scrub_step(&scrub, STEP_TICKS, fake_clock));
	assert_int_equal(scrub.done, size);
	assert_true(all_bytes(0, size, 0));
	assert_true(all_bytes(size, RAM_SIZE, PATTERN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_to_its_cap),
		cmocka_unit_test_setup_teardown(test_scrub_steps_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scrub_step_uses_its_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scrub_partial_last_chunk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
