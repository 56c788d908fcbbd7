/*
 * Fuzz target for rift/wg/aead, differential: an input is a key (32
 * bytes), a nonce (12), one byte of AAD length (mod 65), then the AAD and
 * the plaintext. Every code this CPU has seals exactly as libsodium's
 * crypto_aead_chacha20poly1305_ietf_encrypt does (in place too) and opens
 * that back; the input's tail, read as a sealed message, opens with ours
 * exactly when it opens with libsodium, to the same plaintext.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "rift/wg/aead.h"

#define HEAD (RG_AEAD_KEY + RG_AEAD_NONCE + 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *key = data, *nonce = data + RG_AEAD_KEY, *ad, *pt;
	size_t adlen, len;
	uint8_t *want, *ct, *back, *sback;
	bool opened;

	if (size < HEAD || sodium_init() < 0)
		return 0;
	adlen = data[HEAD - 1] % 65;
	if (size - HEAD < adlen)
		return 0;
	ad = data + HEAD;
	pt = ad + adlen;
	len = size - HEAD - adlen;
	want = malloc(len + RG_AEAD_TAG);
	ct = malloc(len + RG_AEAD_TAG);
	back = malloc(len + RG_AEAD_TAG);
	sback = malloc(len + RG_AEAD_TAG);
	crypto_aead_chacha20poly1305_ietf_encrypt(want, NULL, pt, len, ad, adlen, NULL, nonce, key);
	opened = len >= RG_AEAD_TAG &&
		 crypto_aead_chacha20poly1305_ietf_decrypt(sback, NULL, NULL, pt, len, ad, adlen,
							   nonce, key) == 0;
	for (int i = RG_AEAD_LIBSODIUM; i <= RG_AEAD_AVX512; i++) {
		if (!rg_aead_use((enum rg_aead_impl)i))
			continue;
		rg_aead_seal(ct, pt, len, ad, adlen, nonce, key);
		if (memcmp(ct, want, len + RG_AEAD_TAG) != 0)
			abort();
		memcpy(back, pt, len);
		rg_aead_seal(back, back, len, ad, adlen, nonce, key);
		if (memcmp(back, want, len + RG_AEAD_TAG) != 0)
			abort();
		if (!rg_aead_open(back, ct, len + RG_AEAD_TAG, ad, adlen, nonce, key) ||
		    memcmp(back, pt, len) != 0)
			abort();
		if (rg_aead_open(back, pt, len, ad, adlen, nonce, key) != opened ||
		    (opened && memcmp(back, sback, len - RG_AEAD_TAG) != 0))
			abort();
	}
	free(want);
	free(ct);
	free(back);
	free(sback);
	return 0;
}
