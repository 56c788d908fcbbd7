/* bearer.c - the bearer-token check (contract in bearer.h). */
#include "rift/sig/bearer.h"

#include <glib.h>
#include <string.h>

#include "core/ct.h"

struct rg_sig_bearer {
	GHashTable *by_hash; /* SHA-256 hex of a token -> struct entry * */
};

struct entry {
	char *token;
	const void *value;
};

static void entry_free(gpointer p)
{
	struct entry *e = p;

	core_wipe(e->token, strlen(e->token));
	g_free(e->token);
	g_free(e);
}

struct rg_sig_bearer *rg_sig_bearer_new(void)
{
	struct rg_sig_bearer *b = g_new0(struct rg_sig_bearer, 1);

	b->by_hash = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
	return b;
}

void rg_sig_bearer_free(struct rg_sig_bearer *b)
{
	if (b == NULL)
		return;
	g_hash_table_unref(b->by_hash);
	g_free(b);
}

void rg_sig_bearer_add(struct rg_sig_bearer *b, const char *token, const void *value)
{
	struct entry *e = g_new0(struct entry, 1);

	e->token = g_strdup(token);
	e->value = value;
	g_hash_table_replace(b->by_hash,
			     g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1), e);
}

const void *rg_sig_bearer_lookup(const struct rg_sig_bearer *b, const char *authorization)
{
	const struct entry *e;
	const char *token;
	char *h;

	if (authorization == NULL || g_ascii_strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	token = authorization + 7;
	h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
	e = g_hash_table_lookup(b->by_hash, h);
	g_free(h);
	/* the hash matched: the token itself must too (a hash is not the token) */
	if (e == NULL || strlen(e->token) != strlen(token) ||
	    !core_ct_equal(e->token, token, strlen(token)))
		return NULL;
	return e->value;
}
