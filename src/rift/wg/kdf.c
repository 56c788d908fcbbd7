/* kdf.c - WireGuard's hash, MAC, HMAC, KDF and TAI64N (contract in kdf.h). */
#include "rift/wg/kdf.h"

#include <blake2.h>
#include <sodium.h>
#include <string.h>

#define BLAKE2S_BLOCK 64

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

void rg_wg_hash(uint8_t out[RG_WG_HASH_LEN], const void *a, size_t alen, const void *b, size_t blen)
{
	blake2s_state s;

	blake2s_init(&s, RG_WG_HASH_LEN);
	blake2s_update(&s, a, alen);
	if (b != NULL)
		blake2s_update(&s, b, blen);
	blake2s_final(&s, out, RG_WG_HASH_LEN);
	sodium_memzero(&s, sizeof(s));
}

void rg_wg_mac(uint8_t out[16], const uint8_t *key, size_t klen, const void *in, size_t inlen)
{
	blake2s(out, in, key, 16, inlen, klen);
}

/* One pass of HMAC: BLAKE2s-256((k ^ pad) || in). */
static void hmac_pass(uint8_t out[RG_WG_HASH_LEN], const uint8_t k[BLAKE2S_BLOCK], uint8_t pad,
		      const void *in, size_t inlen)
{
	uint8_t block[BLAKE2S_BLOCK];

	for (size_t i = 0; i < BLAKE2S_BLOCK; i++)
		block[i] = k[i] ^ pad;
	rg_wg_hash(out, block, BLAKE2S_BLOCK, in, inlen);
	sodium_memzero(block, sizeof(block));
}

void rg_wg_hmac(uint8_t out[RG_WG_HASH_LEN], const uint8_t *key, size_t klen, const void *in,
		size_t inlen)
{
	uint8_t k[BLAKE2S_BLOCK] = { 0 }, inner[RG_WG_HASH_LEN];

	if (klen > BLAKE2S_BLOCK)
		rg_wg_hash(k, key, klen, NULL, 0);
	else
		memcpy(k, key, klen);
	hmac_pass(inner, k, 0x36, in, inlen);
	hmac_pass(out, k, 0x5c, inner, RG_WG_HASH_LEN);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(inner, sizeof(inner));
}

void rg_wg_kdf(unsigned n, uint8_t out1[RG_WG_HASH_LEN], uint8_t out2[RG_WG_HASH_LEN],
	       uint8_t out3[RG_WG_HASH_LEN], const uint8_t key[RG_WG_HASH_LEN], const void *input,
	       size_t inlen)
{
	uint8_t t0[RG_WG_HASH_LEN], buf[RG_WG_HASH_LEN + 1], t[RG_WG_HASH_LEN];
	uint8_t *outs[3] = { out1, out2, out3 };

	rg_wg_hmac(t0, key, RG_WG_HASH_LEN, input, inlen);
	for (unsigned i = 0; i < n && i < 3; i++) {
		size_t len = 0;

		if (i > 0) {
			memcpy(buf, t, RG_WG_HASH_LEN);
			len = RG_WG_HASH_LEN;
		}
		buf[len++] = (uint8_t)(i + 1);
		rg_wg_hmac(t, t0, RG_WG_HASH_LEN, buf, len);
		memcpy(outs[i], t, RG_WG_HASH_LEN);
	}
	sodium_memzero(t0, sizeof(t0));
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(t, sizeof(t));
}

void rg_wg_tai64n(uint8_t out[RG_WG_TAI64N_LEN], int64_t unix_s, uint32_t ns)
{
	uint64_t secs = UINT64_C(0x400000000000000a) + (uint64_t)unix_s;
	uint32_t nano = ns & ~UINT32_C(0xffffff);

	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(secs >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(nano >> (24 - 8 * i));
}

void rg_wg_initial_chain(uint8_t chaining_key[RG_WG_HASH_LEN], uint8_t hash[RG_WG_HASH_LEN])
{
	rg_wg_hash(chaining_key, construction, strlen(construction), NULL, 0);
	rg_wg_hash(hash, chaining_key, RG_WG_HASH_LEN, identifier, strlen(identifier));
}
