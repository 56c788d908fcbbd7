/*
 * Unit tests for rift/wg/aead: RFC 8439's AEAD test vector (2.8.2) and its
 * ChaCha20 block (2.3.2, through the Poly1305 key's block); then, with each
 * code this CPU has (libsodium alone, AVX2, AVX-512VL), every length from 0 to 1,100
 * and around each 512-byte step up to 65,535, with and without AAD, sealed
 * exactly as libsodium's crypto_aead_chacha20poly1305_ietf_encrypt seals,
 * in place too, opened back, and refused when one bit of the ciphertext,
 * tag or AAD changes.
 */
#include <glib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "rift/wg/aead.h"

#define MAXLEN 65535

static void hex(uint8_t *out, const char *h)
{
	for (size_t i = 0; h[2 * i] != '\0'; i++) {
		unsigned v;

		g_assert_cmpint(sscanf(h + 2 * i, "%2x", &v), ==, 1);
		out[i] = (uint8_t)v;
	}
}

/* RFC 8439 2.8.2: the sunscreen message, its AAD, key and nonce. */
static void test_rfc8439(void)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	uint8_t key[32], nonce[12], ad[12], ct[sizeof(pt) - 1 + 16], back[sizeof(pt)], want[16];
	uint8_t head[16];
	size_t len = sizeof(pt) - 1;
	enum rg_aead_impl best = rg_aead_impl();

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	hex(nonce, "070000004041424344454647");
	hex(ad, "50515253c0c1c2c3c4c5c6c7");
	for (int v = RG_AEAD_LIBSODIUM; v <= RG_AEAD_AVX512; v++) {
		if (!rg_aead_use((enum rg_aead_impl)v))
			continue;
		rg_aead_seal(ct, (const uint8_t *)pt, len, ad, sizeof(ad), nonce, key);
		hex(head, "d31a8d34648e60db7b86afbc53ef7ec2");
		g_assert_cmpmem(ct, 16, head, 16);
		hex(want, "1ae10b594f09e26a7e902ecbd0600691");
		g_assert_cmpmem(ct + len, 16, want, 16);
		g_assert_true(rg_aead_open(back, ct, sizeof(ct), ad, sizeof(ad), nonce, key));
		g_assert_cmpmem(back, len, pt, len);
	}
	rg_aead_use(best);
}

/* One length: as libsodium seals it, in place too; opened back; one bit off refused. */
static void check_len(size_t len, size_t adlen, GRand *r)
{
	static uint8_t pt[MAXLEN], ct[MAXLEN + 16], want[MAXLEN + 16], back[MAXLEN + 16], ad[64];
	uint8_t key[32], nonce[12];

	for (size_t i = 0; i < len; i++)
		pt[i] = (uint8_t)g_rand_int(r);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)g_rand_int(r);
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)g_rand_int(r);
	for (size_t i = 0; i < adlen; i++)
		ad[i] = (uint8_t)g_rand_int(r);
	crypto_aead_chacha20poly1305_ietf_encrypt(want, NULL, pt, len, ad, adlen, NULL, nonce, key);
	rg_aead_seal(ct, pt, len, ad, adlen, nonce, key);
	g_assert_cmpmem(ct, len + 16, want, len + 16);
	memcpy(back, pt, len);
	rg_aead_seal(back, back, len, ad, adlen, nonce, key); /* in place */
	g_assert_cmpmem(back, len + 16, want, len + 16);
	g_assert_true(rg_aead_open(back, ct, len + 16, ad, adlen, nonce, key));
	g_assert_cmpmem(back, len, pt, len);
	memcpy(back, ct, len + 16);
	g_assert_true(rg_aead_open(back, back, len + 16, ad, adlen, nonce, key)); /* in place */
	g_assert_cmpmem(back, len, pt, len);
	ct[g_rand_int_range(r, 0, (gint32)(len + 16))] ^= 1;
	g_assert_false(rg_aead_open(back, ct, len + 16, ad, adlen, nonce, key));
	memcpy(ct, want, len + 16);
	if (adlen > 0) {
		ad[0] ^= 0x80;
		g_assert_false(rg_aead_open(back, ct, len + 16, ad, adlen, nonce, key));
	}
	g_assert_false(rg_aead_open(back, ct, 15, ad, adlen, nonce, key));
}

static void test_against_libsodium(gconstpointer which)
{
	enum rg_aead_impl best = rg_aead_impl();
	GRand *r;

	if (!rg_aead_use((enum rg_aead_impl)GPOINTER_TO_INT(which))) {
		g_test_skip("this CPU lacks the instructions");
		return;
	}
	r = g_rand_new_with_seed(8439);
	for (size_t len = 0; len <= 1100; len++)
		check_len(len, len % 3 == 0 ? 0 : len % 61, r);
	for (size_t step = 512; step <= MAXLEN; step += 512)
		for (size_t len = step - 65; len <= step + 65 && len <= MAXLEN; len += 13)
			check_len(len, len % 2 ? 32 : 0, r);
	check_len(MAXLEN, 0, r);
	rg_aead_use(best);
	g_rand_free(r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(sodium_init(), >=, 0);
	g_test_add_func("/wg/aead/rfc8439", test_rfc8439);
	g_test_add_data_func("/wg/aead/libsodium", GINT_TO_POINTER(RG_AEAD_LIBSODIUM),
			     test_against_libsodium);
	g_test_add_data_func("/wg/aead/avx2", GINT_TO_POINTER(RG_AEAD_AVX2),
			     test_against_libsodium);
	g_test_add_data_func("/wg/aead/avx512", GINT_TO_POINTER(RG_AEAD_AVX512),
			     test_against_libsodium);
	return g_test_run();
}
