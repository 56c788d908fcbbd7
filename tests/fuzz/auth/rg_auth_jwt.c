/*
 * Fuzz target for rift/auth/jwt: any bytes either decode into a token whose
 * claims would sign again, and which verifies under no key but by chance,
 * or are refused with a reason; never a crash, a leak or an accepted token
 * with an empty claim or an algorithm other than HS256.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[RG_JWT_KEY_LEN] = { 1 };
	char err[RG_JWT_ERR_LEN], *tok = g_strndup((const char *)data, size), *again;
	struct rg_jwt j, k;

	if (rg_jwt_decode(tok, size, &j, err, sizeof(err)) != CORE_OK) {
		if (err[0] == '\0' || j.signed_len != 0)
			abort(); /* a refusal has a reason and leaves nothing behind */
		goto out;
	}
	if (j.kid[0] == '\0' || j.claims.sub[0] == '\0' || j.claims.name[0] == '\0' ||
	    j.claims.exp <= j.claims.iat || j.signed_len >= size || tok[j.signed_len] != '.')
		abort();
	/* the claims sign again under our key, and that token decodes to them */
	again = rg_jwt_sign(&j.claims, j.kid, key);
	if (again == NULL || rg_jwt_decode(again, strlen(again), &k, err, sizeof(err)) != CORE_OK ||
	    memcmp(&j.claims, &k.claims, sizeof(j.claims)) != 0 ||
	    rg_jwt_verify(&k, again, key, j.claims.iat) != CORE_OK)
		abort();
	g_free(again);
out:
	g_free(tok);
	return 0;
}
