/*
 * token.h - the secrets the server hands out and how it keeps them:
 *
 *   join token     "rgj_" + 32 hex (16 random bytes): one use, minutes
 *   refresh token  "rgr_" + 64 hex (32 random bytes): one use, 30 days
 *   device id      a random UUID (version 4)
 *   family id      32 hex
 *
 * Randomness from libsodium (the kernel's getrandom). The server stores
 * only rg_token_hash of a token: SHA-256, lowercase hex.
 *
 * A sealed token: next encrypted so that only a holder of prev can read it
 * back (XSalsa20-Poly1305, the key BLAKE2b of prev under its own
 * personalisation, so unrelated to the stored SHA-256; a random nonce
 * first). The server keeps a rotated refresh token's successor sealed with
 * it for a short while, so that a device whose answer was lost gets the
 * same successor again, and nobody without the old token (a reader of the
 * database included) can. Threading: none.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RG_TOKEN_JOIN_PREFIX	"rgj_"
#define RG_TOKEN_REFRESH_PREFIX "rgr_"
#define RG_TOKEN_JOIN_BYTES	16
#define RG_TOKEN_REFRESH_BYTES	32
#define RG_TOKEN_HASH_LEN	65 /* 64 hex and the NUL */
#define RG_TOKEN_UUID_LEN	37
#define RG_TOKEN_SEAL_OVERHEAD	40 /* nonce (24) and MAC (16) */
#define RG_TOKEN_SEALED_MAX	(RG_TOKEN_SEAL_OVERHEAD + 128)

/* prefix + 2 * nbytes random hex (g_free; wipe it). */
char *rg_token_new(const char *prefix, size_t nbytes);
/* SHA-256 of the token's bytes as lowercase hex. */
void rg_token_hash(const char *token, char out[RG_TOKEN_HASH_LEN]);
/* A random UUID version 4, lowercase ("6f1c2b1e-...-4...-[89ab]..."). */
void rg_token_uuid(char out[RG_TOKEN_UUID_LEN]);
/* 32 random hex characters (a token family id). */
void rg_token_family(char out[33]);
/*
 * Seal next (at most 128 bytes) with prev: CORE_OK with strlen(next) +
 * RG_TOKEN_SEAL_OVERHEAD bytes in out, their count in *n;
 * CORE_ERR_TOO_LARGE (next too long).
 */
int rg_token_seal(const char *prev, const char *next, uint8_t out[RG_TOKEN_SEALED_MAX], size_t *n);
/*
 * Open what rg_token_seal made with prev: CORE_OK with *next (g_free; wipe
 * it); CORE_ERR_AUTH (another prev, or altered), CORE_ERR_TRUNCATED.
 */
int rg_token_unseal(const char *prev, const uint8_t *sealed, size_t n, char **next);
