/*
 * Unit tests for rift/wg/noise and rift/wg/cookie: both sides of the
 * handshake agree on the keys (with and without a preshared key); every
 * byte of a message is authenticated and a failed message changes no
 * state; replayed initiations are refused; transport data round-trips;
 * mac1, mac2 and cookie replies work and bind to the sender's address.
 * Interoperability with another implementation is tests/lab/wg-interop.sh.
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/wg/cookie.h"
#include "rift/wg/device.h"
#include "rift/wg/noise.h"

struct side {
	struct rg_wg_static id;
	struct rg_wg_remote peer;
	struct rg_wg_handshake hs;
	struct rg_wg_keypair kp;
};

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

static void make_pair(struct side *a, struct side *b, const uint8_t *psk)
{
	uint8_t priv[32];

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	fill(priv, 32, 1);
	g_assert_cmpint(rg_wg_static_init(&a->id, priv), ==, CORE_OK);
	fill(priv, 32, 2);
	g_assert_cmpint(rg_wg_static_init(&b->id, priv), ==, CORE_OK);
	g_assert_cmpint(rg_wg_remote_init(&a->peer, &a->id, b->id.pub, psk), ==, CORE_OK);
	g_assert_cmpint(rg_wg_remote_init(&b->peer, &b->id, a->id.pub, psk), ==, CORE_OK);
	/* both sides compute the same static-static secret */
	g_assert_cmpmem(a->peer.ss, 32, b->peer.ss, 32);
}

static void initiation(struct side *a, uint8_t msg[RG_WG_INITIATION_LEN], int64_t t)
{
	uint8_t eph[32], tai[RG_WG_TAI64N_LEN];

	fill(eph, 32, (uint8_t)(3 + t));
	rg_wg_tai64n(tai, t, 0);
	g_assert_cmpint(rg_wg_noise_initiation(&a->hs, &a->id, &a->peer, eph, tai, 0x11223344, msg),
			==, CORE_OK);
	g_assert_cmpint(a->hs.state, ==, RG_WG_HS_INIT_SENT);
}

/* Responder: open, accept, respond. Returns the first failing code. */
static int respond(struct side *b, const uint8_t *msg, uint8_t out[RG_WG_RESPONSE_LEN])
{
	struct rg_wg_initiation info;
	struct rg_wg_msg m;
	uint8_t eph[32];
	int ret;

	fill(eph, 32, 4);
	if ((ret = rg_wg_msg_decode(msg, RG_WG_INITIATION_LEN, &m)) != CORE_OK)
		return ret;
	if ((ret = rg_wg_noise_open_initiation(&b->id, &m, &info)) != CORE_OK)
		return ret;
	g_assert_cmpmem(info.remote_static, 32, b->peer.pub, 32);
	if ((ret = rg_wg_noise_accept_initiation(&b->hs, &b->peer, &m, &info)) != CORE_OK)
		return ret;
	return rg_wg_noise_response(&b->hs, &b->peer, eph, 0x55667788, out, &b->kp);
}

static int finish(struct side *a, const uint8_t *resp)
{
	struct rg_wg_msg m;

	g_assert_cmpint(rg_wg_msg_decode(resp, RG_WG_RESPONSE_LEN, &m), ==, CORE_OK);
	return rg_wg_noise_consume_response(&a->hs, &a->id, &a->peer, &m, &a->kp);
}

static void test_handshake(gconstpointer psk)
{
	struct side a, b;
	uint8_t init[RG_WG_INITIATION_LEN], resp[RG_WG_RESPONSE_LEN];

	make_pair(&a, &b, psk);
	initiation(&a, init, 1000);
	g_assert_cmpint(respond(&b, init, resp), ==, CORE_OK);
	g_assert_cmpint(finish(&a, resp), ==, CORE_OK);
	g_assert_cmpmem(a.kp.send, 32, b.kp.recv, 32);
	g_assert_cmpmem(a.kp.recv, 32, b.kp.send, 32);
	g_assert_true(memcmp(a.kp.send, a.kp.recv, 32) != 0);
	g_assert_true(a.kp.initiator && !b.kp.initiator);
	g_assert_cmpuint(a.kp.local_index, ==, 0x11223344);
	g_assert_cmpuint(a.kp.remote_index, ==, 0x55667788);
	g_assert_cmpuint(b.kp.local_index, ==, 0x55667788);
	g_assert_cmpuint(b.kp.remote_index, ==, 0x11223344);
	g_assert_cmpint(a.hs.state, ==, RG_WG_HS_NONE);
	g_assert_cmpint(b.hs.state, ==, RG_WG_HS_NONE);
	/* the same initiation again is a replay; a later one is fine */
	g_assert_cmpint(respond(&b, init, resp), ==, CORE_ERR_BAD_VALUE);
	initiation(&a, init, 1001);
	g_assert_cmpint(respond(&b, init, resp), ==, CORE_OK);
}

/* Flipping any bit before the MACs makes the message fail, with no state change. */
static void test_tampering(void)
{
	struct side a, b, b0;
	uint8_t init[RG_WG_INITIATION_LEN], bad[RG_WG_INITIATION_LEN], resp[RG_WG_RESPONSE_LEN];
	uint8_t badr[RG_WG_RESPONSE_LEN];
	struct rg_wg_handshake hs0;

	make_pair(&a, &b, NULL);
	initiation(&a, init, 50);
	b0 = b;
	for (size_t i = 8; i < 116; i++) { /* the index (4..7) is not authenticated */
		memcpy(bad, init, sizeof(bad));
		bad[i] ^= 0x20;
		g_assert_cmpint(respond(&b, bad, resp), !=, CORE_OK);
		g_assert_cmpmem(&b.hs, sizeof(b.hs), &b0.hs, sizeof(b0.hs));
	}
	g_assert_cmpint(respond(&b, init, resp), ==, CORE_OK);
	hs0 = a.hs;
	for (size_t i = 12; i < 60; i++) {
		memcpy(badr, resp, sizeof(badr));
		badr[i] ^= 0x01;
		g_assert_cmpint(finish(&a, badr), ==, CORE_ERR_AUTH);
		g_assert_cmpmem(&a.hs, sizeof(a.hs), &hs0, sizeof(hs0));
	}
	memcpy(badr, resp, sizeof(badr));
	badr[8] ^= 1; /* receiver index: not ours */
	g_assert_cmpint(finish(&a, badr), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpint(finish(&a, resp), ==, CORE_OK);
	g_assert_cmpint(finish(&a, resp), ==, CORE_ERR_INVALID_ARG); /* consumed once */
}

static void test_psk_mismatch(void)
{
	struct side a, b;
	uint8_t psk[32], init[RG_WG_INITIATION_LEN], resp[RG_WG_RESPONSE_LEN];

	fill(psk, 32, 9);
	make_pair(&a, &b, NULL);
	rg_wg_remote_init(&b.peer, &b.id, a.id.pub, psk);
	initiation(&a, init, 7);
	g_assert_cmpint(respond(&b, init, resp), ==, CORE_OK); /* the psk enters only here */
	g_assert_cmpint(finish(&a, resp), ==, CORE_ERR_AUTH);
}

static void test_transport(void)
{
	struct side a, b;
	uint8_t init[RG_WG_INITIATION_LEN], resp[RG_WG_RESPONSE_LEN];
	uint8_t pkt[100], wire[100 + RG_WG_OVERHEAD], out[200];
	struct rg_wg_msg m;
	size_t n, len;

	make_pair(&a, &b, NULL);
	initiation(&a, init, 1);
	g_assert_cmpint(respond(&b, init, resp), ==, CORE_OK);
	g_assert_cmpint(finish(&a, resp), ==, CORE_OK);
	fill(pkt, sizeof(pkt), 42);
	n = rg_wg_transport_seal(&a.kp, 77, pkt, 100, 112, wire);
	g_assert_cmpuint(n, ==, 16 + 112 + 16);
	g_assert_cmpint(rg_wg_msg_decode(wire, n, &m), ==, CORE_OK);
	g_assert_cmpuint(m.receiver, ==, 0x55667788);
	g_assert_cmpuint(m.counter, ==, 77);
	g_assert_cmpint(rg_wg_transport_open(&b.kp, &m, out, &len), ==, CORE_OK);
	g_assert_cmpuint(len, ==, 112);
	g_assert_cmpmem(out, 100, pkt, 100);
	for (size_t i = 100; i < 112; i++)
		g_assert_cmpuint(out[i], ==, 0);
	/* the initiator cannot open its own packets; a flipped bit fails */
	g_assert_cmpint(rg_wg_transport_open(&a.kp, &m, out, &len), ==, CORE_ERR_AUTH);
	wire[n - 1] ^= 1;
	g_assert_cmpint(rg_wg_transport_open(&b.kp, &m, out, &len), ==, CORE_ERR_AUTH);
	wire[n - 1] ^= 1;
	wire[8] ^= 1; /* the counter is the nonce */
	g_assert_cmpint(rg_wg_msg_decode(wire, n, &m), ==, CORE_OK);
	g_assert_cmpint(rg_wg_transport_open(&b.kp, &m, out, &len), ==, CORE_ERR_AUTH);
	/* a keepalive */
	n = rg_wg_transport_seal(&b.kp, 0, NULL, 0, 0, wire);
	g_assert_cmpuint(n, ==, RG_WG_DATA_MIN);
	g_assert_cmpint(rg_wg_msg_decode(wire, n, &m), ==, CORE_OK);
	g_assert_cmpint(rg_wg_transport_open(&a.kp, &m, out, &len), ==, CORE_OK);
	g_assert_cmpuint(len, ==, 0);
}

static void test_cookies(void)
{
	struct side a, b;
	struct rg_wg_cookie_jar jar = { 0 };
	struct rg_wg_cookie_checker checker = { 0 };
	uint8_t init[RG_WG_INITIATION_LEN], reply[RG_WG_COOKIE_LEN], nonce[24], secret[32];
	const uint8_t src[6] = { 192, 0, 2, 1, 0x1f, 0x90 },
		      other[6] = { 192, 0, 2, 2, 0x1f, 0x90 };
	struct rg_wg_msg m;
	const uint64_t t0 = RG_WG_NS(10);

	make_pair(&a, &b, NULL);
	fill(nonce, 24, 5);
	fill(secret, 32, 6);
	initiation(&a, init, 1);
	rg_wg_cookie_add_macs(&jar, &a.peer, init, sizeof(init), t0);
	g_assert_true(rg_wg_cookie_check_mac1(&b.id, init, sizeof(init)));
	g_assert_false(rg_wg_cookie_check_mac1(&a.id, init, sizeof(init))); /* not to a */
	g_assert_false(rg_wg_cookie_check_mac2(&checker, init, sizeof(init), src, 6, t0));
	/* b is under load and answers with a cookie bound to src */
	g_assert_cmpint(rg_wg_msg_decode(init, sizeof(init), &m), ==, CORE_OK);
	rg_wg_cookie_make_reply(&checker, &b.id, &m, src, 6, nonce, secret, t0, reply);
	g_assert_cmpint(rg_wg_msg_decode(reply, sizeof(reply), &m), ==, CORE_OK);
	g_assert_cmpuint(m.receiver, ==, 0x11223344);
	g_assert_cmpint(rg_wg_cookie_consume_reply(&jar, &b.peer, &m, t0), ==,
			CORE_ERR_AUTH); /* sealed for a's view of b */
	g_assert_cmpint(rg_wg_cookie_consume_reply(&jar, &a.peer, &m, t0), ==, CORE_OK);
	g_assert_cmpint(rg_wg_cookie_consume_reply(&jar, &a.peer, &m, t0), ==,
			CORE_ERR_INVALID_ARG);
	/* the retry carries mac2, valid from src only */
	initiation(&a, init, 2);
	rg_wg_cookie_add_macs(&jar, &a.peer, init, sizeof(init), t0 + RG_WG_NS(5));
	g_assert_true(rg_wg_cookie_check_mac1(&b.id, init, sizeof(init)));
	g_assert_true(
		rg_wg_cookie_check_mac2(&checker, init, sizeof(init), src, 6, t0 + RG_WG_NS(5)));
	g_assert_false(rg_wg_cookie_check_mac2(&checker, init, sizeof(init), other, 6, t0));
	/* two minutes on, the secret and the cookie are stale */
	g_assert_false(rg_wg_cookie_check_mac2(&checker, init, sizeof(init), src, 6,
					       t0 + RG_WG_COOKIE_LIFETIME_NS));
	rg_wg_cookie_add_macs(&jar, &a.peer, init, sizeof(init), t0 + RG_WG_COOKIE_LIFETIME_NS);
	for (int i = 0; i < 16; i++)
		g_assert_cmpuint(init[132 + i], ==, 0);
}

int main(int argc, char **argv)
{
	static const uint8_t psk[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/wg/noise/handshake", NULL, test_handshake);
	g_test_add_data_func("/wg/noise/handshake-psk", psk, test_handshake);
	g_test_add_func("/wg/noise/tampering", test_tampering);
	g_test_add_func("/wg/noise/psk-mismatch", test_psk_mismatch);
	g_test_add_func("/wg/noise/transport", test_transport);
	g_test_add_func("/wg/cookie/macs-and-replies", test_cookies);
	return g_test_run();
}
