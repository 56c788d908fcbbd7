/*
 * Unit tests for rift/wg/device: two devices joined by an in-memory wire
 * that can drop datagrams, driven by a fake clock. A packet waits for the
 * handshake and arrives byte for byte; the whitepaper's timers fire when
 * they must (keepalive, persistent keepalive, rekey after time, handshake
 * retries and giving up, zeroing keys); bad input is counted and dropped;
 * under load a cookie round trip lets the handshake through, and a cookie
 * serves only the endpoint it was made for; the endpoint roams to the last
 * authenticated source. Endpoints are opaque bytes here, as the device sees
 * them (no addresses). The main cases run again with transport data's
 * crypto as jobs (ops.crypto, crypto.h) completed in order after each
 * step, as the runner's workers would; and a job back for a session gone
 * in the meantime, a corrupt one, a repeated one, and no room (the device
 * does it itself) are checked.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "rift/wg/device-private.h" /* the index table, for remove-peer */
#include "rift/wg/device.h"
#include "rift/wg/msg.h"

struct dgram {
	int to; /* side index */
	struct rg_wg_endpoint from;
	size_t len;
	uint8_t data[2048];
};

struct side {
	GQueue jobs; /* of struct rg_wg_crypto, taken in this order */
	bool full;   /* ops.crypto has no room */
	struct rg_wg_device *dev;
	struct rg_wg_peer *peer; /* the other side */
	struct rg_wg_endpoint addr;
	GPtrArray *delivered; /* of GBytes */
	unsigned sent_by_type[5];
	size_t last_sent_len;
};

struct net {
	struct side s[2];
	GQueue wire;
	bool drop[2];  /* drop what this side sends */
	bool moved[2]; /* this side's endpoint changed: the other may still send to the old one */
	uint64_t now;
	GRand *rand;
	int sending; /* side whose device is calling ops.send */
};

static struct net *the_net;
static bool async_jobs; /* devices made with ops.crypto */
static bool hold_jobs;	/* run() leaves jobs for the test to complete */

static void op_send(void *ctx, const struct rg_wg_endpoint *to, const uint8_t *buf, size_t len)
{
	struct side *s = ctx;
	int i = s == &the_net->s[0] ? 0 : 1;
	struct dgram *d;

	/* the device sends only to the endpoint it knows for the other side */
	g_assert_true(rg_wg_endpoint_equal(to, &the_net->s[1 - i].addr) || the_net->moved[1 - i]);
	g_assert_cmpuint(len, <=, sizeof(d->data));
	s->sent_by_type[buf[0] < 5 ? buf[0] : 0]++;
	s->last_sent_len = len;
	if (the_net->drop[i])
		return;
	d = g_new0(struct dgram, 1);
	d->to = 1 - i;
	d->from = s->addr;
	d->len = len;
	memcpy(d->data, buf, len);
	g_queue_push_tail(&the_net->wire, d);
}

static void op_deliver(void *ctx, struct rg_wg_peer *from, const uint8_t *pkt, size_t len)
{
	struct side *s = ctx;

	g_assert_true(from == s->peer);
	g_ptr_array_add(s->delivered, g_bytes_new(pkt, len));
}

static void op_random(void *ctx, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)g_rand_int(the_net->rand);
}

static void op_wallclock(void *ctx, int64_t *s, uint32_t *ns)
{
	*s = 1700000000 + (int64_t)(the_net->now / 1000000000);
	*ns = (uint32_t)(the_net->now % 1000000000);
}

static struct rg_wg_crypto *op_crypto(void *ctx)
{
	struct side *s = ctx;
	struct rg_wg_crypto *c;

	if (s->full)
		return NULL;
	c = g_new0(struct rg_wg_crypto, 1);
	g_queue_push_tail(&s->jobs, c);
	return c;
}

static const struct rg_wg_device_ops ops = { op_send, op_deliver, op_random, op_wallclock, NULL };
static const struct rg_wg_device_ops async_ops = { op_send, op_deliver, op_random, op_wallclock,
						   op_crypto };

/* Complete side s's oldest job (and free it). */
static void finish_job(struct net *n, struct side *s)
{
	struct rg_wg_crypto *c = g_queue_pop_head(&s->jobs);

	rg_wg_crypto_run(c);
	rg_wg_device_crypto_done(s->dev, c, n->now);
	rg_wg_crypto_wipe(c);
	g_free(c);
}

/* Complete every job, in order (each may make more). */
static void finish_jobs(struct net *n)
{
	for (int i = 0; i < 2; i++)
		while (!hold_jobs && !g_queue_is_empty(&n->s[i].jobs))
			finish_job(n, &n->s[i]);
}

/* Deliver everything on the wire (and what it causes), in order. */
static void run(struct net *n)
{
	struct dgram *d;

	finish_jobs(n);
	while ((d = g_queue_pop_head(&n->wire)) != NULL) {
		rg_wg_device_recv(n->s[d->to].dev, &d->from, d->data, d->len, n->now);
		g_free(d);
		finish_jobs(n);
	}
}

/* Advance the clock to t, running timers as they fall due. */
static void advance_to(struct net *n, uint64_t t)
{
	for (;;) {
		uint64_t d0 = rg_wg_device_deadline(n->s[0].dev);
		uint64_t d1 = rg_wg_device_deadline(n->s[1].dev);
		uint64_t d = d0 < d1 ? d0 : d1;

		if (d > t)
			break;
		if (d > n->now)
			n->now = d;
		rg_wg_device_tick(n->s[0].dev, n->now);
		rg_wg_device_tick(n->s[1].dev, n->now);
		run(n);
	}
	n->now = t;
	run(n);
}

static void advance(struct net *n, uint64_t dt)
{
	advance_to(n, n->now + dt);
}

static void add_prefix(struct rg_wg_peer *p, const char *cidr)
{
	uint8_t addr[16];
	unsigned len;
	int family;

	g_assert_cmpint(core_cidr_parse(cidr, &family, addr, &len), ==, CORE_OK);
	g_assert_cmpint(rg_wg_peer_add_allowed_ip(p, family, addr, len), ==, CORE_OK);
}

/* An opaque endpoint of the bytes of text (without its NUL). */
static struct rg_wg_endpoint endpoint(const char *text)
{
	struct rg_wg_endpoint ep;

	g_assert_true(rg_wg_endpoint_set(&ep, text, strlen(text)));
	return ep;
}

/* A (10.0.0.1, endpoint "link-a") and B (10.0.0.2, "link-b"), optional psk. */
static struct net *net_new(bool psk)
{
	static const uint8_t k[32] = { 0xaa, 1, 2, 3 };
	struct net *n = g_new0(struct net, 1);
	uint8_t priv[2][32], pub[2][32];

	the_net = n;
	n->rand = g_rand_new_with_seed(1234);
	n->now = RG_WG_NS(1);
	g_queue_init(&n->wire);
	for (int i = 0; i < 2; i++) {
		op_random(NULL, priv[i], 32);
		g_queue_init(&n->s[i].jobs);
		g_assert_cmpint(rg_wg_device_new(&n->s[i].dev, priv[i],
						 async_jobs ? &async_ops : &ops, &n->s[i]),
				==, CORE_OK);
		rg_wg_device_public_key(n->s[i].dev, pub[i]);
		n->s[i].delivered = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	}
	n->s[0].addr = endpoint("link-a");
	n->s[1].addr = endpoint("link-b");
	for (int i = 0; i < 2; i++) {
		g_assert_cmpint(rg_wg_device_add_peer(n->s[i].dev, pub[1 - i], psk ? k : NULL,
						      &n->s[i].peer),
				==, CORE_OK);
		rg_wg_peer_set_endpoint(n->s[i].peer, &n->s[1 - i].addr);
	}
	add_prefix(n->s[0].peer, "10.0.0.2/32");
	add_prefix(n->s[1].peer, "10.0.0.1/32");
	add_prefix(n->s[1].peer, "fd00::1/128");
	/* duplicates and our own key are refused */
	g_assert_cmpint(rg_wg_device_add_peer(n->s[0].dev, pub[1], NULL, NULL), ==,
			CORE_ERR_INVALID_ARG);
	g_assert_cmpint(rg_wg_device_add_peer(n->s[0].dev, pub[0], NULL, NULL), ==,
			CORE_ERR_BAD_VALUE);
	return n;
}

static void net_free(struct net *n)
{
	struct dgram *d;

	while ((d = g_queue_pop_head(&n->wire)) != NULL)
		g_free(d);
	for (int i = 0; i < 2; i++) {
		g_queue_clear_full(&n->s[i].jobs, g_free);
		rg_wg_device_free(n->s[i].dev);
		g_ptr_array_unref(n->s[i].delivered);
	}
	g_rand_free(n->rand);
	g_free(n);
	the_net = NULL;
}

/* An IPv4 packet src -> dst (last octets of 10.0.0.x) with len bytes of payload. */
static size_t ipv4(uint8_t *p, int src, int dst, size_t len, uint8_t fillc)
{
	size_t total = 20 + len;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(total >> 8);
	p[3] = (uint8_t)total;
	p[8] = 64;
	p[9] = 17;
	p[12] = 10, p[15] = (uint8_t)src;
	p[16] = 10, p[19] = (uint8_t)dst;
	memset(p + 20, fillc, len);
	return total;
}

static void assert_delivered(struct side *s, guint i, const uint8_t *pkt, size_t len)
{
	gsize n;
	const uint8_t *got;

	g_assert_cmpuint(s->delivered->len, >, i);
	got = g_bytes_get_data(g_ptr_array_index(s->delivered, i), &n);
	g_assert_cmpmem(got, n, pkt, len);
}

static void test_first_packet(gconstpointer psk)
{
	struct net *n = net_new(psk != NULL);
	uint8_t pkt[1500], back[100];
	size_t len = ipv4(pkt, 1, 2, 1000, 'x'), blen = ipv4(back, 2, 1, 33, 'y');
	struct rg_wg_peer_info info;

	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 1);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_RESPONSE], ==, 1);
	assert_delivered(&n->s[1], 0, pkt, len);
	/* 1000 + 20 bytes padded to 1024, plus 32 of header and tag */
	g_assert_cmpuint(n->s[0].last_sent_len, ==, 1056);
	rg_wg_device_send(n->s[1].dev, back, blen, n->now);
	run(n);
	assert_delivered(&n->s[0], 0, back, blen);
	for (int i = 0; i < 2; i++) {
		rg_wg_peer_info(n->s[i].peer, &info);
		g_assert_cmpuint(info.handshakes, ==, 1);
		g_assert_cmpint(info.last_handshake_s, ==, 1700000001);
		g_assert_cmpuint(info.rx_bytes, >, 0);
		g_assert_cmpuint(info.has_psk, ==, psk != NULL);
	}
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 1);
	net_free(n);
}

/* A passive receiver answers data with a keepalive after 10 s of silence. */
static void test_keepalive(void)
{
	struct net *n = net_new(false);
	uint8_t pkt[100];
	size_t len = ipv4(pkt, 1, 2, 10, 'k');
	unsigned before;

	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	before = n->s[1].sent_by_type[RG_WG_DATA];
	advance(n, RG_WG_NS(9));
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_DATA], ==, before);
	advance(n, RG_WG_NS(2));
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_DATA], ==, before + 1);
	g_assert_cmpuint(n->s[1].last_sent_len, ==, RG_WG_DATA_MIN);
	/* nothing more while nothing happens, until the keys are zeroed (540 s) */
	advance(n, RG_WG_NS(100));
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_DATA], ==, before + 1);
	net_free(n);
}

static void test_persistent_keepalive(void)
{
	struct net *n = net_new(false);
	const struct rg_wg_stats *st = rg_wg_device_stats(n->s[1].dev);

	rg_wg_peer_set_keepalive(n->s[0].peer, 25, n->now); /* starts a handshake at once */
	run(n);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 1);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_DATA], ==, 1);
	advance(n, RG_WG_NS(24));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_DATA], ==, 1);
	advance(n, RG_WG_NS(2));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_DATA], ==, 2);
	advance(n, RG_WG_NS(50));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_DATA], ==, 4);
	g_assert_cmpuint(n->s[0].last_sent_len, ==, RG_WG_DATA_MIN);
	g_assert_cmpuint(st->bad_data + st->replayed_data + st->unknown_index, ==, 0);
	net_free(n);
}

/* The initiator re-handshakes when sending with keys older than 120 s. */
static void test_rekey_after_time(void)
{
	struct net *n = net_new(false);
	uint8_t pkt[100];
	size_t len = ipv4(pkt, 1, 2, 10, 'r');
	struct rg_wg_peer_info info;

	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	advance(n, RG_WG_NS(119));
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 1);
	advance(n, RG_WG_NS(2));
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 2);
	rg_wg_peer_info(n->s[0].peer, &info);
	g_assert_cmpuint(info.handshakes, ==, 2);
	/* every packet arrived, the old keys served while the new ones were made */
	g_assert_cmpuint(n->s[1].delivered->len, ==, 3);
	/* the responder moves to the new keys on the initiator's first packet */
	rg_wg_device_send(n->s[1].dev, pkt, ipv4(pkt, 2, 1, 10, 's'), n->now);
	run(n);
	g_assert_cmpuint(n->s[0].delivered->len, ==, 1);
	net_free(n);
}

/* No answer: retries every 5 s (+ jitter) for 90 s, then gives up and drops what waited. */
static void test_retry_and_give_up(void)
{
	struct net *n = net_new(false);
	uint8_t pkt[100];
	size_t len = ipv4(pkt, 1, 2, 10, 'g');

	n->drop[0] = true;
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	advance(n, RG_WG_NS(4));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 1);
	advance(n, RG_WG_NS(2));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 2);
	advance(n, RG_WG_NS(200));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 19);
	/* the link returns: a new packet starts a handshake; the old one was dropped */
	n->drop[0] = false;
	rg_wg_device_send(n->s[0].dev, pkt, ipv4(pkt, 1, 2, 10, 'h'), n->now);
	run(n);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 1);
	assert_delivered(&n->s[1], 0, pkt, len);
	g_assert_cmpuint(rg_wg_device_stats(n->s[0].dev)->staged_dropped, ==, 0);
	net_free(n);
}

/* With no traffic for 3 x 180 s, the keys are wiped: the next packet handshakes again. */
static void test_zero_keys(void)
{
	struct net *n = net_new(false);
	uint8_t pkt[100];
	size_t len = ipv4(pkt, 1, 2, 10, 'z');

	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	advance(n, RG_WG_NS(541));
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 2);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 2);
	net_free(n);
}

static void test_bad_input(void)
{
	struct net *n = net_new(false);
	const struct rg_wg_stats *st = rg_wg_device_stats(n->s[1].dev);
	uint8_t pkt[100], junk[200], data[200], init[RG_WG_INITIATION_LEN];
	size_t len = ipv4(pkt, 1, 2, 10, 'b'), dlen;
	struct dgram *d;

	/* capture the initiation and the first data packet on their way */
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	finish_jobs(n); /* (with jobs: sealed now) */
	d = g_queue_peek_head(&n->wire);
	g_assert_cmpuint(d->len, ==, sizeof(init));
	memcpy(init, d->data, sizeof(init));
	run(n);
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	finish_jobs(n); /* (with jobs: sealed now) */
	d = g_queue_peek_head(&n->wire);
	dlen = d->len;
	memcpy(data, d->data, dlen);
	run(n);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 2);

	rg_wg_device_recv(n->s[1].dev, &n->s[0].addr, data, dlen, n->now); /* replay */
	finish_jobs(n);
	g_assert_cmpuint(st->replayed_data, ==, 1);
	data[dlen - 1] ^= 1;
	rg_wg_device_recv(n->s[1].dev, &n->s[0].addr, data, dlen, n->now);
	finish_jobs(n);
	g_assert_cmpuint(st->bad_data, ==, 1);
	data[4] ^= 1; /* receiver index */
	rg_wg_device_recv(n->s[1].dev, &n->s[0].addr, data, dlen, n->now);
	finish_jobs(n);
	g_assert_cmpuint(st->unknown_index, ==, 1);
	rg_wg_device_recv(n->s[1].dev, &n->s[0].addr, data, 20, n->now); /* truncated */
	finish_jobs(n);
	rg_wg_device_recv(n->s[1].dev, &n->s[0].addr, data, 3, n->now);
	finish_jobs(n);
	memset(junk, 0x5a, sizeof(junk));
	rg_wg_device_recv(n->s[1].dev, &n->s[0].addr, junk, sizeof(junk), n->now);
	finish_jobs(n);
	g_assert_cmpuint(st->malformed, ==, 3);
	advance(n, RG_WG_NS(1));
	rg_wg_device_recv(n->s[1].dev, &n->s[0].addr, init, sizeof(init), n->now); /* old */
	finish_jobs(n);
	g_assert_cmpuint(st->replayed_init, ==, 1);
	init[20] ^= 1;
	rg_wg_device_recv(n->s[1].dev, &n->s[0].addr, init, sizeof(init), n->now);
	finish_jobs(n);
	g_assert_cmpuint(st->bad_mac1, ==, 1);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_RESPONSE], ==, 1);
	/* a source address A may not use */
	rg_wg_device_send(n->s[0].dev, pkt, ipv4(pkt, 9, 2, 10, 'b'), n->now);
	run(n);
	g_assert_cmpuint(st->bad_source, ==, 1);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 2);
	/* no route */
	rg_wg_device_send(n->s[0].dev, pkt, ipv4(pkt, 1, 3, 10, 'b'), n->now);
	g_assert_cmpuint(rg_wg_device_stats(n->s[0].dev)->no_route, ==, 1);
	/* the session still works */
	rg_wg_device_send(n->s[0].dev, pkt, ipv4(pkt, 1, 2, 10, 'c'), n->now);
	run(n);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 3);
	net_free(n);
}

/* Under load, B demands mac2: A gets a cookie and its retry gets through. */
static void test_under_load(void)
{
	struct net *n = net_new(false);
	uint8_t pkt[100];
	size_t len = ipv4(pkt, 1, 2, 10, 'l');

	rg_wg_device_set_load_threshold(n->s[1].dev, 0);
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	g_assert_cmpuint(rg_wg_device_stats(n->s[1].dev)->cookies_sent, ==, 1);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_RESPONSE], ==, 0);
	advance(n, RG_WG_NS(6));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 2);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_RESPONSE], ==, 1);
	assert_delivered(&n->s[1], 0, pkt, len);
	net_free(n);
}

/*
 * Under load a cookie is bound to the endpoint it was sent to: A moves
 * between the cookie and its retry, so the retry's mac2 is wrong and B
 * answers with another cookie for the new endpoint, which then works.
 */
static void test_cookie_bound_to_endpoint(void)
{
	struct net *n = net_new(false);
	const struct rg_wg_stats *st = rg_wg_device_stats(n->s[1].dev);
	uint8_t pkt[100];
	size_t len = ipv4(pkt, 1, 2, 10, 'e');

	rg_wg_device_set_load_threshold(n->s[1].dev, 0);
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	g_assert_cmpuint(st->cookies_sent, ==, 1);
	n->s[0].addr = endpoint("link-a2");
	n->moved[0] = true;
	advance(n, RG_WG_NS(6)); /* the retry, from link-a2 with link-a's cookie */
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 2);
	g_assert_cmpuint(st->cookies_sent, ==, 2);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_RESPONSE], ==, 0);
	advance(n, RG_WG_NS(6)); /* the next, with link-a2's cookie */
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 3);
	g_assert_cmpuint(st->cookies_sent, ==, 2);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_RESPONSE], ==, 1);
	assert_delivered(&n->s[1], 0, pkt, len);
	net_free(n);
}

static void assert_endpoint(const struct rg_wg_peer *peer, const char *text)
{
	struct rg_wg_peer_info info;

	rg_wg_peer_info(peer, &info);
	g_assert_cmpmem(info.endpoint.bytes, info.endpoint.len, text, strlen(text));
}

static void test_roaming(void)
{
	struct net *n = net_new(false);
	const struct rg_wg_stats *st = rg_wg_device_stats(n->s[1].dev);
	uint8_t pkt[100], moved[100], data[200];
	size_t len = ipv4(pkt, 1, 2, 10, 'm'), mlen = ipv4(moved, 1, 2, 12, 'M'), dlen;
	struct rg_wg_endpoint forged = endpoint("forged");
	struct dgram *d;

	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	n->s[0].addr = endpoint("link-a2");
	n->moved[0] = true;
	rg_wg_device_send(n->s[0].dev, moved, mlen, n->now);
	finish_jobs(n); /* (with jobs: sealed now) */
	d = g_queue_peek_head(&n->wire);
	dlen = d->len;
	memcpy(data, d->data, dlen);
	run(n);
	/* the packet from the new endpoint is delivered, and moves B's endpoint there */
	g_assert_cmpuint(n->s[1].delivered->len, ==, 2);
	assert_delivered(&n->s[1], 1, moved, mlen);
	assert_endpoint(n->s[1].peer, "link-a2");
	/* B answers at the new endpoint */
	n->moved[0] = false;
	rg_wg_device_send(n->s[1].dev, pkt, ipv4(pkt, 2, 1, 10, 'n'), n->now);
	run(n);
	g_assert_cmpuint(n->s[0].delivered->len, ==, 1);
	/* a replayed or forged datagram from elsewhere delivers nothing and moves nothing */
	rg_wg_device_recv(n->s[1].dev, &forged, data, dlen, n->now);
	finish_jobs(n);
	g_assert_cmpuint(st->replayed_data, ==, 1);
	data[dlen - 1] ^= 1;
	rg_wg_device_recv(n->s[1].dev, &forged, data, dlen, n->now);
	finish_jobs(n);
	g_assert_cmpuint(st->bad_data, ==, 1);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 2);
	assert_endpoint(n->s[1].peer, "link-a2");
	/* and B's next packet still goes to the endpoint A really moved to */
	rg_wg_device_send(n->s[1].dev, pkt, ipv4(pkt, 2, 1, 10, 'o'), n->now);
	finish_jobs(n);
	g_assert_true(rg_wg_endpoint_equal(&((struct dgram *)g_queue_peek_head(&n->wire))->from,
					   &n->s[1].addr));
	run(n);
	g_assert_cmpuint(n->s[0].delivered->len, ==, 2);
	net_free(n);
}

/*
 * REJECT_AFTER_TIME on receive: data sealed with keys still valid when sent
 * (179.9 s) but arriving when they are 180 s old is dropped (bad_data, not
 * delivered); the handshake sent with it makes new keys that carry the next
 * packet.
 */
static void test_reject_after_time_receive(void)
{
	struct net *n = net_new(false);
	const struct rg_wg_stats *st = rg_wg_device_stats(n->s[1].dev);
	uint8_t pkt[100];
	size_t len = ipv4(pkt, 1, 2, 10, 'x');
	uint64_t t0;

	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	t0 = n->now; /* both sides made their keys now (no time passes on the wire) */
	g_assert_cmpuint(n->s[1].delivered->len, ==, 1);
	advance_to(n, t0 + RG_WG_REJECT_AFTER_TIME - RG_WG_NS(1) / 10);
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	/* on the wire: the data under the old keys, then a rekeying initiation */
	g_assert_cmpuint(g_queue_get_length(&n->wire), ==, 2);
	n->now = t0 + RG_WG_REJECT_AFTER_TIME; /* the wire was slow */
	run(n);
	g_assert_cmpuint(st->bad_data, ==, 1);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 1);
	/* the new keys carry the next packet */
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 2);
	net_free(n);
}

/*
 * The initiator's last-minute rekey (whitepaper 6.2): its keys 165 s old or
 * more (REJECT_AFTER_TIME - KEEPALIVE - REKEY_TIMEOUT), data it receives
 * makes it start a handshake, once; before that age, nothing. The responder
 * never does (its keys age the same, but it never initiates on receipt).
 */
static void test_last_minute_rekey(void)
{
	struct net *n = net_new(false);
	uint8_t pkt[100];
	uint64_t t0, last_minute = RG_WG_REJECT_AFTER_TIME - RG_WG_KEEPALIVE_TIMEOUT -
				   RG_WG_REKEY_TIMEOUT;

	rg_wg_device_send(n->s[0].dev, pkt, ipv4(pkt, 1, 2, 10, 'a'), n->now);
	run(n);
	t0 = n->now;
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 1);
	/* B's data at 164 s: A (the initiator) only takes it */
	advance_to(n, t0 + last_minute - RG_WG_NS(1));
	rg_wg_device_send(n->s[1].dev, pkt, ipv4(pkt, 2, 1, 10, 'b'), n->now);
	run(n);
	g_assert_cmpuint(n->s[0].delivered->len, ==, 1);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 1);
	/* at 165 s and a bit: A starts a handshake on receipt */
	advance_to(n, t0 + last_minute + RG_WG_NS(1) / 2);
	rg_wg_device_send(n->s[1].dev, pkt, ipv4(pkt, 2, 1, 10, 'c'), n->now);
	g_assert_cmpuint(g_queue_get_length(&n->wire), ==, 1);
	rg_wg_device_recv(n->s[0].dev, &n->s[1].addr,
			  ((struct dgram *)g_queue_peek_head(&n->wire))->data,
			  ((struct dgram *)g_queue_peek_head(&n->wire))->len, n->now);
	g_free(g_queue_pop_head(&n->wire));
	g_assert_cmpuint(n->s[0].delivered->len, ==, 2);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 2);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_INITIATION], ==, 0);
	run(n);
	/* once: more data before that handshake is done starts no other */
	rg_wg_device_send(n->s[1].dev, pkt, ipv4(pkt, 2, 1, 10, 'd'), n->now);
	run(n);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 2);
	g_assert_cmpuint(n->s[0].delivered->len, ==, 3);
	net_free(n);
}

static void test_no_endpoint(void)
{
	struct net *n = net_new(false);
	const struct rg_wg_stats *st = rg_wg_device_stats(n->s[0].dev);
	struct rg_wg_endpoint none = { 0 };
	uint8_t pkt[100];
	size_t len = ipv4(pkt, 1, 2, 10, 'o');
	struct dgram *d;

	rg_wg_peer_set_endpoint(n->s[0].peer, NULL);
	assert_endpoint(n->s[0].peer, "");
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	g_assert_cmpuint(st->no_endpoint, ==, 1);
	g_assert_true(g_queue_is_empty(&n->wire));
	rg_wg_peer_set_endpoint(n->s[0].peer, &none);
	rg_wg_peer_set_keepalive(n->s[0].peer, 25, n->now); /* nothing to send it to */
	g_assert_true(g_queue_is_empty(&n->wire));
	/* B's initiation, delivered as if from no endpoint */
	rg_wg_device_send(n->s[1].dev, pkt, ipv4(pkt, 2, 1, 10, 'p'), n->now);
	d = g_queue_pop_head(&n->wire);
	rg_wg_device_recv(n->s[0].dev, &none, d->data, d->len, n->now);
	g_free(d);
	g_assert_cmpuint(st->malformed, ==, 1);
	assert_endpoint(n->s[0].peer, "");
	net_free(n);
}

static uint64_t handshakes(const struct rg_wg_peer *peer)
{
	struct rg_wg_peer_info info;

	rg_wg_peer_info(peer, &info);
	return info.handshakes;
}

/*
 * rg_wg_peer_initiate: an initiation now, none more within REKEY_TIMEOUT;
 * the peer answers each (a handshake completes, keys or not); unanswered
 * ones are retried as any; with no endpoint nothing is sent.
 */
static void test_initiate(void)
{
	struct net *n = net_new(false);
	const struct rg_wg_stats *st = rg_wg_device_stats(n->s[0].dev);
	uint8_t pkt[100];

	g_assert_true(rg_wg_peer_initiate(n->s[0].peer, n->now));
	run(n);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 1);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_RESPONSE], ==, 1);
	g_assert_cmpuint(handshakes(n->s[0].peer), ==, 1);
	/* the initiator's keepalive confirms the session: B can send at once */
	rg_wg_device_send(n->s[1].dev, pkt, ipv4(pkt, 2, 1, 10, 'i'), n->now);
	run(n);
	g_assert_cmpuint(n->s[0].delivered->len, ==, 1);
	advance(n, RG_WG_NS(4));
	g_assert_false(rg_wg_peer_initiate(n->s[0].peer, n->now)); /* within REKEY_TIMEOUT */
	run(n);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 1);
	advance(n, RG_WG_NS(2));
	g_assert_true(rg_wg_peer_initiate(n->s[0].peer, n->now)); /* with a live session too */
	run(n);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 2);
	g_assert_cmpuint(handshakes(n->s[0].peer), ==, 2);
	/* the responder can initiate as well */
	advance(n, RG_WG_NS(6));
	rg_wg_peer_initiate(n->s[1].peer, n->now);
	run(n);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_INITIATION], ==, 1);
	g_assert_cmpuint(handshakes(n->s[1].peer), ==, 3);
	/* a dead peer: retried every 5 s (+ jitter), not answered */
	n->drop[1] = true;
	advance(n, RG_WG_NS(6));
	rg_wg_peer_initiate(n->s[0].peer, n->now);
	advance(n, RG_WG_NS(1));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 3);
	advance(n, RG_WG_NS(10));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 5);
	g_assert_cmpuint(handshakes(n->s[0].peer), ==, 3);
	/* no endpoint: nothing sent, counted */
	rg_wg_peer_set_endpoint(n->s[0].peer, NULL);
	advance(n, RG_WG_NS(6));
	g_assert_false(rg_wg_peer_initiate(n->s[0].peer, n->now));
	g_assert_cmpuint(st->no_endpoint, >=, 1);
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 5);
	net_free(n);
}

/* A data packet src -> dst as A's device sends it (taken off the wire, not delivered). */
static size_t capture_data(struct net *n, int from, uint8_t *out, size_t outlen)
{
	uint8_t pkt[100];
	struct dgram *d;
	size_t len;

	rg_wg_device_send(n->s[from].dev, pkt, ipv4(pkt, from + 1, 2 - from, 10, 'x'), n->now);
	finish_jobs(n);
	d = g_queue_pop_head(&n->wire);
	g_assert_nonnull(d);
	g_assert_true(g_queue_is_empty(&n->wire));
	g_assert_cmpuint(d->data[0], ==, RG_WG_DATA);
	g_assert_cmpuint(d->len, <=, outlen);
	len = d->len;
	memcpy(out, d->data, len);
	g_free(d);
	return len;
}

/*
 * B removes A: A's receiver indices and sessions are gone (A's data is
 * unknown_index), A's allowed IPs no longer route (no_route), no timer is
 * left; nothing is sent.
 */
static void test_remove_peer(void)
{
	struct net *n = net_new(false);
	struct rg_wg_device *b = n->s[1].dev;
	const struct rg_wg_stats *st = rg_wg_device_stats(b);
	uint8_t pkt[100], data[200], pub[RG_WG_KEY_LEN];
	struct rg_wg_peer_info info;
	size_t dlen;

	rg_wg_device_send(n->s[0].dev, pkt, ipv4(pkt, 1, 2, 10, 'a'), n->now);
	run(n);
	rg_wg_device_send(b, pkt, ipv4(pkt, 2, 1, 10, 'b'), n->now);
	run(n);
	dlen = capture_data(n, 0, data, sizeof(data));
	g_assert_cmpuint(g_hash_table_size(b->indices), >, 0);
	rg_wg_peer_info(n->s[1].peer, &info);
	memcpy(pub, info.public_key, sizeof(pub));

	rg_wg_device_remove_peer(b, n->s[1].peer);
	n->s[1].peer = NULL;
	g_assert_null(rg_wg_device_next_peer(b, NULL));
	g_assert_null(rg_wg_device_find_peer(b, pub));
	g_assert_cmpuint(g_hash_table_size(b->indices), ==, 0);
	g_assert_cmpuint(rg_wg_device_deadline(b), ==, UINT64_MAX);
	rg_wg_device_recv(b, &n->s[0].addr, data, dlen, n->now);
	finish_jobs(n);
	g_assert_cmpuint(st->unknown_index, ==, 1);
	rg_wg_device_send(b, pkt, ipv4(pkt, 2, 1, 10, 'c'), n->now);
	g_assert_cmpuint(st->no_route, ==, 1);
	g_assert_true(g_queue_is_empty(&n->wire));
	g_assert_cmpuint(n->s[1].delivered->len, ==, 1);
	/* A's next handshake finds no peer on B */
	advance(n, RG_WG_NS(20));
	g_assert_cmpuint(st->bad_handshake, >=, 1);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_RESPONSE], ==, 1);
	/* a peer of no device, or removed already: nothing happens */
	rg_wg_device_remove_peer(b, n->s[0].peer);
	g_assert_nonnull(rg_wg_device_next_peer(n->s[0].dev, NULL));
	net_free(n);
}

/* Re-added with the same key, A is a new peer: no session, it handshakes afresh both ways. */
static void test_remove_peer_readd(void)
{
	struct net *n = net_new(false);
	struct rg_wg_device *b = n->s[1].dev;
	const struct rg_wg_stats *st = rg_wg_device_stats(b);
	uint8_t pkt[100], data[200], pub[RG_WG_KEY_LEN];
	struct rg_wg_peer_info info;
	size_t len;

	rg_wg_device_send(n->s[0].dev, pkt, ipv4(pkt, 1, 2, 10, 'a'), n->now);
	run(n);
	rg_wg_peer_info(n->s[1].peer, &info);
	memcpy(pub, info.public_key, sizeof(pub));
	rg_wg_device_remove_peer(b, n->s[1].peer);
	g_assert_cmpint(rg_wg_device_add_peer(b, pub, NULL, &n->s[1].peer), ==, CORE_OK);
	add_prefix(n->s[1].peer, "10.0.0.1/32");
	rg_wg_peer_info(n->s[1].peer, &info);
	g_assert_cmpuint(info.handshakes + info.rx_bytes + info.tx_bytes, ==, 0);
	g_assert_cmpuint(info.endpoint.len, ==, 0);
	/* A's old session means nothing to B any more */
	capture_data(n, 0, data, sizeof(data));
	rg_wg_device_recv(b, &n->s[0].addr, data, sizeof(data), n->now);
	g_assert_cmpuint(st->unknown_index, ==, 1);
	/* hearing no answer, A handshakes again within 15 s; B learns A's endpoint from it */
	advance(n, RG_WG_NS(16));
	g_assert_cmpuint(n->s[0].sent_by_type[RG_WG_INITIATION], ==, 2);
	rg_wg_peer_info(n->s[1].peer, &info);
	g_assert_cmpuint(info.handshakes, ==, 1);
	g_assert_true(rg_wg_endpoint_equal(&info.endpoint, &n->s[0].addr));
	len = ipv4(pkt, 1, 2, 10, 'f');
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	assert_delivered(&n->s[1], 1, pkt, len);
	/* and B, removing and re-adding A with an endpoint, initiates afresh itself */
	rg_wg_device_remove_peer(b, n->s[1].peer);
	g_assert_cmpint(rg_wg_device_add_peer(b, pub, NULL, &n->s[1].peer), ==, CORE_OK);
	add_prefix(n->s[1].peer, "10.0.0.1/32");
	rg_wg_peer_set_endpoint(n->s[1].peer, &n->s[0].addr);
	len = ipv4(pkt, 2, 1, 10, 'g');
	rg_wg_device_send(b, pkt, len, n->now);
	run(n);
	g_assert_cmpuint(n->s[1].sent_by_type[RG_WG_INITIATION], ==, 1);
	assert_delivered(&n->s[0], 0, pkt, len);
	net_free(n);
}

/*
 * Removing a peer wipes every byte it held: its keys (static, psk,
 * precomputed, handshake, cookies) and its endpoint. White-box: the wiping
 * step of rg_wg_device_remove_peer, on a peer with a session and a
 * handshake in flight, taken out of the device first.
 */
static void test_remove_peer_wipes(void)
{
	static const uint8_t zero[sizeof(struct rg_wg_peer)];
	struct net *n = net_new(true);
	struct rg_wg_device *b = n->s[1].dev;
	struct rg_wg_peer *peer = n->s[1].peer;
	uint8_t pkt[100];

	rg_wg_device_send(n->s[0].dev, pkt, ipv4(pkt, 1, 2, 10, 'a'), n->now);
	run(n);
	n->drop[1] = true;
	advance(n, RG_WG_NS(6));
	rg_wg_peer_initiate(peer, n->now);
	g_assert_nonnull(peer->current);
	g_assert_cmpuint(peer->hs_index.value, !=, 0);
	g_assert_true(g_ptr_array_remove(b->peers, peer));
	wg_peer_wipe(peer);
	g_assert_cmpmem(peer, sizeof(*peer), zero, sizeof(zero));
	g_assert_cmpuint(g_hash_table_size(b->indices), ==, 0);
	g_assert_null(rg_wg_device_next_peer(b, NULL));
	g_free(peer);
	n->s[1].peer = NULL;
	net_free(n);
}

/*
 * A device starts libsodium: without sodium_init, `wg up` sealed every
 * packet with libsodium's reference ChaCha20 instead of its AVX2 code
 * (60 % of a sender's CPU was scalar ChaCha20 under perf). In a fresh
 * process: after rg_wg_device_new, libsodium says it was started already.
 */
static void test_starts_libsodium(void)
{
	static const uint8_t key[32] = { 7 };
	struct rg_wg_device *dev;

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}
	g_assert_cmpint(rg_wg_device_new(&dev, key, &ops, NULL), ==, CORE_OK);
	g_assert_cmpint(sodium_init(), ==, 1);
	rg_wg_device_free(dev);
}

/* The test at data, with transport data's crypto as jobs. */
static void with_jobs(gconstpointer test)
{
	async_jobs = true;
	((void (*)(void))test)();
	async_jobs = false;
}

static void first_packet_jobs(void)
{
	test_first_packet(NULL);
}

/*
 * Jobs back late: for a session zeroed meanwhile (nothing delivered,
 * counted), corrupt (bad_data), the same message twice (replayed_data);
 * with no room the device seals and opens itself, and the packets still
 * arrive in order.
 */
static void test_jobs_late(void)
{
	struct net *n;
	const struct rg_wg_stats *st;
	struct rg_wg_crypto *c, *dup;
	uint8_t pkt[200];
	size_t len;

	async_jobs = true;
	n = net_new(false);
	st = rg_wg_device_stats(n->s[1].dev);
	len = ipv4(pkt, 1, 2, 100, 'j');
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	assert_delivered(&n->s[1], 0, pkt, len);
	/* B holds the open job while its keys go */
	hold_jobs = true;
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	finish_job(n, &n->s[0]);
	run(n);
	g_assert_cmpuint(g_queue_get_length(&n->s[1].jobs), ==, 1);
	wg_peer_zero_keys(n->s[1].peer);
	finish_job(n, &n->s[1]);
	g_assert_cmpuint(st->gone_session, ==, 1);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 1);
	hold_jobs = false;
	/* a new session; then a corrupt job, and a job repeated */
	wg_peer_zero_keys(n->s[0].peer);
	advance(n, RG_WG_REKEY_TIMEOUT + 1); /* (an initiation at most every 5 s) */
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	run(n);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 2);
	hold_jobs = true;
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	rg_wg_device_send(n->s[0].dev, pkt, len, n->now);
	finish_job(n, &n->s[0]);
	finish_job(n, &n->s[0]);
	run(n);
	c = g_queue_peek_nth(&n->s[1].jobs, 0);
	c->msg[40] ^= 1;
	dup = g_memdup2(g_queue_peek_nth(&n->s[1].jobs, 1), sizeof(*dup));
	g_queue_push_tail(&n->s[1].jobs, dup);
	while (!g_queue_is_empty(&n->s[1].jobs))
		finish_job(n, &n->s[1]);
	g_assert_cmpuint(st->bad_data, ==, 1);
	g_assert_cmpuint(st->replayed_data, ==, 1);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 3);
	hold_jobs = false;
	/* no room: done at once, in order */
	n->s[0].full = n->s[1].full = true;
	for (int i = 0; i < 3; i++)
		rg_wg_device_send(n->s[0].dev, pkt, ipv4(pkt, 1, 2, 10, (uint8_t)('0' + i)),
				  n->now);
	run(n);
	g_assert_cmpuint(n->s[1].delivered->len, ==, 6);
	for (int i = 0; i < 3; i++)
		assert_delivered(&n->s[1], 3 + (guint)i, pkt,
				 ipv4(pkt, 1, 2, 10, (uint8_t)('0' + i)));
	g_assert_cmpuint(g_queue_get_length(&n->s[0].jobs) + g_queue_get_length(&n->s[1].jobs), ==,
			 0);
	g_assert_cmpuint(st->gone_session, ==, 1);
	net_free(n);
	async_jobs = false;
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/device/starts-libsodium", test_starts_libsodium);
	g_test_add_data_func("/wg/device/first-packet", NULL, test_first_packet);
	g_test_add_data_func("/wg/device/first-packet-psk", "psk", test_first_packet);
	g_test_add_func("/wg/device/keepalive", test_keepalive);
	g_test_add_func("/wg/device/persistent-keepalive", test_persistent_keepalive);
	g_test_add_func("/wg/device/rekey-after-time", test_rekey_after_time);
	g_test_add_func("/wg/device/retry-and-give-up", test_retry_and_give_up);
	g_test_add_func("/wg/device/zero-keys", test_zero_keys);
	g_test_add_func("/wg/device/bad-input", test_bad_input);
	g_test_add_func("/wg/device/under-load", test_under_load);
	g_test_add_func("/wg/device/cookie-bound-to-endpoint", test_cookie_bound_to_endpoint);
	g_test_add_func("/wg/device/roaming", test_roaming);
	g_test_add_func("/wg/device/reject-after-time-receive", test_reject_after_time_receive);
	g_test_add_func("/wg/device/last-minute-rekey", test_last_minute_rekey);
	g_test_add_func("/wg/device/no-endpoint", test_no_endpoint);
	g_test_add_func("/wg/device/initiate", test_initiate);
	g_test_add_func("/wg/device/remove-peer", test_remove_peer);
	g_test_add_func("/wg/device/remove-peer-readd", test_remove_peer_readd);
	g_test_add_func("/wg/device/remove-peer-wipes", test_remove_peer_wipes);
	g_test_add_data_func("/wg/device/jobs/first-packet", first_packet_jobs, with_jobs);
	g_test_add_data_func("/wg/device/jobs/keepalive", test_keepalive, with_jobs);
	g_test_add_data_func("/wg/device/jobs/rekey-after-time", test_rekey_after_time, with_jobs);
	g_test_add_data_func("/wg/device/jobs/retry-and-give-up", test_retry_and_give_up,
			     with_jobs);
	g_test_add_data_func("/wg/device/jobs/bad-input", test_bad_input, with_jobs);
	g_test_add_data_func("/wg/device/jobs/roaming", test_roaming, with_jobs);
	g_test_add_data_func("/wg/device/jobs/remove-peer", test_remove_peer, with_jobs);
	g_test_add_func("/wg/device/jobs/late", test_jobs_late);
	return g_test_run();
}
