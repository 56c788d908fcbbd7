/* Unit tests for goet/net/sendq: bounds, order, and memory that never moves. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "goet/net/sendq.h"

/* Concatenate the unsent ranges into out; returns the byte count. */
static size_t gather(const struct gt_sendq *q, uint8_t *out, size_t cap)
{
	struct gt_sendq_vec v[64];
	size_t n = gt_sendq_peek_unsent(q, v, 64), total = 0;

	for (size_t i = 0; i < n; i++) {
		g_assert_cmpuint(total + v[i].len, <=, cap);
		memcpy(out + total, v[i].base, v[i].len);
		total += v[i].len;
	}
	return total;
}

static void test_bounds(void)
{
	struct gt_sendq q;
	uint8_t big[1000] = { 0 };

	gt_sendq_init(&q, 1000);
	g_assert_cmpuint(gt_sendq_avail(&q), ==, 1000);
	g_assert_cmpint(gt_sendq_append(&q, big, 600), ==, CORE_OK);
	/* all-or-nothing */
	g_assert_cmpint(gt_sendq_append(&q, big, 401), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpuint(gt_sendq_len(&q), ==, 600);
	g_assert_cmpint(gt_sendq_append(&q, big, 400), ==, CORE_OK);
	g_assert_cmpuint(gt_sendq_avail(&q), ==, 0);
	/* sending does not free room; acknowledging does */
	g_assert_cmpint(gt_sendq_mark_sent(&q, 1000), ==, CORE_OK);
	g_assert_cmpint(gt_sendq_mark_sent(&q, 1), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpuint(gt_sendq_avail(&q), ==, 0);
	g_assert_cmpint(gt_sendq_ack(&q, 1001), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpint(gt_sendq_ack(&q, 250), ==, CORE_OK);
	g_assert_cmpuint(gt_sendq_avail(&q), ==, 250);
	gt_sendq_free(&q);
}

static void test_order_across_chunks(void)
{
	struct gt_sendq q;
	size_t total = 3 * GT_SENDQ_CHUNK + 123;
	uint8_t *in = g_malloc(total), *out = g_malloc(total);

	for (size_t i = 0; i < total; i++)
		in[i] = (uint8_t)(i * 31 + 7);
	gt_sendq_init(&q, 4 * GT_SENDQ_CHUNK);
	/* odd-sized appends that straddle chunk boundaries */
	for (size_t off = 0; off < total;) {
		size_t n = MIN(1000 + off % 777, total - off);

		g_assert_cmpint(gt_sendq_append(&q, in + off, n), ==, CORE_OK);
		off += n;
	}
	g_assert_cmpuint(gather(&q, out, total), ==, total);
	g_assert_cmpmem(out, total, in, total);
	/* send and acknowledge part way: the rest is still in order */
	g_assert_cmpint(gt_sendq_mark_sent(&q, GT_SENDQ_CHUNK + 10), ==, CORE_OK);
	g_assert_cmpuint(gather(&q, out, total), ==, total - GT_SENDQ_CHUNK - 10);
	g_assert_cmpmem(out, total - GT_SENDQ_CHUNK - 10, in + GT_SENDQ_CHUNK + 10,
			total - GT_SENDQ_CHUNK - 10);
	g_assert_cmpint(gt_sendq_ack(&q, GT_SENDQ_CHUNK + 10), ==, CORE_OK);
	g_assert_cmpuint(q.chunks.length, ==, 3); /* the first chunk was freed */
	g_assert_cmpuint(gt_sendq_unsent(&q), ==, total - GT_SENDQ_CHUNK - 10);
	gt_sendq_free(&q);
	g_free(in);
	g_free(out);
}

/* The property QUIC needs: sent bytes stay at the same address until acknowledged. */
static void test_memory_stays_put(void)
{
	struct gt_sendq q;
	struct gt_sendq_vec v[8];
	uint8_t chunk[5000], copy[5000];
	const uint8_t *where;

	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i ^ 0x5a);
	gt_sendq_init(&q, 64 * GT_SENDQ_CHUNK);
	g_assert_cmpint(gt_sendq_append(&q, chunk, sizeof(chunk)), ==, CORE_OK);
	g_assert_cmpuint(gt_sendq_peek_unsent(&q, v, 8), ==, 1);
	where = v[0].base;
	memcpy(copy, where, sizeof(copy));
	g_assert_cmpint(gt_sendq_mark_sent(&q, sizeof(chunk)), ==, CORE_OK);
	/* lots of later traffic, acknowledged partly, while the first bytes are unacknowledged */
	for (int i = 0; i < 200; i++) {
		g_assert_cmpint(gt_sendq_append(&q, chunk, sizeof(chunk)), ==, CORE_OK);
		g_assert_cmpint(gt_sendq_mark_sent(&q, sizeof(chunk)), ==, CORE_OK);
		if (gt_sendq_avail(&q) < 2 * sizeof(chunk))
			break;
	}
	g_assert_cmpmem(where, sizeof(copy), copy, sizeof(copy));
	g_assert_cmpint(gt_sendq_ack(&q, gt_sendq_len(&q)), ==, CORE_OK);
	g_assert_cmpuint(gt_sendq_len(&q), ==, 0);
	g_assert_cmpuint(q.chunks.length, <=, 1);
	/* empty again: appends start over */
	g_assert_cmpint(gt_sendq_append(&q, "ab", 2), ==, CORE_OK);
	g_assert_cmpuint(gt_sendq_peek_unsent(&q, v, 8), ==, 1);
	g_assert_cmpmem(v[0].base, v[0].len, "ab", 2);
	gt_sendq_free(&q);
}

static void test_peek_limit(void)
{
	struct gt_sendq q;
	struct gt_sendq_vec v[2];
	uint8_t *data = g_malloc0(4 * GT_SENDQ_CHUNK);

	gt_sendq_init(&q, 8 * GT_SENDQ_CHUNK);
	g_assert_cmpint(gt_sendq_append(&q, data, 4 * GT_SENDQ_CHUNK), ==, CORE_OK);
	g_assert_cmpuint(gt_sendq_peek_unsent(&q, v, 2), ==, 2);
	g_assert_cmpuint(v[0].len + v[1].len, ==, 2 * GT_SENDQ_CHUNK);
	g_assert_cmpuint(gt_sendq_peek_unsent(&q, v, 0), ==, 0);
	gt_sendq_free(&q);
	g_free(data);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sendq/bounds", test_bounds);
	g_test_add_func("/sendq/order-across-chunks", test_order_across_chunks);
	g_test_add_func("/sendq/memory-stays-put", test_memory_stays_put);
	g_test_add_func("/sendq/peek-limit", test_peek_limit);
	return g_test_run();
}
