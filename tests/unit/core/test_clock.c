/* Unit tests for core/clock: clocks advance; deadlines are exact. */
#include <glib.h>
#include <limits.h>
#include <time.h>

#include "core/clock.h"

static void test_clocks(void)
{
	int64_t a = core_time_now_us(), b;
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	int64_t wall = core_time_wall_ms();

	nanosleep(&ts, NULL);
	b = core_time_now_us();
	g_assert_cmpint(b - a, >=, 2000);
	g_assert_cmpint(b - a, <, 5 * CORE_USEC_PER_SEC);
	g_assert_cmpint(core_time_now_ns() / 1000, >=, b);
	/* after 2020-01-01 */
	g_assert_cmpint(wall, >, INT64_C(1577836800000));
}

static void test_deadline(void)
{
	struct core_deadline d = { 0 };

	g_assert_false(core_deadline_is_set(&d));
	g_assert_false(core_deadline_expired(&d, 1000));
	g_assert_cmpint(core_deadline_remaining_us(&d, 0), ==, -1);
	g_assert_cmpuint(core_deadline_remaining_ms_ceil(&d, 0), ==, UINT_MAX);

	core_deadline_set(&d, 1000, 2500);
	g_assert_true(core_deadline_is_set(&d));
	g_assert_false(core_deadline_expired(&d, 3499));
	g_assert_true(core_deadline_expired(&d, 3500));
	g_assert_cmpint(core_deadline_remaining_us(&d, 1000), ==, 2500);
	g_assert_cmpint(core_deadline_remaining_us(&d, 9999), ==, 0);
	/* 2.5 ms left rounds up to 3: a timer never fires early */
	g_assert_cmpuint(core_deadline_remaining_ms_ceil(&d, 1000), ==, 3);
	g_assert_cmpuint(core_deadline_remaining_ms_ceil(&d, 2500), ==, 1);
	g_assert_cmpuint(core_deadline_remaining_ms_ceil(&d, 3500), ==, 0);

	/* negative timeout: expires now; time 0 is still a set deadline */
	core_deadline_set(&d, 0, -5);
	g_assert_true(core_deadline_is_set(&d));
	g_assert_true(core_deadline_expired(&d, 1));
	core_deadline_clear(&d);
	g_assert_false(core_deadline_is_set(&d));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/clock/clocks", test_clocks);
	g_test_add_func("/clock/deadline", test_deadline);
	return g_test_run();
}
