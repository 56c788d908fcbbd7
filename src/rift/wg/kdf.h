/*
 * kdf.h - the symmetric primitives of WireGuard's Noise_IKpsk2 (whitepaper
 * section 5.4): HASH = BLAKE2s-256, MAC = keyed BLAKE2s-128, HMAC over
 * BLAKE2s, and the KDF_n chain built on it; the TAI64N timestamp.
 *
 * Pure (libb2; the time is a parameter). Callers wipe their keys.
 * Threading: any.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RG_WG_HASH_LEN	 32
#define RG_WG_TAI64N_LEN 12

/* out = BLAKE2s-256(a || b) (b may be NULL). */
void rg_wg_hash(uint8_t out[RG_WG_HASH_LEN], const void *a, size_t alen, const void *b,
		size_t blen);
/* out = BLAKE2s-128 keyed with key[32] (or klen bytes) over in: WireGuard's MAC. */
void rg_wg_mac(uint8_t out[16], const uint8_t *key, size_t klen, const void *in, size_t inlen);
/* out = HMAC-BLAKE2s(key, in) (RFC 2104 with a 64-byte block). */
void rg_wg_hmac(uint8_t out[RG_WG_HASH_LEN], const uint8_t *key, size_t klen, const void *in,
		size_t inlen);
/*
 * KDF_n(key, input): t0 = HMAC(key, input); t1 = HMAC(t0, 0x1);
 * t2 = HMAC(t0, t1 || 0x2); t3 = HMAC(t0, t2 || 0x3). Writes n (1..3)
 * outputs (out2/out3 may be NULL when n is smaller).
 */
void rg_wg_kdf(unsigned n, uint8_t out1[RG_WG_HASH_LEN], uint8_t out2[RG_WG_HASH_LEN],
	       uint8_t out3[RG_WG_HASH_LEN], const uint8_t key[RG_WG_HASH_LEN], const void *input,
	       size_t inlen);
/*
 * TAI64N of a Unix time: 8 bytes big-endian 2^62 + 10 + seconds, 4 bytes
 * big-endian nanoseconds rounded down to 2^24 ns (as wireguard-go, so that
 * the timestamp does not reveal the clock finely).
 */
void rg_wg_tai64n(uint8_t out[RG_WG_TAI64N_LEN], int64_t unix_s, uint32_t ns);

/* The handshake's starting point: HASH(construction) and HASH(that || identifier). */
void rg_wg_initial_chain(uint8_t chaining_key[RG_WG_HASH_LEN], uint8_t hash[RG_WG_HASH_LEN]);
