/*
 * auth.h - goet passkeys and the channel-bound authentication token.
 *
 * The passkey is 32 random bytes, carried as 64 hex characters on the SSH
 * pipe and the -k flag only. The token proves knowledge of the passkey on one
 * TLS connection: token = HMAC-SHA256(key = passkey, msg = 32 bytes of the
 * TLS exporter with label GT_AUTH_EXPORTER_LABEL and no context). The
 * exporter is read by the transport; this module only does the arithmetic.
 *
 * goet-v2 (ALPN "goet-v2") makes the authentication mutual: the client's
 * token is computed the same way over the exporter with label
 * GT_AUTH_EXPORTER_LABEL_V2, and the session proves that it knows the passkey
 * too, by appending proof = HMAC-SHA256(passkey, "server" || exporter-v2) to
 * its AuthResponse. gt_auth_mac is the general form of both.
 *
 * Errors: CORE_ERR_BAD_FORMAT (hex), CORE_ERR_SYSTEM (no randomness),
 * CORE_ERR_TLS (HMAC failed). Threading: pure functions (randomness aside).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GT_PASSKEY_LEN		  32
#define GT_PASSKEY_HEX_LEN	  64
#define GT_AUTH_EXPORTER_LABEL	  "goet-auth-v1"
#define GT_AUTH_EXPORTER_LABEL_V2 "goet-auth-v2"
#define GT_AUTH_SERVER_PREFIX	  "server" /* goet-v2 proof: HMAC(key, prefix || exporter) */
#define GT_AUTH_EXPORTER_LEN	  32
#define GT_AUTH_MAC_LEN		  32
#define GT_SESSION_ID_LEN	  8 /* hex characters */

/* 32 bytes from the system's key-grade random generator. */
int gt_passkey_generate(uint8_t key[GT_PASSKEY_LEN]);

/* Lowercase hex, NUL-terminated (out holds 65 bytes). */
void gt_passkey_to_hex(const uint8_t key[GT_PASSKEY_LEN], char out[GT_PASSKEY_HEX_LEN + 1]);

/*
 * Parse a passkey: surrounding whitespace is trimmed (the session reads it as
 * a line), then exactly 64 hex characters of either case. CORE_OK or
 * CORE_ERR_BAD_FORMAT (key zeroed).
 */
int gt_passkey_from_hex(uint8_t key[GT_PASSKEY_LEN], const char *s);

/* The session id: lowercase hex of the passkey's first 4 bytes. */
void gt_session_id_from_passkey(const uint8_t key[GT_PASSKEY_LEN], char out[GT_SESSION_ID_LEN + 1]);

/* HMAC-SHA256(key, prefix || msg): CORE_OK or CORE_ERR_TLS. */
int gt_auth_mac(const uint8_t key[GT_PASSKEY_LEN], const void *prefix, size_t prefix_len,
		const uint8_t *msg, size_t msg_len, uint8_t out[GT_AUTH_MAC_LEN]);

/* goet-v1 token: HMAC-SHA256(key, exporter). CORE_OK or CORE_ERR_TLS. */
int gt_auth_token(const uint8_t key[GT_PASSKEY_LEN], const uint8_t exporter[GT_AUTH_EXPORTER_LEN],
		  uint8_t token[GT_AUTH_MAC_LEN]);

/* goet-v2 session proof: HMAC-SHA256(key, "server" || exporter). */
int gt_auth_server_proof(const uint8_t key[GT_PASSKEY_LEN],
			 const uint8_t exporter[GT_AUTH_EXPORTER_LEN],
			 uint8_t proof[GT_AUTH_MAC_LEN]);

/* True iff proof is the goet-v2 session proof (constant time; proof_len must be 32). */
bool gt_auth_server_proof_verify(const uint8_t key[GT_PASSKEY_LEN],
				 const uint8_t exporter[GT_AUTH_EXPORTER_LEN], const uint8_t *proof,
				 size_t proof_len);

/* True iff token is the goet-v1 token for key and exporter (constant time). */
bool gt_auth_verify(const uint8_t key[GT_PASSKEY_LEN], const uint8_t exporter[GT_AUTH_EXPORTER_LEN],
		    const uint8_t token[GT_AUTH_MAC_LEN]);
