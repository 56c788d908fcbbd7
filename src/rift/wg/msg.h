/*
 * msg.h - WireGuard's four messages on the wire (the protocol page and the
 * whitepaper, section 5.4). Little-endian integers; the first 4 bytes are the
 * type and three zero bytes, read as one little-endian word as the Linux
 * implementation does, so non-zero "reserved" bytes make an unknown type.
 *
 *   1 handshake initiation   148 bytes: sender, ephemeral[32], static[48],
 *                            timestamp[28], mac1[16], mac2[16]
 *   2 handshake response      92 bytes: sender, receiver, ephemeral[32],
 *                            empty[16], mac1[16], mac2[16]
 *   3 cookie reply            64 bytes: receiver, nonce[24], cookie[32]
 *   4 transport data        >= 32 bytes: receiver, counter u64, then the
 *                            encrypted packet with its 16-byte tag
 *
 * Handshake and cookie messages have exactly their size; anything else is
 * dropped by the caller (counted, never answered).
 *
 * Pure: no I/O, no clock, no crypto (the fields are opaque bytes here).
 * Decoded views point into the input. Threading: none.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum rg_wg_msg_type {
	RG_WG_INITIATION = 1,
	RG_WG_RESPONSE = 2,
	RG_WG_COOKIE = 3,
	RG_WG_DATA = 4,
};

#define RG_WG_INITIATION_LEN 148
#define RG_WG_RESPONSE_LEN   92
#define RG_WG_COOKIE_LEN     64
#define RG_WG_DATA_HEADER    16
#define RG_WG_DATA_MIN	     (RG_WG_DATA_HEADER + 16) /* a keepalive: no packet, just the tag */
#define RG_WG_MAC_LEN	     16

struct rg_wg_msg {
	enum rg_wg_msg_type type;
	uint32_t sender;	      /* initiation, response */
	uint32_t receiver;	      /* response, cookie, data */
	uint64_t counter;	      /* data */
	const uint8_t *ephemeral;     /* [32] initiation, response */
	const uint8_t *enc_static;    /* [48] initiation */
	const uint8_t *enc_timestamp; /* [28] initiation */
	const uint8_t *enc_empty;     /* [16] response */
	const uint8_t *mac1, *mac2;   /* [16] initiation, response */
	const uint8_t *nonce;	      /* [24] cookie */
	const uint8_t *enc_cookie;    /* [32] cookie */
	const uint8_t *payload;	      /* data: the encrypted packet and tag */
	size_t payload_len;	      /* >= 16 */
	size_t mac_offset;	      /* initiation, response: bytes covered by mac1 */
};

/*
 * Decode one datagram. CORE_OK; CORE_ERR_TRUNCATED (shorter than its type
 * needs, or under 4 bytes), CORE_ERR_BAD_FORMAT (a handshake or cookie
 * message of the wrong size), CORE_ERR_UNKNOWN_TYPE.
 */
int rg_wg_msg_decode(const uint8_t *p, size_t n, struct rg_wg_msg *m);

/*
 * Encode m (its views must point to the field sizes above) into out, which
 * has room for cap bytes. Returns the length, or 0 when it does not fit.
 */
size_t rg_wg_msg_encode(const struct rg_wg_msg *m, uint8_t *out, size_t cap);
