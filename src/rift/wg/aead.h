/*
 * aead.h - ChaCha20-Poly1305 as RFC 8439 defines it (the IETF variant: a
 * 96-bit nonce, a 32-bit block counter), the AEAD of WireGuard's handshake
 * and transport data, bit for bit what libsodium's
 * crypto_aead_chacha20poly1305_ietf_* compute.
 *
 * Why not libsodium's alone: at WireGuard's packet sizes it spends a third
 * of its time on a packet's last few hundred bytes and on the Poly1305 key,
 * which it computes one 64-byte block at a time. Here ChaCha20 makes eight
 * blocks at a time with AVX2 or AVX-512VL (when the CPU has them), the
 * Poly1305 key's block among them: a 1,420-byte packet is three such
 * steps. Poly1305, the constant-time tag check and CPUs without AVX2 are
 * libsodium's.
 *
 * In place is allowed (out == in). Open checks the tag before it decrypts
 * (after a failure out holds nothing of the plaintext). Secrets on the stack
 * (the key stream, the Poly1305 key and state) are wiped before return.
 *
 * Threading: any thread; the only state is which code runs, chosen once
 * (libsodium must be started first: sodium_init).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_AEAD_KEY   32
#define RG_AEAD_NONCE 12
#define RG_AEAD_TAG   16

/* out = ChaCha20(pt) || tag: ptlen + 16 bytes. */
void rg_aead_seal(uint8_t *out, const uint8_t *pt, size_t ptlen, const uint8_t *ad, size_t adlen,
		  const uint8_t nonce[RG_AEAD_NONCE], const uint8_t key[RG_AEAD_KEY]);

/* ct is ctlen bytes with its tag (ctlen >= 16): true and out = ctlen - 16 bytes, or false. */
bool rg_aead_open(uint8_t *out, const uint8_t *ct, size_t ctlen, const uint8_t *ad, size_t adlen,
		  const uint8_t nonce[RG_AEAD_NONCE], const uint8_t key[RG_AEAD_KEY]);

/* Which code runs: libsodium's alone, or ChaCha20 eight blocks at a time. */
enum rg_aead_impl {
	RG_AEAD_LIBSODIUM = 0,
	RG_AEAD_AVX2 = 1,
	RG_AEAD_AVX512 = 2, /* AVX-512F and VL: the same eight blocks, one-instruction rotations */
};

/* The code in use: the best this CPU has, unless rg_aead_use said otherwise. */
enum rg_aead_impl rg_aead_impl(void);
/* For tests and benchmarks: use this code; false (nothing changed) if the CPU lacks it. */
bool rg_aead_use(enum rg_aead_impl impl);
