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

/* Add and flush n bytes of byte value v. */
static void put_batch(struct gt_outbox *ob, size_t n, uint8_t v)
{
	uint8_t *p = g_malloc(n);
	bool now;

	memset(p, v, n);
	g_assert_cmpint(gt_outbox_add(ob, 0, p, n, &now), ==, CORE_OK);
	gt_outbox_flush(ob);
	g_free(p);
}

/*
 * Lossless mode: room closes once a window is unacknowledged, nothing
 * unacknowledged is ever evicted (a peer that had nothing gets every byte),
 * and acks open the room again.
 */
static void test_window(void)
{
	struct gt_outbox ob;
	struct sink k = { g_string_new(NULL), g_array_new(FALSE, FALSE, sizeof(uint64_t)),
			  1 << 20 };
	size_t batch = 30000, added = 0;
	uint64_t n;
	bool gap = true;

	gt_outbox_init(&ob, 0); /* the reference's 4096-byte replay size */
	while (gt_outbox_has_room(&ob)) {
		put_batch(&ob, batch, (uint8_t)ob.seq);
		added += batch;
		g_assert_cmpuint(added, <, 2 * GT_OUTBOX_WINDOW);
	}
	g_assert_cmpuint(added, >=, GT_OUTBOX_WINDOW);
	n = ob.seq;
	/* the connection broke before anything arrived: all of it is still there */
	gt_outbox_rewind(&ob, 0);
	g_assert_true(gt_outbox_pump(&ob, sink_send, &k, &gap));
	g_assert_false(gap);
	g_assert_cmpuint(k.got->len, ==, added);
	g_assert_cmpuint(k.seqs->len, ==, n);
	/* half acknowledged: room again; everything then acknowledged */
	gt_outbox_ack(&ob, n / 2);
	g_assert_true(gt_outbox_has_room(&ob));
	g_assert_cmpuint(ob.unacked_count, ==, n - n / 2);
	gt_outbox_ack(&ob, n / 4); /* acks never move back */
	g_assert_cmpuint(ob.unacked_count, ==, n - n / 2);
	gt_outbox_ack(&ob, n + 100); /* nor beyond what was sent */
	g_assert_cmpuint(ob.acked, ==, n);
	g_assert_cmpuint(ob.unacked_bytes, ==, 0);
	/* many small entries: the slot count closes the room too */
	for (size_t i = 0; gt_outbox_has_room(&ob); i++) {
		put_batch(&ob, 1, 'k');
		g_assert_cmpuint(i, <, gt_catchup_slots(ob.replay));
	}
	g_assert_cmpuint(ob.unacked_bytes, <, 16384); /* closed by slots, not bytes */
	/* goet-v1 peers never acknowledge: never a pause */
	gt_outbox_set_lossless(&ob, false);
	g_assert_true(gt_outbox_has_room(&ob));
	gt_outbox_free(&ob);
	g_string_free(k.got, TRUE);
	g_array_free(k.seqs, TRUE);
}

/* A restarted peer (it has less than it acknowledged) gets only the replay size of history. */
static void test_restarted_peer_history(void)
{
	struct gt_outbox ob;
	struct sink k = { g_string_new(NULL), g_array_new(FALSE, FALSE, sizeof(uint64_t)), 1000 };

	gt_outbox_init(&ob, 0);
	for (int i = 0; i < 10; i++)
		put_batch(&ob, 1000, (uint8_t)('a' + i));
	gt_outbox_rewind(&ob, 8); /* the old process had 8 when it reconnected */
	put_batch(&ob, 10, 'z');  /* never acknowledged */
	gt_outbox_rewind(&ob, 0); /* a new process */
	g_assert_true(gt_outbox_pump(&ob, sink_send, &k, NULL));
	/* 4096 bytes of history: entries 5..8, then 9, 10 and 11 which were never acked */
	g_assert_cmpuint(k.seqs->len, ==, 7);
	g_assert_cmpuint(g_array_index(k.seqs, uint64_t, 0), ==, 5);
	g_assert_cmpuint(k.got->len, ==, 6 * 1000 + 10);
	gt_outbox_free(&ob);
	g_string_free(k.got, TRUE);
	g_array_free(k.seqs, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/outbox/pump-rewind", test_pump_rewind);
	g_test_add_func("/outbox/rebase", test_rebase);
	g_test_add_func("/outbox/overflow-flushes-first", test_overflow_flushes_first);
	g_test_add_func("/outbox/window", test_window);
	g_test_add_func("/outbox/restarted-peer-history", test_restarted_peer_history);
	return g_test_run();
}
