/*
 * Integration test for rift/agent/dcbind over a real data channel: two peer
 * connections in this process on 127.0.0.1, each with a WireGuard device
 * (no TUN: the test plays it) whose bind is the data-channel bind, as the
 * agent runs them. An IP packet crosses both ways byte-exact after the
 * handshake. Then the peer sends what no WireGuard peer would on the
 * channel: random bytes (the device counts them malformed), a text
 * message and an empty one (the bind drops them as no datagram), a
 * WireGuard-shaped message with a bad MAC (bad_mac1): nothing reaches the
 * TUN and the tunnel goes on carrying packets. Then WireGuard goes
 * straight on the ICE path beside the channel (rg_pc_send_datagram, the
 * agent's direct sender): packets cross both ways that way and not in the
 * channel, and the path refuses what is not WireGuard-shaped; a burst of
 * 21 datagrams (one UDP_SEGMENT send) arrives whole and byte-exact. A link that
 * is detached refuses sends (CORE_ERR_NOT_FOUND) and is never reused.
 */
#include <glib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "../loop.h"
#include "core/clock.h"
#include "core/err.h"
#include "rift/agent/dcbind.h"
#include "rift/rtc/pc.h"
#include "rift/wg/device.h"
#include "rift/wg/keys.h"

struct side {
	const char *name;
	struct side *peer;
	struct rg_pc *pc;
	struct rg_dc *dc;
	struct rg_wg_bind *bind;
	uint32_t link;
	struct rg_wg_device *dev;
	uint8_t priv[RG_WG_KEY_LEN], pub[RG_WG_KEY_LEN];
	uint8_t tunnel_ip;    /* 10.0.0.N */
	GPtrArray *delivered; /* GBytes of packets for the TUN */
};

static uint64_t now_ns(void)
{
	return (uint64_t)core_time_now_ns();
}

static void op_send(void *ctx, const struct rg_wg_endpoint *to, const uint8_t *buf, size_t len)
{
	struct side *s = ctx;

	rg_wg_bind_send(s->bind, to, buf, len);
}

static void op_deliver(void *ctx, struct rg_wg_peer *from, const uint8_t *pkt, size_t len)
{
	struct side *s = ctx;

	g_ptr_array_add(s->delivered, g_bytes_new(pkt, len));
}

static void op_random(void *ctx, void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

static void op_wallclock(void *ctx, int64_t *s, uint32_t *ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*s = ts.tv_sec;
	*ns = (uint32_t)ts.tv_nsec;
}

static const struct rg_wg_device_ops ops = { op_send, op_deliver, op_random, op_wallclock, NULL };

/* After a burst, as the runner does: what the direct way queued goes out. */
static void on_idle(void *ctx)
{
	struct side *s = ctx;

	rg_wg_bind_flush(s->bind);
}

/* An IP packet from s's TUN, as the runner hands it over. */
static void tun_send(struct side *s, const uint8_t *pkt, size_t len)
{
	rg_wg_device_send(s->dev, pkt, len, now_ns());
	rg_wg_bind_flush(s->bind);
}

static void on_datagram(void *ctx, const struct rg_wg_endpoint *from, const uint8_t *buf,
			size_t len)
{
	struct side *s = ctx;

	rg_wg_device_recv(s->dev, from, buf, len, now_ns());
}

/* ------------------------------------------------------------ the peer connections */

static void on_description(void *ctx, const char *type, const char *sdp)
{
	struct side *s = ctx;
	GError *e = NULL;

	g_assert_cmpint(rg_pc_set_remote_description(s->peer->pc, type, sdp, &e), ==, CORE_OK);
}

static void on_candidate(void *ctx, const char *cand, const char *mid)
{
	struct side *s = ctx;

	rg_pc_add_remote_candidate(s->peer->pc, cand);
}

/* The channel is open: the WireGuard peer goes over it (as the agent's wg_attach). */
static void on_open(void *ctx, struct rg_dc *dc)
{
	struct side *s = ctx;
	struct rg_wg_peer *peer;
	struct rg_wg_endpoint ep;
	uint8_t ip[4] = { 10, 0, 0, s->peer->tunnel_ip };

	g_assert_cmpstr(rg_dc_label(dc), ==, "riftgate");
	s->dc = dc;
	s->link = rg_dcbind_attach(s->bind, dc, s->peer->name);
	g_assert_cmpint(rg_wg_device_add_peer(s->dev, s->peer->pub, NULL, &peer), ==, CORE_OK);
	g_assert_cmpint(rg_wg_peer_add_allowed_ip(peer, 4, ip, 32), ==, CORE_OK);
	rg_dcbind_endpoint(s->link, &ep);
	rg_wg_peer_set_endpoint(peer, &ep);
}

static void on_message(void *ctx, struct rg_dc *dc, const uint8_t *buf, size_t len, bool binary)
{
	struct side *s = ctx;

	rg_dcbind_input(s->bind, s->link, buf, binary ? len : 0);
}

static void on_ice_datagram(void *ctx, const uint8_t *buf, size_t len)
{
	struct side *s = ctx;

	rg_dcbind_input_direct(s->bind, s->link, buf, len);
}

static int send_direct(void *ctx, const uint8_t *const *bufs, const size_t *lens, size_t n)
{
	struct side *s = ctx;

	return rg_pc_send_datagrams(s->pc, bufs, lens, n);
}

static const struct rg_pc_callbacks cbs = {
	.datagram = on_ice_datagram,
	.local_description = on_description,
	.local_candidate = on_candidate,
	.channel_open = on_open,
	.channel_message = on_message,
};

static void side_init(struct side *s, const char *name, uint8_t ip, bool offerer)
{
	static const char *const loopback[] = { "127.0.0.1", NULL };
	struct rg_pc_config cfg = { .name = name };
	GError *e = NULL;

	s->name = name;
	s->tunnel_ip = ip;
	s->delivered = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	rg_wg_key_generate(s->priv);
	g_assert_cmpint(rg_wg_key_public(s->pub, s->priv), ==, CORE_OK);
	g_assert_cmpint(rg_wg_device_new(&s->dev, s->priv, &ops, s), ==, CORE_OK);
	s->bind = rg_dcbind_new();
	s->bind->recv = on_datagram;
	s->bind->idle = on_idle;
	s->bind->ctx = s;
	cfg.ice.controlling = offerer;
	cfg.ice.local_addresses = loopback;
	g_assert_cmpint(rg_pc_new(&s->pc, &cfg, &cbs, s, &e), ==, CORE_OK);
}

static void side_clear(struct side *s)
{
	if (s->link != 0)
		rg_dcbind_detach(s->bind, s->link);
	rg_pc_free(s->pc);
	rg_wg_bind_free(s->bind);
	rg_wg_device_free(s->dev);
	g_ptr_array_unref(s->delivered);
}

/* An IPv4/UDP packet from 10.0.0.src to 10.0.0.dst with a tag byte. */
static size_t packet(uint8_t *p, uint8_t src, uint8_t dst, uint8_t tag)
{
	memset(p, 0, 40);
	p[0] = 0x45;
	p[3] = 40;
	p[8] = 64;
	p[9] = 17;
	p[12] = 10, p[15] = src;
	p[16] = 10, p[19] = dst;
	p[28] = tag;
	return 40;
}

static bool delivered(struct side *s, const uint8_t *want, size_t len)
{
	for (guint i = 0; i < s->delivered->len; i++) {
		gsize n;
		const uint8_t *got = g_bytes_get_data(g_ptr_array_index(s->delivered, i), &n);

		if (n == len && memcmp(got, want, len) == 0)
			return true;
	}
	return false;
}

static void test_channel(void)
{
	struct side a = { 0 }, b = { 0 };
	struct rg_dc_options o = { .ordered = false,
				   .max_retransmits = 0,
				   .max_packet_lifetime_ms = -1 };
	const struct rg_wg_stats *st;
	struct rg_dcbind_link_info info;
	uint8_t pkt[64], junk[148];
	struct rg_wg_endpoint gone;
	GError *e = NULL;
	size_t n;
	guint before;

	side_init(&a, "alice", 1, true);
	side_init(&b, "bob", 2, false);
	a.peer = &b;
	b.peer = &a;
	st = rg_wg_device_stats(a.dev);
	g_assert_cmpint(rg_pc_create_channel(a.pc, "riftgate", &o, &e), ==, CORE_OK);
	g_assert_cmpint(rg_pc_create_offer(a.pc), ==, CORE_OK);
	ITEST_RUN_UNTIL(a.dc != NULL && b.dc != NULL, 10);

	/* a packet each way: the first waits for the handshake, which crosses the channel */
	n = packet(pkt, 1, 2, 'a');
	tun_send(&a, pkt, n);
	ITEST_RUN_UNTIL(delivered(&b, pkt, n), 10);
	n = packet(pkt, 2, 1, 'b');
	tun_send(&b, pkt, n);
	ITEST_RUN_UNTIL(delivered(&a, pkt, n), 10);

	/* what no WireGuard peer sends: random bytes, a bad MAC, a string, an empty message */
	before = a.delivered->len;
	randombytes_buf(junk, sizeof(junk));
	junk[0] = 7; /* no WireGuard message type */
	g_assert_cmpint(rg_dc_send(b.dc, junk, sizeof(junk), true), ==, CORE_OK);
	memset(junk, 0, sizeof(junk));
	junk[0] = 1; /* an initiation's type and size, with zero MACs */
	g_assert_cmpint(rg_dc_send(b.dc, junk, 148, true), ==, CORE_OK);
	g_assert_cmpint(rg_dc_send(b.dc, (const uint8_t *)"hello", 5, false), ==, CORE_OK);
	g_assert_cmpint(rg_dc_send(b.dc, junk, 0, true), ==, CORE_OK);
	ITEST_RUN_UNTIL(st->malformed >= 1 && st->bad_mac1 >= 1, 10);
	ITEST_RUN_UNTIL(
		rg_dcbind_link_info(a.bind, a.link, &info) == CORE_OK && info.bad_input >= 2, 10);
	g_assert_cmpuint(a.delivered->len, ==, before);

	/* and the tunnel goes on */
	n = packet(pkt, 2, 1, 'c');
	tun_send(&b, pkt, n);
	ITEST_RUN_UNTIL(delivered(&a, pkt, n), 10);

	/* straight on the ICE path: both ways, counted as such, nothing through the channel */
	rg_dcbind_set_direct(a.bind, a.link, send_direct, &a);
	rg_dcbind_set_direct(b.bind, b.link, send_direct, &b);
	g_assert_cmpint(rg_dcbind_link_info(b.bind, b.link, &info), ==, CORE_OK);
	g_assert_true(info.direct);
	g_assert_cmpuint(info.direct_tx, ==, 0);
	n = packet(pkt, 2, 1, 'd');
	tun_send(&b, pkt, n);
	ITEST_RUN_UNTIL(delivered(&a, pkt, n), 10);
	n = packet(pkt, 1, 2, 'e');
	tun_send(&a, pkt, n);
	ITEST_RUN_UNTIL(delivered(&b, pkt, n), 10);
	g_assert_cmpint(rg_dcbind_link_info(a.bind, a.link, &info), ==, CORE_OK);
	g_assert_cmpuint(info.direct_tx, ==, 1);
	g_assert_cmpuint(info.direct_rx, ==, 1);
	g_assert_cmpint(rg_dcbind_link_info(b.bind, b.link, &info), ==, CORE_OK);
	g_assert_cmpuint(info.direct_tx, ==, 1);
	g_assert_cmpuint(info.direct_rx, ==, 1);
	g_assert_cmpint(rg_pc_send_datagram(a.pc, (const uint8_t *)"\x16\xfe\xfd", 3), ==,
			CORE_ERR_INVALID_ARG);

	/*
	 * A burst on the direct path: equal datagrams and a shorter last one go
	 * in one flush (one UDP_SEGMENT send on this host pair); each arrives
	 * whole and byte-exact.
	 */
	{
		enum { BURST = 21, BIG = 1200 };
		uint8_t big[BURST][BIG];
		size_t blen[BURST];

		for (int i = 0; i < BURST; i++) {
			blen[i] = i == BURST - 1 ? 300 : BIG;
			packet(big[i], 2, 1, (uint8_t)('A' + i));
			big[i][2] = (uint8_t)(blen[i] >> 8), big[i][3] = (uint8_t)blen[i];
			for (size_t k = 40; k < blen[i]; k++)
				big[i][k] = (uint8_t)(i * 7 + k);
			rg_wg_device_send(b.dev, big[i], blen[i], now_ns());
		}
		rg_wg_bind_flush(b.bind);
		for (int i = 0; i < BURST; i++)
			ITEST_RUN_UNTIL(delivered(&a, big[i], blen[i]), 10);
		g_assert_cmpint(rg_dcbind_link_info(b.bind, b.link, &info), ==, CORE_OK);
		g_assert_cmpuint(info.direct_tx, ==, 1 + BURST);
		g_assert_cmpint(rg_dcbind_link_info(a.bind, a.link, &info), ==, CORE_OK);
		g_assert_cmpuint(info.direct_rx, ==, 1 + BURST);
	}

	/* a link that is gone refuses sends, and its number is not handed out again */
	rg_dcbind_endpoint(a.link, &gone);
	rg_dcbind_detach(a.bind, a.link);
	g_assert_cmpint(rg_wg_bind_send(a.bind, &gone, pkt, n), ==, CORE_ERR_NOT_FOUND);
	g_assert_cmpuint(rg_dcbind_attach(a.bind, a.dc, "bob"), >, a.link);
	a.link = 0;
	side_clear(&a);
	side_clear(&b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(sodium_init(), >=, 0);
	g_test_add_func("/dcbind/channel", test_channel);
	return g_test_run();
}
