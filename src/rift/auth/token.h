/*
 * token.h - the secrets the server hands out and how it keeps them:
 *
 *   join token     "rgj_" + 32 hex (16 random bytes): one use, minutes
 *   refresh token  "rgr_" + 64 hex (32 random bytes): one use, 30 days
 *   device id      a random UUID (version 4)
 *   family id      32 hex
 *
 * Randomness from libsodium (the kernel's getrandom). The server stores
 * only rg_token_hash of a token: SHA-256, lowercase hex. Threading: none.
 */
#pragma once

#include <stddef.h>

#define RG_TOKEN_JOIN_PREFIX	"rgj_"
#define RG_TOKEN_REFRESH_PREFIX "rgr_"
#define RG_TOKEN_JOIN_BYTES	16
#define RG_TOKEN_REFRESH_BYTES	32
#define RG_TOKEN_HASH_LEN	65 /* 64 hex and the NUL */
#define RG_TOKEN_UUID_LEN	37

/* prefix + 2 * nbytes random hex (g_free; wipe it). */
char *rg_token_new(const char *prefix, size_t nbytes);
/* SHA-256 of the token's bytes as lowercase hex. */
void rg_token_hash(const char *token, char out[RG_TOKEN_HASH_LEN]);
/* A random UUID version 4, lowercase ("6f1c2b1e-...-4...-[89ab]..."). */
void rg_token_uuid(char out[RG_TOKEN_UUID_LEN]);
/* 32 random hex characters (a token family id). */
void rg_token_family(char out[33]);
