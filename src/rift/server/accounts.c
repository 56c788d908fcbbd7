/* accounts.c - devices, tokens and keys over the store (contract in accounts.h). */
#include "rift/server/accounts.h"

#include <sodium.h>
#include <string.h>

#include "core/addr.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"
#include "rift/auth/token.h"
#include "rift/auth/turncred.h"

/* One configured TURN server. */
struct turn_server {
	char *url; /* "turn:host:port?transport=udp" */
};

struct rg_accounts {
	struct rg_store *store;
	struct rg_store_network net;
	GArray *keys; /* struct rg_store_key, newest first */
	int64_t jwt_ttl, refresh_ttl, key_rotate, turn_ttl;
	char *public_url;
	GPtrArray *stun_urls; /* "stun:host:port" */
	GPtrArray *turn_urls;
	char *turn_secret;
	int64_t (*now)(void *data);
	void *now_data;
	GHashTable *seen; /* device ids connected since the last flush */
};

static int64_t wall_now(void *data)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

int64_t rg_accounts_now(struct rg_accounts *a)
{
	return a->now(a->now_data);
}

struct rg_store *rg_accounts_store(struct rg_accounts *a)
{
	return a->store;
}

void rg_accounts_set_public_url(struct rg_accounts *a, const char *url)
{
	g_free(a->public_url);
	a->public_url = g_strdup(url);
}

const char *rg_accounts_network(struct rg_accounts *a)
{
	return a->net.name;
}

/* ------------------------------------------------------------ keys */

static void keys_free(GArray *keys)
{
	if (keys == NULL)
		return;
	core_wipe(keys->data, keys->len * sizeof(struct rg_store_key));
	g_array_free(keys, TRUE);
}

static int keys_load(struct rg_accounts *a)
{
	GArray *k = NULL;
	int rc = rg_store_keys(a->store, &k);

	if (rc != CORE_OK)
		return rc;
	keys_free(a->keys);
	a->keys = k;
	return CORE_OK;
}

static void key_new(struct rg_store_key *k, int64_t now)
{
	uint8_t id[8];

	memset(k, 0, sizeof(*k));
	randombytes_buf(id, sizeof(id));
	memcpy(k->kid, "k_", 2);
	for (size_t i = 0; i < sizeof(id); i++)
		g_snprintf(k->kid + 2 + 2 * i, 3, "%02x", id[i]);
	randombytes_buf(k->secret, sizeof(k->secret));
	k->created_at = now;
}

/* The newest key signs; a new one when it is older than key_rotate (or forced). */
static int key_rotate(struct rg_accounts *a, bool force)
{
	int64_t now = rg_accounts_now(a);
	struct rg_store_key k;
	int rc;

	if (!force && a->keys->len > 0 &&
	    g_array_index(a->keys, struct rg_store_key, 0).created_at + a->key_rotate > now)
		return CORE_OK;
	key_new(&k, now);
	/* tokens the old keys signed stay good until they expire, not one second longer */
	rc = rg_store_key_add(a->store, &k, now + a->jwt_ttl);
	if (rc == CORE_OK) {
		core_log_info("accounts", a->net.name,
			      "new signing key %s; older keys retire in %" G_GINT64_FORMAT " s",
			      k.kid, a->jwt_ttl);
		rc = keys_load(a);
	}
	core_wipe(&k, sizeof(k));
	return rc;
}

static const struct rg_store_key *key_find(struct rg_accounts *a, const char *kid)
{
	for (guint i = 0; i < a->keys->len; i++) {
		const struct rg_store_key *k = &g_array_index(a->keys, struct rg_store_key, i);

		if (strcmp(k->kid, kid) == 0)
			return k;
	}
	return NULL;
}

/* ------------------------------------------------------------ open */

/* "udp:h:p" -> "turn:h:p?transport=udp" (tcp, tls alike); NULL when malformed. */
static char *turn_url(const char *entry)
{
	static const struct {
		const char *prefix, *scheme, *transport;
	} kinds[] = { { "udp:", "turn", "udp" },
		      { "tcp:", "turn", "tcp" },
		      { "tls:", "turns", "tcp" } };
	char *host = NULL;
	uint16_t port;

	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (!g_str_has_prefix(entry, kinds[i].prefix))
			continue;
		if (core_addr_split_host_port(entry + 4, &host, &port) != CORE_OK || port == 0)
			return NULL;
		g_free(host);
		return g_strdup_printf("%s:%s?transport=%s", kinds[i].scheme, entry + 4,
				       kinds[i].transport);
	}
	return NULL;
}

static int ice_config(struct rg_accounts *a, const struct rg_accounts_config *cfg, GError **error)
{
	a->stun_urls = g_ptr_array_new_with_free_func(g_free);
	a->turn_urls = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; cfg->stun != NULL && cfg->stun[i] != NULL; i++) {
		char *host = NULL;
		uint16_t port;

		if (core_addr_split_host_port(cfg->stun[i], &host, &port) != CORE_OK || port == 0) {
			g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
				    "stun: expected host:port, got \"%s\"", cfg->stun[i]);
			return CORE_ERR_CONFIG;
		}
		g_free(host);
		g_ptr_array_add(a->stun_urls, g_strconcat("stun:", cfg->stun[i], NULL));
	}
	for (size_t i = 0; cfg->turn != NULL && cfg->turn[i] != NULL; i++) {
		char *u = turn_url(cfg->turn[i]);

		if (u == NULL) {
			g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
				    "turn: expected udp:, tcp: or tls: then host:port, got "
				    "\"%s\"",
				    cfg->turn[i]);
			return CORE_ERR_CONFIG;
		}
		g_ptr_array_add(a->turn_urls, u);
	}
	if (a->turn_urls->len > 0 && (cfg->turn_secret == NULL || strlen(cfg->turn_secret) < 16)) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
			    "turn: a TURN server needs turn-secret (16 characters or more, "
			    "coturn's static-auth-secret)");
		return CORE_ERR_CONFIG;
	}
	a->turn_secret = g_strdup(cfg->turn_secret);
	return CORE_OK;
}

int rg_accounts_open(struct rg_accounts **out, const struct rg_accounts_config *cfg, GError **error)
{
	struct rg_accounts *a = g_new0(struct rg_accounts, 1);
	const char *path = cfg->db_path != NULL ? cfg->db_path : RG_STORE_DEFAULT_PATH;
	int rc;

	*out = NULL;
	a->jwt_ttl = cfg->jwt_ttl_s > 0 ? cfg->jwt_ttl_s : RG_ACCOUNTS_JWT_TTL_S;
	a->refresh_ttl = cfg->refresh_ttl_s > 0 ? cfg->refresh_ttl_s : RG_ACCOUNTS_REFRESH_TTL_S;
	a->key_rotate = cfg->key_rotate_s > 0 ? cfg->key_rotate_s : RG_ACCOUNTS_KEY_ROTATE_S;
	a->turn_ttl = cfg->turn_ttl_s > 0 ? cfg->turn_ttl_s : RG_ACCOUNTS_TURN_TTL_S;
	a->now = cfg->now != NULL ? cfg->now : wall_now;
	a->now_data = cfg->now_data;
	a->public_url = g_strdup(cfg->public_url != NULL ? cfg->public_url : "");
	a->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if ((rc = ice_config(a, cfg, error)) != CORE_OK)
		goto out;
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, CORE_ERROR, CORE_ERR_NOT_FOUND,
			    "%s: no such database: create the network with `riftgate "
			    "server init` first",
			    path);
		rc = CORE_ERR_NOT_FOUND;
		goto out;
	}
	if ((rc = rg_store_open(&a->store, path, error)) != CORE_OK)
		goto out;
	if (cfg->full_sync && (rc = rg_store_set_full_sync(a->store, true)) != CORE_OK) {
		g_set_error(error, CORE_ERROR, rc, "%s: cannot set synchronous = full", path);
		goto out;
	}
	rc = rg_store_network_get(a->store, &a->net);
	if (rc == CORE_ERR_NOT_FOUND)
		g_set_error(error, CORE_ERROR, rc,
			    "%s: no network: create it with `riftgate server init` first", path);
	else if (rc != CORE_OK)
		g_set_error(error, CORE_ERROR, rc, "%s: cannot read the network", path);
	if (rc != CORE_OK)
		goto out;
	if ((rc = keys_load(a)) != CORE_OK || (rc = key_rotate(a, false)) != CORE_OK)
		g_set_error(error, CORE_ERROR, rc, "%s: cannot read or add signing keys", path);
out:
	if (rc == CORE_OK)
		*out = a;
	else
		rg_accounts_free(a);
	return rc;
}

void rg_accounts_free(struct rg_accounts *a)
{
	if (a == NULL)
		return;
	if (a->store != NULL)
		rg_accounts_flush(a);
	rg_store_close(a->store);
	rg_store_network_clear(&a->net);
	keys_free(a->keys);
	if (a->stun_urls != NULL)
		g_ptr_array_unref(a->stun_urls);
	if (a->turn_urls != NULL)
		g_ptr_array_unref(a->turn_urls);
	if (a->turn_secret != NULL)
		core_wipe(a->turn_secret, strlen(a->turn_secret));
	g_free(a->turn_secret);
	g_free(a->public_url);
	g_hash_table_unref(a->seen);
	g_free(a);
}

/* ------------------------------------------------------------ sessions */

/* The access token and ICE servers of a session for device (id, name), family fam. */
static int session_fill(struct rg_accounts *a, const char *id, const char *name, const char *fam,
			struct rg_auth_session *s)
{
	const struct rg_store_key *k = &g_array_index(a->keys, struct rg_store_key, 0);
	struct rg_jwt_claims c = { 0 };
	int64_t now = rg_accounts_now(a);
	char *user = NULL;

	g_strlcpy(c.sub, id, sizeof(c.sub));
	g_strlcpy(c.name, name, sizeof(c.name));
	g_strlcpy(c.net, a->net.name, sizeof(c.net));
	g_strlcpy(c.fam, fam, sizeof(c.fam));
	c.iat = now;
	c.exp = now + a->jwt_ttl;
	s->access_token = rg_jwt_sign(&c, k->kid, k->secret);
	if (s->access_token == NULL)
		return CORE_ERR_INTERNAL;
	s->expires_in = a->jwt_ttl;
	for (guint i = 0; i < a->stun_urls->len && s->n_ice < RG_AUTH_MAX_ICE; i++)
		s->ice[s->n_ice++].url = g_strdup(a->stun_urls->pdata[i]);
	if (a->turn_urls->len > 0)
		user = rg_turn_username(now + a->turn_ttl, id);
	for (guint i = 0; i < a->turn_urls->len && s->n_ice < RG_AUTH_MAX_ICE; i++) {
		struct rg_auth_ice_server *ice = &s->ice[s->n_ice++];

		ice->url = g_strdup(a->turn_urls->pdata[i]);
		ice->username = g_strdup(user);
		ice->credential = rg_turn_password(a->turn_secret, strlen(a->turn_secret), user);
	}
	g_free(user);
	return CORE_OK;
}

int rg_accounts_register(struct rg_accounts *a, const char *name, const char *join_token,
			 struct rg_auth_session *out, struct rg_store_device *dev, bool *reclaimed)
{
	char jh[RG_TOKEN_HASH_LEN], rh[RG_TOKEN_HASH_LEN], id[RG_TOKEN_UUID_LEN], fam[33];
	int64_t now = rg_accounts_now(a);
	struct rg_store_registration r = { jh, name, id, fam, rh, now + a->refresh_ttl, now };
	char *refresh = rg_token_new(RG_TOKEN_REFRESH_PREFIX, RG_TOKEN_REFRESH_BYTES);
	int rc;

	memset(out, 0, sizeof(*out));
	rg_token_hash(join_token, jh);
	rg_token_hash(refresh, rh);
	rg_token_uuid(id);
	rg_token_family(fam);
	rc = rg_store_register(a->store, &r, dev, reclaimed);
	if (rc != CORE_OK)
		goto out;
	rc = session_fill(a, dev->device_id, dev->name, fam, out);
	if (rc != CORE_OK) {
		rg_store_device_clear(dev);
		goto out;
	}
	out->device_id = g_strdup(dev->device_id);
	out->refresh_token = refresh;
	refresh = NULL;
	out->address = g_strdup(dev->address);
	out->subnet = g_strdup(a->net.subnet);
	out->network = g_strdup(a->net.name);
	out->server_url = g_strdup(a->public_url);
out:
	if (refresh != NULL)
		core_wipe(refresh, strlen(refresh));
	g_free(refresh);
	if (rc != CORE_OK)
		rg_auth_session_clear(out);
	return rc;
}

int rg_accounts_refresh(struct rg_accounts *a, const char *device_id, const char *refresh_token,
			struct rg_auth_session *out)
{
	char old[RG_TOKEN_HASH_LEN], new[RG_TOKEN_HASH_LEN], fam[RG_STORE_ID_LEN];
	int64_t now = rg_accounts_now(a);
	struct rg_store_rotation r = { device_id, old, new, now + a->refresh_ttl, now };
	char *refresh = rg_token_new(RG_TOKEN_REFRESH_PREFIX, RG_TOKEN_REFRESH_BYTES);
	struct rg_store_device d = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	rg_token_hash(refresh_token, old);
	rg_token_hash(refresh, new);
	rc = rg_store_refresh(a->store, &r, fam);
	if (rc != CORE_OK)
		goto out;
	if ((rc = rg_store_device_get(a->store, device_id, &d)) != CORE_OK ||
	    (rc = session_fill(a, d.device_id, d.name, fam, out)) != CORE_OK)
		goto out;
	out->refresh_token = refresh;
	refresh = NULL;
out:
	rg_store_device_clear(&d);
	if (refresh != NULL)
		core_wipe(refresh, strlen(refresh));
	g_free(refresh);
	if (rc != CORE_OK)
		rg_auth_session_clear(out);
	return rc;
}

int rg_accounts_verify(struct rg_accounts *a, const char *jwt, struct rg_accounts_identity *out,
		       const char **why)
{
	static char reason[RG_JWT_ERR_LEN + 16];
	const struct rg_store_key *k;
	int64_t now = rg_accounts_now(a);
	struct rg_jwt j;
	char err[RG_JWT_ERR_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = NULL;
	rc = rg_jwt_decode(jwt, strlen(jwt), &j, err, sizeof(err));
	if (rc != CORE_OK) {
		g_snprintf(reason, sizeof(reason), "not a token of ours: %s", err);
		rc = CORE_ERR_BAD_FORMAT;
		goto out;
	}
	k = key_find(a, j.kid);
	if (k == NULL || (k->retired_at != 0 && k->retired_at <= now)) {
		g_snprintf(reason, sizeof(reason), "%s signing key",
			   k == NULL ? "an unknown" : "a retired");
		rc = CORE_ERR_AUTH;
		goto out;
	}
	rc = rg_jwt_verify(&j, jwt, k->secret, now);
	if (rc == CORE_ERR_AUTH || rc == CORE_ERR_BAD_VALUE) {
		g_snprintf(reason, sizeof(reason), "%s",
			   rc == CORE_ERR_AUTH ? "a forged signature" : "issued in the future");
		rc = CORE_ERR_AUTH;
		goto out;
	}
	if (rc == CORE_ERR_TIMEOUT) {
		g_snprintf(reason, sizeof(reason), "expired");
		goto out;
	}
	if (strcmp(j.claims.net, a->net.name) != 0) {
		g_snprintf(reason, sizeof(reason), "another network's");
		rc = CORE_ERR_AUTH;
		goto out;
	}
	rc = rg_store_session_live(a->store, j.claims.sub, j.claims.fam);
	if (rc == CORE_ERR_NOT_FOUND || rc == CORE_ERR_AUTH) {
		g_snprintf(reason, sizeof(reason), "%s",
			   rc == CORE_ERR_NOT_FOUND ? "its device is revoked"
						    : "its token family is revoked");
		rc = CORE_ERR_NOT_FOUND;
		goto out;
	}
	if (rc == CORE_OK)
		out->claims = j.claims;
out:
	if (why != NULL && rc != CORE_OK)
		*why = reason;
	return rc;
}

bool rg_accounts_live(struct rg_accounts *a, const struct rg_accounts_identity *id)
{
	return rg_store_session_live(a->store, id->claims.sub, id->claims.fam) == CORE_OK;
}

int rg_accounts_devices(struct rg_accounts *a, GArray **out)
{
	return rg_store_devices(a->store, out);
}

int rg_accounts_revoke(struct rg_accounts *a, const char *device_id)
{
	g_hash_table_remove(a->seen, device_id);
	return rg_store_revoke(a->store, device_id, rg_accounts_now(a));
}

void rg_accounts_seen(struct rg_accounts *a, const char *device_id)
{
	g_hash_table_add(a->seen, g_strdup(device_id));
}

void rg_accounts_flush(struct rg_accounts *a)
{
	guint n = 0;
	gpointer *ids;

	if (g_hash_table_size(a->seen) == 0)
		return;
	ids = g_hash_table_get_keys_as_array(a->seen, &n);
	rg_store_touch(a->store, (const char *const *)ids, n, rg_accounts_now(a));
	g_free(ids);
	g_hash_table_remove_all(a->seen);
}

int rg_accounts_upkeep(struct rg_accounts *a, bool force_rotate)
{
	int rc = key_rotate(a, force_rotate);

	if (rc == CORE_OK)
		rc = rg_store_purge(a->store, rg_accounts_now(a));
	return rc;
}

/* ------------------------------------------------------------ init and invite */

static bool network_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len >= RG_JWT_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isalnum(n[i]) && n[i] != '-' && n[i] != '_' && n[i] != '.')
			return false;
	return true;
}

int rg_accounts_init(const char *path, const char *name, const char *subnet, int64_t ttl_s,
		     char **join_token, GError **error)
{
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	char owner[RG_TOKEN_UUID_LEN], jh[RG_TOKEN_HASH_LEN];
	struct rg_store_network n = { (char *)name, (char *)subnet, owner, now };
	struct rg_store *s = NULL;
	struct rg_store_key k;
	uint32_t base;
	unsigned len;
	char *tok = NULL;
	int rc;

	*join_token = NULL;
	if (!network_name_ok(name)) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
			    "network name: expected 1 to 63 letters, digits, '-', '_' or "
			    "'.', got \"%s\"",
			    name);
		return CORE_ERR_CONFIG;
	}
	if (!rg_store_subnet_parse(subnet, &base, &len)) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
			    "subnet: expected an IPv4 network like 10.0.0.0/24 (/8 to /30, "
			    "no host bits), got \"%s\"",
			    subnet);
		return CORE_ERR_CONFIG;
	}
	if ((rc = rg_store_open(&s, path, error)) != CORE_OK)
		return rc;
	rg_token_uuid(owner);
	key_new(&k, now);
	tok = rg_token_new(RG_TOKEN_JOIN_PREFIX, RG_TOKEN_JOIN_BYTES);
	rg_token_hash(tok, jh);
	rc = rg_store_init(s, &n, &k, jh, now + ttl_s);
	core_wipe(&k, sizeof(k));
	if (rc == CORE_ERR_BAD_VALUE)
		g_set_error(error, CORE_ERROR, rc, "%s: the network exists already", path);
	else if (rc != CORE_OK)
		g_set_error(error, CORE_ERROR, rc, "%s: cannot create the network", path);
	if (rc == CORE_OK) {
		*join_token = tok;
		tok = NULL;
	}
	if (tok != NULL)
		core_wipe(tok, strlen(tok));
	g_free(tok);
	rg_store_close(s);
	return rc;
}

int rg_accounts_invite(const char *path, int64_t ttl_s, char **join_token, GError **error)
{
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	struct rg_store_network n;
	struct rg_store *s = NULL;
	char jh[RG_TOKEN_HASH_LEN], *tok;
	int rc;

	*join_token = NULL;
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, CORE_ERROR, CORE_ERR_NOT_FOUND,
			    "%s: no such database: create the network with `riftgate "
			    "server init` first",
			    path);
		return CORE_ERR_NOT_FOUND;
	}
	if ((rc = rg_store_open(&s, path, error)) != CORE_OK)
		return rc;
	rc = rg_store_network_get(s, &n);
	if (rc != CORE_OK) {
		g_set_error(error, CORE_ERROR, rc, "%s: no network: `riftgate server init` first",
			    path);
		rg_store_close(s);
		return rc;
	}
	rg_store_network_clear(&n);
	tok = rg_token_new(RG_TOKEN_JOIN_PREFIX, RG_TOKEN_JOIN_BYTES);
	rg_token_hash(tok, jh);
	rc = rg_store_join_add(s, jh, now, now + ttl_s);
	if (rc == CORE_OK) {
		*join_token = tok;
	} else {
		g_set_error(error, CORE_ERROR, rc, "%s: cannot store the join token", path);
		core_wipe(tok, strlen(tok));
		g_free(tok);
	}
	rg_store_close(s);
	return rc;
}
