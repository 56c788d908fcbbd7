/*
 * Unit tests for rift/wg/uapi: the answer to "get=1" for a device with
 * three peers, exact text (keys, the psk itself, endpoints formatted by
 * the bind or left out when it has none to give, counters, keepalive,
 * allowed IPs in address order); the parser on that answer and on bad input,
 * with the exact codes; and `wg show`'s text for a parsed state, which
 * prints "preshared key: (hidden)" exactly when wg(8) does, i.e. for a
 * non-zero key: wireguard-go answers "preshared_key=000..." for a peer
 * without one, and our own answer carries the key itself (as
 * wireguard-go's), so the stock wg show sees it too.
 */
#include <glib.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/hex.h"
#include "rift/wg/device.h"
#include "rift/wg/uapi.h"
#include "rift/wg/udp.h"

/*
 * Private keys of 32 x 0x01 (the device), 0x02, 0x03, 0x04 (its peers), and
 * their public keys. The device keeps (and the UAPI shows, as the kernel's
 * does) its key clamped for X25519: first byte & 248, last & 127 | 64.
 */
#define PRIV1_HEX "0001010101010101010101010101010101010101010101010101010101010141"
#define PUB1_HEX  "a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209"
#define PUB2_HEX  "ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59"
#define PUB3_HEX  "5dfedd3b6bd47f6fa28ee15d969d5bb0ea53774d488bdaf9df1c6e0124b3ef22"
#define PUB4_HEX  "ac01b2209e86354fb853237b5de0f4fab13c7fcbf433a61c019369617fecf10b"
#define PUB2_B64  "zo060cy2M+x7cMF4FKXHbs0CloUFDTRHRboFhw5YfVk="
#define PUB3_B64  "Xf7dO2vUf2+ijuFdlp1bsOpTd01Ii9r53xxuASSz7yI="
#define ZERO_HEX  "0000000000000000000000000000000000000000000000000000000000000000"
#define PSK_HEX	  "7777777777777777777777777777777777777777777777777777777777777777"

static const char expected_get[] = "private_key=" PRIV1_HEX "\n"
				   "listen_port=51820\n"
				   "public_key=" PUB2_HEX "\n"
				   "preshared_key=" PSK_HEX "\n"
				   "protocol_version=1\n"
				   "endpoint=192.0.2.7:51820\n"
				   "last_handshake_time_sec=0\n"
				   "last_handshake_time_nsec=0\n"
				   "tx_bytes=148\n"
				   "rx_bytes=0\n"
				   "persistent_keepalive_interval=25\n"
				   "allowed_ip=10.0.0.2/32\n"
				   "allowed_ip=10.9.0.0/16\n"
				   "allowed_ip=fd00::2/128\n"
				   "public_key=" PUB3_HEX "\n"
				   "protocol_version=1\n"
				   "last_handshake_time_sec=0\n"
				   "last_handshake_time_nsec=0\n"
				   "tx_bytes=0\n"
				   "rx_bytes=0\n"
				   "persistent_keepalive_interval=0\n"
				   "allowed_ip=10.0.1.0/24\n"
				   "public_key=" PUB4_HEX "\n"
				   "protocol_version=1\n"
				   "endpoint=[2001:db8::4]:4000\n"
				   "last_handshake_time_sec=0\n"
				   "last_handshake_time_nsec=0\n"
				   "tx_bytes=0\n"
				   "rx_bytes=0\n"
				   "persistent_keepalive_interval=0\n"
				   "errno=0\n\n";

static unsigned sent;

static void op_send(void *ctx, const struct rg_wg_endpoint *to, const uint8_t *buf, size_t len)
{
	sent++;
}

static void op_deliver(void *ctx, struct rg_wg_peer *from, const uint8_t *pkt, size_t len)
{
}

static void op_random(void *ctx, void *buf, size_t len)
{
	memset(buf, 0x5a, len);
}

static void op_wallclock(void *ctx, int64_t *s, uint32_t *ns)
{
	*s = 1700000000;
	*ns = 0;
}

static const struct rg_wg_device_ops ops = { op_send, op_deliver, op_random, op_wallclock, NULL };

/* A bind that formats UDP endpoints and has no text for any other (a link number). */
static bool fake_format(const struct rg_wg_bind *b, const struct rg_wg_endpoint *ep, char *out,
			size_t outlen)
{
	struct core_addr a;

	if (rg_wg_udp_endpoint_to_addr(ep, &a) != CORE_OK)
		return false;
	core_addr_format(&a, out, outlen);
	return true;
}

static const struct rg_wg_bind_vtable fake_vt = { .format = fake_format };

static void key(uint8_t k[RG_WG_KEY_LEN], uint8_t fill)
{
	memset(k, fill, RG_WG_KEY_LEN);
}

static void add_prefix(struct rg_wg_peer *p, const char *cidr)
{
	uint8_t addr[16];
	unsigned len;
	int family;

	g_assert_cmpint(core_cidr_parse(cidr, &family, addr, &len), ==, CORE_OK);
	g_assert_cmpint(rg_wg_peer_add_allowed_ip(p, family, addr, len), ==, CORE_OK);
}

static void set_udp_endpoint(struct rg_wg_peer *p, const char *text)
{
	struct rg_wg_endpoint ep;
	struct core_addr a;

	g_assert_cmpint(core_addr_parse(&a, text), ==, CORE_OK);
	rg_wg_udp_endpoint_from_addr(&ep, &a);
	rg_wg_peer_set_endpoint(p, &ep);
}

/*
 * The device: peer 2 with a psk, a UDP endpoint and a keepalive (which sent
 * one initiation, 148 bytes); peer 3 at link 7 (no text); peer 4 at an IPv6
 * endpoint with no allowed IPs.
 */
static struct rg_wg_device *make_device(void)
{
	static const struct rg_wg_endpoint link7 = { 4, { 0, 0, 0, 7 } };
	uint8_t priv[RG_WG_KEY_LEN], pub[RG_WG_KEY_LEN], psk[RG_WG_KEY_LEN];
	struct rg_wg_device *dev;
	struct rg_wg_peer *p;

	key(priv, 1);
	g_assert_cmpint(rg_wg_device_new(&dev, priv, &ops, NULL), ==, CORE_OK);
	key(priv, 2);
	rg_wg_key_public(pub, priv);
	key(psk, 0x77);
	g_assert_cmpint(rg_wg_device_add_peer(dev, pub, psk, &p), ==, CORE_OK);
	add_prefix(p, "fd00::2/128");
	add_prefix(p, "10.9.0.0/16");
	add_prefix(p, "10.0.0.2/32");
	set_udp_endpoint(p, "192.0.2.7:51820");
	rg_wg_peer_set_keepalive(p, 25, RG_WG_NS(1));
	key(priv, 3);
	rg_wg_key_public(pub, priv);
	g_assert_cmpint(rg_wg_device_add_peer(dev, pub, NULL, &p), ==, CORE_OK);
	add_prefix(p, "10.0.1.0/24");
	rg_wg_peer_set_endpoint(p, &link7);
	key(priv, 4);
	rg_wg_key_public(pub, priv);
	g_assert_cmpint(rg_wg_device_add_peer(dev, pub, NULL, &p), ==, CORE_OK);
	set_udp_endpoint(p, "[2001:db8::4]:4000");
	return dev;
}

static void test_get(void)
{
	struct rg_wg_bind bind = { .vt = &fake_vt };
	struct rg_wg_device *dev = make_device();
	char *text = rg_wg_uapi_get(dev, &bind, 51820);

	g_assert_cmpuint(sent, ==, 1);
	g_assert_cmpstr(text, ==, expected_get);
	g_free(text);
	/* without a bind no endpoint is written */
	text = rg_wg_uapi_get(dev, NULL, 0);
	g_assert_true(g_str_has_prefix(text, "private_key=" PRIV1_HEX "\nlisten_port=0\n"));
	g_assert_null(strstr(text, "endpoint="));
	g_free(text);
	rg_wg_device_free(dev);
}

static void assert_allowed(const struct rg_wg_uapi_peer *p, const char *const *want)
{
	guint n = 0;

	for (; want[n] != NULL; n++) {
		g_assert_cmpuint(n, <, p->allowed->len);
		g_assert_cmpstr(g_ptr_array_index(p->allowed, n), ==, want[n]);
	}
	g_assert_cmpuint(p->allowed->len, ==, n);
}

static void test_parse(void)
{
	static const char *const allowed2[] = { "10.0.0.2/32", "10.9.0.0/16", "fd00::2/128", NULL };
	static const char *const allowed3[] = { "10.0.1.0/24", NULL };
	static const char *const none[] = { NULL };
	struct rg_wg_uapi_state *st = NULL;
	struct rg_wg_uapi_peer *p;
	uint8_t pub[RG_WG_KEY_LEN], priv[RG_WG_KEY_LEN];
	char text[CORE_ADDR_STRLEN];

	g_assert_cmpint(rg_wg_uapi_parse(expected_get, strlen(expected_get), &st), ==, CORE_OK);
	key(priv, 1);
	rg_wg_key_public(pub, priv);
	g_assert_cmpmem(st->public_key, RG_WG_KEY_LEN, pub, RG_WG_KEY_LEN);
	g_assert_cmpuint(st->listen_port, ==, 51820);
	g_assert_cmpuint(st->peers->len, ==, 3);
	p = g_ptr_array_index(st->peers, 0);
	key(priv, 2);
	rg_wg_key_public(pub, priv);
	g_assert_cmpmem(p->info.public_key, RG_WG_KEY_LEN, pub, RG_WG_KEY_LEN);
	g_assert_true(p->info.has_psk);
	g_assert_cmpstr(core_addr_format(&p->endpoint, text, sizeof(text)), ==, "192.0.2.7:51820");
	g_assert_cmpuint(p->info.tx_bytes, ==, 148);
	g_assert_cmpuint(p->info.rx_bytes, ==, 0);
	g_assert_cmpuint(p->info.persistent_keepalive_s, ==, 25);
	assert_allowed(p, allowed2);
	p = g_ptr_array_index(st->peers, 1);
	g_assert_false(p->info.has_psk);
	g_assert_cmpuint(p->endpoint.len, ==, 0);
	assert_allowed(p, allowed3);
	p = g_ptr_array_index(st->peers, 2);
	g_assert_cmpstr(core_addr_format(&p->endpoint, text, sizeof(text)), ==,
			"[2001:db8::4]:4000");
	assert_allowed(p, none);
	rg_wg_uapi_state_free(st);
	rg_wg_uapi_state_free(NULL);
	/* unknown keys are skipped; len bounds the text */
	g_assert_cmpint(rg_wg_uapi_parse("fwmark=0\nfoo=bar\nerrno=0\n\ngarbage", 25, &st), ==,
			CORE_OK);
	g_assert_cmpuint(st->peers->len, ==, 0);
	rg_wg_uapi_state_free(st);
}

static void assert_parse_fails(const char *text, int code)
{
	struct rg_wg_uapi_state *st = (struct rg_wg_uapi_state *)&st;

	g_assert_cmpint(rg_wg_uapi_parse(text, strlen(text), &st), ==, code);
	g_assert_null(st);
}

static void test_parse_bad(void)
{
	assert_parse_fails("errno=95\n\n", CORE_ERR_BAD_VALUE);
	assert_parse_fails("errno=-95\n\n", CORE_ERR_BAD_VALUE); /* wireguard-go's form */
	assert_parse_fails("errno=--95\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("errno=-\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("listen_port=1\n\n", CORE_ERR_BAD_FORMAT); /* no errno */
	assert_parse_fails("", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("no equals sign\nerrno=0\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("=1\nerrno=0\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("errno=x\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("listen_port=65536\nerrno=0\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("listen_port=-1\nerrno=0\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("listen_port=1x\nerrno=0\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("private_key=" PUB2_HEX "00\nerrno=0\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("public_key=zz" PUB2_HEX "\nerrno=0\n\n", CORE_ERR_BAD_FORMAT);
	assert_parse_fails("public_key=" PUB2_HEX "\nendpoint=vpn.example:51820\nerrno=0\n\n",
			   CORE_ERR_BAD_FORMAT);
	assert_parse_fails("public_key=" PUB2_HEX "\nlast_handshake_time_nsec=1000000000\n"
			   "errno=0\n\n",
			   CORE_ERR_BAD_FORMAT);
	assert_parse_fails("public_key=" PUB2_HEX "\npersistent_keepalive_interval=65536\n"
			   "errno=0\n\n",
			   CORE_ERR_BAD_FORMAT);
	/* an allowed IP that is no prefix: it would reach the terminal as it came */
	assert_parse_fails("public_key=" PUB2_HEX "\nallowed_ip=10.0.0.2/32\x1b[2J\nerrno=0\n\n",
			   CORE_ERR_BAD_FORMAT);
	assert_parse_fails("public_key=" PUB2_HEX "\nallowed_ip=vpn.example/32\nerrno=0\n\n",
			   CORE_ERR_BAD_FORMAT);
	/* beyond 2^64 - 1: g_ascii_strtoull saturates, which is not the number sent */
	assert_parse_fails("public_key=" PUB2_HEX "\ntx_bytes=18446744073709551616\nerrno=0\n\n",
			   CORE_ERR_BAD_FORMAT);
}

static void test_show(void)
{
	static const char answer[] = "private_key=" PRIV1_HEX "\n"
				     "listen_port=51820\n"
				     "public_key=" PUB2_HEX "\n"
				     "preshared_key=" PSK_HEX "\n"
				     "endpoint=192.0.2.7:51820\n"
				     "last_handshake_time_sec=1699913477\n"
				     "last_handshake_time_nsec=5\n"
				     "tx_bytes=3145728\n"
				     "rx_bytes=1536\n"
				     "persistent_keepalive_interval=25\n"
				     "allowed_ip=10.0.0.2/32\n"
				     "allowed_ip=fd00::2/128\n"
				     "public_key=" PUB3_HEX "\n"
				     "preshared_key=" ZERO_HEX "\n" /* wireguard-go's "none" */
				     "tx_bytes=0\n"
				     "rx_bytes=1000\n"
				     "errno=0\n\n";
	static const char expected[] =
		"interface: wg0\n"
		"  public key: pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=\n"
		"  private key: (hidden)\n"
		"  listening port: 51820\n"
		"\n"
		"peer: " PUB2_B64 "\n"
		"  preshared key: (hidden)\n"
		"  endpoint: 192.0.2.7:51820\n"
		"  allowed ips: 10.0.0.2/32, fd00::2/128\n"
		"  latest handshake: 1 day, 2 minutes, 3 seconds ago\n"
		"  transfer: 1.50 KiB received, 3.00 MiB sent\n"
		"  persistent keepalive: every 25 seconds\n"
		"\n"
		"peer: " PUB3_B64 "\n"
		"  allowed ips: (none)\n"
		"  transfer: 1000 B received, 0 B sent\n";
	struct rg_wg_uapi_state *st;
	char *text;

	g_assert_cmpint(rg_wg_uapi_parse(answer, strlen(answer), &st), ==, CORE_OK);
	text = rg_wg_uapi_show(st, "wg0", 1699913477 + 86400 + 123);
	g_assert_cmpstr(text, ==, expected);
	g_free(text);
	rg_wg_uapi_state_free(st);
}

static char *hex_of(const uint8_t k[RG_WG_KEY_LEN])
{
	char *h = g_malloc(2 * RG_WG_KEY_LEN + 1);

	core_hex_encode(h, k, RG_WG_KEY_LEN);
	return h;
}

static char *b64_of(const uint8_t k[RG_WG_KEY_LEN])
{
	char *b = g_malloc(RG_WG_KEY_B64_LEN + 1);

	rg_wg_key_to_base64(k, b);
	return b;
}

static char *show(const char *reply)
{
	struct rg_wg_uapi_state *st = NULL;
	char *text;

	g_assert_cmpint(rg_wg_uapi_parse(reply, strlen(reply), &st), ==, CORE_OK);
	text = rg_wg_uapi_show(st, "wg9", 100000000);
	rg_wg_uapi_state_free(st);
	return text;
}

/* What wireguard-go answers for two peers, one without a preshared key. */
static void test_wireguard_go(void)
{
	uint8_t priv[RG_WG_KEY_LEN], pub[RG_WG_KEY_LEN], a[RG_WG_KEY_LEN], b[RG_WG_KEY_LEN],
		psk[RG_WG_KEY_LEN], zero[RG_WG_KEY_LEN] = { 0 };
	char *hp, *ha, *hb, *hz, *hk, *reply, *text, *want, *bpub, *ba, *bb;

	memset(priv, 7, sizeof(priv));
	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	memset(psk, 0x42, sizeof(psk));
	g_assert_cmpint(rg_wg_key_public(pub, priv), ==, CORE_OK);
	hp = hex_of(priv), ha = hex_of(a), hb = hex_of(b), hz = hex_of(zero), hk = hex_of(psk);
	bpub = b64_of(pub), ba = b64_of(a), bb = b64_of(b);
	reply = g_strdup_printf("private_key=%s\nlisten_port=51820\n"
				"public_key=%s\npreshared_key=%s\nprotocol_version=1\n"
				"endpoint=192.0.2.7:51820\nlast_handshake_time_sec=0\n"
				"last_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
				"persistent_keepalive_interval=0\nallowed_ip=10.0.0.2/32\n"
				"public_key=%s\npreshared_key=%s\nprotocol_version=1\n"
				"last_handshake_time_sec=0\nlast_handshake_time_nsec=0\n"
				"tx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=0\n"
				"errno=0\n\n",
				hp, ha, hz, hb, hk);
	want = g_strdup_printf(
		"interface: wg9\n  public key: %s\n  private key: (hidden)\n"
		"  listening port: 51820\n\n"
		"peer: %s\n  endpoint: 192.0.2.7:51820\n  allowed ips: 10.0.0.2/32\n\n"
		"peer: %s\n  preshared key: (hidden)\n  allowed ips: (none)\n",
		bpub, ba, bb);
	text = show(reply);
	g_assert_cmpstr(text, ==, want);
	g_free(text);
	g_free(want);
	g_free(reply);
	/* a malformed key is a malformed answer */
	reply = g_strdup_printf("public_key=%s\npreshared_key=12\nerrno=0\n\n", ha);
	{
		struct rg_wg_uapi_state *st = NULL;

		g_assert_cmpint(rg_wg_uapi_parse(reply, strlen(reply), &st), ==,
				CORE_ERR_BAD_FORMAT);
		g_assert_null(st);
	}
	g_free(reply);
	g_free(hp), g_free(ha), g_free(hb), g_free(hz), g_free(hk);
	g_free(bpub), g_free(ba), g_free(bb);
}

/* wg(8)'s order of peers and its words for ages, keepalives and fwmark (now = 100000000). */
static void test_order_and_wording(void)
{
	static const struct {
		uint8_t fill;
		int64_t handshake;
		unsigned keepalive;
	} peers[] = {
		{ 0x11, 0, 1 },					  /* never: last */
		{ 0x22, 100000000 - 3725, 65 },			  /* second */
		{ 0x33, 100000000 - 31536000 - 86400 - 1, 3600 }, /* third */
		{ 0x44, 100000000 + 5, 0 },			  /* ahead of the clock: first */
		{ 0x55, 100000000, 0 },				  /* now: after it */
	};
	static const char *const want[] = {
		"peer: REREREREREREREREREREREREREREREREREREREREREQ=\n  allowed ips: (none)\n"
		"  latest handshake: (System clock wound backward; connection problems may "
		"ensue.)\n",
		"peer: VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=\n  allowed ips: (none)\n"
		"  latest handshake: Now\n",
		"peer: IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=\n  allowed ips: (none)\n"
		"  latest handshake: 1 hour, 2 minutes, 5 seconds ago\n"
		"  persistent keepalive: every 1 minute, 5 seconds\n",
		"peer: MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=\n  allowed ips: (none)\n"
		"  latest handshake: 1 year, 1 day, 1 second ago\n"
		"  persistent keepalive: every 1 hour\n",
		"peer: ERERERERERERERERERERERERERERERERERERERERERE=\n  allowed ips: (none)\n"
		"  persistent keepalive: every 1 second\n",
	};
	GString *reply = g_string_new("listen_port=51820\nfwmark=51820\n");
	GString *expect =
		g_string_new("interface: wg9\n  listening port: 51820\n  fwmark: 0xca6c\n");
	char *text;

	for (size_t i = 0; i < G_N_ELEMENTS(peers); i++) {
		uint8_t k[RG_WG_KEY_LEN];
		char *h;

		memset(k, peers[i].fill, sizeof(k));
		h = hex_of(k);
		g_string_append_printf(reply,
				       "public_key=%s\nlast_handshake_time_sec=%" G_GINT64_FORMAT
				       "\npersistent_keepalive_interval=%u\n",
				       h, peers[i].handshake, peers[i].keepalive);
		g_free(h);
	}
	g_string_append(reply, "errno=0\n\n");
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
		g_string_append_printf(expect, "\n%s", want[i]);
	text = show(reply->str);
	g_assert_cmpstr(text, ==, expect->str);
	g_free(text);
	g_string_free(reply, TRUE);
	g_string_free(expect, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/uapi/get", test_get);
	g_test_add_func("/wg/uapi/parse", test_parse);
	g_test_add_func("/wg/uapi/parse-bad", test_parse_bad);
	g_test_add_func("/wg/uapi/show", test_show);
	g_test_add_func("/wg/uapi/wireguard-go", test_wireguard_go);
	g_test_add_func("/wg/uapi/order-and-wording", test_order_and_wording);
	return g_test_run();
}
