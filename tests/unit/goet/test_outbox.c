/* Unit tests for goet/outbox: numbering, pumping from a cursor, rewind, back-pressure. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "goet/outbox.h"

struct sink {
	GString *got;
	GArray *seqs;
	unsigned budget; /* entries accepted before refusing */
};

static bool sink_send(uint64_t seq, const uint8_t *p, size_t n, void *data)
{
	struct sink *k = data;

	if (k->budget == 0)
		return false;
	k->budget--;
	g_string_append_len(k->got, (const char *)p, (gssize)n);
	g_array_append_val(k->seqs, seq);
	return true;
}

static void test_pump_rewind(void)
{
	struct gt_outbox ob;
	struct sink k = { g_string_new(NULL), g_array_new(FALSE, FALSE, sizeof(uint64_t)), 100 };
	bool now, gap;

	gt_outbox_init(&ob, 0);
	g_assert_cmpint(gt_outbox_add(&ob, 0, "ab", 2, &now), ==, CORE_OK);
	g_assert_cmpint(gt_outbox_add(&ob, 500, "c", 1, &now), ==, CORE_OK);
	g_assert_cmpint(gt_outbox_deadline_us(&ob), ==, 2000);
	gt_outbox_flush(&ob);
	g_assert_cmpint(gt_outbox_deadline_us(&ob), ==, -1);
	gt_outbox_add(&ob, 3000, "de", 2, &now);
	gt_outbox_flush(&ob);
	g_assert_true(gt_outbox_pump(&ob, sink_send, &k, &gap));
	g_assert_cmpstr(k.got->str, ==, "abcde");
	g_assert_cmpuint(k.seqs->len, ==, 2);
	g_assert_false(gap);
	/* the peer comes back having seen only seq 1: seq 2 again, once */
	gt_outbox_rewind(&ob, 1);
	g_string_truncate(k.got, 0);
	g_assert_true(gt_outbox_pump(&ob, sink_send, &k, &gap));
	g_assert_cmpstr(k.got->str, ==, "de");
	/* a refusing sink stops the pump; the rest goes later */
	gt_outbox_add(&ob, 4000, "f", 1, &now);
	gt_outbox_flush(&ob);
	gt_outbox_add(&ob, 5000, "g", 1, &now);
	gt_outbox_flush(&ob);
	k.budget = 1;
	g_string_truncate(k.got, 0);
	g_assert_false(gt_outbox_pump(&ob, sink_send, &k, &gap));
	g_assert_cmpstr(k.got->str, ==, "f");
	k.budget = 10;
	g_assert_true(gt_outbox_pump(&ob, sink_send, &k, &gap));
	g_assert_cmpstr(k.got->str, ==, "fg");
	/* discard drops only the pending batch */
	gt_outbox_add(&ob, 6000, "x", 1, &now);
	gt_outbox_discard(&ob);
	gt_outbox_flush(&ob);
	g_assert_cmpuint(ob.seq, ==, 4);
	g_assert_cmpint(gt_outbox_add(&ob, 0, NULL, GT_COALESCE_MAX_READ + 2, &now), ==,
			CORE_ERR_TOO_LARGE);
	gt_outbox_free(&ob);
	g_string_free(k.got, TRUE);
	g_array_free(k.seqs, TRUE);
}

static void test_rebase(void)
{
	struct gt_outbox ob;
	struct sink k = { g_string_new(NULL), g_array_new(FALSE, FALSE, sizeof(uint64_t)), 100 };
	bool now;

	gt_outbox_init(&ob, 0);
	gt_outbox_add(&ob, 0, "ls\n", 3, &now);
	gt_outbox_flush(&ob);
	gt_outbox_add(&ob, 0, "pwd\n", 4, &now);
	gt_outbox_flush(&ob);
	/* the session already has 7 entries from an earlier client process */
	gt_outbox_rebase(&ob, 7);
	g_assert_true(gt_outbox_pump(&ob, sink_send, &k, NULL));
	g_assert_cmpstr(k.got->str, ==, "ls\npwd\n");
	g_assert_cmpuint(g_array_index(k.seqs, uint64_t, 0), ==, 8);
	g_assert_cmpuint(g_array_index(k.seqs, uint64_t, 1), ==, 9);
	gt_outbox_free(&ob);
	g_string_free(k.got, TRUE);
	g_array_free(k.seqs, TRUE);
}

static void test_overflow_flushes_first(void)
{
	struct gt_outbox ob;
	uint8_t *big = g_malloc0(GT_COALESCE_MAX_READ);
	bool now;

	gt_outbox_init(&ob, 1 << 20);
	for (int i = 0; i < 5; i++)
		g_assert_cmpint(gt_outbox_add(&ob, 0, big, GT_COALESCE_MAX_READ, &now), ==,
				CORE_OK);
	/* never more than one batch pending: the earlier ones were numbered */
	g_assert_cmpuint(ob.seq, >=, 2);
	gt_outbox_flush(&ob);
	g_assert_cmpuint(gt_catchup_bytes(ob.replay), ==, 5 * GT_COALESCE_MAX_READ);
	gt_outbox_free(&ob);
	g_free(big);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/outbox/pump-rewind", test_pump_rewind);
	g_test_add_func("/outbox/rebase", test_rebase);
	g_test_add_func("/outbox/overflow-flushes-first", test_overflow_flushes_first);
	return g_test_run();
}
