/*
 * Unit tests for rg_dtls_datagram_check (src/rift/rtc/dtls): which datagrams
 * count as DTLS (RFC 7983 first byte) and as whole records (RFC 6347 4.1),
 * with the exact error code for each refusal.
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/rtc/dtls.h"

/* A record header: type, DTLS 1.2, epoch, sequence 1, body length. */
static size_t put_record(uint8_t *p, uint8_t type, uint16_t epoch, uint16_t len)
{
	const uint8_t h[13] = { type, 0xfe, 0xfd, (uint8_t)(epoch >> 8), (uint8_t)epoch, 0, 0, 0,
				0,    0,    1,	  (uint8_t)(len >> 8),	 (uint8_t)len };

	memcpy(p, h, sizeof h);
	memset(p + sizeof h, 0xab, len);
	return sizeof h + len;
}

static void test_accepts_records(void)
{
	uint8_t buf[2048];
	size_t n = put_record(buf, 22, 1, 100);

	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
	n += put_record(buf + n, 20, 0, 1);
	n += put_record(buf + n, 23, 1, 40);
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
	n = put_record(buf, 23, 1, 0); /* empty application data in epoch 1 */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
	buf[2] = 0xff; /* DTLS 1.0 record version (ClientHello) */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
}

static void test_not_dtls(void)
{
	uint8_t buf[64] = { 0 };

	g_assert_cmpint(rg_dtls_datagram_check(buf, 20), ==, CORE_ERR_UNKNOWN_TYPE); /* STUN */
	buf[0] = 0x80;
	g_assert_cmpint(rg_dtls_datagram_check(buf, 20), ==, CORE_ERR_UNKNOWN_TYPE); /* RTP */
	buf[0] = 19;
	g_assert_cmpint(rg_dtls_datagram_check(buf, 20), ==, CORE_ERR_UNKNOWN_TYPE);
	buf[0] = 64; /* TURN channel */
	g_assert_cmpint(rg_dtls_datagram_check(buf, 20), ==, CORE_ERR_UNKNOWN_TYPE);
	g_assert_cmpint(rg_dtls_datagram_check(buf, 0), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(rg_dtls_datagram_check(NULL, 5), ==, CORE_ERR_TRUNCATED);
}

static void test_refusals(void)
{
	uint8_t buf[20000];
	size_t n = put_record(buf, 22, 1, 100);

	g_assert_cmpint(rg_dtls_datagram_check(buf, n - 1), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(rg_dtls_datagram_check(buf, 12), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(rg_dtls_datagram_check(buf, 1), ==, CORE_ERR_TRUNCATED);
	buf[n] = 22; /* a second record cut inside its header */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n + 5), ==, CORE_ERR_TRUNCATED);
	buf[n] = 0x80; /* a second "record" that is not DTLS */
	memset(buf + n + 1, 0, 12);
	g_assert_cmpint(rg_dtls_datagram_check(buf, n + 13), ==, CORE_ERR_UNKNOWN_TYPE);
	buf[1] = 0x03; /* TLS, not DTLS */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_ERR_BAD_VALUE);
	n = put_record(buf, 23, 0, 10); /* application data in epoch 0 */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_ERR_BAD_VALUE);
	n = put_record(buf, 23, 1, 18432); /* the largest allowed */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
	n = put_record(buf, 23, 1, 18433);
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_ERR_TOO_LARGE);
}

/* An epoch-0 handshake record holding one fragment header (type 1) and flen body bytes. */
static size_t put_fragment(uint8_t *p, uint32_t mlen, uint32_t foff, uint32_t flen, uint16_t rlen)
{
	const uint8_t h[12] = { 1,
				(uint8_t)(mlen >> 16),
				(uint8_t)(mlen >> 8),
				(uint8_t)mlen,
				0,
				0,
				(uint8_t)(foff >> 16),
				(uint8_t)(foff >> 8),
				(uint8_t)foff,
				(uint8_t)(flen >> 16),
				(uint8_t)(flen >> 8),
				(uint8_t)flen };
	size_t n = put_record(p, 22, 0, rlen);

	memcpy(p + 13, h, sizeof h);
	return n;
}

static void test_handshake_fragments(void)
{
	uint8_t buf[256];
	size_t n;

	n = put_fragment(buf, 100, 0, 100, 112); /* a whole message */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
	n = put_fragment(buf, 300, 200, 100, 112); /* its last fragment */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
	n = put_fragment(buf, 0, 0, 0, 12); /* an empty message (ServerHelloDone) */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
	n = put_fragment(buf, 23948, 9472, 0, 140); /* the GnuTLS out-of-bounds read */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_ERR_TOO_LARGE);
	n = put_fragment(buf, 1000, 500, 0, 140); /* an empty fragment of a non-empty message */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_ERR_BAD_VALUE);
	n = put_fragment(buf, 300, 250, 100, 112); /* beyond its message */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_ERR_BAD_VALUE);
	n = put_fragment(buf, 100, 0, 101, 112); /* beyond its record */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_ERR_TRUNCATED);
	n = put_fragment(buf, 16385, 0, 100, 112); /* message too long */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_ERR_TOO_LARGE);
	n = put_fragment(buf, 100, 0, 100, 11); /* header cut short */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_ERR_TRUNCATED);
	buf[4] = 1; /* epoch 1: encrypted, not inspected */
	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtc/dtls-check/accepts-records", test_accepts_records);
	g_test_add_func("/rtc/dtls-check/not-dtls", test_not_dtls);
	g_test_add_func("/rtc/dtls-check/refusals", test_refusals);
	g_test_add_func("/rtc/dtls-check/handshake-fragments", test_handshake_fragments);
	return g_test_run();
}
