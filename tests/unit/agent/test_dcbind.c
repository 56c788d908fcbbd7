/*
 * Unit tests for rift/agent/dcbind without channels: link endpoints, what
 * reaches the receiver (and what is dropped before it, counted), the
 * liveness flags, wg(8)'s endpoint text, and a send to a link that is gone.
 * (Sending over a real channel: tests/lab/rift-agent.sh.)
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/agent/dcbind.h"
#include "rift/wg/device.h"

struct seen {
	unsigned n, idle;
	struct rg_wg_endpoint from;
	size_t len;
};

static void on_recv(void *ctx, const struct rg_wg_endpoint *from, const uint8_t *buf, size_t len)
{
	struct seen *s = ctx;

	s->n++;
	s->from = *from;
	s->len = len;
}

static void on_idle(void *ctx)
{
	((struct seen *)ctx)->idle++;
}

static struct rg_wg_bind *new_bind(struct seen *s)
{
	struct rg_wg_bind *b = rg_dcbind_new();

	b->recv = on_recv;
	b->idle = on_idle;
	b->ctx = s;
	return b;
}

static void test_links(void)
{
	struct seen s = { 0 };
	struct rg_wg_bind *b = new_bind(&s);
	struct rg_wg_endpoint e1, e2;
	uint32_t l1 = rg_dcbind_attach(b, NULL, "bob"), l2 = rg_dcbind_attach(b, NULL, "carol");
	uint8_t pkt[148] = { 1 };
	char text[64];

	g_assert_cmpuint(l1, !=, 0);
	g_assert_cmpuint(l2, !=, l1);
	rg_dcbind_endpoint(l1, &e1);
	rg_dcbind_endpoint(l2, &e2);
	g_assert_false(rg_wg_endpoint_equal(&e1, &e2));
	g_assert_cmpuint(e1.len, ==, 4);
	/* a datagram on link 2 reaches the receiver with link 2's endpoint */
	rg_dcbind_input(b, l2, pkt, sizeof(pkt));
	g_assert_cmpuint(s.n, ==, 1);
	g_assert_cmpuint(s.idle, ==, 0); /* the burst is not over before the loop runs */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(s.idle, ==, 1);
	g_assert_true(rg_wg_endpoint_equal(&s.from, &e2));
	g_assert_cmpuint(s.len, ==, sizeof(pkt));
	/* no ICE address yet: no endpoint text for wg(8) */
	g_assert_false(rg_wg_bind_format(b, &e2, text, sizeof(text)));
	rg_dcbind_set_remote(b, l2, "198.51.100.3:40123");
	g_assert_true(rg_wg_bind_format(b, &e2, text, sizeof(text)));
	g_assert_cmpstr(text, ==, "198.51.100.3:40123");
	/* a link that is gone: nothing received, a send refused, no text; its number not reused */
	rg_dcbind_detach(b, l2);
	rg_dcbind_input(b, l2, pkt, sizeof(pkt));
	g_assert_cmpuint(s.n, ==, 1);
	g_assert_cmpint(rg_wg_bind_send(b, &e2, pkt, sizeof(pkt)), ==, CORE_ERR_NOT_FOUND);
	g_assert_false(rg_wg_bind_format(b, &e2, text, sizeof(text)));
	g_assert_cmpuint(rg_dcbind_attach(b, NULL, "dave"), >, l2);
	/* an endpoint of another bind (a UDP address) names no link */
	memset(&e2, 0, sizeof(e2));
	e2.len = 6;
	g_assert_cmpint(rg_wg_bind_send(b, &e2, pkt, sizeof(pkt)), ==, CORE_ERR_NOT_FOUND);
	rg_wg_bind_free(b);
}

/* A burst of datagrams gets one idle call, after the loop ran what was ready; a bind freed first gets none. */
static void test_burst(void)
{
	struct seen s = { 0 };
	struct rg_wg_bind *b = new_bind(&s);
	uint32_t l = rg_dcbind_attach(b, NULL, "bob");
	uint8_t pkt[148] = { 4 };

	for (int i = 0; i < 5; i++)
		rg_dcbind_input(b, l, pkt, sizeof(pkt));
	g_assert_cmpuint(s.n, ==, 5);
	g_assert_cmpuint(s.idle, ==, 0);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(s.idle, ==, 1);
	/* the next burst gets its own */
	rg_dcbind_input(b, l, pkt, sizeof(pkt));
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(s.idle, ==, 2);
	/* freed with a burst pending: no call into a bind that is gone */
	rg_dcbind_input(b, l, pkt, sizeof(pkt));
	rg_wg_bind_free(b);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(s.idle, ==, 2);
}

static void test_bad_input(void)
{
	struct seen s = { 0 };
	struct rg_wg_bind *b = new_bind(&s);
	uint32_t l = rg_dcbind_attach(b, NULL, "bob");
	struct rg_dcbind_link_info info;
	static uint8_t big[RG_WG_MAX_PACKET + RG_WG_OVERHEAD + 1];

	rg_dcbind_input(b, l, big, 0);
	rg_dcbind_input(b, l, big, sizeof(big));
	g_assert_cmpuint(s.n, ==, 0);
	rg_dcbind_input(b, l, big, sizeof(big) - 1); /* the largest a datagram can be */
	g_assert_cmpuint(s.n, ==, 1);
	g_assert_cmpint(rg_dcbind_link_info(b, l, &info), ==, CORE_OK);
	g_assert_cmpuint(info.bad_input, ==, 2);
	g_assert_cmpuint(info.rx_msgs, ==, 1);
	g_assert_cmpuint(info.rx_bytes, ==, sizeof(big) - 1);
	g_assert_cmpint(rg_dcbind_link_info(b, l + 1, &info), ==, CORE_ERR_NOT_FOUND);
	rg_wg_bind_free(b);
}

static void test_sample(void)
{
	struct seen s = { 0 };
	struct rg_wg_bind *b = new_bind(&s);
	uint32_t l = rg_dcbind_attach(b, NULL, "bob");
	uint8_t pkt[32] = { 4 };
	bool rx, tx;

	rg_dcbind_sample(b, l, &rx, &tx);
	g_assert_false(rx);
	g_assert_false(tx);
	rg_dcbind_input(b, l, pkt, sizeof(pkt));
	rg_dcbind_sample(b, l, &rx, &tx);
	g_assert_true(rx);
	g_assert_false(tx);
	/* read and cleared */
	rg_dcbind_sample(b, l, &rx, &tx);
	g_assert_false(rx);
	rg_dcbind_sample(b, l + 7, &rx, &tx);
	g_assert_false(rx || tx);
	rg_wg_bind_free(b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dcbind/links", test_links);
	g_test_add_func("/dcbind/burst", test_burst);
	g_test_add_func("/dcbind/bad-input", test_bad_input);
	g_test_add_func("/dcbind/sample", test_sample);
	return g_test_run();
}
