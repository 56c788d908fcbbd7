/* token.c - random tokens and their hashes (contract in token.h). */
#include "rift/auth/token.h"

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "core/err.h"
#include "core/hex.h"

char *rg_token_new(const char *prefix, size_t nbytes)
{
	size_t plen = strlen(prefix);
	uint8_t *raw = g_malloc(nbytes);
	char *out = g_malloc(plen + 2 * nbytes + 1);

	randombytes_buf(raw, nbytes);
	memcpy(out, prefix, plen);
	core_hex_encode(out + plen, raw, nbytes);
	sodium_memzero(raw, nbytes);
	g_free(raw);
	return out;
}

void rg_token_hash(const char *token, char out[RG_TOKEN_HASH_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const uint8_t *)token, strlen(token));
	core_hex_encode(out, h, sizeof(h));
}

void rg_token_uuid(char out[RG_TOKEN_UUID_LEN])
{
	uint8_t b[16];
	char hex[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	core_hex_encode(hex, b, sizeof(b));
	g_snprintf(out, RG_TOKEN_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		   hex + 16, hex + 20);
}

void rg_token_family(char out[33])
{
	uint8_t b[16];

	randombytes_buf(b, sizeof(b));
	core_hex_encode(out, b, sizeof(b));
}

G_STATIC_ASSERT(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES == RG_TOKEN_SEAL_OVERHEAD);

/* The sealing key of prev: BLAKE2b-256 under our own personalisation (not the stored SHA-256). */
static void seal_key(const char *prev, uint8_t key[crypto_secretbox_KEYBYTES])
{
	static const uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = "rg-refresh-seal";

	crypto_generichash_blake2b_salt_personal(key, crypto_secretbox_KEYBYTES,
						 (const uint8_t *)prev, strlen(prev), NULL, 0, NULL,
						 personal);
}

int rg_token_seal(const char *prev, const char *next, uint8_t out[RG_TOKEN_SEALED_MAX], size_t *n)
{
	uint8_t key[crypto_secretbox_KEYBYTES];
	size_t len = strlen(next);

	*n = 0;
	if (len + RG_TOKEN_SEAL_OVERHEAD > RG_TOKEN_SEALED_MAX)
		return CORE_ERR_TOO_LARGE;
	seal_key(prev, key);
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, (const uint8_t *)next, len, out,
			      key);
	sodium_memzero(key, sizeof(key));
	*n = len + RG_TOKEN_SEAL_OVERHEAD;
	return CORE_OK;
}

int rg_token_unseal(const char *prev, const uint8_t *sealed, size_t n, char **next)
{
	uint8_t key[crypto_secretbox_KEYBYTES];
	char *out;
	int rc = CORE_OK;

	*next = NULL;
	if (n < RG_TOKEN_SEAL_OVERHEAD || n > RG_TOKEN_SEALED_MAX)
		return CORE_ERR_TRUNCATED;
	out = g_malloc(n - RG_TOKEN_SEAL_OVERHEAD + 1);
	seal_key(prev, key);
	if (crypto_secretbox_open_easy((uint8_t *)out, sealed + crypto_secretbox_NONCEBYTES,
				       n - crypto_secretbox_NONCEBYTES, sealed, key) != 0) {
		rc = CORE_ERR_AUTH;
		g_free(out);
		goto out;
	}
	out[n - RG_TOKEN_SEAL_OVERHEAD] = '\0';
	*next = out;
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}
