/*
 * api.c - the /auth endpoints and the WebSocket authenticator (contract in
 * api.h). One table of routes; each handler reads its body through the
 * pure parsers (authmsg.h), asks the accounts, and answers with one JSON
 * body and one log line.
 *
 * What needs the store is asked asynchronously (accounts.h): the handler
 * pauses the message and keeps it in a call; the accounts' callback answers
 * and unpauses it. A call whose client went away is answered to nobody (but
 * still logged: what the store did, it did); a call still out when the api
 * is freed is "lost": its callback, which the accounts still run, only
 * frees it.
 */
#include "rift/server/api.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "rift/auth/authmsg.h"
#include "rift/auth/guard.h"

#define API_TOO_MANY	 429 /* libsoup 3.2 names neither */
#define API_INSUFFICIENT 507

struct rg_api {
	struct rg_accounts *accounts;
	struct rg_sig_server *server;
	struct rg_guard *guard;
	struct rg_sig_auth auth;
	guint flush_timer, upkeep_timer;
	GHashTable *calls; /* struct call * waiting for the accounts (a set) */
};

/* A request paused until the accounts answer. */
struct call {
	struct rg_api *api;	/* NULL once the api is freed: nothing to answer */
	SoupServerMessage *msg; /* a reference */
	gulong gone_handler;
	bool gone;		/* the connection closed: answer nobody */
	char *id;		/* refresh, revoke: the device */
	char by[RG_JWT_ID_MAX]; /* revoke: the caller's device */
};

/* ------------------------------------------------------------ replies */

static void reply(SoupServerMessage *msg, unsigned status, char *body)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);

	soup_message_headers_replace(h, "Cache-Control", "no-store");
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, body,
					 strlen(body));
}

/* The request's line for logs: "POST /auth/register". */
static const char *what(SoupServerMessage *msg, char *buf, size_t n)
{
	char esc[CORE_LOG_ESC_SHORT];
	const char *path = g_uri_get_path(soup_server_message_get_uri(msg));

	g_snprintf(buf, n, "%s %s", soup_server_message_get_method(msg),
		   core_log_escape(esc, sizeof(esc), path, strlen(path)));
	return buf;
}

/* An error: {"error": reason}, logged once (detail: more for the log only, may be NULL). */
static void fail(SoupServerMessage *msg, unsigned status, const char *reason, const char *detail)
{
	char line[CORE_LOG_ESC_SHORT + 16];

	core_log_warn("api", soup_server_message_get_remote_host(msg), "%s: %u %s%s%s",
		      what(msg, line, sizeof(line)), status, reason, detail != NULL ? ": " : "",
		      detail != NULL ? detail : "");
	reply(msg, status, rg_auth_error_encode(reason));
}

static void fail_guarded(struct rg_api *api, SoupServerMessage *msg, unsigned retry_after)
{
	char secs[16];

	g_snprintf(secs, sizeof(secs), "%u", retry_after);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
				     secs);
	fail(msg, API_TOO_MANY, "too many wrong tokens from this address; retry later", NULL);
}

/* The source may try a token now (else the 429 is sent). */
static bool guard_ok(struct rg_api *api, SoupServerMessage *msg)
{
	unsigned after;

	if (rg_guard_allow(api->guard, soup_server_message_get_remote_host(msg),
			   g_get_monotonic_time(), &after))
		return true;
	fail_guarded(api, msg, after);
	return false;
}

static void guard_failed(struct rg_api *api, SoupServerMessage *msg)
{
	rg_guard_fail(api->guard, soup_server_message_get_remote_host(msg), g_get_monotonic_time());
}

/* The request body (borrowed from the message). */
static const char *body_of(SoupServerMessage *msg, size_t *len)
{
	SoupMessageBody *b = soup_server_message_get_request_body(msg);

	*len = b->length;
	return b->data != NULL ? b->data : "";
}

/* ------------------------------------------------------------ calls */

static void call_gone(SoupServerMessage *msg, gpointer p)
{
	struct call *c = p;

	c->gone = true;
}

/* Pause msg until call_end: the accounts answer later, on the loop. */
static struct call *call_new(struct rg_api *api, SoupServerMessage *msg)
{
	struct call *c = g_new0(struct call, 1);

	c->api = api;
	c->msg = g_object_ref(msg);
	soup_server_message_get_remote_host(msg); /* kept by the message for the logs */
	c->gone_handler = g_signal_connect(msg, "disconnected", G_CALLBACK(call_gone), c);
	soup_server_message_pause(msg);
	g_hash_table_add(api->calls, c);
	return c;
}

/* The answer is set (or nobody waits for it): send it and forget the call. */
static void call_end(struct call *c)
{
	if (c->api != NULL) {
		g_hash_table_remove(c->api->calls, c);
		if (!c->gone)
			soup_server_message_unpause(c->msg);
	}
	g_signal_handler_disconnect(c->msg, c->gone_handler);
	g_object_unref(c->msg);
	g_free(c->id);
	g_free(c);
}

/* ------------------------------------------------------------ handlers */

static void store_failed(SoupServerMessage *msg)
{
	fail(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal error", "the store failed");
}

static void register_done(void *data, struct rg_accounts_result *res)
{
	struct call *c = data;
	struct rg_api *api = c->api;
	SoupServerMessage *msg = c->msg;
	const struct rg_store_device *dev = &res->device;
	char esc[CORE_LOG_ESC_SHORT];

	if (api == NULL)
		goto out;
	switch (res->rc) {
	case CORE_OK:
		core_log_info("api", soup_server_message_get_remote_host(msg),
			      "registered \"%s\" as %s, %s%s",
			      core_log_escape(esc, sizeof(esc), dev->name, strlen(dev->name)),
			      dev->device_id, dev->address,
			      res->reclaimed ? " (again: older tokens void)" : "");
		reply(msg, SOUP_STATUS_OK, rg_auth_session_encode(&res->session, true));
		break;
	case CORE_ERR_AUTH:
		guard_failed(api, msg);
		fail(msg, SOUP_STATUS_UNAUTHORIZED, "invalid or used join token", NULL);
		break;
	case CORE_ERR_NO_SPACE:
		fail(msg, API_INSUFFICIENT, "no addresses available in subnet", NULL);
		break;
	default:
		store_failed(msg);
	}
out:
	call_end(c);
	if (api != NULL && res->rc == CORE_OK && res->reclaimed && api->server != NULL)
		rg_sig_server_recheck(api->server, dev->device_id);
}

static void h_register(struct rg_api *api, SoupServerMessage *msg, const char *rest,
		       const struct rg_accounts_identity *caller)
{
	struct rg_auth_register_req req;
	const char *err;
	size_t len;
	const char *body = body_of(msg, &len);

	if (rg_auth_register_parse(body, len, &req, &err) != CORE_OK) {
		fail(msg, SOUP_STATUS_BAD_REQUEST, err, NULL);
		return;
	}
	rg_accounts_register(api->accounts, req.device_name, req.join_token, register_done,
			     call_new(api, msg));
	rg_auth_register_req_clear(&req);
}

static void refresh_done(void *data, struct rg_accounts_result *res)
{
	struct call *c = data;
	struct rg_api *api = c->api;
	SoupServerMessage *msg = c->msg;
	char *recheck = NULL;

	if (api == NULL)
		goto out;
	switch (res->rc) {
	case CORE_OK:
		if (res->repeated)
			core_log_info("api", soup_server_message_get_remote_host(msg),
				      "refreshed %s again: the same token, its answer was lost",
				      c->id);
		else
			core_log_debug("api", soup_server_message_get_remote_host(msg),
				       "refreshed %s", c->id);
		reply(msg, SOUP_STATUS_OK, rg_auth_session_encode(&res->session, false));
		break;
	case CORE_ERR_NOT_FOUND:
		guard_failed(api, msg);
		fail(msg, SOUP_STATUS_UNAUTHORIZED, "device not found or revoked", NULL);
		break;
	case CORE_ERR_TIMEOUT:
		fail(msg, SOUP_STATUS_UNAUTHORIZED, "refresh_token_expired", NULL);
		break;
	case CORE_ERR_CLOSED:
		/* a replay: whoever holds the family's current token is shut out too */
		guard_failed(api, msg);
		fail(msg, SOUP_STATUS_UNAUTHORIZED,
		     "refresh token reused: its token family is revoked", c->id);
		break;
	case CORE_ERR_AUTH:
		guard_failed(api, msg);
		fail(msg, SOUP_STATUS_UNAUTHORIZED, "invalid refresh token", NULL);
		break;
	default:
		store_failed(msg);
	}
	if (res->rc == CORE_ERR_CLOSED && api->server != NULL)
		recheck = g_steal_pointer(&c->id);
out:
	call_end(c); /* the answer first, then the family's connections */
	if (recheck != NULL)
		rg_sig_server_recheck(api->server, recheck);
	g_free(recheck);
}

static void h_refresh(struct rg_api *api, SoupServerMessage *msg, const char *rest,
		      const struct rg_accounts_identity *caller)
{
	struct rg_auth_refresh_req req;
	struct call *c;
	const char *err;
	size_t len;
	const char *body = body_of(msg, &len);

	if (rg_auth_refresh_parse(body, len, &req, &err) != CORE_OK) {
		fail(msg, SOUP_STATUS_BAD_REQUEST, err, NULL);
		return;
	}
	c = call_new(api, msg);
	c->id = g_strdup(req.device_id);
	rg_accounts_refresh(api->accounts, req.device_id, req.refresh_token, refresh_done, c);
	rg_auth_refresh_req_clear(&req);
}

static void devices_done(void *data, struct rg_accounts_result *res)
{
	struct call *c = data;
	struct rg_auth_device *out;
	GArray *all = res->devices;

	if (c->api == NULL)
		goto out;
	if (res->rc != CORE_OK) {
		store_failed(c->msg);
		goto out;
	}
	out = g_new0(struct rg_auth_device, all->len + 1);
	for (guint i = 0; i < all->len; i++) {
		const struct rg_store_device *d = &g_array_index(all, struct rg_store_device, i);

		out[i] = (struct rg_auth_device){ (char *)d->device_id, d->name,
						  d->address,		d->created_at,
						  d->last_seen_at,	d->revoked_at != 0 };
	}
	reply(c->msg, SOUP_STATUS_OK, rg_auth_devices_encode(out, all->len));
	g_free(out);
out:
	call_end(c);
}

static void h_devices(struct rg_api *api, SoupServerMessage *msg, const char *rest,
		      const struct rg_accounts_identity *caller)
{
	rg_accounts_devices(api->accounts, devices_done, call_new(api, msg));
}

/* A device id as the reference accepts it: [a-f0-9-]+ (and no longer than a UUID). */
static bool id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= RG_STORE_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isdigit(id[i]) && !(id[i] >= 'a' && id[i] <= 'f') && id[i] != '-')
			return false;
	return true;
}

static void revoke_done(void *data, struct rg_accounts_result *res)
{
	struct call *c = data;
	struct rg_api *api = c->api;
	char *revoked = NULL;

	if (api == NULL)
		goto out;
	if (res->rc == CORE_ERR_NOT_FOUND) {
		fail(c->msg, SOUP_STATUS_NOT_FOUND, "device not found", NULL);
		goto out;
	}
	if (res->rc != CORE_OK) {
		store_failed(c->msg);
		goto out;
	}
	core_log_info("api", soup_server_message_get_remote_host(c->msg), "%s revoked by %s", c->id,
		      c->by);
	reply(c->msg, SOUP_STATUS_OK, g_strdup("{\"ok\":true}"));
	if (api->server != NULL)
		revoked = g_steal_pointer(&c->id);
out:
	call_end(c); /* the answer first, then the device's connections */
	if (revoked != NULL)
		rg_sig_server_recheck(api->server, revoked);
	g_free(revoked);
}

static void h_revoke(struct rg_api *api, SoupServerMessage *msg, const char *id,
		     const struct rg_accounts_identity *caller)
{
	struct call *c;

	if (!id_ok(id)) {
		fail(msg, SOUP_STATUS_NOT_FOUND, "device not found", "not a device id");
		return;
	}
	if (strcmp(id, caller->claims.sub) == 0) {
		fail(msg, SOUP_STATUS_BAD_REQUEST, "cannot revoke your own device", NULL);
		return;
	}
	c = call_new(api, msg);
	c->id = g_strdup(id);
	g_strlcpy(c->by, caller->claims.sub, sizeof(c->by));
	rg_accounts_revoke(api->accounts, id, revoke_done, c);
}

/* ------------------------------------------------------------ routing */

typedef void (*handler_fn)(struct rg_api *api, SoupServerMessage *msg, const char *rest,
			   const struct rg_accounts_identity *caller);

static const struct route {
	const char *method;
	const char *path;
	bool prefix;  /* path is a prefix; the rest goes to the handler */
	bool bearer;  /* needs an access token */
	bool guarded; /* carries a token in its body: the guard is asked first */
	handler_fn fn;
} routes[] = {
	{ "POST", "/auth/register", false, false, true, h_register },
	{ "POST", "/auth/refresh", false, false, true, h_refresh },
	{ "GET", "/auth/devices", false, true, false, h_devices },
	{ "DELETE", "/auth/devices/", true, true, false, h_revoke },
};

/* The route for the request; *path_known when the path exists under another method. */
static const struct route *route_of(SoupServerMessage *msg, const char **rest, bool *path_known)
{
	const char *method = soup_server_message_get_method(msg);
	const char *path = g_uri_get_path(soup_server_message_get_uri(msg));

	*path_known = false;
	for (size_t i = 0; i < G_N_ELEMENTS(routes); i++) {
		const struct route *r = &routes[i];
		bool match =
			r->prefix ? g_str_has_prefix(path, r->path) : strcmp(path, r->path) == 0;

		if (!match)
			continue;
		*path_known = true;
		if (strcmp(method, r->method) != 0)
			continue;
		*rest = path + strlen(r->path);
		return r;
	}
	return NULL;
}

/*
 * The caller of a bearer route: CORE_OK with *id, or the reply sent. A
 * forged or malformed token counts against the source; an expired one does
 * not (agents meet that honestly).
 */
static int bearer_of(struct rg_api *api, SoupServerMessage *msg, struct rg_accounts_identity *id)
{
	const char *auth = soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "Authorization");
	const char *why;
	int rc;

	if (auth == NULL || g_ascii_strncasecmp(auth, "Bearer ", 7) != 0 || auth[7] == '\0') {
		fail(msg, SOUP_STATUS_UNAUTHORIZED, "missing authorization", NULL);
		return CORE_ERR_AUTH;
	}
	if (!guard_ok(api, msg))
		return CORE_ERR_AGAIN;
	rc = rg_accounts_verify(api->accounts, auth + 7, id, &why);
	if (rc == CORE_OK)
		return CORE_OK;
	if (rc == CORE_ERR_BAD_FORMAT || rc == CORE_ERR_AUTH)
		guard_failed(api, msg);
	if (rc == CORE_ERR_SYSTEM)
		store_failed(msg);
	else
		fail(msg, SOUP_STATUS_UNAUTHORIZED, "invalid or expired token", why);
	return rc;
}

static void api_cb(SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
		   gpointer p)
{
	struct rg_api *api = p;
	struct rg_accounts_identity id = { 0 };
	const struct route *r;
	const char *rest = "";
	bool known;

	if (soup_server_message_get_status(msg) != 0)
		return; /* the early handler answered */
	r = route_of(msg, &rest, &known);
	if (r == NULL) {
		if (known)
			fail(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed", NULL);
		else
			fail(msg, SOUP_STATUS_NOT_FOUND, "not found", NULL);
		return;
	}
	if (r->bearer && bearer_of(api, msg, &id) != CORE_OK)
		return;
	r->fn(api, msg, rest, &id);
	core_wipe(&id, sizeof(id));
}

/*
 * After the headers, before the body: a body too big (or of unknown size)
 * is refused unread; a guarded route refuses a source that guessed too much
 * before reading what it guesses this time.
 */
static void api_early_cb(SoupServer *soup, SoupServerMessage *msg, const char *path,
			 GHashTable *query, gpointer p)
{
	struct rg_api *api = p;
	SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
	const struct route *r;
	const char *rest;
	bool known;

	if (soup_message_headers_get_encoding(h) == SOUP_ENCODING_CHUNKED) {
		fail(msg, SOUP_STATUS_LENGTH_REQUIRED, "a request body needs a Content-Length",
		     NULL);
		return;
	}
	if (soup_message_headers_get_encoding(h) == SOUP_ENCODING_CONTENT_LENGTH &&
	    soup_message_headers_get_content_length(h) > RG_AUTH_MAX_BODY) {
		fail(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "request body too large", NULL);
		return;
	}
	r = route_of(msg, &rest, &known);
	if (r != NULL && r->guarded)
		guard_ok(api, msg);
}

/* ------------------------------------------------------------ the WebSocket's bearer */

static void ident_free(void *p)
{
	if (p != NULL)
		core_wipe(p, sizeof(struct rg_accounts_identity));
	g_free(p);
}

static int sig_bearer(void *data, const char *token, const char *source, struct rg_sig_identity *id)
{
	struct rg_api *api = data;
	struct rg_accounts_identity *who = g_new0(struct rg_accounts_identity, 1);
	const char *why;
	unsigned after;
	int rc;

	if (!rg_guard_allow(api->guard, source, g_get_monotonic_time(), &after)) {
		core_log_warn("api", source, "GET /connect: 429 too many wrong tokens (%u s)",
			      after);
		ident_free(who);
		id->retry_after_s = after;
		return CORE_ERR_AGAIN;
	}
	rc = rg_accounts_verify(api->accounts, token, who, &why);
	if (rc != CORE_OK) {
		if (rc == CORE_ERR_BAD_FORMAT || rc == CORE_ERR_AUTH)
			rg_guard_fail(api->guard, source, g_get_monotonic_time());
		core_log_warn("api", source, "GET /connect: 401 %s", why != NULL ? why : "refused");
		ident_free(who);
		return rc;
	}
	id->network = g_strdup(who->claims.net);
	id->name = g_strdup(who->claims.name);
	id->subject = g_strdup(who->claims.sub);
	id->priv = who;
	id->priv_free = ident_free;
	return CORE_OK;
}

static bool sig_live(void *data, const struct rg_sig_identity *id)
{
	struct rg_api *api = data;

	return id->priv != NULL && rg_accounts_live(api->accounts, id->priv);
}

static void sig_opened(void *data, const struct rg_sig_identity *id)
{
	struct rg_api *api = data;

	rg_accounts_seen(api->accounts, id->subject);
}

static void sig_attach(void *data, SoupServer *soup)
{
	struct rg_api *api = data;

	soup_server_add_early_handler(soup, "/auth", api_early_cb, api, NULL);
	soup_server_add_handler(soup, "/auth", api_cb, api, NULL);
}

static char *sig_status(void *data)
{
	struct rg_api *api = data;
	struct rg_store_stats st;

	rg_accounts_stats(api->accounts, &st);
	return g_strdup_printf(",\"store\":{\"ops\":%" G_GUINT64_FORMAT
			       ",\"p50_us\":%" G_GINT64_FORMAT ",\"p99_us\":%" G_GINT64_FORMAT
			       ",\"max_us\":%" G_GINT64_FORMAT "}",
			       st.ops, st.p50_us, st.p99_us, st.max_us);
}

/* ------------------------------------------------------------ lifecycle */

static gboolean flush_cb(gpointer p)
{
	struct rg_api *api = p;

	rg_accounts_flush(api->accounts);
	return G_SOURCE_CONTINUE;
}

static gboolean upkeep_cb(gpointer p)
{
	struct rg_api *api = p;

	rg_accounts_upkeep(api->accounts, false, NULL, NULL);
	return G_SOURCE_CONTINUE;
}

struct rg_api *rg_api_new(const struct rg_api_config *cfg)
{
	struct rg_api *api = g_new0(struct rg_api, 1);

	api->accounts = cfg->accounts;
	api->calls = g_hash_table_new(NULL, NULL);
	api->guard = rg_guard_new(cfg->guard_burst, cfg->guard_per_minute, 0);
	api->auth = (struct rg_sig_auth){ sig_bearer, sig_live,	  sig_opened,
					  sig_attach, sig_status, api };
	api->flush_timer = g_timeout_add_seconds(RG_API_FLUSH_S, flush_cb, api);
	api->upkeep_timer = g_timeout_add_seconds(RG_API_UPKEEP_S, upkeep_cb, api);
	return api;
}

void rg_api_free(struct rg_api *api)
{
	GHashTableIter it;
	gpointer c;

	if (api == NULL)
		return;
	core_source_clear(&api->flush_timer);
	core_source_clear(&api->upkeep_timer);
	/* calls still out are lost: the accounts' callbacks only free them */
	g_hash_table_iter_init(&it, api->calls);
	while (g_hash_table_iter_next(&it, &c, NULL))
		((struct call *)c)->api = NULL;
	g_hash_table_unref(api->calls);
	rg_accounts_flush(api->accounts);
	rg_guard_free(api->guard);
	g_free(api);
}

const struct rg_sig_auth *rg_api_sig_auth(struct rg_api *api)
{
	return &api->auth;
}

void rg_api_set_server(struct rg_api *api, struct rg_sig_server *server)
{
	api->server = server;
}
