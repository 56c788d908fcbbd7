/* Unit tests for rift/wg/replay: order, repeats, the window's edge, jumps, the limit. */
#include <glib.h>

#include "rift/wg/replay.h"

static void test_basics(void)
{
	struct rg_wg_replay r;

	rg_wg_replay_init(&r);
	for (uint64_t i = 0; i < 20000; i++)
		g_assert_true(rg_wg_replay_accept(&r, i));
	g_assert_false(rg_wg_replay_accept(&r, 19999)); /* a repeat */
	g_assert_false(rg_wg_replay_accept(&r, 15000));
	/* out of order, within the window: once each */
	g_assert_true(rg_wg_replay_accept(&r, 20005));
	g_assert_true(rg_wg_replay_accept(&r, 20001));
	g_assert_false(rg_wg_replay_accept(&r, 20001));
	g_assert_true(rg_wg_replay_accept(&r, 20000));
	/* the window's edge: highest 20005 */
	rg_wg_replay_init(&r);
	g_assert_true(rg_wg_replay_accept(&r, 20005));
	g_assert_true(rg_wg_replay_accept(&r, 20005 - RG_WG_REPLAY_WINDOW));
	g_assert_false(rg_wg_replay_accept(&r, 20005 - RG_WG_REPLAY_WINDOW - 1));
	/* a jump far ahead forgets everything behind the new window */
	g_assert_true(rg_wg_replay_accept(&r, 1000000));
	g_assert_false(rg_wg_replay_accept(&r, 20005));
	g_assert_true(rg_wg_replay_accept(&r, 999999));
	/* the last counters a key may use */
	g_assert_true(rg_wg_replay_accept(&r, RG_WG_REJECT_AFTER_MESSAGES - 1));
	g_assert_false(rg_wg_replay_accept(&r, RG_WG_REJECT_AFTER_MESSAGES));
	g_assert_false(rg_wg_replay_accept(&r, UINT64_MAX));
}

/* Against a set: 200,000 counters from a moving, jittered source. */
static void test_random_vs_set(void)
{
	struct rg_wg_replay r;
	GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	GRand *g = g_rand_new_with_seed(7);
	uint64_t base = 0, highest = 0;
	bool any = false;

	rg_wg_replay_init(&r);
	for (int k = 0; k < 200000; k++) {
		uint64_t c;
		bool want;

		base += (uint64_t)g_rand_int_range(g, 0, 3);
		if (g_rand_int_range(g, 0, 1000) == 0)
			base += (uint64_t)g_rand_int_range(g, 0, 20000); /* a jump */
		c = base + (uint64_t)g_rand_int_range(g, 0, 9000) - MIN(base, 8500);
		want = !g_hash_table_contains(seen, &c) &&
		       (!any || c > highest || highest - c <= RG_WG_REPLAY_WINDOW);
		g_assert_cmpint(rg_wg_replay_accept(&r, c), ==, want);
		if (want) {
			uint64_t *key = g_new(uint64_t, 1);

			*key = c;
			g_hash_table_add(seen, key);
			if (!any || c > highest)
				highest = c;
			any = true;
		}
	}
	g_rand_free(g);
	g_hash_table_unref(seen);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/replay/basics", test_basics);
	g_test_add_func("/wg/replay/random-vs-set", test_random_vs_set);
	return g_test_run();
}
