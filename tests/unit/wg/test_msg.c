/* Unit tests for rift/wg/msg: the exact layout of the four messages, and what is refused. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/wg/msg.h"

static void fill(uint8_t *p, size_t n, uint8_t v)
{
	memset(p, v, n);
}

static void test_initiation_layout(void)
{
	uint8_t eph[32], st[48], ts[28], m1[16], m2[16], out[200];
	struct rg_wg_msg m = { .type = RG_WG_INITIATION, .sender = 0x11223344 }, d;

	fill(eph, 32, 0xe0);
	fill(st, 48, 0x5a);
	fill(ts, 28, 0x7e);
	fill(m1, 16, 0x01);
	fill(m2, 16, 0x02);
	m.ephemeral = eph;
	m.enc_static = st;
	m.enc_timestamp = ts;
	m.mac1 = m1;
	m.mac2 = m2;
	g_assert_cmpuint(rg_wg_msg_encode(&m, out, sizeof(out)), ==, 148);
	g_assert_cmpmem(out, 8, "\x01\x00\x00\x00\x44\x33\x22\x11", 8);
	g_assert_cmpuint(out[8], ==, 0xe0);
	g_assert_cmpuint(out[39], ==, 0xe0);
	g_assert_cmpuint(out[40], ==, 0x5a);
	g_assert_cmpuint(out[87], ==, 0x5a);
	g_assert_cmpuint(out[88], ==, 0x7e);
	g_assert_cmpuint(out[115], ==, 0x7e);
	g_assert_cmpuint(out[116], ==, 0x01);
	g_assert_cmpuint(out[132], ==, 0x02);
	g_assert_cmpuint(out[147], ==, 0x02);
	g_assert_cmpint(rg_wg_msg_decode(out, 148, &d), ==, CORE_OK);
	g_assert_cmpint(d.type, ==, RG_WG_INITIATION);
	g_assert_cmpuint(d.sender, ==, 0x11223344);
	g_assert_true(d.mac1 == out + 116 && d.mac2 == out + 132 && d.mac_offset == 116);
	g_assert_cmpuint(rg_wg_msg_encode(&m, out, 147), ==, 0); /* no room */
}

static void test_other_layouts(void)
{
	uint8_t eph[32], empty[16], m1[16], m2[16], nonce[24], cookie[32], pkt[48], out[200];
	struct rg_wg_msg r = { .type = RG_WG_RESPONSE, .sender = 7, .receiver = 0xa0b0c0d0 };
	struct rg_wg_msg c = { .type = RG_WG_COOKIE, .receiver = 9 };
	struct rg_wg_msg t = { .type = RG_WG_DATA, .receiver = 5, .counter = 0x0102030405060708 };
	struct rg_wg_msg d;

	fill(eph, 32, 1);
	fill(empty, 16, 2);
	fill(m1, 16, 3);
	fill(m2, 16, 4);
	fill(nonce, 24, 5);
	fill(cookie, 32, 6);
	fill(pkt, 48, 7);
	r.ephemeral = eph;
	r.enc_empty = empty;
	r.mac1 = m1;
	r.mac2 = m2;
	g_assert_cmpuint(rg_wg_msg_encode(&r, out, sizeof(out)), ==, 92);
	g_assert_cmpmem(out, 12, "\x02\x00\x00\x00\x07\x00\x00\x00\xd0\xc0\xb0\xa0", 12);
	g_assert_cmpint(rg_wg_msg_decode(out, 92, &d), ==, CORE_OK);
	g_assert_true(d.receiver == 0xa0b0c0d0 && d.ephemeral == out + 12 &&
		      d.enc_empty == out + 44 && d.mac1 == out + 60 && d.mac2 == out + 76 &&
		      d.mac_offset == 60);
	c.nonce = nonce;
	c.enc_cookie = cookie;
	g_assert_cmpuint(rg_wg_msg_encode(&c, out, sizeof(out)), ==, 64);
	g_assert_cmpint(rg_wg_msg_decode(out, 64, &d), ==, CORE_OK);
	g_assert_true(d.receiver == 9 && d.nonce == out + 8 && d.enc_cookie == out + 32);
	t.payload = pkt;
	t.payload_len = 48;
	g_assert_cmpuint(rg_wg_msg_encode(&t, out, sizeof(out)), ==, 64);
	g_assert_cmpmem(out, 16, "\x04\x00\x00\x00\x05\x00\x00\x00\x08\x07\x06\x05\x04\x03\x02\x01",
			16);
	g_assert_cmpint(rg_wg_msg_decode(out, 64, &d), ==, CORE_OK);
	g_assert_true(d.counter == 0x0102030405060708 && d.payload == out + 16 &&
		      d.payload_len == 48);
	t.payload_len = 15; /* less than a tag */
	g_assert_cmpuint(rg_wg_msg_encode(&t, out, sizeof(out)), ==, 0);
}

static void test_refused(void)
{
	uint8_t buf[200] = { 1 };
	struct rg_wg_msg d;

	g_assert_cmpint(rg_wg_msg_decode(buf, 3, &d), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(rg_wg_msg_decode(buf, 147, &d), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(rg_wg_msg_decode(buf, 149, &d), ==, CORE_ERR_BAD_FORMAT);
	buf[1] = 1; /* reserved bytes must be zero */
	g_assert_cmpint(rg_wg_msg_decode(buf, 148, &d), ==, CORE_ERR_UNKNOWN_TYPE);
	buf[1] = 0;
	buf[0] = 5;
	g_assert_cmpint(rg_wg_msg_decode(buf, 148, &d), ==, CORE_ERR_UNKNOWN_TYPE);
	buf[0] = 4;
	g_assert_cmpint(rg_wg_msg_decode(buf, 31, &d), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(rg_wg_msg_decode(buf, 32, &d), ==, CORE_OK); /* a keepalive */
	buf[0] = 2;
	g_assert_cmpint(rg_wg_msg_decode(buf, 93, &d), ==, CORE_ERR_BAD_FORMAT);
	buf[0] = 3;
	g_assert_cmpint(rg_wg_msg_decode(buf, 63, &d), ==, CORE_ERR_TRUNCATED);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/msg/initiation-layout", test_initiation_layout);
	g_test_add_func("/wg/msg/other-layouts", test_other_layouts);
	g_test_add_func("/wg/msg/refused", test_refused);
	return g_test_run();
}
