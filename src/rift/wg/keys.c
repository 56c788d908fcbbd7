/* keys.c - WireGuard keys (contract in keys.h). */
#include "rift/wg/keys.h"

#include <glib.h>
#include <sodium.h>

#include "core/base64.h"
#include "core/err.h"

void rg_wg_key_clamp(uint8_t key[RG_WG_KEY_LEN])
{
	key[0] &= 248;
	key[31] = (uint8_t)((key[31] & 127) | 64);
}

void rg_wg_key_generate(uint8_t key[RG_WG_KEY_LEN])
{
	if (sodium_init() < 0)
		g_error("libsodium cannot start");
	randombytes_buf(key, RG_WG_KEY_LEN);
	rg_wg_key_clamp(key);
}

int rg_wg_key_public(uint8_t pub[RG_WG_KEY_LEN], const uint8_t priv[RG_WG_KEY_LEN])
{
	/* libsodium clamps a copy itself; it fails only for a result of all zeros */
	return crypto_scalarmult_curve25519_base(pub, priv) == 0 ? CORE_OK : CORE_ERR_BAD_VALUE;
}

void rg_wg_key_to_base64(const uint8_t key[RG_WG_KEY_LEN], char *out)
{
	core_base64_encode(out, key, RG_WG_KEY_LEN);
	out[RG_WG_KEY_B64_LEN] = '\0';
}

int rg_wg_key_from_base64(uint8_t key[RG_WG_KEY_LEN], const char *text, size_t len)
{
	uint8_t buf[RG_WG_KEY_LEN + 3];
	size_t n = 0;
	int rc = CORE_ERR_BAD_FORMAT;

	if (len == RG_WG_KEY_B64_LEN && text[RG_WG_KEY_B64_LEN - 1] == '=' &&
	    core_base64_decode(buf, sizeof(buf), &n, text, len) == CORE_OK && n == RG_WG_KEY_LEN) {
		for (size_t i = 0; i < RG_WG_KEY_LEN; i++)
			key[i] = buf[i];
		rc = CORE_OK;
	}
	sodium_memzero(buf, sizeof(buf));
	return rc;
}
