/* turncred.c - TURN REST API credentials (contract in turncred.h). */
#include "rift/auth/turncred.h"

#include <glib.h>

#include "core/base64.h"
#include "core/ct.h"

char *rg_turn_username(int64_t expiry, const char *device_id)
{
	return g_strdup_printf("%" G_GINT64_FORMAT ":%s", expiry, device_id);
}

char *rg_turn_password(const char *secret, size_t secret_len, const char *username)
{
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret, secret_len);
	guint8 digest[20];
	gsize n = sizeof(digest);
	char *out = g_malloc(core_base64_encoded_len(sizeof(digest)) + 1);

	g_hmac_update(h, (const guchar *)username, -1);
	g_hmac_get_digest(h, digest, &n);
	g_hmac_unref(h);
	core_base64_encode(out, digest, n);
	core_wipe(digest, sizeof(digest));
	return out;
}
