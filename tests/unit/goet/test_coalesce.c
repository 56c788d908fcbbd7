/* Unit tests for goet/coalesce with an injected clock. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "goet/coalesce.h"

static void test_deadline_from_first_byte(void)
{
	struct gt_coalesce c;
	bool now = true;
	size_t n;

	gt_coalesce_init(&c, 0);
	g_assert_cmpint(gt_coalesce_deadline_us(&c), ==, -1);
	g_assert_false(gt_coalesce_due(&c, 1000000));
	g_assert_cmpint(gt_coalesce_add(&c, 1000, "a", 1, &now), ==, CORE_OK);
	g_assert_false(now);
	g_assert_cmpint(gt_coalesce_deadline_us(&c), ==, 3000);
	/* later bytes do not postpone it: a deadline, not a debounce */
	g_assert_cmpint(gt_coalesce_add(&c, 2500, "bc", 2, &now), ==, CORE_OK);
	g_assert_cmpint(gt_coalesce_deadline_us(&c), ==, 3000);
	g_assert_false(gt_coalesce_due(&c, 2999));
	g_assert_true(gt_coalesce_due(&c, 3000));
	g_assert_cmpmem(gt_coalesce_data(&c, &n), n, "abc", 3);
	gt_coalesce_clear(&c);
	g_assert_cmpint(gt_coalesce_deadline_us(&c), ==, -1);
	g_assert_cmpuint(gt_coalesce_len(&c), ==, 0);
	gt_coalesce_free(&c);
}

static void test_empty_add(void)
{
	struct gt_coalesce c;
	bool now = true;

	gt_coalesce_init(&c, 0);
	g_assert_cmpint(gt_coalesce_add(&c, 5, NULL, 0, &now), ==, CORE_OK);
	g_assert_false(now);
	g_assert_cmpint(gt_coalesce_deadline_us(&c), ==, -1); /* no timer for nothing */
	gt_coalesce_free(&c);
}

static void test_threshold(void)
{
	struct gt_coalesce c;
	uint8_t *chunk = g_malloc0(GT_COALESCE_MAX_READ);
	bool now;

	gt_coalesce_init(&c, 0);
	g_assert_cmpint(gt_coalesce_add(&c, 0, chunk, GT_COALESCE_THRESHOLD - 1, &now), ==,
			CORE_OK);
	g_assert_false(now);
	g_assert_false(gt_coalesce_due(&c, 0));
	/* the reference's worst case: 32767 pending + one 32768-byte read + a tilde */
	g_assert_cmpint(gt_coalesce_add(&c, 1, chunk, GT_COALESCE_MAX_READ, &now), ==, CORE_OK);
	g_assert_true(now);
	g_assert_true(gt_coalesce_due(&c, 1));
	g_assert_cmpint(gt_coalesce_add(&c, 1, "~", 1, &now), ==, CORE_OK);
	g_assert_cmpuint(gt_coalesce_len(&c), ==, GT_COALESCE_DEFAULT_CAP);
	/* one byte more than the bound is refused whole */
	g_assert_cmpint(gt_coalesce_add(&c, 1, "x", 1, &now), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpuint(gt_coalesce_len(&c), ==, GT_COALESCE_DEFAULT_CAP);
	gt_coalesce_free(&c);
	g_free(chunk);
}

static void test_sustained_output(void)
{
	struct gt_coalesce c;
	int flushes = 0;
	int64_t t;

	gt_coalesce_init(&c, 0);
	/* 100 bytes every 500 us for 20 ms: a flush every 2 ms */
	for (t = 0; t < 20000; t += 500) {
		if (gt_coalesce_due(&c, t)) {
			g_assert_cmpuint(gt_coalesce_len(&c), ==, 400);
			gt_coalesce_clear(&c);
			flushes++;
		}
		g_assert_cmpint(gt_coalesce_add(&c, t, "0123456789", 10, NULL), ==, CORE_OK);
		for (int i = 0; i < 9; i++)
			gt_coalesce_add(&c, t, "0123456789", 10, NULL);
	}
	g_assert_cmpint(flushes, ==, 9);
	gt_coalesce_free(&c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/coalesce/deadline-from-first-byte", test_deadline_from_first_byte);
	g_test_add_func("/coalesce/empty-add", test_empty_add);
	g_test_add_func("/coalesce/threshold", test_threshold);
	g_test_add_func("/coalesce/sustained-output", test_sustained_output);
	return g_test_run();
}
