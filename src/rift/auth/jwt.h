/*
 * jwt.h - the access tokens the server issues: compact JWS, HS256 only
 * (RFC 7519/7515), as the reference's Worker minted them, with more claims.
 *
 *   header   {"alg":"HS256","typ":"JWT","kid":"k_<16 hex>"}
 *   payload  {"sub":"<device id>","name":"<device name>","net":"<network>",
 *             "fam":"<token family>","iat":<s>,"exp":<s>}
 *   token    base64url(header) "." base64url(payload) "." base64url(HMAC-SHA256)
 *
 * "name" is the peer name the device may join signaling under; "fam" ties
 * the token to the refresh-token family it came from, so revoking a family
 * (a stolen refresh token was replayed) also voids its access tokens.
 *
 * Decoding is strict and separate from verifying: exactly three parts of
 * unpadded base64url, at most RG_JWT_MAX_LEN bytes, JSON objects with the
 * fields above (others ignored), "alg" exactly "HS256" (so "none" and every
 * other algorithm are refused before any key is looked at), a 32-byte
 * signature. Verifying compares the MAC in constant time, then the expiry.
 *
 * Pure: no I/O, no clock (now is a parameter). Threading: none.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RG_JWT_MAX_LEN	2048
#define RG_JWT_KEY_LEN	32
#define RG_JWT_KID_MAX	32 /* bytes of "kid", with the NUL */
#define RG_JWT_ID_MAX	64 /* bytes of "sub", "fam", "net", with the NUL */
#define RG_JWT_NAME_MAX 65 /* bytes of "name" (64) with the NUL */
#define RG_JWT_ERR_LEN	96 /* room for a reason */

struct rg_jwt_claims {
	char sub[RG_JWT_ID_MAX];
	char name[RG_JWT_NAME_MAX];
	char net[RG_JWT_ID_MAX];
	char fam[RG_JWT_ID_MAX];
	int64_t iat, exp;
};

struct rg_jwt {
	char kid[RG_JWT_KID_MAX];
	struct rg_jwt_claims claims;
	size_t signed_len; /* bytes of "header.payload" at the token's start */
	uint8_t mac[32];
};

/*
 * Encode and sign: the token (g_free), or NULL when a claim does not fit
 * its field (empty, too long, a control character) or kid is not 1..31
 * printable ASCII characters.
 */
char *rg_jwt_sign(const struct rg_jwt_claims *c, const char *kid,
		  const uint8_t key[RG_JWT_KEY_LEN]);

/*
 * Decode without verifying. CORE_OK with *out; else CORE_ERR_TOO_LARGE,
 * CORE_ERR_BAD_FORMAT (not three base64url parts, not JSON objects, a
 * missing or mistyped field), CORE_ERR_BAD_VALUE ("alg" other than HS256,
 * a field out of range), with a short reason in err (it never quotes the
 * token) and *out zeroed.
 */
int rg_jwt_decode(const char *token, size_t len, struct rg_jwt *out, char *err, size_t errlen);

/*
 * Check a decoded token's MAC over the first j->signed_len bytes of token
 * with key, then its times: CORE_OK; CORE_ERR_AUTH (the MAC differs);
 * CORE_ERR_TIMEOUT (exp <= now); CORE_ERR_BAD_VALUE (issued more than a
 * minute in the future).
 */
int rg_jwt_verify(const struct rg_jwt *j, const char *token, const uint8_t key[RG_JWT_KEY_LEN],
		  int64_t now);

/* base64url without padding (exported for tests and tools): out holds ceil(4n/3) + 1. */
void rg_b64url_encode(char *out, const uint8_t *in, size_t n);
/*
 * Decode base64url without padding into out (capacity cap): CORE_OK with
 * *outlen, CORE_ERR_BAD_FORMAT (a character outside the alphabet, '=',
 * a length of 4k+1, non-zero unused bits), CORE_ERR_NO_SPACE.
 */
int rg_b64url_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t n);
