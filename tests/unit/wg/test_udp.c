/*
 * Unit tests for rift/wg/udp: the UDP bind's endpoint encoding (exact
 * bytes for IPv4, IPv6, scoped IPv6; v4-mapped IPv6 folded into IPv4; the
 * round trip; non-canonical and foreign endpoints refused), its text for
 * wg(8), and two binds on loopback: a datagram arrives byte-exact with the
 * sender's endpoint as the encoding says, then idle; unusable endpoints are
 * refused with CORE_ERR_INVALID_ARG and counted.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "rift/wg/udp.h"

#define RECV_WAIT_US (5 * G_USEC_PER_SEC)

static struct rg_wg_endpoint from_text(const char *text)
{
	struct core_addr a;
	struct rg_wg_endpoint ep;

	g_assert_cmpint(core_addr_parse(&a, text), ==, CORE_OK);
	rg_wg_udp_endpoint_from_addr(&ep, &a);
	return ep;
}

/* An IPv6 socket address for the 16 bytes of a, port, scope. */
static struct core_addr v6_addr(const uint8_t a[16], uint16_t port, uint32_t scope)
{
	struct core_addr out = { .len = sizeof(struct sockaddr_in6) };
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out.ss;

	s->sin6_family = AF_INET6;
	memcpy(&s->sin6_addr, a, 16);
	s->sin6_port = htons(port);
	s->sin6_scope_id = scope;
	return out;
}

static void test_encoding(void)
{
	static const uint8_t v4[] = { 192, 0, 2, 1, 0xca, 0x6c };
	static const uint8_t v6[] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1, [16] = 0x01, [17] = 0xbb };
	static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 7 };
	static const uint8_t ll_ep[] = { 0xfe, 0x80, [15] = 7, [16] = 0, [17] = 80, 0, 0, 1, 2 };
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };
	struct rg_wg_endpoint ep = from_text("192.0.2.1:51820"), ep2;
	struct core_addr a = v6_addr(mapped, 51820, 0), empty = { 0 };

	g_assert_cmpmem(ep.bytes, ep.len, v4, sizeof(v4));
	ep2 = from_text("[2001:db8::1]:443");
	g_assert_cmpmem(ep2.bytes, ep2.len, v6, sizeof(v6));
	/* a dual-stack socket's IPv4 peer is the same endpoint as the IPv4 address */
	rg_wg_udp_endpoint_from_addr(&ep2, &a);
	g_assert_true(rg_wg_endpoint_equal(&ep, &ep2));
	/* the scope id follows the port, big-endian */
	a = v6_addr(ll, 80, 0x102);
	rg_wg_udp_endpoint_from_addr(&ep2, &a);
	g_assert_cmpmem(ep2.bytes, ep2.len, ll_ep, sizeof(ll_ep));
	g_assert_cmpuint(ep2.len, <=, RG_WG_ENDPOINT_MAX);
	/* nothing gives none */
	rg_wg_udp_endpoint_from_addr(&ep2, &empty);
	g_assert_cmpuint(ep2.len, ==, 0);
	/* the rest of the bytes are zero: whole structs compare alike */
	for (size_t i = ep.len; i < RG_WG_ENDPOINT_MAX; i++)
		g_assert_cmpuint(ep.bytes[i], ==, 0);
}

/* text -> endpoint -> address -> text. */
static void assert_round_trip(const char *text)
{
	struct rg_wg_endpoint ep = from_text(text), back;
	struct core_addr a, b;
	char out[CORE_ADDR_STRLEN];

	g_assert_cmpint(core_addr_parse(&b, text), ==, CORE_OK);
	g_assert_cmpint(rg_wg_udp_endpoint_to_addr(&ep, &a), ==, CORE_OK);
	g_assert_true(core_addr_equal(&a, &b));
	g_assert_cmpstr(core_addr_format(&a, out, sizeof(out)), ==, text);
	rg_wg_udp_endpoint_from_addr(&back, &a);
	g_assert_true(rg_wg_endpoint_equal(&ep, &back));
}

static void test_round_trip(void)
{
	static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 7 };
	struct core_addr a = v6_addr(ll, 80, 3), back;
	struct rg_wg_endpoint ep;

	assert_round_trip("192.0.2.1:51820");
	assert_round_trip("0.0.0.0:0");
	assert_round_trip("[2001:db8::1]:443");
	assert_round_trip("[::1]:65535");
	rg_wg_udp_endpoint_from_addr(&ep, &a);
	g_assert_cmpint(rg_wg_udp_endpoint_to_addr(&ep, &back), ==, CORE_OK);
	g_assert_true(core_addr_equal(&a, &back));
}

static void assert_refused(const uint8_t *bytes, size_t len)
{
	struct rg_wg_endpoint ep;
	struct core_addr a;

	g_assert_true(rg_wg_endpoint_set(&ep, bytes, len));
	memset(&a, 0x55, sizeof(a));
	g_assert_cmpint(rg_wg_udp_endpoint_to_addr(&ep, &a), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpuint(a.len, ==, 0);
}

/* Only the canonical encodings are addresses. */
static void test_refused(void)
{
	static const uint8_t mapped[18] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1, 0, 80 };
	static const uint8_t zero_scope[22] = { 0xfe, 0x80, [15] = 7, [17] = 80 };
	static const uint8_t link[4] = { 0, 0, 0, 7 };
	uint8_t big[RG_WG_ENDPOINT_MAX + 1] = { 0 };
	struct rg_wg_endpoint ep;

	assert_refused(NULL, 0);
	assert_refused(link, sizeof(link)); /* a data-channel bind's link number */
	assert_refused(mapped, sizeof(mapped));
	assert_refused(zero_scope, sizeof(zero_scope));
	assert_refused(big, 24);
	g_assert_false(rg_wg_endpoint_set(&ep, big, sizeof(big)));
	g_assert_cmpuint(ep.len, ==, 0);
}

struct received {
	struct rg_wg_endpoint from;
	GByteArray *data;
	unsigned idles;
};

static void on_recv(void *ctx, const struct rg_wg_endpoint *from, const uint8_t *buf, size_t len)
{
	struct received *r = ctx;

	r->from = *from;
	g_byte_array_append(r->data, buf, (guint)len);
}

static void on_idle(void *ctx)
{
	((struct received *)ctx)->idles++;
}

/* Two binds on loopback: A's datagram reaches B from A's endpoint; B formats it for wg(8). */
static void test_loopback(void)
{
	static const uint8_t msg[] = "a datagram";
	struct rg_wg_bind *a = NULL, *b = NULL;
	struct received got = { .data = g_byte_array_new() };
	struct rg_wg_endpoint to, want, foreign;
	char text[RG_WG_BIND_TEXT_MAX], *expect;
	gint64 until = g_get_monotonic_time() + RECV_WAIT_US;
	GError *err = NULL;

	g_assert_cmpint(rg_wg_udp_bind_new(&a, 0, NULL, &err), ==, CORE_OK);
	g_assert_cmpint(rg_wg_udp_bind_new(&b, 0, NULL, &err), ==, CORE_OK);
	g_assert_no_error(err);
	b->recv = on_recv;
	b->idle = on_idle;
	b->ctx = &got;
	expect = g_strdup_printf("127.0.0.1:%u", rg_wg_udp_bind_port(b));
	to = from_text(expect);
	g_assert_cmpint(rg_wg_bind_send(a, &to, msg, sizeof(msg)), ==, CORE_OK);
	rg_wg_bind_flush(a);
	while (got.idles == 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpmem(got.data->data, got.data->len, msg, sizeof(msg));
	g_free(expect);
	expect = g_strdup_printf("127.0.0.1:%u", rg_wg_udp_bind_port(a));
	want = from_text(expect);
	g_assert_true(rg_wg_endpoint_equal(&got.from, &want)); /* IPv4, not v4-mapped */
	g_assert_true(rg_wg_bind_format(b, &got.from, text, sizeof(text)));
	g_assert_cmpstr(text, ==, expect);
	/* an endpoint that is none, or not UDP's: refused, counted, never formatted */
	memset(&foreign, 0, sizeof(foreign));
	g_assert_false(rg_wg_bind_format(b, &foreign, text, sizeof(text)));
	g_assert_true(rg_wg_endpoint_set(&foreign, "\0\0\0\7", 4));
	g_assert_false(rg_wg_bind_format(b, &foreign, text, sizeof(text)));
	g_assert_cmpint(rg_wg_bind_send(a, &foreign, msg, sizeof(msg)), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpuint(rg_wg_udp_bind_dropped(a), ==, 1);
	g_assert_cmpuint(rg_wg_udp_bind_dropped(b), ==, 0);
	rg_wg_bind_free(a);
	rg_wg_bind_free(b);
	rg_wg_bind_free(NULL);
	g_free(expect);
	g_byte_array_unref(got.data);
}

/*
 * A burst through the send queue: 150 datagrams of 1,000 bytes (numbered),
 * a 500-byte one, 10 to the other endpoint between, and a 3,000-byte one
 * sent at once. All arrive byte-exact, in order per endpoint; with the
 * kernel's offloads, in fewer messages than datagrams both ways.
 */
static void test_offload(void)
{
	struct rg_wg_bind *a = NULL, *b = NULL, *c = NULL;
	struct received got = { .data = g_byte_array_new() },
			got_c = { .data = g_byte_array_new() };
	struct rg_wg_udp_counts ca, cb;
	struct rg_wg_endpoint to_b, to_c;
	GByteArray *want = g_byte_array_new(), *want_c = g_byte_array_new();
	uint8_t d[3000];
	gint64 until = g_get_monotonic_time() + RECV_WAIT_US;
	char *text;

	g_assert_cmpint(rg_wg_udp_bind_new(&a, 0, NULL, NULL), ==, CORE_OK);
	g_assert_cmpint(rg_wg_udp_bind_new(&b, 0, NULL, NULL), ==, CORE_OK);
	g_assert_cmpint(rg_wg_udp_bind_new(&c, 0, NULL, NULL), ==, CORE_OK);
	b->recv = c->recv = on_recv;
	b->idle = c->idle = on_idle;
	b->ctx = &got;
	c->ctx = &got_c;
	text = g_strdup_printf("127.0.0.1:%u", rg_wg_udp_bind_port(b));
	to_b = from_text(text);
	g_free(text);
	text = g_strdup_printf("[::1]:%u", rg_wg_udp_bind_port(c));
	to_c = from_text(text);
	g_free(text);
	for (unsigned i = 0; i < 162; i++) {
		size_t len = i < 150 ? 1000 : i == 150 ? 500 : i == 161 ? 3000 : 700;
		struct rg_wg_endpoint *to = i > 150 && i < 161 ? &to_c : &to_b;

		for (size_t k = 0; k < len; k++)
			d[k] = (uint8_t)(i + k * 3);
		g_byte_array_append(to == &to_c ? want_c : want, d, (guint)len);
		g_assert_cmpint(rg_wg_bind_send(a, to, d, len), ==, CORE_OK);
	}
	rg_wg_bind_flush(a);
	while ((got.data->len < want->len || got_c.data->len < want_c->len) &&
	       g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpmem(got.data->data, got.data->len, want->data, want->len);
	g_assert_cmpmem(got_c.data->data, got_c.data->len, want_c->data, want_c->len);
	rg_wg_udp_bind_counts(a, &ca);
	rg_wg_udp_bind_counts(b, &cb);
	g_assert_cmpuint(ca.tx_datagrams, ==, 162);
	g_assert_cmpuint(cb.rx_datagrams, ==, 152);
	/* 1,000 x 64, x 64, x 22 + 500; 700 x 10; 3,000 alone: 5 messages where the kernel has GSO */
	g_assert_cmpuint(ca.tx_messages, ==, 5);
	g_assert_cmpuint(cb.rx_messages, <, cb.rx_datagrams);
	g_assert_cmpuint(rg_wg_udp_bind_dropped(a), ==, 0);
	rg_wg_bind_free(a);
	rg_wg_bind_free(b);
	rg_wg_bind_free(c);
	g_byte_array_unref(want);
	g_byte_array_unref(want_c);
	g_byte_array_unref(got.data);
	g_byte_array_unref(got_c.data);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/udp/encoding", test_encoding);
	g_test_add_func("/wg/udp/round-trip", test_round_trip);
	g_test_add_func("/wg/udp/refused", test_refused);
	g_test_add_func("/wg/udp/loopback", test_loopback);
	g_test_add_func("/wg/udp/offload", test_offload);
	return g_test_run();
}
