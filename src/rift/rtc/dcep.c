/* dcep.c - DCEP (RFC 8832) encoding and decoding; see dcep.h. */
#include "rift/rtc/dcep.h"

#include <string.h>

#include "core/err.h"

/* Big-endian 16-bit read. */
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Big-endian 32-bit read. */
static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Big-endian 16-bit write. */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Big-endian 32-bit write. */
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int rg_dcep_channel_type_valid(uint8_t t)
{
	switch (t) {
	case RG_DCEP_RELIABLE:
	case RG_DCEP_RELIABLE_UNORDERED:
	case RG_DCEP_PARTIAL_RELIABLE_REXMIT:
	case RG_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED:
	case RG_DCEP_PARTIAL_RELIABLE_TIMED:
	case RG_DCEP_PARTIAL_RELIABLE_TIMED_UNORDERED:
		return 1;
	default:
		return 0;
	}
}

/* Decode the body of an OPEN (p[0] is already known to be 0x03). */
static int decode_open(const uint8_t *p, size_t n, struct rg_dcep_open *o)
{
	struct rg_dcep_open tmp;
	size_t body;

	if (n < RG_DCEP_OPEN_HEADER_LEN)
		return CORE_ERR_TRUNCATED;
	tmp.channel_type = p[1];
	tmp.priority = get16(p + 2);
	tmp.reliability = get32(p + 4);
	tmp.label_len = get16(p + 8);
	tmp.protocol_len = get16(p + 10);
	/* the peer's lengths must describe exactly the bytes that follow */
	body = (size_t)tmp.label_len + tmp.protocol_len;
	if (body != n - RG_DCEP_OPEN_HEADER_LEN)
		return CORE_ERR_BAD_FORMAT;
	if (!rg_dcep_channel_type_valid(tmp.channel_type))
		return CORE_ERR_BAD_FORMAT;
	tmp.label = p + RG_DCEP_OPEN_HEADER_LEN;
	tmp.protocol = tmp.label + tmp.label_len;
	if (o != NULL)
		*o = tmp;
	return CORE_OK;
}

int rg_dcep_decode(const uint8_t *p, size_t n, enum rg_dcep_type *type, struct rg_dcep_open *open)
{
	if (n == 0)
		return CORE_ERR_TRUNCATED;
	switch (p[0]) {
	case RG_DCEP_ACK:
		*type = RG_DCEP_ACK;
		return n == 1 ? CORE_OK : CORE_ERR_BAD_FORMAT;
	case RG_DCEP_OPEN:
		*type = RG_DCEP_OPEN;
		return decode_open(p, n, open);
	default:
		return CORE_ERR_UNKNOWN_TYPE;
	}
}

size_t rg_dcep_encode_open(const struct rg_dcep_open *o, uint8_t *out, size_t cap)
{
	size_t len = RG_DCEP_OPEN_HEADER_LEN + (size_t)o->label_len + o->protocol_len;

	if (len > cap)
		return 0;
	out[0] = RG_DCEP_OPEN;
	out[1] = o->channel_type;
	put16(out + 2, o->priority);
	put32(out + 4, o->reliability);
	put16(out + 8, o->label_len);
	put16(out + 10, o->protocol_len);
	if (o->label_len > 0)
		memcpy(out + RG_DCEP_OPEN_HEADER_LEN, o->label, o->label_len);
	if (o->protocol_len > 0)
		memcpy(out + RG_DCEP_OPEN_HEADER_LEN + o->label_len, o->protocol, o->protocol_len);
	return len;
}

size_t rg_dcep_encode_ack(uint8_t *out, size_t cap)
{
	if (cap < 1)
		return 0;
	out[0] = RG_DCEP_ACK;
	return 1;
}
