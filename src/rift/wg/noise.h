/*
 * noise.h - WireGuard's handshake, Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s
 * (whitepaper section 5.4.2 and 5.4.3), and the keypair it derives.
 *
 * The caller supplies every random value (ephemeral keys, indices) and the
 * time (a TAI64N stamp), so this is pure and testable: no I/O, no clock.
 * Handshake and cookie MACs (mac1, mac2) are cookie.h's business: messages
 * come out here with both zeroed.
 *
 * Every function computes into locals and commits to its outputs only on
 * success, so a forged or corrupted message never changes a state. Secrets
 * are wiped when no longer needed; rg_wg_handshake_clear and
 * rg_wg_keypair_clear wipe what a caller holds.
 *
 * Threading: none (the caller serialises access to one peer's state).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "rift/wg/kdf.h"
#include "rift/wg/keys.h"
#include "rift/wg/msg.h"

/* This device's identity. */
struct rg_wg_static {
	uint8_t priv[RG_WG_KEY_LEN], pub[RG_WG_KEY_LEN];
	uint8_t mac1_key[RG_WG_HASH_LEN];   /* HASH("mac1----" || pub): checks mac1 sent to us */
	uint8_t cookie_key[RG_WG_HASH_LEN]; /* HASH("cookie--" || pub): seals our cookie replies */
};

/* What the handshake needs to know of one peer. */
struct rg_wg_remote {
	uint8_t pub[RG_WG_KEY_LEN];
	uint8_t psk[RG_WG_KEY_LEN];	    /* zeros when none */
	uint8_t ss[RG_WG_KEY_LEN];	    /* DH(our private, their public), precomputed */
	uint8_t mac1_key[RG_WG_HASH_LEN];   /* HASH("mac1----" || their pub) */
	uint8_t cookie_key[RG_WG_HASH_LEN]; /* HASH("cookie--" || their pub) */
};

enum rg_wg_hs_state {
	RG_WG_HS_NONE = 0,
	RG_WG_HS_INIT_SENT,	/* we are the initiator, waiting for a response */
	RG_WG_HS_INIT_CONSUMED, /* we are the responder, about to answer */
};

struct rg_wg_handshake {
	enum rg_wg_hs_state state;
	uint8_t hash[RG_WG_HASH_LEN], ck[RG_WG_HASH_LEN];
	uint8_t eph_priv[RG_WG_KEY_LEN];   /* initiator: ours */
	uint8_t remote_eph[RG_WG_KEY_LEN]; /* responder: the initiator's */
	uint32_t local_index, remote_index;
	uint8_t last_timestamp[RG_WG_TAI64N_LEN]; /* newest initiation accepted (replay guard) */
};

/* Transport keys of one session. */
struct rg_wg_keypair {
	uint8_t send[RG_WG_KEY_LEN], recv[RG_WG_KEY_LEN];
	uint32_t local_index, remote_index;
	bool initiator;
};

/* An authenticated initiation, before it is bound to a peer. */
struct rg_wg_initiation {
	uint8_t remote_static[RG_WG_KEY_LEN];
	uint8_t remote_eph[RG_WG_KEY_LEN];
	uint8_t hash[RG_WG_HASH_LEN], ck[RG_WG_HASH_LEN];
	uint32_t sender;
};

/* CORE_OK, or CORE_ERR_BAD_VALUE when priv's public key is the zero point. */
int rg_wg_static_init(struct rg_wg_static *s, const uint8_t priv[RG_WG_KEY_LEN]);
/* psk may be NULL. CORE_OK, or CORE_ERR_BAD_VALUE for a low-order public key. */
int rg_wg_remote_init(struct rg_wg_remote *r, const struct rg_wg_static *s,
		      const uint8_t pub[RG_WG_KEY_LEN], const uint8_t psk[RG_WG_KEY_LEN]);

/*
 * Initiator: write an initiation (mac1/mac2 zero) into out and put hs in
 * RG_WG_HS_INIT_SENT. eph_priv: 32 random bytes. CORE_OK or CORE_ERR_AUTH
 * (a DH gave the zero point).
 */
int rg_wg_noise_initiation(struct rg_wg_handshake *hs, const struct rg_wg_static *s,
			   const struct rg_wg_remote *r, const uint8_t eph_priv[RG_WG_KEY_LEN],
			   const uint8_t tai64n[RG_WG_TAI64N_LEN], uint32_t local_index,
			   uint8_t out[RG_WG_INITIATION_LEN]);

/*
 * Responder, step 1: decrypt the initiator's static key (which names the
 * peer). CORE_OK or CORE_ERR_AUTH. info holds no state of ours yet.
 */
int rg_wg_noise_open_initiation(const struct rg_wg_static *s, const struct rg_wg_msg *m,
				struct rg_wg_initiation *info);
/*
 * Responder, step 2, with the peer whose key info names: authenticate the
 * timestamp, refuse one not newer than the last accepted (a replay), and
 * put hs in RG_WG_HS_INIT_CONSUMED. CORE_OK, CORE_ERR_AUTH, or
 * CORE_ERR_BAD_VALUE (replayed timestamp).
 */
int rg_wg_noise_accept_initiation(struct rg_wg_handshake *hs, const struct rg_wg_remote *r,
				  const struct rg_wg_msg *m, const struct rg_wg_initiation *info);
/*
 * Responder, step 3: write the response (macs zero) and derive the keypair;
 * hs returns to RG_WG_HS_NONE. CORE_OK, CORE_ERR_INVALID_ARG (hs not in
 * INIT_CONSUMED) or CORE_ERR_AUTH (a DH gave the zero point).
 */
int rg_wg_noise_response(struct rg_wg_handshake *hs, const struct rg_wg_remote *r,
			 const uint8_t eph_priv[RG_WG_KEY_LEN], uint32_t local_index,
			 uint8_t out[RG_WG_RESPONSE_LEN], struct rg_wg_keypair *kp);
/*
 * Initiator: consume the response to our initiation (m->receiver must be
 * hs->local_index) and derive the keypair; hs returns to RG_WG_HS_NONE.
 * CORE_OK, CORE_ERR_INVALID_ARG (no initiation outstanding, or another
 * index) or CORE_ERR_AUTH.
 */
int rg_wg_noise_consume_response(struct rg_wg_handshake *hs, const struct rg_wg_static *s,
				 const struct rg_wg_remote *r, const struct rg_wg_msg *m,
				 struct rg_wg_keypair *kp);

void rg_wg_handshake_clear(struct rg_wg_handshake *hs); /* keeps last_timestamp */
void rg_wg_keypair_clear(struct rg_wg_keypair *kp);

/*
 * Transport data with bare keys (what rg_wg_transport_* and crypto.h's
 * jobs use). Seal: as rg_wg_transport_seal, with the send key and the
 * peer's receiver index. Open: ctlen bytes (>= 16) of ciphertext and tag
 * into out (room for ctlen - 16; out == ct is allowed: in place);
 * CORE_OK with *len, or CORE_ERR_AUTH. Any thread (no state).
 */
size_t rg_wg_data_seal(const uint8_t key[RG_WG_KEY_LEN], uint32_t remote_index, uint64_t counter,
		       const uint8_t *pkt, size_t len, size_t pad_len, uint8_t *out);
int rg_wg_data_open(const uint8_t key[RG_WG_KEY_LEN], uint64_t counter, const uint8_t *ct,
		    size_t ctlen, uint8_t *out, size_t *len);

/*
 * Transport data (whitepaper 5.4.6). Seal: the packet of len bytes, padded
 * with zeros to pad_len (>= len), into out as a complete type-4 message of
 * RG_WG_DATA_HEADER + pad_len + 16 bytes; returns that length.
 */
size_t rg_wg_transport_seal(const struct rg_wg_keypair *kp, uint64_t counter, const uint8_t *pkt,
			    size_t len, size_t pad_len, uint8_t *out);
/*
 * Open a decoded data message into out (room for m->payload_len - 16
 * bytes); *len is the plaintext length (0 for a keepalive). CORE_OK or
 * CORE_ERR_AUTH. The caller checks the counter against its replay window
 * only after this succeeds.
 */
int rg_wg_transport_open(const struct rg_wg_keypair *kp, const struct rg_wg_msg *m, uint8_t *out,
			 size_t *len);
