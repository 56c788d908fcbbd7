/* Unit tests for goet/catchup: limits, eviction, replay and gaps. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "goet/catchup.h"

struct collected {
	GArray *seqs;
	size_t stop_after; /* 0 = never stop */
};

static bool collect(const struct gt_catchup_entry *e, void *data)
{
	struct collected *c = data;

	if (c->stop_after != 0 && c->seqs->len == c->stop_after)
		return false;
	g_array_append_val(c->seqs, e->seq);
	return true;
}

/* Replay after `after` and return the seqs as "1,2,3" (g_free). */
static char *replay_str(struct gt_catchup *c, uint64_t after, bool *gap)
{
	struct collected col = { g_array_new(FALSE, FALSE, sizeof(uint64_t)), 0 };
	GString *s = g_string_new(NULL);
	size_t n = gt_catchup_replay(c, after, collect, &col, gap);

	g_assert_cmpuint(n, ==, col.seqs->len);
	for (guint i = 0; i < col.seqs->len; i++)
		g_string_append_printf(s, "%s%" G_GUINT64_FORMAT, i ? "," : "",
				       g_array_index(col.seqs, uint64_t, i));
	g_array_free(col.seqs, TRUE);
	return g_string_free(s, FALSE);
}

static void test_limits(void)
{
	struct gt_catchup *c = gt_catchup_new(0);

	g_assert_cmpuint(gt_catchup_max_bytes(c), ==, 4096);
	g_assert_cmpuint(gt_catchup_slots(c), ==, 256);
	gt_catchup_free(c);
	c = gt_catchup_new(-5);
	g_assert_cmpuint(gt_catchup_max_bytes(c), ==, 4096);
	gt_catchup_free(c);
	c = gt_catchup_new(64 << 20);
	g_assert_cmpuint(gt_catchup_slots(c), ==, 65536);
	gt_catchup_free(c);
	c = gt_catchup_new(INT64_C(4) << 40);
	g_assert_cmpuint(gt_catchup_slots(c), ==, 1048576);
	gt_catchup_free(c);
}

static void test_soft_byte_limit(void)
{
	struct gt_catchup *c = gt_catchup_new(4096);
	uint8_t *big = g_malloc0(32768);
	struct gt_catchup_entry e;
	char *s;

	for (uint64_t i = 1; i <= 4; i++)
		gt_catchup_store(c, i, "0123456789", 10);
	g_assert_cmpuint(gt_catchup_count(c), ==, 4);
	g_assert_cmpuint(gt_catchup_bytes(c), ==, 40);
	/* a 32 KiB entry with a 4 KiB limit evicts everything and is kept alone */
	big[32767] = 0x7e;
	gt_catchup_store(c, 5, big, 32768);
	g_assert_cmpuint(gt_catchup_count(c), ==, 1);
	g_assert_cmpuint(gt_catchup_bytes(c), ==, 32768);
	g_assert_cmpint(gt_catchup_get(c, 0, &e), ==, CORE_OK);
	g_assert_cmpuint(e.seq, ==, 5);
	g_assert_cmpuint(e.bytes[32767], ==, 0x7e);
	g_assert_true(e.bytes != big); /* a private copy */
	g_assert_cmpint(gt_catchup_get(c, 1, &e), ==, CORE_ERR_NOT_FOUND);
	/* and the next small one evicts it */
	gt_catchup_store(c, 6, "x", 1);
	s = replay_str(c, 0, NULL);
	g_assert_cmpstr(s, ==, "6");
	g_free(s);
	gt_catchup_free(c);
	g_free(big);
}

static void test_byte_eviction_order(void)
{
	struct gt_catchup *c = gt_catchup_new(100);
	char block[40] = { 0 };
	char *s;

	for (uint64_t i = 1; i <= 5; i++)
		gt_catchup_store(c, i, block, sizeof(block));
	/* 40 + 40 fits in 100; a third would not */
	g_assert_cmpuint(gt_catchup_count(c), ==, 2);
	g_assert_cmpuint(gt_catchup_oldest_seq(c), ==, 4);
	g_assert_cmpuint(gt_catchup_newest_seq(c), ==, 5);
	s = replay_str(c, 0, NULL);
	g_assert_cmpstr(s, ==, "4,5");
	g_free(s);
	gt_catchup_free(c);
}

static void test_slot_eviction(void)
{
	struct gt_catchup *c = gt_catchup_new(1 << 20); /* 1024 slots */
	char *s;

	g_assert_cmpuint(gt_catchup_slots(c), ==, 1024);
	for (uint64_t i = 1; i <= 1030; i++)
		gt_catchup_store(c, i, "z", 1);
	g_assert_cmpuint(gt_catchup_count(c), ==, 1024);
	g_assert_cmpuint(gt_catchup_oldest_seq(c), ==, 7);
	g_assert_cmpuint(gt_catchup_newest_seq(c), ==, 1030);
	s = replay_str(c, 1027, NULL);
	g_assert_cmpstr(s, ==, "1028,1029,1030");
	g_free(s);
	gt_catchup_free(c);
}

static void test_replay_cases(void)
{
	struct gt_catchup *c = gt_catchup_new(4096);
	bool gap = true;
	char *s;

	g_assert_cmpuint(gt_catchup_oldest_seq(c), ==, 0);
	g_assert_cmpuint(gt_catchup_newest_seq(c), ==, 0);
	s = replay_str(c, 0, &gap);
	g_assert_cmpstr(s, ==, "");
	g_assert_false(gap);
	g_free(s);
	for (uint64_t i = 1; i <= 5; i++)
		gt_catchup_store(c, i, "ab", 2);
	s = replay_str(c, 0, &gap);
	g_assert_cmpstr(s, ==, "1,2,3,4,5");
	g_assert_false(gap);
	g_free(s);
	s = replay_str(c, 3, &gap);
	g_assert_cmpstr(s, ==, "4,5");
	g_free(s);
	s = replay_str(c, 5, &gap); /* up to date */
	g_assert_cmpstr(s, ==, "");
	g_assert_false(gap);
	g_free(s);
	s = replay_str(c, 99, &gap); /* peer claims more than we sent */
	g_assert_cmpstr(s, ==, "");
	g_assert_false(gap);
	g_free(s);
	gt_catchup_free(c);
}

static void test_evicted_gap(void)
{
	struct gt_catchup *c = gt_catchup_new(10);
	bool gap = false;
	char *s;

	for (uint64_t i = 1; i <= 10; i++)
		gt_catchup_store(c, i, "abcde", 5); /* only 2 entries fit */
	s = replay_str(c, 3, &gap);
	g_assert_cmpstr(s, ==, "9,10"); /* 4..8 are gone: silently skipped */
	g_assert_true(gap);
	g_free(s);
	s = replay_str(c, 8, &gap);
	g_assert_cmpstr(s, ==, "9,10");
	g_assert_false(gap);
	g_free(s);
	gt_catchup_free(c);
}

static void test_replay_stop_and_resume(void)
{
	struct gt_catchup *c = gt_catchup_new(4096);
	struct collected col = { g_array_new(FALSE, FALSE, sizeof(uint64_t)), 2 };
	char *s;

	for (uint64_t i = 1; i <= 5; i++)
		gt_catchup_store(c, i, "q", 1);
	g_assert_cmpuint(gt_catchup_replay(c, 0, collect, &col, NULL), ==, 2);
	/* resume after the last one sent */
	s = replay_str(c, g_array_index(col.seqs, uint64_t, 1), NULL);
	g_assert_cmpstr(s, ==, "3,4,5");
	g_free(s);
	g_array_free(col.seqs, TRUE);
	gt_catchup_free(c);
}

static void test_no_ordering_check(void)
{
	struct gt_catchup *c = gt_catchup_new(4096);
	char *s;

	/* a restarted client numbers from 1 again: stored as given */
	gt_catchup_store(c, 50, "a", 1);
	gt_catchup_store(c, 1, "b", 1);
	gt_catchup_store(c, 0, NULL, 0);
	g_assert_cmpuint(gt_catchup_count(c), ==, 3);
	g_assert_cmpuint(gt_catchup_newest_seq(c), ==, 0);
	s = replay_str(c, 0, NULL);
	g_assert_cmpstr(s, ==, "50,1");
	g_free(s);
	gt_catchup_free(c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/catchup/limits", test_limits);
	g_test_add_func("/catchup/soft-byte-limit", test_soft_byte_limit);
	g_test_add_func("/catchup/byte-eviction-order", test_byte_eviction_order);
	g_test_add_func("/catchup/slot-eviction", test_slot_eviction);
	g_test_add_func("/catchup/replay-cases", test_replay_cases);
	g_test_add_func("/catchup/evicted-gap", test_evicted_gap);
	g_test_add_func("/catchup/replay-stop-and-resume", test_replay_stop_and_resume);
	g_test_add_func("/catchup/no-ordering-check", test_no_ordering_check);
	return g_test_run();
}
