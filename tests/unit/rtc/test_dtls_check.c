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
	size_t n = put_record(buf, 22, 0, 100);

	g_assert_cmpint(rg_dtls_datagram_check(buf, n), ==, CORE_OK);
	n += put_record(buf + n, 20, 0, 1);
	n += put_record(buf + n, 22, 1, 40);
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
	size_t n = put_record(buf, 22, 0, 100);

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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtc/dtls-check/accepts-records", test_accepts_records);
	g_test_add_func("/rtc/dtls-check/not-dtls", test_not_dtls);
	g_test_add_func("/rtc/dtls-check/refusals", test_refusals);
	return g_test_run();
}
