/*
 * Integration tests for the DTLS endpoint (src/rift/rtc/dtls). Two rg_dtls
 * objects in one process talk through an in-memory wire (two queues pumped
 * from an idle source on the default main context, with optional loss and
 * garbage) or through two real UDP sockets on 127.0.0.1. Every wait is
 * bounded in time; every object is freed (the suite also runs under ASan).
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/tls.h"
#include "rift/rtc/dtls-priv.h"
#include "rift/rtc/dtls.h"
#include "rift/rtc/sctp.h"
#include "../timescale.h"

#define CERT_VALIDITY_S 3600
#define WAIT_MS		5000
#define FAIL_WAIT_MS	2000
#define N_DATAGRAMS	1000
#define MAX_DATAGRAM	1100
#define CIPHER_EXPECTED "(DTLS1.2)-(ECDHE-SECP256R1)-(ECDSA-SHA256)-(AES-128-GCM)"
#define ALERT_BAD_CERT	"peer sent fatal alert: Certificate is bad"
/* what openssl prints once use_srtp is negotiated (werift fails without it) */
#define SRTP_NEGOTIATED "SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80"

struct pair;

struct peer {
	struct pair *pair;
	struct rg_dtls *d;
	struct core_tls_cert *cert;
	GQueue out; /* GBytes to the other peer (memory wire) */
	GSocket *sock;
	GSource *sock_src;
	GSocketAddress *to;
	int connected, closed, failed;
	char *reason;
	GPtrArray *rx; /* GBytes received */
	bool free_on_connected;
};

struct pair {
	struct peer a, b;
	guint pump_id;
	int drop_first; /* datagrams the wire drops, either direction */
	bool garbage;	/* inject garbage before each delivered datagram */
	GRand *rand;
	unsigned expect; /* datagrams each side waits for in exchange() */
	size_t largest;	 /* the largest datagram either side sent */
};

/* --- the wires ---------------------------------------------------------- */

static struct peer *other(struct peer *p)
{
	return p == &p->pair->a ? &p->pair->b : &p->pair->a;
}

/* Write a well-framed DTLS record header (type, DTLS 1.2, epoch, random sequence, len). */
static void frame(struct pair *pr, uint8_t *h, uint8_t type, uint16_t epoch, size_t len)
{
	h[0] = type;
	h[1] = 0xfe;
	h[2] = 0xfd;
	h[3] = (uint8_t)(epoch >> 8);
	h[4] = (uint8_t)epoch;
	for (int i = 5; i < 11; i++)
		h[i] = (uint8_t)g_rand_int(pr->rand);
	h[11] = (uint8_t)(len >> 8);
	h[12] = (uint8_t)len;
}

/* Feed the peer datagrams that must be ignored (counted) or discarded by GnuTLS. */
static void feed_garbage(struct pair *pr, struct peer *to, GBytes *real)
{
	uint8_t buf[300];
	gsize n = 0;
	const uint8_t *r = g_bytes_get_data(real, &n);

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)g_rand_int(pr->rand);
	rg_dtls_input(to->d, buf, sizeof buf); /* random bytes */
	buf[0] = 0x80;			       /* RTP/RTCP range: not DTLS */
	rg_dtls_input(to->d, buf, 100);
	buf[0] = 0; /* STUN range */
	rg_dtls_input(to->d, buf, 20);
	rg_dtls_input(to->d, r, n / 2); /* a truncated real record */
	rg_dtls_input(to->d, r, 1);
	frame(pr, buf, 23, 1, 100); /* application data that fails authentication */
	rg_dtls_input(to->d, buf, 113);
	frame(pr, buf, 23, 0, 100); /* application data in epoch 0 */
	rg_dtls_input(to->d, buf, 113);
	frame(pr, buf, 22, 1, 100); /* encrypted handshake, bogus */
	rg_dtls_input(to->d, buf, 113);
	frame(pr, buf, 21, 1, 2); /* an unauthenticated "alert" in epoch 1 */
	rg_dtls_input(to->d, buf, 15);
	frame(pr, buf, 22, 0, 100); /* cleartext handshake, bogus, in the replay window */
	memset(buf + 5, 0, 6);
	rg_dtls_input(to->d, buf, 113);
}

/* Idle: deliver everything queued, in order, each direction. */
static gboolean pump(gpointer data)
{
	struct pair *pr = data;
	struct peer *sides[2] = { &pr->a, &pr->b };
	GBytes *b;

	pr->pump_id = 0;
	for (int i = 0; i < 2; i++) {
		while ((b = g_queue_pop_head(&sides[i]->out))) {
			struct peer *to = other(sides[i]);
			gsize n;
			const uint8_t *p = g_bytes_get_data(b, &n);

			if (pr->garbage && to->d)
				feed_garbage(pr, to, b);
			if (to->d)
				rg_dtls_input(to->d, p, n);
			g_bytes_unref(b);
		}
	}
	return G_SOURCE_REMOVE;
}

static void mem_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct peer *p = ctx;
	struct pair *pr = p->pair;

	pr->largest = MAX(pr->largest, len);
	if (pr->drop_first > 0) {
		pr->drop_first--;
		return;
	}
	g_queue_push_tail(&p->out, g_bytes_new(buf, len));
	if (!pr->pump_id)
		pr->pump_id = g_idle_add(pump, pr);
}

static void udp_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct peer *p = ctx;
	GError *error = NULL;

	g_assert_cmpint(g_socket_send_to(p->sock, p->to, (const char *)buf, len, NULL, &error), ==,
			(gssize)len);
	g_assert_no_error(error);
}

static gboolean udp_readable(GSocket *sock, GIOCondition cond, gpointer data)
{
	struct peer *p = data;
	uint8_t buf[2048];
	gssize n;

	GSocketAddress *from = NULL;

	(void)cond;
	while ((n = g_socket_receive_from(sock, &from, (char *)buf, sizeof buf, NULL, NULL)) > 0) {
		if (!p->to) /* the first sender is the peer (openssl test) */
			p->to = g_object_ref(from);
		g_clear_object(&from);
		rg_dtls_input(p->d, buf, (size_t)n);
	}
	g_clear_object(&from);
	return G_SOURCE_CONTINUE;
}

/* --- callbacks ---------------------------------------------------------- */

static void on_connected(void *ctx)
{
	struct peer *p = ctx;

	p->connected++;
	if (p->free_on_connected) {
		rg_dtls_free(p->d);
		p->d = NULL;
	}
}

static void on_data(void *ctx, const uint8_t *buf, size_t len)
{
	struct peer *p = ctx;

	g_ptr_array_add(p->rx, g_bytes_new(buf, len));
}

static void on_failed(void *ctx, const char *reason)
{
	struct peer *p = ctx;

	p->failed++;
	g_free(p->reason);
	p->reason = g_strdup(reason);
}

static void on_closed(void *ctx)
{
	struct peer *p = ctx;

	p->closed++;
}

static const struct rg_dtls_callbacks mem_cb = { mem_send, on_connected, on_data, on_failed,
						 on_closed };
static const struct rg_dtls_callbacks udp_cb = { udp_send, on_connected, on_data, on_failed,
						 on_closed };

/* --- setup -------------------------------------------------------------- */

static void peer_init(struct pair *pr, struct peer *p)
{
	p->pair = pr;
	g_queue_init(&p->out);
	p->rx = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_assert_cmpint(core_tls_cert_generate(&p->cert, CERT_VALIDITY_S), ==, CORE_OK);
}

/* Make the rg_dtls for p (role), pinning the other side's certificate unless wrong_fp. */
static void peer_new(struct peer *p, enum rg_dtls_role role, bool wrong_fp,
		     const struct rg_dtls_callbacks *cb)
{
	uint8_t fp[CORE_TLS_FP_LEN];
	GError *error = NULL;

	core_tls_cert_fingerprint(other(p)->cert, fp);
	if (wrong_fp)
		fp[7] ^= 0x01;
	g_assert_cmpint(rg_dtls_new(&p->d, role, p->cert, fp, cb, p, p == &p->pair->a ? "A" : "B",
				    NULL, &error),
			==, CORE_OK);
	g_assert_no_error(error);
}

static struct pair *pair_new(void)
{
	struct pair *pr = g_new0(struct pair, 1);

	pr->rand = g_rand_new_with_seed(0x5247);
	peer_init(pr, &pr->a);
	peer_init(pr, &pr->b);
	return pr;
}

static void peer_clear(struct peer *p)
{
	rg_dtls_free(p->d);
	g_queue_clear_full(&p->out, (GDestroyNotify)g_bytes_unref);
	if (p->sock_src) {
		g_source_destroy(p->sock_src);
		g_source_unref(p->sock_src);
	}
	g_clear_object(&p->sock);
	g_clear_object(&p->to);
	core_tls_cert_free(p->cert);
	g_free(p->reason);
	g_ptr_array_unref(p->rx);
}

static void pair_free(struct pair *pr)
{
	if (pr->pump_id)
		g_source_remove(pr->pump_id);
	peer_clear(&pr->a);
	peer_clear(&pr->b);
	g_rand_free(pr->rand);
	g_free(pr);
}

/* A memory-wire pair: a has role ra, b the other role; started. */
static struct pair *mem_pair(enum rg_dtls_role ra, bool a_wrong, bool b_wrong)
{
	struct pair *pr = pair_new();

	peer_new(&pr->a, ra, a_wrong, &mem_cb);
	peer_new(&pr->b, ra == RG_DTLS_CLIENT ? RG_DTLS_SERVER : RG_DTLS_CLIENT, b_wrong, &mem_cb);
	return pr;
}

static void start_both(struct pair *pr)
{
	rg_dtls_start(pr->b.d);
	rg_dtls_start(pr->a.d);
}

/* --- waiting ------------------------------------------------------------ */

static gboolean tick(gpointer data)
{
	(void)data;
	return G_SOURCE_CONTINUE;
}

/* Run the default context until cond(pr) or ms pass; returns cond(pr). */
static bool run_until(bool (*cond)(struct pair *), struct pair *pr, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	guint t = g_timeout_add(10, tick, NULL);

	while (!cond(pr) && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(t);
	return cond(pr);
}

static bool both_connected(struct pair *pr)
{
	return pr->a.connected && pr->b.connected;
}

static bool both_failed(struct pair *pr)
{
	return pr->a.failed && pr->b.failed;
}

static bool a_failed(struct pair *pr)
{
	return pr->a.failed > 0;
}

static bool b_closed(struct pair *pr)
{
	return pr->b.closed > 0;
}

static bool all_received(struct pair *pr)
{
	return pr->a.rx->len >= pr->expect && pr->b.rx->len >= pr->expect;
}

static bool a_closed_cond(struct pair *pr)
{
	return pr->a.closed > 0;
}

static bool b_got_one(struct pair *pr)
{
	return pr->b.rx->len > 0;
}

static bool b_connected(struct pair *pr)
{
	return pr->b.connected > 0;
}

/* --- checks ------------------------------------------------------------- */

static void assert_connected(struct pair *pr)
{
	if (!run_until(both_connected, pr, WAIT_MS))
		g_error("not connected: a %d/%s, b %d/%s", pr->a.connected, pr->a.reason,
			pr->b.connected, pr->b.reason);
	g_assert_cmpint(pr->a.connected, ==, 1);
	g_assert_cmpint(pr->b.connected, ==, 1);
	g_assert_cmpint(pr->a.failed + pr->b.failed, ==, 0);
	g_assert_cmpstr(rg_dtls_cipher(pr->a.d), ==, CIPHER_EXPECTED);
	g_assert_cmpstr(rg_dtls_cipher(pr->b.d), ==, CIPHER_EXPECTED);
	g_assert_true(rg_dtls_is_connected(pr->a.d));
}

/* Send n datagrams each way (sizes 1..MAX_DATAGRAM, seeded) and check them. */
static void exchange(struct pair *pr, unsigned n)
{
	GPtrArray *sent[2] = { g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref),
			       g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref) };
	struct peer *from[2] = { &pr->a, &pr->b };
	uint8_t buf[MAX_DATAGRAM];

	g_ptr_array_set_size(pr->a.rx, 0);
	g_ptr_array_set_size(pr->b.rx, 0);
	for (unsigned i = 0; i < n; i++) {
		for (int s = 0; s < 2; s++) {
			size_t len = (size_t)g_rand_int_range(pr->rand, 1, MAX_DATAGRAM + 1);

			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)g_rand_int(pr->rand);
			g_assert_cmpint(rg_dtls_send(from[s]->d, buf, len), ==, CORE_OK);
			g_ptr_array_add(sent[s], g_bytes_new(buf, len));
		}
	}
	pr->expect = n;
	g_assert_true(run_until(all_received, pr, WAIT_MS));
	for (int s = 0; s < 2; s++) {
		GPtrArray *rx = other(from[s])->rx;

		g_assert_cmpuint(rx->len, ==, n);
		for (unsigned i = 0; i < n; i++)
			g_assert_true(g_bytes_equal(g_ptr_array_index(sent[s], i),
						    g_ptr_array_index(rx, i)));
		g_ptr_array_unref(sent[s]);
	}
}

/* --- tests -------------------------------------------------------------- */

static void test_handshake_roles(void)
{
	enum rg_dtls_role roles[2] = { RG_DTLS_CLIENT, RG_DTLS_SERVER };

	for (int i = 0; i < 2; i++) {
		struct pair *pr = mem_pair(roles[i], false, false);
		uint8_t x = 1;

		g_assert_cmpint(rg_dtls_send(pr->a.d, &x, 1), ==, CORE_ERR_AGAIN);
		g_assert_null(rg_dtls_cipher(pr->a.d));
		start_both(pr);
		g_assert_cmpint(rg_dtls_send(pr->a.d, &x, 1), ==, CORE_ERR_AGAIN);
		assert_connected(pr);
		pair_free(pr);
	}
}

static void test_data_1000(void)
{
	struct pair *pr = mem_pair(RG_DTLS_CLIENT, false, false);
	uint8_t big[RG_DTLS_MTU] = { 0 };
	size_t max;

	start_both(pr);
	assert_connected(pr);
	max = rg_dtls_max_payload(pr->a.d);
	g_assert_cmpuint(max, >=, MAX_DATAGRAM);
	g_assert_cmpuint(max, <, RG_DTLS_MTU);
	/* a whole SCTP packet fits one record */
	g_assert_cmpuint(max, >=, RG_SCTP_MTU);
	g_assert_cmpint(rg_dtls_send(pr->a.d, big, max + 1), ==, CORE_ERR_TOO_LARGE);
	g_assert_cmpint(rg_dtls_send(pr->a.d, big, max), ==, CORE_OK);
	g_assert_cmpint(rg_dtls_send(pr->a.d, NULL, 5), ==, CORE_ERR_INVALID_ARG);
	g_assert_true(run_until(b_got_one, pr, WAIT_MS));
	g_assert_cmpuint(g_bytes_get_size(g_ptr_array_index(pr->b.rx, 0)), ==, max);
	/* handshake and data alike fit IPv6's 1,280 bytes with a TURN ChannelData header */
	g_assert_cmpuint(pr->largest, <=, 1280 - 40 - 8 - 4);
	exchange(pr, N_DATAGRAMS);
	pair_free(pr);
}

/* One side pins a wrong fingerprint: it fails with the mismatch, the other with the alert. */
static void wrong_fp(bool client_wrong)
{
	struct pair *pr = mem_pair(RG_DTLS_CLIENT, client_wrong, !client_wrong);
	gint64 t0 = g_get_monotonic_time();
	struct peer *wrong = client_wrong ? &pr->a : &pr->b;

	start_both(pr);
	g_assert_true(run_until(both_failed, pr, FAIL_WAIT_MS));
	g_assert_cmpint(g_get_monotonic_time() - t0, <, FAIL_WAIT_MS * 1000);
	g_assert_cmpstr(wrong->reason, ==, RG_DTLS_REASON_FP_MISMATCH);
	g_assert_cmpstr(other(wrong)->reason, ==, ALERT_BAD_CERT);
	g_assert_cmpint(pr->a.connected + pr->b.connected, ==, 0);
	g_assert_cmpint(pr->a.failed, ==, 1);
	g_assert_cmpint(pr->b.failed, ==, 1);
	g_assert_cmpint(rg_dtls_send(pr->a.d, (const uint8_t *)"x", 1), ==, CORE_ERR_CLOSED);
	pair_free(pr);
}

static void test_wrong_fp_client(void)
{
	wrong_fp(true);
}

static void test_wrong_fp_server(void)
{
	wrong_fp(false);
}

static void test_both_wrong_fp(void)
{
	struct pair *pr = mem_pair(RG_DTLS_CLIENT, true, true);

	start_both(pr);
	g_assert_true(run_until(both_failed, pr, FAIL_WAIT_MS));
	/* the client checks first, so the server only sees its alert */
	g_assert_cmpstr(pr->a.reason, ==, RG_DTLS_REASON_FP_MISMATCH);
	g_assert_cmpstr(pr->b.reason, ==, ALERT_BAD_CERT);
	pair_free(pr);
}

static void test_drop_first_3(void)
{
	struct pair *pr = mem_pair(RG_DTLS_CLIENT, false, false);
	gint64 t0 = g_get_monotonic_time();

	pr->drop_first = 3;
	rg_dtls_set_retransmit_timeout(pr->a.d, 250);
	rg_dtls_set_retransmit_timeout(pr->b.d, 250);
	start_both(pr);
	assert_connected(pr);
	g_assert_cmpint(pr->drop_first, ==, 0);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, WAIT_MS * 1000);
	exchange(pr, 10);
	pair_free(pr);
}

/* One lost ClientHello with the default 1 s retransmission timer. */
static void test_drop_first_default(void)
{
	struct pair *pr = mem_pair(RG_DTLS_CLIENT, false, false);

	pr->drop_first = 1;
	start_both(pr);
	assert_connected(pr);
	pair_free(pr);
}

static void test_garbage(void)
{
	struct pair *pr = mem_pair(RG_DTLS_SERVER, false, false);
	const uint8_t stun[4] = { 0x00, 0x01, 0x00, 0x00 };

	pr->garbage = true;
	rg_dtls_input(pr->a.d, stun, sizeof stun); /* before start: ignored */
	g_assert_cmpuint(rg_dtls_ignored(pr->a.d), ==, 1);
	start_both(pr);
	assert_connected(pr);
	exchange(pr, 50);
	g_assert_cmpuint(rg_dtls_ignored(pr->a.d), >, 2);
	g_assert_cmpuint(rg_dtls_ignored(pr->b.d), >, 2);
	pair_free(pr);
}

static void silent(enum rg_dtls_role role)
{
	struct pair *pr = pair_new();
	gint64 t0 = g_get_monotonic_time();

	peer_new(&pr->a, role, false, &mem_cb);
	rg_dtls_set_handshake_timeout(pr->a.d, 600);
	rg_dtls_set_retransmit_timeout(pr->a.d, 100);
	rg_dtls_start(pr->a.d); /* b has no rg_dtls: the wire goes nowhere */
	g_assert_true(run_until(a_failed, pr, FAIL_WAIT_MS));
	g_assert_cmpstr(pr->a.reason, ==, RG_DTLS_REASON_TIMEOUT);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 590 * 1000);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, ITEST_SCALED_US(1500 * 1000));
	run_until(b_connected, pr, 200); /* nothing else happens */
	g_assert_cmpint(pr->a.failed, ==, 1);
	pair_free(pr);
}

static void test_silent_peer_client(void)
{
	silent(RG_DTLS_CLIENT);
}

static void test_silent_peer_server(void)
{
	silent(RG_DTLS_SERVER);
}

/*
 * The handshake budget counts time asleep: all of the 30 s but 0.3 s pass in
 * a (simulated) suspend, which GLib's timers never see, and the handshake
 * fails 0.3 s later, not 30 s later.
 */
static void test_suspend(void)
{
	struct pair *pr = pair_new();
	int64_t t_start = core_time_now_us(), deadline, t_wake;

	peer_new(&pr->a, RG_DTLS_CLIENT, false, &mem_cb);
	rg_dtls_set_retransmit_timeout(pr->a.d, 100);
	rg_dtls_start(pr->a.d); /* b has no rg_dtls: the wire goes nowhere */
	g_assert_false(run_until(a_failed, pr, 250));
	/* the deadline is at least this: the endpoint read its clock after t_start */
	deadline = t_start + RG_DTLS_HANDSHAKE_TIMEOUT_MS * G_GINT64_CONSTANT(1000);
	t_wake = core_time_now_us();
	rg_dtls_clock_advance(pr->a.d, deadline - 300 * 1000 - t_wake);
	g_assert_true(run_until(a_failed, pr, WAIT_MS));
	g_assert_cmpstr(pr->a.reason, ==, RG_DTLS_REASON_TIMEOUT);
	g_assert_cmpint(core_time_now_us() - t_wake, >=, 300 * 1000);
	g_assert_cmpint(core_time_now_us() - t_wake, <, ITEST_SCALED_US(3000 * 1000));
	pair_free(pr);
}

static void test_close_notify(void)
{
	struct pair *pr = mem_pair(RG_DTLS_CLIENT, false, false);

	start_both(pr);
	assert_connected(pr);
	rg_dtls_close(pr->a.d);
	g_assert_cmpint(rg_dtls_send(pr->a.d, (const uint8_t *)"x", 1), ==, CORE_ERR_CLOSED);
	g_assert_true(run_until(b_closed, pr, WAIT_MS));
	g_assert_cmpint(pr->b.closed, ==, 1);
	g_assert_cmpint(pr->a.closed + pr->a.failed + pr->b.failed, ==, 0);
	g_assert_false(rg_dtls_is_connected(pr->b.d));
	pair_free(pr);
}

static void test_free_in_callback(void)
{
	struct pair *pr = mem_pair(RG_DTLS_CLIENT, false, false);

	pr->a.free_on_connected = true;
	pr->b.free_on_connected = true;
	start_both(pr);
	g_assert_true(run_until(both_connected, pr, WAIT_MS));
	g_assert_null(pr->a.d);
	g_assert_null(pr->b.d);
	pair_free(pr);
}

static void test_bad_args(void)
{
	struct core_tls_cert *cert = NULL;
	struct rg_dtls *d = (struct rg_dtls *)0x1;
	struct rg_dtls_callbacks cb = mem_cb;
	uint8_t fp[CORE_TLS_FP_LEN] = { 0 };
	GError *error = NULL;

	g_assert_cmpint(core_tls_cert_generate(&cert, CERT_VALIDITY_S), ==, CORE_OK);
	cb.closed = NULL;
	g_assert_cmpint(rg_dtls_new(&d, RG_DTLS_CLIENT, cert, fp, &cb, NULL, NULL, NULL, &error),
			==, CORE_ERR_INVALID_ARG);
	g_assert_null(d);
	g_assert_error(error, CORE_ERROR, CORE_ERR_INVALID_ARG);
	g_clear_error(&error);
	rg_dtls_free(NULL);
	g_assert_null(rg_dtls_cipher(NULL));
	core_tls_cert_free(cert);
}

/* Bind a UDP socket on 127.0.0.1 with a source feeding p->d. */
static void udp_open(struct peer *p)
{
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *addr = g_inet_socket_address_new(lo, 0);
	GError *error = NULL;

	p->sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
			       &error);
	g_assert_no_error(error);
	g_socket_set_blocking(p->sock, FALSE);
	g_assert_true(g_socket_bind(p->sock, addr, FALSE, &error));
	g_assert_no_error(error);
	p->sock_src = g_socket_create_source(p->sock, G_IO_IN, NULL);
	g_source_set_callback(p->sock_src, (GSourceFunc)(void (*)(void))udp_readable, p, NULL);
	g_source_attach(p->sock_src, NULL);
	g_object_unref(addr);
	g_object_unref(lo);
}

static void test_udp(void)
{
	struct pair *pr = pair_new();
	GError *error = NULL;

	udp_open(&pr->a);
	udp_open(&pr->b);
	pr->a.to = g_socket_get_local_address(pr->b.sock, &error);
	pr->b.to = g_socket_get_local_address(pr->a.sock, &error);
	g_assert_no_error(error);
	peer_new(&pr->a, RG_DTLS_CLIENT, false, &udp_cb);
	peer_new(&pr->b, RG_DTLS_SERVER, false, &udp_cb);
	start_both(pr);
	assert_connected(pr);
	exchange(pr, 100);
	rg_dtls_close(pr->b.d);
	g_assert_true(run_until(a_closed_cond, pr, WAIT_MS));
	pair_free(pr);
}

/* --- interoperability with OpenSSL's DTLS client --------------------------- */

struct ossl {
	struct pair *pair;
	GSubprocess *proc;
	GString *out; /* s_client's stdout so far */
	bool exited;
};

static struct ossl *ossl_of; /* for the run_until conditions */

/* Append what s_client printed so far (non-blocking). */
static void ossl_read(struct ossl *o)
{
	GPollableInputStream *in = G_POLLABLE_INPUT_STREAM(g_subprocess_get_stdout_pipe(o->proc));
	char buf[4096];
	gssize n;

	while ((n = g_pollable_input_stream_read_nonblocking(in, buf, sizeof buf, NULL, NULL)) > 0)
		g_string_append_len(o->out, buf, n);
}

static bool ossl_got_reply(struct pair *pr)
{
	(void)pr;
	ossl_read(ossl_of);
	return strstr(ossl_of->out->str, "hi from riftgate\n") != NULL;
}

static bool b_got_one_or_failed(struct pair *pr)
{
	return pr->b.rx->len > 0 || pr->b.failed;
}

static bool b_connected_or_failed(struct pair *pr)
{
	return pr->b.connected || pr->b.failed;
}

/* Write our client certificate and key for openssl into dir. */
static void write_pem(struct peer *p, const char *dir, char **cert_path, char **key_path)
{
	char *cert_pem = NULL, *key_pem = NULL;
	GError *error = NULL;

	g_assert_cmpint(core_tls_cert_pem(p->cert, &cert_pem, &key_pem), ==, CORE_OK);
	*cert_path = g_build_filename(dir, "cert.pem", NULL);
	*key_path = g_build_filename(dir, "key.pem", NULL);
	g_assert_true(g_file_set_contents(*cert_path, cert_pem, -1, &error));
	g_assert_true(g_file_set_contents(*key_path, key_pem, -1, &error));
	g_assert_no_error(error);
	g_free(cert_pem);
	g_free(key_pem);
}

/*
 * openssl s_client -dtls1_2 (CHACHA20 only, offering use_srtp) against our
 * server on UDP loopback; not -quiet, so it prints the session summary.
 */
static void test_openssl_client(void)
{
	struct pair *pr = pair_new();
	struct ossl o = { .pair = pr, .out = g_string_new(NULL) };
	char *dir = NULL, *cert_path = NULL, *key_path = NULL, *connect = NULL;
	char *openssl = g_find_program_in_path("openssl");
	GSocketAddress *local = NULL;
	GOutputStream *in;
	GError *error = NULL;

	if (!openssl) {
		g_test_skip("no openssl binary");
		goto out;
	}
	dir = g_dir_make_tmp("rg-dtls-XXXXXX", &error);
	g_assert_no_error(error);
	write_pem(&pr->a, dir, &cert_path, &key_path);
	udp_open(&pr->b);
	local = g_socket_get_local_address(pr->b.sock, &error);
	g_assert_no_error(error);
	connect = g_strdup_printf("127.0.0.1:%u",
				  g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)));
	peer_new(&pr->b, RG_DTLS_SERVER, false, &udp_cb);
	rg_dtls_start(pr->b.d);
	o.proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					  G_SUBPROCESS_FLAGS_STDERR_SILENCE,
				  &error, openssl, "s_client", "-dtls1_2", "-no_ign_eof",
				  "-connect", connect, "-cert", cert_path, "-key", key_path,
				  "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305", "-use_srtp",
				  "SRTP_AES128_CM_SHA1_80", NULL);
	g_assert_no_error(error);
	ossl_of = &o;
	g_assert_true(run_until(b_connected_or_failed, pr, WAIT_MS));
	g_assert_cmpstr(pr->b.reason, ==, NULL);
	g_assert_cmpstr(rg_dtls_cipher(pr->b.d), ==,
			"(DTLS1.2)-(ECDHE-X25519)-(ECDSA-SHA256)-(CHACHA20-POLY1305)");
	in = g_subprocess_get_stdin_pipe(o.proc);
	g_assert_true(
		g_output_stream_write_all(in, "hello from openssl\n", 19, NULL, NULL, &error));
	g_assert_true(g_output_stream_flush(in, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(run_until(b_got_one_or_failed, pr, WAIT_MS));
	g_assert_cmpuint(pr->b.rx->len, ==, 1);
	g_assert_cmpmem(g_bytes_get_data(g_ptr_array_index(pr->b.rx, 0), NULL),
			g_bytes_get_size(g_ptr_array_index(pr->b.rx, 0)), "hello from openssl\n",
			19);
	g_assert_cmpint(rg_dtls_send(pr->b.d, (const uint8_t *)"hi from riftgate\n", 17), ==,
			CORE_OK);
	g_assert_true(run_until(ossl_got_reply, pr, WAIT_MS));
	g_assert_nonnull(strstr(o.out->str, SRTP_NEGOTIATED));
	g_assert_true(
		g_output_stream_close(in, NULL, &error)); /* EOF: s_client sends close_notify */
	g_assert_no_error(error);
	g_assert_true(run_until(b_closed, pr, WAIT_MS));
	g_assert_cmpint(pr->b.failed, ==, 0);
out:
	if (o.proc) {
		g_subprocess_force_exit(o.proc);
		g_subprocess_wait(o.proc, NULL, NULL);
		g_object_unref(o.proc);
	}
	if (cert_path) {
		g_unlink(cert_path);
		g_unlink(key_path);
		g_rmdir(dir);
	}
	g_string_free(o.out, TRUE);
	g_clear_object(&local);
	g_free(connect);
	g_free(cert_path);
	g_free(key_path);
	g_free(dir);
	g_free(openssl);
	pair_free(pr);
}

static bool ossl_accepting(struct pair *pr)
{
	(void)pr;
	ossl_read(ossl_of);
	return strstr(ossl_of->out->str, "ACCEPT 127.0.0.1:") != NULL;
}

static bool a_got_one_or_failed(struct pair *pr)
{
	return pr->a.rx->len > 0 || pr->a.failed;
}

static bool a_connected_or_failed(struct pair *pr)
{
	return pr->a.connected || pr->a.failed;
}

static bool ossl_exited(struct pair *pr)
{
	(void)pr;
	return ossl_of->exited;
}

static void on_ossl_exit(GObject *src, GAsyncResult *res, gpointer data)
{
	struct ossl *o = data;

	g_assert_true(g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL));
	o->exited = true;
}

/* Our client against openssl s_server -dtls1_2 (client certificate required, use_srtp offered). */
static void test_openssl_server(void)
{
	struct pair *pr = pair_new();
	struct ossl o = { .pair = pr, .out = g_string_new(NULL) };
	char *dir = NULL, *cert_path = NULL, *key_path = NULL;
	char *openssl = g_find_program_in_path("openssl");
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GOutputStream *in;
	GError *error = NULL;
	const char *port;

	if (!openssl) {
		g_test_skip("no openssl binary");
		goto out;
	}
	dir = g_dir_make_tmp("rg-dtls-XXXXXX", &error);
	g_assert_no_error(error);
	write_pem(&pr->b, dir, &cert_path, &key_path);
	o.proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					  G_SUBPROCESS_FLAGS_STDERR_MERGE,
				  &error, openssl, "s_server", "-dtls1_2", "-accept", "127.0.0.1:0",
				  "-naccept", "1", "-Verify", "1", "-cert", cert_path, "-key",
				  key_path, "-use_srtp", "SRTP_AES128_CM_SHA1_80", NULL);
	g_assert_no_error(error);
	ossl_of = &o;
	g_assert_true(run_until(ossl_accepting, pr, WAIT_MS));
	port = strstr(o.out->str, "ACCEPT 127.0.0.1:") + strlen("ACCEPT 127.0.0.1:");
	udp_open(&pr->a);
	pr->a.to = g_inet_socket_address_new(lo, (guint16)atoi(port));
	peer_new(&pr->a, RG_DTLS_CLIENT, false, &udp_cb);
	rg_dtls_start(pr->a.d);
	g_assert_true(run_until(a_connected_or_failed, pr, WAIT_MS));
	g_assert_cmpstr(pr->a.reason, ==, NULL);
	g_assert_true(g_str_has_prefix(rg_dtls_cipher(pr->a.d), "(DTLS1.2)-(ECDHE-"));
	g_assert_cmpint(rg_dtls_send(pr->a.d, (const uint8_t *)"hi from riftgate\n", 17), ==,
			CORE_OK);
	g_assert_true(run_until(ossl_got_reply, pr, WAIT_MS));
	g_assert_nonnull(strstr(o.out->str, SRTP_NEGOTIATED));
	in = g_subprocess_get_stdin_pipe(o.proc);
	g_assert_true(
		g_output_stream_write_all(in, "hello from openssl\n", 19, NULL, NULL, &error));
	g_assert_true(g_output_stream_flush(in, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(run_until(a_got_one_or_failed, pr, WAIT_MS));
	g_assert_cmpuint(pr->a.rx->len, ==, 1);
	g_assert_cmpmem(g_bytes_get_data(g_ptr_array_index(pr->a.rx, 0), NULL),
			g_bytes_get_size(g_ptr_array_index(pr->a.rx, 0)), "hello from openssl\n",
			19);
	g_subprocess_wait_async(o.proc, NULL, on_ossl_exit, &o);
	rg_dtls_close(pr->a.d); /* s_server -naccept 1 exits on close_notify */
	g_assert_true(run_until(ossl_exited, pr, WAIT_MS));
	g_assert_true(g_subprocess_get_if_exited(o.proc));
	g_assert_cmpint(g_subprocess_get_exit_status(o.proc), ==, 0);
	g_assert_cmpint(pr->a.failed, ==, 0);
out:
	if (o.proc) {
		g_subprocess_force_exit(o.proc);
		g_subprocess_wait(o.proc, NULL, NULL);
		g_object_unref(o.proc);
	}
	if (cert_path) {
		g_unlink(cert_path);
		g_unlink(key_path);
		g_rmdir(dir);
	}
	g_string_free(o.out, TRUE);
	g_object_unref(lo);
	g_free(cert_path);
	g_free(key_path);
	g_free(dir);
	g_free(openssl);
	pair_free(pr);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dtls/handshake-both-roles", test_handshake_roles);
	g_test_add_func("/dtls/data-1000-each-way", test_data_1000);
	g_test_add_func("/dtls/wrong-fingerprint-client", test_wrong_fp_client);
	g_test_add_func("/dtls/wrong-fingerprint-server", test_wrong_fp_server);
	g_test_add_func("/dtls/wrong-fingerprint-both", test_both_wrong_fp);
	g_test_add_func("/dtls/drop-first-3", test_drop_first_3);
	g_test_add_func("/dtls/drop-first-default-timer", test_drop_first_default);
	g_test_add_func("/dtls/garbage", test_garbage);
	g_test_add_func("/dtls/silent-peer-client", test_silent_peer_client);
	g_test_add_func("/dtls/silent-peer-server", test_silent_peer_server);
	g_test_add_func("/dtls/suspend", test_suspend);
	g_test_add_func("/dtls/close-notify", test_close_notify);
	g_test_add_func("/dtls/free-in-callback", test_free_in_callback);
	g_test_add_func("/dtls/bad-args", test_bad_args);
	g_test_add_func("/dtls/udp-loopback", test_udp);
	g_test_add_func("/dtls/openssl-s_client", test_openssl_client);
	g_test_add_func("/dtls/openssl-s_server", test_openssl_server);
	return g_test_run();
}
