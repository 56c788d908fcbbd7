/* cookie.c - mac1, mac2 and cookie replies (contract in cookie.h). */
#include "rift/wg/cookie.h"

#include <sodium.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"

/* Is a stamp taken at `at` still younger than the lifetime at `now`? */
static bool fresh(uint64_t at, uint64_t now)
{
	return now >= at && now - at < RG_WG_COOKIE_LIFETIME_NS;
}

void rg_wg_cookie_add_macs(struct rg_wg_cookie_jar *j, const struct rg_wg_remote *r, uint8_t *msg,
			   size_t len, uint64_t now)
{
	uint8_t *mac1 = msg + len - 2 * RG_WG_MAC_LEN, *mac2 = msg + len - RG_WG_MAC_LEN;

	rg_wg_mac(mac1, r->mac1_key, sizeof(r->mac1_key), msg, len - 2 * RG_WG_MAC_LEN);
	memcpy(j->last_mac1, mac1, RG_WG_MAC_LEN);
	j->have_last_mac1 = true;
	if (j->have_cookie && fresh(j->cookie_at, now))
		rg_wg_mac(mac2, j->cookie, sizeof(j->cookie), msg, len - RG_WG_MAC_LEN);
	else
		memset(mac2, 0, RG_WG_MAC_LEN);
}

int rg_wg_cookie_consume_reply(struct rg_wg_cookie_jar *j, const struct rg_wg_remote *r,
			       const struct rg_wg_msg *m, uint64_t now)
{
	uint8_t cookie[RG_WG_MAC_LEN];

	if (m->type != RG_WG_COOKIE || !j->have_last_mac1)
		return CORE_ERR_INVALID_ARG;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL, m->enc_cookie, 32,
						       j->last_mac1, RG_WG_MAC_LEN, m->nonce,
						       r->cookie_key) != 0)
		return CORE_ERR_AUTH;
	memcpy(j->cookie, cookie, sizeof(cookie));
	j->cookie_at = now;
	j->have_cookie = true;
	j->have_last_mac1 = false; /* one reply per message */
	core_wipe(cookie, sizeof(cookie));
	return CORE_OK;
}

bool rg_wg_cookie_check_mac1(const struct rg_wg_static *s, const uint8_t *msg, size_t len)
{
	uint8_t mac[RG_WG_MAC_LEN];

	rg_wg_mac(mac, s->mac1_key, sizeof(s->mac1_key), msg, len - 2 * RG_WG_MAC_LEN);
	return core_ct_equal(mac, msg + len - 2 * RG_WG_MAC_LEN, RG_WG_MAC_LEN);
}

/* The cookie for src under the current secret. */
static void make_cookie(uint8_t out[RG_WG_MAC_LEN], const struct rg_wg_cookie_checker *c,
			const uint8_t *src, size_t srclen)
{
	rg_wg_mac(out, c->secret, sizeof(c->secret), src, srclen);
}

bool rg_wg_cookie_check_mac2(const struct rg_wg_cookie_checker *c, const uint8_t *msg, size_t len,
			     const uint8_t *src, size_t srclen, uint64_t now)
{
	uint8_t cookie[RG_WG_MAC_LEN], mac[RG_WG_MAC_LEN];
	bool ok;

	if (!c->have_secret || !fresh(c->secret_at, now))
		return false;
	make_cookie(cookie, c, src, srclen);
	rg_wg_mac(mac, cookie, sizeof(cookie), msg, len - RG_WG_MAC_LEN);
	ok = core_ct_equal(mac, msg + len - RG_WG_MAC_LEN, RG_WG_MAC_LEN);
	core_wipe(cookie, sizeof(cookie));
	return ok;
}

void rg_wg_cookie_make_reply(struct rg_wg_cookie_checker *c, const struct rg_wg_static *s,
			     const struct rg_wg_msg *m, const uint8_t *src, size_t srclen,
			     const uint8_t nonce[RG_WG_COOKIE_NONCE_LEN],
			     const uint8_t fresh_secret[32], uint64_t now,
			     uint8_t out[RG_WG_COOKIE_LEN])
{
	uint8_t cookie[RG_WG_MAC_LEN], enc[32];
	struct rg_wg_msg reply = { .type = RG_WG_COOKIE, .receiver = m->sender };

	if (!c->have_secret || !fresh(c->secret_at, now)) {
		memcpy(c->secret, fresh_secret, sizeof(c->secret));
		c->secret_at = now;
		c->have_secret = true;
	}
	make_cookie(cookie, c, src, srclen);
	crypto_aead_xchacha20poly1305_ietf_encrypt(enc, NULL, cookie, sizeof(cookie), m->mac1,
						   RG_WG_MAC_LEN, NULL, nonce, s->cookie_key);
	reply.nonce = nonce;
	reply.enc_cookie = enc;
	rg_wg_msg_encode(&reply, out, RG_WG_COOKIE_LEN);
	core_wipe(cookie, sizeof(cookie));
}
