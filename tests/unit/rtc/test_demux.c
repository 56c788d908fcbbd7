/*
 * Unit tests for rift/rtc/demux: each kind of datagram an ICE path
 * carries, told apart by its first bytes, including the WireGuard/STUN
 * overlap (first byte 1: WireGuard's initiation, STUN's responses).
 */
#include <glib.h>
#include <string.h>

#include "rift/rtc/demux.h"

static void test_kinds(void)
{
	uint8_t b[148];

	memset(b, 0, sizeof(b));
	for (uint8_t t = 1; t <= 4; t++) {
		b[0] = t;
		b[4] = 0x5a; /* a sender index */
		g_assert_cmpint(rg_demux_classify(b, sizeof(b)), ==, RG_DEMUX_WIREGUARD);
		g_assert_cmpint(rg_demux_classify(b, 32), ==, RG_DEMUX_WIREGUARD);
		/* shorter than a keepalive: not WireGuard; first byte 1-3 reads as STUN */
		g_assert_cmpint(rg_demux_classify(b, 31), ==,
				t <= 3 ? RG_DEMUX_STUN : RG_DEMUX_UNKNOWN);
	}
	/* STUN: a binding success response (0x0101), and type 0x0100 with the magic cookie */
	memset(b, 0, sizeof(b));
	b[0] = 0x01, b[1] = 0x01, b[4] = 0x21, b[5] = 0x12, b[6] = 0xa4, b[7] = 0x42;
	g_assert_cmpint(rg_demux_classify(b, 40), ==, RG_DEMUX_STUN);
	b[1] = 0x00;
	g_assert_cmpint(rg_demux_classify(b, 40), ==, RG_DEMUX_STUN);
	b[0] = 0x00, b[1] = 0x01; /* binding request */
	g_assert_cmpint(rg_demux_classify(b, 40), ==, RG_DEMUX_STUN);
	/* WireGuard-shaped but a nonzero reserved byte: STUN's range, not WireGuard */
	memset(b, 0, sizeof(b));
	b[0] = 1, b[3] = 1;
	g_assert_cmpint(rg_demux_classify(b, 40), ==, RG_DEMUX_STUN);
	b[0] = 22; /* a DTLS handshake record */
	g_assert_cmpint(rg_demux_classify(b, 40), ==, RG_DEMUX_DTLS);
	b[0] = 23; /* application data */
	g_assert_cmpint(rg_demux_classify(b, 40), ==, RG_DEMUX_DTLS);
	b[0] = 0x40; /* TURN ChannelData */
	g_assert_cmpint(rg_demux_classify(b, 40), ==, RG_DEMUX_TURN_CHANNEL);
	b[0] = 0x80; /* RTP */
	g_assert_cmpint(rg_demux_classify(b, 40), ==, RG_DEMUX_UNKNOWN);
	g_assert_cmpint(rg_demux_classify(b, 0), ==, RG_DEMUX_UNKNOWN);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/demux/kinds", test_kinds);
	return g_test_run();
}
