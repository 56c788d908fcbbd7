/*
 * cookie.h - WireGuard's DoS defence (whitepaper section 5.3 and 5.4.7):
 * mac1 on every handshake message (keyed by the receiver's public key, so
 * only someone who knows it can make us do DH), and under load mac2, keyed
 * by a "cookie" the responder hands out in a cookie reply and binds to the
 * sender's address.
 *
 *   sender side   struct rg_wg_cookie_jar, one per peer: adds the MACs to
 *                 our handshake messages, keeps the cookie the peer gave us.
 *   receiver side struct rg_wg_cookie_checker, one per device: checks the
 *                 MACs, makes cookie replies with a secret rotated every
 *                 2 minutes.
 *
 * Pure: the time (ns, any monotonic origin) and random bytes are parameters.
 * Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rift/wg/noise.h"

#define RG_WG_COOKIE_LIFETIME_NS (UINT64_C(120) * 1000000000) /* a cookie, and the secret */
#define RG_WG_COOKIE_NONCE_LEN	 24

struct rg_wg_cookie_jar {
	uint8_t cookie[RG_WG_MAC_LEN];
	uint64_t cookie_at; /* when received */
	bool have_cookie;
	uint8_t last_mac1[RG_WG_MAC_LEN]; /* of our last handshake message: a reply's AD */
	bool have_last_mac1;
};

struct rg_wg_cookie_checker {
	uint8_t secret[32];
	uint64_t secret_at;
	bool have_secret;
};

/*
 * Fill mac1 and mac2 of a handshake message of len bytes (initiation or
 * response) bound for r. mac2 is zero unless the jar holds a cookie younger
 * than RG_WG_COOKIE_LIFETIME_NS.
 */
void rg_wg_cookie_add_macs(struct rg_wg_cookie_jar *j, const struct rg_wg_remote *r, uint8_t *msg,
			   size_t len, uint64_t now);
/*
 * Take the cookie from a reply to our last handshake message. CORE_OK,
 * CORE_ERR_INVALID_ARG (we sent nothing it could answer) or CORE_ERR_AUTH.
 */
int rg_wg_cookie_consume_reply(struct rg_wg_cookie_jar *j, const struct rg_wg_remote *r,
			       const struct rg_wg_msg *m, uint64_t now);

/* Is mac1 of a handshake message sent to s right? */
bool rg_wg_cookie_check_mac1(const struct rg_wg_static *s, const uint8_t *msg, size_t len);
/* Is mac2 right for a message from src (address bytes as the caller encodes them)? */
bool rg_wg_cookie_check_mac2(const struct rg_wg_cookie_checker *c, const uint8_t *msg, size_t len,
			     const uint8_t *src, size_t srclen, uint64_t now);
/*
 * Write a cookie reply to the handshake message m from src into out. When
 * the secret is missing or older than RG_WG_COOKIE_LIFETIME_NS it becomes
 * fresh_secret. nonce: 24 random bytes.
 */
void rg_wg_cookie_make_reply(struct rg_wg_cookie_checker *c, const struct rg_wg_static *s,
			     const struct rg_wg_msg *m, const uint8_t *src, size_t srclen,
			     const uint8_t nonce[RG_WG_COOKIE_NONCE_LEN],
			     const uint8_t fresh_secret[32], uint64_t now,
			     uint8_t out[RG_WG_COOKIE_LEN]);
