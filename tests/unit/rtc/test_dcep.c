/*
 * Unit tests for rift/rtc/dcep: OPEN and ACK against exact bytes of RFC 8832,
 * and every malformed shape refused with its documented code.
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/rtc/dcep.h"

/* OPEN, reliable ordered, priority 256, label "chat", protocol "x". */
static const uint8_t open_chat[] = { 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				     0x04, 0x00, 0x01, 'c',  'h',  'a',	 't',  'x' };

/* OPEN, unordered with maxRetransmits 0, label "lossy", no protocol. */
static const uint8_t open_lossy[] = { 0x03, 0x81, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				      0x05, 0x00, 0x00, 'l',  'o',  's',  's',	'y' };

static void test_encode_open(void)
{
	struct rg_dcep_open o = { .channel_type = RG_DCEP_RELIABLE,
				  .priority = 256,
				  .reliability = 0,
				  .label = (const uint8_t *)"chat",
				  .label_len = 4,
				  .protocol = (const uint8_t *)"x",
				  .protocol_len = 1 };
	uint8_t out[64];

	g_assert_cmpuint(rg_dcep_encode_open(&o, out, sizeof(out)), ==, sizeof(open_chat));
	g_assert_cmpmem(out, sizeof(open_chat), open_chat, sizeof(open_chat));
	/* one byte short: nothing */
	g_assert_cmpuint(rg_dcep_encode_open(&o, out, sizeof(open_chat) - 1), ==, 0);

	o = (struct rg_dcep_open){ .channel_type = RG_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED,
				   .label = (const uint8_t *)"lossy",
				   .label_len = 5 };
	g_assert_cmpuint(rg_dcep_encode_open(&o, out, sizeof(out)), ==, sizeof(open_lossy));
	g_assert_cmpmem(out, sizeof(open_lossy), open_lossy, sizeof(open_lossy));
}

static void test_encode_ack(void)
{
	uint8_t out[4] = { 0xff, 0xff };

	g_assert_cmpuint(rg_dcep_encode_ack(out, sizeof(out)), ==, 1);
	g_assert_cmphex(out[0], ==, 0x02);
	g_assert_cmphex(out[1], ==, 0xff);
	g_assert_cmpuint(rg_dcep_encode_ack(out, 0), ==, 0);
}

static void test_decode_open(void)
{
	enum rg_dcep_type type = 0;
	struct rg_dcep_open o;
	static const uint8_t timed[] = { 0x03, 0x82, 0x00, 0x02, 0x00, 0x00,
					 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00 };

	g_assert_cmpint(rg_dcep_decode(open_chat, sizeof(open_chat), &type, &o), ==, CORE_OK);
	g_assert_cmpint(type, ==, RG_DCEP_OPEN);
	g_assert_cmphex(o.channel_type, ==, RG_DCEP_RELIABLE);
	g_assert_cmpuint(o.priority, ==, 256);
	g_assert_cmpuint(o.reliability, ==, 0);
	g_assert_cmpmem(o.label, o.label_len, "chat", 4);
	g_assert_cmpmem(o.protocol, o.protocol_len, "x", 1);

	g_assert_cmpint(rg_dcep_decode(timed, sizeof(timed), &type, &o), ==, CORE_OK);
	g_assert_cmphex(o.channel_type, ==, RG_DCEP_PARTIAL_RELIABLE_TIMED_UNORDERED);
	g_assert_cmpuint(o.priority, ==, 2);
	g_assert_cmpuint(o.reliability, ==, 1000);
	g_assert_cmpuint(o.label_len, ==, 0);
	g_assert_cmpuint(o.protocol_len, ==, 0);
}

static void test_decode_ack(void)
{
	static const uint8_t ack[] = { 0x02, 0x00 };
	enum rg_dcep_type type = 0;

	g_assert_cmpint(rg_dcep_decode(ack, 1, &type, NULL), ==, CORE_OK);
	g_assert_cmpint(type, ==, RG_DCEP_ACK);
	g_assert_cmpint(rg_dcep_decode(ack, 2, &type, NULL), ==, CORE_ERR_BAD_FORMAT);
}

static void test_decode_errors(void)
{
	enum rg_dcep_type type;
	struct rg_dcep_open o;
	uint8_t buf[sizeof(open_chat) + 1];
	static const uint8_t unknown[] = { 0x04 };

	g_assert_cmpint(rg_dcep_decode(open_chat, 0, &type, &o), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(rg_dcep_decode(unknown, 1, &type, &o), ==, CORE_ERR_UNKNOWN_TYPE);
	/* every cut inside the 12-byte header */
	for (size_t n = 1; n < RG_DCEP_OPEN_HEADER_LEN; n++)
		g_assert_cmpint(rg_dcep_decode(open_chat, n, &type, &o), ==, CORE_ERR_TRUNCATED);
	/* label/protocol lengths past the end */
	for (size_t n = RG_DCEP_OPEN_HEADER_LEN; n < sizeof(open_chat); n++)
		g_assert_cmpint(rg_dcep_decode(open_chat, n, &type, &o), ==, CORE_ERR_BAD_FORMAT);
	/* a trailing byte the lengths do not cover */
	memcpy(buf, open_chat, sizeof(open_chat));
	buf[sizeof(open_chat)] = 0;
	g_assert_cmpint(rg_dcep_decode(buf, sizeof(buf), &type, &o), ==, CORE_ERR_BAD_FORMAT);
	/* label length 0xffff */
	memcpy(buf, open_chat, sizeof(open_chat));
	buf[8] = 0xff;
	buf[9] = 0xff;
	g_assert_cmpint(rg_dcep_decode(buf, sizeof(open_chat), &type, &o), ==, CORE_ERR_BAD_FORMAT);
	/* channel type 0x03 is not in RFC 8832 */
	memcpy(buf, open_chat, sizeof(open_chat));
	buf[1] = 0x03;
	g_assert_cmpint(rg_dcep_decode(buf, sizeof(open_chat), &type, &o), ==, CORE_ERR_BAD_FORMAT);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtc/dcep/encode-open", test_encode_open);
	g_test_add_func("/rtc/dcep/encode-ack", test_encode_ack);
	g_test_add_func("/rtc/dcep/decode-open", test_decode_open);
	g_test_add_func("/rtc/dcep/decode-ack", test_decode_ack);
	g_test_add_func("/rtc/dcep/decode-errors", test_decode_errors);
	return g_test_run();
}
