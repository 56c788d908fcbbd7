/* auth.c - passkeys and authentication tokens (contract in auth.h). */
#include "goet/auth.h"

#include <glib.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/hex.h"

int gt_passkey_generate(uint8_t key[GT_PASSKEY_LEN])
{
	return gnutls_rnd(GNUTLS_RND_KEY, key, GT_PASSKEY_LEN) == 0 ? CORE_OK : CORE_ERR_SYSTEM;
}

void gt_passkey_to_hex(const uint8_t key[GT_PASSKEY_LEN], char out[GT_PASSKEY_HEX_LEN + 1])
{
	core_hex_encode(out, key, GT_PASSKEY_LEN);
}

int gt_passkey_from_hex(uint8_t key[GT_PASSKEY_LEN], const char *s)
{
	size_t len;

	while (g_ascii_isspace(*s))
		s++;
	len = strlen(s);
	while (len > 0 && g_ascii_isspace(s[len - 1]))
		len--;
	return core_hex_decode(key, GT_PASSKEY_LEN, s, len);
}

void gt_session_id_from_passkey(const uint8_t key[GT_PASSKEY_LEN], char out[GT_SESSION_ID_LEN + 1])
{
	core_hex_encode(out, key, GT_SESSION_ID_LEN / 2);
}

int gt_auth_mac(const uint8_t key[GT_PASSKEY_LEN], const void *prefix, size_t prefix_len,
		const uint8_t *msg, size_t msg_len, uint8_t out[GT_AUTH_MAC_LEN])
{
	gnutls_hmac_hd_t h;
	int r = CORE_ERR_TLS;

	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, key, GT_PASSKEY_LEN) != 0)
		return CORE_ERR_TLS;
	if ((prefix_len == 0 || gnutls_hmac(h, prefix, prefix_len) == 0) &&
	    gnutls_hmac(h, msg, msg_len) == 0)
		r = CORE_OK;
	gnutls_hmac_deinit(h, out);
	if (r != CORE_OK)
		core_wipe(out, GT_AUTH_MAC_LEN);
	return r;
}

int gt_auth_token(const uint8_t key[GT_PASSKEY_LEN], const uint8_t exporter[GT_AUTH_EXPORTER_LEN],
		  uint8_t token[GT_AUTH_MAC_LEN])
{
	return gt_auth_mac(key, NULL, 0, exporter, GT_AUTH_EXPORTER_LEN, token);
}

bool gt_auth_verify(const uint8_t key[GT_PASSKEY_LEN], const uint8_t exporter[GT_AUTH_EXPORTER_LEN],
		    const uint8_t token[GT_AUTH_MAC_LEN])
{
	uint8_t want[GT_AUTH_MAC_LEN];
	bool ok;

	if (gt_auth_token(key, exporter, want) != CORE_OK)
		return false;
	ok = core_ct_equal(want, token, GT_AUTH_MAC_LEN);
	core_wipe(want, sizeof(want));
	return ok;
}

int gt_auth_server_proof(const uint8_t key[GT_PASSKEY_LEN],
			 const uint8_t exporter[GT_AUTH_EXPORTER_LEN],
			 uint8_t proof[GT_AUTH_MAC_LEN])
{
	return gt_auth_mac(key, GT_AUTH_SERVER_PREFIX, strlen(GT_AUTH_SERVER_PREFIX), exporter,
			   GT_AUTH_EXPORTER_LEN, proof);
}

bool gt_auth_server_proof_verify(const uint8_t key[GT_PASSKEY_LEN],
				 const uint8_t exporter[GT_AUTH_EXPORTER_LEN], const uint8_t *proof,
				 size_t proof_len)
{
	uint8_t want[GT_AUTH_MAC_LEN];
	bool ok;

	if (proof_len != GT_AUTH_MAC_LEN || gt_auth_server_proof(key, exporter, want) != CORE_OK)
		return false;
	ok = core_ct_equal(want, proof, GT_AUTH_MAC_LEN);
	core_wipe(want, sizeof(want));
	return ok;
}
