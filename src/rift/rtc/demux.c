/* demux.c - classify an ICE datagram by its first bytes (contract in demux.h). */
#include "rift/rtc/demux.h"

#define STUN_MAGIC 0x2112A442u

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum rg_demux_kind rg_demux_classify(const uint8_t *buf, size_t len)
{
	uint8_t b;

	if (len == 0)
		return RG_DEMUX_UNKNOWN;
	b = buf[0];
	if (b >= 1 && b <= 4 && len >= RG_DEMUX_WG_MIN && buf[1] == 0 && buf[2] == 0 &&
	    buf[3] == 0 && be32(buf + 4) != STUN_MAGIC)
		return RG_DEMUX_WIREGUARD;
	if (b <= 3)
		return RG_DEMUX_STUN;
	if (b >= 20 && b <= 63)
		return RG_DEMUX_DTLS;
	if (b >= 64 && b <= 79)
		return RG_DEMUX_TURN_CHANNEL;
	return RG_DEMUX_UNKNOWN;
}
