/*
 * Unit tests for goet/fwdchan: a forwarded connection's bytes through
 * sends, the window, acks, reconnects (resends from the ack), half-close,
 * and the peer's protocol errors, with exact offsets.
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "goet/fwdchan.h"

static void test_tx_window_and_chunks(void)
{
	struct gt_fwd_tx tx;
	struct gt_fwd_chunk c;
	uint8_t *data = g_malloc(GT_FWD_WINDOW + 1);
	uint64_t expect = 0;

	for (size_t i = 0; i <= GT_FWD_WINDOW; i++)
		data[i] = (uint8_t)(i * 7);
	gt_fwd_tx_init(&tx);
	g_assert_cmpuint(gt_fwd_tx_room(&tx), ==, GT_FWD_WINDOW);
	g_assert_false(gt_fwd_tx_next(&tx, SIZE_MAX, &c));
	g_assert_cmpint(gt_fwd_tx_push(&tx, data, GT_FWD_WINDOW + 1), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpint(gt_fwd_tx_push(&tx, data, GT_FWD_WINDOW), ==, CORE_OK);
	g_assert_cmpuint(gt_fwd_tx_room(&tx), ==, 0);
	/* a peer window of 100 KiB: four chunks of 32 KiB, the last one 4 KiB */
	g_assert_cmpint(gt_fwd_tx_ack(&tx, 0, 100 * 1024), ==, CORE_OK);
	while (gt_fwd_tx_next(&tx, SIZE_MAX, &c)) {
		g_assert_cmpuint(c.offset, ==, expect);
		g_assert_cmpmem(c.bytes, c.len, data + c.offset, c.len);
		g_assert_cmpuint(c.len, <=, GT_FWD_CHUNK);
		expect += c.len;
	}
	g_assert_cmpuint(expect, ==, 100 * 1024);
	/* max below the chunk size */
	g_assert_cmpint(gt_fwd_tx_ack(&tx, 50 * 1024, 100 * 1024), ==, CORE_OK);
	g_assert_true(gt_fwd_tx_next(&tx, 10, &c));
	g_assert_cmpuint(c.offset, ==, 100 * 1024);
	g_assert_cmpuint(c.len, ==, 10);
	g_assert_cmpmem(c.bytes, 10, data + 100 * 1024, 10);
	g_assert_cmpuint(gt_fwd_tx_room(&tx), ==, 50 * 1024);
	/* the freed room takes new bytes, kept after the old ones */
	g_assert_cmpint(gt_fwd_tx_push(&tx, data, 50 * 1024), ==, CORE_OK);
	g_assert_cmpint(gt_fwd_tx_ack(&tx, GT_FWD_WINDOW, GT_FWD_WINDOW), ==, CORE_OK);
	g_assert_true(gt_fwd_tx_next(&tx, SIZE_MAX, &c));
	g_assert_cmpuint(c.offset, ==, GT_FWD_WINDOW);
	g_assert_cmpmem(c.bytes, 16, data, 16);
	gt_fwd_tx_free(&tx);
	g_free(data);
}

static void test_tx_ack_rules(void)
{
	struct gt_fwd_tx tx;
	struct gt_fwd_chunk c;

	gt_fwd_tx_init(&tx);
	g_assert_cmpint(gt_fwd_tx_push(&tx, "hello world", 11), ==, CORE_OK);
	g_assert_true(gt_fwd_tx_next(&tx, 5, &c));
	g_assert_cmpint(gt_fwd_tx_ack(&tx, 12, GT_FWD_WINDOW), ==, CORE_ERR_BAD_VALUE);
	g_assert_cmpint(gt_fwd_tx_ack(&tx, 3, GT_FWD_WINDOW), ==, CORE_OK);
	g_assert_cmpint(gt_fwd_tx_ack(&tx, 2, 0), ==, CORE_OK); /* stale: ignored */
	g_assert_cmpuint(tx.acked, ==, 3);
	g_assert_cmpuint(tx.window, ==, GT_FWD_WINDOW);
	/* a reconnect: everything after the ack again */
	gt_fwd_tx_rewind(&tx);
	g_assert_true(gt_fwd_tx_next(&tx, SIZE_MAX, &c));
	g_assert_cmpuint(c.offset, ==, 3);
	g_assert_cmpmem(c.bytes, c.len, "lo world", 8);
	/* an ack of bytes sent on an earlier connection moves `sent` too */
	gt_fwd_tx_rewind(&tx);
	g_assert_cmpint(gt_fwd_tx_ack(&tx, 9, GT_FWD_WINDOW), ==, CORE_OK);
	g_assert_true(gt_fwd_tx_next(&tx, SIZE_MAX, &c));
	g_assert_cmpuint(c.offset, ==, 9);
	g_assert_cmpmem(c.bytes, c.len, "ld", 2);
	gt_fwd_tx_free(&tx);
}

static void test_tx_eof(void)
{
	struct gt_fwd_tx tx;
	struct gt_fwd_chunk c;
	uint64_t off = 99;

	gt_fwd_tx_init(&tx);
	g_assert_cmpint(gt_fwd_tx_push(&tx, "abc", 3), ==, CORE_OK);
	gt_fwd_tx_eof(&tx);
	g_assert_cmpuint(gt_fwd_tx_room(&tx), ==, 0);
	g_assert_cmpint(gt_fwd_tx_push(&tx, "d", 1), ==, CORE_ERR_CLOSED);
	g_assert_false(gt_fwd_tx_close_due(&tx, &off)); /* bytes first */
	g_assert_true(gt_fwd_tx_next(&tx, SIZE_MAX, &c));
	g_assert_true(gt_fwd_tx_close_due(&tx, &off));
	g_assert_cmpuint(off, ==, 3);
	g_assert_false(gt_fwd_tx_close_due(&tx, &off)); /* once */
	g_assert_false(gt_fwd_tx_done(&tx));
	gt_fwd_tx_rewind(&tx); /* lost with the connection: again */
	g_assert_true(gt_fwd_tx_next(&tx, SIZE_MAX, &c));
	g_assert_true(gt_fwd_tx_close_due(&tx, &off));
	g_assert_cmpint(gt_fwd_tx_ack(&tx, 3, GT_FWD_WINDOW), ==, CORE_OK);
	g_assert_true(gt_fwd_tx_done(&tx));
	gt_fwd_tx_free(&tx);
}

static void test_rx_rules(void)
{
	struct gt_fwd_rx rx;
	const uint8_t *fresh;
	size_t n;
	uint64_t delivered;
	uint32_t window;

	gt_fwd_rx_init(&rx);
	g_assert_false(gt_fwd_rx_ack_due(&rx, &delivered, &window));
	g_assert_cmpint(gt_fwd_rx_data(&rx, 1, (const uint8_t *)"x", 1, &fresh, &n), ==,
			CORE_ERR_BAD_VALUE); /* a gap */
	g_assert_cmpint(gt_fwd_rx_data(&rx, 0, (const uint8_t *)"abcdef", 6, &fresh, &n), ==,
			CORE_OK);
	g_assert_cmpmem(fresh, n, "abcdef", 6);
	/* a resend overlapping: only the new tail; a full duplicate: nothing */
	g_assert_cmpint(gt_fwd_rx_data(&rx, 4, (const uint8_t *)"efgh", 4, &fresh, &n), ==,
			CORE_OK);
	g_assert_cmpmem(fresh, n, "gh", 2);
	g_assert_cmpint(gt_fwd_rx_data(&rx, 2, (const uint8_t *)"cd", 2, &fresh, &n), ==, CORE_OK);
	g_assert_cmpuint(n, ==, 0);
	/* half delivered: no ack yet (neither drained nor a quarter window) */
	gt_fwd_rx_delivered(&rx, 4);
	g_assert_false(gt_fwd_rx_ack_due(&rx, &delivered, &window));
	gt_fwd_rx_delivered(&rx, 4);
	g_assert_true(gt_fwd_rx_ack_due(&rx, &delivered, &window));
	g_assert_cmpuint(delivered, ==, 8);
	g_assert_cmpuint(window, ==, GT_FWD_WINDOW);
	g_assert_false(gt_fwd_rx_ack_due(&rx, &delivered, &window));
	/* after a reconnect the ack goes out although nothing moved */
	gt_fwd_rx_rewind(&rx);
	g_assert_true(gt_fwd_rx_ack_due(&rx, &delivered, &window));
	g_assert_cmpuint(delivered, ==, 8);
	/* beyond the window past delivered */
	{
		uint8_t *big = g_malloc0(GT_FWD_WINDOW + 1);

		g_assert_cmpint(gt_fwd_rx_data(&rx, 8, big, GT_FWD_WINDOW + 1, &fresh, &n), ==,
				CORE_ERR_TOO_LARGE);
		g_assert_cmpint(gt_fwd_rx_data(&rx, 8, big, GT_FWD_WINDOW, &fresh, &n), ==,
				CORE_OK);
		g_assert_cmpuint(n, ==, GT_FWD_WINDOW);
		g_free(big);
	}
	/* a quarter of the window delivered: an ack although not drained */
	gt_fwd_rx_delivered(&rx, GT_FWD_WINDOW / 4);
	g_assert_true(gt_fwd_rx_ack_due(&rx, &delivered, &window));
	g_assert_cmpuint(delivered, ==, 8 + GT_FWD_WINDOW / 4);
}

static void test_rx_close(void)
{
	struct gt_fwd_rx rx;
	const uint8_t *fresh;
	size_t n;

	gt_fwd_rx_init(&rx);
	g_assert_cmpint(gt_fwd_rx_data(&rx, 0, (const uint8_t *)"abcd", 4, &fresh, &n), ==,
			CORE_OK);
	g_assert_cmpint(gt_fwd_rx_close(&rx, 3), ==, CORE_ERR_BAD_VALUE); /* before received */
	g_assert_cmpint(gt_fwd_rx_close(&rx, 6), ==, CORE_OK); /* two bytes still to come */
	g_assert_cmpint(gt_fwd_rx_close(&rx, 7), ==, CORE_ERR_BAD_VALUE); /* another end */
	g_assert_cmpint(gt_fwd_rx_close(&rx, 6), ==, CORE_OK);		  /* the same, resent */
	g_assert_cmpint(gt_fwd_rx_data(&rx, 4, (const uint8_t *)"efg", 3, &fresh, &n), ==,
			CORE_ERR_BAD_VALUE); /* past the end */
	g_assert_cmpint(gt_fwd_rx_data(&rx, 4, (const uint8_t *)"ef", 2, &fresh, &n), ==, CORE_OK);
	gt_fwd_rx_delivered(&rx, 5);
	g_assert_false(gt_fwd_rx_finished(&rx));
	gt_fwd_rx_delivered(&rx, 5); /* more than received: clamped */
	g_assert_cmpuint(rx.delivered, ==, 6);
	g_assert_true(gt_fwd_rx_finished(&rx));
}

/*
 * 8 MiB through a tx and an rx joined by a "connection" that is cut every
 * few hundred KiB (everything in flight lost, both sides rewound): the bytes
 * delivered are exactly the bytes pushed, and the end arrives.
 */
static void test_through_cuts(void)
{
	const size_t total = 8u << 20;
	struct gt_fwd_tx tx;
	struct gt_fwd_rx rx;
	GByteArray *out = g_byte_array_new();
	uint8_t *data = g_malloc(total);
	size_t pushed = 0, in_flight_cut = 0;
	unsigned cuts = 0;
	GRand *rand = g_rand_new_with_seed(7);

	for (size_t i = 0; i < total; i++)
		data[i] = (uint8_t)g_rand_int(rand);
	gt_fwd_tx_init(&tx);
	gt_fwd_rx_init(&rx);
	for (int step = 0; step < 100000 && !gt_fwd_tx_done(&tx); step++) {
		struct gt_fwd_chunk c;
		size_t room = gt_fwd_tx_room(&tx), n = (size_t)g_rand_int_range(rand, 1, 70000);
		uint64_t delivered, eof_at;
		uint32_t window;

		if (pushed < total && room > 0) {
			n = MIN(MIN(n, room), total - pushed);
			g_assert_cmpint(gt_fwd_tx_push(&tx, data + pushed, n), ==, CORE_OK);
			pushed += n;
			if (pushed == total)
				gt_fwd_tx_eof(&tx);
		}
		while (gt_fwd_tx_next(&tx, (size_t)g_rand_int_range(rand, 1, 50000), &c)) {
			const uint8_t *fresh;
			size_t fn;

			in_flight_cut += c.len;
			if (in_flight_cut > 300000 + (size_t)g_rand_int_range(rand, 0, 300000)) {
				/* the link dies: this and the rest are lost */
				in_flight_cut = 0;
				cuts++;
				gt_fwd_tx_rewind(&tx);
				gt_fwd_rx_rewind(&rx);
				break;
			}
			g_assert_cmpint(gt_fwd_rx_data(&rx, c.offset, c.bytes, c.len, &fresh, &fn),
					==, CORE_OK);
			g_byte_array_append(out, fresh, (guint)fn);
			gt_fwd_rx_delivered(&rx, fn); /* the local socket took it */
		}
		if (gt_fwd_tx_close_due(&tx, &eof_at))
			g_assert_cmpint(gt_fwd_rx_close(&rx, eof_at), ==, CORE_OK);
		if (gt_fwd_rx_ack_due(&rx, &delivered, &window))
			g_assert_cmpint(gt_fwd_tx_ack(&tx, delivered, window), ==, CORE_OK);
	}
	g_assert_true(gt_fwd_tx_done(&tx));
	g_assert_true(gt_fwd_rx_finished(&rx));
	g_assert_cmpuint(cuts, >, 5);
	g_assert_cmpmem(out->data, out->len, data, total);
	gt_fwd_tx_free(&tx);
	g_byte_array_free(out, TRUE);
	g_free(data);
	g_rand_free(rand);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/goet/fwdchan/tx-window-chunks", test_tx_window_and_chunks);
	g_test_add_func("/goet/fwdchan/tx-ack-rules", test_tx_ack_rules);
	g_test_add_func("/goet/fwdchan/tx-eof", test_tx_eof);
	g_test_add_func("/goet/fwdchan/rx-rules", test_rx_rules);
	g_test_add_func("/goet/fwdchan/rx-close", test_rx_close);
	g_test_add_func("/goet/fwdchan/through-cuts", test_through_cuts);
	return g_test_run();
}
