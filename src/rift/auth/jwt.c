/* jwt.c - HS256 access tokens (contract in jwt.h). */
#include "rift/auth/jwt.h"

#include <sodium.h>
#include <stdarg.h>
#include <string.h>

#include "core/base64.h"
#include "core/ct.h"
#include "core/err.h"
#include "rift/auth/json-int.h"

#define JWT_MAX_PART	 1536 /* decoded header or payload */
#define JWT_FUTURE_SKEW	 60   /* seconds an "iat" may be ahead of our clock */
#define JWT_ALG		 "HS256"
#define JWT_MAC_B64U_LEN 43 /* 32 bytes */

/* ------------------------------------------------------------ base64url */

void rg_b64url_encode(char *out, const uint8_t *in, size_t n)
{
	size_t len;

	core_base64_encode(out, in, n);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
	for (char *p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
}

int rg_b64url_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t n)
{
	char *std;
	size_t padded = (n + 3) / 4 * 4;
	int rc;

	*outlen = 0;
	if (n % 4 == 1)
		return CORE_ERR_BAD_FORMAT;
	std = g_malloc(padded + 1);
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		/* '+', '/' and '=' belong to the other alphabet: not ours */
		if (c == '+' || c == '/' || c == '=') {
			g_free(std);
			return CORE_ERR_BAD_FORMAT;
		}
		std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	memset(std + n, '=', padded - n);
	std[padded] = '\0';
	rc = core_base64_decode(out, cap, outlen, std, padded);
	g_free(std);
	return rc;
}

/* ------------------------------------------------------------ sign */

static bool claim_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max || !g_utf8_validate(s, (gssize)n, NULL))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static bool kid_ok(const char *kid)
{
	size_t n = strlen(kid);

	if (n == 0 || n >= RG_JWT_KID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (kid[i] <= 0x20 || kid[i] >= 0x7f)
			return false;
	return true;
}

/* base64url of text, appended to out. */
static void append_b64u(GString *out, const char *text)
{
	size_t n = strlen(text);
	char *b = g_malloc(core_base64_encoded_len(n) + 1);

	rg_b64url_encode(b, (const uint8_t *)text, n);
	g_string_append(out, b);
	g_free(b);
}

static void mac(uint8_t out[32], const char *text, size_t n, const uint8_t key[RG_JWT_KEY_LEN])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, RG_JWT_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)text, n);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

char *rg_jwt_sign(const struct rg_jwt_claims *c, const char *kid, const uint8_t key[RG_JWT_KEY_LEN])
{
	JsonBuilder *b;
	GString *tok;
	char *header, *payload, sig[JWT_MAC_B64U_LEN + 2];
	uint8_t m[32];

	if (!kid_ok(kid) || !claim_ok(c->sub, RG_JWT_ID_MAX) ||
	    !claim_ok(c->name, RG_JWT_NAME_MAX) || !claim_ok(c->net, RG_JWT_ID_MAX) ||
	    !claim_ok(c->fam, RG_JWT_ID_MAX))
		return NULL;
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "alg");
	json_builder_add_string_value(b, JWT_ALG);
	json_builder_set_member_name(b, "typ");
	json_builder_add_string_value(b, "JWT");
	json_builder_set_member_name(b, "kid");
	json_builder_add_string_value(b, kid);
	json_builder_end_object(b);
	header = rg_authjson_finish(b);
	g_object_unref(b);
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "sub");
	json_builder_add_string_value(b, c->sub);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, c->name);
	json_builder_set_member_name(b, "net");
	json_builder_add_string_value(b, c->net);
	json_builder_set_member_name(b, "fam");
	json_builder_add_string_value(b, c->fam);
	json_builder_set_member_name(b, "iat");
	json_builder_add_int_value(b, c->iat);
	json_builder_set_member_name(b, "exp");
	json_builder_add_int_value(b, c->exp);
	json_builder_end_object(b);
	payload = rg_authjson_finish(b);
	g_object_unref(b);
	tok = g_string_new(NULL);
	append_b64u(tok, header);
	g_string_append_c(tok, '.');
	append_b64u(tok, payload);
	mac(m, tok->str, tok->len, key);
	rg_b64url_encode(sig, m, sizeof(m));
	g_string_append_c(tok, '.');
	g_string_append(tok, sig);
	g_free(header);
	g_free(payload);
	sodium_memzero(m, sizeof(m));
	return g_string_free(tok, FALSE);
}

/* ------------------------------------------------------------ decode */

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		g_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* One base64url part decoded into a NUL-terminated buffer (g_free), or NULL. */
static char *part(const char *s, size_t n, size_t *len)
{
	char *out = g_malloc(JWT_MAX_PART + 1);

	if (rg_b64url_decode((uint8_t *)out, JWT_MAX_PART, len, s, n) != CORE_OK) {
		g_free(out);
		return NULL;
	}
	out[*len] = '\0';
	return out;
}

/* A string claim into dst (of size max): CORE_OK, CORE_ERR_BAD_FORMAT, CORE_ERR_BAD_VALUE. */
static int str_claim(JsonObject *o, const char *name, char *dst, size_t max, char *err,
		     size_t errlen)
{
	const char *v;

	if (rg_authjson_string(o, name, &v) != CORE_OK)
		return fail(err, errlen, CORE_ERR_BAD_FORMAT, "\"%s\" must be a string", name);
	if (!claim_ok(v, max))
		return fail(err, errlen, CORE_ERR_BAD_VALUE,
			    "\"%s\" is empty, too long or not text", name);
	g_strlcpy(dst, v, max);
	return CORE_OK;
}

static int decode_header(const char *text, size_t len, struct rg_jwt *out, char *err, size_t errlen)
{
	JsonParser *p = NULL;
	JsonObject *o = rg_authjson_object(text, len, &p);
	const char *alg, *typ, *kid;
	int rc = CORE_OK;

	if (o == NULL) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "header is not a JSON object");
	} else if (rg_authjson_string(o, "alg", &alg) != CORE_OK) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "header: \"alg\" must be a string");
	} else if (strcmp(alg, JWT_ALG) != 0) {
		/* "none", "HS512", "RS256"...: only the one we sign with */
		rc = fail(err, errlen, CORE_ERR_BAD_VALUE, "header: \"alg\" must be HS256");
	} else if (rg_authjson_string(o, "typ", &typ) == CORE_ERR_BAD_FORMAT ||
		   (typ != NULL && strcmp(typ, "JWT") != 0)) {
		rc = fail(err, errlen, CORE_ERR_BAD_VALUE, "header: \"typ\" must be JWT");
	} else if (rg_authjson_string(o, "kid", &kid) != CORE_OK || !kid_ok(kid)) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT,
			  "header: \"kid\" is missing or malformed");
	} else {
		g_strlcpy(out->kid, kid, sizeof(out->kid));
	}
	if (p != NULL)
		g_object_unref(p);
	return rc;
}

static int decode_payload(const char *text, size_t len, struct rg_jwt *out, char *err,
			  size_t errlen)
{
	JsonParser *p = NULL;
	JsonObject *o = rg_authjson_object(text, len, &p);
	struct rg_jwt_claims *c = &out->claims;
	int rc;

	if (o == NULL) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "payload is not a JSON object");
		goto out;
	}
	if ((rc = str_claim(o, "sub", c->sub, sizeof(c->sub), err, errlen)) != CORE_OK ||
	    (rc = str_claim(o, "name", c->name, sizeof(c->name), err, errlen)) != CORE_OK ||
	    (rc = str_claim(o, "net", c->net, sizeof(c->net), err, errlen)) != CORE_OK ||
	    (rc = str_claim(o, "fam", c->fam, sizeof(c->fam), err, errlen)) != CORE_OK)
		goto out;
	if (rg_authjson_int(o, "iat", &c->iat) != CORE_OK ||
	    rg_authjson_int(o, "exp", &c->exp) != CORE_OK) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "\"iat\" and \"exp\" must be integers");
		goto out;
	}
	if (c->iat < 0 || c->exp <= c->iat)
		rc = fail(err, errlen, CORE_ERR_BAD_VALUE, "\"exp\" must come after \"iat\"");
out:
	if (p != NULL)
		g_object_unref(p);
	return rc;
}

int rg_jwt_decode(const char *token, size_t len, struct rg_jwt *out, char *err, size_t errlen)
{
	const char *dot1, *dot2;
	char *header = NULL, *payload = NULL;
	size_t hlen, plen, mlen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	if (len > RG_JWT_MAX_LEN)
		return fail(err, errlen, CORE_ERR_TOO_LARGE, "token longer than %d bytes",
			    RG_JWT_MAX_LEN);
	dot1 = memchr(token, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "not three dot-separated parts");
		goto out;
	}
	header = part(token, (size_t)(dot1 - token), &hlen);
	payload = part(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
	if (header == NULL || payload == NULL) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "a part is not base64url");
		goto out;
	}
	if (rg_b64url_decode(out->mac, sizeof(out->mac), &mlen, dot2 + 1,
			     len - (size_t)(dot2 + 1 - token)) != CORE_OK ||
	    mlen != sizeof(out->mac)) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "the signature is not 32 bytes");
		goto out;
	}
	if ((rc = decode_header(header, hlen, out, err, errlen)) != CORE_OK ||
	    (rc = decode_payload(payload, plen, out, err, errlen)) != CORE_OK)
		goto out;
	out->signed_len = (size_t)(dot2 - token);
out:
	g_free(header);
	g_free(payload);
	if (rc != CORE_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

int rg_jwt_verify(const struct rg_jwt *j, const char *token, const uint8_t key[RG_JWT_KEY_LEN],
		  int64_t now)
{
	uint8_t m[32];
	bool same;

	mac(m, token, j->signed_len, key);
	same = core_ct_equal(m, j->mac, sizeof(m));
	sodium_memzero(m, sizeof(m));
	if (!same)
		return CORE_ERR_AUTH;
	if (j->claims.exp <= now)
		return CORE_ERR_TIMEOUT;
	if (j->claims.iat > now + JWT_FUTURE_SKEW)
		return CORE_ERR_BAD_VALUE;
	return CORE_OK;
}
