/*
 * puppet.h - a scripted WireGuard peer for the device fuzz target
 * (rg_wg_device.c). It knows its own private key, the device's public key
 * and their preshared key, and builds from the pure primitives (noise.h,
 * cookie.h) every message a real peer sends: initiations, responses to the
 * device's initiations, cookie replies to the device's handshake messages,
 * and transport data under any key it derived. The harness then damages
 * fields of those messages as the fuzzer asks, and recomputes the MACs
 * when the damage is meant to get past them (puppet_macs).
 *
 * It also consumes what the device sends it: responses to its initiation
 * (deriving keys), cookie replies, the device's initiations (kept for
 * puppet_response) and transport data (opened with the key its receiver
 * index names).
 *
 * Test code: no error codes beyond those of the primitives, no I/O.
 * Ownership: plain structs, the caller's. Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rift/wg/cookie.h"
#include "rift/wg/msg.h"
#include "rift/wg/noise.h"

#define PUPPET_KEYPAIRS 3

/* Transport keys the puppet derived, with what the harness needs to judge a delivery. */
struct puppet_keypair {
	bool valid;
	int id; /* the harness's name for these keys (0 until it gives one) */
	struct rg_wg_keypair kp;
	uint64_t created;      /* `now` when derived: never later than the device's */
	uint64_t next_counter; /* one past the highest counter sealed */
};

struct puppet {
	struct rg_wg_static id;
	struct rg_wg_remote dut;	/* the device, as this peer sees it */
	struct rg_wg_handshake hs_init; /* our initiation in flight */
	struct rg_wg_handshake hs_resp; /* answering the device (keeps its last timestamp) */
	struct rg_wg_cookie_jar jar;	/* cookies the device gave us */
	struct rg_wg_cookie_checker checker;
	struct puppet_keypair kps[PUPPET_KEYPAIRS]; /* [0] is the newest */
	uint8_t dut_init[RG_WG_INITIATION_LEN];	    /* the device's last initiation to us */
	bool have_dut_init;
	uint8_t dut_hs[RG_WG_INITIATION_LEN]; /* the device's last handshake message to us */
	size_t dut_hs_len;		      /* 0: none */
	uint8_t last_tai[RG_WG_TAI64N_LEN];   /* of our last initiation */
};

/* What puppet_receive made of a datagram from the device. */
enum puppet_got {
	PUPPET_GOT_NOTHING,  /* not for us, stale, or undecodable: ignored */
	PUPPET_GOT_INIT,     /* an initiation, kept for puppet_response */
	PUPPET_GOT_RESPONSE, /* a response to our initiation: a new keypair */
	PUPPET_GOT_COOKIE,   /* a cookie reply we could open */
	PUPPET_GOT_DATA,     /* transport data we could open (plaintext out) */
	PUPPET_GOT_BAD_MAC1, /* a handshake message whose mac1 is not for us: a device bug */
};

/* psk may be NULL. Aborts when a key is refused (the harness's keys are fixed). */
void puppet_init(struct puppet *p, const uint8_t priv[RG_WG_KEY_LEN],
		 const uint8_t dut_pub[RG_WG_KEY_LEN], const uint8_t *psk);
void puppet_clear(struct puppet *p);

/* An initiation with MACs zero (puppet_macs adds them). CORE_OK or CORE_ERR_AUTH. */
int puppet_initiation(struct puppet *p, const uint8_t eph[RG_WG_KEY_LEN],
		      const uint8_t tai[RG_WG_TAI64N_LEN], uint32_t sender,
		      uint8_t out[RG_WG_INITIATION_LEN]);
/*
 * A response to the device's last initiation, MACs zero; the keypair is
 * kept (as kps[0], created at now). CORE_OK, CORE_ERR_INVALID_ARG (none
 * kept), CORE_ERR_AUTH or CORE_ERR_BAD_VALUE (answered before).
 */
int puppet_response(struct puppet *p, const uint8_t eph[RG_WG_KEY_LEN], uint32_t sender,
		    uint64_t now, uint8_t out[RG_WG_RESPONSE_LEN]);
/* mac1, and mac2 when we hold a fresh cookie, of a handshake message of len bytes. */
void puppet_macs(struct puppet *p, uint8_t *msg, size_t len, uint64_t now);
/*
 * A cookie reply to the device's last handshake message, as if it came from
 * src (the device's endpoint bytes as we see them). false when there is none.
 */
bool puppet_cookie_reply(struct puppet *p, const uint8_t *src, size_t srclen,
			 const uint8_t nonce[RG_WG_COOKIE_NONCE_LEN], const uint8_t secret[32],
			 uint64_t now, uint8_t out[RG_WG_COOKIE_LEN]);
/*
 * Seal len bytes padded to pad (>= len) with keypair slot k under counter c
 * into out (room for RG_WG_DATA_HEADER + pad + 16); returns the length, 0
 * when slot k holds no keys.
 */
size_t puppet_seal(struct puppet *p, unsigned k, uint64_t c, const uint8_t *pt, size_t len,
		   size_t pad, uint8_t *out);
/* A datagram from the device; pt (room for len bytes) gets the plaintext of DATA. */
enum puppet_got puppet_receive(struct puppet *p, const uint8_t *buf, size_t len, uint64_t now,
			       uint8_t *pt, size_t *ptlen);
