/* noise.c - WireGuard's Noise_IKpsk2 handshake and transport AEAD (contract in noise.h). */
#include "rift/wg/noise.h"

#include <sodium.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "rift/wg/aead.h"

#define AEAD_TAG 16

static const uint8_t zero_mac[RG_WG_MAC_LEN];

static void label_hash(uint8_t out[RG_WG_HASH_LEN], const char label[8], const uint8_t pub[32])
{
	rg_wg_hash(out, label, 8, pub, RG_WG_KEY_LEN);
}

/* X25519; false when the result is the zero point (a low-order input). */
static bool dh(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32])
{
	return crypto_scalarmult(out, priv, pub) == 0;
}

static void nonce_of(uint8_t nonce[12], uint64_t counter)
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

/* out = AEAD(key, counter, pt, ad): ptlen + 16 bytes. */
static void aead_seal(uint8_t *out, const uint8_t key[32], uint64_t counter, const uint8_t *pt,
		      size_t ptlen, const uint8_t *ad, size_t adlen)
{
	uint8_t nonce[12];

	nonce_of(nonce, counter);
	rg_aead_seal(out, pt, ptlen, ad, adlen, nonce, key);
}

static bool aead_open(uint8_t *out, const uint8_t key[32], uint64_t counter, const uint8_t *ct,
		      size_t ctlen, const uint8_t *ad, size_t adlen)
{
	uint8_t nonce[12];

	nonce_of(nonce, counter);
	return rg_aead_open(out, ct, ctlen, ad, adlen, nonce, key);
}

/* h = HASH(h || data) */
static void mix_hash(uint8_t h[RG_WG_HASH_LEN], const uint8_t *data, size_t len)
{
	rg_wg_hash(h, h, RG_WG_HASH_LEN, data, len);
}

int rg_wg_static_init(struct rg_wg_static *s, const uint8_t priv[RG_WG_KEY_LEN])
{
	memcpy(s->priv, priv, RG_WG_KEY_LEN);
	rg_wg_key_clamp(s->priv);
	if (rg_wg_key_public(s->pub, s->priv) != CORE_OK) {
		core_wipe(s, sizeof(*s));
		return CORE_ERR_BAD_VALUE;
	}
	label_hash(s->mac1_key, "mac1----", s->pub);
	label_hash(s->cookie_key, "cookie--", s->pub);
	return CORE_OK;
}

int rg_wg_remote_init(struct rg_wg_remote *r, const struct rg_wg_static *s,
		      const uint8_t pub[RG_WG_KEY_LEN], const uint8_t psk[RG_WG_KEY_LEN])
{
	memset(r, 0, sizeof(*r));
	memcpy(r->pub, pub, RG_WG_KEY_LEN);
	if (psk != NULL)
		memcpy(r->psk, psk, RG_WG_KEY_LEN);
	if (!dh(r->ss, s->priv, pub)) {
		core_wipe(r, sizeof(*r));
		return CORE_ERR_BAD_VALUE;
	}
	label_hash(r->mac1_key, "mac1----", pub);
	label_hash(r->cookie_key, "cookie--", pub);
	return CORE_OK;
}

int rg_wg_noise_initiation(struct rg_wg_handshake *hs, const struct rg_wg_static *s,
			   const struct rg_wg_remote *r, const uint8_t eph_priv[RG_WG_KEY_LEN],
			   const uint8_t tai64n[RG_WG_TAI64N_LEN], uint32_t local_index,
			   uint8_t out[RG_WG_INITIATION_LEN])
{
	uint8_t ck[32], h[32], k[32], shared[32], eph_pub[32], enc_static[48], enc_ts[28];
	struct rg_wg_msg m = { .type = RG_WG_INITIATION };
	int ret = CORE_ERR_AUTH;

	rg_wg_initial_chain(ck, h);
	mix_hash(h, r->pub, RG_WG_KEY_LEN);
	crypto_scalarmult_base(eph_pub, eph_priv);
	rg_wg_kdf(1, ck, NULL, NULL, ck, eph_pub, sizeof(eph_pub));
	mix_hash(h, eph_pub, sizeof(eph_pub));
	if (!dh(shared, eph_priv, r->pub))
		goto out;
	rg_wg_kdf(2, ck, k, NULL, ck, shared, sizeof(shared));
	aead_seal(enc_static, k, 0, s->pub, RG_WG_KEY_LEN, h, sizeof(h));
	mix_hash(h, enc_static, sizeof(enc_static));
	rg_wg_kdf(2, ck, k, NULL, ck, r->ss, sizeof(r->ss));
	aead_seal(enc_ts, k, 0, tai64n, RG_WG_TAI64N_LEN, h, sizeof(h));
	mix_hash(h, enc_ts, sizeof(enc_ts));

	m.sender = local_index;
	m.ephemeral = eph_pub;
	m.enc_static = enc_static;
	m.enc_timestamp = enc_ts;
	m.mac1 = m.mac2 = zero_mac;
	rg_wg_msg_encode(&m, out, RG_WG_INITIATION_LEN);

	hs->state = RG_WG_HS_INIT_SENT;
	memcpy(hs->hash, h, sizeof(h));
	memcpy(hs->ck, ck, sizeof(ck));
	memcpy(hs->eph_priv, eph_priv, RG_WG_KEY_LEN);
	hs->local_index = local_index;
	hs->remote_index = 0;
	ret = CORE_OK;
out:
	core_wipe(ck, sizeof(ck));
	core_wipe(k, sizeof(k));
	core_wipe(shared, sizeof(shared));
	return ret;
}

int rg_wg_noise_open_initiation(const struct rg_wg_static *s, const struct rg_wg_msg *m,
				struct rg_wg_initiation *info)
{
	uint8_t k[32], shared[32];
	struct rg_wg_initiation in;
	int ret = CORE_ERR_AUTH;

	if (m->type != RG_WG_INITIATION)
		return CORE_ERR_INVALID_ARG;
	rg_wg_initial_chain(in.ck, in.hash);
	mix_hash(in.hash, s->pub, RG_WG_KEY_LEN);
	rg_wg_kdf(1, in.ck, NULL, NULL, in.ck, m->ephemeral, RG_WG_KEY_LEN);
	mix_hash(in.hash, m->ephemeral, RG_WG_KEY_LEN);
	if (!dh(shared, s->priv, m->ephemeral))
		goto out;
	rg_wg_kdf(2, in.ck, k, NULL, in.ck, shared, sizeof(shared));
	if (!aead_open(in.remote_static, k, 0, m->enc_static, 48, in.hash, sizeof(in.hash)))
		goto out;
	mix_hash(in.hash, m->enc_static, 48);
	memcpy(in.remote_eph, m->ephemeral, RG_WG_KEY_LEN);
	in.sender = m->sender;
	*info = in;
	ret = CORE_OK;
out:
	core_wipe(&in, sizeof(in));
	core_wipe(k, sizeof(k));
	core_wipe(shared, sizeof(shared));
	return ret;
}

int rg_wg_noise_accept_initiation(struct rg_wg_handshake *hs, const struct rg_wg_remote *r,
				  const struct rg_wg_msg *m, const struct rg_wg_initiation *info)
{
	uint8_t ck[32], h[32], k[32], ts[RG_WG_TAI64N_LEN];
	int ret = CORE_ERR_AUTH;

	if (!core_ct_equal(info->remote_static, r->pub, RG_WG_KEY_LEN))
		return CORE_ERR_INVALID_ARG;
	memcpy(ck, info->ck, sizeof(ck));
	memcpy(h, info->hash, sizeof(h));
	rg_wg_kdf(2, ck, k, NULL, ck, r->ss, sizeof(r->ss));
	if (!aead_open(ts, k, 0, m->enc_timestamp, 28, h, sizeof(h)))
		goto out;
	mix_hash(h, m->enc_timestamp, 28);
	/* big-endian seconds then nanoseconds: byte order is time order */
	if (memcmp(ts, hs->last_timestamp, sizeof(ts)) <= 0) {
		ret = CORE_ERR_BAD_VALUE;
		goto out;
	}
	hs->state = RG_WG_HS_INIT_CONSUMED;
	memcpy(hs->hash, h, sizeof(h));
	memcpy(hs->ck, ck, sizeof(ck));
	memcpy(hs->remote_eph, info->remote_eph, RG_WG_KEY_LEN);
	memcpy(hs->last_timestamp, ts, sizeof(ts));
	hs->remote_index = info->sender;
	ret = CORE_OK;
out:
	core_wipe(ck, sizeof(ck));
	core_wipe(k, sizeof(k));
	return ret;
}

/* The transport keys from the final chaining key. */
static void derive_keypair(struct rg_wg_keypair *kp, const uint8_t ck[32], bool initiator,
			   uint32_t local_index, uint32_t remote_index)
{
	uint8_t t1[32], t2[32];

	rg_wg_kdf(2, t1, t2, NULL, ck, NULL, 0);
	memcpy(kp->send, initiator ? t1 : t2, 32);
	memcpy(kp->recv, initiator ? t2 : t1, 32);
	kp->initiator = initiator;
	kp->local_index = local_index;
	kp->remote_index = remote_index;
	core_wipe(t1, sizeof(t1));
	core_wipe(t2, sizeof(t2));
}

/*
 * The part both sides compute of the response: from the responder's
 * ephemeral public key to the key that seals "empty". ee and se are the two
 * DH results (each side computes them from its own private keys).
 */
static void response_chain(uint8_t ck[32], uint8_t h[32], uint8_t k[32], const uint8_t eph_pub[32],
			   const uint8_t ee[32], const uint8_t se[32], const uint8_t psk[32])
{
	uint8_t t[32];

	rg_wg_kdf(1, ck, NULL, NULL, ck, eph_pub, 32);
	mix_hash(h, eph_pub, 32);
	rg_wg_kdf(1, ck, NULL, NULL, ck, ee, 32);
	rg_wg_kdf(1, ck, NULL, NULL, ck, se, 32);
	rg_wg_kdf(3, ck, t, k, ck, psk, 32);
	mix_hash(h, t, sizeof(t));
	core_wipe(t, sizeof(t));
}

int rg_wg_noise_response(struct rg_wg_handshake *hs, const struct rg_wg_remote *r,
			 const uint8_t eph_priv[RG_WG_KEY_LEN], uint32_t local_index,
			 uint8_t out[RG_WG_RESPONSE_LEN], struct rg_wg_keypair *kp)
{
	uint8_t ck[32], h[32], k[32], ee[32], se[32], eph_pub[32], enc_empty[AEAD_TAG];
	struct rg_wg_msg m = { .type = RG_WG_RESPONSE };
	int ret = CORE_ERR_AUTH;

	if (hs->state != RG_WG_HS_INIT_CONSUMED)
		return CORE_ERR_INVALID_ARG;
	memcpy(ck, hs->ck, sizeof(ck));
	memcpy(h, hs->hash, sizeof(h));
	crypto_scalarmult_base(eph_pub, eph_priv);
	if (!dh(ee, eph_priv, hs->remote_eph) || !dh(se, eph_priv, r->pub))
		goto out;
	response_chain(ck, h, k, eph_pub, ee, se, r->psk);
	aead_seal(enc_empty, k, 0, NULL, 0, h, sizeof(h));

	m.sender = local_index;
	m.receiver = hs->remote_index;
	m.ephemeral = eph_pub;
	m.enc_empty = enc_empty;
	m.mac1 = m.mac2 = zero_mac;
	rg_wg_msg_encode(&m, out, RG_WG_RESPONSE_LEN);
	derive_keypair(kp, ck, false, local_index, hs->remote_index);
	rg_wg_handshake_clear(hs);
	ret = CORE_OK;
out:
	core_wipe(ck, sizeof(ck));
	core_wipe(k, sizeof(k));
	core_wipe(ee, sizeof(ee));
	core_wipe(se, sizeof(se));
	return ret;
}

int rg_wg_noise_consume_response(struct rg_wg_handshake *hs, const struct rg_wg_static *s,
				 const struct rg_wg_remote *r, const struct rg_wg_msg *m,
				 struct rg_wg_keypair *kp)
{
	uint8_t ck[32], h[32], k[32], ee[32], se[32], empty[1];
	int ret = CORE_ERR_AUTH;

	if (m->type != RG_WG_RESPONSE || hs->state != RG_WG_HS_INIT_SENT ||
	    m->receiver != hs->local_index)
		return CORE_ERR_INVALID_ARG;
	memcpy(ck, hs->ck, sizeof(ck));
	memcpy(h, hs->hash, sizeof(h));
	if (!dh(ee, hs->eph_priv, m->ephemeral) || !dh(se, s->priv, m->ephemeral))
		goto out;
	response_chain(ck, h, k, m->ephemeral, ee, se, r->psk);
	if (!aead_open(empty, k, 0, m->enc_empty, AEAD_TAG, h, sizeof(h)))
		goto out;
	derive_keypair(kp, ck, true, hs->local_index, m->sender);
	rg_wg_handshake_clear(hs);
	ret = CORE_OK;
out:
	core_wipe(ck, sizeof(ck));
	core_wipe(k, sizeof(k));
	core_wipe(ee, sizeof(ee));
	core_wipe(se, sizeof(se));
	return ret;
}

void rg_wg_handshake_clear(struct rg_wg_handshake *hs)
{
	uint8_t ts[RG_WG_TAI64N_LEN];

	memcpy(ts, hs->last_timestamp, sizeof(ts));
	core_wipe(hs, sizeof(*hs));
	memcpy(hs->last_timestamp, ts, sizeof(ts));
}

void rg_wg_keypair_clear(struct rg_wg_keypair *kp)
{
	core_wipe(kp, sizeof(*kp));
}

size_t rg_wg_data_seal(const uint8_t key[RG_WG_KEY_LEN], uint32_t remote_index, uint64_t counter,
		       const uint8_t *pkt, size_t len, size_t pad_len, uint8_t *out)
{
	uint8_t *body = out + RG_WG_DATA_HEADER;

	out[0] = RG_WG_DATA;
	out[1] = out[2] = out[3] = 0;
	for (int i = 0; i < 4; i++)
		out[4 + i] = (uint8_t)(remote_index >> (8 * i));
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(counter >> (8 * i));
	if (len > 0 && body != pkt)
		memmove(body, pkt, len);
	memset(body + len, 0, pad_len - len);
	aead_seal(body, key, counter, body, pad_len, NULL, 0);
	return RG_WG_DATA_HEADER + pad_len + AEAD_TAG;
}

int rg_wg_data_open(const uint8_t key[RG_WG_KEY_LEN], uint64_t counter, const uint8_t *ct,
		    size_t ctlen, uint8_t *out, size_t *len)
{
	if (ctlen < AEAD_TAG)
		return CORE_ERR_INVALID_ARG;
	if (!aead_open(out, key, counter, ct, ctlen, NULL, 0))
		return CORE_ERR_AUTH;
	*len = ctlen - AEAD_TAG;
	return CORE_OK;
}

size_t rg_wg_transport_seal(const struct rg_wg_keypair *kp, uint64_t counter, const uint8_t *pkt,
			    size_t len, size_t pad_len, uint8_t *out)
{
	return rg_wg_data_seal(kp->send, kp->remote_index, counter, pkt, len, pad_len, out);
}

int rg_wg_transport_open(const struct rg_wg_keypair *kp, const struct rg_wg_msg *m, uint8_t *out,
			 size_t *len)
{
	if (m->type != RG_WG_DATA || m->payload_len < AEAD_TAG)
		return CORE_ERR_INVALID_ARG;
	return rg_wg_data_open(kp->recv, m->counter, m->payload, m->payload_len, out, len);
}
