/* Unit tests for goet/proto/framer: stream reassembly, bounds, sticky errors. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "goet/proto/framer.h"

/* A stream of several messages; returns its bytes (g_free). */
static uint8_t *make_stream(size_t *len, size_t *count)
{
	static uint8_t payload[70000];
	struct gt_msg msgs[] = {
		{ .type = GT_MSG_AUTH_RESPONSE },
		{ .type = GT_MSG_SEQUENCE_HEADER, .u.sequence_header.last_seq = 9 },
		{ .type = GT_MSG_DATA, .u.data = { 1, payload, sizeof(payload) } },
		{ .type = GT_MSG_RESIZE, .u.resize = { 3, 4 } },
		{ .type = GT_MSG_DATA, .u.data = { 2, NULL, 0 } },
		{ .type = GT_MSG_SHUTDOWN },
	};
	struct core_buf b;
	uint8_t *out;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	core_buf_init_growable(&b, 1 << 20);
	for (size_t i = 0; i < G_N_ELEMENTS(msgs); i++)
		g_assert_cmpint(gt_msg_encode(&msgs[i], &b), ==, CORE_OK);
	*len = core_buf_len(&b);
	*count = G_N_ELEMENTS(msgs);
	out = g_memdup2(core_buf_ptr(&b), *len);
	core_buf_free(&b);
	return out;
}

/* Feed the stream in chunks of `step` bytes; return a digest of what came out. */
static char *feed_in_steps(const uint8_t *s, size_t len, size_t step, size_t *count)
{
	struct gt_framer f;
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	struct gt_msg m;
	size_t off = 0, got = 0;
	char *hex;

	gt_framer_init(&f, 0);
	while (off < len) {
		size_t n = MIN(step, len - off), acc;

		g_assert_cmpint(gt_framer_feed(&f, s + off, n, &acc), ==, CORE_OK);
		off += acc;
		while (gt_framer_next(&f, &m) == CORE_OK) {
			struct core_buf b;

			/* re-encode each message into the digest */
			core_buf_init_growable(&b, 1 << 20);
			g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_OK);
			g_checksum_update(sum, core_buf_ptr(&b), core_buf_len(&b));
			core_buf_free(&b);
			got++;
		}
	}
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_ERR_AGAIN);
	g_assert_cmpuint(gt_framer_buffered(&f), ==, 0);
	gt_framer_free(&f);
	*count = got;
	hex = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	return hex;
}

static void test_split_equivalence(void)
{
	size_t len, count, got;
	uint8_t *s = make_stream(&len, &count);
	char *whole_sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, s, len);
	static const size_t steps[] = { 1, 2, 5, 7, 4096, 65536, 1 << 20 };

	for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
		char *sum = feed_in_steps(s, len, steps[i], &got);

		g_assert_cmpuint(got, ==, count);
		g_assert_cmpstr(sum, ==, whole_sum); /* re-encoding reproduces the stream */
		g_free(sum);
	}
	g_free(whole_sum);
	g_free(s);
}

static void test_too_large_immediately(void)
{
	struct gt_framer f;
	struct gt_msg m;
	size_t acc;

	gt_framer_init(&f, 0);
	g_assert_cmpint(gt_framer_feed(&f, (const uint8_t *)"\x00\x40\x00\x01\x20", 5, &acc), ==,
			CORE_OK);
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_ERR_TOO_LARGE);
	/* sticky */
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_ERR_TOO_LARGE);
	g_assert_cmpint(gt_framer_feed(&f, (const uint8_t *)"x", 1, &acc), ==, CORE_ERR_TOO_LARGE);
	g_assert_cmpuint(acc, ==, 0);
	gt_framer_free(&f);

	/* a smaller configured maximum is enforced too */
	gt_framer_init(&f, 100);
	g_assert_cmpint(gt_framer_feed(&f, (const uint8_t *)"\x00\x00\x00\x65\x20", 5, &acc), ==,
			CORE_OK);
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_ERR_TOO_LARGE);
	gt_framer_free(&f);
}

static void test_garbage_and_short_payload(void)
{
	struct gt_framer f;
	struct gt_msg m;
	size_t acc;

	gt_framer_init(&f, 0);
	/* unknown type is reported from the header, before its payload arrives */
	g_assert_cmpint(gt_framer_feed(&f, (const uint8_t *)"\x00\x00\x10\x00\x99", 5, &acc), ==,
			CORE_OK);
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_ERR_UNKNOWN_TYPE);
	gt_framer_free(&f);

	gt_framer_init(&f, 0);
	g_assert_cmpint(
		gt_framer_feed(&f, (const uint8_t *)"\x00\x00\x00\x02\x11\x00\x01", 7, &acc), ==,
		CORE_OK);
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_ERR_TRUNCATED); /* Resize needs 4 */
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_ERR_TRUNCATED);
	gt_framer_free(&f);
}

static void test_bounded_and_grows_lazily(void)
{
	struct gt_framer f;
	struct gt_msg m;
	uint8_t *chunk = g_malloc0(1 << 20);
	size_t acc, total = 0;

	gt_framer_init(&f, 0);
	/* a peer declares a maximum Data frame: nothing is allocated up front */
	g_assert_cmpint(gt_framer_feed(&f, (const uint8_t *)"\x00\x40\x00\x00\x20", 5, &acc), ==,
			CORE_OK);
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_ERR_AGAIN);
	g_assert_cmpuint(f.buf.cap, <, 4096);
	/* feed 5 MiB: only the frame's 4 MiB + 5 fit */
	for (int i = 0; i < 5; i++) {
		g_assert_cmpint(gt_framer_feed(&f, chunk, 1 << 20, &acc), ==, CORE_OK);
		total += acc;
	}
	g_assert_cmpuint(total, ==, GT_FRAME_MAX_PAYLOAD);
	g_assert_cmpuint(f.buf.cap, <=, GT_FRAME_HEADER_LEN + GT_FRAME_MAX_PAYLOAD);
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_OK);
	g_assert_cmpuint(m.type, ==, GT_MSG_DATA);
	g_assert_cmpuint(m.u.data.len, ==, GT_FRAME_MAX_PAYLOAD - 8);
	/* drained: big storage released */
	g_assert_cmpint(gt_framer_next(&f, &m), ==, CORE_ERR_AGAIN);
	g_assert_cmpuint(f.buf.cap, ==, 0);
	gt_framer_free(&f);
	g_free(chunk);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/framer/split-equivalence", test_split_equivalence);
	g_test_add_func("/framer/too-large-immediately", test_too_large_immediately);
	g_test_add_func("/framer/garbage-and-short-payload", test_garbage_and_short_payload);
	g_test_add_func("/framer/bounded-and-grows-lazily", test_bounded_and_grows_lazily);
	return g_test_run();
}
