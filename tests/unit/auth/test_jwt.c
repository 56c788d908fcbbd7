/*
 * Unit tests for rift/auth/jwt: a known HS256 vector (computed with
 * Python's hmac), and every kind of bad token: forged, expired, truncated,
 * alg none, another algorithm, bad base64url, missing claims.
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/auth/jwt.h"

#define VECTOR                                                                                     \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImtfMDEyMzQ1Njc4OWFiY2RlZiJ9."                \
	"eyJzdWIiOiJkZXYtMSIsIm5hbWUiOiJsYXB0b3AiLCJuZXQiOiJob21lIiwiZmFtIjoiZmFtLTEiLCJpYXQiOjE4" \
	"MDAwMDAwMDAsImV4cCI6MTgwMDAwMzYwMH0.5zyCcw3dRUuMMfB5M-gMjdtcddZK8XxxHN-DL_frWn8"
#define PAYLOAD_B64U                                                                               \
	"eyJzdWIiOiJkZXYtMSIsIm5hbWUiOiJsYXB0b3AiLCJuZXQiOiJob21lIiwiZmFtIjoiZmFtLTEiLCJpYXQiOjE4" \
	"MDAwMDAwMDAsImV4cCI6MTgwMDAwMzYwMH0"
#define T0 1800000000

static uint8_t key[RG_JWT_KEY_LEN];

static const struct rg_jwt_claims claims = { "dev-1", "laptop", "home", "fam-1", T0, T0 + 3600 };

static void test_vector(void)
{
	char *tok = rg_jwt_sign(&claims, "k_0123456789abcdef", key);
	char err[RG_JWT_ERR_LEN];
	struct rg_jwt j;

	g_assert_cmpstr(tok, ==, VECTOR);
	g_assert_cmpint(rg_jwt_decode(tok, strlen(tok), &j, err, sizeof(err)), ==, CORE_OK);
	g_assert_cmpstr(j.kid, ==, "k_0123456789abcdef");
	g_assert_cmpstr(j.claims.sub, ==, "dev-1");
	g_assert_cmpstr(j.claims.name, ==, "laptop");
	g_assert_cmpstr(j.claims.net, ==, "home");
	g_assert_cmpstr(j.claims.fam, ==, "fam-1");
	g_assert_cmpint(j.claims.iat, ==, T0);
	g_assert_cmpint(j.claims.exp, ==, T0 + 3600);
	g_assert_cmpint(rg_jwt_verify(&j, tok, key, T0 + 3599), ==, CORE_OK);
	/* expiry is exclusive; an iat far in the future is refused */
	g_assert_cmpint(rg_jwt_verify(&j, tok, key, T0 + 3600), ==, CORE_ERR_TIMEOUT);
	g_assert_cmpint(rg_jwt_verify(&j, tok, key, T0 - 61), ==, CORE_ERR_BAD_VALUE);
	g_free(tok);
}

static void test_unicode_name(void)
{
	struct rg_jwt_claims c = claims;
	char err[RG_JWT_ERR_LEN], *tok;
	struct rg_jwt j;

	g_strlcpy(c.name, "名前 \"q\" ✓", sizeof(c.name));
	tok = rg_jwt_sign(&c, "k_1", key);
	g_assert_nonnull(tok);
	g_assert_cmpint(rg_jwt_decode(tok, strlen(tok), &j, err, sizeof(err)), ==, CORE_OK);
	g_assert_cmpstr(j.claims.name, ==, "名前 \"q\" ✓");
	g_free(tok);
	/* what cannot be signed */
	g_strlcpy(c.name, "a\nb", sizeof(c.name));
	g_assert_null(rg_jwt_sign(&c, "k_1", key));
	c = claims;
	c.sub[0] = '\0';
	g_assert_null(rg_jwt_sign(&c, "k_1", key));
	g_assert_null(rg_jwt_sign(&claims, "k 1", key));
	g_assert_null(rg_jwt_sign(&claims, "", key));
}

static void test_forged(void)
{
	uint8_t other[RG_JWT_KEY_LEN];
	char err[RG_JWT_ERR_LEN], *tok = g_strdup(VECTOR);
	size_t n = strlen(tok);
	struct rg_jwt j;

	memset(other, 0x55, sizeof(other));
	g_assert_cmpint(rg_jwt_decode(tok, n, &j, err, sizeof(err)), ==, CORE_OK);
	g_assert_cmpint(rg_jwt_verify(&j, tok, other, T0), ==, CORE_ERR_AUTH);
	/* one bit of the payload changed (the MAC no longer matches) */
	tok[80] = tok[80] == 'A' ? 'B' : 'A';
	if (rg_jwt_decode(tok, n, &j, err, sizeof(err)) == CORE_OK)
		g_assert_cmpint(rg_jwt_verify(&j, tok, key, T0), ==, CORE_ERR_AUTH);
	g_free(tok);
	/* a payload with another name under the original signature */
	{
		struct rg_jwt_claims c = claims;
		char *mine, *spliced;
		const char *sig = strrchr(VECTOR, '.');

		g_strlcpy(c.name, "admin", sizeof(c.name));
		mine = rg_jwt_sign(&c, "k_0123456789abcdef", other);
		*strrchr(mine, '.') = '\0';
		spliced = g_strconcat(mine, sig, NULL);
		g_assert_cmpint(rg_jwt_decode(spliced, strlen(spliced), &j, err, sizeof(err)), ==,
				CORE_OK);
		g_assert_cmpint(rg_jwt_verify(&j, spliced, key, T0), ==, CORE_ERR_AUTH);
		g_free(mine);
		g_free(spliced);
	}
}

static void expect_bad(const char *tok, int code, const char *reason)
{
	char err[RG_JWT_ERR_LEN];
	struct rg_jwt j;

	g_assert_cmpint(rg_jwt_decode(tok, strlen(tok), &j, err, sizeof(err)), ==, code);
	g_assert_cmpstr(err, ==, reason);
	g_assert_cmpuint(j.signed_len, ==, 0);
}

/* base64url of a JSON text */
static char *b64u(const char *json)
{
	char *out = g_malloc(strlen(json) * 2 + 4);

	rg_b64url_encode(out, (const uint8_t *)json, strlen(json));
	return out;
}

static void test_malformed(void)
{
	char *h_none = b64u("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k_1\"}");
	char *h_512 = b64u("{\"alg\":\"HS512\",\"kid\":\"k_1\"}");
	char *h_nokid = b64u("{\"alg\":\"HS256\"}");
	char *h_ok = b64u("{\"alg\":\"HS256\",\"kid\":\"k_1\"}");
	char *p_noname = b64u("{\"sub\":\"d\",\"net\":\"n\",\"fam\":\"f\",\"iat\":1,\"exp\":2}");
	char *p_strexp = b64u("{\"sub\":\"d\",\"name\":\"x\",\"net\":\"n\",\"fam\":\"f\",\"iat\":1,"
			      "\"exp\":\"2\"}");
	char *p_back = b64u(
		"{\"sub\":\"d\",\"name\":\"x\",\"net\":\"n\",\"fam\":\"f\",\"iat\":5,\"exp\":2}");
	const char *sig = strrchr(VECTOR, '.') + 1;
	char *t, big[RG_JWT_MAX_LEN + 2];

	/* alg none, with and without a signature */
	t = g_strconcat(h_none, ".", PAYLOAD_B64U, ".", NULL);
	expect_bad(t, CORE_ERR_BAD_FORMAT, "the signature is not 32 bytes");
	g_free(t);
	t = g_strconcat(h_none, ".", PAYLOAD_B64U, ".", sig, NULL);
	expect_bad(t, CORE_ERR_BAD_VALUE, "header: \"alg\" must be HS256");
	g_free(t);
	t = g_strconcat(h_512, ".", PAYLOAD_B64U, ".", sig, NULL);
	expect_bad(t, CORE_ERR_BAD_VALUE, "header: \"alg\" must be HS256");
	g_free(t);
	t = g_strconcat(h_nokid, ".", PAYLOAD_B64U, ".", sig, NULL);
	expect_bad(t, CORE_ERR_BAD_FORMAT, "header: \"kid\" is missing or malformed");
	g_free(t);
	t = g_strconcat(h_ok, ".", p_noname, ".", sig, NULL);
	expect_bad(t, CORE_ERR_BAD_FORMAT, "\"name\" must be a string");
	g_free(t);
	t = g_strconcat(h_ok, ".", p_strexp, ".", sig, NULL);
	expect_bad(t, CORE_ERR_BAD_FORMAT, "\"iat\" and \"exp\" must be integers");
	g_free(t);
	t = g_strconcat(h_ok, ".", p_back, ".", sig, NULL);
	expect_bad(t, CORE_ERR_BAD_VALUE, "\"exp\" must come after \"iat\"");
	g_free(t);
	/* truncated anywhere, extra parts, the wrong alphabet, padding */
	for (size_t n = 0; n < strlen(VECTOR); n++) {
		char cut[sizeof(VECTOR)];
		char err[RG_JWT_ERR_LEN];
		struct rg_jwt j;

		memcpy(cut, VECTOR, n);
		cut[n] = '\0';
		g_assert_cmpint(rg_jwt_decode(cut, n, &j, err, sizeof(err)), !=, CORE_OK);
		g_assert_cmpstr(err, !=, "");
	}
	expect_bad(VECTOR ".x", CORE_ERR_BAD_FORMAT, "not three dot-separated parts");
	expect_bad("", CORE_ERR_BAD_FORMAT, "not three dot-separated parts");
	expect_bad("..", CORE_ERR_BAD_FORMAT, "the signature is not 32 bytes");
	expect_bad("!.e30.x", CORE_ERR_BAD_FORMAT, "a part is not base64url");
	t = g_strdup(VECTOR);
	*strchr(t, '_') = '/';
	expect_bad(t, CORE_ERR_BAD_FORMAT, "the signature is not 32 bytes");
	g_free(t);
	t = g_strconcat(VECTOR, "=", NULL);
	expect_bad(t, CORE_ERR_BAD_FORMAT, "the signature is not 32 bytes");
	g_free(t);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_bad(big, CORE_ERR_TOO_LARGE, "token longer than 2048 bytes");
	g_free(h_none);
	g_free(h_512);
	g_free(h_nokid);
	g_free(h_ok);
	g_free(p_noname);
	g_free(p_strexp);
	g_free(p_back);
}

static void test_b64url(void)
{
	uint8_t out[8];
	size_t n;
	char enc[8];

	rg_b64url_encode(enc, (const uint8_t *)"\xfb\xff", 2);
	g_assert_cmpstr(enc, ==, "-_8");
	g_assert_cmpint(rg_b64url_decode(out, sizeof(out), &n, "-_8", 3), ==, CORE_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpint(out[0], ==, 0xfb);
	/* non-zero unused bits: one canonical text per byte string */
	g_assert_cmpint(rg_b64url_decode(out, sizeof(out), &n, "-_9", 3), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_b64url_decode(out, sizeof(out), &n, "A", 1), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_b64url_decode(out, sizeof(out), &n, "+/8", 3), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_b64url_decode(out, 1, &n, "-_8", 3), ==, CORE_ERR_NO_SPACE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	g_test_add_func("/jwt/vector", test_vector);
	g_test_add_func("/jwt/unicode-name", test_unicode_name);
	g_test_add_func("/jwt/forged", test_forged);
	g_test_add_func("/jwt/malformed", test_malformed);
	g_test_add_func("/jwt/b64url", test_b64url);
	return g_test_run();
}
