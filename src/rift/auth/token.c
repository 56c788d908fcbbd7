/* token.c - random tokens and their hashes (contract in token.h). */
#include "rift/auth/token.h"

#include <glib.h>
#include <sodium.h>
#include <string.h>

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
