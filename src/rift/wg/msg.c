/* msg.c - WireGuard message layouts (contract in msg.h). */
#include "rift/wg/msg.h"

#include <string.h>

#include "core/err.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Handshake and cookie messages have exactly their size. */
static int exact(size_t n, size_t want)
{
	return n == want ? CORE_OK : n < want ? CORE_ERR_TRUNCATED : CORE_ERR_BAD_FORMAT;
}

int rg_wg_msg_decode(const uint8_t *p, size_t n, struct rg_wg_msg *m)
{
	uint32_t type;
	int rc;

	memset(m, 0, sizeof(*m));
	if (n < 4)
		return CORE_ERR_TRUNCATED;
	type = get32(p); /* the type and its three reserved zero bytes */
	switch (type) {
	case RG_WG_INITIATION:
		if ((rc = exact(n, RG_WG_INITIATION_LEN)) != CORE_OK)
			return rc;
		m->sender = get32(p + 4);
		m->ephemeral = p + 8;
		m->enc_static = p + 40;
		m->enc_timestamp = p + 88;
		m->mac1 = p + 116;
		m->mac2 = p + 132;
		m->mac_offset = 116;
		break;
	case RG_WG_RESPONSE:
		if ((rc = exact(n, RG_WG_RESPONSE_LEN)) != CORE_OK)
			return rc;
		m->sender = get32(p + 4);
		m->receiver = get32(p + 8);
		m->ephemeral = p + 12;
		m->enc_empty = p + 44;
		m->mac1 = p + 60;
		m->mac2 = p + 76;
		m->mac_offset = 60;
		break;
	case RG_WG_COOKIE:
		if ((rc = exact(n, RG_WG_COOKIE_LEN)) != CORE_OK)
			return rc;
		m->receiver = get32(p + 4);
		m->nonce = p + 8;
		m->enc_cookie = p + 32;
		break;
	case RG_WG_DATA:
		if (n < RG_WG_DATA_MIN)
			return CORE_ERR_TRUNCATED;
		m->receiver = get32(p + 4);
		m->counter = get64(p + 8);
		m->payload = p + RG_WG_DATA_HEADER;
		m->payload_len = n - RG_WG_DATA_HEADER;
		break;
	default:
		return CORE_ERR_UNKNOWN_TYPE;
	}
	m->type = (enum rg_wg_msg_type)type;
	return CORE_OK;
}

size_t rg_wg_msg_encode(const struct rg_wg_msg *m, uint8_t *out, size_t cap)
{
	size_t n;

	switch (m->type) {
	case RG_WG_INITIATION:
		n = RG_WG_INITIATION_LEN;
		break;
	case RG_WG_RESPONSE:
		n = RG_WG_RESPONSE_LEN;
		break;
	case RG_WG_COOKIE:
		n = RG_WG_COOKIE_LEN;
		break;
	case RG_WG_DATA:
		if (m->payload_len < RG_WG_DATA_MIN - RG_WG_DATA_HEADER)
			return 0;
		n = RG_WG_DATA_HEADER + m->payload_len;
		break;
	default:
		return 0;
	}
	if (n > cap)
		return 0;
	put32(out, (uint32_t)m->type);
	switch (m->type) {
	case RG_WG_INITIATION:
		put32(out + 4, m->sender);
		memcpy(out + 8, m->ephemeral, 32);
		memcpy(out + 40, m->enc_static, 48);
		memcpy(out + 88, m->enc_timestamp, 28);
		memcpy(out + 116, m->mac1, 16);
		memcpy(out + 132, m->mac2, 16);
		break;
	case RG_WG_RESPONSE:
		put32(out + 4, m->sender);
		put32(out + 8, m->receiver);
		memcpy(out + 12, m->ephemeral, 32);
		memcpy(out + 44, m->enc_empty, 16);
		memcpy(out + 60, m->mac1, 16);
		memcpy(out + 76, m->mac2, 16);
		break;
	case RG_WG_COOKIE:
		put32(out + 4, m->receiver);
		memcpy(out + 8, m->nonce, 24);
		memcpy(out + 32, m->enc_cookie, 32);
		break;
	default:
		put32(out + 4, m->receiver);
		put64(out + 8, m->counter);
		memmove(out + RG_WG_DATA_HEADER, m->payload, m->payload_len);
		break;
	}
	return n;
}
