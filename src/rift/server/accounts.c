/*
 * accounts.c - devices, tokens and keys over the store (contract in
 * accounts.h).
 *
 * Every store operation is a job for the store's thread (core/worker.h):
 * its inputs are copied into the job on the loop (hashes, ids, the time),
 * run() calls the store on the worker, finish() runs on the loop and brings
 * the memory copy (keys, live devices and families) in step with what was
 * committed, makes the access token, and hands the result to the caller.
 * One table (ops[]) gives each kind its two halves.
 */
#include "rift/server/accounts.h"

#include <sodium.h>
#include <string.h>

#include "core/addr.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tls.h"
#include "core/worker.h"
#include "rift/auth/token.h"
#include "rift/auth/turncred.h"

struct rg_accounts {
	struct core_worker *worker;
	struct rg_store *store; /* the worker's: touched by jobs only (and its stats) */
	/* the loop's copy of what must be answered at once */
	struct rg_store_network net;
	GArray *keys;	      /* struct rg_store_key, newest first */
	GHashTable *devices;  /* live device ids (a set) */
	GHashTable *families; /* live family id -> its device id */
	int64_t jwt_ttl, refresh_ttl, key_rotate, turn_ttl;
	char *public_url;
	GPtrArray *stun_urls; /* "stun:host:port" */
	GPtrArray *turn_urls;
	char *turn_secret;
	char *turn_fingerprint; /* canonical "AB:CD:...", or NULL */
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

void rg_accounts_stats(struct rg_accounts *a, struct rg_store_stats *out)
{
	rg_store_stats(a->store, out);
}

unsigned rg_accounts_pending(struct rg_accounts *a)
{
	return core_worker_pending(a->worker);
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

/* Whether the newest key is due for replacement (or there is none). */
static bool key_due(GArray *keys, int64_t key_rotate, int64_t now)
{
	return keys->len == 0 ||
	       g_array_index(keys, struct rg_store_key, 0).created_at + key_rotate <= now;
}

/*
 * On the worker: add k as the newest key (the older ones retire when every
 * token they signed has expired, not one second later) and read the keys
 * back into *keys.
 */
static int key_add(struct rg_store *st, const struct rg_store_key *k, int64_t retire_at,
		   GArray **keys)
{
	int rc = rg_store_key_add(st, k, retire_at);

	if (rc == CORE_OK)
		rc = rg_store_keys(st, keys);
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

/* ------------------------------------------------------------ the live copy */

/* A family stands for its device (a registration, a start-up load). */
static void live_add(struct rg_accounts *a, const char *device_id, const char *family_id)
{
	g_hash_table_add(a->devices, g_strdup(device_id));
	g_hash_table_insert(a->families, g_strdup(family_id), g_strdup(device_id));
}

static gboolean family_of(gpointer fam, gpointer dev, gpointer want)
{
	return strcmp(dev, want) == 0;
}

/* Every family of the device is void (a revocation, a reclaimed name). */
static void live_drop_families(struct rg_accounts *a, const char *device_id)
{
	g_hash_table_foreach_remove(a->families, family_of, (gpointer)device_id);
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
	if (cfg->turn_fingerprint != NULL) {
		uint8_t fp[CORE_TLS_FP_LEN];
		char text[CORE_TLS_FP_STRLEN];

		if (core_tls_fingerprint_parse(cfg->turn_fingerprint, fp) != CORE_OK) {
			g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
				    "turn-fingerprint: expected a SHA-256 fingerprint "
				    "(AB:CD:..., 32 bytes), got \"%s\"",
				    cfg->turn_fingerprint);
			return CORE_ERR_CONFIG;
		}
		a->turn_fingerprint = g_strdup(core_tls_fingerprint_format(fp, text));
	}
	return CORE_OK;
}

/* What the open job reads on the worker, for the loop's copy. */
struct open_job {
	struct rg_accounts *a;
	const char *path;
	bool sync_normal;
	int64_t now;
	int rc;
	GError *error;
	GArray *devices, *families; /* the live copy's start */
};

static void open_run(void *ctx, void *p)
{
	struct open_job *o = p;
	struct rg_accounts *a = o->a;
	struct rg_store_key k;
	int rc;

	if ((rc = rg_store_open(&a->store, o->path, &o->error)) != CORE_OK)
		goto out;
	if (o->sync_normal && (rc = rg_store_set_full_sync(a->store, false)) != CORE_OK) {
		g_set_error(&o->error, CORE_ERROR, rc, "%s: cannot set synchronous = normal",
			    o->path);
		goto out;
	}
	rc = rg_store_network_get(a->store, &a->net);
	if (rc == CORE_ERR_NOT_FOUND)
		g_set_error(&o->error, CORE_ERROR, rc,
			    "%s: no network: create it with `riftgate server init` first", o->path);
	else if (rc != CORE_OK)
		g_set_error(&o->error, CORE_ERROR, rc, "%s: cannot read the network", o->path);
	if (rc != CORE_OK)
		goto out;
	if ((rc = rg_store_keys(a->store, &a->keys)) == CORE_OK &&
	    key_due(a->keys, a->key_rotate, o->now)) {
		GArray *keys = NULL;

		key_new(&k, o->now);
		rc = key_add(a->store, &k, o->now + a->jwt_ttl, &keys);
		if (rc == CORE_OK) {
			core_log_info("accounts", a->net.name, "new signing key %s", k.kid);
			keys_free(a->keys);
			a->keys = keys;
		}
		core_wipe(&k, sizeof(k));
	}
	if (rc == CORE_OK && (rc = rg_store_devices(a->store, &o->devices)) == CORE_OK)
		rc = rg_store_families(a->store, &o->families);
	if (rc != CORE_OK && o->error == NULL)
		g_set_error(&o->error, CORE_ERROR, rc, "%s: cannot read the devices or keys",
			    o->path);
out:
	o->rc = rc;
}

/* On the worker, last: the connection closes on the thread that used it. */
static void close_run(void *ctx, void *p)
{
	struct rg_accounts *a = p;

	rg_store_close(a->store);
	a->store = NULL;
}

/* The live copy from what open_run read. */
static void live_load(struct rg_accounts *a, GArray *devices, GArray *families)
{
	for (guint i = 0; i < devices->len; i++) {
		const struct rg_store_device *d =
			&g_array_index(devices, struct rg_store_device, i);

		if (d->revoked_at == 0)
			g_hash_table_add(a->devices, g_strdup(d->device_id));
	}
	for (guint i = 0; i < families->len; i++) {
		const struct rg_store_family *f =
			&g_array_index(families, struct rg_store_family, i);

		live_add(a, f->device_id, f->family_id);
	}
}

int rg_accounts_open(struct rg_accounts **out, const struct rg_accounts_config *cfg, GError **error)
{
	struct rg_accounts *a = g_new0(struct rg_accounts, 1);
	const char *path = cfg->db_path != NULL ? cfg->db_path : RG_STORE_DEFAULT_PATH;
	struct open_job o = { .a = a, .path = path, .sync_normal = cfg->sync_normal };
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
	a->devices = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	a->families = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
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
	a->worker = core_worker_new("rg-store", a);
	o.now = rg_accounts_now(a);
	core_worker_call(a->worker, open_run, &o);
	if ((rc = o.rc) != CORE_OK) {
		g_propagate_error(error, o.error);
		goto out;
	}
	live_load(a, o.devices, o.families);
out:
	rg_store_devices_free(o.devices);
	if (o.families != NULL)
		g_array_free(o.families, TRUE);
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
	if (a->worker != NULL) {
		if (a->store != NULL) {
			rg_accounts_flush(a);
			core_worker_push(a->worker, close_run, NULL, a);
		}
		core_worker_free(a->worker);
	}
	rg_store_network_clear(&a->net);
	keys_free(a->keys);
	if (a->stun_urls != NULL)
		g_ptr_array_unref(a->stun_urls);
	if (a->turn_urls != NULL)
		g_ptr_array_unref(a->turn_urls);
	g_free(a->turn_fingerprint);
	if (a->turn_secret != NULL)
		core_wipe(a->turn_secret, strlen(a->turn_secret));
	g_free(a->turn_secret);
	g_free(a->public_url);
	g_hash_table_unref(a->seen);
	g_hash_table_unref(a->devices);
	g_hash_table_unref(a->families);
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
		if (a->turn_fingerprint != NULL && g_str_has_prefix(ice->url, "turns:"))
			ice->fingerprint = g_strdup(a->turn_fingerprint);
	}
	g_free(user);
	return CORE_OK;
}

/* ------------------------------------------------------------ jobs */

enum op { OP_REGISTER, OP_REFRESH, OP_DEVICES, OP_REVOKE, OP_TOUCH, OP_UPKEEP };

/* One operation: its inputs (copied on the loop), the store's outputs, the caller's callback. */
struct job {
	struct rg_accounts *a;
	enum op op;
	int64_t now;
	rg_accounts_done_fn done;
	void *data;
	/* inputs */
	char *name;	 /* register */
	char *refresh;	 /* register, refresh: the new refresh token (the device's next) */
	char *presented; /* refresh: the token presented (it opens a repeat's seal) */
	char *device_id; /* refresh, revoke */
	char join_hash[RG_TOKEN_HASH_LEN], old_hash[RG_TOKEN_HASH_LEN];
	char new_hash[RG_TOKEN_HASH_LEN];
	char new_id[RG_TOKEN_UUID_LEN], family[RG_STORE_ID_LEN];
	uint8_t sealed[RG_TOKEN_SEALED_MAX]; /* refresh: the new token sealed with the presented */
	size_t sealed_len;
	GPtrArray *ids;		 /* touch */
	struct rg_store_key key; /* upkeep: a new key, when key_set */
	bool key_set;
	/* outputs */
	struct rg_accounts_result res;
	struct rg_store_device dev;	 /* refresh: the device (its name) */
	struct rg_store_rotated rotated; /* refresh */
	GArray *keys;			 /* upkeep: the keys after a rotation */
};

static void job_free(struct job *j)
{
	if (j->refresh != NULL)
		core_wipe(j->refresh, strlen(j->refresh));
	g_free(j->refresh);
	if (j->presented != NULL)
		core_wipe(j->presented, strlen(j->presented));
	g_free(j->presented);
	g_free(j->name);
	g_free(j->device_id);
	if (j->ids != NULL)
		g_ptr_array_unref(j->ids);
	core_wipe(&j->key, sizeof(j->key));
	rg_auth_session_clear(&j->res.session);
	rg_store_device_clear(&j->res.device);
	rg_store_devices_free(j->res.devices);
	rg_store_device_clear(&j->dev);
	keys_free(j->keys);
	g_free(j);
}

/* ---- on the worker: the store's part */

static void run_register(struct rg_store *st, struct job *j)
{
	struct rg_store_registration r = {
		.join_hash = j->join_hash,
		.name = j->name,
		.new_device_id = j->new_id,
		.family_id = j->family,
		.refresh_hash = j->new_hash,
		.refresh_expires = j->now + j->a->refresh_ttl,
		.now = j->now,
	};

	j->res.rc = rg_store_register(st, &r, &j->res.device, &j->res.reclaimed);
}

static void run_refresh(struct rg_store *st, struct job *j)
{
	struct rg_store_rotation r = {
		.device_id = j->device_id,
		.old_hash = j->old_hash,
		.new_hash = j->new_hash,
		.new_expires = j->now + j->a->refresh_ttl,
		.now = j->now,
		.sealed = j->sealed_len > 0 ? j->sealed : NULL,
		.sealed_len = j->sealed_len,
		.grace_s = RG_ACCOUNTS_REFRESH_GRACE_S,
	};

	j->res.rc = rg_store_refresh(st, &r, &j->rotated);
	g_strlcpy(j->family, j->rotated.family, sizeof(j->family));
	if (j->res.rc == CORE_OK)
		j->res.rc = rg_store_device_get(st, j->device_id, &j->dev);
}

static void run_devices(struct rg_store *st, struct job *j)
{
	j->res.rc = rg_store_devices(st, &j->res.devices);
}

static void run_revoke(struct rg_store *st, struct job *j)
{
	j->res.rc = rg_store_revoke(st, j->device_id, j->now);
}

static void run_touch(struct rg_store *st, struct job *j)
{
	j->res.rc = rg_store_touch(st, (const char *const *)j->ids->pdata, j->ids->len, j->now);
}

static void run_upkeep(struct rg_store *st, struct job *j)
{
	int rc = CORE_OK;

	if (j->key_set)
		rc = key_add(st, &j->key, j->now + j->a->jwt_ttl, &j->keys);
	if (rc == CORE_OK)
		rc = rg_store_purge(st, j->now);
	j->res.rc = rc;
}

/* ---- on the loop: the copy in step, the session made */

static void finish_register(struct rg_accounts *a, struct job *j)
{
	struct rg_auth_session *s = &j->res.session;
	struct rg_store_device *d = &j->res.device;

	if (j->res.rc != CORE_OK)
		return;
	if (j->res.reclaimed)
		live_drop_families(a, d->device_id);
	live_add(a, d->device_id, j->family);
	if (session_fill(a, d->device_id, d->name, j->family, s) != CORE_OK) {
		j->res.rc = CORE_ERR_INTERNAL;
		return;
	}
	s->device_id = g_strdup(d->device_id);
	s->refresh_token = g_steal_pointer(&j->refresh);
	s->address = g_strdup(d->address);
	s->subnet = g_strdup(a->net.subnet);
	s->network = g_strdup(a->net.name);
	s->server_url = g_strdup(a->public_url);
}

static void finish_refresh(struct rg_accounts *a, struct job *j)
{
	char *next = NULL;

	if (j->res.rc == CORE_ERR_CLOSED)
		g_hash_table_remove(a->families, j->family); /* a replay: the family is void */
	if (j->res.rc != CORE_OK)
		return;
	/* a repeat: the successor the lost answer carried, not the one made for this call */
	if (j->rotated.repeated && rg_token_unseal(j->presented, j->rotated.sealed,
						   j->rotated.sealed_len, &next) != CORE_OK) {
		j->res.rc = CORE_ERR_INTERNAL;
		return;
	}
	j->res.repeated = j->rotated.repeated;
	if (session_fill(a, j->dev.device_id, j->dev.name, j->family, &j->res.session) != CORE_OK) {
		j->res.rc = CORE_ERR_INTERNAL;
		if (next != NULL)
			core_wipe(next, strlen(next));
		g_free(next);
		return;
	}
	j->res.session.refresh_token = next != NULL ? next : g_steal_pointer(&j->refresh);
}

static void finish_revoke(struct rg_accounts *a, struct job *j)
{
	if (j->res.rc != CORE_OK)
		return;
	g_hash_table_remove(a->devices, j->device_id);
	live_drop_families(a, j->device_id);
}

static void finish_upkeep(struct rg_accounts *a, struct job *j)
{
	if (j->keys == NULL)
		return;
	core_log_info("accounts", a->net.name,
		      "new signing key %s; older keys retire in %" G_GINT64_FORMAT " s", j->key.kid,
		      a->jwt_ttl);
	keys_free(a->keys);
	a->keys = g_steal_pointer(&j->keys);
}

static void finish_nothing(struct rg_accounts *a, struct job *j)
{
}

static const struct op_entry {
	const char *name;
	void (*run)(struct rg_store *st, struct job *j);
	void (*finish)(struct rg_accounts *a, struct job *j);
} ops[] = {
	[OP_REGISTER] = { "register", run_register, finish_register },
	[OP_REFRESH] = { "refresh", run_refresh, finish_refresh },
	[OP_DEVICES] = { "devices", run_devices, finish_nothing },
	[OP_REVOKE] = { "revoke", run_revoke, finish_revoke },
	[OP_TOUCH] = { "touch", run_touch, finish_nothing },
	[OP_UPKEEP] = { "upkeep", run_upkeep, finish_upkeep },
};

static void job_run(void *ctx, void *p)
{
	struct job *j = p;

	ops[j->op].run(j->a->store, j);
}

static void job_done(void *p)
{
	struct job *j = p;

	ops[j->op].finish(j->a, j);
	if (j->done != NULL)
		j->done(j->data, &j->res);
	job_free(j);
}

static struct job *job_new(struct rg_accounts *a, enum op op, rg_accounts_done_fn done, void *data)
{
	struct job *j = g_new0(struct job, 1);

	j->a = a;
	j->op = op;
	j->now = rg_accounts_now(a);
	j->done = done;
	j->data = data;
	return j;
}

static void job_push(struct job *j)
{
	core_worker_push(j->a->worker, job_run, job_done, j);
}

/* ------------------------------------------------------------ operations */

void rg_accounts_register(struct rg_accounts *a, const char *name, const char *join_token,
			  rg_accounts_done_fn done, void *data)
{
	struct job *j = job_new(a, OP_REGISTER, done, data);

	j->name = g_strdup(name);
	j->refresh = rg_token_new(RG_TOKEN_REFRESH_PREFIX, RG_TOKEN_REFRESH_BYTES);
	rg_token_hash(join_token, j->join_hash);
	rg_token_hash(j->refresh, j->new_hash);
	rg_token_uuid(j->new_id);
	rg_token_family(j->family);
	job_push(j);
}

void rg_accounts_refresh(struct rg_accounts *a, const char *device_id, const char *refresh_token,
			 rg_accounts_done_fn done, void *data)
{
	struct job *j = job_new(a, OP_REFRESH, done, data);

	j->device_id = g_strdup(device_id);
	j->refresh = rg_token_new(RG_TOKEN_REFRESH_PREFIX, RG_TOKEN_REFRESH_BYTES);
	j->presented = g_strdup(refresh_token);
	rg_token_hash(refresh_token, j->old_hash);
	rg_token_hash(j->refresh, j->new_hash);
	if (rg_token_seal(refresh_token, j->refresh, j->sealed, &j->sealed_len) != CORE_OK)
		j->sealed_len = 0; /* no repeat for this one */
	job_push(j);
}

void rg_accounts_devices(struct rg_accounts *a, rg_accounts_done_fn done, void *data)
{
	job_push(job_new(a, OP_DEVICES, done, data));
}

void rg_accounts_revoke(struct rg_accounts *a, const char *device_id, rg_accounts_done_fn done,
			void *data)
{
	struct job *j = job_new(a, OP_REVOKE, done, data);

	g_hash_table_remove(a->seen, device_id);
	j->device_id = g_strdup(device_id);
	job_push(j);
}

void rg_accounts_seen(struct rg_accounts *a, const char *device_id)
{
	g_hash_table_add(a->seen, g_strdup(device_id));
}

void rg_accounts_flush(struct rg_accounts *a)
{
	struct job *j;
	GHashTableIter it;
	gpointer id;

	if (g_hash_table_size(a->seen) == 0)
		return;
	j = job_new(a, OP_TOUCH, NULL, NULL);
	j->ids = g_ptr_array_new_full(g_hash_table_size(a->seen), g_free);
	g_hash_table_iter_init(&it, a->seen);
	while (g_hash_table_iter_next(&it, &id, NULL)) {
		g_hash_table_iter_steal(&it);
		g_ptr_array_add(j->ids, id);
	}
	job_push(j);
}

void rg_accounts_upkeep(struct rg_accounts *a, bool force_rotate, rg_accounts_done_fn done,
			void *data)
{
	struct job *j = job_new(a, OP_UPKEEP, done, data);

	if (force_rotate || key_due(a->keys, a->key_rotate, j->now)) {
		key_new(&j->key, j->now);
		j->key_set = true;
	}
	job_push(j);
}

/* ------------------------------------------------------------ bearer checks (memory) */

/* Whether device and family stand: CORE_OK, CORE_ERR_NOT_FOUND (device), CORE_ERR_AUTH (family). */
static int live_check(struct rg_accounts *a, const char *device_id, const char *family_id)
{
	const char *dev;

	if (!g_hash_table_contains(a->devices, device_id))
		return CORE_ERR_NOT_FOUND;
	dev = g_hash_table_lookup(a->families, family_id);
	return dev != NULL && strcmp(dev, device_id) == 0 ? CORE_OK : CORE_ERR_AUTH;
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
	rc = live_check(a, j.claims.sub, j.claims.fam);
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
	return live_check(a, id->claims.sub, id->claims.fam) == CORE_OK;
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
